"""Running the ``lmp`` child process of one LAMMPS deck and reading why it stopped.

Shared by the melt (:mod:`.lammps`) and quench (:mod:`.lammps_quench`) runs: :func:`die_with_parent`
(Linux: the kernel kills ``lmp`` when its parent dies), :func:`kill_process_group`, :func:`run_lammps`
(a wall-clock limit and a progress poll while it runs), :func:`parse_log` (thermo rows and the first ERROR
line of a log), :func:`lammps_error_reason` (the failure reason of a run from its exit code and first
ERROR line) and :func:`read_rdf` (the g(r) a melt wrote, as a PDF Dataset).

Units: wall times in s, distances in A.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import xarray as xr

from ..fidelity import Fidelity
from ..parameters import PAIRS
from ..structure import pdf_dataset
from ..systems.fidelity import SystemFidelity


_NUM = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|-?inf)"
#: One thermo row of the silica-explorer decks: an integer step and five numbers (nan and inf allowed).
THERMO_ROW = re.compile(rf"^\s*\d+\s+{_NUM}\s+{_NUM}\s+{_NUM}\s+{_NUM}\s+{_NUM}\s*$", re.IGNORECASE)


def parse_log(text: str) -> tuple[list[tuple[str, list[float]]], str | None]:
    """Thermo rows as ``(phase, [step, five thermo columns])`` and the first ERROR line, if any; a row's phase
    (melt) or stage (quench) is the one named by the last ``# phase:`` line before it (``"setup"`` before any).
    Columns: the deck's ``thermo_style`` (melt: temp pe ke etotal press; quench: temp pe press vol density)."""
    rows = []
    phase = "setup"
    error = None
    for line in text.splitlines():
        if line.startswith("# phase:"):
            phase = line.split(":", 1)[1].strip()
        elif THERMO_ROW.match(line):
            rows.append((phase, [float(w) for w in line.split()]))
        elif error is None and line.lstrip().startswith("ERROR"):
            error = line.strip()
    return rows, error
def die_with_parent() -> None:  # pragma: no cover (runs in the child)
    """Linux: have the kernel SIGKILL this child when the process that started it dies (even by kill -9),
    so an interrupted optimizer or a killed Dask worker never leaves lmp running."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass


def kill_process_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group of ``proc`` (lmp and any MPI children) and reap it."""
    try:
        os.killpg(proc.pid, 9)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def run_lammps(command: list[str], rundir: Path, env: dict, timeout_s: float | None,
               poll: Callable[[], None] | None = None) -> tuple[int, bool]:
    """Run ``command`` in ``rundir`` (stderr to ``stderr.txt``), calling ``poll()`` every 0.5 s; kill it
    after ``timeout_s`` seconds. Returns ``(exit code, timed_out)``; Ctrl-C kills lmp and re-raises."""
    with open(rundir / "stderr.txt", "wb") as err:
        proc = subprocess.Popen(command, cwd=rundir, env=env, stdout=subprocess.DEVNULL, stderr=err,
                                process_group=0,
                                preexec_fn=die_with_parent if sys.platform.startswith("linux") else None)
    t_start = time.monotonic()
    try:
        while True:
            try:
                return proc.wait(timeout=0.5), False
            except subprocess.TimeoutExpired:
                pass
            if timeout_s is not None and time.monotonic() - t_start > timeout_s:
                kill_process_group(proc)
                return proc.wait(), True
            if poll is not None:
                poll()
    except BaseException:  # Ctrl-C or the caller dying: never leave lmp running
        kill_process_group(proc)
        raise


def lammps_error_reason(rc: int, timed_out: bool, error: str | None, timeout_s: float | None,
                        stderr_tail: str = "", r_inner: float = 0.5, what: str = "melt") -> str | None:
    """Failure reason of a LAMMPS run from how it stopped (``what`` names the run in a timeout), or None
    when it ran to the end: ``timeout``, ``lost atoms``, ``overlap`` (a pair closer than the table start
    ``r_inner`` A), ``nan``, ``lammps error`` or a non-zero exit code."""
    if timed_out:
        return f"timeout: {what} exceeded {timeout_s} s"
    if error is not None:
        low = error.lower()
        if "lost atoms" in low:
            return f"lost atoms: {error}"
        if "table inner cutoff" in low:
            return f"overlap: two atoms closer than {r_inner:g} A (LAMMPS: {error})"
        if "out of range" in low:
            return f"overlap: {error}"
        if "non-numeric" in low or "nan" in low:
            return f"nan: {error}"
        return f"lammps error: {error}"
    if rc != 0:
        return f"lammps exited with code {rc}{': ' + stderr_tail if stderr_tail else ''}"
    return None


def read_rdf(path: Path, fidelity: Fidelity | SystemFidelity, n_species: dict[str, int], volume: float,
             pairs: tuple[str, ...] = PAIRS) -> xr.Dataset:
    """The g(r) block LAMMPS's ``fix ave/time ... mode vector`` wrote, as a PDF Dataset of ``pairs`` (the
    order of :func:`~silica_explorer.engine.tables.rdf_type_pairs`; silica's by default)."""
    lines = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    n = fidelity.rdf_bins
    # the last block: header line "step nrows" then nrows rows: index r g1 c1 g2 c2 g3 c3 ...
    block = np.array([[float(w) for w in ln.split()] for ln in lines[-n:]])
    r = block[:, 1]
    g = {pair: block[:, 2 + 2 * k] for k, pair in enumerate(pairs)}
    return pdf_dataset(r, g, dr=fidelity.rdf_dr, n_species=n_species, volume=volume,
                       n_samples=fidelity.production_steps // fidelity.rdf_every,
                       source="LAMMPS compute rdf", pairs=pairs)
