"""What a glass system is: its species, its composition in formula units, its charge rule and its pairs.

A :class:`System` is frozen and validated on construction. It holds

- ``species``: :class:`Species` in the system's canonical order (symbol, mass in g/mol = amu, charge rule);
- ``composition``: formula units and how many of each make one composition unit, e.g. ``{"SiO2": 1}``
  for silica and ``{"Na2O": 1, "SiO2": 3}`` for sodium trisilicate (NS3, Na2Si3O7);
- the charge-neutrality rule as data: each species' charge is ``"free"`` (a forcefield parameter
  ``q_<symbol>`` in e), a fixed number (e), or ``"neutralizing"``; the one neutralizing species takes
  ``q_X = -(sum over the other species n_i q_i) / n_X`` with the counts n of one composition unit (SHIK:
  q_Si and q_Na free, q_O follows the composition; silica gives q_O = -q_Si / 2);
- the N (N + 1) / 2 pairs in canonical order: species i with every species j >= i in ``species`` order,
  named by the two symbols (``"SiSi", "SiO", "OO"`` for silica, which is
  :data:`silica_explorer.parameters.PAIRS`); every pair has the Eq. (1) terms ``A_<pair>`` (eV),
  ``rho_<pair>`` (A), ``C_<pair>`` (eV A^6) and ``D_<pair>`` (eV A^24).

Every bad input raises ONE :class:`SystemDescriptionError` (a
:class:`~silica_explorer.parameters.ParameterError`) naming the field: a composition that is not neutral
under the rule, an unknown element, a pair missing its parameters, a misspelt key (with the close match).
:func:`system_from_dict` / :meth:`System.as_dict` / :func:`system_from_file` are the JSON form.
The built-in systems are :data:`SIO2` and :data:`NS3` (:data:`SYSTEMS`).

Units: masses g/mol, charges e, densities g/cm3, lengths A, number densities 1/A^3.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import re
from pathlib import Path
from typing import Iterable, Mapping

from ..constants import AVOGADRO, ELEMENT_MASS
from ..parameters import VALID_RANGE, ParameterError, range_text

#: The charge rules a species may follow (besides a fixed number, in e).
CHARGE_RULES = ("free", "neutralizing")
#: The Eq. (1) terms every pair has, with their units.
PAIR_TERMS = {"A": "eV", "rho": "A", "C": "eV A^6", "D": "eV A^24"}
#: Keys of the JSON form of a system and of each of its species.
SYSTEM_KEYS = ("silica_explorer_system", "name", "species", "composition")
SPECIES_KEYS = ("symbol", "mass", "charge")

_FORMULA = re.compile(r"([A-Z][a-z]?)(\d*)")


def silica_name(name: str) -> str:
    """The silica parameter whose limits :data:`~silica_explorer.parameters.VALID_RANGE` a parameter of any
    system shares: every charge is limited like ``q_Si``, every ``A_<pair>`` like ``A_SiO`` and so on."""
    term = name.split("_", 1)[0]
    return {"q": "q_Si", **{t: f"{t}_SiO" for t in PAIR_TERMS}}.get(term, name)


class SystemDescriptionError(ParameterError):
    """A glass-system description, or a parameter set for it, is malformed; the message names the field."""


def close_match_hint(word: str, allowed: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``allowed`` to ``word`` (difflib), else ``""``."""
    match = difflib.get_close_matches(str(word), list(allowed), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def check_keys(data: Mapping, allowed: Iterable[str], where: str) -> None:
    """SystemDescriptionError naming the first key of ``data`` not in ``allowed`` (with the close match)."""
    allowed = tuple(allowed)
    for key in data:
        if key not in allowed:
            raise SystemDescriptionError(
                f"{where}: unknown key {key!r}{close_match_hint(key, allowed)} (allowed: {list(allowed)})")


def parse_formula(formula: str) -> dict[str, int]:
    """Element counts of a formula unit such as ``"Na2O"`` -> ``{"Na": 2, "O": 1}``; SystemDescriptionError
    naming the formula when it is not a sequence of element symbols and counts of known elements."""
    text = str(formula)
    parts = _FORMULA.findall(text)
    if not text or "".join(s + n for s, n in parts) != text:
        raise SystemDescriptionError(f"composition: {text!r} is not a formula such as 'SiO2' or 'Na2O'")
    counts: dict[str, int] = {}
    for symbol, n in parts:
        if symbol not in ELEMENT_MASS:
            raise SystemDescriptionError(
                f"composition: unknown element {symbol!r} in {text!r}{close_match_hint(symbol, ELEMENT_MASS)}"
                f" (known: {sorted(ELEMENT_MASS)})")
        counts[symbol] = counts.get(symbol, 0) + (int(n) if n else 1)
    return counts


@dataclasses.dataclass(frozen=True)
class Species:
    """One atomic species: ``symbol`` (a key of :data:`ELEMENT_MASS`), ``mass`` in g/mol (defaults to the
    element's standard weight) and ``charge``: ``"free"``, ``"neutralizing"`` or a fixed number in e."""

    symbol: str
    mass: float | None = None
    charge: str | float = "free"

    def __post_init__(self) -> None:
        if self.symbol not in ELEMENT_MASS:
            raise SystemDescriptionError(
                f"species: unknown element {self.symbol!r}{close_match_hint(self.symbol, ELEMENT_MASS)} "
                f"(known: {sorted(ELEMENT_MASS)})")
        mass = ELEMENT_MASS[self.symbol] if self.mass is None else self.mass
        if isinstance(mass, bool) or not isinstance(mass, (int, float)) or not (math.isfinite(mass) and mass > 0):
            raise SystemDescriptionError(f"species {self.symbol}: mass must be a number > 0 g/mol, got {mass!r}")
        object.__setattr__(self, "mass", float(mass))
        charge = self.charge
        if isinstance(charge, str):
            if charge not in CHARGE_RULES:
                raise SystemDescriptionError(
                    f"species {self.symbol}: charge {charge!r} is neither a number nor one of {list(CHARGE_RULES)}"
                    f"{close_match_hint(charge, CHARGE_RULES)}")
        elif isinstance(charge, bool) or not isinstance(charge, (int, float)) or not math.isfinite(charge):
            raise SystemDescriptionError(f"species {self.symbol}: charge must be a number (e) or a rule, got {charge!r}")
        else:
            object.__setattr__(self, "charge", float(charge))

    def as_dict(self) -> dict:
        """The JSON form: symbol, mass (g/mol) and charge rule or value (e)."""
        return {"symbol": self.symbol, "mass": self.mass, "charge": self.charge}


def species_from_dict(entry: Mapping, where: str = "species") -> Species:
    """A :class:`Species` from its JSON form (:meth:`Species.as_dict`); ``where`` names it in errors."""
    if not isinstance(entry, Mapping):
        raise SystemDescriptionError(f"{where}: must be an object with keys {list(SPECIES_KEYS)}, got {entry!r}")
    check_keys(entry, SPECIES_KEYS, where)
    if "symbol" not in entry:
        raise SystemDescriptionError(f"{where}: missing key 'symbol'")
    return Species(**entry)


@dataclasses.dataclass(frozen=True)
class System:
    """A glass system: ``name``, ``species`` (canonical order) and ``composition`` (formula -> count of
    that formula unit in one composition unit). Validated on construction; see the module docstring."""

    name: str
    species: tuple[Species, ...]
    composition: tuple[tuple[str, int], ...]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SystemDescriptionError(f"name must be a non-empty string, got {self.name!r}")
        species = tuple(s if isinstance(s, Species) else species_from_dict(s, f"species[{k}]")
                        for k, s in enumerate(self.species))
        if not species:
            raise SystemDescriptionError("species: a system needs at least one species")
        symbols = [s.symbol for s in species]
        if len(set(symbols)) != len(symbols):
            raise SystemDescriptionError(f"species: duplicate symbols in {symbols}")
        composition = self.composition.items() if isinstance(self.composition, Mapping) else self.composition
        composition = tuple((str(f), c) for f, c in composition)
        if not composition:
            raise SystemDescriptionError("composition: at least one formula unit is needed")
        for formula, count in composition:
            if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
                raise SystemDescriptionError(f"composition: count of {formula!r} must be an integer > 0, got {count!r}")
        object.__setattr__(self, "species", species)
        object.__setattr__(self, "composition", composition)
        counts = self.unit_counts()
        extra = sorted(set(counts) - set(symbols))
        if extra:
            raise SystemDescriptionError(f"composition: element(s) {extra} are not among the species {symbols}")
        absent = [s for s in symbols if counts.get(s, 0) == 0]
        if absent:
            raise SystemDescriptionError(f"composition: species {absent} have no atoms in {dict(composition)}")
        self._check_neutrality_rule()

    def _check_neutrality_rule(self) -> None:
        rules = {s.symbol: s.charge for s in self.species}
        neutralizing = [s for s, r in rules.items() if r == "neutralizing"]
        if len(neutralizing) > 1:
            raise SystemDescriptionError(f"species: only one species may be 'neutralizing', got {neutralizing}")
        if neutralizing:
            return
        if any(r == "free" for r in rules.values()):
            raise SystemDescriptionError(
                "species: with free charges one species must be 'neutralizing' (its charge keeps the "
                f"composition neutral); got rules {rules}")
        counts = self.unit_counts()
        total = sum(counts[s] * q for s, q in rules.items())
        if abs(total) > 1e-9:
            raise SystemDescriptionError(
                f"composition: {self.formula()} is not neutral under the fixed charges {rules} "
                f"(net charge {total:+g} e per composition unit)")

    # ----------------------------------------------------------------------------- species and counts
    @property
    def symbols(self) -> tuple[str, ...]:
        """Species symbols in canonical order."""
        return tuple(s.symbol for s in self.species)

    @property
    def masses(self) -> dict[str, float]:
        """Mass of each species in g/mol."""
        return {s.symbol: s.mass for s in self.species}

    def unit_counts(self) -> dict[str, int]:
        """Atoms of each element in one composition unit (e.g. NS3: Si 3, Na 2, O 7)."""
        counts: dict[str, int] = {}
        for formula, n in self.composition:
            for symbol, k in parse_formula(formula).items():
                counts[symbol] = counts.get(symbol, 0) + n * k
        return counts

    def formula(self) -> str:
        """The composition as text, e.g. ``"Na2O-3SiO2"``."""
        return "-".join(f"{n if n > 1 else ''}{f}" for f, n in self.composition)

    @property
    def atoms_per_unit(self) -> int:
        """Atoms in one composition unit (SiO2: 3, NS3: 12)."""
        return sum(self.unit_counts().values())

    def atom_counts(self, n_units: int) -> dict[str, int]:
        """Atoms of each species (canonical order) in ``n_units`` composition units."""
        if isinstance(n_units, bool) or not isinstance(n_units, int) or n_units <= 0:
            raise SystemDescriptionError(f"n_units must be an integer > 0, got {n_units!r}")
        counts = self.unit_counts()
        return {s: n_units * counts[s] for s in self.symbols}

    @property
    def unit_mass(self) -> float:
        """Mass of one composition unit in g/mol (summed in species order: SiO2 = M_Si + 2 M_O)."""
        counts = self.unit_counts()
        total = 0.0
        for s in self.species:
            total = total + counts[s.symbol] * s.mass
        return total

    def box_length(self, n_units: int, density: float) -> float:
        """Edge (A) of the cubic box holding ``n_units`` composition units at ``density`` g/cm3 (the
        arithmetic of :func:`silica_explorer.constants.cubic_box_length`)."""
        if not (isinstance(density, (int, float)) and math.isfinite(density) and density > 0):
            raise SystemDescriptionError(f"density must be a number > 0 g/cm3, got {density!r}")
        self.atom_counts(n_units)  # validates n_units
        mass_g = n_units * self.unit_mass / AVOGADRO
        return (mass_g / density * 1e24) ** (1.0 / 3.0)

    def number_density(self, density: float) -> float:
        """Atoms per A^3 at ``density`` g/cm3."""
        return self.atoms_per_unit * AVOGADRO * density / (self.unit_mass * 1e24)

    # ----------------------------------------------------------------------------- charges
    @property
    def charge_parameters(self) -> tuple[str, ...]:
        """The free charge parameters ``q_<symbol>`` (e), in species order."""
        return tuple(f"q_{s.symbol}" for s in self.species if s.charge == "free")

    def charges(self, values: Mapping[str, float]) -> dict[str, float]:
        """Charge (e) of every species from the free charges in ``values`` (other keys are ignored);
        the neutralizing species takes -(sum of n_i q_i over the others) / n_X."""
        missing = [p for p in self.charge_parameters if p not in values]
        if missing:
            raise SystemDescriptionError(f"{self.name}: missing charge parameter(s) {missing}")
        counts = self.unit_counts()
        q: dict[str, float] = {}
        for s in self.species:
            if s.charge == "free":
                q[s.symbol] = float(values[f"q_{s.symbol}"])
            elif s.charge != "neutralizing":
                q[s.symbol] = float(s.charge)
        for s in self.species:
            if s.charge == "neutralizing":
                total = 0.0
                for other in self.species:
                    if other.symbol != s.symbol:
                        total = total + counts[other.symbol] * q[other.symbol]
                q[s.symbol] = -total / counts[s.symbol]
        return {s: q[s] for s in self.symbols}

    # ----------------------------------------------------------------------------- pairs
    @property
    def pairs(self) -> tuple[str, ...]:
        """All N (N + 1) / 2 pair names in canonical order (species i, then j >= i)."""
        return tuple(a + b for a, b in self.pair_species.values())

    @property
    def pair_species(self) -> dict[str, tuple[str, str]]:
        """Pair name -> its two species, in canonical order."""
        sym = self.symbols
        return {sym[i] + sym[j]: (sym[i], sym[j]) for i in range(len(sym)) for j in range(i, len(sym))}

    def pair_name(self, a: str, b: str) -> str:
        """The canonical name of the pair of species ``a`` and ``b`` (either order)."""
        sym = self.symbols
        for s in (a, b):
            if s not in sym:
                raise SystemDescriptionError(f"{self.name}: unknown species {s!r}; species: {list(sym)}")
        return a + b if sym.index(a) <= sym.index(b) else b + a

    def pair_parameters(self, pair: str) -> tuple[str, str, str, str]:
        """Names of the Eq. (1) terms of ``pair``: ``(A_<pair>, rho_<pair>, C_<pair>, D_<pair>)``."""
        if pair not in self.pair_species:
            raise SystemDescriptionError(
                f"{self.name}: unknown pair {pair!r}{close_match_hint(pair, self.pairs)}; pairs: {list(self.pairs)}")
        return tuple(f"{t}_{pair}" for t in PAIR_TERMS)

    def ordered_pairs(self) -> tuple[str, ...]:
        """Pairs with the neutralizing species first (in :attr:`pairs` order), then the others: silica's
        SiO, OO, SiSi, the order of :data:`silica_explorer.parameters.FREE_PARAMETERS`."""
        anion = [s.symbol for s in self.species if s.charge == "neutralizing"]
        with_anion = [p for p, ab in self.pair_species.items() if anion and anion[0] in ab]
        return tuple(with_anion + [p for p in self.pairs if p not in with_anion])

    @property
    def free_parameters(self) -> tuple[str, ...]:
        """The free charges, then A, rho, C of every pair in :meth:`ordered_pairs` order (silica:
        :data:`~silica_explorer.parameters.FREE_PARAMETERS`)."""
        terms = tuple(n for p in self.ordered_pairs() for n in self.pair_parameters(p)[:3])
        return self.charge_parameters + terms

    @property
    def all_parameters(self) -> tuple[str, ...]:
        """:attr:`free_parameters`, then every D, then ``alpha`` and ``r_cut`` (silica:
        :data:`~silica_explorer.parameters.ALL_PARAMETERS`)."""
        return self.free_parameters + tuple(f"D_{p}" for p in self.ordered_pairs()) + ("alpha", "r_cut")

    def check_parameters(self, values: Mapping[str, float]) -> dict[str, float]:
        """``values`` as floats after checking that every name is known (close match suggested) and that
        every pair has all four Eq. (1) terms and every free charge is given; ``alpha`` and ``r_cut`` are
        optional. One SystemDescriptionError naming the first problem."""
        known = self.all_parameters
        for name in values:
            if name not in known:
                raise SystemDescriptionError(
                    f"{self.name}: unknown parameter {name!r}{close_match_hint(name, known)}")
        for pair in self.pairs:
            missing = [n for n in self.pair_parameters(pair) if n not in values]
            if missing:
                raise SystemDescriptionError(f"{self.name}: pair {pair} is missing its parameter(s) {missing}")
        out = {}
        for name, v in values.items():
            lo, hi, lo_incl = VALID_RANGE[silica_name(name)]
            ok = (not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)
                  and (v >= lo if lo_incl else v > lo) and v <= hi)
            if not ok:
                raise SystemDescriptionError(
                    f"{self.name}: {name} = {v!r} is outside its allowed range {range_text(silica_name(name))}")
            out[name] = float(v)
        self.charges(out)  # every free charge is given (after the range checks: values are numbers by then)
        return out

    # ----------------------------------------------------------------------------- JSON
    def as_dict(self) -> dict:
        """The JSON form: the marker ``"silica_explorer_system": 1``, name, species and composition."""
        return {"silica_explorer_system": 1, "name": self.name,
                "species": [s.as_dict() for s in self.species], "composition": dict(self.composition)}

    def to_json(self) -> str:
        """:meth:`as_dict` as indented JSON text."""
        return json.dumps(self.as_dict(), indent=2)


def system_from_dict(data: Mapping) -> System:
    """A validated :class:`System` from its JSON form (:meth:`System.as_dict`); misspelt keys name the
    close match."""
    if not isinstance(data, Mapping):
        raise SystemDescriptionError(f"a system must be a JSON object, got {type(data).__name__}")
    check_keys(data, SYSTEM_KEYS, "system")
    missing = [k for k in ("name", "species", "composition") if k not in data]
    if missing:
        raise SystemDescriptionError(f"system: missing key(s) {missing}")
    if not isinstance(data["species"], (list, tuple)):
        raise SystemDescriptionError("species: must be a list of objects with keys "
                                     f"{list(SPECIES_KEYS)}")
    marker = data.get("silica_explorer_system", 1)
    if marker != 1:
        raise SystemDescriptionError(f"system: silica_explorer_system must be 1 (the format version), got {marker!r}")
    species = [species_from_dict(entry, f"species[{k}]") for k, entry in enumerate(data["species"])]
    if not isinstance(data["composition"], Mapping):
        raise SystemDescriptionError("composition: must be an object of formula -> count, e.g. {\"SiO2\": 1}")
    return System(name=data["name"], species=tuple(species), composition=tuple(data["composition"].items()))


def system_from_file(path: str | Path) -> System:
    """Read a system JSON file; SystemDescriptionError naming the file and the field."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SystemDescriptionError(f"{path}: cannot read a system: {exc}") from None
    try:
        return system_from_dict(data)
    except SystemDescriptionError as exc:
        raise SystemDescriptionError(f"{path}: {exc}") from None


#: Silica: Si (free q_Si) and O (neutralizing, q_O = -q_Si / 2), pairs SiSi, SiO, OO.
SIO2 = System(name="SiO2", species=(Species("Si", charge="free"), Species("O", charge="neutralizing")),
              composition=(("SiO2", 1),))
#: Sodium trisilicate Na2O-3SiO2 (Na2Si3O7): q_Si and q_Na free, O neutralizing (q_O = -(3 q_Si + 2 q_Na) / 7).
NS3 = System(name="NS3", species=(Species("Si", charge="free"), Species("Na", charge="free"),
                                  Species("O", charge="neutralizing")),
             composition=(("Na2O", 1), ("SiO2", 3)))
#: The built-in systems by name.
SYSTEMS: dict[str, System] = {s.name: s for s in (SIO2, NS3)}


def system_json(system: System) -> str | dict:
    """How JSON forms refer to ``system``: a built-in system (:data:`SYSTEMS`) by its name, any other as
    its full description (:meth:`System.as_dict`)."""
    return system.name if SYSTEMS.get(system.name) == system else system.as_dict()


def system_from_json(value: str | Mapping) -> System:
    """The inverse of :func:`system_json`: a full description or a built-in name (or file)."""
    return system_from_dict(value) if isinstance(value, Mapping) else get_system(value)


def system_of_species(symbols: Iterable[str]) -> System:
    """The built-in system whose species are exactly ``symbols`` (any order; e.g. the species found in
    frames): {Si, O} -> :data:`SIO2`, {Si, Na, O} -> :data:`NS3`. SystemDescriptionError when none has
    them (then the caller passes its System)."""
    found = set(str(s) for s in symbols)
    for system in SYSTEMS.values():
        if set(system.symbols) == found:
            return system
    raise SystemDescriptionError(f"no built-in system has exactly the species {sorted(found)} (built-in: "
                                 f"{ {k: list(v.symbols) for k, v in SYSTEMS.items()} }); pass the System")


def pair_symbols(pair: str) -> tuple[str, str]:
    """The two element symbols of a pair name (``"NaO"`` -> ``("Na", "O")``); SystemDescriptionError when
    the name is not two element symbols."""
    parts = re.findall(r"[A-Z][a-z]?", str(pair))
    if len(parts) != 2 or "".join(parts) != pair or any(p not in ELEMENT_MASS for p in parts):
        raise SystemDescriptionError(f"{pair!r} is not a pair of two element symbols such as 'SiO' or 'NaNa'")
    return parts[0], parts[1]


def get_system(name_or_path: str | Path) -> System:
    """A built-in system by name (case-insensitive: ``SiO2``, ``NS3``) or a system JSON file."""
    lookup = {k.lower(): v for k, v in SYSTEMS.items()}
    key = str(name_or_path).lower()
    if key in lookup:
        return lookup[key]
    path = Path(name_or_path)
    if path.suffix.lower() == ".json" or path.exists():
        return system_from_file(path)
    raise SystemDescriptionError(
        f"unknown system {str(name_or_path)!r}{close_match_hint(str(name_or_path), SYSTEMS)}; "
        f"built-in: {list(SYSTEMS)} or a JSON file")
