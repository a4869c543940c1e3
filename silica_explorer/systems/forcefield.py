"""The Eq. (1) + DSF forcefield of any glass system: one parameter set for the species and pairs of a
:class:`~silica_explorer.systems.description.System`.

    U_ij(r) = k_e q_i q_j [DSF] + A_ij exp(-r / rho_ij) - C_ij / r^6 + D_ij / r^24

:class:`SystemForceField` holds a system, its parameter values by name (the free charges ``q_<symbol>``,
``A_/rho_/C_/D_<pair>`` of every pair, ``alpha`` and ``r_cut``) and a name. It is immutable and validated on
construction by :meth:`System.check_parameters <silica_explorer.systems.description.System.check_parameters>`
(one :class:`~silica_explorer.systems.description.SystemDescriptionError` naming the field). The pair maths
is :mod:`silica_explorer.forcefield`'s (:func:`~silica_explorer.forcefield.short_range_energy`,
:func:`~silica_explorer.forcefield.dsf_energy`, ...), so silica's silica :class:`~silica_explorer.forcefield.ForceField`
and its view :func:`system_forcefield` give the same numbers to the bit.

Presets come from one registry, :data:`SYSTEM_PRESETS`, named ``<preset>-<system>``: the silica catalogue
(``"BKS-SiO2"``, ``"SHIK-SiO2"``, ...; :data:`silica_explorer.forcefield.PRESETS` viewed through
:func:`system_forcefield`) and the NS3 sets (``"SHIK-NS3"``, ``"Teter-NS3"``;
:data:`silica_explorer.systems.presets_ns3.NS3_PRESETS`).

JSON (:meth:`SystemForceField.to_json`): ``{"silica_explorer_system_forcefield": 1, "name": ..., "system":
<a built-in system's name, or a full system description>, "parameters": {...}}``.

Units: charges e, A eV, rho A, C eV A^6, D eV A^24, alpha 1/A, r_cut and r A; energies eV, forces eV/A.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

import numpy as np

from ..forcefield import (PRESETS, ForceField, dsf_energy, dsf_force, read_json_file, short_range_energy,
                          short_range_force, write_json_file)
from .description import (NS3, SIO2, System, SystemDescriptionError, check_keys, close_match_hint,
                          system_from_json, system_json)
from .presets_ns3 import NS3_PRESETS

#: ``alpha`` (1/A) and ``r_cut`` (A) when a parameter set does not give them (the silica defaults).
DSF_DEFAULTS = {"alpha": 0.25, "r_cut": 8.0}
#: Keys of the JSON form.
FORCEFIELD_KEYS = ("silica_explorer_system_forcefield", "name", "system", "parameters")


class SystemForceField:
    """One Eq. (1) + DSF parameter set of ``system`` (a :class:`System`): ``values`` by name (see the module
    docstring; ``alpha`` and ``r_cut`` default to :data:`DSF_DEFAULTS`) and a ``name``. Immutable."""

    def __init__(self, system: System, values: Mapping[str, float], name: str = "custom"):
        if not isinstance(system, System):
            raise SystemDescriptionError(f"system must be a System, got {type(system).__name__}")
        if not isinstance(name, str):
            raise SystemDescriptionError(f"name must be a string, got {name!r}")
        if not isinstance(values, Mapping):
            raise SystemDescriptionError(f"{system.name}: parameters must be a mapping of name -> value")
        checked = system.check_parameters({**DSF_DEFAULTS, **values})
        self._system = system
        self._values = {n: checked[n] for n in system.all_parameters}
        self._name = name
        self._charges = system.charges(self._values)

    # ----------------------------------------------------------------------------- identity
    @property
    def system(self) -> System:
        """The glass system these parameters are for."""
        return self._system

    @property
    def name(self) -> str:
        """The parameter set's name."""
        return self._name

    @property
    def values(self) -> dict[str, float]:
        """Every parameter by name, in :attr:`System.all_parameters` order (a copy)."""
        return dict(self._values)

    @property
    def alpha(self) -> float:
        """DSF damping in 1/A."""
        return self._values["alpha"]

    @property
    def r_cut(self) -> float:
        """Cutoff of both the DSF Coulomb and the (truncated) short range, in A."""
        return self._values["r_cut"]

    def __eq__(self, other) -> bool:
        return (isinstance(other, SystemForceField) and self._system == other._system
                and self._values == other._values and self._name == other._name)

    def __hash__(self) -> int:
        return hash((self._system, tuple(self._values.items()), self._name))

    def __repr__(self) -> str:
        return f"SystemForceField({self._system.name}, {self._name!r})"

    # ----------------------------------------------------------------------------- construction
    @classmethod
    def preset(cls, name: str) -> "SystemForceField":
        """A published set by its registry name (case-insensitive), e.g. ``"SHIK-NS3"``; see
        :data:`SYSTEM_PRESETS`."""
        lookup = {k.lower(): k for k in SYSTEM_PRESETS}
        key = lookup.get(str(name).lower())
        if key is None:
            raise SystemDescriptionError(
                f"unknown system preset {name!r}{close_match_hint(name, SYSTEM_PRESETS)}; "
                f"available: {list(SYSTEM_PRESETS)}")
        return SYSTEM_PRESETS[key]

    def replace(self, **changes: float) -> "SystemForceField":
        """A validated copy with some parameters changed (name gets ``" (modified)"``)."""
        name = self._name if self._name.endswith("(modified)") else f"{self._name} (modified)"
        return SystemForceField(self._system, {**self._values, **changes}, name)

    # ----------------------------------------------------------------------------- JSON
    def as_dict(self) -> dict:
        """The JSON form without the marker: name, the system (a built-in one by name, any other as its full
        description) and every parameter."""
        return {"name": self._name, "system": system_json(self._system), "parameters": self.values}

    def to_json(self) -> str:
        """:meth:`as_dict` with the marker ``"silica_explorer_system_forcefield": 1``, as indented JSON."""
        return json.dumps({"silica_explorer_system_forcefield": 1, **self.as_dict()}, indent=2)

    @classmethod
    def from_dict(cls, data: Mapping) -> "SystemForceField":
        """The inverse of :meth:`as_dict` / :meth:`to_json`'s object; one SystemDescriptionError naming the field."""
        if not isinstance(data, Mapping):
            raise SystemDescriptionError(f"a system forcefield must be a JSON object, got {type(data).__name__}")
        check_keys(data, FORCEFIELD_KEYS, "system forcefield")
        missing = [k for k in ("system", "parameters") if k not in data]
        if missing:
            raise SystemDescriptionError(f"system forcefield: missing key(s) {missing}")
        marker = data.get("silica_explorer_system_forcefield", 1)
        if marker != 1:
            raise SystemDescriptionError(
                f"system forcefield: silica_explorer_system_forcefield must be 1 (the format version), got {marker!r}")
        return cls(system_from_json(data["system"]), data["parameters"], data.get("name", "custom"))

    @classmethod
    def from_json(cls, text: str) -> "SystemForceField":
        """The inverse of :meth:`to_json`."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SystemDescriptionError(f"system forcefield: not JSON: {exc}") from None
        return cls.from_dict(data)

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_json` to ``path``; returns the path."""
        return write_json_file(path, self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> "SystemForceField":
        """Read a system forcefield JSON file; SystemDescriptionError naming the file and the field."""
        return read_json_file(path, cls.from_json, SystemDescriptionError)

    # ----------------------------------------------------------------------------- physics
    def charges(self) -> dict[str, float]:
        """Charge of every species in e (the system's neutrality rule fixes the neutralizing one)."""
        return dict(self._charges)

    def charge(self, species: str) -> float:
        """Charge of ``species`` in e."""
        if species not in self._charges:
            raise SystemDescriptionError(
                f"{self._system.name}: unknown species {species!r}; species: {list(self._charges)}")
        return self._charges[species]

    def pair_params(self, pair: str) -> tuple[float, float, float, float]:
        """``(A, rho, C, D)`` of ``pair`` (eV, A, eV A^6, eV A^24)."""
        return tuple(self._values[n] for n in self._system.pair_parameters(pair))

    def pair_qq(self, pair: str) -> float:
        """Product of the two species' charges of ``pair`` in e^2."""
        self._system.pair_parameters(pair)
        a, b = self._system.pair_species[pair]
        return self.charge(a) * self.charge(b)

    def short_range_energy(self, pair: str, r) -> np.ndarray:
        """A exp(-r/rho) - C/r^6 + D/r^24 of ``pair`` in eV at ``r`` (A), not truncated."""
        return short_range_energy(*self.pair_params(pair), r)

    def short_range_force(self, pair: str, r) -> np.ndarray:
        """-d/dr of :meth:`short_range_energy` in eV/A, not truncated."""
        return short_range_force(*self.pair_params(pair), r)

    def coulomb_energy(self, pair: str, r) -> np.ndarray:
        """DSF Coulomb energy of ``pair`` in eV (zero from ``r_cut``)."""
        return dsf_energy(self.pair_qq(pair), r, self.alpha, self.r_cut)

    def coulomb_force(self, pair: str, r) -> np.ndarray:
        """-d/dr of :meth:`coulomb_energy` in eV/A."""
        return dsf_force(self.pair_qq(pair), r, self.alpha, self.r_cut)

    def pair_energy(self, pair: str, r) -> np.ndarray:
        """U_ij(r) in eV as the MD sees it: DSF Coulomb + short range, both zero from ``r_cut``."""
        r = np.asarray(r, dtype=float)
        return np.where(r < self.r_cut, self.short_range_energy(pair, r) + self.coulomb_energy(pair, r), 0.0)

    def pair_force(self, pair: str, r) -> np.ndarray:
        """-dU/dr of :meth:`pair_energy` in eV/A, zero from ``r_cut``."""
        r = np.asarray(r, dtype=float)
        return np.where(r < self.r_cut, self.short_range_force(pair, r) + self.coulomb_force(pair, r), 0.0)


def system_forcefield(forcefield: ForceField) -> SystemForceField:
    """The silica :class:`~silica_explorer.forcefield.ForceField` viewed as a :class:`SystemForceField` of
    :data:`~silica_explorer.systems.description.SIO2` (same values, same name; the ForceField, its JSON and
    its hashes are untouched)."""
    if not isinstance(forcefield, ForceField):
        raise TypeError(f"expected a silica ForceField, got {type(forcefield).__name__}")
    values = forcefield.as_dict()
    name = values.pop("name")
    return SystemForceField(SIO2, values, name)


def silica_forcefield(forcefield: SystemForceField) -> ForceField:
    """The inverse of :func:`system_forcefield`: a SiO2 :class:`SystemForceField` as a silica
    :class:`~silica_explorer.forcefield.ForceField`; SystemDescriptionError for any other system."""
    if forcefield.system != SIO2:
        raise SystemDescriptionError(f"only a {SIO2.name} forcefield is a silica ForceField, got {forcefield.system.name}")
    return ForceField(name=forcefield.name, **forcefield.values)


def as_system_forcefield(forcefield: ForceField | SystemForceField) -> SystemForceField:
    """``forcefield`` as a :class:`SystemForceField`: itself, or a silica ForceField through
    :func:`system_forcefield`."""
    if isinstance(forcefield, SystemForceField):
        return forcefield
    return system_forcefield(forcefield)


def preset_name(preset: str, system: System) -> str:
    """The registry name of ``preset`` for ``system``: ``"<preset>-<system name>"``."""
    return f"{preset}-{system.name}"


#: Every published parameter set by registry name (:func:`preset_name`): silica's catalogue and NS3's.
SYSTEM_PRESETS: dict[str, SystemForceField] = {
    **{preset_name(k, SIO2): system_forcefield(ff) for k, ff in PRESETS.items()},
    **{preset_name(k, NS3): SystemForceField(NS3, v, preset_name(k, NS3)) for k, v in NS3_PRESETS.items()},
}


def system_presets(system: System) -> dict[str, SystemForceField]:
    """The published sets of ``system`` in :data:`SYSTEM_PRESETS`, by registry name (NS3: ``"SHIK-NS3"``,
    ``"Teter-NS3"``; none for a system that has no published set here)."""
    return {k: ff for k, ff in SYSTEM_PRESETS.items() if ff.system == system}


def system_preset(name: str, system: System) -> SystemForceField:
    """A published set of ``system`` by its short name (``"SHIK"``) or registry name (``"SHIK-NS3"``),
    case-insensitive; one SystemDescriptionError naming the system and listing its presets otherwise."""
    available = system_presets(system)
    lookup = {k.lower(): ff for k, ff in available.items()}
    for key in (str(name).lower(), preset_name(str(name), system).lower()):
        if key in lookup:
            return lookup[key]
    raise SystemDescriptionError(
        f"unknown {system.name} preset {name!r}{close_match_hint(preset_name(str(name), system), available)}; "
        f"{system.name} presets: {list(available) or 'none (give a system forcefield JSON file)'}")
