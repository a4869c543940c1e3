"""Optimizers of the forcefield parameters against the cost R_x.

- :class:`SearchSpace` - free parameters, bounds, base forcefield, coordinates (box, log A, or log of the
  repulsion at contact + rho); unit box <-> parameters <-> ForceField.
- :class:`BayesianOptimizer` - Gaussian-process regression + expected improvement (the paper's method);
  starts from the base set and the presets inside the bounds; its fast paths live in
  :mod:`.acquisition` (posterior + EI gradients) and :mod:`.gp_likelihood` (marginal likelihood).
- :class:`ConjugateGradient` - scipy CG with finite-difference gradients on the same budget.
- :class:`BOThenCG` - BO, then CG refinement from BO's best point.
- :class:`CompositeBO` - composite BO: a surrogate of the partial PDFs (PCA + GPs), EI of R_x by sampling.
- :class:`RandomSearch` - baseline.
- :class:`Objective` - shared budget, failure policy, re-play of stored evaluations on resume.
- :func:`fit` - one call: optimizer + store + budget + resume -> :class:`FitResult`.

Ask/tell use::

    space = SearchSpace(["q_Si", "A_SiO"], base="BKS")
    bo = BayesianOptimizer(space, random_state=0)
    U = bo.ask(1); bo.tell(U[0], R_x)
    mean, std = bo.predict(points_in_parameter_units)

Driver use (store-backed, resumable)::

    result = fit(Evaluator(reference, "quick"), space, "bo", budget=30, seed=0, store="runs/fit")
"""

from .bayes import BayesianOptimizer, expected_improvement
from .design import initial_design
from .cg import ConjugateGradient
from .composite import CompositeBO
from .objective import BudgetExhausted, Objective, impute_failures, run_ask_tell
from .bocg import BOThenCG
from .driver import FitResult, default_run_id, fit
from .registry import OPTIMIZERS, make_optimizer
from .random_search import RandomSearch
from .space import SearchSpace, parse_bounds, parse_free

__all__ = [
    "SearchSpace", "parse_free", "parse_bounds",
    "BayesianOptimizer", "expected_improvement", "initial_design",
    "ConjugateGradient", "RandomSearch", "BOThenCG", "CompositeBO", "make_optimizer", "OPTIMIZERS",
    "Objective", "BudgetExhausted", "impute_failures", "run_ask_tell",
    "fit", "FitResult", "default_run_id",
]
