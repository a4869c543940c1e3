"""The one-call fit driver: :func:`fit` runs an optimizer (by registry name or as an object) against a
cost on a budget, with a durable store, resume and provenance, and returns a :class:`FitResult`."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from .. import __version__
from ..forcefield import ForceField
from ..store import CachedCost, Store
from .objective import Objective
from .registry import make_optimizer
from .space import SearchSpace
from .validation import check_fit_inputs


@dataclasses.dataclass
class FitResult:
    """Outcome of :func:`fit`.

    ``best_R_x`` (fraction), ``best_params`` (free parameters), ``best_forcefield``, ``best_record_id``
    (row in the store, or None), ``n_evals``, ``stop_reason`` (budget / converged / stuck),
    ``optimizer`` (the optimizer object: ``gp_``, ``history``, ``path_``...), ``objective`` (all
    entries: :meth:`trace`), ``run_id``, ``store`` (path or None), ``resumed``.
    """

    run_id: str | None
    optimizer_name: str
    optimizer: Any
    objective: Objective
    space: SearchSpace
    stop_reason: str
    resumed: bool
    store: str | None

    @property
    def best(self) -> dict | None:
        return self.objective.best()

    @property
    def best_R_x(self) -> float:
        return self.objective.best_R_x

    @property
    def best_params(self) -> dict | None:
        b = self.best
        return None if b is None else dict(b["params"])

    @property
    def best_forcefield(self) -> ForceField | None:
        b = self.best
        return None if b is None else self.space.forcefield(b["u"], name=f"fit {self.run_id or self.optimizer_name}")

    @property
    def best_record_id(self) -> int | None:
        b = self.best
        return None if b is None else b["record_id"]

    @property
    def n_evals(self) -> int:
        return self.objective.n_evals

    def trace(self):
        return self.objective.trace()

    def best_so_far(self) -> np.ndarray:
        """Best finite R_x after each evaluation (nan before the first success)."""
        return np.array([e["best_R_x"] for e in self.objective.entries])

    def evals_to_target(self, target: float) -> int | None:
        """Evaluations until the best R_x first reached ``<= target`` (None if never)."""
        for e in self.objective.entries:
            if math.isfinite(e["best_R_x"]) and e["best_R_x"] <= target:
                return e["n"] + 1
        return None

    def summary(self) -> dict:
        return {"run_id": self.run_id, "optimizer": self.optimizer_name, "n_evals": self.n_evals,
                "n_failed": sum(e["status"] != "ok" for e in self.objective.entries),
                "stop_reason": self.stop_reason, "best_R_x": None if not math.isfinite(self.best_R_x) else self.best_R_x,
                "best_params": self.best_params, "best_record_id": self.best_record_id,
                "best_forcefield": None if self.best_forcefield is None else self.best_forcefield.as_dict()}


def default_run_id(optimizer: str, space: SearchSpace, seed: int, fidelity: str | None = None) -> str:
    parts = [optimizer.replace("+", ""), "-".join(space.names), space.base.name.replace(" ", "_")]
    if fidelity:
        parts.append(fidelity)
    parts.append(f"s{seed}")
    return "_".join(parts)


def fit(evaluator: Callable, space: SearchSpace, optimizer: str | Any = "bo", budget: int = 20, *,
        seed: int = 0, md_seed: int | None = None, store: Store | str | Path | None = None,
        run_id: str | None = None, resume: bool = True, options: Mapping | None = None,
        failure_value: str | float = "worst", callback: Callable[[dict], None] | None = None,
        n_workers: int = 1, executor=None, extra_config: Mapping | None = None) -> FitResult:
    """Run one optimization of ``evaluator`` over ``space`` with ``budget`` evaluations.

    ``evaluator``: an :class:`~silica_explorer.evaluate.Evaluator`, a stand-in callable
    ``(forcefield, seed=...) -> mapping | float``, or a :class:`~silica_explorer.store.CachedCost`.
    ``optimizer``: a name from :data:`~silica_explorer.optimize.registry.OPTIMIZERS` (built with ``random_state=seed`` and ``options``) or
    an optimizer object. ``md_seed``: MD seed of every evaluation (default ``seed``).
    ``store``: a :class:`Store` or directory; every evaluation is then appended at once and the run is
    registered under ``run_id`` (default from optimizer, free names, base, seed). With ``resume=True``
    (default) an existing run of that id is continued (its evaluations re-played, none re-run); with
    ``resume=False`` an existing id is an error. ``callback(entry)`` after each evaluation.
    Batches (BO/random ``batch_size`` > 1, CG's finite-difference points) run on ``executor`` (a
    :mod:`silica_explorer.parallel` executor, e.g. Dask on a cluster) if given, else on ``n_workers``
    threads of this process; results are stored here as each one finishes.

    Bad input fails before any evaluation and before the store registers the run
    (:func:`~silica_explorer.optimize.validation.check_fit_inputs`): budget, seeds, workers, failure value,
    optimizer name and options, and a start outside the box (``"cg"`` from a base set outside the bounds).
    """
    checked = check_fit_inputs(space, optimizer, budget, seed=seed, md_seed=md_seed, failure_value=failure_value,
                               n_workers=n_workers, options=options)
    budget, seed, n_workers, failure_value = (checked[k] for k in ("budget", "seed", "n_workers", "failure_value"))
    md_seed = seed if checked["md_seed"] is None else checked["md_seed"]
    if isinstance(optimizer, str):
        opt_name = optimizer
        opt = make_optimizer(optimizer, space, random_state=seed, **dict(options or {}))
    else:
        opt, opt_name = optimizer, getattr(optimizer, "name", type(optimizer).__name__)
    cost = evaluator
    store_obj = None
    if isinstance(evaluator, CachedCost):
        store_obj = evaluator.store
    elif store is not None:
        store_obj = store if isinstance(store, Store) else Store(store)
        cost = CachedCost(evaluator, store_obj)
    resumed = False
    if store_obj is not None:
        run_id = run_id or default_run_id(opt_name, space, seed)
        ident = cost.identity()
        config = {
            "silica_explorer_version": __version__, "optimizer": opt_name,
            "optimizer_options": opt.get_params() if hasattr(opt, "get_params") else None,
            "space": space.as_dict(), "budget": int(budget), "seed": int(seed), "md_seed": md_seed,
            "failure_value": failure_value, "fidelity": ident.get("fidelity"),
            "reference": ident.get("reference"), "reference_id": ident.get("reference_id"),
            "cost_options": {k: ident.get(k) for k in ("r_range", "align") if k in ident},
            "engine_version": cost.engine_version(), **dict(extra_config or {}),
            "_volatile": ["silica_explorer_version", "engine_version", "n_workers", "executor", "optimizer_auto"],
        }
        resumed = store_obj.start_run(run_id, opt_name, config, resume=resume)
    objective = Objective(space, cost, budget, md_seed=md_seed, run_id=run_id if store_obj is not None else None,
                          failure_value=failure_value, callback=callback, n_workers=n_workers,
                          executor=executor)
    try:
        reason = opt.run(objective)
    except BaseException:
        if store_obj is not None:
            store_obj.finish_run(run_id, "interrupted")
        raise
    result = FitResult(run_id=run_id, optimizer_name=opt_name, optimizer=opt, objective=objective, space=space,
                       stop_reason=reason, resumed=resumed, store=str(store_obj.path) if store_obj is not None else None)
    if store_obj is not None:
        store_obj.finish_run(run_id, "finished", result.summary())
    return result
