"""The Gaussian process of every GP model in :mod:`silica_explorer.optimize`: kernel, fit, readout.

**Kernel** (:func:`default_kernel`, the one place it is built): ``c * Matern52(r; l_1..l_d) + s * I``
on the unit box [0, 1]^d, ``r^2 = sum_j ((x_j - x'_j) / l_j)^2`` - scikit-learn's
``ConstantKernel * Matern(nu=2.5, anisotropic) + WhiteKernel`` with initial values ``c = 1``,
``l_j = 0.3``, ``s = 1e-2`` (``s`` in standardized target units: the MD noise). Length scales are in
unit-box lengths (1 = the search range).

**Fit** (:func:`fit_gp`): scikit-learn ``GaussianProcessRegressor`` (jitter ``alpha`` 1e-10), hyperparameters
by maximum marginal likelihood. :func:`hyper_optimizer` gives its ``optimizer``: with
``likelihood="fast"`` for the default kernel, L-BFGS-B on :func:`neg_log_marginal_likelihood` (below),
else scikit-learn's own. The regressor, its restarts and its predictions stay scikit-learn's.

**Fast likelihood.** Hyperparameters ``theta = (log c, log l_1, ..., log l_d, log s)`` (scikit-learn's
order). scikit-learn's ``log_marginal_likelihood`` builds the (n, n, d + 2) kernel-gradient tensor;
here the length-scale part of the gradient, ``1/2 tr((a a^T - K^-1) dK/dlog l_j)``, is reduced with
matrix products instead:

    dK_ab/dlog l_j = F_ab (x_aj - x_bj)^2 / l_j^2,   F = (5/3) c (1 + sqrt5 r) exp(-sqrt5 r)
    sum_ab W_ab F_ab (x_aj - x_bj)^2 = 2 sum_a x_aj^2 (WF 1)_a - 2 (x_j^T (WF) x_j)

so one evaluation costs a Cholesky factorization, an inverse and O(n^2 d) products (timings:
``data/results/optimizer_notes.md``). The values equal scikit-learn's (tested). Targets are the
standardized ones (``normalize_y=True``); ``jitter`` is the regressor's ``alpha`` (1e-10).

**Readout**: :func:`kernel_parts` (``c``, the d length scales, ``s``) and :func:`length_scales` of a
kernel; :func:`noise_variance` of a fitted GP in target units^2.

:func:`single_thread_blas` is the BLAS context in which the optimizers fit and query their GPs.
"""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
from scipy.linalg import cho_solve, cholesky
from scipy.optimize import minimize
from scipy.spatial.distance import cdist

_SQRT5 = math.sqrt(5.0)

#: bounds of the kernel's constant ``c`` in :class:`~.bayes.BayesianOptimizer` and the PDF model
CONSTANT_BOUNDS = (1e-3, 1e3)
#: default bounds of the length scales (unit-box lengths)
LENGTH_SCALE_BOUNDS = (1e-2, 1e1)
#: default bounds of the white-noise level (standardized target units)
NOISE_BOUNDS = (1e-6, 1.0)


def single_thread_blas():
    """Context manager limiting BLAS to one thread. Small GP matrices gain nothing from BLAS threads,
    and on a busy machine OpenBLAS threads spin; single-threaded BLAS is also bitwise repeatable.
    Entering one is not free: enter it once around a proposal, not per GP call (measurements:
    ``data/results/optimizer_notes.md``)."""
    try:
        from threadpoolctl import threadpool_limits
        return threadpool_limits(limits=1, user_api="blas")
    except ImportError:  # pragma: no cover (threadpoolctl ships with scikit-learn)
        return contextlib.nullcontext()


# ------------------------------------------------------------------------------------------ kernel
def default_kernel(dim: int, length_scale_bounds=LENGTH_SCALE_BOUNDS, noise_bounds=NOISE_BOUNDS,
                   constant_bounds=CONSTANT_BOUNDS, white: bool = True):
    """``ConstantKernel(1) * Matern(nu=2.5, l = 0.3 in each of dim directions) [+ WhiteKernel(1e-2)]``
    with the given hyperparameter bounds (``white=False``: no noise term, e.g. for a GP classifier)."""
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
    k = ConstantKernel(1.0, tuple(constant_bounds)) * Matern(length_scale=np.full(int(dim), 0.3),
                                                            length_scale_bounds=length_scale_bounds, nu=2.5)
    if not white:
        return k
    return k + WhiteKernel(noise_level=1e-2, noise_level_bounds=noise_bounds)


def is_default_form(kernel, white: bool | None = None) -> bool:
    """Whether ``kernel`` is ``ConstantKernel * Matern(nu=2.5) [+ WhiteKernel]`` (isotropic or
    anisotropic); ``white``: require (True) or forbid (False) the noise term, None: either."""
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, Product, Sum, WhiteKernel
    if isinstance(kernel, Sum):
        if white is False or not isinstance(kernel.k2, WhiteKernel):
            return False
        kernel = kernel.k1
    elif white is True:
        return False
    return (isinstance(kernel, Product) and isinstance(kernel.k1, ConstantKernel)
            and isinstance(kernel.k2, Matern) and float(kernel.k2.nu) == 2.5)


def kernel_parts(kernel, dim: int) -> tuple[float, np.ndarray, float]:
    """``(constant c, length scales (dim,), white-noise level s)`` of a ``C * Matern [+ White]`` kernel
    (``s`` = 0 without the noise term; in the regressor's standardized target units)."""
    if not is_default_form(kernel):
        raise ValueError(f"expected ConstantKernel * Matern(nu=2.5) [+ WhiteKernel], got {kernel}")
    white = type(kernel).__name__ == "Sum"
    prod = kernel.k1 if white else kernel
    noise = float(kernel.k2.noise_level) if white else 0.0
    return float(prod.k1.constant_value), length_scales(kernel, dim), noise


def length_scales(kernel, dim: int) -> np.ndarray:
    """The length scales (dim,) of the kernel's one (isotropic or anisotropic) length-scale parameter,
    in the kernel's input units (unit-box lengths here)."""
    found = [v for k, v in kernel.get_params().items() if k.endswith("length_scale")]
    if len(found) != 1:
        raise ValueError(f"expected a kernel with one length_scale parameter, got {kernel}")
    return np.broadcast_to(np.atleast_1d(np.asarray(found[0], dtype=float)), (int(dim),)).copy()


def noise_variance(gp) -> float:
    """White-noise variance of a fitted GP in target units^2 (0 without a noise term)."""
    level = getattr(getattr(gp.kernel_, "k2", None), "noise_level", 0.0)
    scale = float(np.atleast_1d(getattr(gp, "_y_train_std", 1.0))[0])
    return float(level) * scale**2


# ------------------------------------------------------------------------------------------ fit
def fit_gp(kernel, X, y, *, optimizer="fmin_l_bfgs_b", n_restarts: int = 0, random_state=None,
           normalize_y: bool = True):
    """A scikit-learn ``GaussianProcessRegressor(kernel, normalize_y, optimizer, n_restarts_optimizer,
    random_state)`` fitted to ``X`` (n, d), ``y`` (n,), with scikit-learn's warnings silenced (e.g.
    ConvergenceWarning at a hyperparameter bound). ``optimizer=None``: keep the kernel's
    hyperparameters. The caller chooses the BLAS context (:func:`single_thread_blas`)."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    gp = GaussianProcessRegressor(kernel=kernel, normalize_y=normalize_y, optimizer=optimizer,
                                  n_restarts_optimizer=n_restarts, random_state=random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gp.fit(X, y)
    return gp


def hyper_optimizer(kernel, X, y, likelihood: str = "fast", maxiter: int | None = None):
    """scikit-learn's ``optimizer`` argument for fitting ``kernel`` to ``X``, ``y``: L-BFGS-B on the
    fast likelihood (:func:`lbfgs_optimizer`) when ``likelihood="fast"`` and the kernel is the default
    form with all hyperparameters free, else scikit-learn's (``maxiter``: L-BFGS-B iterations, None =
    scipy's default)."""
    if likelihood == "fast" and fast_likelihood_supports(kernel, X.shape[1]):
        return lbfgs_optimizer(X, y, maxiter)
    if maxiter is None:
        return "fmin_l_bfgs_b"

    def polish(obj_func, theta0, bounds):
        res = minimize(obj_func, theta0, method="L-BFGS-B", jac=True, bounds=bounds, options={"maxiter": maxiter})
        return res.x, res.fun
    return polish


# ------------------------------------------------------------------------------------------ likelihood
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


def fast_likelihood_supports(kernel, dim: int) -> bool:
    """Whether ``kernel`` is ``ConstantKernel * Matern(nu=2.5, d length scales) + WhiteKernel`` with all
    d + 2 hyperparameters free (the layout :func:`neg_log_marginal_likelihood` assumes)."""
    return (is_default_form(kernel, white=True) and np.ndim(kernel.k1.k2.length_scale) == 1
            and len(kernel.k1.k2.length_scale) == dim and len(kernel.theta) == dim + 2)


def lbfgs_optimizer(X, y_raw, maxiter: int | None = None):
    """An ``optimizer`` for ``GaussianProcessRegressor`` fitted on ``X``, ``y_raw`` (it standardizes
    ``y_raw`` as ``normalize_y=True`` does) that minimizes :func:`neg_log_marginal_likelihood` with the
    same L-BFGS-B call scikit-learn makes. ``maxiter``: L-BFGS-B iterations (None: scipy's default, as
    scikit-learn)."""
    X = np.asarray(X, dtype=float)
    y = standardize(y_raw)

    def optimizer(obj_func, initial_theta, bounds):
        opts = {} if maxiter is None else {"maxiter": int(maxiter)}
        res = minimize(neg_log_marginal_likelihood, initial_theta, args=(X, y), method="L-BFGS-B", jac=True,
                       bounds=bounds, options=opts)
        return res.x, res.fun

    return optimizer
