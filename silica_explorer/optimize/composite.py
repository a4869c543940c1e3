"""Composite Bayesian optimization: a surrogate of the partial PDFs, R_x and EI computed from it.

R_x is a known function of the PDFs (:mod:`silica_explorer.cost`). Instead of a GP of the scalar
R_x, :class:`CompositeBO` models the PDFs of the evaluated melts
(:class:`~silica_explorer.optimize.pdfmodel.PDFModel`: PCA per pair, one GP per score) and computes
the expected improvement of R_x by sampling the predicted scores (Astudillo & Frazier, "Bayesian
optimization of composite functions", ICML 2019; Shanks et al., JCTC 2024, model the whole RDF).

**Acquisition.** ``EI(u) = p_ok(u) * mean_s max(y* - xi' - R_x(z_s(u)), 0)`` with
``z_s = mean(u) + std(u) * eps_s``: ``eps`` are ``n_mc`` scrambled-Sobol standard-normal base samples
drawn once per proposal from ``(random_state, n_told)`` and used for every candidate (common random
numbers: the estimate is a smooth, deterministic function of u, maximized by L-BFGS-B). ``y*`` is the
lowest *predicted* R_x at the successful told points (plug-in EI for noisy data; predicted R_x
includes the mean PCA-truncation residual, so it is on the scale of measured R_x), ``xi' = xi * std``
of the measured R_x. If the MC EI is zero at every candidate (far from the data), the EI of a normal
with the samples' mean and std is used for that proposal (recorded as ``acquisition``).

**Failures** carry no PDFs. They do not enter the PDF model; a Gaussian-process classifier of
ok/failed (``feasibility=True``, once both occur) multiplies EI by the probability of success
``p_ok`` (as constrained EI does: Gardner et al. 2014), so the optimizer avoids the failing region
without an imputed cliff in the surrogate. With ``failure_fantasies=True`` (default) each failed
point also enters the score GPs as a fantasy observation equal to their posterior mean there (same
kernels): the PDF model's uncertainty then shrinks at failures as at any evaluated point. Without it,
the uncertainty in a failure band never shrinks (failures add no PDFs), and EI keeps rewarding the
band (a real-MD example: ``data/results/optimizer_notes.md``).

**The tell path.** ``tell(u, R_x, pdf=...)`` or ``tell(..., entry=e)`` with ``e["pdf"]``: every
successful evaluation must come with its PDF Dataset. In :meth:`run`, the
:class:`~silica_explorer.optimize.objective.Objective` attaches them (``keep_pdfs``): fresh
evaluations from the evaluator's result, re-played ones (resume) from the store
(:meth:`~silica_explorer.store.Store.get_pdf`), so a resumed run rebuilds the same model and proposes
the same points. The reference (and ``r_range``/``align``) come from the constructor or, in
:meth:`run`, from the evaluator (an :class:`~silica_explorer.evaluate.Evaluator` or a stand-in
with ``.reference``).

Batches (``ask(k)``, k > 1): kriging believer - after each pick the score GPs are conditioned on
their own posterior mean there (same PCA and kernels).

Everything is deterministic given ``random_state`` and the told data.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
from scipy.optimize import minimize
from scipy.stats import norm, qmc

from .bayes import BayesianOptimizer, expected_improvement
from .gp import default_kernel, single_thread_blas
from .objective import Objective, run_ask_tell
from .pdfmodel import PDFModel
from .space import SearchSpace


def sobol_normal(n: int, dim: int, seed) -> np.ndarray:
    """``n`` scrambled-Sobol quasi-random standard-normal vectors (n, dim) (base samples for MC)."""
    if dim == 0:
        return np.zeros((n, 0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # balance warning for n not a power of 2
        q = qmc.Sobol(dim, scramble=True, seed=np.random.default_rng(seed)).random(n)
    return norm.ppf(np.clip(q, 1e-10, 1 - 1e-10))


def mc_expected_improvement(samples, y_best: float, xi: float = 0.0) -> np.ndarray:
    """EI for minimization from samples (..., S) of the cost: ``mean_s max(y_best - xi - v_s, 0)``."""
    return np.mean(np.maximum(y_best - xi - np.asarray(samples, dtype=float), 0.0), axis=-1)


class CompositeBO(BayesianOptimizer):
    """Bayesian optimization with a surrogate of the partial PDFs (see the module docstring).

    Parameters
    ----------
    space : the :class:`SearchSpace`.
    reference : reference PDF Dataset (default: taken from the evaluator in :meth:`run`).
    r_range, align : as in :func:`silica_explorer.cost.rx` (with ``reference``; else the evaluator's).
    n_mc : Monte-Carlo samples of the scores per candidate (>= 16).
    explained_variance, max_components : PCA truncation per pair.
    feasibility : weight EI by a GP classifier's probability that a melt succeeds.
    failure_fantasies : condition the score GPs on their own mean at failed points (module docstring).
    n_initial, initial_design, initial_points, xi, n_restarts_optimizer, n_candidates, n_ei_starts,
    batch_size, length_scale_bounds, noise_bounds, random_state, preset_starts : as for
    :class:`BayesianOptimizer`.
    starts_fill_design : as for :class:`BayesianOptimizer`, but default False (the design of composite
        BO's studies: the starts, then ``n_initial`` Sobol points).

    Attributes after fitting: ``model_`` (the :class:`PDFModel`), ``feasibility_`` (the classifier or
    None), ``X_``, ``y_`` (measured R_x, nan = failed), ``history``.
    """

    name = "composite"

    def __init__(self, space: SearchSpace, reference=None, r_range: tuple[float, float] | None = None,
                 align: str = "exact", n_mc: int = 128, explained_variance: float = 0.99,
                 max_components: int = 5, feasibility: bool = True, failure_fantasies: bool = True, n_initial: int | None = None,
                 initial_design: str = "sobol", initial_points: Sequence | None = None, xi: float = 0.01,
                 n_restarts_optimizer: int = 1, n_candidates: int = 2000, n_ei_starts: int = 8,
                 batch_size: int = 1, length_scale_bounds: tuple[float, float] = (1e-2, 1e1),
                 noise_bounds: tuple[float, float] = (1e-6, 1.0), random_state: int = 0,
                 preset_starts: bool | Sequence[str] = True, starts_fill_design: bool = False):
        super().__init__(space, n_initial=n_initial, initial_design=initial_design, initial_points=initial_points,
                         starts_fill_design=starts_fill_design,
                         xi=xi, n_restarts_optimizer=n_restarts_optimizer, n_candidates=n_candidates,
                         n_ei_starts=n_ei_starts, batch_size=batch_size, length_scale_bounds=length_scale_bounds,
                         noise_bounds=noise_bounds, random_state=random_state, preset_starts=preset_starts)
        if int(n_mc) < 16:
            raise ValueError(f"n_mc = {n_mc} must be >= 16 Monte-Carlo samples")
        if align not in ("exact", "interpolate"):
            raise ValueError(f"align must be 'exact' or 'interpolate', got {align!r}")
        PDFModel(np.ones((1, 2)), explained_variance, max_components)  # validates both (clear errors)
        self.n_mc = int(n_mc)
        self.explained_variance = float(explained_variance)
        self.max_components = int(max_components)
        self.feasibility = bool(feasibility)
        self.failure_fantasies = bool(failure_fantasies)
        self.reference = None
        self.r_range = None
        self.align = align
        self.g_ref_ = None
        self._G: list = []  # aligned g (pair, r) per told point; None for failures
        if reference is not None:
            self.set_reference(reference, r_range, align)
        elif r_range is not None:
            raise ValueError("r_range is given without a reference")
        self.model_ = None
        self.feasibility_ = None

    def get_params(self) -> dict:
        p = super().get_params()
        for k in ("liar", "failure_value", "failure_fallback", "y_transform"):
            p.pop(k, None)
        p.update({"r_range": None if self.r_range is None else list(self.r_range), "align": self.align,
                  "n_mc": self.n_mc, "explained_variance": self.explained_variance,
                  "max_components": self.max_components, "feasibility": self.feasibility,
                  "failure_fantasies": self.failure_fantasies})
        return p

    def set_reference(self, reference, r_range=None, align: str = "exact") -> None:
        """The reference PDFs R_x is computed against (before the first told PDF)."""
        if any(g is not None for g in self._G):
            raise RuntimeError("the reference must be set before PDFs are told")
        if reference is None or "g" not in getattr(reference, "data_vars", {}):
            raise ValueError("reference must be a PDF Dataset with variable 'g' (pair, r)")
        self.reference = reference
        self.r_range = None if r_range is None else (float(r_range[0]), float(r_range[1]))
        self.align = align

    def _aligned(self, pdf) -> np.ndarray:
        from ..cost import aligned
        _, g_ref, g_md = aligned(self.reference, pdf, self.r_range, self.align)
        if self.g_ref_ is None:
            self.g_ref_ = g_ref
        if not np.all(np.isfinite(g_md)):
            raise ValueError("a told PDF contains non-finite values")
        return g_md

    # ------------------------------------------------------------------ tell
    def tell(self, u, R_x: float, proposal=None, entry=None, pdf=None) -> None:
        """Add one observation: unit point, measured R_x (nan = failed) and, for a success, its PDF
        Dataset (``pdf``, or ``entry["pdf"]`` as :class:`Objective` gives it)."""
        ok = R_x is not None and np.isfinite(float(R_x))
        if pdf is None and entry is not None:
            pdf = entry.get("pdf")
        g = None
        if ok:
            if pdf is None:
                rid = None if entry is None else entry.get("record_id")
                raise ValueError(
                    f"composite BO needs the PDFs of every successful evaluation; the one at "
                    f"{self.space.params(np.asarray(u, dtype=float))} (store id {rid}) has R_x but no PDF "
                    "(an evaluator that returns none, or a store written with keep_pdf=False)")
            if self.reference is None:
                raise ValueError("composite BO has no reference PDFs: pass reference=... or run it on an "
                                 "evaluator with a .reference")
            g = self._aligned(pdf)
        super().tell(u, R_x, proposal=proposal, entry=entry)
        self._G.append(g)
        self.model_ = None

    # ------------------------------------------------------------------ model
    def fit(self, X=None, y=None):
        """Fit the PDF model to the successful told points and the feasibility classifier to all."""
        if X is not None or y is not None:
            raise TypeError("CompositeBO.fit() fits the told data (PDFs come with tell)")
        ok = np.array([g is not None for g in self._G], dtype=bool)
        if ok.sum() < 2:
            raise RuntimeError(f"the PDF model needs >= 2 successful evaluations, have {int(ok.sum())}")
        with warnings.catch_warnings(), single_thread_blas():
            warnings.simplefilter("ignore")
            self.model_ = PDFModel(self.g_ref_, self.explained_variance, self.max_components,
                                   self.n_restarts_optimizer, self.length_scale_bounds, self.noise_bounds,
                                   random_state=self.random_state).fit(
                self.X_[ok], np.stack([g for g in self._G if g is not None]))
            self.feasibility_ = None
            if self.feasibility and ok.any() and (~ok).any():
                from sklearn.gaussian_process import GaussianProcessClassifier
                kern = default_kernel(self.space.dim, (1e-2, 1e1), constant_bounds=(1e-2, 1e2), white=False)
                self.feasibility_ = GaussianProcessClassifier(kern, random_state=self.random_state).fit(
                    self.X_, ok.astype(int))
        return self

    def acquisition_model(self) -> PDFModel:
        """The PDF model EI uses: ``model_``, conditioned on fantasies at the failed points if
        ``failure_fantasies`` (see the module docstring)."""
        if self.model_ is None:
            self.fit()
        failed = np.array([g is None for g in self._G], dtype=bool)
        if self.failure_fantasies and failed.any():
            with single_thread_blas():
                return self.model_.with_fantasies(self.X_[failed])
        return self.model_

    def _p_ok(self, U) -> np.ndarray:
        if self.feasibility_ is None:
            return np.ones(len(U))
        return self.feasibility_.predict_proba(U)[:, 1]

    def _rx_samples(self, model: PDFModel, U, eps) -> np.ndarray:
        m, s = model.predict_scores(U)
        return model.rx_of_scores(m[:, None, :] + s[:, None, :] * eps[None])

    def predict(self, X, unit: bool = False, include_noise: bool = False, n_mc: int | None = None):
        """Monte-Carlo ``(mean, std)`` of R_x (fraction) from the PDF model at points ``X`` (n, d) in
        parameter units (``unit=True``: unit box); ``include_noise`` adds the scores' white noise."""
        if self.model_ is None:
            self.fit()
        X = np.atleast_2d(np.asarray(X, dtype=float))
        U = X if unit else self.space.to_unit(X)
        eps = sobol_normal(n_mc or self.n_mc, self.model_.n_scores_, [self.random_state, len(self.y_), 5])
        with single_thread_blas():
            m, s = self.model_.predict_scores(U, include_noise=include_noise)
            R = self.model_.rx_of_scores(m[:, None, :] + s[:, None, :] * eps[None])
        return R.mean(axis=1), R.std(axis=1)

    # ------------------------------------------------------------------ ask
    def _ask_ei(self, n: int, pending: list) -> list[dict]:
        ok = np.array([g is not None for g in self._G], dtype=bool)
        if ok.sum() < 2:  # nothing to model yet: random points
            rng = np.random.default_rng([self.random_state, len(self.y_), 1])
            return [self._propose_entry(rng.random(self.space.dim), "random") for _ in range(n)]
        self.fit()
        model = self.acquisition_model()
        eps = sobol_normal(self.n_mc, model.n_scores_, [self.random_state, len(self.y_), 3])
        with single_thread_blas():
            y_fit = model.rx_of_scores(model.predict_scores(self.X_[ok])[0])
        y_best = float(np.min(y_fit))
        y_ok = self.y_[ok]
        xi = self.xi * float(np.std(y_ok)) if len(y_ok) > 1 else 0.0
        out = []
        for j in range(n):
            fake = list(pending) + [p["u"] for p in out]
            mdl = model.with_fantasies(fake) if fake else model
            u, info = self._maximize(mdl, eps, y_best, xi, float(np.std(y_ok)) or 1.0, seed_key=j)
            out.append(self._propose_entry(u, "ei" if not fake else "ei-believer", **info))
        return out

    def _acq(self, model, U, eps, y_best, xi, normal: bool = False):
        R = self._rx_samples(model, U, eps)
        if normal:
            ei = expected_improvement(R.mean(axis=1), R.std(axis=1), y_best, xi)
        else:
            ei = mc_expected_improvement(R, y_best, xi)
        return ei * self._p_ok(U), R

    def _maximize(self, model, eps, y_best, xi, scale, seed_key=0):
        d = self.space.dim
        rng = np.random.default_rng([self.random_state, len(self.y_), 2, seed_key])
        cand = rng.random((self.n_candidates, d))
        with single_thread_blas():
            ei = np.concatenate([self._acq(model, cand[i:i + 500], eps, y_best, xi)[0]
                                 for i in range(0, len(cand), 500)])
            normal = not np.any(ei > 0)
            if normal:
                ei = np.concatenate([self._acq(model, cand[i:i + 500], eps, y_best, xi, normal=True)[0]
                                     for i in range(0, len(cand), 500)])
            order = np.argsort(-ei)[: self.n_ei_starts]
            starts = list(cand[order])
            ok = np.array([g is not None for g in self._G], dtype=bool)
            Xok, yok = self.X_[ok], self.y_[ok]
            starts += list(Xok[np.argsort(yok)[: max(1, self.n_ei_starts // 4)]])
            h = 1e-6

            def f_and_grad(u):
                steps = np.where(u + h <= 1.0, h, -h)
                U = np.vstack([u, u + np.diag(steps)])
                v = -self._acq(model, U, eps, y_best, xi, normal)[0] / scale
                return float(v[0]), (v[1:] - v[0]) / steps

            best_u, best_val = cand[order[0]], -ei[order[0]] / scale
            for s0 in starts:
                res = minimize(f_and_grad, np.clip(s0, 0, 1), jac=True, method="L-BFGS-B",
                               bounds=[(0.0, 1.0)] * d, options={"maxiter": 100})
                if np.isfinite(res.fun) and res.fun < best_val:
                    best_u, best_val = res.x, float(res.fun)
            best_u = np.clip(best_u, 0.0, 1.0)
            ei_b, R = self._acq(model, best_u.reshape(1, -1), eps, y_best, xi, normal)
            p_ok = float(self._p_ok(best_u.reshape(1, -1))[0])
        info = {"ei": float(ei_b[0]), "mean": float(R.mean()), "std": float(R.std()), "y_best": y_best,
                "p_ok": p_ok, "n_components": int(model.n_scores_),
                "acquisition": "ei-normal-approx" if normal else "mc-ei"}
        return best_u, info

    # ------------------------------------------------------------------ driver
    def run(self, objective: Objective, phase: str | None = None) -> str:
        """Like :meth:`BayesianOptimizer.run`; takes the reference from the evaluator if none was given
        and makes the objective attach each evaluation's PDF to its entry."""
        if self.reference is None:
            cost = objective.cost
            ev = getattr(cost, "evaluator", cost)
            ref = getattr(ev, "reference", None)
            if ref is None or not hasattr(ref, "data_vars"):
                raise ValueError(
                    f"optimizer 'composite' needs reference PDFs: {type(ev).__name__} has none (use an "
                    "Evaluator or a PDF stand-in, or pass reference=...)")
            self.set_reference(ref, getattr(ev, "r_range", None), getattr(ev, "align", "exact"))
        objective.keep_pdfs = True
        reason = run_ask_tell(self, objective, phase or self.name, self.batch_size)
        if sum(g is not None for g in self._G) >= 2:
            self.fit()
        return reason
