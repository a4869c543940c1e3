"""The silica forcefield of Eq. (1) of Liu et al., MRS Commun. 9, 593 (2019), and its DSF Coulomb maths.

    U_ij(r) = k_e q_i q_j / r + A_ij exp(-r / rho_ij) - C_ij / r^6 + D_ij / r^24

Units throughout: energies in eV, distances in Angstrom, charges in e, A in eV, rho in Angstrom,
C in eV A^6, D in eV A^24, forces in eV/A.

The Coulomb term is evaluated as a damped shifted force (DSF, Fennell & Gezelter, J. Chem. Phys. 124,
234104 (2006)) with damping ``alpha`` (1/A) and cutoff ``r_cut`` (A); the short-range terms are
truncated (not shifted) at ``r_cut``. ``q_O = -q_Si / 2`` keeps SiO2 neutral.

:class:`ForceField` is immutable and validated on construction: every bad value raises
:class:`~silica_explorer.parameters.ParameterError` naming the parameter and its allowed range (the
schema lives in :mod:`silica_explorer.parameters`). :data:`PRESETS` holds the catalogue of
:mod:`silica_explorer.presets` as ForceFields; the LAMMPS/HOOMD tables of the pair potential are
written by :mod:`silica_explorer.engine.tables`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence, TypeVar

import numpy as np
from scipy.special import erfc

from .constants import K_E
from .parameters import (ALL_PARAMETERS, FREE_PARAMETERS, PAIR_SPECIES, PAPER_D, UNITS, VALID_RANGE, ParameterError,
                         check_names, check_pair, range_text)
from .presets import PRESET_PARAMETERS, preset_key

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class ForceField:
    """One parameter set of Eq. (1). Immutable; use :meth:`replace` to derive variants.

    Parameters (units): ``q_Si`` (e); ``A_<pair>`` (eV); ``rho_<pair>`` (A); ``C_<pair>`` (eV A^6);
    ``D_<pair>`` (eV A^24, fixed at the paper's values unless given); ``alpha`` (1/A) and ``r_cut`` (A)
    of the DSF Coulomb term and the short-range truncation. ``<pair>`` is one of SiO, OO, SiSi.
    """

    q_Si: float
    A_SiO: float
    rho_SiO: float
    C_SiO: float
    A_OO: float
    rho_OO: float
    C_OO: float
    A_SiSi: float = 0.0
    rho_SiSi: float = 1.0
    C_SiSi: float = 0.0
    D_SiO: float = PAPER_D["SiO"]
    D_OO: float = PAPER_D["OO"]
    D_SiSi: float = PAPER_D["SiSi"]
    alpha: float = 0.25
    r_cut: float = 8.0
    name: str = "custom"

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            if field.name == "name":
                if not isinstance(self.name, str):
                    raise ParameterError(f"name must be a string, got {self.name!r}")
                continue
            value = getattr(self, field.name)
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ParameterError(
                    f"{field.name} must be a number in {range_text(field.name)} "
                    f"{UNITS[field.name]}, got {value!r}") from None
            lo, hi, lo_incl = VALID_RANGE[field.name]
            ok = math.isfinite(value) and (value >= lo if lo_incl else value > lo) and value <= hi
            if not ok:
                raise ParameterError(
                    f"{field.name} = {value!r} is outside its allowed range "
                    f"{range_text(field.name)} {UNITS[field.name]}")
            object.__setattr__(self, field.name, value)

    # ----------------------------------------------------------------------------- construction
    @classmethod
    def preset(cls, name: str) -> "ForceField":
        """A published parameter set by name (case-insensitive); see :data:`PRESETS`."""
        return PRESETS[preset_key(name)]

    def replace(self, **changes: float) -> "ForceField":
        """A validated copy with some parameters changed; unknown names raise ParameterError."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ParameterError(
                f"unknown parameter(s) {sorted(unknown)}; known: {list(self.parameter_names())}")
        if "name" not in changes and changes:
            changes["name"] = self.name if self.name.endswith("(modified)") else f"{self.name} (modified)"
        return dataclasses.replace(self, **changes)

    @staticmethod
    def parameter_names() -> tuple[str, ...]:
        """All numeric parameters (free ones first, then D, alpha, r_cut): :data:`~silica_explorer.parameters.ALL_PARAMETERS`."""
        return ALL_PARAMETERS

    # ----------------------------------------------------------------------------- vectors
    def to_vector(self, names: Sequence[str] = FREE_PARAMETERS) -> np.ndarray:
        """The values of ``names`` as a float array (for optimizers)."""
        check_names(names)
        return np.array([getattr(self, n) for n in names], dtype=float)

    def from_vector(self, values: Iterable[float], names: Sequence[str] = FREE_PARAMETERS,
                    name: str | None = None) -> "ForceField":
        """A copy of ``self`` with ``names`` set to ``values`` (the inverse of :meth:`to_vector`)."""
        check_names(names)
        values = np.asarray(list(values), dtype=float)
        if values.shape != (len(names),):
            raise ParameterError(f"expected {len(names)} values for {list(names)}, got shape {values.shape}")
        changes = {n: float(v) for n, v in zip(names, values)}
        changes["name"] = name if name is not None else f"{self.name} (modified)"
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        """Every field by name (parameters in the units of :data:`~silica_explorer.parameters.UNITS`, and ``name``)."""
        return dataclasses.asdict(self)

    # ----------------------------------------------------------------------------- JSON
    def to_json(self) -> str:
        """The forcefield file format: :meth:`as_dict` plus the marker ``"silica_explorer_forcefield": 1``."""
        return json.dumps({"silica_explorer_forcefield": 1, **self.as_dict()}, indent=2)

    @classmethod
    def from_dict(cls, data: Mapping) -> "ForceField":
        """A validated ForceField from parameter values by name; ParameterError for unknown or missing
        parameters (the seven of Eq. (1) without Si-Si must be given)."""
        data = dict(data)
        data.pop("silica_explorer_forcefield", None)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ParameterError(f"unknown parameter(s) {sorted(unknown)}; known: {sorted(known)}")
        missing = [n for n in ("q_Si", "A_SiO", "rho_SiO", "C_SiO", "A_OO", "rho_OO", "C_OO")
                   if n not in data]
        if missing:
            raise ParameterError(f"missing parameter(s) {missing}")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> "ForceField":
        """The inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_json` to ``path``; returns the path."""
        return write_json_file(path, self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> "ForceField":
        """Read a forcefield JSON file; ParameterError naming the file for bad contents."""
        return read_json_file(path, cls.from_json, ParameterError)

    # ----------------------------------------------------------------------------- physics
    def charge(self, species: str) -> float:
        """Charge of ``species`` in e (q_O = -q_Si / 2)."""
        return {"Si": self.q_Si, "O": -0.5 * self.q_Si}[species]

    def pair_params(self, pair: str) -> tuple[float, float, float, float]:
        """``(A, rho, C, D)`` of ``pair``."""
        check_pair(pair)
        return (getattr(self, f"A_{pair}"), getattr(self, f"rho_{pair}"),
                getattr(self, f"C_{pair}"), getattr(self, f"D_{pair}"))

    def short_range_energy(self, pair: str, r) -> np.ndarray:
        """A exp(-r/rho) - C/r^6 + D/r^24 in eV (not truncated)."""
        return short_range_energy(*self.pair_params(pair), r)

    def short_range_force(self, pair: str, r) -> np.ndarray:
        """-d/dr of :meth:`short_range_energy` in eV/A (positive = repulsive)."""
        return short_range_force(*self.pair_params(pair), r)

    def pair_qq(self, pair: str) -> float:
        """Product of the two species' charges of ``pair`` in e^2."""
        a, b = PAIR_SPECIES[check_pair(pair)]
        return self.charge(a) * self.charge(b)

    def coulomb_energy(self, pair: str, r, kind: str = "dsf") -> np.ndarray:
        """Coulomb energy in eV: ``kind='dsf'`` (cut at r_cut) or ``'bare'`` k q q / r."""
        qq = self.pair_qq(pair)
        if kind == "bare":
            return K_E * qq / np.asarray(r, dtype=float)
        return dsf_energy(qq, r, self.alpha, self.r_cut)

    def coulomb_force(self, pair: str, r, kind: str = "dsf") -> np.ndarray:
        """-d/dr of :meth:`coulomb_energy` in eV/A at ``r`` (A)."""
        qq = self.pair_qq(pair)
        if kind == "bare":
            return K_E * qq / np.asarray(r, dtype=float) ** 2
        return dsf_force(qq, r, self.alpha, self.r_cut)

    def pair_energy(self, pair: str, r, coulomb: str = "dsf") -> np.ndarray:
        """Total pair energy U_ij(r) in eV as the MD sees it: DSF Coulomb + short range, both zero
        beyond ``r_cut`` (``coulomb='bare'`` gives the untruncated textbook Eq. (1))."""
        r = np.asarray(r, dtype=float)
        e = self.short_range_energy(pair, r) + self.coulomb_energy(pair, r, coulomb)
        return e if coulomb == "bare" else np.where(r < self.r_cut, e, 0.0)

    def pair_force(self, pair: str, r, coulomb: str = "dsf") -> np.ndarray:
        """-dU/dr in eV/A, zero beyond ``r_cut`` unless ``coulomb='bare'``."""
        r = np.asarray(r, dtype=float)
        f = self.short_range_force(pair, r) + self.coulomb_force(pair, r, coulomb)
        return f if coulomb == "bare" else np.where(r < self.r_cut, f, 0.0)


def write_json_file(path: str | Path, text: str) -> Path:
    """Write ``text`` and a final newline to ``path``; returns the path."""
    path = Path(path)
    path.write_text(text + "\n")
    return path


def read_json_file(path: str | Path, parse: Callable[[str], T], error: type[ParameterError]) -> T:
    """``parse`` of the text of ``path``; an ``error`` it raises is raised again with the path in front."""
    path = Path(path)
    try:
        return parse(path.read_text())
    except error as exc:
        raise error(f"{path}: {exc}") from None


def short_range_energy(A: float, rho: float, C: float, D: float, r) -> np.ndarray:
    """A exp(-r/rho) - C/r^6 + D/r^24 in eV at ``r`` (A), not truncated (A eV, rho A, C eV A^6, D eV A^24)."""
    r = np.asarray(r, dtype=float)
    return A * np.exp(-r / rho) - C / r**6 + D / r**24


def short_range_force(A: float, rho: float, C: float, D: float, r) -> np.ndarray:
    """-d/dr of :func:`short_range_energy` in eV/A (positive = repulsive)."""
    r = np.asarray(r, dtype=float)
    return A / rho * np.exp(-r / rho) - 6.0 * C / r**7 + 24.0 * D / r**25


def dsf_constants(alpha: float, r_cut: float) -> tuple[float, float]:
    """``(e_shift, f_shift)`` of the DSF form: erfc(a Rc)/Rc and erfc(a Rc)/Rc^2 + 2a/sqrt(pi) exp(-a^2 Rc^2)/Rc."""
    e_c = erfc(alpha * r_cut) / r_cut
    f_c = erfc(alpha * r_cut) / r_cut**2 + 2.0 * alpha / math.sqrt(math.pi) * math.exp(-(alpha * r_cut) ** 2) / r_cut
    return e_c, f_c


def dsf_energy(qq: float, r, alpha: float, r_cut: float) -> np.ndarray:
    """Fennell-Gezelter DSF pair energy in eV (zero for r >= r_cut):
    k qq [erfc(a r)/r - erfc(a Rc)/Rc + f_c (r - Rc)]."""
    r = np.asarray(r, dtype=float)
    e_c, f_c = dsf_constants(alpha, r_cut)
    e = K_E * qq * (erfc(alpha * r) / r - e_c + f_c * (r - r_cut))
    return np.where(r < r_cut, e, 0.0)


def dsf_force(qq: float, r, alpha: float, r_cut: float) -> np.ndarray:
    """-d/dr of :func:`dsf_energy` in eV/A."""
    r = np.asarray(r, dtype=float)
    _, f_c = dsf_constants(alpha, r_cut)
    f = K_E * qq * (erfc(alpha * r) / r**2
                    + 2.0 * alpha / math.sqrt(math.pi) * np.exp(-(alpha * r) ** 2) / r - f_c)
    return np.where(r < r_cut, f, 0.0)


def dsf_self_energy(charges, alpha: float, r_cut: float, convention: str = "lammps") -> float:
    """The constant per-atom self term of DSF in eV, summed over ``charges``.

    ``'lammps'``: -k q^2 (e_shift/2 + a/sqrt(pi)) with LAMMPS's e_shift = erfc(a Rc)/Rc + Rc f_c
    (what ``pair_style coul/dsf`` adds). ``'fennell-gezelter'``: -k q^2 (erfc(a Rc)/(2 Rc) + a/sqrt(pi)),
    the paper's form. The two differ by a constant (237.40 eV for 3000 atoms at q_Si = 1.955);
    forces are identical.
    """
    q2 = float(np.sum(np.asarray(charges, dtype=float) ** 2))
    e_c, f_c = dsf_constants(alpha, r_cut)
    if convention == "lammps":
        shift = 0.5 * (e_c + r_cut * f_c)
    elif convention == "fennell-gezelter":
        shift = 0.5 * e_c
    else:
        raise ValueError(f"convention must be 'lammps' or 'fennell-gezelter', got {convention!r}")
    return -K_E * q2 * (shift + alpha / math.sqrt(math.pi))


#: The preset catalogue (:mod:`silica_explorer.presets`) as validated ForceFields, by name.
PRESETS: dict[str, ForceField] = {name: ForceField(name=name, **values) for name, values in PRESET_PARAMETERS.items()}
