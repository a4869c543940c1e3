"""The resume sidecar of a landscape file: ``<out>.points.jsonl``, an append-only record of finished
points, optimizer paths and sessions (:class:`Sidecar`), rebuilt from a landscape netCDF when missing
(:func:`open_sidecar`); its header (:func:`resume_header`) refuses a resume against another landscape
or cost. See "Resuming" in :mod:`silica_explorer.landscape`.

Units: parameter values as in :data:`silica_explorer.forcefield.UNITS`; R_x and chi fractions; wall
times in s.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping

import xarray as xr

from ..store import json_default  # numpy scalars/arrays -> JSON, as in the evaluation store
from .files import open_landscape
from .landscape import Landscape, point_key

#: The folder holding ``silica_explorer/`` (reference labels are made relative to it).
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def sidecar_path(out: str | Path) -> Path:
    """``landscape.nc`` -> ``landscape.points.jsonl`` (the append-only record of finished points)."""
    out = Path(out)
    return out.with_name(out.stem + ".points.jsonl")


class Sidecar:
    """The resume file of a landscape (``<out>.points.jsonl``): append-only JSON lines, a header line
    (``landscape_header`` and :meth:`Landscape.header <silica_explorer.landscape.Landscape.header>`),
    then one line per finished point (``key``), optimizer path (``path``) or session
    (``session_wall_time_s``, s). Every line is flushed and fsync'ed as it is written.

    ``points``/``paths`` hold what a resumed file already has (by key / method), ``previous_wall_s``
    the wall time (s) of earlier sessions, ``note``/``command`` the last ones recorded."""

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
        self._fh.write(json.dumps(rec, allow_nan=True, default=json_default) + "\n")
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


def open_sidecar(out: Path, header: dict, resume: bool) -> Sidecar:
    """The sidecar of the landscape file ``out`` (with ``header``; ``resume=False`` starts it afresh);
    when resuming a netCDF that has none (e.g. a copied or shipped file), one
    is rebuilt from the file's finished points and paths first."""
    side = sidecar_path(out)
    if resume and not side.exists() and out.exists():
        records, prev_wall, file_paths = _records_from_file(out, header)
        sidecar = Sidecar(side, header, resume=False)
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
    return Sidecar(side, header, resume)


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


def cost_options(identity: Mapping) -> dict:
    """The options of a cost that change R_x (``r_range`` in A or None, grid ``align``), from its identity."""
    r_range = identity.get("r_range")
    return {"r_range": None if r_range is None else [float(v) for v in r_range],
            "align": str(identity.get("align") or "exact")}


def resume_header(landscape: Landscape, identity: Mapping, reference_label: str) -> dict:
    """The sidecar header of ``landscape`` computed with a cost of ``identity``
    (:func:`~silica_explorer.evaluate.cost_identity`) against the reference called ``reference_label``
    (made :func:`portable_label`)."""
    return landscape.header(portable_label(reference_label), str(identity.get("reference_id") or "unknown"),
                            cost_options(identity))


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
