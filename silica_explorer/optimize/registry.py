"""One table of optimizer names: what each name builds and which constructor options it accepts.

Every place that needs an optimizer by name reads :data:`REGISTRY`: :func:`make_optimizer` (and so
:func:`~silica_explorer.optimize.driver.fit` and the CLI), the option check of
:func:`~silica_explorer.optimize.validation.check_fit_inputs` (:func:`allowed_options`), and the
choice of ``--optimizer auto`` (:mod:`~silica_explorer.optimize.auto`, whose picks are registry names).

=============  ==========================================================================================
name           optimizer
=============  ==========================================================================================
``bo``         :class:`~.bayes.BayesianOptimizer` (``failure_policy="constrained"``:
               :class:`~.feasibility.ConstrainedBayesianOptimizer`)
``cg``         :class:`~.cg.ConjugateGradient`
``random``     :class:`~.random_search.RandomSearch`
``bo+cg``      :class:`~.bocg.BOThenCG` (aliases ``bocg``, ``bo-cg``)
``turbo``      :class:`~.turbo.TurboOptimizer`
``turbo+cg``   :class:`~.bocg.BOThenCG` with ``first="turbo"``
``composite``  :class:`~.composite.CompositeBO`
=============  ==========================================================================================
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable

from .bayes import BayesianOptimizer
from .bocg import BOThenCG, make_bo
from .cg import ConjugateGradient
from .composite import CompositeBO
from .feasibility import ConstrainedBayesianOptimizer
from .random_search import RandomSearch
from .space import SearchSpace
from .turbo import TurboOptimizer

#: The name with which the CLI lets :func:`~silica_explorer.optimize.auto.auto_optimizer` pick one.
AUTO = "auto"


@dataclasses.dataclass(frozen=True)
class OptimizerSpec:
    """One row of the registry.

    ``build(space, random_state, **options)`` makes the optimizer; ``option_classes`` are the classes
    whose constructor arguments are accepted as options (``space`` and ``random_state`` are set by
    :func:`make_optimizer`); ``extra_options`` are accepted besides them, ``fixed_options`` are set by
    the row itself and refused; ``aliases`` are other names of the same row.
    """

    name: str
    build: Callable[..., Any]
    option_classes: tuple[type, ...]
    aliases: tuple[str, ...] = ()
    extra_options: frozenset[str] = frozenset()
    fixed_options: frozenset[str] = frozenset()

    def allowed_options(self) -> set[str]:
        """Constructor options this optimizer accepts."""
        names = set().union(*(init_params(c) for c in self.option_classes))
        return (names | self.extra_options) - self.fixed_options - {"space", "random_state"}


def init_params(cls) -> set[str]:
    """Named ``__init__`` parameters of ``cls`` and its bases (no ``*args``/``**kwargs``)."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters
        names |= {n for n, p in params.items() if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    return names


_SPECS = (
    OptimizerSpec("bo", lambda space, random_state, **o: make_bo(space, "bo", random_state=random_state, **o),
                  (BayesianOptimizer, ConstrainedBayesianOptimizer), extra_options=frozenset({"failure_policy"})),
    OptimizerSpec("cg", lambda space, random_state, **o: ConjugateGradient(space, **o), (ConjugateGradient,)),
    OptimizerSpec("random", lambda space, random_state, **o: RandomSearch(space, random_state=random_state, **o),
                  (RandomSearch,)),
    OptimizerSpec("bo+cg", lambda space, random_state, **o: BOThenCG(space, random_state=random_state, **o),
                  (BOThenCG,), aliases=("bocg", "bo-cg")),
    OptimizerSpec("turbo", lambda space, random_state, **o: make_bo(space, "turbo", random_state=random_state, **o),
                  (TurboOptimizer, BayesianOptimizer)),
    OptimizerSpec("turbo+cg",
                  lambda space, random_state, **o: BOThenCG(space, random_state=random_state, first="turbo", **o),
                  (BOThenCG,), fixed_options=frozenset({"first"})),
    OptimizerSpec("composite", lambda space, random_state, **o: CompositeBO(space, random_state=random_state, **o),
                  (CompositeBO,)),
)

#: name -> :class:`OptimizerSpec`, in the order the CLI and the app list them.
REGISTRY: dict[str, OptimizerSpec] = {s.name: s for s in _SPECS}
#: Optimizer names accepted by :func:`make_optimizer` and the CLI (aliases not listed).
OPTIMIZERS: tuple[str, ...] = tuple(REGISTRY)
#: alias -> name
ALIASES: dict[str, str] = {a: s.name for s in _SPECS for a in s.aliases}


def canonical_name(name: str) -> str:
    """The registry name of ``name`` (itself, or the row of an alias); ValueError if unknown."""
    if name in REGISTRY:
        return name
    if name in ALIASES:
        return ALIASES[name]
    raise ValueError(f"unknown optimizer {name!r}; choose from {list(OPTIMIZERS)}")


def make_optimizer(name: str, space: SearchSpace, random_state: int = 0, **options):
    """An optimizer by name (``bo``, ``cg``, ``random``, ``bo+cg``, ``turbo``, ``turbo+cg``, ``composite``) with its options."""
    return REGISTRY[canonical_name(name)].build(space, random_state, **options)


def allowed_options(optimizer: str) -> set[str]:
    """Constructor options an optimizer name accepts (``space`` and ``random_state`` are set by fit)."""
    return REGISTRY[canonical_name(optimizer)].allowed_options()
