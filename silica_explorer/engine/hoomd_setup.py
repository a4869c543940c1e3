"""HOOMD-blue set-up shared by the melt (:mod:`.hoomd`) and quench (:mod:`.hoomd_quench`) runs: importing
HOOMD with a clear error (:func:`import_hoomd`), choosing the device, the pair tables of Eq. (1) + DSF
(:func:`pair_tables`), the neighbour-list buffer a box allows (:func:`neighbor_buffer_for`), FIRE
minimisation of a random start (:func:`fire_minimize`), HOOMD's units
(:data:`TIME_UNIT_PS`, :data:`EV_PER_A3_IN_BAR`), MD in chunks (:func:`run_chunks`), periodic Python callbacks (:func:`add_periodic_writer`) and the
failure reason of a HOOMD exception (:func:`classify_hoomd_error`).

Units inside HOOMD: eV, A, amu, so the time unit is A sqrt(amu/eV) = 10.1805 fs.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Iterator

import numpy as np

from ..constants import AVOGADRO, MASS_SIO2
from ..forcefield import ForceField
from ..systems.forcefield import SystemForceField, as_system_forcefield
from .tables import TABLE_R_INNER, table_values

#: Boltzmann constant in eV/K.
K_B = 8.617333262e-5
#: HOOMD time unit with eV, A and amu, in ps: 1e-10 m * sqrt(amu / eV) = 10.1805 fs.
TIME_UNIT_PS = 1e12 * 1e-10 * math.sqrt(1.66053906660e-27 / 1.602176634e-19)
#: eV/A^3 in bar.
EV_PER_A3_IN_BAR = 1.602176634e6
#: Shortest tabulated distance (A): that of the LAMMPS one-table deck.
TABLE_R_MIN = TABLE_R_INNER
#: FIRE: at most this many steps (LAMMPS: ``minimize 1.0e-6 1.0e-8 1000 10000``), and its tolerances.
FIRE_MAX_STEPS = 1000
FIRE_ENERGY_TOL = 1e-5  # eV per atom between steps
FIRE_FORCE_TOL = 1e-2  # eV/A, rms per degree of freedom
#: Steps per ``Simulation.run`` call of the melt and the quench; checks, progress and the time limit apply
#: between chunks (:func:`run_chunks`).
CHUNK_STEPS = 250
DEVICES = ("auto", "cpu", "gpu")
HOW_TO_GET = ("install it from conda-forge ('conda install -c conda-forge hoomd', see environment.yml; GPU builds) "
              "or build the CPU package from source with scripts/build_hoomd.sh SRC_DIR_OR_TARBALL")


class HoomdUnavailable(ValueError):
    """HOOMD-blue cannot be used here: not importable, too old, or the requested device is missing."""


def import_hoomd():
    """The ``hoomd`` module, or HoomdUnavailable with a one-line reason and how to get it."""
    try:
        import hoomd
        import hoomd.md  # noqa: F401
    except ImportError as exc:
        raise HoomdUnavailable(f"engine 'hoomd' needs HOOMD-blue >= 4, which is not importable ({exc}); "
                               f"{HOW_TO_GET}") from None
    version = str(hoomd.version.version)
    try:
        major = int(version.split(".")[0])
    except ValueError:
        major = 0
    if major < 4:
        raise HoomdUnavailable(f"engine 'hoomd' needs HOOMD-blue >= 4, found {version} at {hoomd.__file__}; {HOW_TO_GET}")
    return hoomd


def resolve_device(device: str) -> str:
    """``"cpu"`` or ``"gpu"`` for a requested ``device`` in :data:`DEVICES`."""
    if device not in DEVICES:
        raise HoomdUnavailable(f"device = {device!r} must be one of {list(DEVICES)}")
    hoomd = import_hoomd()
    gpus = list(hoomd.device.GPU.get_available_devices()) if hoomd.version.gpu_enabled else []
    if device == "gpu" and not gpus:
        why = "has no GPU support" if not hoomd.version.gpu_enabled else "found no usable GPU"
        raise HoomdUnavailable(f"device = 'gpu' requested, but HOOMD-blue {hoomd.version.version} {why}; "
                               "use device='cpu' or 'auto' (a GPU build comes from conda-forge)")
    if device == "auto":
        return "gpu" if gpus else "cpu"
    return device


def pair_tables(forcefield: ForceField | SystemForceField, n_points: int,
                r_min: float = TABLE_R_MIN) -> dict[str, dict]:
    """``hoomd.md.pair.Table`` parameters of each pair of the forcefield's system (silica: SiSi, SiO, OO):
    Eq. (1) with DSF Coulomb in one table.

    Values from :func:`~silica_explorer.engine.tables.table_values` (the LAMMPS one-table deck's).
    HOOMD's table points are ``linspace(r_min, r_cut, N, endpoint=False)`` and interpolate linearly to
    zero at r_cut; with N = ``n_points - 1`` they are exactly the points of LAMMPS's ``n_points`` table
    from ``r_min`` to ``r_cut``. Values in eV and eV/A (force = -dU/dr).
    """
    if not 0.0 < r_min < forcefield.r_cut:
        raise ValueError(f"r_min = {r_min} must be in (0, r_cut={forcefield.r_cut}) A")
    r = np.linspace(r_min, forcefield.r_cut, n_points)[:-1]
    out = {}
    for pair in as_system_forcefield(forcefield).system.pairs:
        u, f = table_values(forcefield, pair, r, deck="one-table")
        out[pair] = {"r_min": float(r_min), "U": u, "F": f}
    return out


def neighbor_buffer_for(box_length: float, r_cut: float, requested: float) -> float:
    """The neighbour-list buffer (A) HOOMD can use in a cubic box: at most 95% of the room left between
    r_cut and half the box. Raises ValueError when the box is narrower than 2 r_cut."""
    room = 0.5 * box_length - r_cut
    if room <= 0.02:
        volume_per_SiO2 = MASS_SIO2 / AVOGADRO / 2.2 * 1e24  # A^3 at 2.2 g/cm3
        n_min = math.ceil((2 * r_cut + 0.1) ** 3 / volume_per_SiO2)
        raise ValueError(f"engine 'hoomd' needs a box wider than 2 r_cut + 0.04 A = {2 * r_cut + 0.04:.2f} A "
                         f"(minimum image); this one is {box_length:.3f} A. Use n_SiO2 >= {n_min} at 2.2 g/cm3 "
                         "(e.g. fidelity 'quick'), or the LAMMPS engine")
    return float(min(requested, 0.95 * room))


def classify_hoomd_error(exc: Exception) -> str:
    """Failure reason of a HOOMD exception: ``lost atoms``, ``nan`` or ``engine error`` with its type."""
    text = " ".join(str(exc).split())
    low = text.lower()
    if "no longer in the simulation box" in low:
        return f"lost atoms: {text}"
    if "nan" in low.split() or "has nan" in low:
        return f"nan: {text}"
    return f"engine error: {type(exc).__name__}: {text}"


def fire_minimize(sim, table, timestep_ps: float, check: Callable[[], str | None]) -> str | None:
    """Minimise ``sim`` with FIRE on the pair ``table`` (at most :data:`FIRE_MAX_STEPS` steps, in chunks of
    100 with ``check()`` after each; LAMMPS: ``minimize 1.0e-6 1.0e-8 1000 10000``), then detach the
    minimiser. Returns the first reason ``check`` gives, or None."""
    hoomd = import_hoomd()
    fire = hoomd.md.minimize.FIRE(dt=timestep_ps / TIME_UNIT_PS, force_tol=FIRE_FORCE_TOL, angmom_tol=1.0,
                                  energy_tol=FIRE_ENERGY_TOL, forces=[table],
                                  methods=[hoomd.md.methods.ConstantVolume(filter=hoomd.filter.All())])
    sim.operations.integrator = fire
    done = 0
    while done < FIRE_MAX_STEPS and not fire.converged:
        n = min(100, FIRE_MAX_STEPS - done)
        sim.run(n)
        done += n
        reason = check()
        if reason:
            return reason
    fire.forces.clear()
    sim.operations.integrator = None
    return None


def add_periodic_writer(hoomd, sim, fn: Callable[[int], None], every: int, pressure: bool = False) -> None:
    """Call ``fn(timestep)`` every ``every`` steps of ``sim``, counted from its current step (a HOOMD
    ``CustomWriter``); ``pressure`` asks HOOMD for the pressure tensor at those steps (thermo rows)."""

    class _Call(hoomd.custom.Action):
        flags = [hoomd.custom.Action.Flags.PRESSURE_TENSOR] if pressure else []

        def act(self, timestep):
            fn(timestep)

    trigger = hoomd.trigger.Periodic(period=int(every), phase=int(sim.timestep % every))
    sim.operations.writers.append(hoomd.write.CustomWriter(action=_Call(), trigger=trigger))


def run_chunks(sim, steps: int) -> Iterator[tuple[int, float, int]]:
    """Run ``steps`` MD steps of ``sim`` in chunks of at most :data:`CHUNK_STEPS`, yielding after each chunk
    ``(n, seconds, done)``: its steps, the wall seconds of its ``sim.run`` and the steps done so far. The
    caller checks between chunks and stops the run by leaving the loop."""
    done = 0
    while done < steps:
        n = min(CHUNK_STEPS, steps - done)
        t = time.perf_counter()
        sim.run(n)
        seconds = time.perf_counter() - t
        done += n
        yield n, seconds, done
