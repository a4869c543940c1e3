"""MD protocols ("fidelities") as data: how big, how long, how often to sample.

A :class:`Fidelity` fully describes one cost evaluation's MD protocol, independent of the engine.
Named presets: ``paper`` (the protocol of Liu et al. 2019: 1000 SiO2, 3600 K, 10 ps relax + 10 ps
averaging, 1 fs), ``quick`` (216 SiO2, 2 + 4 ps, for screening and landscapes) and ``tiny``
(64 SiO2, 0.5 + 0.5 ps, for tests and demos). Every size is at the same density (2.2 g/cm3).

Units: temperature K, times ps, density g/cm3, lengths A.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Mapping

from .constants import cubic_box_length


class FidelityError(ValueError):
    """A protocol field is missing, unknown or outside its allowed range."""


def coerce_min_separation(protocol, kind: str, error: type[FidelityError]) -> None:
    """Store a frozen protocol's ``min_separation`` (SiSi, SiO, OO; A) as a tuple of floats.

    ``kind`` names the protocol in the message ("fidelity", "quench protocol"); raises ``error`` when the
    value is not a sequence of numbers.
    """
    try:
        object.__setattr__(protocol, "min_separation", tuple(float(x) for x in protocol.min_separation))
    except (TypeError, ValueError):
        raise error(f"{kind} {protocol.name!r}: min_separation = {protocol.min_separation!r} must be "
                    "three distances (SiSi, SiO, OO) in A") from None


def min_separation_check(min_separation: tuple) -> tuple[bool, str]:
    """The ``(ok, allowed)`` entry of :func:`check_fields` for ``min_separation``: three distances in [0.5, 3] A."""
    return (len(min_separation) == 3 and all(0.5 <= x <= 3.0 for x in min_separation),
            "three distances (SiSi, SiO, OO) in [0.5, 3] A")


def check_fields(protocol, kind: str, error: type[FidelityError], checks: Mapping[str, tuple[bool, str]]) -> None:
    """Raise ``error`` for the first field of ``checks`` (field -> (ok, allowed)) that is not ok or is a
    non-finite float: "<kind> '<name>': <field> = <value> must be <allowed>"."""
    for field, (ok, allowed) in checks.items():
        value = getattr(protocol, field)
        if isinstance(value, float) and not math.isfinite(value):
            ok = False
        if not ok:
            raise error(f"{kind} {protocol.name!r}: {field} = {value!r} must be {allowed}")


def md_protocol_checks(protocol) -> dict[str, tuple[bool, str]]:
    """The :func:`check_fields` entries of the MD protocol fields every melt fidelity has (silica's
    :class:`Fidelity` and :class:`~silica_explorer.systems.fidelity.SystemFidelity`): ``relax_ps`` through
    ``rdf_dr``, in that order."""
    p = protocol
    return {
        "relax_ps": (p.relax_ps >= 0, ">= 0 ps"),
        "production_ps": (p.production_ps > 0, "> 0 ps"),
        "density": (0.5 <= p.density <= 5.0, "in [0.5, 5] g/cm3"),
        "temperature": (0 < p.temperature <= 20000, "in (0, 20000] K"),
        "timestep": (0 < p.timestep <= 0.005, "in (0, 0.005] ps"),
        "t_damp": (p.t_damp > 0, "> 0 ps"),
        "rdf_every": (p.rdf_every >= 1, "an integer >= 1"),
        "frame_every": (p.frame_every >= 1, "an integer >= 1"),
        "rdf_r_max": (0 < p.rdf_r_max, "> 0 A"),
        "rdf_dr": (0 < p.rdf_dr < p.rdf_r_max, "in (0, rdf_r_max) A"),
    }


def check_sampling(protocol, kind: str, size: str, size_field: str) -> None:
    """FidelityError unless the g(r) grid fits half the box (``size`` says what fills it, ``size_field``
    which field makes it larger), is a whole number of bins, and the production steps are a multiple of
    ``rdf_every``."""
    p = protocol
    if p.rdf_r_max > 0.5 * p.box_length + 1e-9:
        raise FidelityError(
            f"{kind} {p.name!r}: rdf_r_max = {p.rdf_r_max} A exceeds half the box "
            f"({0.5 * p.box_length:.3f} A for {size}); use a larger {size_field} or smaller rdf_r_max")
    if abs(p.rdf_r_max / p.rdf_dr - round(p.rdf_r_max / p.rdf_dr)) > 1e-6:
        raise FidelityError(f"{kind} {p.name!r}: rdf_r_max must be a whole number of rdf_dr bins")
    if p.production_steps % p.rdf_every:
        raise FidelityError(f"{kind} {p.name!r}: production steps ({p.production_steps}) "
                            f"must be a multiple of rdf_every ({p.rdf_every})")


def relax_steps_of(protocol) -> int:
    """MD steps of the protocol's relaxation (``relax_ps`` at ``timestep``, rounded)."""
    return int(round(protocol.relax_ps / protocol.timestep))


def production_steps_of(protocol) -> int:
    """MD steps of the protocol's production (``production_ps`` at ``timestep``, rounded)."""
    return int(round(protocol.production_ps / protocol.timestep))


def total_steps_of(protocol) -> int:
    """MD steps of relaxation and production together."""
    return relax_steps_of(protocol) + production_steps_of(protocol)


def rdf_bins_of(protocol) -> int:
    """Bins of the protocol's g(r) grid (``rdf_r_max / rdf_dr``)."""
    return int(round(protocol.rdf_r_max / protocol.rdf_dr))


def protocol_from_dict(cls, data: Mapping, kind: str, error: type[FidelityError]):
    """``cls(**data)`` for a protocol dataclass; ``error`` naming ``kind`` for unknown fields."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise error(f"unknown {kind} field(s) {sorted(unknown)}; known: {sorted(known)}")
    return cls(**data)


@dataclasses.dataclass(frozen=True)
class Fidelity:
    """One MD protocol for a cost evaluation.

    Attributes (units): ``n_SiO2`` formula units (atoms = 3 n_SiO2); ``density`` g/cm3;
    ``temperature`` K; ``timestep`` ps; ``relax_ps`` and ``production_ps`` ps (NVT, Nose-Hoover with
    damping ``t_damp`` ps); ``rdf_every`` steps between g(r) samples during production;
    ``frame_every`` steps between stored frames (bond angles, cross-checks); ``rdf_r_max`` A and
    ``rdf_dr`` A the histogram grid (bins [k dr, (k+1) dr), reported at bin centres);
    ``min_separation`` (SiSi, SiO, OO) A between atoms of the random start; ``minimize`` whether to minimize the
    random start; ``table_points`` points of the short-range table.
    """

    name: str
    n_SiO2: int
    relax_ps: float
    production_ps: float
    density: float = 2.2
    temperature: float = 3600.0
    timestep: float = 0.001
    t_damp: float = 0.1
    rdf_every: int = 10
    frame_every: int = 200
    rdf_r_max: float = 7.0
    rdf_dr: float = 0.02
    min_separation: tuple = (2.5, 1.5, 2.2)
    minimize: bool = True
    table_points: int = 8000

    def __post_init__(self) -> None:
        coerce_min_separation(self, "fidelity", FidelityError)
        check_fields(self, "fidelity", FidelityError, {
            "n_SiO2": (self.n_SiO2 >= 8, "an integer >= 8"),
            **md_protocol_checks(self),
            "min_separation": min_separation_check(self.min_separation),
            "table_points": (self.table_points >= 1000, "an integer >= 1000"),
        })
        check_sampling(self, "fidelity", f"{self.n_SiO2} SiO2", "n_SiO2")

    # ----------------------------------------------------------------------------- derived
    @property
    def n_atoms(self) -> int:
        return 3 * self.n_SiO2

    @property
    def box_length(self) -> float:
        """Cubic box edge in A at ``density``."""
        return cubic_box_length(self.n_SiO2, self.density)

    relax_steps = property(relax_steps_of)
    production_steps = property(production_steps_of)
    total_steps = property(total_steps_of)
    rdf_bins = property(rdf_bins_of)

    def replace(self, **changes) -> "Fidelity":
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> "Fidelity":
        return protocol_from_dict(cls, data, "fidelity", FidelityError)


FIDELITIES: dict[str, Fidelity] = {
    "tiny": Fidelity(name="tiny", n_SiO2=64, relax_ps=0.5, production_ps=0.5, frame_every=50),
    "quick": Fidelity(name="quick", n_SiO2=216, relax_ps=2.0, production_ps=4.0, frame_every=200),
    "paper": Fidelity(name="paper", n_SiO2=1000, relax_ps=10.0, production_ps=10.0, frame_every=500),
}


def get_fidelity(fidelity: "str | Fidelity | Mapping") -> Fidelity:
    """A :class:`Fidelity` from a preset name, a dict of fields, or a Fidelity (returned as is)."""
    if isinstance(fidelity, Fidelity):
        return fidelity
    if isinstance(fidelity, Mapping):
        return Fidelity.from_dict(fidelity)
    try:
        return FIDELITIES[str(fidelity)]
    except KeyError:
        raise FidelityError(f"unknown fidelity {fidelity!r}; available: {list(FIDELITIES)}") from None
