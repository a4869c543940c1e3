"""Computing a landscape grid: :meth:`Landscape.compute <silica_explorer.landscape.Landscape.compute>`
and its resume sidecar (an append-only ``<out>.points.jsonl`` of finished points and paths, rebuilt
from a landscape netCDF when missing; see "Resuming" in :mod:`silica_explorer.landscape`).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import xarray as xr

from ..evaluate import cost_identity
from ..fidelity import get_fidelity
from ..store import _json_default  # numpy scalars/arrays -> JSON, as in the evaluation store
from .datatree import _atomic_write, open_landscape
from .records import ProgressCallback, _fmt, _PointTask, point_key, point_record

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def sidecar_path(out: str | Path) -> Path:
    """``landscape.nc`` -> ``landscape.points.jsonl`` (the append-only record of finished points)."""
    out = Path(out)
    return out.with_name(out.stem + ".points.jsonl")


class _Sidecar:
    """Append-only JSON-lines file: a header line, then one line per finished point."""

    def __init__(self, path: Path, header: dict, resume: bool):
        self.path = path
        self.points: dict[str, dict] = {}
        self.paths: dict[str, dict] = {}
        self.previous_wall_s = 0.0
        self.note: str | None = None
        self.command: str | None = None
        if resume and path.exists():
            self._load(header)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w") as fh:
                fh.write(json.dumps({"landscape_header": 1, **header}) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        self._fh = open(path, "a")
        if resume and path.stat().st_size and not path.read_bytes().endswith(b"\n"):
            self._fh.write("\n")  # end a line torn by kill -9 so the next record starts cleanly

    def _load(self, header: dict) -> None:
        with open(self.path) as fh:
            lines = fh.read().splitlines()
        if not lines:
            raise ValueError(f"{self.path} is empty; delete it or pass resume=False")
        old = json.loads(lines[0])
        _check_header(old, header, self.path)
        for ln in lines[1:]:
            try:
                rec = json.loads(ln)
            except json.JSONDecodeError:  # a torn last line after kill -9
                continue
            if "key" in rec:
                self.points[rec["key"]] = rec
            elif "path" in rec:
                self.paths[rec["path"]] = rec
            elif "session_wall_time_s" in rec:
                self.previous_wall_s += float(rec["session_wall_time_s"])
                self.note = rec.get("note") or self.note
                self.command = rec.get("command") or self.command

    def append(self, rec: dict) -> None:
        self._fh.write(json.dumps(rec, allow_nan=True, default=_json_default) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def add_point(self, rec: dict) -> None:
        self.points[rec["key"]] = rec
        self.append(rec)

    def add_path(self, rec: dict) -> None:
        self.paths[rec["path"]] = rec
        self.append(rec)

    def close(self) -> None:
        self._fh.close()


def _open_sidecar(out: Path, header: dict, resume: bool) -> _Sidecar:
    """The sidecar of ``out``; when resuming a netCDF that has none (e.g. a copied or shipped file), one
    is rebuilt from the file's finished points and paths first."""
    side = sidecar_path(out)
    if resume and not side.exists() and out.exists():
        records, prev_wall, file_paths = _records_from_file(out, header)
        sidecar = _Sidecar(side, header, resume=False)
        for rec in records.values():
            sidecar.add_point(rec)
        for rec in file_paths.values():
            sidecar.add_path(rec)
        sidecar.append({"session_wall_time_s": prev_wall, "interrupted": False, "rebuilt_from": out.name,
                        "note": _tree_note(out)})
        sidecar.previous_wall_s = prev_wall
        sidecar.note = _tree_note(out)
        sidecar.command = _tree_note(out, "command")
        return sidecar
    return _Sidecar(side, header, resume)


def _tree_note(out: Path, attr: str = "note") -> str | None:
    with xr.open_datatree(out, engine="netcdf4") as tree:
        note = tree.attrs.get(attr)
    return None if note is None else str(note)


def _check_header(old: dict, new: dict, where) -> None:
    diffs = [k for k in ("x_param", "y_param", "base_parameters", "fidelity", "reference_id", "cost_options")
             if old.get(k) not in (None, "unknown") and new.get(k) not in (None, "unknown") and old[k] != new[k]]
    if diffs:
        raise ValueError(f"cannot resume from {where}: {', '.join(diffs)} differ from this landscape "
                         "(use another output file, or resume=False / --overwrite to start afresh)")


def portable_label(label: str) -> str:
    """A reference label without this machine's absolute path (landscape files travel between
    machines): a leading absolute path (the whole label, or the part before `` (``) becomes relative to
    the project (the folder holding ``silica_explorer/``) or to the working directory, else its file name;
    the reference's content hash (``reference_id``) identifies it either way."""
    path, sep, rest = (label, "", "") if Path(label).is_absolute() and Path(label).exists() else label.partition(" (")
    p = Path(path)
    if not p.is_absolute():
        return label
    for root in (PROJECT_ROOT, Path.cwd()):
        try:
            rel = p.resolve().relative_to(root.resolve())
            break
        except ValueError:
            continue
    else:
        rel = Path(p.name)
    return f"{rel.as_posix()}{sep}{rest}"


def _reference_label(reference) -> str:
    if reference is None:
        return "unknown"
    if isinstance(reference, (str, Path)):
        return str(reference)
    if isinstance(reference, xr.Dataset):
        return str(reference.attrs.get("name", reference.attrs.get("source", "in-memory reference")))
    return str(reference)


def _cost_options(identity: Mapping) -> dict:
    """The options of a cost that change R_x (r range, grid alignment), from its identity."""
    r_range = identity.get("r_range")
    return {"r_range": None if r_range is None else [float(v) for v in r_range],
            "align": str(identity.get("align") or "exact")}


def _records_from_file(out: Path, header: dict) -> tuple[dict[str, dict], float, dict[str, dict]]:
    """Finished points, previous wall time and optimizer paths of an existing landscape netCDF (used to
    resume without a sidecar)."""
    tree = open_landscape(out)
    attrs = tree.attrs
    old = {"x_param": attrs.get("x_param"), "y_param": attrs.get("y_param"), "reference_id": attrs.get("reference_id")}
    if "cost_options" in attrs:
        old["cost_options"] = json.loads(attrs["cost_options"])
    try:
        base = json.loads(attrs["base_parameters"])
        base.pop("silica_explorer_forcefield", None)
        base.pop("name", None)
        base.pop(header["x_param"], None)
        base.pop(header["y_param"], None)
        old["base_parameters"] = base
        old["fidelity"] = json.loads(attrs["fidelity"])
    except (KeyError, ValueError):
        raise ValueError(f"{out} is not a silica_explorer landscape file") from None
    _check_header(old, header, out)
    xn, yn = header["x_param"], header["y_param"]
    records: dict[str, dict] = {}
    for name in str(attrs.get("windows", "full")).split(","):
        if name not in tree.children:
            continue
        ds = tree[name].ds
        for s in ds.seed.values:
            for y in ds[yn].values:
                for x in ds[xn].values:
                    pt = ds.sel(seed=s, **{yn: y, xn: x})
                    status = str(pt.status.values)
                    if status == "pending":
                        continue
                    key = point_key(xn, x, yn, y, s)
                    records[key] = {"key": key, "x": float(x), "y": float(y), "seed": int(s), "status": status,
                                    "reason": str(pt.reason.values), "R_x": float(pt.R_x),
                                    "chi": {str(p): float(pt.chi.sel(pair=p)) for p in ds.pair.values},
                                    "wall_time_s": float(pt.wall_time_s),
                                    "engine_version": str(attrs.get("engine_version", ""))}
    paths = {}
    if "paths" in tree.children:
        for method, node in tree["paths"].children.items():
            ds = node.ds
            entries = [{v: (ds[v].values[i].item() if hasattr(ds[v].values[i], "item") else ds[v].values[i])
                        for v in (xn, yn, "R_x", "status", "reason", "kind", "phase", "seed") if v in ds}
                       for i in range(ds.sizes["iter"])]
            paths[method] = {"path": method, "entries": entries,
                             "attrs": {k: v for k, v in ds.attrs.items() if k != "method"}}
    return records, float(attrs.get("wall_time_s", 0.0)), paths


class ComputeMixin:
    """The grid-computing methods of :class:`~silica_explorer.landscape.Landscape`."""

    def compute(self, cost: Callable | None = None, executor=None, out: str | Path | None = None,
                resume: bool = True, progress: ProgressCallback | None = None, *, reference: Any = None,
                reference_name: str | None = None, write_every_s: float = 30.0,
                note: str | None = None, command: str | None = None) -> xr.DataTree:
        """Evaluate every missing point of every window and return the landscape as a DataTree.

        ``cost``: ``cost(forcefield, seed=s)`` returning an Evaluation, a mapping or a number (see
        :func:`point_record`); default an :class:`~silica_explorer.evaluate.Evaluator` on
        ``reference`` (or the constructor's) at this landscape's fidelity, with the executor's MD
        threads. ``executor``: a :mod:`silica_explorer.parallel` executor (default serial).
        ``out``: netCDF path (plus the ``.points.jsonl`` sidecar); ``resume`` skip points already
        there; ``progress(done, total, text)`` after every point; ``reference_name`` overrides the
        reference label recorded in the provenance; ``note`` free text stored in the attrs (e.g.
        "stand-in reference"; kept from the previous run when None), ``command`` the command line
        that ran it (attr ``command``). A failing point is recorded (status/reason) and the grid goes on.
        """
        from ..parallel import SerialExecutor

        t0 = time.perf_counter()
        own_executor = executor is None
        executor = SerialExecutor() if executor is None else executor
        try:
            cost = self._cost(cost, executor, reference)
            ident = cost_identity(cost)
            ref_name = reference_name or str(ident.get("reference") or
                                             _reference_label(reference if reference is not None else self.reference))
            header = self.header(portable_label(ref_name), str(ident.get("reference_id") or "unknown"),
                                 _cost_options(ident))
            sidecar = _open_sidecar(Path(out), header, resume) if out is not None else None
            out = Path(out) if out is not None else None
            records = dict(sidecar.points) if sidecar is not None else {}
            prev_wall = sidecar.previous_wall_s if sidecar is not None else 0.0
            paths = self._paths_from(sidecar.paths if sidecar is not None else {})
            todo = [p for p in self.points() if p[0] not in records]
            total = len(self.points())
            done = total - len(todo)
            if note is None and sidecar is not None:
                note = sidecar.note
            if command is None and sidecar is not None:
                command = sidecar.command
            meta = dict(reference=header["reference"], reference_id=header["reference_id"],
                        cost_options=header["cost_options"],
                        note=note, command=command, executor=executor.describe(), cost=ident["kind"],
                        engine_version=ident.get("engine_version"), previous_wall_s=prev_wall)
            if progress is not None:
                progress(done, total, f"{done} cached" if done else "start")
            last_write = time.monotonic()
            interrupted = True
            try:
                task = _PointTask(cost)
                ffs = [self.forcefield(x, y) for _, x, y, _ in todo]
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
                        txt = (f"{self.x.name}={_fmt(x)} {self.y.name}={_fmt(y)} "
                               + (f"R_x={100 * rec['R_x']:.2f}%" if rec["status"] == "ok" else "failed"))
                        progress(done, total, txt)
                    if out is not None and time.monotonic() - last_write > write_every_s:
                        _atomic_write(self.to_datatree(records, meta, time.perf_counter() - t0, paths), out)
                        last_write = time.monotonic()
                interrupted = False
            finally:
                wall = time.perf_counter() - t0
                if sidecar is not None:
                    sidecar.append({"session_wall_time_s": round(wall, 3), "interrupted": interrupted,
                                    "executor": meta["executor"], "note": meta["note"], "command": command})
                    sidecar.close()
                tree = self.to_datatree(records, meta, wall, paths)
                if out is not None:
                    _atomic_write(tree, out)
            return tree
        finally:
            if own_executor:
                executor.close()

    def _cost(self, cost, executor, reference):
        if cost is None:
            reference = reference if reference is not None else self.reference
            if reference is None:
                raise ValueError("compute() needs a cost or a reference (path or PDF Dataset)")
            from ..engine import get_engine
            from ..evaluate import Evaluator
            return Evaluator(reference, self.fidelity, engine=get_engine(self.engine, threads=executor.md_threads))
        fid = cost_identity(cost).get("fidelity")
        if fid is not None:
            try:
                fid = get_fidelity(fid)
            except (ValueError, TypeError):  # a stand-in's own protocol label, not an MD fidelity
                fid = None
            if fid is not None and fid != self.fidelity:
                raise ValueError(f"the cost runs fidelity {fid.name!r} but the landscape is at "
                                 f"{self.fidelity.name!r}; make them agree")
        cost = executor.configure(cost)
        if hasattr(cost, "check_grid"):  # an Evaluator: its reference must fit its g(r) bins before any MD
            cost.check_grid()
        return cost
