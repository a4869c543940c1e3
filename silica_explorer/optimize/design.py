"""Initial designs and start points of the Bayesian optimizers (:mod:`~silica_explorer.optimize.bayes`
and the optimizers built on it): space-filling points in the unit box [0, 1]^d, and the base set,
given points and published presets as the first points to evaluate.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
from scipy.stats import qmc

from .space import SearchSpace


def preset_start_names(value) -> bool | list[str]:
    """Normalize the ``preset_starts`` option: True (every preset), False (none) or a list of preset
    names (each must be in :data:`~silica_explorer.forcefield.PRESETS`)."""
    from ..forcefield import PRESETS
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    try:
        names = [str(v) for v in value]
    except TypeError:
        raise ValueError(f"preset_starts must be True, False or a list of preset names, got {value!r}") from None
    bad = [n for n in names if n not in PRESETS]
    if bad:
        raise ValueError(f"preset_starts: unknown preset(s) {bad}; allowed: {list(PRESETS)}")
    return names


def initial_design(n: int, dim: int, kind: str = "sobol", seed: int = 0) -> np.ndarray:
    """``n`` space-filling points in [0, 1]^dim: ``"sobol"`` (scrambled), ``"lhs"`` or ``"random"``."""
    if n <= 0:
        return np.zeros((0, dim))
    if kind == "sobol":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # balance warning for n not a power of 2
            return qmc.Sobol(dim, scramble=True, seed=seed).random(n)
    if kind == "lhs":
        return qmc.LatinHypercube(dim, seed=seed).random(n)
    if kind == "random":
        return np.random.default_rng(seed).random((n, dim))
    raise ValueError(f"initial_design must be 'sobol', 'lhs' or 'random', got {kind!r}")


def start_points(space: SearchSpace, initial_points: Sequence = (),
                 preset_starts: bool | Sequence[str] = True) -> tuple[list[dict], list[dict]]:
    """Start points of a BO run in ``space``: the base set (if inside the bounds), the explicit
    ``initial_points`` (unit coordinates), then (``preset_starts``: True for every preset, or a list of
    names) every preset inside the bounds; duplicates (same unit point) once. Returns ``(starts,
    skipped)``: dicts with ``u``, ``kind``, ``label``; and those outside the bounds with their ``reason``."""
    from ..forcefield import PRESETS
    out, skipped = [], []

    def add(u, kind, label):
        if not any(np.allclose(u, p["u"], rtol=0, atol=1e-9) for p in out):
            out.append({"u": np.asarray(u, dtype=float), "kind": kind, "label": label})

    base = space.base
    if space.contains(base):
        add(space.clip_unit(space.base_unit()), "base", base.name)
    else:
        skipped.append({"label": base.name, "kind": "base", "reason": space.outside_reason(base)})
    for u in initial_points:
        add(u, "initial-point", "given")
    if preset_starts:
        for name, ff in PRESETS.items():
            if preset_starts is not True and name not in preset_starts:
                continue
            if space.contains(ff):
                add(space.clip_unit(space.unit_of(ff)), "preset", name)
            else:
                skipped.append({"label": name, "kind": "preset", "reason": space.outside_reason(ff)})
    return out, skipped

