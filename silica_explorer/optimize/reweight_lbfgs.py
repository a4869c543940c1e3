"""L-BFGS-B refinement with gradients by trajectory reweighting: one melt per value *and* gradient.

Finite-difference CG (:class:`~silica_explorer.optimize.cg.ConjugateGradient`) pays d + 1 melts per
gradient (2 d + 1 central). Here every evaluation is one melt with dense frames
(``LammpsEngine(gradient_frames_every=N)``); R_x is the engine's cost of that melt and dR_x/dtheta comes
from the same frames (:class:`~silica_explorer.reweight.ReweightGradient`). ``scipy.optimize.minimize``
(L-BFGS-B) runs in the unit box of the :class:`~silica_explorer.optimize.space.SearchSpace`, whose bounds
it respects exactly (gradient chain rule: dR_x/du_i = dR_x/dtheta_i (high_i - low_i)).

A failed melt (blow-up) is recorded with its reason; the optimizer then sees the worst finite R_x of the
run (1.0 before any) with a zero gradient, so the line search backs off. The run stops at the melt budget
(status "budget"), at convergence, or when scipy's line search gives up on the noisy cost ("stuck").
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy.optimize import minimize

from ..evaluate import Evaluator
from ..reweight import ReweightGradient
from .space import SearchSpace


class _Budget(Exception):
    pass


class ReweightLBFGS:
    """L-BFGS-B on R_x with reweighting gradients (see the module docstring).

    Parameters
    ----------
    space : the :class:`SearchSpace` (free parameters, bounds, base forcefield).
    x0 : start as a unit point, ForceField or parameter dict (default the space's base, clipped).
    n_blocks : jackknife blocks of :class:`ReweightGradient` (only for the reported gradient errors).
    gtol : projected-gradient tolerance in R_x per unit box.
    maxcor : L-BFGS memory.

    Attributes after :meth:`run`: ``path_`` (one dict per melt: n_melts, u, params, R_x, status, reason,
    gradient, gradient_err, wall_s), ``x_``/``fun_`` best point and R_x, ``n_melts_``, ``stop_reason_``,
    ``message_``.
    """

    name = "lbfgs-reweight"

    def __init__(self, space: SearchSpace, x0=None, n_blocks: int = 8, gtol: float = 1e-4, maxcor: int = 5):
        self.space = space
        self.x0 = x0
        self.n_blocks = int(n_blocks)
        self.gtol = float(gtol)
        self.maxcor = int(maxcor)
        self.path_: list[dict] = []
        self.x_ = self.fun_ = self.stop_reason_ = self.message_ = None
        self.n_melts_ = 0

    def start_unit(self) -> np.ndarray:
        return self.space.start_unit(self.x0)

    def run(self, evaluator: Evaluator, budget: int, seed: int = 0) -> str:
        """Minimize with at most ``budget`` melts of ``evaluator`` (whose engine must store dense frames,
        e.g. ``LammpsEngine(gradient_frames_every=10)``), MD seed ``seed`` for every melt."""
        if int(budget) < 1:
            raise ValueError(f"budget = {budget} must be >= 1 melt")
        space = self.space
        grad_of = ReweightGradient(evaluator.reference, space.names, n_blocks=self.n_blocks,
                                   r_range=evaluator.r_range, align=evaluator.align)
        scale = space.upper - space.lower
        memo: dict[tuple, tuple[float, np.ndarray]] = {}
        self.path_ = []

        def fun(u):
            u = space.clip_unit(np.asarray(u, dtype=float))
            key = tuple(np.round(u, 12))
            if key in memo:
                return memo[key]
            if len(self.path_) >= budget:
                raise _Budget()
            t = time.perf_counter()
            ev = evaluator(space.forcefield(u), seed=seed)
            entry = {"n_melts": len(self.path_) + 1, "u": u.tolist(), **space.params(u), "status": ev.status,
                     "reason": ev.reason, "R_x": ev.R_x, "gradient": None, "gradient_err": None}
            if ev.ok and math.isfinite(ev.R_x):
                g = grad_of(ev.melt)
                entry["gradient"] = g.gradient.values.tolist()
                entry["gradient_err"] = g.gradient_err.values.tolist()
                value, grad_u = ev.R_x, g.gradient.values * scale
            else:
                finite = [e["R_x"] for e in self.path_ if math.isfinite(e["R_x"])]
                value, grad_u = (max(finite) if finite else 1.0), np.zeros(space.dim)
                entry["R_x"] = float("nan")
            entry["wall_s"] = time.perf_counter() - t
            self.path_.append(entry)
            memo[key] = (float(value), np.asarray(grad_u, dtype=float))
            return memo[key]

        try:
            res = minimize(fun, self.start_unit(), jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * space.dim,
                           options={"gtol": self.gtol, "maxcor": self.maxcor, "maxfun": 10 * budget})
            self.stop_reason_ = "converged" if res.success else "stuck"
            self.message_ = str(res.message)
        except _Budget:
            self.stop_reason_ = "budget"
            self.message_ = f"budget of {budget} melts spent"
        self.n_melts_ = len(self.path_)
        ok = [e for e in self.path_ if math.isfinite(e["R_x"])]
        if ok:
            best = min(ok, key=lambda e: e["R_x"])
            self.x_, self.fun_ = np.asarray(best["u"]), best["R_x"]
        return self.stop_reason_
