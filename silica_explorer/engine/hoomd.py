"""HOOMD-blue implementation of the engine interface (same protocol, results and failures as LAMMPS).

The melt protocol is the LAMMPS engine's: the same random start (:func:`~silica_explorer.configurations.random_configuration`),
energy minimisation (here FIRE, at most 1000 steps like LAMMPS's ``minimize ... 1000``), velocities drawn at the
target temperature with zero total momentum, NVT relax and production with a Nose-Hoover thermostat
(``hoomd.md.methods.thermostats.MTTK``, ``tau = t_damp``; LAMMPS ``fix nvt`` uses a chain of 3, HOOMD one
thermostat with the same mass Q = N_f kT tau^2), partial g(r) on the same bins and the same samples (every
``rdf_every`` production steps, steps > 0), frames every ``frame_every`` steps (step 0 included, as LAMMPS's dump).
g(r) is histogrammed in Python with :func:`~silica_explorer.structure.partial_pdfs` (cKDTree) on each sample;
that time is excluded from ``md_steps_per_s``.

Forcefield: the whole of Eq. (1), DSF Coulomb included, in one ``hoomd.md.pair.Table`` per type pair
(:func:`pair_tables`): the same values at the same points as the LAMMPS one-table deck
(:func:`~silica_explorer.engine.tables.table_values`, capped 50 eV wall, from 0.5 A). HOOMD's
table is zero below its ``r_min``, where LAMMPS stops with an error; such a pair is detected at every
chunk end and on every g(r) sample and fails the run ("overlap"). Energies have no DSF self term, like
the one-table deck (the hybrid deck's ``coul/dsf`` adds a constant one; forces agree). After the run,
the checks shared with LAMMPS (:mod:`silica_explorer.engine.acceptance`) decide failed / flagged / ok.

Units inside HOOMD: eV, A, amu, so the time unit is A sqrt(amu/eV) = 10.1805 fs; results are converted
to the project's units (ps, A/ps, K, bar). HOOMD's neighbour list needs a box wider than
2 (r_cut + buffer): the buffer is shrunk to fit where needed, and a box
narrower than 2 r_cut (the tiny preset, 14.3 A) is refused with a clear error; LAMMPS handles it with
multiple images.

HOOMD runs in this process: the MD advances in chunks of :data:`CHUNK_STEPS` steps, between which the
wall-clock limit, progress and the NaN/overlap checks are applied. Device: ``"auto"`` takes a GPU when
this HOOMD build has GPU support and a GPU exists, else the CPU; the choice is in ``version()`` and in
``engine_options``. CPU builds without TBB (the one ``scripts/build_hoomd.sh`` makes) use one thread.
"""

from __future__ import annotations

import math
import time

import numpy as np
import xarray as xr

from ..configurations import RANDOM_START_VERSION, Configuration, Trajectory, random_configuration
from ..constants import MASS
from ..fidelity import Fidelity
from ..forcefield import ForceField
from ..quench import QuenchProtocol
from ..parameters import PAIR_SPECIES
from .acceptance import (CLOSE_CONTACT_DISTANCE, COLLAPSE_CONTACTS_PER_SI, check_collapse_policy, structure_check,
                         thermo_dataset, thermo_failure)
from .base import MeltResult, ProgressCallback, QuenchResult, check_warm_start
from .hoomd_setup import (CHUNK_STEPS, DEVICES, EV_PER_A3_IN_BAR, FIRE_ENERGY_TOL, FIRE_FORCE_TOL, FIRE_MAX_STEPS,  # noqa: F401
                          HOW_TO_GET, K_B, TABLE_R_MIN, TIME_UNIT_PS, HoomdUnavailable, add_periodic_writer,
                          classify_hoomd_error, fire_minimize, import_hoomd, neighbor_buffer_for, pair_tables,
                          resolve_device, run_chunks)
from .hoomd_quench import run_hoomd_quench

#: Version of this engine's protocol (tables, phases, checks); part of :meth:`HoomdEngine.version`.
PROTOCOL_VERSION = 1
#: Thermo output every this many steps (as LAMMPS's ``thermo 100``).
THERMO_EVERY = 100


class HoomdEngine:
    """Runs melts with HOOMD-blue (v4) in this process.

    Parameters: ``device`` ``"auto"`` | ``"cpu"`` | ``"gpu"``; ``threads`` CPU threads (used only by TBB
    builds; recorded); ``neighbor_buffer`` A (shrunk to fit small boxes, see module docstring);
    ``timeout_s`` wall-clock limit of one melt (then it fails with reason "timeout", checked between
    chunks); ``collapse`` ``"flag"`` | ``"fail"`` as for LAMMPS (:mod:`silica_explorer.engine.acceptance`);
    ``notice_level`` HOOMD's verbosity.
    """

    name = "hoomd"

    def __init__(self, device: str = "auto", threads: int | None = None, neighbor_buffer: float = 0.4,
                 timeout_s: float | None = None, collapse: str = "flag", notice_level: int = 1):
        self.collapse = check_collapse_policy(collapse)
        self.device = resolve_device(device)
        self.requested_device = device
        self.threads = 1 if threads is None else int(threads)
        if self.threads < 1:
            raise ValueError(f"threads = {threads} must be >= 1")
        if not 0.0 < neighbor_buffer <= 3.0:
            raise ValueError(f"neighbor_buffer = {neighbor_buffer} must be in (0, 3] A")
        self.neighbor_buffer = float(neighbor_buffer)
        self.timeout_s = timeout_s
        self.notice_level = int(notice_level)

    def version(self) -> str:
        hoomd = import_hoomd()
        v = hoomd.version
        build = f"{'GPU' if v.gpu_enabled else 'CPU'} build{', TBB' if v.tbb_enabled else ''}{', MPI' if v.mpi_enabled else ''}"
        return (f"HOOMD-blue {v.version} ({build}; running on {self.device.upper()}); random start "
                f"v{RANDOM_START_VERSION}; one md.pair.Table (Eq. (1)+DSF) v{PROTOCOL_VERSION}; collapse {self.collapse} "
                f"above {COLLAPSE_CONTACTS_PER_SI:g} O/Si within {CLOSE_CONTACT_DISTANCE:g} A")

    def options(self) -> dict:
        """The engine options that are recorded with every run."""
        return {"device": self.device, "requested_device": self.requested_device, "threads": self.threads,
                "neighbor_buffer_A": self.neighbor_buffer, "timeout_s": self.timeout_s, "collapse": self.collapse}

    # ----------------------------------------------------------------------------- set-up
    def _device(self):
        hoomd = import_hoomd()
        if self.device == "gpu":
            return hoomd.device.GPU(notice_level=self.notice_level)
        threads = self.threads if hoomd.version.tbb_enabled else None
        return hoomd.device.CPU(num_cpu_threads=threads, notice_level=self.notice_level)

    def simulation(self, forcefield: ForceField, config: Configuration, seed: int, table_points: int,
                    velocities_A_per_ps: np.ndarray | None):
        hoomd = import_hoomd()
        box = float(config.box[0])
        if not np.allclose(config.box, box):
            raise ValueError(f"engine 'hoomd' runs cubic boxes only, got {config.box}")
        buffer = neighbor_buffer_for(box, forcefield.r_cut, self.neighbor_buffer)
        sim = hoomd.Simulation(device=self._device(), seed=int(seed) % 65536)
        snap = hoomd.Snapshot()
        n = config.n_atoms
        snap.configuration.box = [box, box, box, 0, 0, 0]
        snap.particles.N = n
        snap.particles.types = ["Si", "O"]
        snap.particles.typeid[:] = np.where(config.species == "Si", 0, 1)
        snap.particles.position[:] = config.wrapped() - 0.5 * box  # HOOMD's box is centred on 0
        snap.particles.mass[:] = np.where(config.species == "Si", MASS["Si"], MASS["O"])
        snap.particles.charge[:] = np.where(config.species == "Si", forcefield.charge("Si"), forcefield.charge("O"))
        if velocities_A_per_ps is not None:
            snap.particles.velocity[:] = velocities_A_per_ps * TIME_UNIT_PS
        sim.create_state_from_snapshot(snap)
        nlist = hoomd.md.nlist.Cell(buffer=buffer, exclusions=())
        table = hoomd.md.pair.Table(nlist=nlist, default_r_cut=forcefield.r_cut)
        for pair, params in pair_tables(forcefield, table_points).items():
            a, b = PAIR_SPECIES[pair]
            table.params[(a, b)] = params
        return sim, table, buffer

    # ----------------------------------------------------------------------------- single point
    def single_point(self, forcefield: ForceField, config: Configuration,
                     table_points: int = 8000) -> tuple[float, np.ndarray]:
        """Potential energy (eV, Eq. (1) + DSF pair sum, no self term) and forces (N, 3) eV/A of ``config``."""
        hoomd = import_hoomd()
        sim, table, _ = self.simulation(forcefield, config, 0, table_points, None)
        sim.operations.integrator = hoomd.md.Integrator(
            dt=0.001 / TIME_UNIT_PS, forces=[table],
            methods=[hoomd.md.methods.ConstantVolume(filter=hoomd.filter.All())])
        sim.run(0)
        return float(table.energy), np.array(table.forces, dtype=float)

    # ----------------------------------------------------------------------------- quench
    def quench(self, forcefield: ForceField, protocol: QuenchProtocol, seed: int,
               progress: ProgressCallback | None = None) -> QuenchResult:
        """Make a glass by ``protocol`` (:mod:`silica_explorer.quench`) with MTTK NPT
        (:mod:`.hoomd_quench`); a failed run is a failed result."""
        return run_hoomd_quench(self, forcefield, protocol, seed, progress)

    # ----------------------------------------------------------------------------- melt
    def melt(self, forcefield: ForceField, fidelity: Fidelity, seed: int,
             warm_start: Configuration | None = None,
             progress: ProgressCallback | None = None) -> MeltResult:
        if not isinstance(fidelity, Fidelity):  # e.g. a SystemFidelity: melts of other systems run on LAMMPS
            raise TypeError(f"HOOMD melts take a silica Fidelity, got {type(fidelity).__name__}; melts of other "
                            "systems run on the LAMMPS engine")
        t0 = time.perf_counter()
        base = dict(forcefield=forcefield, fidelity=fidelity, seed=int(seed), engine=self.name,
                    engine_version=self.version(), warm_start=warm_start is not None,
                    engine_options=self.options())
        neighbor_buffer_for(fidelity.box_length, forcefield.r_cut, self.neighbor_buffer)  # too small: ValueError
        if warm_start is not None:
            check_warm_start(warm_start, fidelity)
        run = _Run(self, forcefield, fidelity, seed, progress, t0)
        try:
            try:
                start = warm_start if warm_start is not None else random_configuration(
                    fidelity.n_SiO2, fidelity.box_length, seed, fidelity.min_separation)
            except RuntimeError as exc:
                return MeltResult(status="failed", reason=f"setup: {exc}", wall_time_s=time.perf_counter() - t0, **base)
            base["engine_options"]["neighbor_buffer_used_A"] = run.setup(start, warm_start is not None)
            reason = run.execute(warm_start is not None)
            thermo = thermo_dataset(run.rows)
            if reason is None:
                reason = thermo_failure(thermo, fidelity)
            if reason is not None:
                return MeltResult(status="failed", reason=reason, thermo=thermo,
                                  wall_time_s=time.perf_counter() - t0, **base)
            pdf = run.pdf()
            status, reason = structure_check(pdf, self.collapse)
            if run.overlap_reason():
                status, reason = "failed", run.overlap_reason()
            return MeltResult(status=status, reason=reason, pdf=pdf,
                              trajectory=run.trajectory(), final=run.final(), thermo=thermo,
                              wall_time_s=time.perf_counter() - t0, md_steps_per_s=run.steps_per_s(), **base)
        except Exception as exc:  # a HOOMD error or anything unexpected: a recorded failure, never a crash
            return MeltResult(status="failed", reason=classify_hoomd_error(exc), thermo=thermo_dataset(run.rows),
                              wall_time_s=time.perf_counter() - t0, **base)


class _Run:
    """State of one HOOMD melt (kept out of :class:`HoomdEngine` so the engine stays a small, copyable object)."""

    def __init__(self, engine: HoomdEngine, forcefield: ForceField, fidelity: Fidelity, seed: int,
                 progress: ProgressCallback | None, t0: float):
        self.engine, self.ff, self.fid, self.seed = engine, forcefield, fidelity, int(seed)
        self.progress, self.t0 = progress, t0
        self.rows: list[tuple[str, list[float]]] = []
        self.samples: list[np.ndarray] = []
        self.frames: list[np.ndarray] = []
        self.frame_steps: list[int] = []
        self.min_distance = math.inf
        self.md_seconds = 0.0
        self.md_steps = 0
        self.phase = "setup"
        self.phase_start = 0

    # ----------------------------------------------------------------------------- set-up
    def setup(self, start: Configuration, warm: bool) -> float:
        hoomd = import_hoomd()
        self.hoomd = hoomd
        self.species = start.species
        self.box = float(self.fid.box_length)
        self.sim, self.table, buffer = self.engine.simulation(self.ff, start, self.seed, self.fid.table_points, None)
        self.thermo = hoomd.md.compute.ThermodynamicQuantities(filter=hoomd.filter.All())
        self.sim.operations.computes.append(self.thermo)
        self.warm_velocities = start.velocities if warm else None
        return buffer

    def positions(self) -> np.ndarray:
        """Positions (N, 3) in A, in [0, L), ordered by tag (= the start configuration's order)."""
        with self.sim.state.cpu_local_snapshot as snap:
            pos = np.array(snap.particles.position, dtype=float)
            tags = np.array(snap.particles.tag)
        out = np.empty_like(pos)
        out[tags] = np.mod(pos + 0.5 * self.box, self.box)
        return np.where(out >= self.box, out - self.box, out)  # mod can round up to L

    def velocities(self) -> np.ndarray:
        with self.sim.state.cpu_local_snapshot as snap:
            vel = np.array(snap.particles.velocity, dtype=float)
            tags = np.array(snap.particles.tag)
        out = np.empty_like(vel)
        out[tags] = vel / TIME_UNIT_PS
        return out

    # ----------------------------------------------------------------------------- phases
    def execute(self, warm: bool) -> str | None:
        """Run minimise, relax and production; a failure reason or None."""
        hoomd, fid = self.hoomd, self.fid
        if fid.minimize and not warm:
            reason = self._minimize()
            if reason:
                return reason
        self._set_velocities()
        dt = fid.timestep / TIME_UNIT_PS
        kT = K_B * fid.temperature
        method = hoomd.md.methods.ConstantVolume(
            filter=hoomd.filter.All(),
            thermostat=hoomd.md.methods.thermostats.MTTK(kT=kT, tau=fid.t_damp / TIME_UNIT_PS))
        self.sim.operations.integrator = hoomd.md.Integrator(dt=dt, forces=[self.table], methods=[method])
        add_periodic_writer(self.hoomd, self.sim, self._thermo_row, THERMO_EVERY, pressure=True)
        self.phase, self.phase_start = "relax", self.sim.timestep
        reason = self._advance(fid.relax_steps, done_before=0)
        if reason:
            return reason
        self.phase, self.phase_start = "production", self.sim.timestep
        self._frame()
        add_periodic_writer(self.hoomd, self.sim, self._rdf_sample, fid.rdf_every)
        add_periodic_writer(self.hoomd, self.sim, self._frame, fid.frame_every)
        return self._advance(fid.production_steps, done_before=fid.relax_steps)

    def _minimize(self) -> str | None:
        self.phase = "minimize"
        return fire_minimize(self.sim, self.table, self.fid.timestep,
                             lambda: self._check_time() or self._check_positions())

    def _set_velocities(self) -> None:
        """Gaussian velocities at the target T with zero momentum, scaled to exactly T over 3N - 3
        degrees of freedom (LAMMPS ``velocity create ... dist gaussian mom yes``); a warm start keeps
        its velocities, rescaled to T (LAMMPS ``velocity all scale``)."""
        mass = np.where(self.species == "Si", MASS["Si"], MASS["O"])
        kT = K_B * self.fid.temperature  # eV
        if self.warm_velocities is not None:
            v = np.asarray(self.warm_velocities, dtype=float) * TIME_UNIT_PS
        else:
            rng = np.random.default_rng([self.seed, 1])
            v = rng.normal(size=(len(mass), 3)) * np.sqrt(kT / mass)[:, None]
            v -= (mass[:, None] * v).sum(axis=0) / mass.sum()
        ke2 = float(np.sum(mass[:, None] * v * v))  # 2 KE in eV (amu (A/tau)^2 = eV)
        v *= math.sqrt((3 * len(mass) - 3) * kT / ke2)
        snap = self.sim.state.get_snapshot()
        tags = np.arange(len(mass))
        snap.particles.velocity[:] = v[tags]
        self.sim.state.set_snapshot(snap)

    def _thermo_row(self, timestep) -> None:
        th = self.thermo
        pe, ke = float(th.potential_energy), float(th.kinetic_energy)
        self.rows.append((self.phase, [float(timestep - self.phase_start), float(th.kinetic_temperature) / K_B,
                                       pe, ke, pe + ke, float(th.pressure) * EV_PER_A3_IN_BAR]))

    def _rdf_sample(self, timestep=None) -> None:
        t = time.perf_counter()
        self.samples.append(self.positions())
        self.md_seconds -= time.perf_counter() - t  # sampling is not MD time

    def _frame(self, timestep=None) -> None:
        step = (self.sim.timestep if timestep is None else timestep) - self.phase_start
        t = time.perf_counter()
        self.frames.append(self.positions())
        self.frame_steps.append(int(step))
        self.md_seconds -= time.perf_counter() - t

    def _advance(self, steps: int, done_before: int) -> str | None:
        for n, seconds, done in run_chunks(self.sim, steps):
            self.md_seconds += seconds
            self.md_steps += n
            reason = self._check_time() or self._check_positions()
            if reason:
                return reason
            if self.progress is not None:
                self.progress(done_before + done, self.fid.total_steps, self.phase)
        if self.progress is not None and self.phase == "production":
            self.progress(self.fid.total_steps, self.fid.total_steps, "done")
        return None

    # ----------------------------------------------------------------------------- checks
    def _check_time(self) -> str | None:
        limit = self.engine.timeout_s
        if limit is not None and time.perf_counter() - self.t0 > limit:
            return f"timeout: melt exceeded {limit} s"
        return None

    def _check_positions(self) -> str | None:
        pos = self.positions()
        if not np.all(np.isfinite(pos)):
            return "nan: non-finite positions"
        if self.rows and not all(np.isfinite(self.rows[-1][1])):
            return "nan: non-finite temperature, energy or pressure in thermo output"
        from ..configurations import min_distance
        d = min_distance(Configuration(pos, self.species, np.full(3, self.box)))
        self.min_distance = min(self.min_distance, d)
        if d < TABLE_R_MIN:
            return f"overlap: two atoms closer than {TABLE_R_MIN} A, the start of the pair table ({d:.3f} A)"
        return None

    def overlap_reason(self) -> str | None:
        if self.min_distance < TABLE_R_MIN:
            return f"overlap: two atoms closer than {TABLE_R_MIN} A, the start of the pair table"
        return None

    # ----------------------------------------------------------------------------- results
    def pdf(self) -> xr.Dataset:
        from ..structure import partial_pdfs
        fid = self.fid
        frames = [Configuration(p, self.species, np.full(3, self.box)) for p in self.samples]
        if len(frames) != fid.production_steps // fid.rdf_every:
            raise RuntimeError(f"{len(frames)} g(r) samples, expected {fid.production_steps // fid.rdf_every}")
        pdf = partial_pdfs(frames, fid.rdf_r_max, fid.rdf_dr, source="HOOMD-blue frames, silica_explorer.structure")
        r = pdf.r.values
        below = (r + 0.5 * fid.rdf_dr <= TABLE_R_MIN)
        if np.any(pdf.g.values[:, below] > 0):
            self.min_distance = min(self.min_distance, 0.0)
        pdf.attrs["n_samples"] = len(frames)
        return pdf

    def trajectory(self) -> Trajectory:
        return Trajectory(np.array(self.frames), self.species, np.full(3, self.box), np.array(self.frame_steps))

    def final(self) -> Configuration:
        return Configuration(self.positions(), self.species, np.full(3, self.box), self.velocities())

    def steps_per_s(self) -> float | None:
        return self.md_steps / self.md_seconds if self.md_seconds > 0 else None
