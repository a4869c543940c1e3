"""The MD engine interface: ``melt(forcefield, fidelity, seed) -> MeltResult`` and, for engines that make
glasses, ``quench(forcefield, protocol, seed) -> QuenchResult``.

:class:`Engine` is what the rest of silica-explorer needs from an MD engine; :class:`MeltResult` is the
outcome of one melt (status, partial g(r), thermo, final configuration). :class:`QuenchEngine` and
:class:`QuenchResult` are the same for a quench (:mod:`silica_explorer.quench`).
:func:`check_warm_start` is the warm-start check every engine runs.

Units: lengths in A, temperature K, energies eV, pressure bar, wall times s (a QuenchResult's thermo: pressure GPa,
density g/cm3, potential energy eV/atom, time ps).
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Protocol, runtime_checkable

import numpy as np
import xarray as xr

from ..configurations import Configuration, Trajectory
from ..fidelity import Fidelity
from ..forcefield import ForceField
from ..quench import QuenchProtocol
from ..systems.fidelity import SystemFidelity
from ..systems.forcefield import SystemForceField

#: ``progress(done_steps, total_steps, phase)`` called from the engine while it runs.
ProgressCallback = Callable[[int, int, str], None]


def run_provenance(result: "MeltResult | QuenchResult") -> dict:
    """The provenance every run result records first, in this order: ``status``, ``reason``, ``seed``,
    ``engine``, ``engine_version``, ``wall_time_s`` (s, 3 decimals), ``md_steps_per_s`` (2 decimals or None)."""
    return {
        "status": result.status,
        "reason": result.reason,
        "seed": int(result.seed),
        "engine": result.engine,
        "engine_version": result.engine_version,
        "wall_time_s": round(float(result.wall_time_s), 3),
        "md_steps_per_s": None if result.md_steps_per_s is None else round(float(result.md_steps_per_s), 2),
    }


@dataclasses.dataclass
class MeltResult:
    """Outcome of one melt.

    ``status`` is ``"ok"`` or ``"failed"`` (then ``reason`` says why). ``forcefield`` and ``fidelity``: a
    silica ForceField and Fidelity, or a melt of any system's SystemForceField and SystemFidelity
    (:mod:`silica_explorer.engine.lammps_system`). ``pdf``: partial g(r) of every pair as an
    xarray Dataset (see :mod:`silica_explorer.structure`); ``trajectory``: stored production frames;
    ``final``: last configuration with velocities (for warm starts); ``thermo``: Dataset over ``sample`` (coords ``step``, ``phase``)
    with temperature (K), potential energy (eV), pressure (bar); ``wall_time_s``: seconds of the whole
    run; ``md_steps_per_s``: steps per second of the NVT part as the engine timed it; ``thermo_means``: the
    production means of :meth:`record` (``mean_temperature_K``, ``mean_pressure_bar``,
    ``mean_potential_energy_eV``) where the full ``thermo`` is not kept (a melt-cache hit).
    """

    status: str
    reason: str | None
    forcefield: ForceField | SystemForceField
    fidelity: Fidelity | SystemFidelity
    seed: int
    engine: str
    engine_version: str
    wall_time_s: float
    pdf: xr.Dataset | None = None
    trajectory: Trajectory | None = None
    final: Configuration | None = None
    thermo: xr.Dataset | None = None
    md_steps_per_s: float | None = None
    workdir: str | None = None
    warm_start: bool = False
    engine_options: dict | None = None
    thermo_means: dict | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def production_means(self) -> dict:
        """Means over the production thermo samples: ``mean_temperature_K`` (K), ``mean_pressure_bar`` (bar)
        and ``mean_potential_energy_eV`` (eV, the whole system); from ``thermo`` or, for a cache hit,
        ``thermo_means``; empty when neither holds production samples."""
        if self.thermo is not None and self.thermo.sizes.get("sample", 0):
            prod = self.thermo.isel(sample=self.thermo.phase.values == "production")
            if prod.sizes["sample"]:
                return {"mean_temperature_K": float(prod.temperature.mean()),
                        "mean_pressure_bar": float(prod.pressure.mean()),
                        "mean_potential_energy_eV": float(prod.potential_energy.mean())}
            return {}
        return dict(self.thermo_means or {})

    def mean_pressure_GPa(self) -> float:
        """Mean production pressure (GPa) of the liquid at the fidelity's state point (for the project's
        fidelities 3600 K and 2.2 g/cm3); NaN for a failed melt or one without production thermo."""
        bar = self.production_means().get("mean_pressure_bar") if self.ok else None
        return float("nan") if bar is None else float(bar) * 1e-4

    def record(self) -> dict:
        """JSON-able provenance of this run."""
        rec = {
            **run_provenance(self),
            "warm_start": self.warm_start,
            "engine_options": self.engine_options,
            "forcefield": self.forcefield.as_dict(),
            "fidelity": self.fidelity.as_dict(),
        }
        rec.update(self.production_means())
        return rec


@runtime_checkable
class Engine(Protocol):
    """What the rest of silica-explorer needs from an MD engine."""

    name: str

    def version(self) -> str:
        """Engine name and version string, recorded with every evaluation."""

    def melt(self, forcefield: ForceField, fidelity: Fidelity, seed: int,
             warm_start: Configuration | None = None,
             progress: ProgressCallback | None = None) -> MeltResult:
        """Run one melt; never raises for a physically failed run."""


def check_warm_start(warm_start: Configuration, fidelity: Fidelity) -> None:
    """ValueError unless ``warm_start`` has the fidelity's number of atoms and box (every engine's check)."""
    if warm_start.n_atoms != fidelity.n_atoms:
        raise ValueError(f"warm_start has {warm_start.n_atoms} atoms, fidelity "
                         f"{fidelity.name!r} needs {fidelity.n_atoms}")
    if not np.allclose(warm_start.box, fidelity.box_length, rtol=1e-6):
        raise ValueError(f"warm_start box {warm_start.box} differs from fidelity box {fidelity.box_length:.6f} A")


@dataclasses.dataclass
class QuenchResult:
    """Outcome of one quench (a :class:`~silica_explorer.quench.QuenchProtocol` run by an engine).

    ``status`` is ``"ok"`` or ``"failed"`` (then ``reason`` says why: collapse, explosion, lost atoms, a
    blown-up box, non-finite values, timeout). ``thermo``: Dataset over ``time`` (ps from the start of the
    NVT liquid; coords ``step`` within the stage and ``stage``) with ``temperature`` (K), ``pressure`` (GPa),
    ``density`` (g/cm3), ``potential_energy`` (eV/atom) and ``volume`` (A^3), built by
    :func:`silica_explorer.engine.quench_checks.quench_thermo_dataset`. ``frames``: production
    configurations at ``T_end``, each with its own box (A); ``frame_times_ps`` their times (ps, as
    ``thermo.time``). ``wall_time_s``: seconds of the whole run.
    """

    status: str
    reason: str | None
    forcefield: ForceField
    protocol: QuenchProtocol
    seed: int
    engine: str
    engine_version: str
    wall_time_s: float
    thermo: xr.Dataset | None = None
    frames: list[Configuration] | None = None
    frame_times_ps: np.ndarray | None = None
    md_steps_per_s: float | None = None
    engine_options: dict | None = None
    workdir: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def record(self) -> dict:
        """JSON-able provenance of this quench."""
        return {
            **run_provenance(self),
            "engine_options": self.engine_options,
            "forcefield": self.forcefield.as_dict(),
            "protocol": self.protocol.as_dict(),
        }


@runtime_checkable
class QuenchEngine(Protocol):
    """An MD engine that can also make a glass (LAMMPS and HOOMD do); separate from :class:`Engine` so
    melt-only engines (stand-ins, the melt cache) stay engines."""

    name: str

    def version(self) -> str:
        """Engine name and version string, recorded with every quench."""

    def quench(self, forcefield: ForceField, protocol: QuenchProtocol, seed: int,
               progress: ProgressCallback | None = None) -> QuenchResult:
        """Run one quench; never raises for a physically failed run (it is a failed result)."""
