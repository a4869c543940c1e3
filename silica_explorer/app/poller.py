"""Applies background-job progress to the UI on the session's own thread.

Panel's recommended way to update a session from outside its event loop is to schedule work on that
session; here each session has one :class:`Poller` that, while any of its jobs runs, ticks from a
``pn.state.add_periodic_callback`` (in the session's document context, with the document lock), calls
each watched job's ``on_update(job)``, and ``on_done(job)`` once the job is final. Outside a server
(tests, notebooks without a server) nothing ticks by itself: call :meth:`Poller.tick` or
:meth:`Poller.wait`.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

import panel as pn

from .jobs import Job

log = logging.getLogger(__name__)


class Poller:
    def __init__(self, period_ms: int = 400):
        self.period_ms = int(period_ms)
        self._watched: list[tuple[Job, Callable | None, Callable | None]] = []
        self._callback = None

    def watch(self, job: Job, on_update: Callable[[Job], None] | None = None,
              on_done: Callable[[Job], None] | None = None) -> Job:
        self._watched.append((job, on_update, on_done))
        self._ensure_running()
        return job

    @property
    def running(self) -> bool:
        return self._callback is not None

    def _ensure_running(self) -> None:
        if self._callback is not None:
            return
        doc = pn.state.curdoc
        if doc is None or getattr(doc, "session_context", None) is None:
            return  # no server session: ticks are driven by tick()/wait()
        self._callback = pn.state.add_periodic_callback(self.tick, period=self.period_ms)

    def tick(self) -> None:
        for entry in list(self._watched):
            job, on_update, on_done = entry
            final = job.is_final  # read once: the job may finish while we update
            if on_update is not None:
                try:
                    on_update(job)
                except Exception:
                    log.exception("UI update of job %r failed", job.label)
            if final:
                self._watched.remove(entry)
                if on_done is not None:
                    try:
                        on_done(job)
                    except Exception:
                        log.exception("UI completion of job %r failed", job.label)
        if not self._watched and self._callback is not None:
            self._callback.stop()
            self._callback = None

    def wait(self, job: Job, timeout: float = 600.0) -> Job:
        """Block until ``job`` is final, ticking (for tests and scripts, never in a server callback)."""
        t_end = time.monotonic() + timeout
        while not job.is_final and time.monotonic() < t_end:
            job.join(0.1)
            self.tick()
        self.tick()
        return job
