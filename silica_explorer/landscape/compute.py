"""Computing a landscape: :func:`compute_windows` evaluates every missing point of every window of a
:class:`~silica_explorer.landscape.Landscape` (in parallel through an executor), appends each to the
resume sidecar (:mod:`~silica_explorer.landscape.sidecar`) as it finishes and writes the netCDF file
(:mod:`~silica_explorer.landscape.files`).

Units: parameters as in :data:`silica_explorer.forcefield.UNITS`; R_x and chi fractions; times in s.
"""

from __future__ import annotations

import datetime as _dt
import time
from pathlib import Path
from typing import Any, Callable

import xarray as xr

from ..engine import get_engine
from ..evaluate import Evaluator, SafeTask, cost_identity, point_record
from ..fidelity import get_fidelity
from .files import atomic_write, path_datasets, provenance, to_datatree
from .landscape import Landscape, ProgressCallback, format_value
from .sidecar import open_sidecar, resume_header


def _reference_label(reference) -> str:
    if reference is None:
        return "unknown"
    if isinstance(reference, (str, Path)):
        return str(reference)
    if isinstance(reference, xr.Dataset):
        return str(reference.attrs.get("name", reference.attrs.get("source", "in-memory reference")))
    return str(reference)


def compute_windows(landscape: Landscape, cost: Callable | None = None, executor=None,
                    out: str | Path | None = None, resume: bool = True, progress: ProgressCallback | None = None,
                    *, reference: Any = None, reference_name: str | None = None, write_every_s: float = 30.0,
                    note: str | None = None, command: str | None = None) -> xr.DataTree:
    """Evaluate every missing point of every window of ``landscape`` and return it as a DataTree
    (:func:`~silica_explorer.landscape.files.to_datatree`).

    ``cost``: ``cost(forcefield, seed=s)`` returning an Evaluation, a mapping or a number (see
    :func:`~silica_explorer.evaluate.point_record`); default an :class:`~silica_explorer.evaluate.Evaluator`
    on ``reference`` (or the landscape's) at the landscape's fidelity, with the executor's MD
    threads. ``executor``: a :mod:`silica_explorer.parallel` executor (default serial).
    ``out``: netCDF path (plus the ``.points.jsonl`` sidecar); ``resume`` skip points already
    there; ``write_every_s`` how often (s) the netCDF is rewritten while computing;
    ``progress(done, total, text)`` after every point; ``reference_name`` overrides the
    reference label recorded in the provenance; ``note`` free text stored in the attrs (e.g.
    "stand-in reference"; kept from the previous run when None), ``command`` the command line
    that ran it (attr ``command``). A failing point is recorded (status/reason) and the grid goes on.
    """
    from ..parallel import SerialExecutor

    t0 = time.perf_counter()
    own_executor = executor is None
    executor = SerialExecutor() if executor is None else executor
    try:
        cost = _cost(landscape, cost, executor, reference)
        ident = cost_identity(cost)
        ref_name = reference_name or str(ident.get("reference") or
                                         _reference_label(reference if reference is not None else landscape.reference))
        header = resume_header(landscape, ident, ref_name)
        sidecar = open_sidecar(Path(out), header, resume) if out is not None else None
        out = Path(out) if out is not None else None
        records = dict(sidecar.points) if sidecar is not None else {}
        prev_wall = sidecar.previous_wall_s if sidecar is not None else 0.0
        paths = path_datasets(landscape, sidecar.paths if sidecar is not None else {})
        todo = [p for p in landscape.points() if p[0] not in records]
        total = len(landscape.points())
        done = total - len(todo)
        if note is None and sidecar is not None:
            note = sidecar.note
        if command is None and sidecar is not None:
            command = sidecar.command
        meta = provenance(header, ident, executor.describe(), note, command, prev_wall)
        if progress is not None:
            progress(done, total, f"{done} cached" if done else "start")
        last_write = time.monotonic()
        interrupted = True
        try:
            task = SafeTask(cost, point_record, timed=True)
            ffs = [landscape.forcefield(x, y) for _, x, y, _ in todo]
            for i, ff, seed, result in executor.map(task, ffs, [s for *_, s in todo], errors="return"):
                k, x, y, s = todo[i]
                rec = point_record(result)
                rec.update(key=k, x=x, y=y, seed=s,
                           finished=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
                records[k] = rec
                if sidecar is not None:
                    sidecar.add_point(rec)
                done += 1
                if progress is not None:
                    txt = (f"{landscape.x.name}={format_value(x)} {landscape.y.name}={format_value(y)} "
                           + (f"R_x={100 * rec['R_x']:.2f}%" if rec["status"] == "ok" else "failed"))
                    progress(done, total, txt)
                if out is not None and time.monotonic() - last_write > write_every_s:
                    atomic_write(to_datatree(landscape, records, meta, time.perf_counter() - t0, paths), out)
                    last_write = time.monotonic()
            interrupted = False
        finally:
            wall = time.perf_counter() - t0
            if sidecar is not None:
                sidecar.append({"session_wall_time_s": round(wall, 3), "interrupted": interrupted,
                                "executor": meta["executor"], "note": meta["note"], "command": command})
                sidecar.close()
            tree = to_datatree(landscape, records, meta, wall, paths)
            if out is not None:
                atomic_write(tree, out)
        return tree
    finally:
        if own_executor:
            executor.close()


def _cost(landscape: Landscape, cost, executor, reference):
    """The cost a computation runs: ``cost`` configured for the executor (its fidelity must be the
    landscape's; an Evaluator's reference is checked against its g(r) bins first), or a default
    Evaluator on ``reference``."""
    if cost is None:
        reference = reference if reference is not None else landscape.reference
        if reference is None:
            raise ValueError("compute() needs a cost or a reference (path or PDF Dataset)")
        return Evaluator(reference, landscape.fidelity,
                         engine=get_engine(landscape.engine, threads=executor.md_threads))
    fid = cost_identity(cost).get("fidelity")
    if fid is not None:
        try:
            fid = get_fidelity(fid)
        except (ValueError, TypeError):  # a stand-in's own protocol label, not an MD fidelity
            fid = None
        if fid is not None and fid != landscape.fidelity:
            raise ValueError(f"the cost runs fidelity {fid.name!r} but the landscape is at "
                             f"{landscape.fidelity.name!r}; make them agree")
    cost = executor.configure(cost)
    if hasattr(cost, "check_grid"):  # an Evaluator: its reference must fit its g(r) bins before any MD
        cost.check_grid()
    return cost
