"""Bayesian optimization: Gaussian-process regression of the cost + expected improvement (EI).

The method of Liu et al. (2019): fit a GP to all evaluated points, choose the next parameter set where
the expected improvement over the best cost so far is largest, evaluate it, repeat.

Model: scikit-learn ``GaussianProcessRegressor`` on the cost (or, with ``y_transform="log"``, on
log R_x, which tames the large costs far from the basin) with kernel
``ConstantKernel * Matern(nu=2.5, anisotropic length scales) + WhiteKernel`` (the white term is the
MD noise), inputs in the unit box [0, 1]^d, targets standardized (``normalize_y=True``), kernel
hyperparameters by maximum marginal likelihood with ``n_restarts_optimizer`` random restarts. Failed
evaluations enter the fit with the imputed value of the failure policy
(:func:`~silica_explorer.optimize.objective.impute_failures`, default: worst finite R_x so far).

Acquisition: EI for minimization, ``EI(u) = (y* - mu - xi') Phi(z) + s phi(z)``, ``z = (y* - mu - xi') / s``,
with ``y*`` the lowest observed (imputed) cost, ``mu``/``s`` the GP mean and latent standard deviation
(the white-noise part excluded), and ``xi' = xi * std(y)`` (``xi`` is in units of the spread of the
observed costs). Maximized by multi-start L-BFGS-B inside the unit box: the ``n_ei_starts`` best of
``n_candidates`` random points plus the best observed points are polished.

Initial design: ``n_initial`` space-filling points (scrambled Sobol or Latin hypercube from
``scipy.stats.qmc``, seeded), after any ``initial_points`` given explicitly (e.g. the base forcefield).
Batches (``ask(k)``, k > 1): constant liar - after each pick the GP (same hyperparameters) is refitted
with a fake observation ``liar`` ("min", "mean" or "max" of the observed costs) at the picked point.

Everything is deterministic given ``random_state`` and the told data: the random numbers of a proposal
are drawn from ``default_rng([random_state, n_told, k])``, so a resumed run continues exactly.
"""

from __future__ import annotations

import warnings
from typing import Mapping, Sequence

import numpy as np
from scipy.optimize import minimize
from scipy.stats import norm, qmc

from .objective import Objective, impute_failures, run_ask_tell
from .space import SearchSpace


def _single_thread_blas():
    """Small GP matrices gain nothing from BLAS threads, and on a busy machine OpenBLAS threads spin
    (measured 10x slower proposals on 2 loaded cores); single-threaded BLAS is also bitwise repeatable."""
    try:
        from threadpoolctl import threadpool_limits
        return threadpool_limits(limits=1, user_api="blas")
    except ImportError:  # pragma: no cover (threadpoolctl ships with scikit-learn)
        import contextlib
        return contextlib.nullcontext()


def expected_improvement(mean, std, y_best: float, xi: float = 0.0) -> np.ndarray:
    """EI for minimization (arrays of GP mean and std; same units as ``y_best`` and ``xi``)."""
    mean = np.asarray(mean, dtype=float)
    std = np.maximum(np.asarray(std, dtype=float), 1e-12)
    imp = y_best - mean - xi
    z = imp / std
    return np.maximum(imp * norm.cdf(z) + std * norm.pdf(z), 0.0)


def initial_design(n: int, dim: int, kind: str = "sobol", seed: int = 0) -> np.ndarray:
    """``n`` space-filling points in [0, 1]^dim: ``"sobol"`` (scrambled), ``"lhs"`` or ``"random"``."""
    if n <= 0:
        return np.zeros((0, dim))
    if kind == "sobol":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # balance warning for n not a power of 2
            return qmc.Sobol(dim, scramble=True, seed=seed).random(n)
    if kind == "lhs":
        return qmc.LatinHypercube(dim, seed=seed).random(n)
    if kind == "random":
        return np.random.default_rng(seed).random((n, dim))
    raise ValueError(f"initial_design must be 'sobol', 'lhs' or 'random', got {kind!r}")


class BayesianOptimizer:
    """GP + expected-improvement Bayesian optimization with an ask/tell interface.

    Parameters
    ----------
    space : the :class:`SearchSpace`.
    n_initial : size of the space-filling initial design (default ``max(5, 2 d + 1)``).
    initial_design : ``"sobol"`` (default), ``"lhs"`` or ``"random"``.
    initial_points : unit points (or forcefields / parameter dicts) evaluated before the design.
    xi : EI exploration margin, in units of the standard deviation of the observed costs.
    n_restarts_optimizer : restarts of the GP marginal-likelihood optimization.
    n_candidates, n_ei_starts : random candidates scored by EI, and how many of the best are polished
        by L-BFGS-B.
    batch_size : points per ``ask()`` in :meth:`run` (constant liar for > 1).
    liar : "min" (default), "mean" or "max" - the fake value of the constant liar.
    failure_value, failure_fallback : imputation of failed evaluations for the fit (see
        :func:`~silica_explorer.optimize.objective.impute_failures`).
    length_scale_bounds, noise_bounds : kernel hyperparameter bounds (unit-box lengths; noise variance
        in standardized units).
    y_transform : ``"none"`` (GP on R_x) or ``"log"`` (GP on log R_x; EI then in log units;
        :meth:`predict` returns exp(mean) and the delta-method std in R_x units).
    random_state : seed of the design, GP restarts and EI starts.

    Attributes after fitting: ``gp_`` (the fitted regressor), ``kernel_`` (its fitted kernel),
    ``X_`` (told unit points), ``y_`` (told costs, nan = failed), ``history`` (one dict per proposal
    or told point: kind, u, params, ei, mean, std, R_x, status), :meth:`history_frame`.
    """

    name = "bo"

    def __init__(self, space: SearchSpace, n_initial: int | None = None, initial_design: str = "sobol",
                 initial_points: Sequence | None = None, xi: float = 0.01, n_restarts_optimizer: int = 5,
                 n_candidates: int = 2000, n_ei_starts: int = 8, batch_size: int = 1, liar: str = "min",
                 failure_value: str | float = "worst", failure_fallback: float = 1.0,
                 length_scale_bounds: tuple[float, float] = (1e-2, 1e1),
                 noise_bounds: tuple[float, float] = (1e-6, 1.0), y_transform: str = "none",
                 random_state: int = 0):
        self.space = space
        self.n_initial = int(n_initial) if n_initial is not None else max(5, 2 * space.dim + 1)
        self.initial_design = initial_design
        self.initial_points = [self._as_unit(p) for p in (initial_points or [])]
        self.xi = float(xi)
        self.n_restarts_optimizer = int(n_restarts_optimizer)
        self.n_candidates = int(n_candidates)
        self.n_ei_starts = int(n_ei_starts)
        self.batch_size = int(batch_size)
        if liar not in ("min", "mean", "max"):
            raise ValueError(f"liar must be 'min', 'mean' or 'max', got {liar!r}")
        self.liar = liar
        self.failure_value = failure_value
        self.failure_fallback = float(failure_fallback)
        self.length_scale_bounds = tuple(length_scale_bounds)
        self.noise_bounds = tuple(noise_bounds)
        if y_transform not in ("none", "log"):
            raise ValueError(f"y_transform must be 'none' or 'log', got {y_transform!r}")
        self.y_transform = y_transform
        self.random_state = int(random_state)
        if self.n_initial < 1 and not self.initial_points:
            raise ValueError("need n_initial >= 1 or initial_points")
        design = initial_design_fn(self.n_initial, space.dim, initial_design, self.random_state)
        self._design = np.vstack([np.array(self.initial_points).reshape(-1, space.dim), design])
        self.X_ = np.zeros((0, space.dim))
        self.y_ = np.zeros(0)
        self.gp_ = None
        self.history: list[dict] = []
        self._pending: list[dict] = []

    def _as_unit(self, p) -> np.ndarray:
        if isinstance(p, Mapping) or hasattr(p, "as_dict"):
            u = self.space.unit_of(p)
        else:
            u = np.asarray(p, dtype=float)
        if not self.space.contains_unit(u):
            raise ValueError(f"initial point {self.space.from_unit(u).tolist()} lies outside the search bounds "
                             f"{self.space.bounds}")
        return self.space.clip_unit(u)

    def get_params(self) -> dict:
        """Constructor arguments (JSON-able), scikit-learn style."""
        return {"n_initial": self.n_initial, "initial_design": self.initial_design,
                "initial_points": [u.tolist() for u in self.initial_points], "xi": self.xi,
                "n_restarts_optimizer": self.n_restarts_optimizer, "n_candidates": self.n_candidates,
                "n_ei_starts": self.n_ei_starts, "batch_size": self.batch_size, "liar": self.liar,
                "failure_value": self.failure_value, "failure_fallback": self.failure_fallback,
                "length_scale_bounds": list(self.length_scale_bounds), "noise_bounds": list(self.noise_bounds),
                "y_transform": self.y_transform, "random_state": self.random_state}

    # ------------------------------------------------------------------ model
    def make_kernel(self):
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
        d = self.space.dim
        return (ConstantKernel(1.0, (1e-3, 1e3))
                * Matern(length_scale=np.full(d, 0.3), length_scale_bounds=self.length_scale_bounds, nu=2.5)
                + WhiteKernel(noise_level=1e-2, noise_level_bounds=self.noise_bounds))

    def _targets(self, y=None) -> np.ndarray:
        """GP training targets: told costs, failures imputed, then ``y_transform`` applied."""
        t = impute_failures(self.y_ if y is None else y, self.failure_value, self.failure_fallback)
        return self._fwd(t)

    def _fwd(self, y):
        return np.log(np.maximum(y, 1e-12)) if self.y_transform == "log" else np.asarray(y, dtype=float)

    def _back(self, mean, std):
        """GP (mean, std) in transformed units -> cost units (log: median exp(m) and the delta-method
        std exp(m) s)."""
        if self.y_transform == "log":
            m = np.exp(mean)
            return m, m * std
        return mean, std

    def _training_data(self) -> tuple[np.ndarray, np.ndarray]:
        """(unit points, GP targets) of the fit to the told data: every point, failures imputed (hook:
        :class:`~silica_explorer.optimize.feasibility.ConstrainedBayesianOptimizer` drops failures)."""
        return self.X_, self._targets()

    def _acquisition(self, U, mean, std, y_best: float, xi: float) -> np.ndarray:
        """The acquisition :meth:`_maximize_ei` maximizes at unit points ``U`` (hook: constrained EI
        multiplies by the probability of feasibility)."""
        return expected_improvement(mean, std, y_best, xi)

    def fit(self, X=None, y=None):
        """Fit the GP to the told data (or to ``X``, ``y`` in unit coordinates / R_x); returns self."""
        from sklearn.gaussian_process import GaussianProcessRegressor
        if X is None and y is None:
            X, y = self._training_data()
        else:
            X = self.X_ if X is None else np.atleast_2d(np.asarray(X, dtype=float))
            y = self._targets(y)
        rng = np.random.default_rng([self.random_state, len(y), 0xF17])
        gp = GaussianProcessRegressor(kernel=self.make_kernel(), normalize_y=True,
                                      n_restarts_optimizer=self.n_restarts_optimizer,
                                      random_state=int(rng.integers(2**31 - 1)))
        with warnings.catch_warnings(), _single_thread_blas():
            warnings.simplefilter("ignore")  # ConvergenceWarning at hyperparameter bounds
            gp.fit(X, y)
        self.gp_ = gp
        return self

    @property
    def kernel_(self):
        return None if self.gp_ is None else self.gp_.kernel_

    def _noise_var(self, gp) -> float:
        """White-noise variance of a fitted GP in cost units^2."""
        k = gp.kernel_
        level = getattr(getattr(k, "k2", None), "noise_level", 0.0)
        scale = float(np.atleast_1d(getattr(gp, "_y_train_std", 1.0))[0])
        return float(level) * scale**2

    def _predict_unit(self, U, gp=None, include_noise: bool = False):
        gp = gp or self.gp_
        mean, std = gp.predict(np.atleast_2d(U), return_std=True)
        if not include_noise:
            std = np.sqrt(np.maximum(std**2 - self._noise_var(gp), 1e-24))
        return mean, std

    def predict(self, X, unit: bool = False, include_noise: bool = False):
        """GP ``(mean, std)`` of the cost (R_x fraction) at points ``X`` (n, d) in parameter units
        (``unit=True``: unit-box coordinates). ``std`` is the latent uncertainty (without the fitted
        white noise unless ``include_noise``)."""
        if self.gp_ is None:
            if len(self.y_) < 2:
                raise RuntimeError("the GP is not fitted yet (tell at least 2 points)")
            self.fit()
        X = np.atleast_2d(np.asarray(X, dtype=float))
        U = X if unit else self.space.to_unit(X)
        with _single_thread_blas():
            return self._back(*self._predict_unit(U, include_noise=include_noise))

    # ------------------------------------------------------------------ ask / tell
    def ask(self, n: int = 1) -> np.ndarray:
        """``n`` new unit points: the next initial-design points, then EI maximizers (constant liar)."""
        out = []
        start = len(self.y_) + len(self._pending)
        k = 0
        while len(out) < n and start + k < len(self._design):
            u = self._design[start + k]
            kind = "initial-point" if start + k < len(self.initial_points) else "initial"
            out.append(self._propose_entry(u, kind))
            k += 1
        if len(out) < n:
            with _single_thread_blas():
                out.extend(self._ask_ei(n - len(out), [p["u"] for p in self._pending] + [p["u"] for p in out]))
        self._pending.extend(out)
        return np.array([p["u"] for p in out])

    def _propose_entry(self, u, kind, **info) -> dict:
        return {"u": np.asarray(u, dtype=float), "kind": kind, "proposal_index": len(self.history) + len(self._pending),
                **info}

    def _ask_ei(self, n: int, pending: list) -> list[dict]:
        ok = np.isfinite(self.y_)
        if len(self.y_) < 2 or ok.sum() < 1:  # nothing to model yet: random points
            rng = np.random.default_rng([self.random_state, len(self.y_), 1])
            return [self._propose_entry(rng.random(self.space.dim), "random") for _ in range(n)]
        self.fit()
        gp = self.gp_
        X, y = self._training_data()
        X = X.copy()
        out = []
        for j in range(n):
            if pending or j > 0:
                gp = self._liar_gp(X, y, pending + [p["u"] for p in out])
            u, info = self._maximize_ei(gp, y, seed_key=j)
            out.append(self._propose_entry(u, "ei" if not (pending or j) else "ei-liar", **info))
        return out

    def _liar_gp(self, X, y, fake_points):
        from sklearn.gaussian_process import GaussianProcessRegressor
        lie = {"min": np.min, "mean": np.mean, "max": np.max}[self.liar](y)
        Xf = np.vstack([X, np.atleast_2d(fake_points)])
        yf = np.concatenate([y, np.full(len(fake_points), lie)])
        gp = GaussianProcessRegressor(kernel=self.gp_.kernel_, optimizer=None, normalize_y=True)
        gp.fit(Xf, yf)
        return gp

    def _maximize_ei(self, gp, y, seed_key: int = 0) -> tuple[np.ndarray, dict]:
        d = self.space.dim
        y_best = float(np.min(y))
        xi = self.xi * float(np.std(y)) if len(y) > 1 else 0.0
        scale = float(np.std(y)) or 1.0
        rng = np.random.default_rng([self.random_state, len(self.y_), 2, seed_key])

        def neg_ei(u):
            m, s = self._predict_unit(u.reshape(1, -1), gp)
            return -float(self._acquisition(u.reshape(1, -1), m, s, y_best, xi)[0]) / scale

        cand = rng.random((self.n_candidates, d))
        m, s = self._predict_unit(cand, gp)
        ei = self._acquisition(cand, m, s, y_best, xi)
        order = np.argsort(-ei)[: self.n_ei_starts]
        starts = list(cand[order])
        starts += list(self._training_data()[0][np.argsort(y)[: max(1, self.n_ei_starts // 4)]])
        best_u, best_val = cand[order[0]], -ei[order[0]] / scale
        for s0 in starts:
            res = minimize(neg_ei, np.clip(s0, 0, 1), method="L-BFGS-B", bounds=[(0.0, 1.0)] * d,
                           options={"maxiter": 200})
            if np.isfinite(res.fun) and res.fun < best_val:
                best_u, best_val = res.x, float(res.fun)
        best_u = np.clip(best_u, 0.0, 1.0)
        mu, sd = self._back(*self._predict_unit(best_u.reshape(1, -1), gp))
        info = {"ei": float(-best_val * scale), "mean": float(mu[0]), "std": float(sd[0]),
                "y_best": float(self._back(np.array([y_best]), np.zeros(1))[0][0])}
        return best_u, info

    def pending_proposals(self, U) -> list[dict]:
        """The proposal info (kind, EI, predicted mean/std) of pending points ``U`` (JSON-able)."""
        out = []
        for u in np.atleast_2d(U):
            p = next((p for p in self._pending if np.array_equal(p["u"], u)), None)
            out.append(None if p is None else {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                                               for k, v in p.items() if k != "u"})
        return out

    def tell(self, u, R_x: float, proposal: Mapping | None = None, entry: Mapping | None = None) -> None:
        """Add one observation (unit point, R_x; nan = failed)."""
        u = np.asarray(u, dtype=float)
        idx = next((i for i, p in enumerate(self._pending) if np.array_equal(p["u"], u)), None)
        info = self._pending.pop(idx) if idx is not None else {"u": u, "kind": "told", **(proposal or {})}
        self.X_ = np.vstack([self.X_, u])
        self.y_ = np.append(self.y_, float(R_x) if R_x is not None else np.nan)
        h = {k: v for k, v in info.items() if k != "u"}
        h.update({"n": len(self.y_) - 1, "u": u.tolist(), **self.space.params(u), "R_x": float(self.y_[-1]),
                  "status": "ok" if np.isfinite(self.y_[-1]) else "failed"})
        if entry is not None:
            h["record_id"] = entry.get("record_id")
            h["replayed"] = entry.get("replayed", False)
        self.history.append(h)
        self.gp_ = None if len(self.y_) < 2 else self.gp_

    def history_frame(self):
        """``history`` as a pandas DataFrame."""
        import pandas as pd
        return pd.DataFrame(self.history)

    # ------------------------------------------------------------------ driver
    def run(self, objective: Objective, phase: str | None = None) -> str:
        """Re-play stored evaluations, then ask/evaluate/tell until the objective's budget is spent.
        Finishes with a GP fitted to all data (``gp_``). Returns the stop reason."""
        reason = run_ask_tell(self, objective, phase or self.name, self.batch_size)
        if len(self.y_) >= 2 and np.isfinite(self.y_).any():
            self.fit()
        return reason

    @property
    def best_(self) -> tuple[np.ndarray, float] | None:
        """(unit point, R_x) of the lowest finite observed cost."""
        ok = np.isfinite(self.y_)
        if not ok.any():
            return None
        i = int(np.nanargmin(np.where(ok, self.y_, np.inf)))
        return self.X_[i], float(self.y_[i])


initial_design_fn = initial_design
