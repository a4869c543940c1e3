"""Checks of a fit's inputs that must pass before any evaluation (no MD is started for a bad fit).

:func:`check_fit_inputs` is called first thing by :func:`~silica_explorer.optimize.driver.fit`,
before the store registers the run. The search space itself (free names, bounds against
:data:`~silica_explorer.parameters.VALID_RANGE`, a base set consistent with the free list) is checked
when the :class:`~silica_explorer.optimize.space.SearchSpace` is built. Every error names the field and
its allowed values.
"""

from __future__ import annotations

import numbers
from typing import Any, Mapping

import numpy as np

from ..parameters import ParameterError
from .cg import ConjugateGradient
from .registry import allowed_options, canonical_name
from .space import SearchSpace


def _int_at_least(name: str, value: Any, low: int, what: str = "") -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} = {value!r} must be an integer >= {low}{what}")
    if not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} = {value!r} must be an integer >= {low}{what}")
    if value < low:
        raise ValueError(f"{name} = {value!r} must be an integer >= {low}{what}")
    return int(value)


def check_fit_inputs(space, optimizer, budget, *, seed=0, md_seed=None, failure_value="worst",
                     n_workers=1, options: Mapping | None = None) -> dict:
    """Validate :func:`~silica_explorer.optimize.driver.fit`'s arguments; returns the normalised
    ``budget``, ``seed``, ``md_seed``, ``n_workers``, ``failure_value``. Raises ValueError /
    :class:`~silica_explorer.parameters.ParameterError` naming the field and the allowed range.

    Beyond the argument types and ranges it checks that the start of a fit that starts from the base
    set lies inside the box: optimizer ``"cg"`` without an ``x0`` starts at the base set, so a base
    outside the bounds would be silently clipped to the nearest face.
    """
    if not isinstance(space, SearchSpace):
        raise TypeError(f"space must be a SearchSpace, got {type(space).__name__}")
    out = {"budget": _int_at_least("budget", budget, 1, " (evaluations)"),
           "seed": _int_at_least("seed", seed, 0, " (optimizer random state)"),
           "md_seed": None if md_seed is None else _int_at_least("md_seed", md_seed, 0, " (MD seed)"),
           "n_workers": _int_at_least("n_workers", n_workers, 1, " (concurrent evaluations)")}
    if failure_value != "worst":
        try:
            fv = float(failure_value)
        except (TypeError, ValueError):
            raise ValueError(f"failure_value must be 'worst' or a finite number >= 0 (R_x fraction), "
                             f"got {failure_value!r}") from None
        if not (fv == fv and fv >= 0 and fv != float("inf")):
            raise ValueError(f"failure_value must be 'worst' or a finite number >= 0 (R_x fraction), "
                             f"got {failure_value!r}")
        failure_value = fv
    out["failure_value"] = failure_value
    if isinstance(optimizer, str):
        name = canonical_name(optimizer)  # ValueError naming the registry's names
        check_options(optimizer, dict(options or {}))
        if name == "cg":
            check_start(space, (options or {}).get("x0"), "cg")
    elif isinstance(optimizer, ConjugateGradient):
        check_start(optimizer.space, optimizer.x0, "cg")
    return out


def check_start(space: SearchSpace, x0, optimizer: str) -> None:
    """ParameterError if the start of ``optimizer`` (``x0``: None = the base set, a unit point, a
    forcefield or parameter dict) lies outside the search box."""
    if x0 is None:
        reason = space.outside_reason(space.base)
        if reason is not None:
            raise ParameterError(
                f"base set {space.base.name!r} lies {reason}: optimizer {optimizer!r} starts from the base set, "
                f"which would be clipped to the box; widen the bounds, or give x0 inside them")
        return
    if isinstance(x0, Mapping) or hasattr(x0, "as_dict"):
        reason = space.outside_reason(x0)
        if reason is not None:
            raise ParameterError(f"x0 (start of {optimizer!r}) lies {reason}")
        return
    u = np.asarray(x0, dtype=float)
    if u.shape != (space.dim,):
        raise ParameterError(f"x0 (start of {optimizer!r}) must be {space.dim} unit-box coordinates for "
                             f"{list(space.names)}, got shape {u.shape}")
    if not (np.all(np.isfinite(u)) and space.contains_unit(u)):
        raise ParameterError(f"x0 (start of {optimizer!r}) = {u.tolist()} must lie in the unit box [0, 1]^{space.dim}")


def check_options(optimizer: str, options: Mapping) -> None:
    """ValueError naming unknown constructor options of ``optimizer`` and the allowed ones."""
    allowed = allowed_options(optimizer)
    bad = sorted(set(options) - allowed)
    if bad:
        raise ValueError(f"unknown option(s) {bad} for optimizer {optimizer!r}; allowed: {sorted(allowed)}")
