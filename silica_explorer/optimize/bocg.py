"""BO then CG: a GP optimizer (global BO or TuRBO) for the first part of the budget, then conjugate
gradient from its best point (the paper's pipeline; names ``bo+cg`` and ``turbo+cg`` in
:mod:`~silica_explorer.optimize.registry`)."""

from __future__ import annotations

from typing import Mapping

from .bayes import BayesianOptimizer
from .cg import ConjugateGradient
from .feasibility import ConstrainedBayesianOptimizer, check_failure_policy
from .objective import Objective
from .space import SearchSpace
from .turbo import TurboOptimizer


def make_bo(space: SearchSpace, kind: str = "bo", random_state: int = 0, **options):
    """The global (``"bo"``) or trust-region (``"turbo"``) GP optimizer; ``failure_policy``
    (``"impute"`` / ``"constrained"``) picks :class:`BayesianOptimizer` or its constrained-EI subclass."""
    if kind == "turbo":
        return TurboOptimizer(space, random_state=random_state, **options)
    if kind != "bo":
        raise ValueError(f"first stage must be 'bo' or 'turbo', got {kind!r}")
    policy = check_failure_policy(options.pop("failure_policy", "impute"))
    if policy == "constrained" or "feasibility" in options:
        return ConstrainedBayesianOptimizer(space, failure_policy=policy, random_state=random_state, **options)
    return BayesianOptimizer(space, random_state=random_state, **options)


class BOThenCG:
    """BO for the first part of the budget, then CG refinement from BO's best point (the paper's
    pipeline). ``bo_budget`` evaluations (default ``round(bo_fraction * budget)``) go to BO; CG gets the
    rest, and stops earlier if it converges or gets stuck.

    Attributes after :meth:`run`: ``bo`` (the :class:`BayesianOptimizer`), ``cg`` (the
    :class:`ConjugateGradient`), ``stop_reason_``.
    """

    name = "bo+cg"

    def __init__(self, space: SearchSpace, bo_fraction: float = 0.7, bo_budget: int | None = None,
                 bo_options: Mapping | None = None, cg_options: Mapping | None = None, random_state: int = 0,
                 first: str = "bo"):
        if not 0 < bo_fraction <= 1:
            raise ValueError(f"bo_fraction = {bo_fraction} must be in (0, 1]")
        self.space = space
        self.bo_fraction = float(bo_fraction)
        self.bo_budget = bo_budget
        self.bo_options = dict(bo_options or {})
        self.cg_options = dict(cg_options or {})
        self.random_state = int(random_state)
        self.first = first
        self.bo = make_bo(space, first, random_state=random_state, **self.bo_options)
        self.name = f"{self.bo.name}+cg"
        self.cg = None
        self.stop_reason_ = None

    def get_params(self) -> dict:
        return {"bo_fraction": self.bo_fraction, "bo_budget": self.bo_budget, "first": self.first,
                "bo": self.bo.get_params(),
                "cg": ConjugateGradient(self.space, **self.cg_options).get_params()}

    def run(self, objective: Objective) -> str:
        n_bo = self.bo_budget if self.bo_budget is not None else max(1, round(self.bo_fraction * objective.budget))
        phases = objective.replay_phases()
        first = self.bo.name
        if "cg" in phases:  # resumed after BO had ended: keep BO's share as it was (even if budget grew)
            n_bo = phases.count(first)
        objective.limit = min(n_bo, objective.budget)
        try:
            self.bo.run(objective, phase=first)
        finally:
            objective.limit = None
        best = objective.best(phase=first)
        x0 = best["u"] if best is not None else None
        self.cg = ConjugateGradient(self.space, x0=x0, **self.cg_options)
        if objective.remaining == 0:
            self.stop_reason_ = "budget"
            return self.stop_reason_
        self.stop_reason_ = self.cg.run(objective, phase="cg")
        return self.stop_reason_

    @property
    def gp_(self):
        return self.bo.gp_

    def predict(self, X, **kw):
        return self.bo.predict(X, **kw)
