"""The HOOMD-blue quench: the stages of a :class:`~silica_explorer.quench.QuenchProtocol`, as the LAMMPS deck
(:mod:`.lammps_quench`) runs them, in this process.

Stages: the same random start; FIRE minimisation (at most 1000 steps, as the melt); momenta drawn at
``T_start`` (``State.thermalize_particle_momenta``, zero total momentum); ``liquid``: NVT
(``md.methods.ConstantVolume`` with an ``MTTK`` Nose-Hoover thermostat, ``tau = t_damp``) at the start
density; ``cool``: MTTK NPT (``md.methods.ConstantPressure``, ``couple="xyz"``, ``S = pressure``,
``tauS = p_damp``, ``gamma = 0``: the Martyna-Tobias-Klein equations LAMMPS's ``fix npt`` integrates) whose
thermostat target is a ``hoomd.variant.Ramp`` from ``T_start`` to ``T_end`` over the stage; ``anneal`` and
``production``: the same NPT at ``T_end``, frames every ``frame_every`` production steps (step 0 included,
as LAMMPS's dump). Thermo every ``thermo_every`` steps. The MD advances in chunks of
:data:`~silica_explorer.engine.hoomd_setup.CHUNK_STEPS` steps, between which the time limit, non-finite positions,
overlaps (closer than the table start) and the density window are checked, so an exploding box stops early.
After the run, :mod:`.quench_checks` decides, as for LAMMPS.

Units inside HOOMD: eV, A, amu (time unit 10.1805 fs, pressure eV/A^3); the result is in K, GPa, g/cm3,
eV/atom, ps.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..configurations import Configuration, min_distance, random_configuration
from ..constants import MASS
from ..forcefield import ForceField
from ..quench import QuenchProtocol
from .base import ProgressCallback, QuenchResult
from .hoomd_setup import (EV_PER_A3_IN_BAR, K_B, TABLE_R_MIN, TIME_UNIT_PS, add_periodic_writer, classify_hoomd_error,
                          fire_minimize, import_hoomd, neighbor_buffer_for, run_chunks)
from .quench_checks import density_failure, frames_failure, quench_failure, quench_thermo_dataset

#: Version of the HOOMD quench protocol; part of the quench's engine version string.
QUENCH_VERSION = 1
#: g/cm3 per amu/A^3.
AMU_PER_A3_IN_G_PER_CM3 = 1.66053906660


def run_hoomd_quench(engine, forcefield: ForceField, protocol: QuenchProtocol, seed: int,
                     progress: ProgressCallback | None = None) -> QuenchResult:
    """One quench with ``engine`` (a :class:`~silica_explorer.engine.hoomd.HoomdEngine`: its device, buffer,
    time limit and collapse policy). ValueError for a start box narrower than two cutoffs (plus HOOMD's
    neighbour buffer); every failure of the run is a failed result."""
    if protocol.box_length < 2 * forcefield.r_cut:
        raise ValueError(f"quench protocol {protocol.name!r}: start box {protocol.box_length:.2f} A is smaller than "
                         f"2 cutoffs of {forcefield.name!r} ({2 * forcefield.r_cut:g} A)")
    neighbor_buffer_for(protocol.box_length, forcefield.r_cut, engine.neighbor_buffer)
    t0 = time.perf_counter()
    base = dict(forcefield=forcefield, protocol=protocol, seed=int(seed), engine=engine.name,
                engine_version=f"{engine.version()}; quench v{QUENCH_VERSION}", engine_options=engine.options())
    run = _QuenchRun(engine, forcefield, protocol, seed, progress, t0)
    try:
        try:
            start = random_configuration(protocol.n_SiO2, protocol.box_length, seed, protocol.min_separation)
        except RuntimeError as exc:
            return QuenchResult(status="failed", reason=f"setup: {exc}", wall_time_s=time.perf_counter() - t0, **base)
        base["engine_options"]["neighbor_buffer_used_A"] = run.setup(start)
        reason = run.execute()
        thermo = quench_thermo_dataset(run.rows, protocol, protocol.n_atoms)
        reason = reason or quench_failure(thermo, protocol)
        if progress is not None:
            progress(protocol.total_steps if reason is None else run.done, protocol.total_steps, "done")
        if reason is not None:
            return QuenchResult(status="failed", reason=reason, thermo=thermo, wall_time_s=time.perf_counter() - t0,
                                **base)
        status, reason = frames_failure(run.frames, engine.collapse)
        times = protocol.stage_start_ps()["production"] + protocol.timestep * np.array(run.frame_steps, dtype=float)
        return QuenchResult(status=status, reason=reason, thermo=thermo, frames=run.frames, frame_times_ps=times,
                            md_steps_per_s=run.steps_per_s(), wall_time_s=time.perf_counter() - t0, **base)
    except Exception as exc:  # a HOOMD error or anything unexpected: a recorded failure, never a crash
        return QuenchResult(status="failed", reason=classify_hoomd_error(exc),
                            thermo=quench_thermo_dataset(run.rows, protocol, protocol.n_atoms),
                            wall_time_s=time.perf_counter() - t0, **base)


class _QuenchRun:
    """State of one HOOMD quench (kept out of the engine so the engine stays a small, copyable object)."""

    def __init__(self, engine, forcefield: ForceField, protocol: QuenchProtocol, seed: int,
                 progress: ProgressCallback | None, t0: float):
        self.engine, self.ff, self.p, self.seed = engine, forcefield, protocol, int(seed)
        self.progress, self.t0 = progress, t0
        self.rows: list[tuple[str, list[float]]] = []
        self.frames: list[Configuration] = []
        self.frame_steps: list[int] = []
        self.stage, self.stage_start, self.done = "setup", 0, 0
        self.md_seconds, self.md_steps = 0.0, 0

    def setup(self, start: Configuration) -> float:
        hoomd = self.hoomd = import_hoomd()
        self.species = start.species
        self.mass_amu = float(np.sum(np.where(start.species == "Si", MASS["Si"], MASS["O"])))
        self.sim, self.table, buffer = self.engine.simulation(self.ff, start, self.seed, self.p.table_points, None)
        self.thermo = hoomd.md.compute.ThermodynamicQuantities(filter=hoomd.filter.All())
        self.sim.operations.computes.append(self.thermo)
        return buffer

    # ----------------------------------------------------------------------------- state
    def box(self) -> np.ndarray:
        b = self.sim.state.box
        return np.array([b.Lx, b.Ly, b.Lz], dtype=float)

    def configuration(self) -> Configuration:
        """Positions (A, in [0, L), ordered by tag = the start's order) with the current box."""
        box = self.box()
        with self.sim.state.cpu_local_snapshot as snap:
            pos = np.array(snap.particles.position, dtype=float)
            tags = np.array(snap.particles.tag)
        out = np.empty_like(pos)
        out[tags] = np.mod(pos + 0.5 * box, box)
        return Configuration(np.where(out >= box, out - box, out), self.species, box)

    # ----------------------------------------------------------------------------- stages
    def execute(self) -> str | None:
        hoomd, p = self.hoomd, self.p
        if p.minimize:
            reason = self._minimize()
            if reason:
                return reason
        kT_start, kT_end = K_B * p.T_start, K_B * p.T_end
        tau, tauS = p.t_damp / TIME_UNIT_PS, p.p_damp / TIME_UNIT_PS
        S = p.pressure_GPa * 1e4 / EV_PER_A3_IN_BAR  # eV/A^3
        self.sim.state.thermalize_particle_momenta(filter=hoomd.filter.All(), kT=kT_start)
        nvt = hoomd.md.methods.ConstantVolume(filter=hoomd.filter.All(),
                                              thermostat=hoomd.md.methods.thermostats.MTTK(kT=kT_start, tau=tau))
        integrator = hoomd.md.Integrator(dt=p.timestep / TIME_UNIT_PS, forces=[self.table], methods=[nvt])
        self.sim.operations.integrator = integrator
        add_periodic_writer(hoomd, self.sim, self._thermo_row, p.thermo_every, pressure=True)
        reason = self._stage("liquid", p.liquid_steps)
        if reason:
            return reason

        def npt(kT):
            """Isotropic MTTK NPT at pressure S, thermostat target ``kT`` (eV, or a variant)."""
            return hoomd.md.methods.ConstantPressure(filter=hoomd.filter.All(), S=S, tauS=tauS, couple="xyz",
                                                     thermostat=hoomd.md.methods.thermostats.MTTK(kT=kT, tau=tau))

        ramp = hoomd.variant.Ramp(A=kT_start, B=kT_end, t_start=self.sim.timestep, t_ramp=max(1, p.cool_steps))
        integrator.methods = [npt(ramp)]
        reason = self._stage("cool", p.cool_steps)
        if reason:
            return reason
        integrator.methods = [npt(kT_end)]
        reason = self._stage("anneal", p.anneal_steps)
        if reason:
            return reason
        self.stage, self.stage_start = "production", self.sim.timestep
        self._frame()
        add_periodic_writer(hoomd, self.sim, self._frame, p.frame_every)
        return self._stage("production", p.production_steps)

    def _minimize(self) -> str | None:
        self.stage = "minimize"
        return fire_minimize(self.sim, self.table, self.p.timestep, self._check)

    def _stage(self, stage: str, steps: int) -> str | None:
        if stage != "production":
            self.stage, self.stage_start = stage, self.sim.timestep
        for n, seconds, _ in run_chunks(self.sim, steps):
            self.md_seconds += seconds
            self.md_steps += n
            self.done += n
            reason = self._check()
            if reason:
                return reason
            if self.progress is not None:
                self.progress(self.done, self.p.total_steps, stage)
        return None

    def _thermo_row(self, timestep) -> None:
        th = self.thermo
        volume = float(th.volume)
        self.rows.append((self.stage, [float(timestep - self.stage_start), float(th.kinetic_temperature) / K_B,
                                       float(th.potential_energy), float(th.pressure) * EV_PER_A3_IN_BAR, volume,
                                       self.mass_amu / volume * AMU_PER_A3_IN_G_PER_CM3]))

    def _frame(self, timestep=None) -> None:
        step = (self.sim.timestep if timestep is None else timestep) - self.stage_start
        t = time.perf_counter()
        self.frames.append(self.configuration())
        self.frame_steps.append(int(step))
        self.md_seconds -= time.perf_counter() - t  # storing frames is not MD time

    # ----------------------------------------------------------------------------- checks
    def _check(self) -> str | None:
        limit = self.engine.timeout_s
        if limit is not None and time.perf_counter() - self.t0 > limit:
            return f"timeout: quench exceeded {limit} s"
        conf = self.configuration()
        if not (np.all(np.isfinite(conf.positions)) and np.all(np.isfinite(conf.box))):
            return "nan: non-finite positions or box"
        if self.rows and not all(math.isfinite(x) for x in self.rows[-1][1]):
            return "nan: non-finite temperature, energy, pressure or volume in thermo output"
        d = min_distance(conf)
        if d < TABLE_R_MIN:
            return f"overlap: two atoms closer than {TABLE_R_MIN} A, the start of the pair table ({d:.3f} A)"
        density = self.mass_amu / conf.volume * AMU_PER_A3_IN_G_PER_CM3
        return density_failure(density, self.p.stage_start_ps().get(self.stage, 0.0)
                               + (self.sim.timestep - self.stage_start) * self.p.timestep, self.stage)

    def steps_per_s(self) -> float | None:
        return self.md_steps / self.md_seconds if self.md_seconds > 0 else None
