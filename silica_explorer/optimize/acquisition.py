"""Expected improvement and its fast maximization on a fitted scikit-learn GP.

:class:`GPPosterior` evaluates the posterior mean and *latent* standard deviation (white noise excluded)
of a fitted ``GaussianProcessRegressor`` with kernel ``ConstantKernel * Matern-5/2 (ARD) +
WhiteKernel`` (the kernel of :class:`~silica_explorer.optimize.bayes.BayesianOptimizer`) for many
points at once, with analytic gradients with respect to the inputs. It uses the regressor's own
Cholesky factor, ``alpha_`` and target normalization, so its values equal ``gp.predict`` (tested);
the gradients make the L-BFGS-B polish of EI cost one posterior evaluation per step instead of
``d + 1`` finite-difference evaluations.

:func:`maximize_ei` scores ``n_candidates`` random points in one vectorized pass and polishes the
best few (plus given extra starts) *together*: the sum of their negative EIs is one smooth function of
the stacked coordinates whose gradient separates, so a single L-BFGS-B run polishes all starts
(the trick BoTorch uses for multi-start acquisition optimization).

Units: inputs are unit-box coordinates; mean, std, EI and ``y_best`` are in the GP's target units
(R_x or log R_x).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import solve_triangular
from scipy.optimize import minimize
from scipy.spatial.distance import cdist
from scipy.special import ndtr

from .gp import is_default_form, kernel_parts

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

_SQRT5 = math.sqrt(5.0)


def expected_improvement(mean, std, y_best: float, xi: float = 0.0) -> np.ndarray:
    """EI for minimization (arrays of GP mean and std; same units as ``y_best`` and ``xi``)."""
    mean = np.asarray(mean, dtype=float)
    std = np.maximum(np.asarray(std, dtype=float), 1e-12)
    imp = y_best - mean - xi
    z = imp / std
    return np.maximum(imp * ndtr(z) + std * _pdf(z), 0.0)


def _pdf(z):
    return _INV_SQRT_2PI * np.exp(-0.5 * z * z)


def ei_and_grad(mean, std, dmean, dstd, y_best: float, xi: float = 0.0):
    """EI and its gradient from the posterior ``mean``/``std`` (m,) and their gradients (m, d)."""
    std = np.maximum(std, 1e-12)
    imp = y_best - mean - xi
    z = imp / std
    cdf, pdf = ndtr(z), _pdf(z)
    ei = imp * cdf + std * pdf
    grad = -cdf[:, None] * dmean + pdf[:, None] * dstd
    return np.maximum(ei, 0.0), np.where((ei > 0)[:, None], grad, 0.0)


class GPPosterior:
    """Vectorized posterior (mean, latent std and their input gradients) of a fitted sklearn GPR.

    Supports ``ConstantKernel * Matern-5/2 [+ WhiteKernel]`` (isotropic or anisotropic length
    scales); :meth:`supports` tells whether a kernel qualifies. ``chunk``: points per block (bounds
    the (chunk, n_train, d) work arrays).
    """

    def __init__(self, gp, chunk: int = 256):
        if not self.supports(gp.kernel_):
            raise ValueError(f"GPPosterior supports ConstantKernel * Matern-5/2 [+ WhiteKernel], "
                             f"got {gp.kernel_}")
        self.X = np.asarray(gp.X_train_, dtype=float)
        self.c, self.ls, _ = kernel_parts(gp.kernel_, self.X.shape[1])
        self.alpha = np.asarray(gp.alpha_, dtype=float).reshape(-1)
        linv = solve_triangular(gp.L_, np.eye(len(self.X)), lower=True)
        self.K_inv = linv.T @ linv
        self.y_mean = float(np.atleast_1d(gp._y_train_mean)[0])
        self.y_std = float(np.atleast_1d(gp._y_train_std)[0])
        self.chunk = int(chunk)

    @staticmethod
    def supports(kernel) -> bool:
        """Whether ``kernel`` is ``ConstantKernel * Matern-5/2 [+ WhiteKernel]``."""
        return is_default_form(kernel)

    def __call__(self, U, grad: bool = False):
        """``(mean, std)`` at points ``U`` (m, d), and with ``grad`` also ``(dmean, dstd)`` (m, d)."""
        U = np.atleast_2d(np.asarray(U, dtype=float))
        parts = [self._block(U[i:i + self.chunk], grad) for i in range(0, len(U), self.chunk)]
        out = tuple(np.concatenate([p[j] for p in parts]) for j in range(len(parts[0])))
        return out

    def _block(self, U, grad):
        if grad:
            D = (U[:, None, :] - self.X[None, :, :]) / self.ls  # (m, n, d)
            r = np.sqrt(np.einsum("mnd,mnd->mn", D, D))
        else:  # no (m, n, d) array needed
            r = cdist(U / self.ls, self.X / self.ls)
        e = np.exp(-_SQRT5 * r)
        k = self.c * (1.0 + _SQRT5 * r + (5.0 / 3.0) * r * r) * e  # (m, n)
        kv = k @ self.K_inv
        var = np.maximum(self.c - np.einsum("mn,mn->m", kv, k), 1e-24)
        sd = np.sqrt(var)
        mean = self.y_std * (k @ self.alpha) + self.y_mean
        std = self.y_std * sd
        if not grad:
            return mean, std
        # dk/du_j = -(5/3) c (1 + sqrt5 r) exp(-sqrt5 r) (u_j - x_j) / l_j^2
        G = (-(5.0 / 3.0) * self.c * (1.0 + _SQRT5 * r) * e)[:, :, None] * (D / self.ls)  # (m, n, d)
        dmean = self.y_std * np.einsum("mnd,n->md", G, self.alpha)
        dvar = -2.0 * np.einsum("mnd,mn->md", G, kv)
        dstd = self.y_std * dvar / (2.0 * sd[:, None])
        return mean, std, dmean, dstd


def maximize_ei(posterior, y_best: float, xi: float, dim: int, rng: np.random.Generator,
                n_candidates: int = 2000, n_starts: int = 8, extra_starts=None, scale: float = 1.0,
                maxiter: int = 200):
    """Maximize EI over [0, 1]^dim: score ``n_candidates`` random points, polish the ``n_starts`` best
    plus ``extra_starts`` jointly with L-BFGS-B on analytic gradients. ``posterior(U, grad)`` is a
    :class:`GPPosterior` (or anything with its call signature). Returns ``(u, ei)``."""
    cand = rng.random((n_candidates, dim))
    m, s = posterior(cand)
    ei = expected_improvement(m, s, y_best, xi)
    order = np.argsort(-ei)[:n_starts]
    starts = [cand[order]]
    if extra_starts is not None and len(extra_starts):
        starts.append(np.clip(np.atleast_2d(extra_starts), 0.0, 1.0))
    S = np.vstack(starts)
    k = len(S)

    def f(z):
        U = z.reshape(k, dim)
        mean, std, dm, ds = posterior(U, grad=True)
        v, g = ei_and_grad(mean, std, dm, ds, y_best, xi)
        return -float(v.sum()) / scale, (-g / scale).reshape(-1)

    res = minimize(f, S.reshape(-1), jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * (k * dim),
                   options={"maxiter": int(maxiter)})
    P = np.clip(res.x.reshape(k, dim), 0.0, 1.0)
    allU = np.vstack([P, cand[order[:1]]])
    mean, std = posterior(allU)
    vals = expected_improvement(mean, std, y_best, xi)
    i = int(np.argmax(vals))
    return allU[i], float(vals[i])


def maximize_ei_numeric(predict, y_best: float, xi: float, dim: int, rng: np.random.Generator,
                        n_candidates: int = 2000, n_starts: int = 8, extra_starts=None, scale: float = 1.0,
                        acquisition=None):
    """The method before :func:`maximize_ei` (kept for comparison, for kernels :class:`GPPosterior`
    does not support and for other acquisitions): each start polished separately by L-BFGS-B on
    finite differences of ``acquisition(U, mean, std)`` (default EI) with ``predict(U) -> (mean, std)``.
    Returns ``(u, value)``."""
    if acquisition is None:
        def acquisition(U, m, s):
            return expected_improvement(m, s, y_best, xi)

    def neg_ei(u):
        U = u.reshape(1, -1)
        return -float(acquisition(U, *predict(U))[0]) / scale

    cand = rng.random((n_candidates, dim))
    ei = acquisition(cand, *predict(cand))
    order = np.argsort(-ei)[:n_starts]
    best_u, best_val = cand[order[0]], -ei[order[0]] / scale
    extra = [] if extra_starts is None else list(np.atleast_2d(extra_starts))
    for s0 in list(cand[order]) + extra:
        res = minimize(neg_ei, np.clip(s0, 0, 1), method="L-BFGS-B", bounds=[(0.0, 1.0)] * dim,
                       options={"maxiter": 200})
        if np.isfinite(res.fun) and res.fun < best_val:
            best_u, best_val = res.x, float(res.fun)
    return np.clip(best_u, 0.0, 1.0), float(-best_val * scale)
