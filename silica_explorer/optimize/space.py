"""The search space of a fit: which parameters are free, their bounds, and the fixed rest.

Optimizers work in the unit box [0, 1]^d; :class:`SearchSpace` maps unit coordinates <-> parameter
values (linear in each parameter) <-> :class:`~silica_explorer.forcefield.ForceField`.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..forcefield import (FREE_PARAMETERS, SEARCH_BOUNDS, UNITS, VALID_RANGE, ForceField, ParameterError,
                          _range_text)


def parse_free(free: str | Iterable[str]) -> tuple[str, ...]:
    """``"q_Si,A_SiO"`` or a sequence -> validated tuple of names (any subset of the 10 free parameters)."""
    names = [s.strip() for s in free.split(",")] if isinstance(free, str) else [str(s).strip() for s in free]
    names = [n for n in names if n]
    if not names:
        raise ParameterError(f"no free parameters given; choose from {list(FREE_PARAMETERS)}")
    bad = [n for n in names if n not in FREE_PARAMETERS]
    if bad:
        raise ParameterError(f"unknown free parameter(s) {bad}; allowed: {list(FREE_PARAMETERS)}")
    if len(set(names)) != len(names):
        raise ParameterError(f"duplicate free parameters in {names}")
    return tuple(names)


def parse_bounds(text: str | Mapping | None) -> dict[str, tuple[float, float]]:
    """``"q_Si=1.6:2.6,A_SiO=12000:30000"`` or a mapping -> ``{name: (low, high)}`` (not yet checked)."""
    if text is None:
        return {}
    if isinstance(text, Mapping):
        return {str(k): tuple(float(x) for x in v) for k, v in text.items()}
    out = {}
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        try:
            name, rng = item.split("=")
            lo, hi = rng.split(":")
            out[name.strip()] = (float(lo), float(hi))
        except ValueError:
            raise ParameterError(f"bad bounds item {item!r}; expected NAME=LOW:HIGH, e.g. q_Si=1.6:2.6") from None
    return out


class SearchSpace:
    """Free parameter names, their search bounds, and a base forcefield for the fixed ones.

    Parameters
    ----------
    free : names of the free parameters (any subset of :data:`~silica_explorer.forcefield.FREE_PARAMETERS`,
        as a sequence or ``"q_Si,A_SiO"``); default the paper's 2-parameter study ``("q_Si", "A_SiO")``.
    bounds : ``{name: (low, high)}`` overriding :data:`~silica_explorer.forcefield.SEARCH_BOUNDS`
        (units of :data:`~silica_explorer.forcefield.UNITS`); must lie inside the parameter's valid range.
    base : a :class:`ForceField` or preset name whose values the fixed parameters keep (default BKS).

    ``to_unit``/``from_unit`` map parameter vectors to/from the unit box (linear); ``forcefield(u)``
    gives the full forcefield of a unit point.
    """

    def __init__(self, free: str | Sequence[str] = ("q_Si", "A_SiO"),
                 bounds: Mapping[str, Sequence[float]] | str | None = None,
                 base: ForceField | str = "BKS"):
        self.names = parse_free(free)
        self.base = base if isinstance(base, ForceField) else ForceField.preset(base)
        given = parse_bounds(bounds)
        unknown = [n for n in given if n not in self.names]
        if unknown:
            raise ParameterError(f"bounds given for {unknown}, which are not free; free: {list(self.names)}")
        lows, highs = [], []
        for n in self.names:
            lo, hi = given.get(n, SEARCH_BOUNDS[n])
            self._check_bound(n, lo, hi)
            lows.append(float(lo))
            highs.append(float(hi))
        self.lower = np.array(lows)
        self.upper = np.array(highs)

    @staticmethod
    def _check_bound(name: str, lo: float, hi: float) -> None:
        vlo, vhi, lo_incl = VALID_RANGE[name]
        allowed = f"{_range_text(name)} {UNITS[name]}"
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ParameterError(f"bounds of {name} must be finite, got ({lo}, {hi}); allowed range {allowed}")
        if not lo < hi:
            raise ParameterError(f"bounds of {name}: low = {lo:g} must be < high = {hi:g} ({UNITS[name]})")
        if (lo < vlo or (lo == vlo and not lo_incl)) or hi > vhi:
            raise ParameterError(f"bounds of {name} = ({lo:g}, {hi:g}) leave its allowed range {allowed}")

    # ------------------------------------------------------------------ properties
    @property
    def dim(self) -> int:
        return len(self.names)

    @property
    def bounds(self) -> dict[str, tuple[float, float]]:
        return {n: (float(lo), float(hi)) for n, lo, hi in zip(self.names, self.lower, self.upper)}

    def __repr__(self) -> str:
        b = ", ".join(f"{n}=[{lo:g}, {hi:g}]" for n, (lo, hi) in self.bounds.items())
        return f"SearchSpace({b}; base={self.base.name})"

    def as_dict(self) -> dict:
        return {"free": list(self.names), "bounds": {n: list(v) for n, v in self.bounds.items()},
                "base": self.base.as_dict()}

    @classmethod
    def from_dict(cls, data: Mapping) -> "SearchSpace":
        base = data.get("base", "BKS")
        base = ForceField.from_dict(base) if isinstance(base, Mapping) else base
        return cls(data["free"], data.get("bounds"), base)

    # ------------------------------------------------------------------ maps
    def _as_2d(self, x) -> tuple[np.ndarray, bool]:
        x = np.asarray(x, dtype=float)
        single = x.ndim == 1
        x = np.atleast_2d(x)
        if x.shape[-1] != self.dim:
            raise ParameterError(f"expected {self.dim} coordinates for {list(self.names)}, got shape {x.shape}")
        return x, single

    def from_unit(self, u) -> np.ndarray:
        """Unit-box coordinates -> parameter values (same shape)."""
        u2, single = self._as_2d(u)
        x = self.lower + u2 * (self.upper - self.lower)
        return x[0] if single else x

    def to_unit(self, x) -> np.ndarray:
        """Parameter values -> unit-box coordinates (same shape; outside [0, 1] when out of bounds)."""
        x2, single = self._as_2d(x)
        u = (x2 - self.lower) / (self.upper - self.lower)
        return u[0] if single else u

    def contains_unit(self, u, tol: float = 1e-12) -> bool:
        u = np.asarray(u, dtype=float)
        return bool(np.all(u >= -tol) and np.all(u <= 1 + tol))

    def clip_unit(self, u) -> np.ndarray:
        return np.clip(np.asarray(u, dtype=float), 0.0, 1.0)

    def forcefield(self, u, name: str | None = None) -> ForceField:
        """The full forcefield of unit point ``u`` (fixed parameters from ``base``). Raises
        ParameterError for a point outside the box."""
        u = np.asarray(u, dtype=float)
        if not self.contains_unit(u):
            raise ParameterError(f"unit point {u.tolist()} is outside the search box [0, 1]^{self.dim}")
        x = self.from_unit(np.clip(u, 0.0, 1.0))
        label = name or f"{self.base.name} fit"
        return self.base.from_vector(x, self.names, name=label)

    def params(self, u) -> dict[str, float]:
        """``{name: value}`` of unit point ``u``."""
        return {n: float(v) for n, v in zip(self.names, self.from_unit(np.asarray(u, dtype=float)))}

    def unit_of(self, forcefield: ForceField | Mapping) -> np.ndarray:
        """Unit coordinates of a forcefield (or parameter dict) in this space."""
        get = (lambda n: getattr(forcefield, n)) if isinstance(forcefield, ForceField) else forcefield.__getitem__
        return self.to_unit(np.array([float(get(n)) for n in self.names]))

    def base_unit(self) -> np.ndarray:
        """Unit coordinates of the base forcefield (may be outside [0, 1] if base is out of bounds)."""
        return self.unit_of(self.base)
