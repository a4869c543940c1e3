"""NVT melts of any glass system with the LAMMPS engine: the silica melt deck, run on a random start of
``n_units`` composition units of the forcefield's system, with the partial g(r) of every pair.

:func:`melt_system` writes the deck with :func:`write_system_melt_deck` (``start.data`` from
:func:`~silica_explorer.systems.configuration.random_system_configuration` with the system's atom types,
``ff.table`` with one section per pair, ``in.melt`` from :func:`~silica_explorer.engine.lammps.melt_input`,
whose ``compute rdf`` lists every type pair) and runs it with a :class:`~silica_explorer.engine.lammps.LammpsEngine`'s
command, threads and time limit. The fidelity gives the MD protocol (temperature, timestep, relax and
production lengths, g(r) grid and sampling, frames, minimisation, table points); the system, ``n_units``,
``density`` and ``min_separation`` replace its silica size, density and separations.

Checks: how LAMMPS stopped and the thermo windows, as for silica melts
(:func:`~silica_explorer.engine.lammps_process.lammps_error_reason`,
:func:`~silica_explorer.engine.acceptance.thermo_failure`). Silica's structural collapse check (O around
Si closer than 1.3 A) is not applied: it is silica's.

Units: A, g/cm3, K, ps, eV; g(r) dimensionless.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from pathlib import Path
from typing import Mapping

import xarray as xr

from ..configurations import Configuration, Trajectory, read_lammps_data, read_lammps_dump, write_lammps_data
from ..fidelity import Fidelity
from ..systems.configuration import random_system_configuration
from ..systems.forcefield import SystemForceField
from .acceptance import thermo_dataset, thermo_failure
from .lammps import LammpsEngine, melt_input, read_rdf
from .lammps_process import lammps_error_reason, parse_log, run_lammps
from .tables import check_deck, lammps_types, table_r_inner, write_lammps_table


@dataclasses.dataclass
class SystemMeltResult:
    """Outcome of one melt of a system: ``status`` ``"ok"`` or ``"failed"`` (``reason`` says why), the
    inputs, ``pdf`` (g over ``pair`` = the system's pairs and ``r`` in A; attrs ``n_<symbol>``, ``volume``
    A^3), ``trajectory`` (production frames), ``final`` (last configuration), ``thermo`` and ``wall_time_s``."""

    status: str
    reason: str | None
    forcefield: SystemForceField
    fidelity: Fidelity
    seed: int
    n_units: int
    density: float
    wall_time_s: float
    pdf: xr.Dataset | None = None
    trajectory: Trajectory | None = None
    final: Configuration | None = None
    thermo: xr.Dataset | None = None

    @property
    def ok(self) -> bool:
        """Whether the melt succeeded."""
        return self.status == "ok"


def write_system_melt_deck(directory: Path, forcefield: SystemForceField, fidelity: Fidelity, seed: int,
                           n_units: int, density: float, min_separation: Mapping[str, float] | float | None = None,
                           neighbor_skin: float = 1.0, deck: str = "one-table") -> Path:
    """Write the melt deck of ``n_units`` composition units of ``forcefield.system`` at ``density`` g/cm3
    into ``directory``; returns the input script path. ValueError when the fidelity's ``rdf_r_max``
    exceeds half the box; RuntimeError when the random start cannot be built."""
    system = forcefield.system
    box = system.box_length(n_units, density)
    if fidelity.rdf_r_max > 0.5 * box + 1e-9:
        raise ValueError(f"rdf_r_max = {fidelity.rdf_r_max} A exceeds half the box ({0.5 * box:.3f} A for "
                         f"{n_units} {system.name} units at {density} g/cm3); use more units")
    directory.mkdir(parents=True, exist_ok=True)
    start = random_system_configuration(system, n_units, density, seed, min_separation)
    write_lammps_data(start, directory / "start.data", forcefield.charges(), lammps_types(system))
    write_lammps_table(forcefield, directory / "ff.table", fidelity.table_points, deck=check_deck(deck))
    script = directory / "in.melt"
    script.write_text(melt_input(forcefield, fidelity, seed, warm=False, neighbor_skin=neighbor_skin, deck=deck))
    return script


def melt_system(engine: LammpsEngine, forcefield: SystemForceField, fidelity: Fidelity, seed: int, n_units: int,
                density: float, min_separation: Mapping[str, float] | float | None = None) -> SystemMeltResult:
    """One NVT melt of ``forcefield``'s system with ``engine`` (its deck, threads, skin, time limit); a
    failure is a failed result with its reason, never an exception."""
    t0 = time.perf_counter()
    system = forcefield.system
    base = dict(forcefield=forcefield, fidelity=fidelity, seed=int(seed), n_units=int(n_units),
                density=float(density))
    parent = engine.workdir
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    rundir = Path(tempfile.mkdtemp(prefix="melt-", dir=parent))
    try:
        try:
            write_system_melt_deck(rundir, forcefield, fidelity, seed, n_units, density, min_separation,
                                   engine.neighbor_skin, engine.deck)
        except RuntimeError as exc:
            return SystemMeltResult(status="failed", reason=f"setup: {exc}", wall_time_s=time.perf_counter() - t0,
                                    **base)
        rc, timed_out = run_lammps(engine.command(), rundir, engine.environment(), engine.timeout_s, lambda: None)
        log = (rundir / "log.lammps").read_text() if (rundir / "log.lammps").exists() else ""
        rows, error = parse_log(log)
        thermo = thermo_dataset(rows)
        err_file = rundir / "stderr.txt"
        stderr_tail = err_file.read_text(errors="replace").strip()[-300:] if err_file.exists() else ""
        reason = (lammps_error_reason(rc, timed_out, error, engine.timeout_s, stderr_tail, table_r_inner(engine.deck),
                                      what="melt") or thermo_failure(thermo, fidelity))
        if reason is not None:
            return SystemMeltResult(status="failed", reason=reason, thermo=thermo,
                                    wall_time_s=time.perf_counter() - t0, **base)
        species_of_type = {t: s for s, t in lammps_types(system).items()}
        box = system.box_length(n_units, density)
        pdf = read_rdf(rundir / "rdf.dat", fidelity, system.atom_counts(n_units), box**3, pairs=system.pairs)
        pdf.attrs["system"] = system.name
        return SystemMeltResult(status="ok", reason=None, pdf=pdf,
                                trajectory=read_lammps_dump(rundir / "frames.dump", species_of_type),
                                final=read_lammps_data(rundir / "final.data", species_of_type), thermo=thermo,
                                wall_time_s=time.perf_counter() - t0, **base)
    finally:
        if not engine.keep_files:
            shutil.rmtree(rundir, ignore_errors=True)
