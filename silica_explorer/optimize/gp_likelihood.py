"""Fast log marginal likelihood (and its gradient) of the BO kernel, for scikit-learn's optimizer hook.

The kernel of :class:`~silica_explorer.optimize.bayes.BayesianOptimizer` is
``c * Matern52(r; l_1..l_d) + s * I`` with ``r^2 = sum_j ((x_j - x'_j) / l_j)^2`` and hyperparameters
``theta = (log c, log l_1, ..., log l_d, log s)`` (scikit-learn's order for
``ConstantKernel * Matern + WhiteKernel``). scikit-learn's ``log_marginal_likelihood`` builds the
(n, n, d + 2) kernel-gradient tensor; here the length-scale part of the gradient,
``1/2 tr((a a^T - K^-1) dK/dlog l_j)``, is reduced with matrix products instead:

    dK_ab/dlog l_j = F_ab (x_aj - x_bj)^2 / l_j^2,   F = (5/3) c (1 + sqrt5 r) exp(-sqrt5 r)
    sum_ab W_ab F_ab (x_aj - x_bj)^2 = 2 sum_a x_aj^2 (WF 1)_a - 2 (x_j^T (WF) x_j)

so one evaluation costs a Cholesky factorization, an inverse and O(n^2 d) products (measured ~10x
faster than scikit-learn's at n = 300, d = 7). The values equal scikit-learn's (tested). Targets are
the standardized ones (``normalize_y=True``); ``jitter`` is the regressor's ``alpha`` (1e-10).

:func:`lbfgs_optimizer` returns the callable that ``GaussianProcessRegressor(optimizer=...)`` accepts:
it minimizes this objective (not scikit-learn's) with the same L-BFGS-B call scikit-learn makes, so
the regressor, its restarts and its predictions stay scikit-learn's.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import cho_solve, cholesky
from scipy.optimize import minimize
from scipy.spatial.distance import cdist

_SQRT5 = math.sqrt(5.0)


def standardize(y) -> np.ndarray:
    """``(y - mean) / std`` as scikit-learn's ``normalize_y`` does (std 0 -> 1)."""
    y = np.asarray(y, dtype=float)
    sd = float(np.std(y))
    return (y - float(np.mean(y))) / (sd if sd > 0 else 1.0)


def neg_log_marginal_likelihood(theta, X, y, jitter: float = 1e-10):
    """``(-LML, -dLML/dtheta)`` of ``c Matern52 + s I`` at log-hyperparameters ``theta`` for unit
    inputs ``X`` (n, d) and standardized targets ``y`` (n,)."""
    theta = np.asarray(theta, dtype=float)
    n, d = X.shape
    c, ls, s = math.exp(theta[0]), np.exp(theta[1:1 + d]), math.exp(theta[-1])
    Xs = X / ls
    r = cdist(Xs, Xs)
    e = np.exp(-_SQRT5 * r)
    Kc = c * (1.0 + _SQRT5 * r + (5.0 / 3.0) * r * r) * e
    K = Kc.copy()
    K[np.diag_indices_from(K)] += s + jitter
    try:
        L = cholesky(K, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return np.inf, np.zeros_like(theta)
    alpha = cho_solve((L, True), y, check_finite=False)
    lml = -0.5 * float(y @ alpha) - float(np.log(np.diag(L)).sum()) - 0.5 * n * math.log(2.0 * math.pi)
    W = np.outer(alpha, alpha) - cho_solve((L, True), np.eye(n), check_finite=False)
    grad = np.empty_like(theta)
    grad[0] = 0.5 * float(np.sum(W * Kc))
    WF = W * ((5.0 / 3.0) * c * (1.0 + _SQRT5 * r) * e)
    row = WF.sum(axis=1)
    quad = np.sum((WF @ Xs) * Xs, axis=0)
    grad[1:1 + d] = 0.5 * (2.0 * (Xs * Xs).T @ row - 2.0 * quad)
    grad[-1] = 0.5 * s * float(np.trace(W))
    return -lml, -grad


def supports(kernel, dim: int) -> bool:
    """Whether ``kernel`` is ``ConstantKernel * Matern(nu=2.5, d length scales) + WhiteKernel`` with all
    d + 2 hyperparameters free (the layout :func:`neg_log_marginal_likelihood` assumes)."""
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, Product, Sum, WhiteKernel
    return (isinstance(kernel, Sum) and isinstance(kernel.k2, WhiteKernel) and isinstance(kernel.k1, Product)
            and isinstance(kernel.k1.k1, ConstantKernel) and isinstance(kernel.k1.k2, Matern)
            and float(kernel.k1.k2.nu) == 2.5 and np.ndim(kernel.k1.k2.length_scale) == 1
            and len(kernel.k1.k2.length_scale) == dim and len(kernel.theta) == dim + 2)


def lbfgs_optimizer(X, y_raw, maxiter: int | None = None):
    """An ``optimizer`` for ``GaussianProcessRegressor`` fitted on ``X``, ``y_raw`` (it standardizes
    ``y_raw`` as ``normalize_y=True`` does) that minimizes :func:`neg_log_marginal_likelihood`.
    ``maxiter``: L-BFGS-B iterations (None: scipy's default, as scikit-learn)."""
    X = np.asarray(X, dtype=float)
    y = standardize(y_raw)

    def optimizer(obj_func, initial_theta, bounds):
        opts = {} if maxiter is None else {"maxiter": int(maxiter)}
        res = minimize(neg_log_marginal_likelihood, initial_theta, args=(X, y), method="L-BFGS-B", jac=True,
                       bounds=bounds, options=opts)
        return res.x, res.fun

    return optimizer
