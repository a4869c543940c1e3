"""The silica forcefield of Eq. (1) of Liu et al., MRS Commun. 9, 593 (2019).

    U_ij(r) = k_e q_i q_j / r + A_ij exp(-r / rho_ij) - C_ij / r^6 + D_ij / r^24

Units throughout: energies in eV, distances in Angstrom, charges in e, A in eV, rho in Angstrom,
C in eV A^6, D in eV A^24, forces in eV/A.

The Coulomb term is evaluated as a damped shifted force (DSF, Fennell & Gezelter, J. Chem. Phys. 124,
234104 (2006)) with damping ``alpha`` (1/A) and cutoff ``r_cut`` (A); the short-range terms are
truncated (not shifted) at ``r_cut``. ``q_O = -q_Si / 2`` keeps SiO2 neutral.

:class:`ForceField` is immutable and validated on construction: every bad value raises
:class:`ParameterError` naming the parameter and its allowed range.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
from scipy.special import erfc

#: Coulomb constant e^2 / (4 pi eps0) in eV A (the value LAMMPS ``units metal`` uses).
K_E = 14.399645

#: Pair names in the fixed order used everywhere (datasets, vectors, tables).
PAIRS: tuple[str, ...] = ("SiSi", "SiO", "OO")
#: Species of each pair.
PAIR_SPECIES = {"SiSi": ("Si", "Si"), "SiO": ("Si", "O"), "OO": ("O", "O")}
#: LAMMPS atom type of each species.
TYPE_OF = {"Si": 1, "O": 2}
#: Atomic masses in g/mol.
MASS = {"Si": 28.0855, "O": 15.9994}

#: The 10 free parameters of the paper, in their canonical order.
FREE_PARAMETERS: tuple[str, ...] = (
    "q_Si",
    "A_SiO", "rho_SiO", "C_SiO",
    "A_OO", "rho_OO", "C_OO",
    "A_SiSi", "rho_SiSi", "C_SiSi",
)

#: Units of every parameter (for labels and xarray attrs).
UNITS = {
    "q_Si": "e",
    **{f"A_{p}": "eV" for p in PAIRS},
    **{f"rho_{p}": "A" for p in PAIRS},
    **{f"C_{p}": "eV A^6" for p in PAIRS},
    **{f"D_{p}": "eV A^24" for p in PAIRS},
    "alpha": "1/A",
    "r_cut": "A",
}

#: Default search box of each free parameter for optimizers and landscapes (inclusive). These are
#: *search* bounds; :data:`VALID_RANGE` holds the hard physical limits that validation enforces.
SEARCH_BOUNDS: dict[str, tuple[float, float]] = {
    "q_Si": (1.5, 2.6),
    "A_SiO": (10000.0, 55000.0),
    "rho_SiO": (0.15, 0.23),
    "C_SiO": (0.0, 200.0),
    "A_OO": (500.0, 10000.0),
    "rho_OO": (0.25, 0.40),
    "C_OO": (0.0, 250.0),
    "A_SiSi": (0.0, 4000.0),
    "rho_SiSi": (0.20, 0.45),
    "C_SiSi": (0.0, 700.0),
}

#: Hard limits ``(low, high, low_inclusive)``; ``high`` is always inclusive.
VALID_RANGE: dict[str, tuple[float, float, bool]] = {
    "q_Si": (0.0, 4.0, False),
    **{f"A_{p}": (0.0, math.inf, True) for p in PAIRS},
    **{f"rho_{p}": (0.0, math.inf, False) for p in PAIRS},
    **{f"C_{p}": (0.0, math.inf, True) for p in PAIRS},
    **{f"D_{p}": (0.0, math.inf, True) for p in PAIRS},
    "alpha": (0.0, math.inf, False),
    "r_cut": (2.0, math.inf, False),
}

#: LAMMPS input decks: Eq. (1) + DSF in one ``pair_style table`` (default; one lookup per pair, about
#: half the wall time), or the short-range table overlaid with ``coul/dsf`` (``hybrid/overlay``).
DECKS: tuple[str, ...] = ("one-table", "hybrid")
#: Shortest tabulated distance (A) of the one-table deck; a pair closer than this stops LAMMPS.
TABLE_R_INNER = 0.5
#: Shortest tabulated distance (A) of the hybrid deck's short-range table.
HYBRID_R_INNER = 1.0
#: Pair energy (eV) below whose distance the one-table deck continues as a straight, capped wall.
WALL_ENERGY = 50.0

#: Fixed repulsion D_ij of the paper (eV A^24).
PAPER_D = {"SiO": 29.0, "OO": 113.0, "SiSi": 3423200.0}


class ParameterError(ValueError):
    """A forcefield parameter is missing, unknown, not finite or outside its allowed range."""


def _range_text(name: str) -> str:
    lo, hi, lo_incl = VALID_RANGE[name]
    left = "[" if lo_incl else "("
    right = "]" if math.isfinite(hi) else ")"
    return f"{left}{lo:g}, {hi:g}{right}"


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
                    f"{field.name} must be a number in {_range_text(field.name)} "
                    f"{UNITS[field.name]}, got {value!r}") from None
            lo, hi, lo_incl = VALID_RANGE[field.name]
            ok = math.isfinite(value) and (value >= lo if lo_incl else value > lo) and value <= hi
            if not ok:
                raise ParameterError(
                    f"{field.name} = {value!r} is outside its allowed range "
                    f"{_range_text(field.name)} {UNITS[field.name]}")
            object.__setattr__(self, field.name, value)

    # ----------------------------------------------------------------------------- construction
    @classmethod
    def preset(cls, name: str) -> "ForceField":
        """A published parameter set by name (case-insensitive); see :data:`PRESETS`."""
        key = _preset_key(name)
        return PRESETS[key]

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
        """All numeric parameters (free ones first, then D, alpha, r_cut)."""
        return FREE_PARAMETERS + ("D_SiO", "D_OO", "D_SiSi", "alpha", "r_cut")

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
        return dataclasses.asdict(self)

    # ----------------------------------------------------------------------------- JSON
    def to_json(self) -> str:
        return json.dumps({"silica_explorer_forcefield": 1, **self.as_dict()}, indent=2)

    @classmethod
    def from_dict(cls, data: Mapping) -> "ForceField":
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
        return cls.from_dict(json.loads(text))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_json() + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "ForceField":
        path = Path(path)
        try:
            return cls.from_json(path.read_text())
        except ParameterError as exc:
            raise ParameterError(f"{path}: {exc}") from None

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
        A, rho, C, D = self.pair_params(pair)
        r = np.asarray(r, dtype=float)
        return A * np.exp(-r / rho) - C / r**6 + D / r**24

    def short_range_force(self, pair: str, r) -> np.ndarray:
        """-d/dr of :meth:`short_range_energy` in eV/A (positive = repulsive)."""
        A, rho, C, D = self.pair_params(pair)
        r = np.asarray(r, dtype=float)
        return A / rho * np.exp(-r / rho) - 6.0 * C / r**7 + 24.0 * D / r**25

    def pair_qq(self, pair: str) -> float:
        a, b = PAIR_SPECIES[check_pair(pair)]
        return self.charge(a) * self.charge(b)

    def coulomb_energy(self, pair: str, r, kind: str = "dsf") -> np.ndarray:
        """Coulomb energy in eV: ``kind='dsf'`` (cut at r_cut) or ``'bare'`` k q q / r."""
        qq = self.pair_qq(pair)
        if kind == "bare":
            return K_E * qq / np.asarray(r, dtype=float)
        return dsf_energy(qq, r, self.alpha, self.r_cut)

    def coulomb_force(self, pair: str, r, kind: str = "dsf") -> np.ndarray:
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

    # ----------------------------------------------------------------------------- tabulation
    def wall_distance(self, pair: str, wall_energy: float = WALL_ENERGY) -> float | None:
        """Largest r (A) below ``r_cut`` at which the full pair energy (short range + DSF) reaches
        ``wall_energy`` (eV), or None if it never does above :data:`TABLE_R_INNER`. Inside that
        distance the one-table deck continues the potential as a straight wall (see :meth:`table_values`)."""
        check_pair(pair)
        r = np.linspace(TABLE_R_INNER, self.r_cut, 40001)
        with np.errstate(over="ignore", invalid="ignore"):
            u = self.pair_energy(pair, r)
        above = np.nonzero(~(u < wall_energy))[0]  # NaN/inf count as above
        if above.size == 0:
            return None
        k = int(above[-1])
        if k == r.size - 1:
            raise ParameterError(f"{pair} pair energy exceeds the wall energy {wall_energy} eV at r_cut")
        from scipy.optimize import brentq
        return float(brentq(lambda x: float(self.pair_energy(pair, x)) - wall_energy, r[k], r[k + 1],
                            xtol=1e-12))

    def table_values(self, pair: str, r, deck: str = "one-table",
                     wall_energy: float = WALL_ENERGY) -> tuple[np.ndarray, np.ndarray]:
        """Tabulated energy (eV) and force -dU/dr (eV/A) of ``pair`` at distances ``r`` (A) for a deck.

        ``deck="one-table"``: the whole of Eq. (1) as the MD sees it, DSF Coulomb included (both
        parts zero beyond ``r_cut``), continued inside :meth:`wall_distance` r_w as a capped wall
        ``U(r) = U(r_w) + F(r_w) (r_w - r)`` with the constant force F(r_w) > 0. The wall starts where
        U = ``wall_energy`` (50 eV, ~160 kT at 3600 K), so it changes nothing a liquid visits; it keeps
        energies finite down to :data:`TABLE_R_INNER`, so a close approach is measured instead of
        stopping LAMMPS. ``deck="hybrid"``: the short-range part only (Coulomb by ``coul/dsf``).
        """
        check_deck(deck)
        r = np.asarray(r, dtype=float)
        if deck == "hybrid":
            return self.short_range_energy(pair, r), self.short_range_force(pair, r)
        r_w = self.wall_distance(pair, wall_energy)
        with np.errstate(over="ignore", invalid="ignore"):
            # the short range is truncated (not shifted) at r_cut: the table's last point, at r_cut,
            # holds its value there; DSF is zero at r_cut by construction
            inside_cut = r <= self.r_cut
            u = np.where(inside_cut, self.short_range_energy(pair, r) + self.coulomb_energy(pair, r), 0.0)
            f = np.where(inside_cut, self.short_range_force(pair, r) + self.coulomb_force(pair, r), 0.0)
        if r_w is not None:
            u_w, f_w = float(self.pair_energy(pair, r_w)), float(self.pair_force(pair, r_w))
            inside = r < r_w
            u = np.where(inside, u_w + f_w * (r_w - r), u)
            f = np.where(inside, f_w, f)
        return u, f

    # ----------------------------------------------------------------------------- LAMMPS export
    def write_lammps_table(self, path: str | Path, n_points: int = 8000,
                           r_inner: float | None = None, deck: str = "one-table") -> Path:
        """Write Eq. (1) as a LAMMPS ``pair_style table`` file (see :meth:`table_values`).

        One section per pair (keywords SiSi, SiO, OO), ``n_points`` points evenly spaced in r from
        ``r_inner`` (default :data:`TABLE_R_INNER` for the one-table deck, 1 A for the hybrid deck,
        whose short-range part overflows below that) to ``r_cut`` (A); energies in eV and forces
        (-dE/dr) in eV/A computed analytically. LAMMPS re-tabulates the file's points on ``n_points``
        points evenly spaced in r^2 (``pair_style table linear``).
        """
        check_deck(deck)
        if r_inner is None:
            r_inner = table_r_inner(deck)
        if n_points < 2:
            raise ParameterError(f"n_points = {n_points} must be >= 2")
        if not 0.0 < r_inner < self.r_cut:
            raise ParameterError(f"r_inner = {r_inner} must be in (0, r_cut={self.r_cut}) A")
        path = Path(path)
        r = np.linspace(r_inner, self.r_cut, n_points)
        what = ("Eq. (1) with DSF Coulomb (alpha {:g} 1/A), capped wall below U = {:g} eV".format(self.alpha, WALL_ENERGY)
                if deck == "one-table" else "short-range part of Eq. (1); Coulomb is coul/dsf")
        lines = [f"# silica-explorer table for '{self.name}' ({deck} deck): {what}; eV and eV/A", ""]
        for pair in PAIRS:
            e, f = self.table_values(pair, r, deck)
            lines += [pair, f"N {n_points} R {r_inner:.10g} {self.r_cut:.10g}", ""]
            lines += [f"{i + 1} {ri:.17g} {ei:.16e} {fi:.16e}"
                      for i, (ri, ei, fi) in enumerate(zip(r, e, f))]
            lines.append("")
        path.write_text("\n".join(lines))
        return path

    def lammps_pair_lines(self, table_path: str | Path, n_points: int = 8000,
                          deck: str = "one-table") -> list[str]:
        """The LAMMPS input lines that apply this forcefield (atom types Si=1, O=2).

        ``deck="one-table"``: one ``pair_style table`` holding Eq. (1) with DSF Coulomb (one lookup
        per pair; the charges are set for the record but no pair style uses them, so LAMMPS's
        constant DSF self energy, :func:`dsf_self_energy`, is absent from its energies).
        ``deck="hybrid"``: ``hybrid/overlay`` of the short-range table and ``coul/dsf``.
        """
        check_deck(deck)
        table_path = str(table_path)
        if deck == "one-table":
            lines = [f"pair_style table linear {n_points}"]
            sub = ""
        else:
            lines = [f"pair_style hybrid/overlay table linear {n_points} coul/dsf {self.alpha:.10g} {self.r_cut:.10g}",
                     "pair_coeff * * coul/dsf"]
            sub = "table "
        for pair in PAIRS:
            a, b = PAIR_SPECIES[pair]
            i, j = sorted((TYPE_OF[a], TYPE_OF[b]))
            lines.append(f"pair_coeff {i} {j} {sub}{table_path} {pair} {self.r_cut:.10g}")
        lines += [f"set type {TYPE_OF['Si']} charge {self.charge('Si'):.12g}",
                  f"set type {TYPE_OF['O']} charge {self.charge('O'):.12g}"]
        return lines


def table_r_inner(deck: str) -> float:
    """Shortest tabulated distance (A) of a deck's table: a closer pair stops LAMMPS."""
    return TABLE_R_INNER if check_deck(deck) == "one-table" else HYBRID_R_INNER


def check_deck(deck: str) -> str:
    if deck not in DECKS:
        raise ParameterError(f"unknown LAMMPS deck {deck!r}; allowed: {list(DECKS)}")
    return deck


def check_pair(pair: str) -> str:
    if pair not in PAIRS:
        raise ParameterError(f"unknown pair {pair!r}; allowed: {list(PAIRS)}")
    return pair


def check_names(names: Sequence[str]) -> None:
    allowed = ForceField.parameter_names()
    bad = [n for n in names if n not in allowed]
    if bad:
        raise ParameterError(f"unknown parameter name(s) {bad}; allowed: {list(allowed)}")
    if len(set(names)) != len(names):
        raise ParameterError(f"duplicate parameter names in {list(names)}")


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


def _preset_key(name: str) -> str:
    lookup = {k.lower(): k for k in PRESETS}
    key = lookup.get(str(name).lower())
    if key is None:
        raise ParameterError(f"unknown preset {name!r}; available: {list(PRESETS)}")
    return key


#: Published parameter sets in the form of Eq. (1) (see ../shared/science.md section 2).
#: Si-Si "off" is A = C = 0 with rho = 1 A. All use the paper's fixed D values.
PRESETS: dict[str, ForceField] = {
    "ML": ForceField(name="ML", q_Si=1.955,
                     A_SiO=20453.601, rho_SiO=0.191735, C_SiO=93.496,
                     A_OO=1003.387, rho_OO=0.356855, C_OO=81.491),
    "BKS": ForceField(name="BKS", q_Si=2.4,
                      A_SiO=18003.7572, rho_SiO=0.205205, C_SiO=133.5381,
                      A_OO=1388.7730, rho_OO=0.362319, C_OO=175.0),
    "CHIK": ForceField(name="CHIK", q_Si=1.910418,
                       A_SiO=27029.419922, rho_SiO=1 / 5.158606, C_SiO=148.099091,
                       A_OO=659.595398, rho_OO=1 / 2.590066, C_OO=26.836679,
                       A_SiSi=3150.462646, rho_SiSi=1 / 2.851451, C_SiSi=626.751953),
    "SHIK": ForceField(name="SHIK", q_Si=1.7755,
                       A_SiO=23107.84764, rho_SiO=0.196161, C_SiO=139.6947857,
                       A_OO=1120.528996, rho_OO=0.345693, C_OO=26.13207696,
                       A_SiSi=2797.979165, rho_SiSi=0.226895, C_SiSi=0.0),
    "Teter": ForceField(name="Teter", q_Si=2.4,
                        A_SiO=13702.905, rho_SiO=0.193817, C_SiO=54.681,
                        A_OO=2029.2204, rho_OO=0.343645, C_OO=192.58),
    "Guillot-Sator": ForceField(name="Guillot-Sator", q_Si=1.89,
                                A_SiO=50306.10, rho_SiO=0.161, C_SiO=46.2978,
                                A_OO=9022.79, rho_OO=0.265, C_OO=85.0921),
    # this project's own fits against the shipped CHGNet reference (data/fits/; not the paper's ML set)
    "CHGNet-fit7": ForceField(name="CHGNet-fit7", q_Si=1.8378311842713155,
                              A_SiO=23422.48262045623, rho_SiO=0.19617659470607468, C_SiO=138.01458918065853,
                              A_OO=900.3706292685622, rho_OO=0.35595046853282863, C_OO=21.401445866815223),
    "CHGNet-fit10": ForceField(name="CHGNet-fit10", q_Si=1.787575845458571,
                               A_SiO=24080.90213271934, rho_SiO=0.1954969689564352, C_SiO=139.53198244639992,
                               A_OO=1424.3620604560442, rho_OO=0.3385898552907309, C_OO=24.80958716615822,
                               A_SiSi=20831.31015923903, rho_SiSi=0.20747860322329803, C_SiSi=118.56036474140845),
}

#: Where each preset comes from.
PRESET_SOURCES = {
    "ML": "Liu et al., MRS Commun. 9, 593 (2019), Table I",
    "BKS": "van Beest, Kramer, van Santen, PRL 64, 1955 (1990)",
    "CHIK": "Carre, Horbach, Ispas, Kob, EPL 82, 17001 (2008)",
    "SHIK": "Sundararaman et al., J. Chem. Phys. 148, 194504 (2018); Eq. (1) approximation "
            "(paper D values and DSF Coulomb instead of its own D and Wolf sum)",
    "Teter": "Teter potential as used by Du & Cormack",
    "Guillot-Sator": "Guillot & Sator (2007), silica part (q_Si = 1.89)",
    "CHGNet-fit7": "silica-explorer fit against the CHGNet reference liquid (7 parameters, Si-Si off; turbo+cg, "
                   "300 quick melts, MD seed 0): data/fits/fit7. Not the paper's ML set",
    "CHGNet-fit10": "silica-explorer fit against the CHGNet reference liquid (all 10 parameters; turbo+cg, "
                    "250 quick melts, MD seed 0): data/fits/fit10. Not the paper's ML set",
}

#: The published sets among :data:`PRESETS` (the others are this project's fits, :data:`FITTED_PRESETS`).
PUBLISHED_PRESETS = ("ML", "BKS", "CHIK", "SHIK", "Teter", "Guillot-Sator")
#: This project's fitted sets among :data:`PRESETS` (data/fits/).
FITTED_PRESETS = ("CHGNet-fit7", "CHGNet-fit10")
