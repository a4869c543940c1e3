"""The search space of a fit: which parameters are free, their bounds, the fixed rest, and the
coordinates the optimizers search in.

Optimizers work in the unit box [0, 1]^d; :class:`SearchSpace` maps unit coordinates <-> parameter
values <-> :class:`~silica_explorer.forcefield.ForceField`. The forcefield always keeps A and rho;
only the map differs between the three coordinate systems (``coords``):

- ``"box"``: every parameter linear between its bounds;
- ``"log"``: every Buckingham prefactor ``A_<pair>`` logarithmic between its bounds (an A whose lower
  bound is 0, i.e. a pair that may be switched off, stays linear), the rest linear;
- ``"contact"``: for a pair whose A and rho are both free, the coordinates are log E0 and rho, with
  ``E0 = A exp(-r0 / rho)`` the Buckingham repulsion (eV) at the contact distance ``r0``
  (:data:`CONTACT_R0`: Si-O 1.6, O-O 2.6, Si-Si 3.1 A) and E0 bounded by ``E0_<pair>=LOW:HIGH``
  (default :data:`CONTACT_BOUNDS`); so ``A = E0 exp(r0 / rho)``. Sets with the same repulsion at
  contact lie along A ~ exp(r0 / rho), diagonal in a box over (A, rho) and axis-aligned here. An A
  free without its rho is logarithmic (log E0 at fixed rho), the rest linear.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..forcefield import ForceField
from ..inputs import forcefield_from
from ..parameters import FREE_PARAMETERS, PAIRS, SEARCH_BOUNDS, UNITS, VALID_RANGE, ParameterError, range_text

#: Coordinate systems of :class:`SearchSpace` (module docstring).
COORDS = ("box", "log", "contact")
#: Contact distance r0 (A) of each pair for the ``"contact"`` coordinates: near the first peaks of the
#: liquid (Si-O 1.62, O-O 2.66, Si-Si 3.14 A at 3600 K).
CONTACT_R0 = {"SiO": 1.6, "OO": 2.6, "SiSi": 3.1}
#: Default bounds (eV) of the repulsion at contact E0 = A exp(-r0 / rho): the span of the presets
#: (Si-O 2.43-7.40, O-O 0.49-1.06, Si-Si 0.0033-0.46 eV) widened by a factor of 2 either side.
CONTACT_BOUNDS = {"SiO": (1.2, 15.0), "OO": (0.25, 2.2), "SiSi": (1.5e-3, 1.0)}


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
        return {str(k): _bound_pair(str(k), v) for k, v in text.items()}
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


def _bound_pair(name: str, value) -> tuple[float, float]:
    """``(low, high)`` of one bounds entry as floats; ParameterError naming ``name`` if it is not two numbers."""
    if name in VALID_RANGE:
        what = f"{range_text(name)} {UNITS[name]}"
    elif name.startswith("E0_"):
        what = "0 < low < high (eV, repulsion at contact)"
    else:
        what = f"one of the free parameters {list(FREE_PARAMETERS)}"
    try:
        lo, hi = value
        return float(lo), float(hi)
    except (TypeError, ValueError):
        raise ParameterError(f"bounds of {name} must be two numbers (low, high), got {value!r}; allowed range "
                             f"{what}") from None


class SearchSpace:
    """Free parameter names, their search bounds, a base forcefield for the fixed ones, and the
    coordinates of the unit box.

    Parameters
    ----------
    free : names of the free parameters (any subset of :data:`~silica_explorer.parameters.FREE_PARAMETERS`,
        as a sequence or ``"q_Si,A_SiO"``); default the paper's 2-parameter study ``("q_Si", "A_SiO")``.
    bounds : ``{name: (low, high)}`` overriding :data:`~silica_explorer.parameters.SEARCH_BOUNDS`
        (units of :data:`~silica_explorer.parameters.UNITS`); must lie inside the parameter's valid range.
        With ``coords="contact"``, a pair whose A and rho are both free takes ``E0_<pair>`` (eV) instead
        of ``A_<pair>``.
    base : a :class:`ForceField` or preset name whose values the fixed parameters keep (default BKS).
    coords : ``"box"`` (default), ``"log"`` or ``"contact"`` (module docstring).

    ``to_unit``/``from_unit`` map parameter vectors to/from the unit box; ``forcefield(u)`` gives the
    full forcefield of a unit point. ``bounds`` is the range each free parameter can take (for
    contact coordinates the envelope of A over the box); ``coord_bounds`` the bounds of the box axes
    (what ``as_dict`` records), ``transforms`` how each axis maps (linear, log, log-contact).
    """

    def __init__(self, free: str | Sequence[str] = ("q_Si", "A_SiO"),
                 bounds: Mapping[str, Sequence[float]] | str | None = None,
                 base: ForceField | str = "BKS", coords: str = "box"):
        self.names = parse_free(free)
        self.base = forcefield_from(base, "base")
        for p in PAIRS:  # a free rho whose pair's repulsion is off and fixed changes nothing
            if f"rho_{p}" in self.names and f"A_{p}" not in self.names and getattr(self.base, f"A_{p}") == 0:
                raise ParameterError(
                    f"free parameter rho_{p} has no effect: A_{p} is fixed at 0 eV in the base set "
                    f"{self.base.name!r} (the {p} Buckingham repulsion is off); free A_{p} as well (allowed "
                    f"range {range_text(f'A_{p}')} eV) or use a base set with A_{p} > 0")
        if coords not in COORDS:
            raise ParameterError(f"coords (search space) must be one of {list(COORDS)}, got {coords!r}")
        self.coords = coords
        given = parse_bounds(bounds)
        contact_pairs = [p for p in PAIRS if coords == "contact" and f"A_{p}" in self.names
                         and f"rho_{p}" in self.names]
        allowed = set(self.names) | {f"E0_{p}" for p in contact_pairs}
        for p in contact_pairs:
            if f"A_{p}" in given:
                raise ParameterError(
                    f"with coords='contact', A_{p} is searched through E0_{p} = A_{p} exp(-{CONTACT_R0[p]:g} A / "
                    f"rho_{p}); give bounds E0_{p}=LOW:HIGH (eV, default {CONTACT_BOUNDS[p][0]:g}:"
                    f"{CONTACT_BOUNDS[p][1]:g}) instead of A_{p}")
        unknown = [n for n in given if n not in allowed]
        if unknown:
            raise ParameterError(f"bounds given for {unknown}, which are not free; free: {list(self.names)}"
                                 + (f"; contact coordinates: {sorted(allowed - set(self.names))}"
                                    if contact_pairs else ""))
        keys, transforms, lows, highs = [], [], [], []
        for n in self.names:
            pair = n.split("_", 1)[1] if n.startswith("A_") else None
            if pair in contact_pairs:
                key = f"E0_{pair}"
                lo, hi = given.get(key, CONTACT_BOUNDS[pair])
                self._check_e0(key, lo, hi)
                transform = "log-contact"
            else:
                key = n
                lo, hi = given.get(n, SEARCH_BOUNDS[n])
                self._check_bound(n, lo, hi)
                transform = "log" if (pair is not None and coords != "box" and lo > 0) else "linear"
            keys.append(key)
            transforms.append(transform)
            lows.append(float(lo))
            highs.append(float(hi))
        self.keys = tuple(keys)
        self.transforms = tuple(transforms)
        self._lo = np.array(lows)
        self._hi = np.array(highs)
        self._log = np.array([t != "linear" for t in transforms])
        # contact axes: (axis of A, axis of its rho, r0)
        self._contact = [(i, self.names.index(f"rho_{self.names[i][2:]}"), CONTACT_R0[self.names[i][2:]])
                         for i, t in enumerate(transforms) if t == "log-contact"]
        lo_p, hi_p = self._lo.copy(), self._hi.copy()
        for i, j, r0 in self._contact:  # envelope of A = E0 exp(r0 / rho) over the box
            lo_p[i] = self._lo[i] * math.exp(r0 / self._hi[j])
            hi_p[i] = self._hi[i] * math.exp(r0 / self._lo[j])
        self.lower, self.upper = lo_p, hi_p

    @staticmethod
    def _check_bound(name: str, lo: float, hi: float) -> None:
        vlo, vhi, lo_incl = VALID_RANGE[name]
        allowed = f"{range_text(name)} {UNITS[name]}"
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ParameterError(f"bounds of {name} must be finite, got ({lo}, {hi}); allowed range {allowed}")
        if not lo < hi:
            raise ParameterError(f"bounds of {name}: low = {lo:g} must be < high = {hi:g} ({UNITS[name]}); "
                                 f"allowed range {allowed}")
        if (lo < vlo or (lo == vlo and not lo_incl)) or hi > vhi:
            raise ParameterError(f"bounds of {name} = ({lo:g}, {hi:g}) leave its allowed range {allowed}")

    @staticmethod
    def _check_e0(key: str, lo: float, hi: float) -> None:
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
            raise ParameterError(f"bounds of {key} = ({lo:g}, {hi:g}) must satisfy 0 < low < high, finite "
                                 f"(eV, repulsion at contact)")

    # ------------------------------------------------------------------ properties
    @property
    def dim(self) -> int:
        return len(self.names)

    @property
    def bounds(self) -> dict[str, tuple[float, float]]:
        """Range of each free parameter (units of ``UNITS``) over the box."""
        return {n: (float(lo), float(hi)) for n, lo, hi in zip(self.names, self.lower, self.upper)}

    @property
    def coord_bounds(self) -> dict[str, tuple[float, float]]:
        """Bounds of the box axes: ``{key: (low, high)}`` (key = parameter name, or ``E0_<pair>``)."""
        return {k: (float(lo), float(hi)) for k, lo, hi in zip(self.keys, self._lo, self._hi)}

    def __repr__(self) -> str:
        b = ", ".join(f"{k}=[{lo:g}, {hi:g}]{' (log)' if t != 'linear' else ''}"
                      for k, t, (lo, hi) in zip(self.keys, self.transforms, self.coord_bounds.values()))
        return f"SearchSpace({b}; base={self.base.name}; coords={self.coords})"

    def as_dict(self) -> dict:
        return {"free": list(self.names), "bounds": {k: list(v) for k, v in self.coord_bounds.items()},
                "base": self.base.as_dict(), "coords": self.coords,
                "transforms": dict(zip(self.keys, self.transforms))}

    @classmethod
    def from_dict(cls, data: Mapping) -> "SearchSpace":
        base = data.get("base", "BKS")
        base = ForceField.from_dict(base) if isinstance(base, Mapping) else base
        return cls(data["free"], data.get("bounds"), base, data.get("coords", "box"))

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
        lin = self._lo + u2 * (self._hi - self._lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            logv = np.exp(np.log(self._lo) + u2 * (np.log(self._hi) - np.log(self._lo)))
        x = np.where(self._log, logv, lin)
        for i, j, r0 in self._contact:
            x[:, i] = x[:, i] * np.exp(r0 / x[:, j])
        return x[0] if single else x

    def to_unit(self, x) -> np.ndarray:
        """Parameter values -> unit-box coordinates (same shape; outside [0, 1] when out of bounds)."""
        x2, single = self._as_2d(x)
        x2 = x2.copy()
        for i, j, r0 in self._contact:
            x2[:, i] = x2[:, i] * np.exp(-r0 / x2[:, j])
        lin = (x2 - self._lo) / (self._hi - self._lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            logu = (np.log(x2) - np.log(self._lo)) / (np.log(self._hi) - np.log(self._lo))
        u = np.where(self._log, logu, lin)
        return u[0] if single else u

    def contains_unit(self, u, tol: float = 1e-12) -> bool:
        u = np.asarray(u, dtype=float)
        return bool(np.all(u >= -tol) and np.all(u <= 1 + tol))

    def clip_unit(self, u) -> np.ndarray:
        return np.clip(np.asarray(u, dtype=float), 0.0, 1.0)

    def start_unit(self, x0=None) -> np.ndarray:
        """Clipped unit point of a start: the base set (``x0`` None), a forcefield or parameter mapping,
        or a unit point."""
        if x0 is None:
            u = self.base_unit()
        elif isinstance(x0, dict) or hasattr(x0, "as_dict"):
            u = self.unit_of(x0)
        else:
            u = np.asarray(x0, dtype=float)
        return self.clip_unit(u)

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

    def contains(self, forcefield: ForceField | Mapping) -> bool:
        """Whether the free-parameter values of ``forcefield`` lie inside the box."""
        u = self.unit_of(forcefield)
        return bool(np.all(np.isfinite(u))) and self.contains_unit(u)

    def outside_reason(self, forcefield: ForceField | Mapping) -> str | None:
        """None if ``forcefield`` lies inside the box, else which axes it leaves (values and bounds)."""
        u = self.unit_of(forcefield)
        bad = []
        for k, t, ui, (lo, hi) in zip(self.keys, self.transforms, u, self.coord_bounds.values()):
            if not (np.isfinite(ui) and -1e-12 <= ui <= 1 + 1e-12):
                v = self._coord_value(forcefield, k)
                bad.append(f"{k} = {v:.4g} not in [{lo:g}, {hi:g}]")
        return None if not bad else "outside the bounds: " + "; ".join(bad)

    def _coord_value(self, forcefield, key: str) -> float:
        get = (lambda n: getattr(forcefield, n)) if isinstance(forcefield, ForceField) else forcefield.__getitem__
        if key.startswith("E0_"):
            p = key[3:]
            return float(get(f"A_{p}")) * math.exp(-CONTACT_R0[p] / float(get(f"rho_{p}")))
        return float(get(key))

    def base_unit(self) -> np.ndarray:
        """Unit coordinates of the base forcefield (may be outside [0, 1] if base is out of bounds)."""
        return self.unit_of(self.base)
