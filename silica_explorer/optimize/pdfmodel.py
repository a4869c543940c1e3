"""A surrogate of the partial PDFs as functions of the parameters: PCA per pair + one GP per score.

Used by :class:`~silica_explorer.optimize.composite.CompositeBO` (composite Bayesian optimization:
Astudillo & Frazier, ICML 2019; Shanks et al., JCTC 2024). R_x is a known function of the PDFs
(:mod:`silica_explorer.cost`), so the model predicts the PDFs and R_x is computed from them.

**Data.** Each successful evaluation gives g_ab(r) on the reference's r grid (the points that enter
R_x, see :func:`silica_explorer.cost.aligned`): an array ``G`` of shape (n, pair, r).

**PCA per pair.** ``g_p(r) ~ mean_p(r) + sum_j z_pj W_pj(r)`` with orthonormal components ``W_p``
(rows of the SVD of the centred PDFs). Per pair the fewest components that explain
``explained_variance`` of the variance are kept, at most ``max_components`` and at most n - 1.
The scores ``z`` are unit-free coordinates of g (same units as g, i.e. dimensionless).

**GP per score.** scikit-learn ``GaussianProcessRegressor`` with ``ConstantKernel * Matern-5/2 (ARD) +
WhiteKernel`` on the unit box, ``normalize_y=True``; the white term absorbs the sampling noise of the
melts. Predictions are independent Gaussians per score (latent std, white noise excluded).

**R_x from scores.** Because each ``W_p`` has orthonormal rows, for ``g = mean + z W``:
``||g_ref - g||^2 = ||w0 - z||^2 + q2`` with ``w0 = W (g_ref - mean)`` and ``q2`` the part of
``g_ref - mean`` outside the span, so ``chi2_p = (||w0_p - z_p||^2 + q2_p) / sum_r g_ref,p^2`` costs
O(components), not O(r points). ``include_residual=True`` adds the mean in-sample truncation residual
``sum_r res^2 / sum_r g_ref^2`` per pair (the sampling noise in the discarded components), which puts
predicted R_x on the scale of measured R_x; without it, R_x of the predicted scores equals
:func:`silica_explorer.cost.rx` of the reconstructed PDFs exactly.
"""

from __future__ import annotations

import numpy as np

from .gp import default_kernel, fit_gp, kernel_parts, noise_variance


class PDFModel:
    """PCA of partial PDFs per pair + one GP per principal-component score.

    Parameters
    ----------
    g_ref : reference PDFs (pair, r) on the grid of the told PDFs (what R_x compares against).
    explained_variance : fraction of each pair's variance the kept components must explain.
    max_components : most components per pair.
    n_restarts_optimizer : restarts of each GP's marginal-likelihood optimization.
    length_scale_bounds, noise_bounds : kernel hyperparameter bounds (unit box; standardized noise).
    random_state : seed of the GP restarts.

    Attributes after :meth:`fit`: ``means_`` (pair, r), ``components_`` (list per pair of (k_p, r)),
    ``slices_`` (each pair's columns in the stacked score vector), ``gps_`` (one per score),
    ``residual_chi2_`` (pair,) mean in-sample truncation residual / norm.
    """

    def __init__(self, g_ref, explained_variance: float = 0.99, max_components: int = 5,
                 n_restarts_optimizer: int = 1, length_scale_bounds=(1e-2, 1e1), noise_bounds=(1e-6, 1.0),
                 random_state: int = 0):
        if not 0 < explained_variance <= 1:
            raise ValueError(f"explained_variance = {explained_variance} must be in (0, 1]")
        if int(max_components) < 1:
            raise ValueError(f"max_components = {max_components} must be >= 1")
        self.g_ref = np.asarray(g_ref, dtype=float)
        if self.g_ref.ndim != 2:
            raise ValueError(f"g_ref must be (pair, r), got shape {self.g_ref.shape}")
        self.norm = np.sum(self.g_ref**2, axis=1)
        if np.any(self.norm <= 0):
            raise ValueError("reference g(r) is zero everywhere for some pair")
        self.explained_variance = float(explained_variance)
        self.max_components = int(max_components)
        self.n_restarts_optimizer = int(n_restarts_optimizer)
        self.length_scale_bounds = tuple(length_scale_bounds)
        self.noise_bounds = tuple(noise_bounds)
        self.random_state = int(random_state)

    # ------------------------------------------------------------------ PCA
    def fit_pca(self, G) -> "PDFModel":
        """PCA per pair of ``G`` (n, pair, r); sets means, components, reference projections."""
        G = np.asarray(G, dtype=float)
        if G.ndim != 3 or G.shape[1:] != self.g_ref.shape:
            raise ValueError(f"PDFs must be (n, {self.g_ref.shape[0]}, {self.g_ref.shape[1]}), got {G.shape}")
        n = G.shape[0]
        self.means_ = G.mean(axis=0)
        self.components_, self.slices_, self.w0_, self.q2_, res = [], [], [], [], []
        start = 0
        for p in range(G.shape[1]):
            A = G[:, p, :] - self.means_[p]
            _, s, Vt = np.linalg.svd(A, full_matrices=False)
            var = s**2
            total = var.sum()
            if n < 2 or total <= 0:
                k = 0
            else:
                frac = np.cumsum(var) / total
                k = int(np.searchsorted(frac, self.explained_variance - 1e-12) + 1)
                k = min(k, self.max_components, n - 1, Vt.shape[0])
            W = Vt[:k]
            self.components_.append(W)
            self.slices_.append(slice(start, start + k))
            start += k
            d = self.g_ref[p] - self.means_[p]
            w0 = W @ d
            self.w0_.append(w0)
            self.q2_.append(float(d @ d - w0 @ w0))
            R = A - (A @ W.T) @ W
            res.append(float(np.mean(np.sum(R**2, axis=1))))
        self.n_scores_ = start
        self.residual_chi2_ = np.array(res) / self.norm
        return self

    def transform(self, G) -> np.ndarray:
        """Scores (n, n_scores) of PDFs ``G`` (n, pair, r)."""
        G = np.asarray(G, dtype=float)
        out = np.zeros((G.shape[0], self.n_scores_))
        for p, (W, sl) in enumerate(zip(self.components_, self.slices_)):
            out[:, sl] = (G[:, p, :] - self.means_[p]) @ W.T
        return out

    def reconstruct(self, Z) -> np.ndarray:
        """PDFs (n, pair, r) of scores ``Z`` (n, n_scores)."""
        Z = np.atleast_2d(np.asarray(Z, dtype=float))
        out = np.repeat(self.means_[None], Z.shape[0], axis=0)
        for p, (W, sl) in enumerate(zip(self.components_, self.slices_)):
            out[:, p, :] += Z[:, sl] @ W
        return out

    def chi2_of_scores(self, Z, include_residual: bool = True) -> np.ndarray:
        """chi2 per pair (..., pair) of scores ``Z`` (..., n_scores) - see the module docstring."""
        Z = np.asarray(Z, dtype=float)
        out = []
        for p, sl in enumerate(self.slices_):
            diff = Z[..., sl] - self.w0_[p]
            c = (np.sum(diff**2, axis=-1) + self.q2_[p]) / self.norm[p]
            if include_residual:
                c = c + self.residual_chi2_[p]
            out.append(c)
        return np.stack(out, axis=-1)

    def rx_of_scores(self, Z, include_residual: bool = True) -> np.ndarray:
        """R_x (fraction) of scores ``Z`` (..., n_scores)."""
        return np.sqrt(np.mean(self.chi2_of_scores(Z, include_residual), axis=-1))

    # ------------------------------------------------------------------ GPs
    def _kernel(self, d: int):
        return default_kernel(d, self.length_scale_bounds, self.noise_bounds)

    def fit(self, X, G, kernels=None) -> "PDFModel":
        """PCA of ``G`` (n, pair, r), then one GP per score on unit points ``X`` (n, d).
        ``kernels``: fitted kernels to reuse without re-optimizing (one per score; for fantasies)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        if len(X) != len(G):
            raise ValueError(f"{len(X)} points but {len(G)} PDFs")
        self.fit_pca(G)
        Z = self.transform(G)
        self.X_ = X
        self.Z_ = Z
        self.gps_ = []
        for j in range(self.n_scores_):
            rng = np.random.default_rng([self.random_state, len(X), j, 0x9C4])
            if kernels is not None:
                gp = fit_gp(kernels[j], X, Z[:, j], optimizer=None)
            else:
                gp = fit_gp(self._kernel(X.shape[1]), X, Z[:, j], n_restarts=self.n_restarts_optimizer,
                            random_state=int(rng.integers(2**31 - 1)))
            self.gps_.append(gp)
        self._stack()
        return self

    def _stack(self) -> None:
        """Arrays of all score GPs for the vectorized predictor (:meth:`predict_scores`)."""
        from scipy.linalg import solve_triangular
        d = self.X_.shape[1]
        parts = [kernel_parts(gp.kernel_, d) for gp in self.gps_]
        self._amp = np.array([c for c, _, _ in parts])
        self._ls = np.array([ls for _, ls, _ in parts])
        self._alpha = np.array([gp.alpha_.ravel() for gp in self.gps_])
        self._Linv = np.array([solve_triangular(gp.L_, np.eye(len(self.X_)), lower=True) for gp in self.gps_])
        self._ymean = np.array([float(np.atleast_1d(gp._y_train_mean)[0]) for gp in self.gps_])
        self._ystd = np.array([float(np.atleast_1d(gp._y_train_std)[0]) for gp in self.gps_])
        self._noise = np.array([noise for _, _, noise in parts])

    def predict_scores(self, U, include_noise: bool = False, method: str = "fast"):
        """Posterior ``(mean, std)`` of the scores, each (m, n_scores), at unit points ``U`` (m, d);
        ``std`` is latent (white noise excluded unless ``include_noise``). ``method="fast"``: all GPs
        at once from their fitted kernels, Cholesky factors and weights (Matern 5/2 in numpy);
        ``"sklearn"``: each ``GaussianProcessRegressor.predict`` (the same numbers, slower)."""
        U = np.atleast_2d(np.asarray(U, dtype=float))
        if method == "fast":
            if self.n_scores_ == 0:
                return np.zeros((len(U), 0)), np.zeros((len(U), 0))
            diff = (U[None, :, None, :] - self.X_[None, None, :, :]) / self._ls[:, None, None, :]
            r = np.sqrt(5.0) * np.sqrt(np.sum(diff**2, axis=-1))  # (J, m, n)
            K = self._amp[:, None, None] * (1.0 + r + r**2 / 3.0) * np.exp(-r)
            mean = np.einsum("jmn,jn->mj", K, self._alpha) * self._ystd + self._ymean
            V = np.einsum("jkn,jmn->jmk", self._Linv, K)
            var = self._amp[:, None] - np.sum(V**2, axis=-1)  # (J, m), standardized units
            if include_noise:
                var = var + self._noise[:, None]
            std = np.sqrt(np.maximum(var, 1e-24)).T * self._ystd
            return mean, std
        if method != "sklearn":
            raise ValueError(f"method must be 'fast' or 'sklearn', got {method!r}")
        mean = np.zeros((len(U), self.n_scores_))
        std = np.zeros((len(U), self.n_scores_))
        for j, gp in enumerate(self.gps_):
            m, s = gp.predict(U, return_std=True)
            if not include_noise:
                s = np.sqrt(np.maximum(s**2 - noise_variance(gp), 1e-24))
            mean[:, j], std[:, j] = m, s
        return mean, std

    def predict_pdfs(self, U):
        """Posterior mean PDFs (m, pair, r) at unit points ``U``."""
        return self.reconstruct(self.predict_scores(U)[0])

    def with_fantasies(self, U_fake) -> "PDFModel":
        """A copy conditioned on fake observations at ``U_fake`` equal to the posterior mean scores
        (kriging believer, for batches): same PCA and kernels, variance shrinks at the fake points."""
        U_fake = np.atleast_2d(np.asarray(U_fake, dtype=float))
        m, _ = self.predict_scores(U_fake)
        new = object.__new__(PDFModel)
        new.__dict__.update(self.__dict__)
        new.X_ = np.vstack([self.X_, U_fake])
        new.Z_ = np.vstack([self.Z_, m])
        new.gps_ = []
        for j, gp in enumerate(self.gps_):
            # the original target normalization, so that the kernel means the same and the posterior
            # mean stays exactly what it was (conditioning on the mean changes only the variance)
            mu, sd = np.atleast_1d(gp._y_train_mean)[0], np.atleast_1d(gp._y_train_std)[0]
            g = fit_gp(gp.kernel_, new.X_, (new.Z_[:, j] - mu) / sd, optimizer=None, normalize_y=False)
            g._y_train_mean, g._y_train_std = mu, sd
            new.gps_.append(g)
        new._stack()
        return new
