"""What a LAMMPS melt of any system adds to a silica melt: its start, its types and its outputs' species.

:meth:`LammpsEngine.melt <silica_explorer.engine.lammps.LammpsEngine.melt>` runs a melt of a
:class:`~silica_explorer.systems.forcefield.SystemForceField` under a
:class:`~silica_explorer.systems.fidelity.SystemFidelity` with the deck of a silica melt
(:func:`~silica_explorer.engine.lammps.melt_input`: the table has one section per pair, ``compute rdf``
lists every type pair) and returns the ordinary :class:`~silica_explorer.engine.base.MeltResult` (``pdf``
with every pair of the system and attrs ``n_<symbol>``, ``volume`` A^3 and ``system``; thermo; frames; the
final configuration). This module holds the parts that differ from silica's:

- :func:`check_melt_inputs`: a silica :class:`~silica_explorer.fidelity.Fidelity` goes with a silica
  forcefield, a SystemFidelity with a forcefield of its system (one error naming the mismatch);
- :func:`write_system_start`: ``start.data`` from
  :func:`~silica_explorer.systems.configuration.random_system_configuration` (the fidelity's units, density
  and per-pair separations) or a warm start, with the system's charges and atom types;
- :func:`read_system_outputs`: the g(r), frames and final configuration with the system's species;
- :func:`system_structure_check`: non-finite g(r) fails. Silica's structural collapse check (O around
  Si closer than 1.3 A, :func:`~silica_explorer.engine.acceptance.structure_check`) stays silica's: it is
  applied to melts under a silica Fidelity only.

Units: A, g/cm3, K, ps, eV; g(r) dimensionless.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ..configurations import Configuration, Trajectory, read_lammps_data, read_lammps_dump, write_lammps_data
from ..fidelity import Fidelity
from ..forcefield import ForceField
from ..systems.configuration import random_system_configuration
from ..systems.description import SIO2
from ..systems.fidelity import SystemFidelity
from ..systems.forcefield import SystemForceField
from .base import check_warm_start
from .lammps_process import read_rdf
from .tables import lammps_types


def check_melt_inputs(forcefield: ForceField | SystemForceField, fidelity: Fidelity | SystemFidelity) -> None:
    """TypeError unless ``fidelity`` is a silica Fidelity with a silica forcefield (a ForceField, or a
    SystemForceField of SiO2, as the engine always took) or a SystemFidelity with a SystemForceField of the
    same system (ValueError naming both systems otherwise)."""
    if isinstance(fidelity, SystemFidelity):
        if not isinstance(forcefield, SystemForceField):
            raise TypeError(f"a SystemFidelity ({fidelity.system.name}) needs a SystemForceField, got "
                            f"{type(forcefield).__name__}")
        if forcefield.system != fidelity.system:
            raise ValueError(f"forcefield {forcefield.name!r} is for {forcefield.system.name}, fidelity "
                             f"{fidelity.name!r} for {fidelity.system.name}")
    elif isinstance(fidelity, Fidelity):
        silica = isinstance(forcefield, ForceField) or (isinstance(forcefield, SystemForceField)
                                                        and forcefield.system == SIO2)
        if not silica:
            what = forcefield.system.name if isinstance(forcefield, SystemForceField) else type(forcefield).__name__
            raise TypeError(f"a silica Fidelity needs a silica forcefield, got {what}; melts of other systems "
                            "take a SystemFidelity")
    else:
        raise TypeError(f"fidelity must be a Fidelity or a SystemFidelity, got {type(fidelity).__name__}")


def write_system_start(directory: Path, forcefield: SystemForceField, fidelity: SystemFidelity, seed: int,
                       warm_start: Configuration | None = None) -> None:
    """Write ``start.data``: ``warm_start`` (checked against the fidelity's atoms and box) or a random start
    of the fidelity's units at its density and separations; RuntimeError when it cannot be placed."""
    if warm_start is not None:
        check_warm_start(warm_start, fidelity)
        start = warm_start
    else:
        start = random_system_configuration(fidelity.system, fidelity.n_units, fidelity.density, seed,
                                            fidelity.separations)
    write_lammps_data(start, directory / "start.data", forcefield.charges(), lammps_types(fidelity.system))


def read_system_outputs(rundir: Path, fidelity: SystemFidelity) -> tuple[xr.Dataset, Trajectory, Configuration]:
    """``(pdf, trajectory, final)`` of a finished melt in ``rundir``: g(r) of every pair of the system
    (attrs ``n_<symbol>``, ``volume``, ``system``) and the configurations with the system's species."""
    system = fidelity.system
    species_of_type = {t: s for s, t in lammps_types(system).items()}
    pdf = read_rdf(rundir / "rdf.dat", fidelity, fidelity.atom_counts, fidelity.box_length**3, pairs=system.pairs)
    pdf.attrs["system"] = system.name
    return (pdf, read_lammps_dump(rundir / "frames.dump", species_of_type),
            read_lammps_data(rundir / "final.data", species_of_type))


def system_structure_check(pdf: xr.Dataset) -> tuple[str, str | None]:
    """``(status, reason)`` of a melt of any system from its PDFs: non-finite g(r) fails."""
    if not np.all(np.isfinite(pdf.g.values)):
        return "failed", "nan: non-finite g(r)"
    return "ok", None
