"""Background jobs of the app: long work (MD melts, optimizer runs, landscape paths) on a worker thread.

The browser session never blocks on MD. A :class:`Job` runs ``fn(job)`` on a daemon thread; the
function reports progress with :meth:`Job.progress` (the engine's ``progress(done, total, phase)``
callback shape) and may stream intermediate items with :meth:`Job.emit`. The session's UI polls its
jobs from a periodic callback on its own event loop (see :class:`silica_explorer.app.state.Poller`) and
applies :meth:`Job.drain`-ed items and the final ``result`` there, so no widget or Bokeh model is ever
touched from a worker thread.

**Cancelling.** :meth:`Job.cancel` sets a flag; the next :meth:`Job.progress` or :meth:`Job.check`
raises :class:`Cancelled` inside the worker. Raised from the engine's progress callback this kills the
running LAMMPS process (the engine kills its child on any exception) and the job ends as "cancelled".

**MD slots.** All sessions of one server share :data:`MD_SLOTS` (``SILICA_APP_MD_SLOTS``, default 1):
a job that runs MD waits for a free slot (state "queued") so that several browser tabs cannot
oversubscribe the machine. Threads per melt: ``SILICA_APP_MD_THREADS`` (default: all cores / slots).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import time
import traceback
import weakref
from contextlib import contextmanager
from typing import Any, Callable

log = logging.getLogger(__name__)


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover
        return max(1, os.cpu_count() or 1)


#: Concurrent MD jobs across all sessions of this server process.
N_MD_SLOTS = _env_int("SILICA_APP_MD_SLOTS", 1)
MD_SLOTS = threading.BoundedSemaphore(N_MD_SLOTS)


def default_md_threads() -> int:
    """OpenMP threads per melt: ``SILICA_APP_MD_THREADS`` or all cores divided among the MD slots."""
    return _env_int("SILICA_APP_MD_THREADS", max(1, available_cores() // N_MD_SLOTS))


#: Jobs still alive in this process (cancelled at exit so no LAMMPS child outlives the server).
_LIVE: "weakref.WeakSet[Job]" = weakref.WeakSet()


@atexit.register
def _cancel_live_jobs(timeout: float = 5.0) -> None:
    live = [j for j in list(_LIVE) if not j.is_final]
    for job in live:
        job.cancel()
    t_end = time.monotonic() + timeout
    for job in live:
        job.join(max(0.0, t_end - time.monotonic()))


class Cancelled(BaseException):
    """Raised inside a job's worker thread after :meth:`Job.cancel`.

    A BaseException (like KeyboardInterrupt) on purpose: library code that turns ordinary exceptions
    into recorded failures (the engine's "engine error", a store row) must not record a user's Stop as
    a failed evaluation; the engine still kills its LAMMPS child on the way out."""


def lower_thread_priority(increment: int) -> bool:
    """Raise the nice value of the calling thread only (Linux: a thread is a task of its own, and the
    processes it starts inherit its nice value). Returns whether it was set."""
    if increment <= 0 or not sys.platform.startswith("linux") or not hasattr(os, "setpriority"):
        return False
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + increment))
    except OSError as exc:
        log.warning("could not lower the priority of job thread %s: %s", tid, exc)
        return False
    return True


class Job:
    """One unit of background work. ``fn(job)`` returns the result; states: pending, queued,
    running, done, failed, cancelled."""

    FINAL = ("done", "failed", "cancelled")

    def __init__(self, label: str, fn: Callable[["Job"], Any], *, uses_md: bool = True):
        self.label = label
        self._fn = fn
        self.uses_md = uses_md
        self.state = "pending"
        self.done = 0
        self.total = 0
        self.text = ""
        self.result: Any = None
        self.error: str | None = None
        self.created = time.monotonic()
        self.started: float | None = None
        self.finished: float | None = None
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._events: list[Any] = []
        self._thread: threading.Thread | None = None
        self._rate_start: tuple[float, int] | None = None

    # ----------------------------------------------------------------------------- control
    def start(self) -> "Job":
        _LIVE.add(self)
        self._thread = threading.Thread(target=self._run, name=f"silica-app-job: {self.label}", daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def finished_ok(self) -> bool:
        return self.state == "done"

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    # ----------------------------------------------------------------------------- worker side
    def check(self) -> None:
        """Raise :class:`Cancelled` if the job was cancelled (call between steps)."""
        if self._cancel.is_set():
            raise Cancelled(f"{self.label}: cancelled")

    def progress(self, done: int, total: int, text: str = "") -> None:
        """Record progress (engine progress-callback signature); raises Cancelled when cancelled."""
        self.check()
        done, total = int(done), int(total)
        if self._rate_start is None or done < self._rate_start[1]:
            self._rate_start = (time.monotonic(), done)
        self.done, self.total, self.text = done, total, str(text)

    def emit(self, item: Any) -> None:
        """Stream an intermediate item to the UI (collected with :meth:`drain`)."""
        with self._lock:
            self._events.append(item)

    #: nice increment of a job's thread (and of the MD processes it starts, which inherit it): the
    #: server's event loop, which every session's widgets wait on, stays ahead of the melts (Linux;
    #: elsewhere a thread's priority cannot be set alone and the job runs at the server's)
    NICE = 10

    def _run(self) -> None:
        lower_thread_priority(self.NICE)
        try:
            if self.uses_md:
                with self._md_slot():
                    self._work()
            else:
                self._work()
        except Cancelled:
            self.state = "cancelled"
        except Exception as exc:  # shown to the user; the traceback goes to the server log
            log.error("job %r failed:\n%s", self.label, traceback.format_exc())
            self.error = f"{type(exc).__name__}: {exc}"
            self.state = "failed"
        finally:
            self.finished = time.monotonic()

    def _work(self) -> None:
        self.state = "running"
        self.started = time.monotonic()
        result = self._fn(self)
        self.check()  # a cancel that came in while the engine was shutting down
        self.result = result
        self.state = "done"

    @contextmanager
    def _md_slot(self):
        self.state = "queued"
        self.text = "queued: waiting for another MD run on this server to finish"
        while not MD_SLOTS.acquire(timeout=0.2):
            self.check()
        try:
            self.check()
            self.text = ""
            yield
        finally:
            MD_SLOTS.release()

    # ----------------------------------------------------------------------------- UI side
    def drain(self) -> list[Any]:
        with self._lock:
            items, self._events = self._events, []
        return items

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0

    def eta_s(self) -> float | None:
        """Seconds left, extrapolated from the progress rate since the first report (None if unknown)."""
        if self._rate_start is None or not self.total or self.state != "running":
            return None
        t0, d0 = self._rate_start
        dt, dd = time.monotonic() - t0, self.done - d0
        if dd <= 0 or dt < 0.5:
            return None
        return (self.total - self.done) * dt / dd

    def elapsed_s(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    def describe(self) -> str:
        """One line for a status text: label, state, progress, ETA."""
        if self.state == "queued":
            return f"{self.label}: {self.text}"
        if self.state == "running":
            parts = [f"{self.label}: running"]
            if self.total:
                parts.append(f"{self.done}/{self.total} ({100 * self.fraction:.0f} %)")
            if self.text:
                parts.append(self.text)
            eta = self.eta_s()
            parts.append(f"elapsed {format_seconds(self.elapsed_s())}")
            if eta is not None:
                parts.append(f"ETA {format_seconds(eta)}")
            return ", ".join(parts)
        if self.state == "failed":
            return f"{self.label}: failed - {self.error}"
        if self.state == "cancelled":
            return f"{self.label}: cancelled after {format_seconds(self.elapsed_s())}"
        if self.state == "done":
            return f"{self.label}: finished in {format_seconds(self.elapsed_s())}"
        return f"{self.label}: {self.state}"


def format_seconds(s: float) -> str:
    s = max(0.0, float(s))
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"
