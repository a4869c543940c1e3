"""Optimizers of the forcefield parameters against the cost R_x: the ask/evaluate/tell loop.

The modules follow the loop:

- search space: :mod:`.space` (:class:`SearchSpace` - free parameters, bounds, base forcefield,
  coordinates; unit box <-> parameters <-> ForceField) and :mod:`.design` (start points, initial designs);
- models: :mod:`.gp` (the GP kernel, built in one place, its fit and readout), :mod:`.pdfmodel`
  (a surrogate of the partial PDFs), :mod:`.feasibility` (P(a melt succeeds));
- acquisition: :mod:`.acquisition` (posterior + EI and their gradients);
- optimizers: :class:`BayesianOptimizer` (:mod:`.bayes`, GP + EI, the paper's method),
  :class:`~.turbo.TurboOptimizer` (trust-region BO), :class:`CompositeBO` (EI of R_x from the PDF
  surrogate), :class:`ConjugateGradient` (:mod:`.cg`), :class:`BOThenCG` (:mod:`.bocg`),
  :class:`RandomSearch`, and the reweighting L-BFGS of :mod:`.reweight_lbfgs`;
- names: :mod:`.registry` (one table: name -> optimizer and its options; :func:`make_optimizer`,
  :data:`OPTIMIZERS`) and :mod:`.auto` (which name ``--optimizer auto`` picks);
- running: :class:`Objective` (:mod:`.objective`: shared budget, failure policy, re-play of stored
  evaluations on resume), :mod:`.validation` (a fit's inputs, checked before any evaluation) and
  :func:`fit` (:mod:`.driver`: optimizer + store + budget + resume -> :class:`FitResult`).

Reading a finished fit (GP slices, identifiability) is :mod:`silica_explorer.analysis`; the analytic
stand-in costs are :mod:`silica_explorer.standins`. This package imports neither, nor
:mod:`silica_explorer.landscape` or :mod:`silica_explorer.app`. Measurements behind the defaults:
``data/results/optimizer_notes.md``.

Ask/tell use::

    space = SearchSpace(["q_Si", "A_SiO"], base="BKS")
    bo = BayesianOptimizer(space, random_state=0)
    U = bo.ask(1); bo.tell(U[0], R_x)
    mean, std = bo.predict(points_in_parameter_units)

Driver use (store-backed, resumable)::

    result = fit(Evaluator(reference, "quick"), space, "bo", budget=30, seed=0, store="runs/fit")
"""

from .bayes import BayesianOptimizer, expected_improvement
from .bocg import BOThenCG
from .cg import ConjugateGradient
from .composite import CompositeBO
from .design import initial_design
from .driver import FitResult, default_run_id, fit
from .objective import BudgetExhausted, Objective, impute_failures, run_ask_tell
from .random_search import RandomSearch
from .registry import OPTIMIZERS, make_optimizer
from .space import SearchSpace, parse_bounds, parse_free

__all__ = [
    "SearchSpace", "parse_free", "parse_bounds",
    "BayesianOptimizer", "expected_improvement", "initial_design",
    "ConjugateGradient", "RandomSearch", "BOThenCG", "CompositeBO", "make_optimizer", "OPTIMIZERS",
    "Objective", "BudgetExhausted", "impute_failures", "run_ask_tell",
    "fit", "FitResult", "default_run_id",
]
