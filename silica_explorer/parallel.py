"""Run many cost evaluations at once: a serial executor and a Dask (``dask.distributed``) executor.

Both executors have the same interface, used by landscapes (:mod:`silica_explorer.landscape`) and by
optimizers proposing batches::

    with get_executor(workers=2) as ex:                 # LocalCluster sized to this machine
        cost = ex.configure(Evaluator(ref, "quick"))     # MD threads per evaluation set for the executor
        for i, ff, seed, result in ex.map(cost, forcefields, seeds=0):
            ...                                          # results arrive as they complete

``map(fn, forcefields, seeds)`` calls ``fn(forcefield, seed=seed)`` for every pair and yields
:class:`Done` tuples ``(index, forcefield, seed, result)`` **in completion order** (``index`` is the
position in ``forcefields``). ``seeds`` is one int for all or one per forcefield. With
``errors="return"`` an evaluation that raised (or whose worker kept dying) yields a
:class:`TaskFailure` as its result instead of stopping the iteration.

**Cores.** One MD evaluation uses ``md_threads`` OpenMP threads; ``workers x md_threads`` should not
exceed the cores (:func:`available_cores`, which respects CPU affinity / cgroup cpusets). The default
local cluster has ``workers = cores // md_threads`` worker *processes* (``processes=True``), each with
one Dask thread (``threads_per_worker=1``) and ``OMP_NUM_THREADS = md_threads``.
:meth:`configure` returns a copy of a cost whose engine uses ``md_threads`` threads (the LAMMPS
engine otherwise takes all cores, which would oversubscribe the machine). For small melts single-thread
workers are the faster choice on a loaded machine; for large ones the two are about even (measurements:
``data/results/optimizer_notes.md``, "Executors").

**Failures.** An exception inside an evaluation is retried ``retries`` times (Dask ``retries=``), then
reported (``errors="return"``) or raised. A worker *process* that dies mid-evaluation (killed, out of
memory, segfault) is restarted by its Dask nanny and the evaluation is rescheduled by the scheduler
(up to ``distributed.scheduler.allowed-failures``, default 3, per task); only after that is it a
``TaskFailure`` (``KilledWorker``). A grid therefore never loses points to a dying worker.

**An existing cluster.** ``DaskExecutor(scheduler="tcp://host:8786")`` connects to a running
scheduler (``dask scheduler`` + ``dask worker tcp://host:8786 --nworkers 4 --nthreads 1`` on each
node). Workers need silica_explorer installed (same version) and the reference file is shipped
inside the cost object, so no shared filesystem is needed. ``md_threads`` then defaults to the
smallest ``cores on the host // workers on the host`` over the cluster's hosts.

**HPC batch systems (SLURM, PBS, SGE, LSF).** Use `dask-jobqueue <https://jobqueue.dask.org>`_
(``pip install dask-jobqueue``) to start workers as batch jobs and pass the cluster in::

    from dask_jobqueue import SLURMCluster            # or PBSCluster, SGECluster, LSFCluster
    cluster = SLURMCluster(cores=8, processes=4,       # 4 workers per job, 2 cores each
                           memory="16GB", walltime="04:00:00", account="myproject",
                           job_script_prologue=["source /path/to/.venv/bin/activate"])
    cluster.scale(jobs=10)                             # 40 workers on 10 nodes
    with DaskExecutor(cluster=cluster, md_threads=2) as ex:
        compute_windows(Landscape(...), cost, executor=ex, out="landscape.nc")

(or ``DaskExecutor(scheduler=cluster.scheduler_address)``; on the command line
``silica-explorer landscape --scheduler tcp://...``). With ``processes=4`` and ``cores=8`` each
worker owns 2 cores, hence ``md_threads=2``.

Units: times in s.
"""

from __future__ import annotations

import copy
import logging
import os
import warnings
from typing import Any, Callable, Iterable, Iterator, NamedTuple, Sequence

__all__ = ["Done", "TaskFailure", "SerialExecutor", "DaskExecutor", "get_executor", "available_cores",
           "with_md_threads"]


class Done(NamedTuple):
    """One finished evaluation: ``index`` into the submitted list, its ``forcefield`` and ``seed``, and
    the ``result`` of ``fn(forcefield, seed=seed)`` (or a :class:`TaskFailure`)."""

    index: int
    forcefield: Any
    seed: int
    result: Any


class TaskFailure:
    """Stands in for the result of an evaluation that raised or whose worker kept dying."""

    def __init__(self, reason: str, exception: BaseException | None = None):
        self.reason = reason
        self.exception = exception
        self.status = "failed"

    def __repr__(self) -> str:
        return f"TaskFailure({self.reason!r})"


def available_cores() -> int:
    """Cores this process may use (CPU affinity / cgroup cpuset aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover (not Linux)
        return max(1, os.cpu_count() or 1)


def with_md_threads(cost: Any, threads: int) -> Any:
    """A shallow copy of ``cost`` whose MD engine runs ``threads`` OpenMP threads.

    Looks for an ``engine`` with a ``threads`` attribute on ``cost`` or on a wrapped cost (attributes
    ``evaluator``, ``cost``, ``inner``, ``func``); returns ``cost`` unchanged when there is none (e.g.
    a plain function)."""
    engine = getattr(cost, "engine", None)
    if engine is not None and hasattr(engine, "threads"):
        new = copy.copy(cost)
        new_engine = copy.copy(engine)
        new_engine.threads = int(threads)
        new.engine = new_engine
        return new
    for attr in ("evaluator", "cost", "inner", "func"):
        inner = getattr(cost, attr, None)
        if inner is not None and inner is not cost and not isinstance(inner, (str, int, float)):
            replaced = with_md_threads(inner, threads)
            if replaced is not inner:
                new = copy.copy(cost)
                try:
                    setattr(new, attr, replaced)
                except AttributeError:  # read-only property: leave it
                    return cost
                return new
    return cost


def _seed_list(seeds: int | Sequence[int] | None, n: int) -> list[int]:
    if seeds is None:
        return [0] * n
    if isinstance(seeds, (int,)) or hasattr(seeds, "__index__"):
        return [int(seeds)] * n
    seeds = [int(s) for s in seeds]
    if len(seeds) != n:
        raise ValueError(f"got {len(seeds)} seeds for {n} forcefields; pass one seed or one per forcefield")
    return seeds


def _identity(obj: Any) -> Any:
    return obj


def _call(fn: Callable, forcefield: Any, seed: int) -> Any:
    return fn(forcefield, seed=seed)


class _ExecutorBase:
    workers: int = 1
    md_threads: int = 1

    def configure(self, cost: Any) -> Any:
        """``cost`` with its MD engine set to this executor's ``md_threads`` (see :func:`with_md_threads`)."""
        return with_md_threads(cost, self.md_threads)

    def describe(self) -> dict:
        """JSON-able description for provenance (kind, workers, md_threads, cores)."""
        return {"executor": type(self).__name__, "workers": int(self.workers),
                "md_threads": int(self.md_threads), "cores": available_cores()}

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:  # pragma: no cover (overridden)
        pass


class SerialExecutor(_ExecutorBase):
    """Evaluates one point after the other in this process (1 worker; for tests, debugging, or when
    a single evaluation should use all cores). ``md_threads`` defaults to all cores."""

    def __init__(self, md_threads: int | None = None):
        self.workers = 1
        self.md_threads = int(md_threads) if md_threads else available_cores()

    def map(self, fn: Callable, forcefields: Iterable, seeds: int | Sequence[int] | None = 0, *,
            errors: str = "raise", retries: int = 0) -> Iterator[Done]:
        """Yield :class:`Done` for ``fn(ff, seed=s)`` in submission order (which is completion order here)."""
        if errors not in ("raise", "return"):
            raise ValueError(f"errors must be 'raise' or 'return', got {errors!r}")
        forcefields = list(forcefields)
        for i, (ff, seed) in enumerate(zip(forcefields, _seed_list(seeds, len(forcefields)))):
            for attempt in range(retries + 1):
                try:
                    result = fn(ff, seed=seed)
                    break
                except Exception as exc:
                    if attempt < retries:
                        continue
                    if errors == "raise":
                        raise
                    result = TaskFailure(f"error: {type(exc).__name__}: {exc}", exc)
            yield Done(i, ff, seed, result)

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"SerialExecutor(md_threads={self.md_threads})"


class DaskExecutor(_ExecutorBase):
    """Evaluations on a Dask cluster: a new ``LocalCluster`` (default), an existing scheduler
    (``scheduler="tcp://host:8786"``) or a cluster object (``cluster=``, e.g. dask-jobqueue's).

    Parameters: ``workers`` worker processes of the local cluster (default ``cores // md_threads``);
    ``md_threads`` OpenMP threads per MD evaluation (local default: ``cores // workers``, at least 1);
    ``retries`` Dask retries of an evaluation that raised; ``dashboard`` serve the Dask dashboard
    (address, e.g. ``":8787"``; default off); ``memory_limit`` per worker (Dask syntax, default
    ``"auto"``). Use as a context manager or call :meth:`close`.
    """

    def __init__(self, workers: int | None = None, md_threads: int | None = None, *,
                 scheduler: str | None = None, cluster: Any = None, retries: int = 1,
                 dashboard: str | None = None, memory_limit: str | float = "auto",
                 silence_logs: int = logging.ERROR):
        from distributed import Client, LocalCluster

        self.retries = int(retries)
        self._own_cluster = None
        cores = available_cores()
        if scheduler is not None or cluster is not None:
            if scheduler is not None and cluster is not None:
                raise ValueError("pass either scheduler= or cluster=, not both")
            self.client = Client(cluster if cluster is not None else scheduler)
            self.address = self.client.scheduler.address
            info = self.client.scheduler_info()
            self.workers = len(info.get("workers", {})) if workers is None else int(workers)
            self.md_threads = int(md_threads) if md_threads else self._remote_md_threads()
        else:
            if workers is None:
                self.md_threads = int(md_threads) if md_threads else 1
                workers = max(1, cores // self.md_threads)
            else:
                workers = int(workers)
                if workers < 1:
                    raise ValueError(f"workers = {workers} must be >= 1")
                self.md_threads = int(md_threads) if md_threads else max(1, cores // workers)
            if self.md_threads < 1:
                raise ValueError(f"md_threads = {self.md_threads} must be >= 1")
            if workers * self.md_threads > cores:
                warnings.warn(f"{workers} workers x {self.md_threads} MD threads = {workers * self.md_threads} "
                              f"> {cores} cores: the machine is oversubscribed", RuntimeWarning, stacklevel=2)
            self.workers = workers
            env = {"OMP_NUM_THREADS": str(self.md_threads), "MKL_NUM_THREADS": "1",
                   "OPENBLAS_NUM_THREADS": "1"}
            self._own_cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                             dashboard_address=dashboard, silence_logs=silence_logs,
                                             memory_limit=memory_limit, env=env)
            self.client = Client(self._own_cluster)
            self.address = self._own_cluster.scheduler_address

    def _remote_md_threads(self) -> int:
        try:
            per_worker = self.client.run(available_cores)  # {worker address: cores on its host}
            hosts: dict[str, list[int]] = {}
            for addr, n in per_worker.items():
                host = addr.split("://")[-1].rsplit(":", 1)[0]
                hosts.setdefault(host, []).append(int(n))
            return max(1, min(min(ns) // len(ns) for ns in hosts.values())) if hosts else 1
        except Exception:  # pragma: no cover (no workers yet)
            return 1

    def map(self, fn: Callable, forcefields: Iterable, seeds: int | Sequence[int] | None = 0, *,
            errors: str = "raise", retries: int | None = None) -> Iterator[Done]:
        """Submit ``fn(ff, seed=s)`` for all pairs; yield :class:`Done` as evaluations complete.

        ``fn`` is sent to the scheduler once. Closing the iterator early (``break``,
        Ctrl-C) cancels the evaluations not yet finished."""
        from distributed import as_completed

        if errors not in ("raise", "return"):
            raise ValueError(f"errors must be 'raise' or 'return', got {errors!r}")
        forcefields = list(forcefields)
        seeds = _seed_list(seeds, len(forcefields))
        if not forcefields:
            return
        retries = self.retries if retries is None else int(retries)
        # ``fn`` travels once as a task (not scattered data): if the worker holding it dies, the
        # scheduler recomputes it instead of losing it.
        fn_future = self.client.submit(_identity, fn, pure=False)
        futures = {}
        try:
            n = len(forcefields)
            for i, (ff, seed) in enumerate(zip(forcefields, seeds)):  # earlier items run first
                fut = self.client.submit(_call, fn_future, ff, seed, pure=False, retries=retries,
                                         priority=n - i)
                futures[fut] = i
            for fut in as_completed(list(futures)):
                i = futures.pop(fut)
                try:
                    result = fut.result()
                except Exception as exc:
                    if errors == "raise":
                        raise
                    result = TaskFailure(f"error: {type(exc).__name__}: {exc}", exc)
                yield Done(i, forcefields[i], seeds[i], result)
        finally:
            if futures:
                self.client.cancel(list(futures))
            fn_future.release()

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self._own_cluster is not None:
                self._own_cluster.close()

    def describe(self) -> dict:
        d = super().describe()
        d["scheduler"] = "LocalCluster" if self._own_cluster is not None else str(self.address)
        return d

    def __repr__(self) -> str:
        return f"DaskExecutor(workers={self.workers}, md_threads={self.md_threads}, address={self.address!r})"


def get_executor(workers: int | None = None, md_threads: int | None = None, scheduler: str | None = None,
                 **options) -> SerialExecutor | DaskExecutor:
    """A :class:`SerialExecutor` for ``workers == 1`` (and no scheduler), else a :class:`DaskExecutor`.

    ``workers=None`` without a scheduler means one worker per ``md_threads`` cores (a LocalCluster)."""
    if scheduler is None and workers == 1:
        return SerialExecutor(md_threads)
    return DaskExecutor(workers, md_threads, scheduler=scheduler, **options)
