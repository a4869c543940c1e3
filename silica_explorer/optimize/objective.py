"""The objective every optimizer calls: unit point -> cost, with one shared evaluation budget,
failure handling, bookkeeping, and re-play of a run's stored evaluations on resume.

**Budget.** Every cost call an optimizer makes (initial design, EI proposal, CG function value or
finite-difference point, random sample) is one evaluation and counts once against ``budget``, also when
the store serves it from its cache. When the budget is spent, :meth:`Objective.evaluate` raises
:class:`BudgetExhausted`, which the drivers catch to stop cleanly.

**Failed evaluations** (``status == "failed"`` or a non-finite R_x, e.g. a melt that blew up) stay in the
store with their reason and R_x = nan. What an optimizer sees for them is set by ``failure_value``:
``"worst"`` (default) - the largest finite R_x observed so far in the run (before any finite value:
``failure_fallback``, default 1.0 = 100 %); or a fixed number. The Gaussian process re-imputes all
failures at every fit (so the penalty follows the worst value known at that time); CG sees the value at
call time. Either way the optimizer is steered away from the failing region instead of crashing.

**Resume.** With a store-backed cost (:class:`~silica_explorer.store.CachedCost`) and a ``run_id``, the
rows that run already has are loaded at construction. Ask/tell optimizers (BO, random search) take
them with :meth:`Objective.take_replay` and ``tell`` them in their original order; CG re-runs from its
start and each call that matches the next stored row (same cache key) is answered from it. Either way
nothing that finished is evaluated again and the run continues as it would have without interruption.
"""

from __future__ import annotations

import math
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Mapping, Sequence

import numpy as np

from ..evaluate import result_fields
from ..store import CachedCost, Record
from .space import SearchSpace


class BudgetExhausted(Exception):
    """Raised by :meth:`Objective.evaluate` when the evaluation budget is spent (caught by drivers)."""


def impute_failures(y, failure_value: str | float = "worst", failure_fallback: float = 1.0) -> np.ndarray:
    """Replace non-finite costs per the failure policy (see module docstring)."""
    y = np.asarray(y, dtype=float).copy()
    bad = ~np.isfinite(y)
    if bad.any():
        if failure_value == "worst":
            fill = float(np.max(y[~bad])) if (~bad).any() else float(failure_fallback)
        else:
            fill = float(failure_value)
        y[bad] = fill
    return y


class Objective:
    """Unit point -> evaluation, against a shared budget.

    Parameters
    ----------
    space : the :class:`SearchSpace`.
    cost : a :class:`~silica_explorer.store.CachedCost` (store-backed: caching, durable records, resume)
        or any callable ``(forcefield, seed=...) -> Evaluation | Record | mapping | float``.
    budget : total evaluations of the run (re-played stored ones included).
    md_seed : MD seed of every evaluation (the same for all points: common random numbers, so the cost
        is a deterministic function of the parameters, which finite differences need).
    run_id : label of the run in the store; with a store-backed cost its existing rows are re-played.
    failure_value, failure_fallback : failure policy (module docstring).
    callback : ``callback(entry)`` after every counted evaluation (progress bars).
    n_workers : threads for :meth:`evaluate_batch` (each evaluation runs its own MD process; used
        when no ``executor`` is given).
    executor : a :mod:`silica_explorer.parallel` executor (e.g. a ``DaskExecutor`` on a LocalCluster or
        a SLURM cluster) that runs the fresh evaluations of a batch; with a store-backed cost the
        results come back to this process and are appended to the store as each one finishes.
    keep_pdfs : attach each successful evaluation's partial-PDF Dataset to its entry (``entry["pdf"]``;
        from the evaluator's result, or from the store for stored rows); set by optimizers that model
        the PDFs (:class:`~silica_explorer.optimize.composite.CompositeBO`). Failed entries have none.
    """

    def __init__(self, space: SearchSpace, cost: Callable, budget: int, *, md_seed: int = 0,
                 run_id: str | None = None, failure_value: str | float = "worst",
                 failure_fallback: float = 1.0, callback: Callable[[dict], None] | None = None,
                 n_workers: int = 1, executor=None, keep_pdfs: bool = False):
        if int(budget) < 1:
            raise ValueError(f"budget = {budget} must be >= 1 evaluation")
        if failure_value != "worst":
            try:
                failure_value = float(failure_value)
            except (TypeError, ValueError):
                raise ValueError(f"failure_value must be 'worst' or a number, got {failure_value!r}") from None
        self.space = space
        self.cost = cost
        self.budget = int(budget)
        self.md_seed = int(md_seed)
        self.run_id = run_id
        self.failure_value = failure_value
        self.failure_fallback = float(failure_fallback)
        self.callback = callback
        self.n_workers = max(1, int(n_workers))
        self.executor = executor
        self.keep_pdfs = bool(keep_pdfs)
        self._task = None  # what the executor runs (built on first use)
        self.phase: str | None = None
        #: soft cap on evaluations for the current phase (BO part of BO -> CG)
        self.limit: int | None = None
        #: one dict per counted evaluation, in order (see :meth:`_entry`)
        self.entries: list[dict] = []
        self._replay: list[Record] = []
        self._next_iteration = 0
        if isinstance(cost, CachedCost) and run_id is not None:
            rows = cost.store.records(run_id)
            rows.sort(key=lambda r: (r.iteration if r.iteration is not None else -1, r.id))
            self._replay = rows
            if rows:
                self._next_iteration = 1 + max(r.iteration if r.iteration is not None else -1 for r in rows)

    # ------------------------------------------------------------------ state
    @property
    def n_evals(self) -> int:
        return len(self.entries)

    @property
    def cap(self) -> int:
        return self.budget if self.limit is None else min(self.budget, self.limit)

    @property
    def remaining(self) -> int:
        return max(0, self.cap - self.n_evals)

    @property
    def n_replay_pending(self) -> int:
        return len(self._replay)

    def best(self, phase: str | None = None) -> dict | None:
        """Entry with the lowest finite R_x (optionally of one phase), or None."""
        ok = [e for e in self.entries if math.isfinite(e["R_x"]) and (phase is None or e["phase"] == phase)]
        return min(ok, key=lambda e: e["R_x"]) if ok else None

    @property
    def best_R_x(self) -> float:
        b = self.best()
        return b["R_x"] if b else float("nan")

    def penalized(self, R_x: float) -> float:
        """The value an optimizer sees for R_x now (failure policy applied)."""
        if math.isfinite(R_x):
            return float(R_x)
        return float(impute_failures([R_x] + [e["R_x"] for e in self.entries],
                                     self.failure_value, self.failure_fallback)[0])

    # ------------------------------------------------------------------ evaluation
    def _entry(self, u: np.ndarray, rec, replayed: bool, proposal: Mapping | None) -> dict:
        pdf = None
        if isinstance(rec, Record):
            status, reason, rx = rec.status, rec.reason, rec.R_x
            rid, cached = rec.id, rec.cached
            if rec.proposal and not proposal:
                proposal = rec.proposal
            if self.keep_pdfs and rec.ok:
                pdf = self.cost.store.get_pdf(rec.id)
        else:
            fields = result_fields(rec)
            status, reason, rx = fields["status"], fields["reason"], float(fields["R_x"])
            rid, cached = None, False
            pdf = fields["pdf"] if self.keep_pdfs else None
        if status != "ok" or not math.isfinite(rx):
            status, rx = "failed", float("nan")
            reason = reason or "non-finite R_x"
            pdf = None  # failures carry no PDFs
        entry = {
            "n": self.n_evals, "phase": self.phase, "u": np.asarray(u, dtype=float).copy(),
            "params": self.space.params(u), "status": status, "reason": reason, "R_x": rx,
            "y": self.penalized(rx), "record_id": rid, "cached": cached, "replayed": replayed,
            "proposal": dict(proposal) if proposal else None,
        }
        if pdf is not None:
            entry["pdf"] = pdf
        self.entries.append(entry)
        best = self.best()
        entry["best_R_x"] = best["R_x"] if best else float("nan")
        if self.callback is not None:
            self.callback(entry)
        return entry

    def _record_u(self, rec: Record) -> np.ndarray:
        if rec.u is not None and len(rec.u) == self.space.dim:
            return np.asarray(rec.u, dtype=float)
        return self.space.unit_of(rec.forcefield)

    def replay_phases(self) -> list:
        """Phase (optimizer label) of each stored row still to be re-played, in order."""
        return [r.optimizer for r in self._replay]

    def n_replay_leading(self, phase: str | None = None) -> int:
        """How many stored rows of ``phase`` lead the re-play queue."""
        n = 0
        for r in self._replay:
            if phase is not None and r.optimizer != phase:
                break
            n += 1
        return n

    def take_replay(self, phase: str | None = None, max_rows: int | None = None) -> list[dict]:
        """Count and return the stored rows of this run (only leading rows of ``phase`` if given, at most
        ``max_rows``) as entries, in their original order, for an ask/tell optimizer to ``tell``."""
        out = []
        while self._replay and (phase is None or self._replay[0].optimizer == phase):
            if self.n_evals >= self.cap or (max_rows is not None and len(out) >= max_rows):
                break
            rec = self._replay.pop(0)
            out.append(self._entry(self._record_u(rec), rec, True, rec.proposal))
        return out

    def abandon_replay(self, phase: str | None = None, why: str = "") -> list[dict]:
        """Stored rows that the re-play did not reach (leading rows of ``phase``, or all): counted against
        the budget as entries marked ``orphaned`` and returned (an ask/tell optimizer should tell them)."""
        n = self.n_replay_leading(phase)
        if n == 0:
            return []
        warnings.warn(f"run {self.run_id!r}: re-play diverged{' (' + why + ')' if why else ''}; {n} stored "
                      "evaluation(s) are counted against the budget and told as they are", RuntimeWarning,
                      stacklevel=3)
        out = []
        for _ in range(n):
            rec = self._replay.pop(0)
            e = self._entry(self._record_u(rec), rec, True, rec.proposal)
            e["orphaned"] = True
            out.append(e)
        return out

    def _match_replay(self, u: np.ndarray) -> Record | None:
        """Pop and return the stored row that answers the request at unit point ``u`` (same cache key)."""
        if not self._replay:
            return None
        key = self.cost.key(self.space.forcefield(u), self.md_seed)
        for i, rec in enumerate(self._replay):
            if rec.key == key:
                return self._replay.pop(i)
        return None

    def _prepare(self, u) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        if not self.space.contains_unit(u, tol=1e-9):
            raise ValueError(f"optimizer asked for {u.tolist()}, outside the unit box")
        return self.space.clip_unit(u)

    def evaluate(self, u, proposal: Mapping | None = None) -> dict:
        """Evaluate unit point ``u`` (inside [0, 1]^d) and return its entry: ``R_x`` (nan if failed),
        ``y`` (the penalized value), ``status``, ``reason``, ``params``, ``record_id``, ``best_R_x``...
        Raises :class:`BudgetExhausted` when no evaluation is left.

        While stored rows of a resumed run remain, a request with the same cache key as one of them is
        answered from it; a request matching none means the re-play diverged: the remaining rows are
        counted as orphaned (see :meth:`abandon_replay`)."""
        u = self._prepare(u)
        if self.n_evals >= self.cap:
            raise BudgetExhausted(f"budget of {self.cap} evaluations spent")
        rec = self._match_replay(u)
        if rec is not None:
            return self._entry(u, rec, True, proposal or rec.proposal)
        if self._replay:
            self.abandon_replay(None, f"asked for {self.space.params(u)}, stored next: {self._replay[0].free}")
            if self.n_evals >= self.cap:
                raise BudgetExhausted(f"budget of {self.cap} evaluations spent")
        ff = self.space.forcefield(u)
        return self._entry(u, self._call(ff, u, self._take_iteration(), proposal), False, proposal)

    def _take_iteration(self) -> int:
        it = self._next_iteration
        self._next_iteration += 1
        return it

    def _store_labels(self, u, iteration: int, proposal) -> dict:
        """How the store labels an evaluation of this run (see :meth:`CachedCost.__call__`)."""
        return dict(run_id=self.run_id, optimizer=self.phase, iteration=iteration, free=self.space.names,
                    u=[float(x) for x in u], proposal=proposal)

    def _call(self, ff, u, iteration: int, proposal):
        if isinstance(self.cost, CachedCost):
            return self.cost(ff, self.md_seed, **self._store_labels(u, iteration, proposal))
        return self.cost(ff, seed=self.md_seed)

    def evaluate_batch(self, U: Sequence, proposals: Sequence[Mapping | None] | None = None) -> list[dict]:
        """Evaluate several points and return their entries in the order of ``U``: on the ``executor``
        if one was given, else concurrently with ``n_workers`` threads. Points beyond the budget are
        dropped (the returned list is shorter). Points that match stored rows of a resumed run (in any
        order) are answered from them."""
        U = [self._prepare(u) for u in U]
        proposals = list(proposals) if proposals is not None else [None] * len(U)
        n = min(len(U), self.remaining)
        U, proposals = U[:n], proposals[:n]
        results: list = [None] * n
        new = []
        for i, u in enumerate(U):
            rec = self._match_replay(u)
            if rec is not None:
                results[i] = ("stored", rec)
            else:
                new.append(i)
        iters = {i: self._take_iteration() for i in new}
        ffs = {i: self.space.forcefield(U[i]) for i in new}
        if self.executor is not None and new:
            for i, r in self._run_on_executor(new, U, ffs, iters, proposals).items():
                results[i] = ("new", r)
        elif self.n_workers == 1 or len(new) <= 1:
            for i in new:
                results[i] = ("new", self._call(ffs[i], U[i], iters[i], proposals[i]))
        else:
            with ThreadPoolExecutor(max_workers=self.n_workers) as pool:
                futures = {i: pool.submit(self._call, ffs[i], U[i], iters[i], proposals[i]) for i in new}
                for i, f in futures.items():
                    results[i] = ("new", f.result())
        out = []
        for u, p, (kind, r) in zip(U, proposals, results):
            out.append(self._entry(u, r, kind == "stored", p or (r.proposal if kind == "stored" else None)))
        return out

    def _run_on_executor(self, new: list[int], U, ffs, iters, proposals) -> dict:
        """Fresh evaluations of a batch on ``self.executor``; store-backed: served from the store when
        possible, else computed remotely and appended here as each one finishes."""
        out = {}
        if isinstance(self.cost, CachedCost):
            labels = {i: self._store_labels(U[i], iters[i], proposals[i]) for i in new}
            todo = []
            for i in new:
                hit = self.cost.lookup(ffs[i], self.md_seed, **labels[i])
                if hit is not None:
                    out[i] = hit
                else:
                    todo.append(i)
            if todo:
                if self._task is None:
                    self._task = self.cost.task(self.executor)
                for done in self.executor.map(self._task, [ffs[i] for i in todo], self.md_seed, errors="return"):
                    i = todo[done.index]
                    out[i] = self.cost.record(ffs[i], self.md_seed, done.result, **labels[i])
            return out
        if self._task is None:
            self._task = self.executor.configure(self.cost)
        for done in self.executor.map(self._task, [ffs[i] for i in new], self.md_seed, errors="return"):
            out[new[done.index]] = done.result  # a TaskFailure is a failed entry (evaluate.result_fields)
        return out

    # ------------------------------------------------------------------ views
    def trace(self):
        """Entries as a pandas DataFrame (one row per evaluation; parameters as columns)."""
        import pandas as pd
        rows = []
        for e in self.entries:
            row = {k: v for k, v in e.items() if k not in ("u", "params", "proposal", "pdf")}
            row.update(e["params"])
            row.update({f"u_{n}": float(x) for n, x in zip(self.space.names, e["u"])})
            if e["proposal"]:
                row.update({f"proposal_{k}": v for k, v in e["proposal"].items() if not isinstance(v, (list, dict))})
            rows.append(row)
        return pd.DataFrame(rows)


def run_ask_tell(optimizer, objective: Objective, phase: str, batch_size: int = 1) -> str:
    """Generic driver: tell the stored rows of ``phase`` in whole batches (resume), then
    ask/evaluate/tell until the budget (or the objective's phase limit) is spent; asked points that
    match stored rows of an interrupted batch are answered from the store. Returns the stop reason."""
    objective.phase = phase
    batch_size = max(1, int(batch_size))
    n_full = objective.n_replay_leading(phase) // batch_size * batch_size
    for e in objective.take_replay(phase, max_rows=n_full):
        optimizer.tell(e["u"], e["R_x"], proposal=e["proposal"], entry=e)
    while objective.remaining > 0:
        k = max(1, min(batch_size, objective.remaining))
        U = optimizer.ask(k)
        props = optimizer.pending_proposals(U)
        try:
            entries = objective.evaluate_batch(U, props)
        except BudgetExhausted:
            break
        entries += objective.abandon_replay(phase, "an interrupted batch was proposed differently")
        for e in entries:
            optimizer.tell(e["u"], e["R_x"], proposal=e["proposal"], entry=e)
        if not entries:
            break
    return "budget"
