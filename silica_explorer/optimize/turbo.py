"""Trust-region Bayesian optimization (TuRBO-1; Eriksson et al., NeurIPS 2019) for many free parameters.

Global GP + EI struggles in d >= 7: the GP must model the whole box, EI over-explores its corners, and
the fit grows as n^3. TuRBO keeps one *trust region* (TR), a box around the incumbent in the unit
box, and proposes only inside it, from a *local* GP fitted to the told points near it.

- **Shape.** Side lengths ``w_i L`` with ``L`` the TR length and ``w`` the local GP's (anisotropic
  Matern) length scales normalized to geometric mean 1; centred on the best successful point of the
  current TR, clipped to [0, 1]^d.
- **Size.** After the initial design ``L = length_init`` (0.8). Each told TR point is a *success* if its
  R_x beats the TR's best by more than 1e-3 of it, else a *failure* (a failed melt is a failure).
  ``success_tolerance`` (3) successes in a row double ``L`` (at most ``length_max`` 1.6);
  ``failure_tolerance`` (default ``ceil(max(4, d))``) failures in a row halve it.
- **Restart.** When ``L < length_min`` (0.5^7) the TR is abandoned: a fresh Sobol design of
  ``n_restart`` points (default ``n_initial``) is evaluated and the new TR starts around its best
  point (the old points still inform the local GP wherever they are near).
- **Candidates.** ``n_candidates`` (default ``min(100 d, 5000)``) scrambled-Sobol points in the TR
  where each coordinate is perturbed from the centre with probability ``min(1, 20/d)``;
  ``acquisition="ts"``: Thompson sampling - a joint draw of the local GP posterior (latent, no noise)
  at the candidates, the argmin is proposed (one draw per point of a batch); ``"ei"``: the candidates
  with the largest EI are polished by L-BFGS-B inside the TR (constant liar for batches).
- **Local GP.** The kernel of :class:`BayesianOptimizer` (hyperparameters refitted at every proposal
  on its ``likelihood``, default the fast exact one, from the kernel's initial values plus
  ``local_restarts`` random starts, default 0) with length scales in [0.005, 2] (the
  reference's range; longer ones would stretch the TR along irrelevant axes without bound). Told points within L-infinity distance ``L`` of the centre (twice the nominal
  half-width), at least ``min(n, max(2 d + 2, 10))`` nearest ones, at most ``max_local`` (256) nearest:
  a proposal never fits more than ``max_local`` points however long the run.
- **Failures.** ``failure_policy="impute"`` (default; failures at the worst finite R_x of the run, as
  BO) or ``"constrained"`` (local cost GP on successes; a local :class:`FeasibilityModel`; EI x P, or
  for Thompson sampling the argmin among candidates with ``P(feasible) >= min_feasibility``).

The constants are those of the reference implementation (uber-research/TuRBO ``turbo_1.py``), with the
counters counted per evaluation (as its batch size 1). The TR state is a deterministic function of the
told sequence (it is advanced in :meth:`tell`), so a resumed run, which re-tells its stored
evaluations in order, reproduces it and proposes the same points as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
from scipy.optimize import minimize
from scipy.stats import qmc

from .bayes import expected_improvement
from .design import initial_design
from .feasibility import ConstrainedBayesianOptimizer, FeasibilityModel
from .gp import fit_gp, length_scales, noise_variance, single_thread_blas

ACQUISITIONS = ("ts", "ei")
#: length-scale bounds of the local GP (unit box), as the reference implementation's
LOCAL_LENGTH_SCALE_BOUNDS = (0.005, 2.0)


@dataclasses.dataclass
class TrustRegionState:
    """TR bookkeeping (advanced by every told point; see module docstring)."""

    length: float
    success: int = 0
    failure: int = 0
    restarts: int = 0
    #: told index where the current TR (its design and incumbent) begins
    start: int = 0
    #: restart-design points still to be told before the TR moves again
    design_left: int = 0
    #: lowest successful R_x since ``start`` (inf: none yet)
    best: float = math.inf
    #: told index of that point (-1: none)
    best_index: int = -1

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class TurboOptimizer(ConstrainedBayesianOptimizer):
    """TuRBO-1 trust-region BO with the ask/tell interface of :class:`BayesianOptimizer`.

    Parameters (besides those of :class:`BayesianOptimizer` and ``failure_policy``/``feasibility``)
    ----------
    length_init, length_min, length_max : TR lengths in unit-box units (0.8, 0.5^7, 1.6).
    success_tolerance : successes in a row that double the TR (3).
    failure_tolerance : failures in a row that halve it (default ``ceil(max(4, d))``).
    acquisition : ``"ts"`` (Thompson sampling, default) or ``"ei"``.
    n_candidates : candidates per proposal (default ``min(100 d, 5000)``).
    n_restart : design points after a restart (default ``n_initial``).
    max_local : most told points in the local GP (256).
    starts_fill_design : default False here (the starts, then ``n_initial`` Sobol points: the design of
        TuRBO's studies), unlike :class:`BayesianOptimizer`.
    local_restarts : random restarts of the local GP's hyperparameter fit besides the one from the kernel's
        initial values (default 0, as the reference implementation, which trains from fixed initial values;
        the global GP keeps ``n_restarts_optimizer``).

    Attributes: ``state`` (:class:`TrustRegionState`), ``local_gp_`` (the GP of the last proposal),
    ``tr_bounds_`` (its TR as (lower, upper) unit vectors). ``gp_`` stays the global GP of
    :class:`BayesianOptimizer` (fitted lazily for :meth:`predict` and at the end of :meth:`run`).
    """

    name = "turbo"

    def __init__(self, space, *, length_init: float = 0.8, length_min: float = 0.5**7, length_max: float = 1.6,
                 success_tolerance: int = 3, failure_tolerance: int | None = None, acquisition: str = "ts",
                 n_candidates: int | None = None, n_restart: int | None = None, max_local: int = 256,
                 local_restarts: int = 0,
                 failure_policy: str = "impute", **options):
        # the design TuRBO's studies used (the 7-D stand-in, the shipped fits, the 7-D real-MD comparison):
        # the starts, then n_initial Sobol points
        options.setdefault("starts_fill_design", False)
        d = space.dim
        if d < 2:
            raise ValueError(f"optimizer 'turbo' needs at least 2 free parameters (a trust region in d = {d} "
                             "is the whole line); use optimizer 'bo' for one parameter")
        if not (0 < length_min < length_init <= length_max) or not math.isfinite(length_max):
            raise ValueError(f"TuRBO lengths need 0 < length_min < length_init <= length_max (unit box), got "
                             f"length_min = {length_min}, length_init = {length_init}, length_max = {length_max}")
        failure_tolerance = math.ceil(max(4.0, float(d))) if failure_tolerance is None else failure_tolerance
        for name, v in (("success_tolerance", success_tolerance), ("failure_tolerance", failure_tolerance)):
            if int(v) != v or v < 1:
                raise ValueError(f"{name} must be an integer >= 1 (evaluations in a row), got {v!r}")
        if acquisition not in ACQUISITIONS:
            raise ValueError(f"TuRBO acquisition must be one of {list(ACQUISITIONS)}, got {acquisition!r}")
        if int(max_local) < 2 * d + 2:
            raise ValueError(f"max_local = {max_local} must be >= 2 d + 2 = {2 * d + 2} (points in the local GP)")
        self.length_init, self.length_min, self.length_max = float(length_init), float(length_min), float(length_max)
        self.success_tolerance, self.failure_tolerance = int(success_tolerance), int(failure_tolerance)
        self.acquisition = acquisition
        self.max_local = int(max_local)
        if int(local_restarts) < 0:
            raise ValueError(f"local_restarts = {local_restarts} must be >= 0 (extra random starts of the local GP's "
                             "hyperparameter fit)")
        self.local_restarts = int(local_restarts)
        n_cand = min(100 * d, 5000) if n_candidates is None else int(n_candidates)
        super().__init__(space, failure_policy=failure_policy, n_candidates=n_cand, **options)
        self.n_restart = self.n_initial if n_restart is None else int(n_restart)
        if self.n_restart < 1:
            raise ValueError(f"n_restart = {n_restart} must be >= 1 (design points after a TR restart)")
        self.state = TrustRegionState(length=self.length_init)
        self.local_gp_ = None
        self.local_feasibility_: FeasibilityModel | None = None
        self.tr_bounds_: tuple[np.ndarray, np.ndarray] | None = None

    def get_params(self) -> dict:
        return {**super().get_params(), "length_init": self.length_init, "length_min": self.length_min,
                "length_max": self.length_max, "success_tolerance": self.success_tolerance,
                "failure_tolerance": self.failure_tolerance, "acquisition": self.acquisition,
                "n_restart": self.n_restart, "max_local": self.max_local, "local_restarts": self.local_restarts}

    # ------------------------------------------------------------------ state (replayed by tell)
    def tell(self, u, R_x, proposal=None, entry=None) -> None:
        super().tell(u, R_x, proposal=proposal, entry=entry)
        self._advance(len(self.y_) - 1, float(self.y_[-1]))
        self.history[-1]["tr_length"] = self.state.length
        self.history[-1]["tr_restarts"] = self.state.restarts

    def _advance(self, i: int, y: float) -> None:
        st = self.state
        ok = math.isfinite(y)
        in_design = i < len(self._design) or st.design_left > 0
        improved = ok and y < st.best - 1e-3 * abs(st.best) if math.isfinite(st.best) else ok
        if ok and y < st.best:
            st.best, st.best_index = y, i
        if in_design:
            if i >= len(self._design):
                st.design_left -= 1
            return
        if improved:
            st.success, st.failure = st.success + 1, 0
        else:
            st.success, st.failure = 0, st.failure + 1
        if st.success == self.success_tolerance:
            st.length, st.success = min(2.0 * st.length, self.length_max), 0
        elif st.failure == self.failure_tolerance:
            st.length, st.failure = st.length / 2.0, 0
        if st.length < self.length_min:  # restart: a fresh design, then a new TR around its best point
            self.state = TrustRegionState(length=self.length_init, restarts=st.restarts + 1, start=i + 1,
                                          design_left=self.n_restart)

    def _restart_design(self) -> np.ndarray:
        return initial_design(self.n_restart, self.space.dim, self.initial_design,
                              int(np.random.default_rng([self.random_state, self.state.restarts, 0x7E5])
                                  .integers(2**31 - 1)))

    def center(self) -> np.ndarray | None:
        """Unit point the TR is centred on: the best successful point of the current TR (else of the run)."""
        if self.state.best_index >= 0:
            return self.X_[self.state.best_index]
        return None if self.best_ is None else self.best_[0]

    # ------------------------------------------------------------------ proposals
    def _ask_ei(self, n: int, pending: list) -> list[dict]:
        out = []
        st = self.state
        k0 = len(self.y_) - st.start + len(pending)
        design = self._restart_design() if st.design_left > 0 else None
        while design is not None and len(out) < n and k0 + len(out) < self.n_restart:
            out.append(self._propose_entry(design[k0 + len(out)], "restart-design", tr_restarts=st.restarts))
        if len(out) < n:
            c = self.center()
            if c is None:  # no successful point yet: random points, as BO
                rng = np.random.default_rng([self.random_state, len(self.y_), 1])
                out += [self._propose_entry(rng.random(self.space.dim), "random") for _ in range(n - len(out))]
            else:
                with single_thread_blas():
                    out += self._ask_tr(n - len(out), c)
        return out

    def _local_indices(self, c: np.ndarray) -> np.ndarray:
        X, n = self.X_, len(self.X_)
        dist2 = np.sum((X - c) ** 2, axis=1)
        order = np.argsort(dist2, kind="stable")
        near = int(np.sum(np.max(np.abs(X - c), axis=1) <= self.state.length))
        m = min(n, max(near, 2 * self.space.dim + 2, 10), self.max_local)
        return np.sort(order[:m])

    def _ask_tr(self, n: int, c: np.ndarray) -> list[dict]:
        d, st = self.space.dim, self.state
        idx = self._local_indices(c)
        Xl, yl = self.X_[idx], self.y_[idx]
        if self.constrained:
            ok = np.isfinite(yl)
            Xg, tg = Xl[ok], self._fwd(yl[ok])
            feas = FeasibilityModel(self.feasibility, self.length_scale_bounds, random_state=self.random_state)
            self.local_feasibility_ = feas.fit(Xl, ok)
        else:
            Xg, tg = Xl, self._targets()[idx]
            self.local_feasibility_ = None
        rng = np.random.default_rng([self.random_state, len(self.y_), 3])
        kernel = self.make_kernel()
        key = [k for k in kernel.get_params() if k.endswith("length_scale_bounds")]
        if len(key) == 1:  # the reference's length-scale range: the TR's aspect ratio stays <= 400
            lo_b, hi_b = kernel.get_params()[key[0]]
            kernel.set_params(**{key[0]: (max(lo_b, LOCAL_LENGTH_SCALE_BOUNDS[0]),
                                          min(hi_b, LOCAL_LENGTH_SCALE_BOUNDS[1]))})
        # hyperparameters fitted at every proposal (the local set moves with the TR) from the kernel's initial
        # values (+ local_restarts), on the fast exact likelihood (likelihood="fast", as BO's full fits)
        gp = fit_gp(kernel, Xg, tg, optimizer=self.hyper_optimizer(kernel, Xg, tg), n_restarts=self.local_restarts,
                    random_state=int(rng.integers(2**31 - 1)))
        self.local_gp_ = gp
        ls = length_scales(gp.kernel_, d)
        w = ls / ls.mean()
        w = w / np.prod(w ** (1.0 / d))
        lo = np.clip(c - w * st.length / 2.0, 0.0, 1.0)
        hi = np.clip(c + w * st.length / 2.0, 0.0, 1.0)
        self.tr_bounds_ = (lo, hi)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pert = lo + (hi - lo) * qmc.Sobol(d, scramble=True, seed=rng).random(self.n_candidates)
        mask = rng.random((self.n_candidates, d)) <= min(1.0, 20.0 / d)
        empty = ~mask.any(axis=1)
        mask[np.nonzero(empty)[0], rng.integers(0, d, size=int(empty.sum()))] = True
        cand = np.where(mask, pert, c)
        p_ok = self.local_feasibility_.predict_proba(cand) if self.local_feasibility_ is not None else None
        info = {"tr_length": st.length, "tr_restarts": st.restarts, "tr_center": c.tolist(),
                "n_local": int(len(idx))}
        y_best = float(np.min(tg))
        if self.acquisition == "ts":
            picks = self._thompson(gp, cand, n, rng, p_ok)
            out = []
            for j in picks:
                mu, sd = self._back(*self._predict_unit(cand[j:j + 1], gp))
                out.append(self._propose_entry(cand[j], "turbo-ts", mean=float(mu[0]), std=float(sd[0]), **info))
            return out
        return self._tr_ei(gp, Xg, tg, cand, p_ok, n, lo, hi, y_best, info)

    def _thompson(self, gp, cand, n, rng, p_ok) -> list[int]:
        """Indices of ``n`` candidates, each the argmin of one joint posterior draw (latent f)."""
        mean, cov = gp.predict(cand, return_cov=True)
        cov = cov - noise_variance(gp) * np.eye(len(cand))
        jitter = 1e-10 * max(float(np.mean(np.diag(cov))), 1e-12)
        for _ in range(6):
            try:
                L = np.linalg.cholesky(cov + jitter * np.eye(len(cand)))
                break
            except np.linalg.LinAlgError:
                jitter *= 100.0
        else:  # pragma: no cover (only with a degenerate kernel)
            L = np.diag(np.sqrt(np.maximum(np.diag(cov), 0.0)))
        draws = mean[:, None] + L @ rng.standard_normal((len(cand), n))
        allowed = np.ones(len(cand), bool)
        if p_ok is not None:
            allowed = p_ok >= self.min_feasibility
            if not allowed.any():  # nothing likely feasible: the most likely feasible candidate
                allowed = p_ok >= p_ok.max()
        picks = []
        for j in range(n):
            v = np.where(allowed, draws[:, j], np.inf)
            v[picks] = np.inf
            picks.append(int(np.argmin(v)))
        return picks

    def _tr_ei(self, gp, Xg, tg, cand, p_ok, n, lo, hi, y_best, info) -> list[dict]:
        scale = float(np.std(tg)) or 1.0
        xi = self.xi * float(np.std(tg)) if len(tg) > 1 else 0.0
        feas = self.local_feasibility_
        out = []
        for j in range(n):
            if j > 0:  # constant liar with the local kernel
                lie = {"min": np.min, "mean": np.mean, "max": np.max}[self.liar](tg)
                U = np.array([p["u"] for p in out])
                gp_j = fit_gp(gp.kernel_, np.vstack([Xg, U]), np.concatenate([tg, np.full(len(U), lie)]),
                              optimizer=None)
            else:
                gp_j = gp

            def acq(U, gp_j=gp_j):
                m, s = self._predict_unit(U, gp_j)
                a = expected_improvement(m, s, y_best, xi)
                return self.feasibility_weight(feas.predict_proba(U)) * a if feas is not None else a

            a = acq(cand)
            starts = cand[np.argsort(-a)[: self.n_ei_starts]]
            best_u, best_v = starts[0], -float(a.max()) / scale
            for s0 in starts:
                res = minimize(lambda u: -float(acq(u.reshape(1, -1))[0]) / scale, s0, method="L-BFGS-B",
                               bounds=list(zip(lo, hi)), options={"maxiter": 100})
                if np.isfinite(res.fun) and res.fun < best_v:
                    best_u, best_v = res.x, float(res.fun)
            best_u = np.clip(best_u, lo, hi)
            mu, sd = self._back(*self._predict_unit(best_u.reshape(1, -1), gp_j))
            out.append(self._propose_entry(best_u, "turbo-ei", ei=float(-best_v * scale), mean=float(mu[0]),
                                           std=float(sd[0]), **info))
        return out
