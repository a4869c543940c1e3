"""MD protocols of a melt of any glass system: :class:`SystemFidelity`, the sibling of silica's
:class:`~silica_explorer.fidelity.Fidelity`.

A SystemFidelity says what a melt of a :class:`~silica_explorer.systems.description.System` is: how many
composition units (``n_units``; NS3: 12 atoms each), at which state point (``density`` g/cm3 and
``temperature`` K, both REQUIRED: a system's state point is its reference's to decide, so none is
assumed), with a minimum separation per pair for the random start (defaults
:func:`~silica_explorer.systems.configuration.min_separations`), and the MD protocol fields of a silica
Fidelity (timestep, relax and production lengths, thermostat damping, g(r) grid and sampling, frames,
minimisation, table points), checked by the same rules
(:func:`~silica_explorer.fidelity.md_protocol_checks`, :func:`~silica_explorer.fidelity.check_sampling`).
Silica's fidelities are untouched (their ``as_dict`` and hash, part of the melt cache key, are today's);
:func:`silica_system_fidelity` views one as a SystemFidelity of SiO2 (same size, box, separations and
protocol).

Presets: :func:`system_fidelity` takes a silica preset's protocol (``tiny``, ``quick``, ``paper``) and a
size in composition units, by default :data:`PRESET_UNITS` for NS3 (25, 54, 250 units: 300, 648, 3000
atoms, the smallest that hold the 7 A g(r) grid at NS3 densities for tiny, and silica's atom counts for
quick and paper) and ``n_SiO2`` for silica. The temperature and density are arguments without defaults.

Units: temperature K, times ps, density g/cm3, lengths A.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from ..fidelity import (FIDELITIES, Fidelity, FidelityError, check_fields, check_sampling, md_protocol_checks,
                        production_steps_of, rdf_bins_of, relax_steps_of, total_steps_of)
from .configuration import min_separations
from .description import SIO2, System, SystemDescriptionError, check_keys, system_from_json, system_json

#: Composition units of each silica preset's size by system name (NS3: 300, 648, 3000 atoms).
PRESET_UNITS: dict[str, dict[str, int]] = {"NS3": {"tiny": 25, "quick": 54, "paper": 250}}


@dataclasses.dataclass(frozen=True)
class SystemFidelity:
    """One MD protocol for a melt of ``system``.

    Attributes (units): ``system`` a :class:`System`; ``n_units`` composition units (atoms = n_units x
    atoms per unit); ``density`` g/cm3 and ``temperature`` K (required); ``timestep`` ps; ``relax_ps`` and
    ``production_ps`` ps (NVT, Nose-Hoover with damping ``t_damp`` ps); ``rdf_every`` steps between g(r)
    samples; ``frame_every`` steps between stored frames; ``rdf_r_max`` and ``rdf_dr`` A the g(r) grid;
    ``min_separation`` A by pair for the random start (a mapping overriding the defaults, or None; stored
    resolved for every pair, in pair order); ``minimize`` whether to minimize the start; ``table_points``.
    """

    name: str
    system: System
    n_units: int
    relax_ps: float
    production_ps: float
    density: float
    temperature: float
    timestep: float = 0.001
    t_damp: float = 0.1
    rdf_every: int = 10
    frame_every: int = 200
    rdf_r_max: float = 7.0
    rdf_dr: float = 0.02
    min_separation: Mapping[str, float] | None = None
    minimize: bool = True
    table_points: int = 8000

    def __post_init__(self) -> None:
        if not isinstance(self.system, System):
            raise FidelityError(f"system fidelity {self.name!r}: system must be a System, got {self.system!r}")
        try:
            seps = min_separations(self.system, None if self.min_separation is None else dict(self.min_separation))
        except (SystemDescriptionError, TypeError, ValueError) as exc:
            raise FidelityError(f"system fidelity {self.name!r}: min_separation: {exc}") from None
        object.__setattr__(self, "min_separation", tuple(seps.items()))
        check_fields(self, "system fidelity", FidelityError, {
            "n_units": (isinstance(self.n_units, int) and not isinstance(self.n_units, bool) and self.n_units >= 1,
                        "an integer >= 1"),
            **md_protocol_checks(self),
            "table_points": (self.table_points >= 1000, "an integer >= 1000"),
        })
        check_sampling(self, "system fidelity", f"{self.n_units} {self.system.name} units", "n_units")

    # ----------------------------------------------------------------------------- derived
    @property
    def n_atoms(self) -> int:
        """Atoms in the box."""
        return self.n_units * self.system.atoms_per_unit

    @property
    def atom_counts(self) -> dict[str, int]:
        """Atoms of each species, in species order."""
        return self.system.atom_counts(self.n_units)

    @property
    def box_length(self) -> float:
        """Cubic box edge in A at ``density``."""
        return self.system.box_length(self.n_units, self.density)

    @property
    def separations(self) -> dict[str, float]:
        """Minimum separation (A) of every pair of the random start."""
        return dict(self.min_separation)

    relax_steps = property(relax_steps_of)
    production_steps = property(production_steps_of)
    total_steps = property(total_steps_of)
    rdf_bins = property(rdf_bins_of)

    def as_dict(self) -> dict:
        """The JSON form: every field, the system as :func:`system_json` (a built-in one by name) and
        ``min_separation`` as a mapping by pair."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out.update(system=system_json(self.system), min_separation=self.separations)
        return out

    def replace(self, **changes) -> "SystemFidelity":
        """A validated copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, data: Mapping) -> "SystemFidelity":
        """The inverse of :meth:`as_dict`; FidelityError naming an unknown field."""
        try:
            check_keys(data, [f.name for f in dataclasses.fields(cls)], "system fidelity")
        except SystemDescriptionError as exc:
            raise FidelityError(str(exc)) from None
        if "system" not in data:
            raise FidelityError("system fidelity: missing field 'system'")
        return cls(**{**data, "system": system_from_json(data["system"])})


def system_fidelity(preset: str, system: System, temperature: float, density: float, n_units: int | None = None,
                    **changes) -> SystemFidelity:
    """A :class:`SystemFidelity` of ``system`` with the MD protocol of silica preset ``preset`` (see
    :data:`~silica_explorer.fidelity.FIDELITIES`) at ``temperature`` K and ``density`` g/cm3 (no defaults:
    the state point is the reference's), ``n_units`` composition units (default :data:`PRESET_UNITS`, or the
    preset's ``n_SiO2`` for silica), and any other field changed by ``changes``."""
    if preset not in FIDELITIES:
        raise FidelityError(f"unknown fidelity {preset!r}; available: {list(FIDELITIES)}")
    base = FIDELITIES[preset]
    if n_units is None:
        units = {SIO2.name: {k: f.n_SiO2 for k, f in FIDELITIES.items()}, **PRESET_UNITS}.get(system.name)
        if units is None or preset not in units:
            raise FidelityError(f"no preset size for {system.name} at {preset!r}; pass n_units")
        n_units = units[preset]
    protocol = {k: v for k, v in base.as_dict().items() if k not in ("n_SiO2", "density", "temperature",
                                                                     "min_separation")}
    fields = {**protocol, "name": f"{preset}-{system.name}", "system": system, "n_units": n_units,
              "temperature": temperature, "density": density, **changes}
    return SystemFidelity(**fields)


def silica_system_fidelity(fidelity: Fidelity) -> SystemFidelity:
    """A silica :class:`~silica_explorer.fidelity.Fidelity` viewed as a :class:`SystemFidelity` of SiO2:
    the same name, size (``n_units = n_SiO2``), state point, separations and protocol (the Fidelity is
    untouched)."""
    fields = fidelity.as_dict()
    seps = dict(zip(SIO2.pairs, fields.pop("min_separation")))
    return SystemFidelity(system=SIO2, n_units=fields.pop("n_SiO2"), min_separation=seps, **fields)
