"""Bayesian optimization: Gaussian-process regression of the cost + expected improvement (EI).

The method of Liu et al. (2019): fit a GP to the evaluated points, choose the next parameter set where
the expected improvement over the best cost so far is largest, evaluate it, repeat.

Model: scikit-learn ``GaussianProcessRegressor`` on the cost (or, with ``y_transform="log"``, on
log R_x) with the kernel of :func:`~silica_explorer.optimize.gp.default_kernel`
(``ConstantKernel * Matern-5/2 (anisotropic length scales) + WhiteKernel``; the white term is the MD
noise), inputs in the unit box [0, 1]^d, targets standardized (``normalize_y=True``). Failed
evaluations enter the fit with the imputed value of the failure policy
(:func:`~silica_explorer.optimize.objective.impute_failures`, default: worst finite R_x so far).

Cost control (a proposal stays cheap at hundreds of evaluations):
- hyperparameters by maximum marginal likelihood with ``n_restarts_optimizer`` restarts at every
  proposal up to ``refit_until`` told points, then only at anchors spaced by ``refit_growth`` (10 %:
  at n = 600 every 60 proposals); in between the anchor's hyperparameters are reused (the GP is
  refitted to the data, a Cholesky factorization). The anchor is a function of n only and its fit
  uses the first n_anchor told points, so the model at n is a function of the told history;
- at most ``max_gp_points`` points in the GP: the half nearest to the incumbent plus a space-filling
  (greedy farthest-point) subsample of the rest;
- EI maximized on analytic gradients (:mod:`~silica_explorer.optimize.acquisition`).

Acquisition: EI for minimization, ``EI(u) = (y* - mu - xi') Phi(z) + s phi(z)``, ``z = (y* - mu - xi') / s``,
with ``y*`` the lowest observed (imputed) cost, ``mu``/``s`` the GP mean and latent standard deviation
(the white-noise part excluded), and ``xi' = xi * std(y)`` (``xi`` is in units of the spread of the
observed costs). Maximized by multi-start L-BFGS-B inside the unit box: the ``n_ei_starts`` best of
``n_candidates`` random points plus the best observed points are polished.

Initial design (:mod:`~silica_explorer.optimize.design`): the base set (when it lies inside the bounds)
first, then any ``initial_points``, then (``preset_starts``, default) every preset of
:data:`~silica_explorer.forcefield.PRESETS` inside the bounds, then space-filling points (scrambled Sobol
or Latin hypercube from ``scipy.stats.qmc``, seeded) up to ``n_initial`` in all (``starts_fill_design``,
default; else ``n_initial`` after the starts).
Batches (``ask(k)``, k > 1): constant liar - after each pick the GP (same hyperparameters) is refitted
with a fake observation ``liar`` ("min", "mean" or "max" of the observed costs) at the picked point.

Everything is deterministic given ``random_state`` and the told data: the random numbers of a proposal
are drawn from ``default_rng([random_state, n_told, k])``, so a resumed run continues exactly.
Measured proposal costs: ``data/results/optimizer_notes.md``.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from .acquisition import GPPosterior, expected_improvement, maximize_ei, maximize_ei_numeric
from .design import initial_design as make_initial_design
from .design import preset_start_names, start_points
from .gp import default_kernel, fit_gp, hyper_optimizer, noise_variance, single_thread_blas
from .objective import Objective, impute_failures, run_ask_tell
from .space import SearchSpace


class BayesianOptimizer:
    """GP + expected-improvement Bayesian optimization with an ask/tell interface.

    Parameters
    ----------
    space : the :class:`SearchSpace`.
    n_initial : size of the space-filling initial design (default ``max(5, 2 d + 1)``), evaluated after
        the start points (base set, ``initial_points``, presets).
    initial_design : ``"sobol"`` (default), ``"lhs"`` or ``"random"``.
    starts_fill_design : the start points (base set, ``initial_points``, presets) count towards the
        ``n_initial`` design points, and only ``max(0, n_initial - n_starts)`` space-filling points follow
        (default True; False: ``n_initial`` space-filling points after the starts, the default of TuRBO
        and composite BO). Its measured effect: ``data/results/optimizer_notes.md``.
    initial_points : unit points (or forcefields / parameter dicts) evaluated after the base set.
    preset_starts : also start from every preset of :data:`~silica_explorer.forcefield.PRESETS` whose
        free-parameter values lie inside the search bounds (default True); False: none; a list of preset
        names: only those (e.g. :data:`~silica_explorer.presets.PUBLISHED_PRESETS` in benchmarks, so
        that this project's own fits of the same cost do not leak into a comparison).
    xi : EI exploration margin, in units of the standard deviation of the observed costs.
    n_restarts_optimizer : restarts of a full GP marginal-likelihood optimization.
    refit_until, refit_growth : hyperparameter schedule. Up to ``refit_until`` told points every
        proposal re-optimizes the kernel hyperparameters fully (with restarts); beyond, a full fit
        happens whenever the told points grew by ``refit_growth`` (fraction) since the last one, and
        the proposals in between reuse its hyperparameters (GP refitted to all data, no optimization).
        ``refit_growth = 0``: full fit at every proposal.
    warm_steps : between full fits, L-BFGS-B iterations that polish the reused hyperparameters on
        the current data (0 = reuse as they are).
    max_gp_points : most points the GP sees (None = all). Beyond it: the ``max_gp_points // 2``
        nearest to the incumbent (unit-box distance) plus a greedy farthest-point (space-filling)
        subsample of the others.
    likelihood : ``"fast"`` (default; the marginal likelihood and its gradient of
        :mod:`~silica_explorer.optimize.gp`, same values as scikit-learn's, ~5x cheaper) or
        ``"sklearn"`` (scikit-learn's own) in the hyperparameter optimization; the regressor is
        scikit-learn's either way.
    n_candidates, n_ei_starts : random candidates scored by EI, and how many of the best are polished
        by L-BFGS-B.
    ei_polish : ``"analytic"`` (default; all starts polished together on analytic EI gradients,
        :mod:`~silica_explorer.optimize.acquisition`) or ``"numeric"`` (each start separately on
        finite differences of ``gp.predict``; slower, kept for comparison and other kernels).
    batch_size : points per ``ask()`` in :meth:`run` (constant liar for > 1).
    liar : "min" (default), "mean" or "max" - the fake value of the constant liar.
    failure_value, failure_fallback : imputation of failed evaluations for the fit (see
        :func:`~silica_explorer.optimize.objective.impute_failures`).
    length_scale_bounds, noise_bounds : kernel hyperparameter bounds (unit-box lengths; noise variance
        in standardized units).
    y_transform : ``"none"`` (GP on R_x) or ``"log"`` (GP on log R_x; EI then in log units;
        :meth:`predict` returns exp(mean) and the delta-method std in R_x units).
    random_state : seed of the design, GP restarts and EI starts.

    Everything a proposal uses (the hyperparameters, the GP's points, the random numbers) is a
    deterministic function of the told history, so a resumed run proposes the same points.

    Hooks for subclasses/compositions: :meth:`make_kernel` (kernel of a full fit), :meth:`_targets`
    (GP targets of the told data), :meth:`gp_subset` (which told points the GP sees),
    :meth:`hyper_anchor` (the schedule), :meth:`model` (the fitted GP of the current history).

    Attributes after fitting: ``gp_`` (the fitted regressor), ``kernel_`` (its fitted kernel),
    ``X_`` (told unit points), ``y_`` (told costs, nan = failed), ``start_points_`` (label, kind, unit
    point of each start before the space-filling design), ``skipped_starts_`` (base/presets outside
    the bounds, with the reason), ``history`` (one dict per proposal or told point: kind, label, u,
    params, ei, mean, std, R_x, status), :meth:`history_frame`.
    """

    name = "bo"

    def __init__(self, space: SearchSpace, n_initial: int | None = None, initial_design: str = "sobol",
                 initial_points: Sequence | None = None, preset_starts: bool | Sequence[str] = True,
                 xi: float = 0.01,
                 n_restarts_optimizer: int = 5, refit_until: int = 50, refit_growth: float = 0.1,
                 warm_steps: int = 0, max_gp_points: int | None = 300,
                 likelihood: str = "fast", n_candidates: int = 2000, n_ei_starts: int = 8,
                 ei_polish: str = "analytic",
                 batch_size: int = 1, liar: str = "min",
                 failure_value: str | float = "worst", failure_fallback: float = 1.0,
                 length_scale_bounds: tuple[float, float] = (1e-2, 1e1),
                 noise_bounds: tuple[float, float] = (1e-6, 1.0), y_transform: str = "none",
                 random_state: int = 0, starts_fill_design: bool = True):
        self.space = space
        self.n_initial = int(n_initial) if n_initial is not None else max(5, 2 * space.dim + 1)
        if self.n_initial < 0:
            raise ValueError(f"n_initial = {n_initial} must be >= 0")
        self.initial_design = initial_design
        self.starts_fill_design = bool(starts_fill_design)
        self.initial_points = [self._as_unit(p) for p in (initial_points or [])]
        self.preset_starts = preset_start_names(preset_starts)
        self.xi = float(xi)
        self.n_restarts_optimizer = int(n_restarts_optimizer)
        self.refit_until = int(refit_until)
        self.refit_growth = float(refit_growth)
        if self.refit_until < 0 or not self.refit_growth >= 0:
            raise ValueError(f"refit_until = {refit_until} and refit_growth = {refit_growth} must be >= 0")
        self.warm_steps = int(warm_steps)
        if self.warm_steps < 0:
            raise ValueError(f"warm_steps = {warm_steps} must be >= 0")
        self.max_gp_points = None if max_gp_points is None else int(max_gp_points)
        if self.max_gp_points is not None and self.max_gp_points < 10:
            raise ValueError(f"max_gp_points = {max_gp_points} must be >= 10 or None (all points)")
        if likelihood not in ("fast", "sklearn"):
            raise ValueError(f"likelihood must be 'fast' or 'sklearn', got {likelihood!r}")
        self.likelihood = likelihood
        self.n_candidates = int(n_candidates)
        self.n_ei_starts = int(n_ei_starts)
        if self.n_candidates < 1 or self.n_ei_starts < 1:
            raise ValueError(f"n_candidates = {n_candidates} and n_ei_starts = {n_ei_starts} must be >= 1")
        if ei_polish not in ("analytic", "numeric"):
            raise ValueError(f"ei_polish must be 'analytic' or 'numeric', got {ei_polish!r}")
        self.ei_polish = ei_polish
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
        self.start_points_, self.skipped_starts_ = start_points(space, self.initial_points, self.preset_starts)
        if self.n_initial < 1 and not self.start_points_:
            raise ValueError("need n_initial >= 1 or a start point (base set inside the bounds, initial_points)")
        n_fill = max(0, self.n_initial - len(self.start_points_)) if self.starts_fill_design else self.n_initial
        design = make_initial_design(n_fill, space.dim, initial_design, self.random_state)
        self._design = np.vstack([np.array([p["u"] for p in self.start_points_]).reshape(-1, space.dim), design])
        self.X_ = np.zeros((0, space.dim))
        self.y_ = np.zeros(0)
        self.gp_ = None
        self._anchor_fit: tuple[int, object] | None = None  # (n, kernel_) of the last full fit
        self.gp_idx_ = None
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
                "starts_fill_design": self.starts_fill_design,
                "initial_points": [u.tolist() for u in self.initial_points], "preset_starts": self.preset_starts,
                "xi": self.xi, "n_restarts_optimizer": self.n_restarts_optimizer, "refit_until": self.refit_until,
                "refit_growth": self.refit_growth, "warm_steps": self.warm_steps, "max_gp_points": self.max_gp_points,
                "likelihood": self.likelihood,
                "n_candidates": self.n_candidates, "n_ei_starts": self.n_ei_starts, "ei_polish": self.ei_polish,
                "batch_size": self.batch_size, "liar": self.liar,
                "failure_value": self.failure_value, "failure_fallback": self.failure_fallback,
                "length_scale_bounds": list(self.length_scale_bounds), "noise_bounds": list(self.noise_bounds),
                "y_transform": self.y_transform, "random_state": self.random_state}

    # ------------------------------------------------------------------ model
    def make_kernel(self):
        """Kernel (with its initial hyperparameters and bounds) of a full fit: :func:`~.gp.default_kernel`
        with this optimizer's ``length_scale_bounds`` and ``noise_bounds``."""
        return default_kernel(self.space.dim, self.length_scale_bounds, self.noise_bounds)

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

    def _training_data(self, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(unit points, GP targets) of the fit to the first ``n`` told points (default all): every point,
        failures imputed (hook: :class:`~silica_explorer.optimize.feasibility.ConstrainedBayesianOptimizer`
        drops failures)."""
        n = len(self.y_) if n is None else int(n)
        return self.X_[:n], self._targets(self.y_[:n])

    def _acquisition(self, U, mean, std, y_best: float, xi: float) -> np.ndarray:
        """The acquisition maximized at unit points ``U`` (hook: constrained EI multiplies by the
        probability of feasibility). An override is maximized with finite-difference gradients."""
        return expected_improvement(mean, std, y_best, xi)

    def acquisition_is_ei(self) -> bool:
        """Whether :meth:`_acquisition` is plain EI (then maximized on its analytic gradients); an
        override that is not says False (it is maximized with finite differences)."""
        return type(self)._acquisition is BayesianOptimizer._acquisition

    def hyper_anchor(self, n: int) -> int:
        """Told-point count whose full hyperparameter fit the model at ``n`` told points uses (``n``
        itself up to ``refit_until``, then anchors spaced by ``refit_growth``; a function of ``n`` only)."""
        if n <= self.refit_until or self.refit_growth <= 0:
            return n
        a = max(self.refit_until, 1)
        while True:
            nxt = a + max(1, math.ceil(self.refit_growth * a))
            if nxt > n:
                return a
            a = nxt

    def gp_subset(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Indices of the told points the GP sees (all up to ``max_gp_points``; beyond, the half
        nearest to the incumbent plus a greedy farthest-point subsample of the rest). ``y``: targets."""
        n, cap = len(y), self.max_gp_points
        if cap is None or n <= cap:
            return np.arange(n)
        inc = int(np.argmin(y))
        dist = np.sqrt(((X - X[inc]) ** 2).sum(1))
        chosen = list(np.argsort(dist, kind="stable")[: cap // 2])
        rest = np.setdiff1d(np.arange(n), chosen)
        dmin = np.min(np.sqrt(((X[rest, None, :] - X[None, chosen, :]) ** 2).sum(-1)), axis=1)
        for _ in range(cap - len(chosen)):
            j = int(np.argmax(dmin))
            chosen.append(int(rest[j]))
            dmin = np.minimum(dmin, np.sqrt(((X[rest] - X[rest[j]]) ** 2).sum(1)))
            dmin[j] = -np.inf
        return np.sort(np.array(chosen))

    def hyper_optimizer(self, kernel, X, y, maxiter=None):
        """scikit-learn's ``optimizer`` argument for this optimizer's ``likelihood``
        (:func:`~silica_explorer.optimize.gp.hyper_optimizer`)."""
        return hyper_optimizer(kernel, X, y, self.likelihood, maxiter)

    def _full_fit(self, X, y):
        rng = np.random.default_rng([self.random_state, len(y), 0xF17])
        kernel = self.make_kernel()
        with single_thread_blas():
            return fit_gp(kernel, X, y, optimizer=self.hyper_optimizer(kernel, X, y),
                          n_restarts=self.n_restarts_optimizer, random_state=int(rng.integers(2**31 - 1)))

    def _fixed_fit(self, kernel, X, y, steps: int = 0):
        """GP with ``kernel``'s hyperparameters (polished by ``steps`` L-BFGS-B iterations if > 0)."""
        opt = self.hyper_optimizer(kernel, X, y, maxiter=steps) if steps else None
        with single_thread_blas():
            return fit_gp(kernel, X, y, optimizer=opt)

    def model(self, n: int | None = None):
        """``(gp, idx)``: the GP of the first ``n`` told points (default all) as the schedule defines it
        (hyperparameters of the full fit at :meth:`hyper_anchor`, data :meth:`gp_subset` of
        :meth:`_training_data`) and the indices into the training data of the points it saw."""
        n = len(self.y_) if n is None else int(n)
        X, y = self._training_data(n)
        idx = self.gp_subset(X, y)
        a = self.hyper_anchor(n)
        if a == n:
            gp = self._full_fit(X[idx], y[idx])
            self._anchor_fit = (n, gp.kernel_)
            return gp, idx
        if self._anchor_fit is None or self._anchor_fit[0] != a:  # e.g. after a resume: recompute
            Xa, ya = self._training_data(a)
            ia = self.gp_subset(Xa, ya)
            self._anchor_fit = (a, self._full_fit(Xa[ia], ya[ia]).kernel_)
        return self._fixed_fit(self._anchor_fit[1], X[idx], y[idx], self.warm_steps), idx

    def fit(self, X=None, y=None):
        """Fit the GP: to the told data as the proposals do (:meth:`model`), or, given ``X``, ``y``
        (unit coordinates / R_x), with a full hyperparameter optimization on exactly those; returns self."""
        if X is None and y is None:
            self.gp_, self.gp_idx_ = self.model()
        else:
            X = self.X_ if X is None else X
            self.gp_ = self._full_fit(np.atleast_2d(np.asarray(X, dtype=float)), self._targets(y))
        return self

    @property
    def kernel_(self):
        return None if self.gp_ is None else self.gp_.kernel_

    def _predict_unit(self, U, gp=None, include_noise: bool = False):
        gp = gp or self.gp_
        mean, std = gp.predict(np.atleast_2d(U), return_std=True)
        if not include_noise:
            std = np.sqrt(np.maximum(std**2 - noise_variance(gp), 1e-24))
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
        with single_thread_blas():
            return self._back(*self._predict_unit(U, include_noise=include_noise))

    # ------------------------------------------------------------------ ask / tell
    def ask(self, n: int = 1) -> np.ndarray:
        """``n`` new unit points: the next initial-design points, then EI maximizers (constant liar)."""
        out = []
        start = len(self.y_) + len(self._pending)
        k = 0
        while len(out) < n and start + k < len(self._design):
            u = self._design[start + k]
            if start + k < len(self.start_points_):
                sp = self.start_points_[start + k]
                out.append(self._propose_entry(u, sp["kind"], label=sp["label"]))
            else:
                out.append(self._propose_entry(u, "initial"))
            k += 1
        if len(out) < n:
            with single_thread_blas():
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
        self.fit()  # (subclasses refit what they need, e.g. the feasibility model)
        gp = self.gp_
        X_all, y_all = self._training_data()
        X, y = X_all[self.gp_idx_], y_all[self.gp_idx_]
        out = []
        for j in range(n):
            if pending or j > 0:
                gp = self._liar_gp(X, y, pending + [p["u"] for p in out])
            u, info = self._maximize_ei(gp, y_all, seed_key=j, X_train=X_all)
            out.append(self._propose_entry(u, "ei" if not (pending or j) else "ei-liar", **info))
        return out

    def _liar_gp(self, X, y, fake_points):
        lie = {"min": np.min, "mean": np.mean, "max": np.max}[self.liar](y)
        Xf = np.vstack([X, np.atleast_2d(fake_points)])
        yf = np.concatenate([y, np.full(len(fake_points), lie)])
        return self._fixed_fit(self.gp_.kernel_, Xf, yf)

    def _maximize_ei(self, gp, y, seed_key: int = 0, X_train=None) -> tuple[np.ndarray, dict]:
        """Acquisition maximizer for the GP ``gp``; ``y``: targets of all training points (incumbent, xi,
        scale), ``X_train`` their unit points (the best few are extra starts; default the told points)."""
        d = self.space.dim
        y_best = float(np.min(y))
        xi = self.xi * float(np.std(y)) if len(y) > 1 else 0.0
        scale = float(np.std(y)) or 1.0
        rng = np.random.default_rng([self.random_state, len(self.y_), 2, seed_key])
        X_train = self.X_ if X_train is None else X_train
        extra = X_train[np.argsort(y, kind="stable")[: max(1, self.n_ei_starts // 4)]]
        fast = self.ei_polish == "analytic" and GPPosterior.supports(gp.kernel_)
        if fast and self.acquisition_is_ei():
            post = GPPosterior(gp)
            best_u, best_ei = maximize_ei(post, y_best, xi, d, rng, self.n_candidates, self.n_ei_starts,
                                          extra_starts=extra, scale=scale)
        else:  # an overridden acquisition has no analytic gradient: finite differences
            predict = GPPosterior(gp) if fast else (lambda U: self._predict_unit(U, gp))
            best_u, best_ei = maximize_ei_numeric(predict, y_best, xi, d, rng, self.n_candidates,
                                                  self.n_ei_starts, extra, scale,
                                                  acquisition=lambda U, m, s: self._acquisition(U, m, s, y_best, xi))
        mu, sd = self._back(*self._predict_unit(best_u.reshape(1, -1), gp))
        info = {"ei": float(best_ei), "mean": float(mu[0]), "std": float(sd[0]),
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
