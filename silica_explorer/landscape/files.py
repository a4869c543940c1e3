"""The landscape file format: the window and path Datasets of a :class:`~silica_explorer.landscape.Landscape`,
the whole landscape as an ``xarray.DataTree`` (:func:`to_datatree`), and reading (:func:`open_landscape`)
and atomically writing (:func:`atomic_write`) it as netCDF4 with groups (layout: :mod:`silica_explorer.landscape`).

Units: parameters as in :data:`silica_explorer.forcefield.UNITS` (coordinate attrs ``units``); R_x and
chi are fractions (``units`` "1"); wall times in s.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import warnings
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import xarray as xr

from .. import __version__
from ..evaluate import as_float
from ..forcefield import PRESETS
from ..parameters import PAIRS, UNITS
from .landscape import Landscape, Window


def _attr(v):
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


def atomic_write(tree: xr.DataTree, out: str | Path) -> None:
    """Write ``tree`` to the netCDF4 file ``out`` atomically: to a temporary file next to it, then renamed
    over it (a reader never sees a half-written file; a crash leaves the old one)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        tree.to_netcdf(tmp, engine="netcdf4")
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()


def open_landscape(path: str | Path) -> xr.DataTree:
    """Load a landscape file fully into memory (the file is closed again) as a DataTree:
    ``tree["full"].ds``, ``tree["zoom"].ds``, ``tree["paths/bo"].ds``, provenance in ``tree.attrs``."""
    with xr.open_datatree(path, engine="netcdf4") as tree:
        return tree.load().copy()


def window_dataset(landscape: Landscape, window: Window, records: Mapping[str, dict]) -> xr.Dataset:
    """The Dataset of one window from point records (missing points are "pending")."""
    xv, yv, seeds = window.x.values, window.y.values, list(landscape.seeds)
    shape = (len(seeds), len(yv), len(xv))
    R = np.full(shape, np.nan)
    chi = np.full((len(PAIRS),) + shape, np.nan)
    wall = np.full(shape, np.nan)
    status = np.full(shape, "pending", dtype=object)
    reason = np.full(shape, "", dtype=object)
    for si, s in enumerate(seeds):
        for iy, y in enumerate(yv):
            for ix, x in enumerate(xv):
                rec = records.get(landscape.key(x, y, s))
                if rec is None:
                    continue
                status[si, iy, ix] = rec["status"]
                reason[si, iy, ix] = rec.get("reason") or ""
                R[si, iy, ix] = as_float(rec.get("R_x"))
                wall[si, iy, ix] = as_float(rec.get("wall_time_s"))
                for pi, p in enumerate(PAIRS):
                    chi[pi, si, iy, ix] = as_float((rec.get("chi") or {}).get(p))
    xn, yn = window.x.name, window.y.name
    dims = ("seed", yn, xn)
    ok = status == "ok"
    n_ok = ok.sum(axis=0)
    R_ok = np.where(ok, R, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        mean = np.nanmean(R_ok, axis=0)
        std = np.where(n_ok > 1, np.nanstd(R_ok, axis=0, ddof=1), np.nan)
    frac = {"units": "1", "note": "fraction; x100 for %"}
    ds = xr.Dataset(
        {
            "R_x": (dims, R, {"long_name": "global cost R_x = sqrt(mean chi2)", **frac}),
            "chi": (("pair",) + dims, chi, {"long_name": "per-pair chi = sqrt(chi2)", **frac}),
            "status": (dims, status, {"long_name": "evaluation status: ok, failed or pending"}),
            "reason": (dims, reason, {"long_name": "why the evaluation failed (empty if ok)"}),
            "wall_time_s": (dims, wall, {"long_name": "wall time of one evaluation", "units": "s"}),
            "R_x_mean": ((yn, xn), mean, {"long_name": "R_x averaged over ok seeds", **frac}),
            "R_x_std": ((yn, xn), std, {"long_name": "sample std of R_x over ok seeds (nan if < 2)", **frac}),
            "n_ok": ((yn, xn), n_ok.astype(np.int32), {"long_name": "number of ok seeds"}),
        },
        coords={
            "seed": ("seed", np.array(seeds, dtype=np.int64), {"long_name": "MD seed"}),
            yn: (yn, yv, {"units": UNITS[yn], "long_name": yn}),
            xn: (xn, xv, {"units": UNITS[xn], "long_name": xn}),
            "pair": ("pair", np.array(PAIRS, dtype=object)),
        },
    )
    n_pending = int((status == "pending").sum())
    ds.attrs = {
        "window": window.name, "x_param": xn, "y_param": yn,
        "x_axis": str(window.x), "y_axis": str(window.y),
        "x_step": float(window.x.step), "y_step": float(window.y.step),
        "n_points": int(status.size), "n_ok": int(ok.sum()), "n_failed": int((status == "failed").sum()),
        "n_pending": n_pending, "complete": int(n_pending == 0),
    }
    return ds

def paths_dataset(landscape: Landscape, method: str, points: Sequence[dict], **attrs) -> xr.Dataset:
    """An optimizer path (evaluations in order, each a dict with the two parameters, ``R_x`` and
    ``status``) as a Dataset over ``iter``."""
    n = len(points)
    xs = np.array([as_float(p[landscape.x.name]) for p in points])
    ys = np.array([as_float(p[landscape.y.name]) for p in points])
    R = np.array([as_float(p.get("R_x")) if p.get("status", "ok") == "ok" else np.nan for p in points])
    best = np.fmin.accumulate(R) if n else R
    ds = xr.Dataset(
        {
            landscape.x.name: ("iter", xs, {"units": UNITS[landscape.x.name]}),
            landscape.y.name: ("iter", ys, {"units": UNITS[landscape.y.name]}),
            "R_x": ("iter", R, {"units": "1", "long_name": "R_x of the evaluation (fraction)"}),
            "best_R_x": ("iter", best, {"units": "1", "long_name": "running minimum of R_x"}),
            "status": ("iter", np.array([str(p.get("status", "ok")) for p in points], dtype=object)),
            "reason": ("iter", np.array([str(p.get("reason") or "") for p in points], dtype=object)),
            "kind": ("iter", np.array([str(p.get("kind") or "") for p in points], dtype=object),
                     {"long_name": "how the optimizer chose the point (initial, sobol, ei, cg-point, cg-fd, ...)"}),
            "phase": ("iter", np.array([str(p.get("phase") or method) for p in points], dtype=object)),
            "seed": ("iter", np.array([int(p.get("seed", 0)) for p in points], dtype=np.int64)),
        },
        coords={"iter": ("iter", np.arange(n, dtype=np.int64), {"long_name": "evaluation number"})},
    )
    ds.attrs = {"method": method, **{k: _attr(v) for k, v in attrs.items() if v is not None}}
    return ds

def provenance(header: Mapping, identity: Mapping, executor: Mapping, note: str | None = None,
               command: str | None = None, previous_wall_s: float = 0.0) -> dict:
    """The ``meta`` of :func:`to_datatree`: the reference, its ``reference_id`` and the cost options of
    the sidecar ``header``; the cost's ``kind`` and ``engine_version`` from its ``identity``; the
    ``executor``'s description (workers, MD threads, cores); ``note``, ``command``; and the wall time
    (s) of earlier sessions."""
    return dict(reference=header["reference"], reference_id=header["reference_id"],
                cost_options=header["cost_options"], note=note, command=command, executor=executor,
                cost=identity["kind"], engine_version=identity.get("engine_version"), previous_wall_s=previous_wall_s)


def to_datatree(landscape: Landscape, records: Mapping[str, dict], meta: Mapping | None = None,
                wall_time_s: float = 0.0, paths: Mapping[str, xr.Dataset] | None = None) -> xr.DataTree:
    """The whole landscape (root provenance, one group per window, optional paths) as a DataTree.

    ``records``: point records by key (:func:`~silica_explorer.evaluate.point_record` plus ``key``,
    ``x``, ``y``, ``seed``); ``meta``: provenance (:func:`provenance`); ``wall_time_s`` this session's
    wall time (s); ``paths`` optimizer path Datasets by method (:func:`paths_dataset`)."""
    meta = dict(meta or {})
    groups: dict[str, xr.Dataset] = {}
    for w in landscape.windows:
        groups[w.name] = window_dataset(landscape, w, records)
    for name, ds in (paths or {}).items():
        groups[f"paths/{name}"] = ds
    wall_points = float(np.nansum([as_float(r.get("wall_time_s")) for r in records.values()]))
    engine_version = meta.get("engine_version") or next(
        (r["engine_version"] for r in records.values() if r.get("engine_version")), "unknown")
    executor = meta.get("executor") or {}
    root = xr.Dataset(attrs={k: _attr(v) for k, v in {
        "title": (f"R_x cost landscape over ({landscape.x.name}, {landscape.y.name}), "
                  f"other parameters at {landscape.base_name}"),
        "x_param": landscape.x.name, "y_param": landscape.y.name,
        "windows": ",".join(w.name for w in landscape.windows),
        "base_preset": landscape.base_name if landscape.base_name in PRESETS else f"custom ({landscape.base_name})",
        "base_parameters": landscape.base.to_json(),
        "fidelity_name": landscape.fidelity.name,
        "fidelity": json.dumps(landscape.fidelity.as_dict()),
        "seeds": json.dumps(list(landscape.seeds)),
        "reference": meta.get("reference", "unknown"),
        "reference_id": meta.get("reference_id", "unknown"),
        "cost_options": meta.get("cost_options"),
        "note": meta.get("note"),
        "command": meta.get("command"),
        "engine_version": engine_version,
        "silica_explorer_version": __version__,
        "cost": meta.get("cost"),
        "executor": json.dumps(executor),
        "workers": executor.get("workers"),
        "md_threads": executor.get("md_threads"),
        "cores": executor.get("cores"),
        "wall_time_s": round(float(meta.get("previous_wall_s", 0.0)) + float(wall_time_s), 3),
        "evaluation_wall_time_s": round(wall_points, 3),
        "n_evaluations": len(records),
        "updated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "Conventions": "silica_explorer landscape 1; R_x and chi are fractions",
    }.items() if v is not None})
    return xr.DataTree.from_dict({"/": root, **groups})

def path_datasets(landscape: Landscape, path_recs: Mapping[str, dict]) -> dict[str, xr.Dataset]:
    """``{method: Dataset}`` (:func:`paths_dataset`) of stored path records ``{method: {"entries": [...],
    "attrs": {...}}}`` (as the resume sidecar keeps them)."""
    return {m: paths_dataset(landscape, m, rec["entries"], **rec.get("attrs", {})) for m, rec in path_recs.items()}
