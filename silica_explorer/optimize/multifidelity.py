"""Multi-fidelity search: screen the whole box with cheap melts, refine the best distinct basins with
the fitting fidelity.

A global search at the fitting fidelity (``quick``, ~10 s per melt) cannot afford to look at the whole
7- or 10-parameter box, and then the start decides the answer. A ``tiny`` melt costs about a tenth of a
``quick`` one and ranks parameter sets almost as ``quick`` does (``benchmarks/fidelity_ranking.py``:
Spearman 0.99 over 42 points of the box and near the valley, top-10 recall 1.0, and it fails wherever
``quick`` fails), while its own R_x is biased and noisier (seed-to-seed 0.6 points). So:

1. **Screen** (:attr:`ScreenThenRefine.screen_optimizer`, default ``"bo"`` with the constrained failure
   policy: a GP on the successes and a GP classifier of where melts fail, EI x P(success)): a global
   search at the cheap fidelity, from the base set only (no preset starts), ``screen_budget`` melts.
2. **Promote**: the ``n_candidates`` best successful screen points that are at least ``min_distance``
   apart (L-infinity, unit coordinates) - distinct basins, not one basin sampled k times
   (:func:`distinct_best`).
3. **Refine** (:attr:`ScreenThenRefine.refine_optimizer`, default ``"turbo"``): trust-region BO at the
   fitting fidelity whose initial design is exactly the promoted candidates (no Sobol fill, no presets).

The budget is counted in fitting-fidelity melt equivalents: ``budget = screen_budget * cost_ratio +
refine_budget``, with ``cost_ratio`` the measured cost of one cheap melt in fitting-fidelity melts.
Both stages are ordinary :func:`~silica_explorer.optimize.driver.fit` runs in one store (run ids
``<run_id>-screen`` and ``<run_id>-refine``), so an interrupted search resumes exactly: the screen replays
its stored melts, the candidates follow deterministically from them, and the refine replays its own.

This is not in the optimizer registry: it needs two costs (one per fidelity), where a registry
optimizer runs on one.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..forcefield import ForceField
from .driver import FitResult, fit
from .space import SearchSpace


def distinct_best(entries: Sequence[Mapping], k: int, min_distance: float) -> list[dict]:
    """The ``k`` best successful entries (lowest finite ``R_x``) that lie at least ``min_distance`` apart in
    the L-infinity norm of unit coordinates (greedy, best first). Entries: dicts with ``u`` and ``R_x``
    (an :class:`~silica_explorer.optimize.objective.Objective`'s entries). Fewer than ``k`` when the
    successes do not hold ``k`` distinct ones."""
    if k < 1:
        raise ValueError(f"n_candidates = {k} must be >= 1")
    if not min_distance >= 0:
        raise ValueError(f"min_distance = {min_distance} must be >= 0 (unit coordinates)")
    ok = sorted((e for e in entries if math.isfinite(e["R_x"])), key=lambda e: e["R_x"])
    picked: list[dict] = []
    for e in ok:
        u = np.asarray(e["u"], dtype=float)
        if all(np.max(np.abs(u - np.asarray(p["u"]))) >= min_distance for p in picked):
            picked.append(e)
            if len(picked) == k:
                break
    return picked


@dataclasses.dataclass
class MultiFidelityResult:
    """Outcome of :meth:`ScreenThenRefine.fit`: the two stage runs, the promoted candidates and the budget.

    ``screen``, ``refine``: the stages' :class:`~silica_explorer.optimize.driver.FitResult`;
    ``candidates``: the promoted screen entries (``u``, ``params``, cheap ``R_x``); ``cost_ratio``: one
    cheap melt in fitting-fidelity melts; ``budget``: the total in fitting-fidelity melt equivalents.
    The best set is the refine stage's (screen R_x values are of another fidelity and never compared).
    """

    screen: FitResult
    refine: FitResult
    candidates: list[dict]
    cost_ratio: float
    budget: float

    @property
    def best_R_x(self) -> float:
        return self.refine.best_R_x

    @property
    def best_forcefield(self) -> ForceField | None:
        return self.refine.best_forcefield

    @property
    def spent(self) -> float:
        """Fitting-fidelity melt equivalents used: screen melts x cost ratio + refine melts."""
        return self.screen.n_evals * self.cost_ratio + self.refine.n_evals

    def summary(self) -> dict:
        return {"screen": self.screen.summary(), "refine": self.refine.summary(),
                "candidates": [{"params": dict(c["params"]), "screen_R_x": c["R_x"]} for c in self.candidates],
                "cost_ratio": self.cost_ratio, "budget": self.budget, "spent": self.spent,
                "best_R_x": None if not math.isfinite(self.best_R_x) else self.best_R_x}


class ScreenThenRefine:
    """Screen globally at a cheap fidelity, refine the best distinct candidates at the fitting fidelity
    (module docstring).

    Parameters
    ----------
    space : the :class:`SearchSpace`; its base set is the screen's one start.
    screen_budget : cheap melts of the screen.
    n_candidates : distinct screen points promoted to the refine stage.
    min_distance : least L-infinity distance (unit coordinates) between promoted candidates.
    screen_optimizer, screen_options : registry name and options of the screen (default ``"bo"``,
        constrained failure policy, no preset starts).
    refine_optimizer, refine_options : the same for the refine stage (default ``"turbo"``); its initial
        design is the candidates.
    random_state : seed of both stages.
    """

    name = "screen+refine"

    def __init__(self, space: SearchSpace, screen_budget: int = 200, n_candidates: int = 4,
                 min_distance: float = 0.15, screen_optimizer: str = "bo", screen_options: Mapping | None = None,
                 refine_optimizer: str = "turbo", refine_options: Mapping | None = None, random_state: int = 0):
        if int(screen_budget) < 1:
            raise ValueError(f"screen_budget = {screen_budget} must be >= 1 cheap melts")
        if int(n_candidates) < 1:
            raise ValueError(f"n_candidates = {n_candidates} must be >= 1")
        if not 0 <= float(min_distance) <= 1:
            raise ValueError(f"min_distance = {min_distance} must be in [0, 1] (unit coordinates)")
        self.space = space
        self.screen_budget = int(screen_budget)
        self.n_candidates = int(n_candidates)
        self.min_distance = float(min_distance)
        self.screen_optimizer = screen_optimizer
        self.screen_options = {"preset_starts": False, "failure_policy": "constrained", **dict(screen_options or {})}
        self.refine_optimizer = refine_optimizer
        self.refine_options = dict(refine_options or {})
        self.random_state = int(random_state)

    def get_params(self) -> dict:
        return {"screen_budget": self.screen_budget, "n_candidates": self.n_candidates,
                "min_distance": self.min_distance, "screen_optimizer": self.screen_optimizer,
                "screen_options": self.screen_options, "refine_optimizer": self.refine_optimizer,
                "refine_options": self.refine_options, "random_state": self.random_state}

    def refine_budget(self, budget: float, cost_ratio: float) -> int:
        """Fitting-fidelity melts left for the refine stage: ``floor(budget - screen_budget * cost_ratio)``;
        ValueError naming the field when that is fewer than the candidates."""
        if not 0 < cost_ratio <= 1:
            raise ValueError(f"cost_ratio = {cost_ratio} must be in (0, 1]: one cheap melt in fitting-fidelity melts")
        left = math.floor(float(budget) - self.screen_budget * cost_ratio + 1e-9)
        if left < self.n_candidates:
            raise ValueError(f"budget = {budget} fitting-fidelity melts leaves {left} after a screen of "
                             f"{self.screen_budget} cheap melts x {cost_ratio:g}; need at least n_candidates = "
                             f"{self.n_candidates}: raise budget or lower screen_budget")
        return left

    def fit(self, screen_cost: Callable, cost: Callable, budget: float, cost_ratio: float, *,
            md_seed: int | None = None, store: Any = None, run_id: str | None = None, n_workers: int = 1,
            executor=None, callback: Callable[[str, dict], None] | None = None) -> MultiFidelityResult:
        """Run both stages. ``screen_cost``/``cost``: evaluators (or :class:`~silica_explorer.store.CachedCost`)
        at the cheap and the fitting fidelity; ``budget`` in fitting-fidelity melt equivalents;
        ``cost_ratio``: one cheap melt in fitting-fidelity melts (measured: ``benchmarks/fidelity_ranking.py``).
        ``callback(stage, entry)`` after every evaluation, ``stage`` being ``"screen"`` or ``"refine"``."""
        n_refine = self.refine_budget(budget, cost_ratio)
        run_id = run_id or f"screen-refine_{'-'.join(self.space.names)}_{self.space.base.name}_s{self.random_state}"
        common = dict(seed=self.random_state, md_seed=md_seed, store=store, n_workers=n_workers, executor=executor)
        screen = fit(screen_cost, self.space, self.screen_optimizer, self.screen_budget, run_id=f"{run_id}-screen",
                     options=self.screen_options, callback=(lambda e: callback("screen", e)) if callback else None,
                     extra_config={"multifidelity": {**self.get_params(), "stage": "screen", "budget": budget,
                                                     "cost_ratio": cost_ratio}}, **common)
        candidates = distinct_best(screen.objective.entries, self.n_candidates, self.min_distance)
        if not candidates:
            raise RuntimeError(f"the screen ({self.screen_budget} cheap melts) found no successful melt to refine; "
                               "every melt failed - check the box and the base set")
        options = {"preset_starts": False, **self.refine_options,
                   "initial_points": [np.asarray(c["u"]).tolist() for c in candidates],
                   "n_initial": len(candidates), "starts_fill_design": True}
        refine = fit(cost, self.space, self.refine_optimizer, n_refine, run_id=f"{run_id}-refine", options=options,
                     callback=(lambda e: callback("refine", e)) if callback else None,
                     extra_config={"multifidelity": {**self.get_params(), "stage": "refine", "budget": budget,
                                                     "cost_ratio": cost_ratio, "screen_run": f"{run_id}-screen"}},
                     **common)
        return MultiFidelityResult(screen, refine, candidates, float(cost_ratio), float(budget))
