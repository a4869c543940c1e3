"""The LAMMPS quench deck: a glass from the random start, run by the ``lmp`` of a :class:`LammpsEngine`.

The deck (``in.quench``, with ``start.data`` and the engine deck's ``ff.table``; the same pair lines as
the melt decks, :func:`~silica_explorer.engine.tables.lammps_pair_lines`) runs the stages of a
:class:`~silica_explorer.quench.QuenchProtocol`: ``minimize`` (cg, as the melt deck), ``liquid`` (``fix nvt``
at ``T_start`` and the start density), ``cool`` (``fix npt temp T_start T_end ... iso P P p_damp``: a linear
ramp of the thermostat target over the stage), ``anneal`` and ``production`` (``fix npt`` at ``T_end``;
frames dumped every ``frame_every`` production steps, with their boxes). Thermo every ``thermo_every``
steps: step, temperature, potential energy, pressure, volume, density. Each stage starts at step 0.
Two ``fix halt`` stop a run whose density leaves :data:`~silica_explorer.engine.quench_checks.DENSITY_WINDOW`
(an exploding box would otherwise run to the end).

Failures are results, never exceptions: how lmp stopped (:func:`~silica_explorer.engine.lammps_process.lammps_error_reason`),
then the checks every engine runs (:mod:`silica_explorer.engine.quench_checks`).

Units: LAMMPS ``metal`` (A, eV, ps, bar, g/cm3); the result's thermo is in K, GPa, g/cm3, eV/atom, ps.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from ..configurations import random_configuration, read_lammps_dump_frames, write_lammps_data
from ..forcefield import ForceField
from ..quench import QuenchProtocol
from .base import ProgressCallback, QuenchResult
from .lammps_process import lammps_error_reason, parse_log, run_lammps
from .quench_checks import DENSITY_WINDOW, STAGES, frames_failure, quench_failure, quench_thermo_dataset
from .tables import LAMMPS_MINIMIZE_LINES, lammps_setup_lines, table_r_inner, write_lammps_table

#: Version of the quench deck's layout; part of the quench's engine version string.
QUENCH_DECK_VERSION = 1


def quench_input(forcefield: ForceField, protocol: QuenchProtocol, seed: int, *, neighbor_skin: float = 1.0,
                 deck: str = "one-table") -> str:
    """The LAMMPS input script of one quench (reads ``start.data`` and ``ff.table`` from its directory;
    writes ``frames.dump`` and ``final.data``)."""
    p = protocol
    bar = p.pressure_GPa * 1e4
    lines = [
        f"# silica-explorer quench: forcefield '{forcefield.name}', protocol '{p.name}', seed {seed}",
        *lammps_setup_lines(forcefield, p.table_points, deck=deck, neighbor_skin=neighbor_skin,
                            thermo_columns="step temp pe press vol density", thermo_every=p.thermo_every),
        "# a box that blows up or collapses stops the run (quench_checks.DENSITY_WINDOW)",
        "variable rho equal density",
        f"fix exploded all halt {p.thermo_every} v_rho < {DENSITY_WINDOW[0]:g} error hard",
        f"fix collapsed all halt {p.thermo_every} v_rho > {DENSITY_WINDOW[1]:g} error hard",
    ]
    if p.minimize:
        lines += LAMMPS_MINIMIZE_LINES
    lines += [
        f"timestep {p.timestep:g}",
        "# phase: liquid",
        f"velocity all create {p.T_start:g} {seed + 1} dist gaussian mom yes rot no",
        f"fix nvt all nvt temp {p.T_start:g} {p.T_start:g} {p.t_damp:g}",
        f"run {p.liquid_steps}",
        "unfix nvt",
        "reset_timestep 0",
        "# phase: cool",
        f"fix npt all npt temp {p.T_start:g} {p.T_end:g} {p.t_damp:g} iso {bar:g} {bar:g} {p.p_damp:g}",
        f"run {p.cool_steps}",
        "unfix npt",
        "reset_timestep 0",
        "# phase: anneal",
        f"fix npt all npt temp {p.T_end:g} {p.T_end:g} {p.t_damp:g} iso {bar:g} {bar:g} {p.p_damp:g}",
        f"run {p.anneal_steps}",
        "reset_timestep 0",
        "# phase: production",
        f"dump frames all custom {p.frame_every} frames.dump id type x y z",
        "dump_modify frames sort id format float %.10g",
        f"run {p.production_steps}",
        "write_data final.data nocoeff",
    ]
    return "\n".join(lines) + "\n"


def write_quench_deck(directory: Path, forcefield: ForceField, protocol: QuenchProtocol, seed: int,
                      neighbor_skin: float = 1.0, deck: str = "one-table") -> Path:
    """Write the complete input deck of one quench into ``directory``; returns the input script path.
    RuntimeError when the random start cannot be built."""
    directory.mkdir(parents=True, exist_ok=True)
    start = random_configuration(protocol.n_SiO2, protocol.box_length, seed, protocol.min_separation)
    write_lammps_data(start, directory / "start.data", {"Si": forcefield.charge("Si"), "O": forcefield.charge("O")})
    write_lammps_table(forcefield, directory / "ff.table", protocol.table_points, deck=deck)
    script = directory / "in.quench"
    script.write_text(quench_input(forcefield, protocol, seed, neighbor_skin=neighbor_skin, deck=deck))
    return script


def _progress(log_path: Path, protocol: QuenchProtocol) -> tuple[int, int, str]:
    total = protocol.total_steps
    try:
        rows, _ = parse_log(log_path.read_text())
    except OSError:
        return 0, total, "setup"
    if not rows or rows[-1][0] not in STAGES:
        return 0, total, rows[-1][0] if rows else "setup"
    stage, row = rows[-1]
    steps = protocol.stage_steps()
    before = sum(steps[s] for s in STAGES[:STAGES.index(stage)])
    return min(total, before + int(row[0])), total, stage


def _steps_per_s(log: str, protocol: QuenchProtocol) -> float | None:
    loops = re.findall(r"Loop time of ([\d.eE+-]+) on \d+ procs for (\d+) steps", log)
    if protocol.minimize:
        loops = loops[1:]
    seconds = sum(float(t) for t, _ in loops)
    return sum(int(n) for _, n in loops) / seconds if seconds > 0 else None


def _halt_reason(error: str | None, thermo, protocol: QuenchProtocol) -> str | None:
    """The reason of a run the deck's ``fix halt`` stopped (density outside the window), or None."""
    if error is None or "halt" not in error.lower():
        return None
    what = "exploded" if "exploded" in error else "collapse"
    from_thermo = quench_failure(thermo, protocol)
    if from_thermo and from_thermo.startswith(what):
        return from_thermo
    if what == "exploded":
        return f"exploded: density fell below {DENSITY_WINDOW[0]:g} g/cm3; the box blew up (LAMMPS: {error})"
    return f"collapse: density rose above {DENSITY_WINDOW[1]:g} g/cm3 (LAMMPS: {error})"


def quench_version(engine) -> str:
    """The engine's melt version string plus the quench deck's version."""
    return f"{engine.version()}; quench deck v{QUENCH_DECK_VERSION}"


def run_quench(engine, forcefield: ForceField, protocol: QuenchProtocol, seed: int,
               progress: ProgressCallback | None = None) -> QuenchResult:
    """One quench with ``engine`` (a :class:`~silica_explorer.engine.lammps.LammpsEngine`: its command,
    environment, deck, skin, time limit, work directory and collapse policy). ValueError for a box
    narrower than two of the forcefield's cutoffs; every failure of the run is a failed result."""
    if protocol.box_length < 2 * forcefield.r_cut:
        raise ValueError(f"quench protocol {protocol.name!r}: start box {protocol.box_length:.2f} A is smaller than "
                         f"2 cutoffs of {forcefield.name!r} ({2 * forcefield.r_cut:g} A)")
    t0 = time.perf_counter()
    if engine.workdir is not None:
        engine.workdir.mkdir(parents=True, exist_ok=True)
    rundir = Path(tempfile.mkdtemp(prefix="quench-", dir=engine.workdir))
    base = dict(forcefield=forcefield, protocol=protocol, seed=int(seed), engine=engine.name,
                engine_version=quench_version(engine), engine_options=engine.options(),
                workdir=str(rundir) if engine.keep_files else None)
    thermo = None
    try:
        try:
            write_quench_deck(rundir, forcefield, protocol, seed, engine.neighbor_skin, engine.deck)
        except RuntimeError as exc:
            return QuenchResult(status="failed", reason=f"setup: {exc}", wall_time_s=time.perf_counter() - t0, **base)
        log_path = rundir / "log.lammps"
        poll = None if progress is None else (lambda: progress(*_progress(log_path, protocol)))
        rc, timed_out = run_lammps(engine.command("in.quench"), rundir, engine.environment(), engine.timeout_s, poll)
        log = log_path.read_text() if log_path.exists() else ""
        rows, error = parse_log(log)
        thermo = quench_thermo_dataset(rows, protocol, protocol.n_atoms)
        err_file = rundir / "stderr.txt"
        stderr_tail = err_file.read_text(errors="replace").strip()[-300:] if err_file.exists() else ""
        reason = (_halt_reason(error, thermo, protocol)
                  or lammps_error_reason(rc, timed_out, error, engine.timeout_s, stderr_tail, table_r_inner(engine.deck),
                                         what="quench")
                  or quench_failure(thermo, protocol))
        if progress is not None:
            done = protocol.total_steps if reason is None else _progress(log_path, protocol)[0]
            progress(done, protocol.total_steps, "done")
        if reason is not None:
            return QuenchResult(status="failed", reason=reason, thermo=thermo, wall_time_s=time.perf_counter() - t0,
                                **base)
        frames = read_lammps_dump_frames(rundir / "frames.dump")
        status, reason = frames_failure(frames, engine.collapse)
        start = protocol.stage_start_ps()["production"]
        times = start + protocol.frame_every * protocol.timestep * np.arange(len(frames))
        return QuenchResult(status=status, reason=reason, thermo=thermo, frames=frames, frame_times_ps=times,
                            md_steps_per_s=_steps_per_s(log, protocol), wall_time_s=time.perf_counter() - t0, **base)
    except Exception as exc:  # anything unexpected is still a recorded failure, with its type
        return QuenchResult(status="failed", reason=f"engine error: {type(exc).__name__}: {exc}", thermo=thermo,
                            wall_time_s=time.perf_counter() - t0, **base)
    finally:
        if not engine.keep_files:
            shutil.rmtree(rundir, ignore_errors=True)
