"""Conjugate-gradient minimization of the cost with finite-difference gradients.

``scipy.optimize.minimize(method="CG")`` (Polak-Ribiere nonlinear CG) on the same objective and the
same evaluation budget as BO. The gradient is estimated by finite differences with step ``fd_step``
in unit-box coordinates (``"forward"``: d extra evaluations per gradient; ``"central"``: 2 d); every
function value and every finite-difference point is one evaluation against the budget; the points of
one gradient are independent and are evaluated as one batch (in parallel when the objective has an
executor or several workers). A point already evaluated in this run (by CG, or by BO before a CG
refinement) is answered from memory and not counted again. When the budget is
spent, the objective raises :class:`~silica_explorer.optimize.objective.BudgetExhausted`, which
:meth:`ConjugateGradient.run` catches: the run stops cleanly and keeps the best point found.

**Bounds** (CG itself is unconstrained) are respected by *clipping*: CG moves a variable ``v`` in R^d,
the cost is always evaluated at ``clip(v, 0, 1)`` (so no evaluation ever leaves the search box), and
``boundary_penalty * |v - clip(v)|^2`` is added to the value CG sees so that it is pushed back inside.
Finite differences at a face of the box step inwards (one-sided) so they never leave the box either.

On a rough, noisy landscape the finite-difference gradient mostly measures ripples and noise; CG then
stops early (line-search failure / "precision loss"), which is the paper's point: it gets stuck.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from .objective import BudgetExhausted, Objective
from .space import SearchSpace


class ConjugateGradient:
    """Nonlinear CG with finite-difference gradients; see the module docstring.

    Parameters
    ----------
    space : the :class:`SearchSpace`.
    x0 : start as a unit point, a ForceField or a parameter dict (default: the space's base forcefield,
        clipped into the box).
    fd_step : finite-difference step in unit-box coordinates (default 0.02 = 2 % of each range).
    fd_scheme : ``"forward"`` or ``"central"``.
    gtol : CG's gradient-norm tolerance (cost units per unit box).
    maxiter : maximum CG iterations (default: until the budget or convergence stops it).
    boundary_penalty : weight of the quadratic penalty outside the box.

    Attributes after :meth:`run`: ``path_`` (one dict per CG iterate: n_evals, u, params, R_x),
    ``x_``/``fun_`` (final iterate and its cost), ``stop_reason_`` and ``message_``, ``result_``
    (scipy's OptimizeResult, None when stopped by the budget).
    """

    name = "cg"

    def __init__(self, space: SearchSpace, x0=None, fd_step: float = 0.02, fd_scheme: str = "forward",
                 gtol: float = 1e-5, maxiter: int | None = None, boundary_penalty: float = 10.0):
        if not 0 < fd_step < 0.5:
            raise ValueError(f"fd_step = {fd_step} must be in (0, 0.5) unit-box coordinates")
        if fd_scheme not in ("forward", "central"):
            raise ValueError(f"fd_scheme must be 'forward' or 'central', got {fd_scheme!r}")
        self.space = space
        self.x0 = x0
        self.fd_step = float(fd_step)
        self.fd_scheme = fd_scheme
        self.gtol = float(gtol)
        self.maxiter = maxiter
        self.boundary_penalty = float(boundary_penalty)
        self.path_: list[dict] = []
        self.result_ = None
        self.stop_reason_ = None
        self.message_ = None
        self.x_ = None
        self.fun_ = None

    def get_params(self) -> dict:
        x0 = self.x0
        if x0 is not None and not isinstance(x0, (list, tuple, np.ndarray)):
            x0 = self.start_unit(x0).tolist()
        return {"x0": None if x0 is None else np.asarray(x0, dtype=float).tolist(), "fd_step": self.fd_step,
                "fd_scheme": self.fd_scheme, "gtol": self.gtol, "maxiter": self.maxiter,
                "boundary_penalty": self.boundary_penalty}

    def start_unit(self, x0=None) -> np.ndarray:
        return self.space.start_unit(self.x0 if x0 is None else x0)

    def run(self, objective: Objective, phase: str | None = None, x0=None) -> str:
        """Minimize from ``x0`` (default ``self.x0``) until convergence, a CG stop, or the budget."""
        objective.phase = phase or self.name
        space, h = self.space, self.fd_step
        self.path_ = []

        def point_key(c: np.ndarray) -> tuple:  # the parameter values, as the store's cache key sees them
            return tuple(space.from_unit(c).tolist())

        # points this run already evaluated (e.g. BO's best before CG refinement) cost nothing again
        memo: dict[tuple, float] = {point_key(e["u"]): e["y"] for e in objective.entries}

        def F(c: np.ndarray, kind: str) -> float:
            return F_many([(c, kind)])[0]

        def F_many(points: list) -> list[float]:
            """Values at several unit points; the ones not yet known are evaluated as one batch (in
            parallel on the objective's executor or threads), in the order given."""
            todo, seen = [], set()
            for c, kind in points:
                k = point_key(c)
                if k not in memo and k not in seen:
                    seen.add(k)
                    todo.append((c, kind))
            if todo:
                entries = objective.evaluate_batch([c for c, _ in todo],
                                                   [{"kind": kind, "fd_step": h} for _, kind in todo])
                for e, (c, _) in zip(entries, todo):
                    memo[point_key(c)] = e["y"]
                if len(entries) < len(todo):
                    raise BudgetExhausted(f"budget of {objective.cap} evaluations spent")
            return [memo[point_key(c)] for c, _ in points]

        def fun_and_grad(v):
            """Value and finite-difference gradient; the d + 1 (forward) or 2 d + 1 (central) points of
            one gradient are independent and evaluated as one batch."""
            v = np.asarray(v, dtype=float)
            c = space.clip_unit(v)
            outside = v - c
            points, plan = [(c, "cg-point")], []
            for i in range(space.dim):
                step = h if c[i] + h <= 1.0 else -h
                cp = c.copy()
                cp[i] = np.clip(c[i] + step, 0.0, 1.0)
                points.append((cp, "cg-fd"))
                if self.fd_scheme == "central" and 0.0 <= c[i] - step <= 1.0:
                    cm = c.copy()
                    cm[i] = c[i] - step
                    points.append((cm, "cg-fd"))
                    plan.append((len(points) - 2, len(points) - 1, 2 * step))
                else:
                    plan.append((len(points) - 1, 0, cp[i] - c[i]))
            values = F_many(points)
            g = np.array([(values[a] - values[b]) / den for a, b, den in plan])
            val = values[0] + self.boundary_penalty * float(outside @ outside)
            return val, g + 2.0 * self.boundary_penalty * outside

        def record_iterate(v):
            c = space.clip_unit(v)
            y = memo.get(point_key(c))
            self.path_.append({"iteration": len(self.path_), "n_evals": objective.n_evals, "u": c.tolist(),
                               **space.params(c), "y": y})

        start = self.start_unit(x0)
        try:
            F(start, "cg-point")
            record_iterate(start)
            options = {"gtol": self.gtol}
            if self.maxiter is not None:
                options["maxiter"] = int(self.maxiter)
            res = minimize(fun_and_grad, start, jac=True, method="CG", callback=record_iterate, options=options)
            self.result_ = res
            self.message_ = str(res.message)
            self.stop_reason_ = "converged" if res.success else "stuck"
            self.x_, self.fun_ = space.clip_unit(res.x), float(res.fun)
        except BudgetExhausted as exc:
            self.message_ = str(exc)
            self.stop_reason_ = "budget"
            if self.path_:
                self.x_ = np.asarray(self.path_[-1]["u"])
                self.fun_ = self.path_[-1]["y"]
        return self.stop_reason_

    def path_frame(self):
        import pandas as pd
        return pd.DataFrame(self.path_)
