"""The store as a cache in front of a cost: :class:`CachedCost` serves an identical request from the store
or runs the evaluator and appends its result at once (what an executor runs for one request is a
:class:`~silica_explorer.evaluate.SafeTask`: store fields, never raises)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ..evaluate import ResultFields, SafeTask, result_fields
from ..forcefield import ForceField
from .db import Record, Store
from .keys import key_identity, request_key


class CachedCost:
    """``cost(forcefield, seed) -> Record``: serve an identical request from the store, otherwise run
    ``evaluator(forcefield, seed=seed)`` and append the result at once.

    ``evaluator``: an :class:`~silica_explorer.evaluate.Evaluator` or any callable
    ``(forcefield, seed=...) -> Evaluation | mapping | float`` (a mapping has ``status``, ``R_x``,
    ``reason``, ``chi``, ``wall_time_s``, ``engine_version``, optionally ``pdf``) with an ``identity()``
    like the Evaluator's. The cache key takes from it what changes a result (:func:`key_identity`): the
    fidelity, reference content hash, r range, alignment, the engine settings that change a melt's
    status or R_x (deck and collapse policy) and the MD engine when it is not LAMMPS.
    ``keep_pdf=False`` stores no PDFs.

    Keyword arguments of a call (``run_id``, ``optimizer``, ``iteration``, ``free``, ``u``,
    ``proposal``) only label the stored row. A request already evaluated elsewhere gets its own row
    with ``cached_from`` pointing at the original, so every run's rows are complete. Failed
    evaluations are cached too (the same request fails the same way). The stored result of a request
    is served only when ``key`` matches exactly; nothing is recomputed or overwritten.
    """

    def __init__(self, evaluator: Callable, store: Store | str | Path, keep_pdf: bool = True):
        self.evaluator = evaluator
        self.store = store if isinstance(store, Store) else Store(store)
        self.keep_pdf = keep_pdf
        self._identity = None
        self.n_evaluated = 0
        self.n_cached = 0

    def identity(self) -> dict:
        """The wrapped evaluator's :meth:`~silica_explorer.evaluate.Evaluator.identity` (passed through;
        what besides the parameters and seed determines a result). A plain callable without
        ``identity()``, or one whose identity names no fidelity and reference id, is refused."""
        if self._identity is None:
            ev = self.evaluator
            ident = dict(ev.identity()) if hasattr(ev, "identity") else {}
            if ident.get("fidelity") is None or ident.get("reference_id") is None:
                raise TypeError(
                    f"{type(ev).__name__} has no identity() naming its fidelity and reference_id: the store could "
                    "not tell its results apart from other protocols' (wrap an Evaluator, or define identity() "
                    "-> dict; the stand-ins of silica_explorer.standins do)")
            self._identity = ident
        return self._identity

    def _key_identity(self) -> dict:
        return key_identity(self.identity())

    def key(self, forcefield: ForceField, seed: int = 0) -> str:
        return request_key(forcefield, seed, self._key_identity())

    def engine_version(self) -> str | None:
        return self.identity().get("engine_version")

    def lookup(self, forcefield: ForceField, seed: int = 0, **labels) -> Record | None:
        """If this request was evaluated before, append its labelled copy (``cached_from`` the original)
        and return it; else None. ``labels``: as for :meth:`__call__`."""
        key = self.key(forcefield, seed)
        hit = self.store.lookup(key)
        if hit is None:
            return None
        self.n_cached += 1
        return self.store.append(
            key=key, forcefield=forcefield, seed=seed, status=hit.status, R_x=hit.R_x, reason=hit.reason,
            chi=hit.chi, fidelity=hit.fidelity, reference=hit.reference, reference_id=hit.reference_id,
            wall_time_s=hit.wall_time_s, engine=hit.engine, engine_version=hit.engine_version,
            record=hit.record, cached_from=hit.id, **_labels(**labels))

    def task(self, executor=None) -> SafeTask:
        """The picklable function an executor runs for one request: the evaluator (with the executor's
        MD threads if given), returning compact store fields; never raises (an exception is a failed
        result with the error as reason). Record its output with :meth:`record`."""
        evaluator = executor.configure(self.evaluator) if executor is not None else self.evaluator
        return SafeTask(evaluator)

    def record(self, forcefield: ForceField, seed: int, result: Any, **labels) -> Record:
        """Append the result of a fresh evaluation (an Evaluation, the :class:`~silica_explorer.evaluate.ResultFields`
        that :meth:`task` returns, a mapping, a number, or a :class:`~silica_explorer.parallel.TaskFailure`)
        and return its row."""
        fields = result if isinstance(result, ResultFields) else result_fields(result)
        ident = self.identity()
        self.n_evaluated += 1
        return self.store.append(
            key=self.key(forcefield, seed), forcefield=forcefield, seed=seed, status=fields["status"],
            R_x=fields["R_x"], reason=fields["reason"], chi=fields["chi"], fidelity=ident.get("fidelity"),
            reference=ident.get("reference"), reference_id=ident.get("reference_id"),
            wall_time_s=fields["wall_time_s"], engine=fields["engine"], engine_version=fields["engine_version"],
            record=fields["record"], pdf=fields["pdf"] if self.keep_pdf else None, **_labels(**labels))

    def __call__(self, forcefield: ForceField, seed: int = 0, *, run_id: str | None = None,
                 optimizer: str | None = None, iteration: int | None = None, free: Iterable[str] | None = None,
                 u: Iterable[float] | None = None, proposal: Mapping | None = None) -> Record:
        labels = dict(run_id=run_id, optimizer=optimizer, iteration=iteration, free=free, u=u, proposal=proposal)
        hit = self.lookup(forcefield, seed, **labels)
        if hit is not None:
            return hit
        return self.record(forcefield, seed, self.evaluator(forcefield, seed=seed), **labels)


def _labels(run_id: str | None = None, optimizer: str | None = None, iteration: int | None = None,
            free: Iterable[str] | None = None, u: Iterable[float] | None = None,
            proposal: Mapping | None = None) -> dict:
    return dict(run_id=run_id, optimizer=optimizer, iteration=iteration,
                free=list(free) if free is not None else None,
                u=list(u) if u is not None else None, proposal=proposal)


#: Alias: the store-backed evaluator wrapper.
StoredEvaluator = CachedCost
