"""Glass-making protocols ("quench protocols") as data: how big, how fast to cool, how long to anneal.

A :class:`QuenchProtocol` fully describes one quench, independent of the engine, the way a
:class:`~silica_explorer.fidelity.Fidelity` describes one melt. Stages, in order:

1. random start at ``density`` (the fitting state point's 2.2 g/cm3) with minimum separations;
2. energy minimisation (``minimize``);
3. NVT liquid at ``T_start`` (3600 K) for ``liquid_ps``;
4. NPT at ``pressure_GPa`` (0 GPa), isotropic: a linear cool from ``T_start`` to ``T_end`` at
   ``rate_K_per_ps``;
5. NPT anneal at ``T_end`` (300 K) for ``anneal_ps``;
6. NPT production at ``T_end`` for ``production_ps``: thermo and frames (every ``frame_every`` steps)
   for the glass's density, energy, pressure and structure.

Named presets (:data:`QUENCH_PROTOCOLS`): ``tiny`` (128 SiO2 at 1000 K/ps, for tests), ``quick`` (216
SiO2 at 100 K/ps), ``slow`` (216 SiO2 at 10 K/ps) and ``paper`` (1000 SiO2 at 10 K/ps, the melt
protocol's size). The glass density depends on the rate (Vollmayr, Kob & Binder, PRB 54, 15808 (1996)):
always report the rate with it.

The start box must hold two cutoffs (:data:`CUTOFF` = 8 A, every preset's): the smallest such system at
2.2 g/cm3 is 91 SiO2, which is why ``tiny`` has 128 SiO2 and not the melt preset's 64.

Units: temperature K, times ps, rates K/ps, pressure GPa, density g/cm3, lengths A.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Mapping

from .constants import cubic_box_length
from .fidelity import (FidelityError, check_fields, coerce_min_separation, min_separation_check,
                       protocol_from_dict)

#: The Eq. (1) cutoff (A) of every preset; the start box must be at least two of these wide.
CUTOFF = 8.0


class QuenchProtocolError(FidelityError):
    """A quench protocol field is missing, unknown or outside its allowed range (the message names it)."""


@dataclasses.dataclass(frozen=True)
class QuenchProtocol:
    """One glass-making protocol (see the module docstring for its stages).

    Attributes (units): ``name``; ``n_SiO2`` formula units (atoms = 3 n_SiO2); ``rate_K_per_ps`` cooling
    rate K/ps; ``T_start`` K (liquid and start of the cool); ``T_end`` K (end of the cool, anneal and
    production); ``density`` g/cm3 of the start and of the NVT liquid; ``pressure_GPa`` GPa of the NPT
    stages; ``liquid_ps``, ``anneal_ps``, ``production_ps`` ps; ``timestep`` ps; ``t_damp`` ps (Nose-Hoover
    thermostat); ``p_damp`` ps (barostat); ``thermo_every`` steps between thermo samples (T, P, density,
    energy); ``frame_every`` production steps between stored frames; ``min_separation`` (SiSi, SiO, OO) A
    of the random start; ``minimize`` whether to minimise the start; ``table_points`` points of the pair
    table.
    """

    name: str
    n_SiO2: int
    rate_K_per_ps: float
    liquid_ps: float
    anneal_ps: float
    production_ps: float
    T_start: float = 3600.0
    T_end: float = 300.0
    density: float = 2.2
    pressure_GPa: float = 0.0
    timestep: float = 0.001
    t_damp: float = 0.1
    p_damp: float = 1.0
    thermo_every: int = 100
    frame_every: int = 500
    min_separation: tuple = (2.5, 1.5, 2.2)
    minimize: bool = True
    table_points: int = 8000

    def __post_init__(self) -> None:
        coerce_min_separation(self, "quench protocol", QuenchProtocolError)
        check_fields(self, "quench protocol", QuenchProtocolError, {
            "n_SiO2": (isinstance(self.n_SiO2, int) and self.n_SiO2 >= 8, "an integer >= 8"),
            "rate_K_per_ps": (self.rate_K_per_ps > 0, "> 0 K/ps"),
            "liquid_ps": (self.liquid_ps >= 0, ">= 0 ps"),
            "anneal_ps": (self.anneal_ps >= 0, ">= 0 ps"),
            "production_ps": (self.production_ps > 0, "> 0 ps"),
            "T_start": (0 < self.T_start <= 20000, "in (0, 20000] K"),
            "T_end": (0 < self.T_end < self.T_start, f"in (0, T_start = {self.T_start}) K"),
            "density": (0.5 <= self.density <= 5.0, "in [0.5, 5] g/cm3"),
            "pressure_GPa": (-10.0 <= self.pressure_GPa <= 100.0, "in [-10, 100] GPa"),
            "timestep": (0 < self.timestep <= 0.005, "in (0, 0.005] ps"),
            "t_damp": (self.t_damp > 0, "> 0 ps"),
            "p_damp": (self.p_damp > 0, "> 0 ps"),
            "thermo_every": (isinstance(self.thermo_every, int) and self.thermo_every >= 1, "an integer >= 1 (steps)"),
            "frame_every": (isinstance(self.frame_every, int) and self.frame_every >= 1, "an integer >= 1 (steps)"),
            "min_separation": min_separation_check(self.min_separation),
            "table_points": (isinstance(self.table_points, int) and self.table_points >= 1000, "an integer >= 1000"),
        })
        if self.box_length < 2 * CUTOFF:
            volume_per_SiO2 = cubic_box_length(1, self.density) ** 3
            n_min = math.ceil((2 * CUTOFF) ** 3 / volume_per_SiO2)
            raise QuenchProtocolError(
                f"quench protocol {self.name!r}: n_SiO2 = {self.n_SiO2} gives a {self.box_length:.2f} A box at "
                f"{self.density} g/cm3, smaller than 2 cutoffs ({2 * CUTOFF:g} A); use n_SiO2 >= {n_min}")
        if self.production_steps < 1:
            raise QuenchProtocolError(f"quench protocol {self.name!r}: production_ps = {self.production_ps} ps "
                                      f"is less than one timestep ({self.timestep} ps)")
        if self.production_steps % self.frame_every:
            raise QuenchProtocolError(f"quench protocol {self.name!r}: frame_every = {self.frame_every} must divide "
                                      f"the production steps ({self.production_steps})")

    # ----------------------------------------------------------------------------- derived
    @property
    def n_atoms(self) -> int:
        return 3 * self.n_SiO2

    @property
    def box_length(self) -> float:
        """Cubic start box edge in A at ``density``."""
        return cubic_box_length(self.n_SiO2, self.density)

    @property
    def cool_ps(self) -> float:
        """Duration of the linear cool in ps: (T_start - T_end) / rate."""
        return (self.T_start - self.T_end) / self.rate_K_per_ps

    def _steps(self, ps: float) -> int:
        return int(round(ps / self.timestep))

    liquid_steps = property(lambda self: self._steps(self.liquid_ps), doc="MD steps of the NVT liquid (int).")
    cool_steps = property(lambda self: self._steps(self.cool_ps), doc="MD steps of the linear cool (int).")
    anneal_steps = property(lambda self: self._steps(self.anneal_ps), doc="MD steps of the anneal (int).")
    production_steps = property(lambda self: self._steps(self.production_ps), doc="MD steps of production (int).")

    @property
    def total_steps(self) -> int:
        return self.liquid_steps + self.cool_steps + self.anneal_steps + self.production_steps

    def stage_steps(self) -> dict[str, int]:
        """MD steps of each timed stage, in order: ``liquid``, ``cool``, ``anneal``, ``production``."""
        return {"liquid": self.liquid_steps, "cool": self.cool_steps, "anneal": self.anneal_steps,
                "production": self.production_steps}

    def stage_start_ps(self) -> dict[str, float]:
        """Time (ps) at which each timed stage starts, counted from the start of the NVT liquid."""
        out, t = {}, 0.0
        for stage, steps in self.stage_steps().items():
            out[stage] = t
            t += steps * self.timestep
        return out

    def replace(self, **changes) -> "QuenchProtocol":
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> "QuenchProtocol":
        return protocol_from_dict(cls, data, "quench protocol", QuenchProtocolError)


QUENCH_PROTOCOLS: dict[str, QuenchProtocol] = {
    "tiny": QuenchProtocol(name="tiny", n_SiO2=128, rate_K_per_ps=1000.0, liquid_ps=0.5, anneal_ps=0.5,
                           production_ps=0.5, frame_every=100),
    "quick": QuenchProtocol(name="quick", n_SiO2=216, rate_K_per_ps=100.0, liquid_ps=4.0, anneal_ps=5.0,
                            production_ps=10.0, frame_every=500),
    "slow": QuenchProtocol(name="slow", n_SiO2=216, rate_K_per_ps=10.0, liquid_ps=4.0, anneal_ps=5.0,
                           production_ps=10.0, frame_every=500),
    "paper": QuenchProtocol(name="paper", n_SiO2=1000, rate_K_per_ps=10.0, liquid_ps=10.0, anneal_ps=20.0,
                            production_ps=20.0, frame_every=1000),
}


def get_quench_protocol(protocol: "str | QuenchProtocol | Mapping") -> QuenchProtocol:
    """A :class:`QuenchProtocol` from a preset name, a dict of fields, or a QuenchProtocol (returned as is)."""
    if isinstance(protocol, QuenchProtocol):
        return protocol
    if isinstance(protocol, Mapping):
        return QuenchProtocol.from_dict(protocol)
    try:
        return QUENCH_PROTOCOLS[str(protocol)]
    except KeyError:
        raise QuenchProtocolError(f"unknown quench protocol {protocol!r}; available: {list(QUENCH_PROTOCOLS)}") from None
