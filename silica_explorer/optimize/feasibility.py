"""Failed melts without a cliff: constrained expected improvement (Gardner et al., ICML 2014;
Gelbart et al., UAI 2014).

The default failure policy of :class:`~silica_explorer.optimize.bayes.BayesianOptimizer`, ``"impute"``,
shows the cost GP every failed melt at the worst finite R_x seen so far. Where the valley of R_x lies
right against a band of failing parameter sets (Si-O pairs collapsing next to the best liquids), that
puts a cliff into the GP's mean right next to the valley floor and bends the model of the valley.

``failure_policy="constrained"`` models the two things separately:

- the cost GP is fitted to the successful evaluations only (no imputed values);
- a :class:`FeasibilityModel` - a GP of ok (+1) against failed (-1) labels - gives ``P(feasible | u)``;
- the acquisition is ``EI(u) * P(feasible | u)``, with the incumbent ``y*`` the best successful cost,
  set to 0 where ``P < min_feasibility`` (Gelbart et al.'s probabilistic constraint
  ``P(feasible) >= 1 - delta``; default 0.5). Without it, the cost GP - fitted to successes only -
  extrapolates the valley's descent into the unexplored failure band, and the EI there outweighs
  any moderate P.

Until the first failure the model says ``P = 1`` everywhere (constrained EI is then plain EI on the same
data); with no success at all the proposals are random points, as for plain BO.

Feasibility methods (``feasibility=``):

- ``"gpr"`` (default): the probit approximation - GP regression (``Constant * Matern-5/2
  (anisotropic) + white noise``, hyperparameters by marginal likelihood) on labels +1 (ok) / -1
  (failed), ``P = Phi(mu / sqrt(s^2 + noise))``;
- ``"gpc"``: scikit-learn ``GaussianProcessClassifier`` (Laplace approximation, logistic link, same
  kernel without noise); measured to be under-confident where ``"gpr"`` is not.

Kernels: :func:`~silica_explorer.optimize.gp.default_kernel`. Measurements behind these choices:
``data/results/optimizer_notes.md``.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import norm

from .bayes import BayesianOptimizer, expected_improvement
from .gp import default_kernel, fit_gp, single_thread_blas

#: Values of ``failure_policy`` (optimizer option, ``--failure-policy`` in the CLI).
FAILURE_POLICIES = ("impute", "constrained")
#: Values of ``feasibility`` (the classifier of a constrained optimizer).
FEASIBILITY_METHODS = ("gpc", "gpr")


def check_failure_policy(value: str) -> str:
    if value not in FAILURE_POLICIES:
        raise ValueError(f"failure_policy must be one of {list(FAILURE_POLICIES)}, got {value!r} ('impute': "
                         "failed melts enter the cost GP at the imputed failure_value; 'constrained': cost GP on "
                         "successful melts only, EI x P(feasible))")
    return value


class FeasibilityModel:
    """P(a melt at unit point ``u`` succeeds), learned from told points.

    Parameters
    ----------
    method : ``"gpc"`` (GP classifier, Laplace) or ``"gpr"`` (GP regression on +-1 labels, probit).
    length_scale_bounds : kernel length-scale bounds (unit-box lengths).
    random_state : seed of the hyperparameter optimizer.

    After :meth:`fit`: ``constant_`` (True when every told point had the same label, then
    :meth:`predict_proba` returns that label's probability, 1 or 0, everywhere), ``model_``.
    """

    def __init__(self, method: str = "gpr", length_scale_bounds: tuple[float, float] = (1e-2, 1e1),
                 random_state: int = 0):
        if method not in FEASIBILITY_METHODS:
            raise ValueError(f"feasibility must be one of {list(FEASIBILITY_METHODS)}, got {method!r}")
        self.method = method
        self.length_scale_bounds = tuple(length_scale_bounds)
        self.random_state = int(random_state)
        self.model_ = None
        self.constant_: float | None = None

    def _kernel(self, dim: int, white: bool):
        return default_kernel(dim, self.length_scale_bounds, noise_bounds=(1e-6, 1.0), constant_bounds=(1e-2, 1e3),
                              white=white)

    def fit(self, X, ok) -> "FeasibilityModel":
        """Fit to unit points ``X`` (n, d) and labels ``ok`` (n,) (True = the melt succeeded)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        ok = np.asarray(ok, dtype=bool)
        self.model_ = None
        if ok.all() or (~ok).all():
            self.constant_ = 1.0 if ok.all() else 0.0
            return self
        self.constant_ = None
        with warnings.catch_warnings(), single_thread_blas():
            warnings.simplefilter("ignore")
            if self.method == "gpc":
                from sklearn.gaussian_process import GaussianProcessClassifier
                m = GaussianProcessClassifier(self._kernel(X.shape[1], white=False), n_restarts_optimizer=0,
                                              random_state=self.random_state)
                m.fit(X, ok.astype(int))
            else:
                m = fit_gp(self._kernel(X.shape[1], white=True), X, np.where(ok, 1.0, -1.0), n_restarts=0,
                           random_state=self.random_state, normalize_y=False)
        self.model_ = m
        return self

    def predict_proba(self, U) -> np.ndarray:
        """P(feasible) at unit points ``U`` (n, d), in [0, 1]."""
        U = np.atleast_2d(np.asarray(U, dtype=float))
        if self.constant_ is not None:
            return np.full(len(U), self.constant_)
        if self.model_ is None:
            raise RuntimeError("FeasibilityModel is not fitted")
        # no threadpool_limits context here: entering one costs ~20 ms (measured: it made constrained
        # proposals 6x slower, called once per L-BFGS-B step); the optimizers' proposals run inside one
        if self.method == "gpc":
            return self.model_.predict_proba(U)[:, 1]
        mean, std = self.model_.predict(U, return_std=True)
        return norm.cdf(mean / np.maximum(std, 1e-12))  # std includes the white noise: probit link


class ConstrainedBayesianOptimizer(BayesianOptimizer):
    """:class:`BayesianOptimizer` with a choice of failure policy (module docstring).

    Parameters (besides those of :class:`BayesianOptimizer`)
    ----------
    failure_policy : ``"constrained"`` (default here: cost GP on successes, acquisition EI x P(feasible))
        or ``"impute"`` (exactly :class:`BayesianOptimizer`: failures imputed at ``failure_value``).
    feasibility : ``"gpc"`` or ``"gpr"`` (:class:`FeasibilityModel`).
    min_feasibility : the acquisition is 0 where P(feasible) is below this (in [0, 1); default 0.5).

    Attributes: ``feasibility_`` (the fitted :class:`FeasibilityModel` of the last fit, constrained only).
    """

    def __init__(self, space, *, failure_policy: str = "constrained", feasibility: str = "gpr",
                 min_feasibility: float = 0.5, **options):
        self.failure_policy = check_failure_policy(failure_policy)
        if not 0.0 <= float(min_feasibility) < 1.0:
            raise ValueError(f"min_feasibility must be in [0, 1) (a probability), got {min_feasibility!r}")
        self.min_feasibility = float(min_feasibility)
        if feasibility not in FEASIBILITY_METHODS:
            raise ValueError(f"feasibility must be one of {list(FEASIBILITY_METHODS)}, got {feasibility!r}")
        self.feasibility = feasibility
        self.feasibility_: FeasibilityModel | None = None
        super().__init__(space, **options)

    @property
    def constrained(self) -> bool:
        return self.failure_policy == "constrained"

    def get_params(self) -> dict:
        return {**super().get_params(), "failure_policy": self.failure_policy, "feasibility": self.feasibility,
                "min_feasibility": self.min_feasibility}

    def _training_data(self, n: int | None = None):
        if not self.constrained:
            return super()._training_data(n)
        X, y = (self.X_, self.y_) if n is None else (self.X_[:n], self.y_[:n])
        ok = np.isfinite(y)
        return X[ok], self._fwd(y[ok])

    def fit_feasibility(self, X=None, y=None) -> FeasibilityModel:
        """Fit (and return) the feasibility model to told points (or ``X``, ``y``; nan = failed)."""
        X = self.X_ if X is None else X
        y = self.y_ if y is None else y
        model = FeasibilityModel(self.feasibility, self.length_scale_bounds,
                                 random_state=int(np.random.default_rng([self.random_state, len(y), 0xFEA])
                                                  .integers(2**31 - 1)))
        self.feasibility_ = model.fit(X, np.isfinite(y))
        return self.feasibility_

    def fit(self, X=None, y=None):
        super().fit(X, y)
        if self.constrained and X is None and y is None:
            self.fit_feasibility()
        return self

    def _acquisition(self, U, mean, std, y_best, xi):
        ei = expected_improvement(mean, std, y_best, xi)
        if not self.constrained or self.feasibility_ is None:
            return ei
        return self.feasibility_weight(self.feasibility_.predict_proba(U)) * ei

    def acquisition_is_ei(self) -> bool:
        """Plain EI with ``failure_policy="impute"`` (the same proposals as :class:`BayesianOptimizer`)."""
        return not self.constrained

    def feasibility_weight(self, p) -> np.ndarray:
        """The factor EI is multiplied by: P(feasible), 0 below ``min_feasibility``."""
        p = np.asarray(p, dtype=float)
        return np.where(p >= self.min_feasibility, p, 0.0)

    def predict_feasibility(self, X, unit: bool = False) -> np.ndarray:
        """P(feasible) at points ``X`` (parameter units; ``unit=True``: unit box)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        model = self.feasibility_ or self.fit_feasibility()
        return model.predict_proba(X if unit else self.space.to_unit(X))
