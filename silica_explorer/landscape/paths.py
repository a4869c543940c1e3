"""Optimizer paths over a landscape: :func:`optimizer_paths` runs optimizers of
:mod:`silica_explorer.optimize` from one start on the 2-D problem of a
:class:`~silica_explorer.landscape.Landscape` and stores their evaluations as ``/paths/<method>``.

Units: parameters as in :data:`silica_explorer.forcefield.UNITS`; R_x fractions; times in s.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import time
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import xarray as xr

from ..evaluate import SafeTask, cost_identity, point_record
from ..store import json_default
from .files import atomic_write, path_datasets, provenance, to_datatree
from .landscape import Landscape, ProgressCallback
from .sidecar import open_sidecar, resume_header


#: Path methods whose model-based search takes a ``preset_starts`` option, directly or for their BO phase.
BO_FAMILY = ("bo", "turbo", "composite")
BO_THEN_CG = ("bo+cg", "turbo+cg")


def describe_starts(method: str, start: Sequence[float], options: Mapping) -> str:
    """Which starts a path's optimizer had, in words (stored with the path, shown by the app)."""
    at = f"({start[0]:.4g}, {start[1]:.4g})"
    if method == "cg":
        return f"the start point {at} only"
    if method == "random":
        return "random points over the window (the start point is not used)"
    bo = options.get("bo_options", {}) if method in BO_THEN_CG else options
    presets = bo.get("preset_starts", True)
    text = f"the start point {at}, then a space-filling design"
    text += (", and every preset inside the window" if presets is True
             else f", and the presets {', '.join(presets)}" if presets else "; no preset starts")
    return text + ("; CG from BO's best point" if method in BO_THEN_CG else "")


def optimizer_paths(landscape: Landscape, cost: Callable, methods: Sequence[str] = ("bo", "cg"),
                    start: tuple[float, float] | None = None, n_iter: int = 20, seed: int = 0,
                    out: str | Path | None = None, executor=None, options: Mapping | None = None,
                    progress: ProgressCallback | None = None, *, reference_name: str | None = None,
                    preset_starts: bool = False) -> dict[str, xr.Dataset]:
    """Run optimizers of :mod:`silica_explorer.optimize` from the same ``start`` on the 2-D problem of
    ``landscape`` (search box = its full window, other parameters at its ``base``) and store their paths.

    ``methods``: optimizer names (``bo``, ``cg``, ``random``, ``bo+cg``); ``start`` ``(x, y)``
    (default: the base preset's values clipped into the window) - BO evaluates it first (then its
    space-filling design and EI proposals), CG starts from it; ``n_iter`` evaluations per method;
    ``seed`` the optimizers' random state; the MD seed is the landscape's first seed (common random
    numbers). ``options``: ``{method: {keyword: value}}`` for the optimizer constructors.
    ``preset_starts``: whether the BO-family methods also start from every preset inside the window
    (default False: the paper's Fig. 4 shows what each method finds from the one start by itself; a
    preset projected into the window can sit in the valley and hand BO the answer). Each path's attrs
    say which starts it had (``starts``).

    Every evaluation goes through the landscape's point cache (the ``out`` sidecar), so an
    interrupted call resumes without re-running MD and points shared with the grid are reused.
    With an executor of >= 2 workers the methods run concurrently (one evaluation in flight each).
    Returns ``{method: Dataset}`` (dim ``iter``: the two parameters, ``R_x``, ``best_R_x``,
    ``status``, ``reason``, ``kind``, ``phase``); with ``out`` they are written as
    ``/paths/<method>`` next to the windows."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from ..optimize import SearchSpace, fit
    from ..parallel import SerialExecutor

    t0 = time.perf_counter()
    own_executor = executor is None
    executor = SerialExecutor() if executor is None else executor
    options = {m: dict(v) for m, v in (options or {}).items()}
    try:
        names = (landscape.x.name, landscape.y.name)
        bounds = {landscape.x.name: (landscape.x.start, landscape.x.stop),
                  landscape.y.name: (landscape.y.start, landscape.y.stop)}
        space = SearchSpace(names, base=landscape.base, bounds=bounds)
        if start is None:
            start = (float(np.clip(getattr(landscape.base, landscape.x.name), landscape.x.start, landscape.x.stop)),
                     float(np.clip(getattr(landscape.base, landscape.y.name), landscape.y.start, landscape.y.stop)))
        start = (float(start[0]), float(start[1]))
        u0 = space.to_unit(np.array(start))
        if not space.contains_unit(u0):
            raise ValueError(f"path start {start} lies outside the full window {landscape.x} x {landscape.y}")
        cost = executor.configure(cost)
        ident = cost_identity(cost)
        ref_name = reference_name or str(ident.get("reference") or "unknown")
        header = resume_header(landscape, ident, ref_name)
        sidecar = open_sidecar(Path(out), header, resume=True) if out is not None else None
        records: dict[str, dict] = dict(sidecar.points) if sidecar is not None else {}
        lock = threading.Lock()
        inflight: dict[str, threading.Event] = {}
        task = SafeTask(cost, point_record, timed=True)
        md_seed = landscape.seeds[0]
        total = n_iter * len(methods)
        count = [0]

        def point_cost(ff, seed=md_seed):
            k = landscape.key(getattr(ff, landscape.x.name), getattr(ff, landscape.y.name), seed)
            with lock:
                rec = records.get(k)
                wait = inflight.get(k) if rec is None else None
                if rec is None and wait is None:
                    inflight[k] = threading.Event()
            if wait is not None:  # the other optimizer is evaluating this very point (e.g. the start)
                wait.wait()
                with lock:
                    rec = records[k]
            if rec is None:
                [done] = list(executor.map(task, [ff], [seed], errors="return"))
                rec = point_record(done.result)
                rec.update(key=k, x=float(getattr(ff, landscape.x.name)), y=float(getattr(ff, landscape.y.name)),
                           seed=int(seed),
                           finished=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
                with lock:
                    records[k] = rec
                    if sidecar is not None:
                        sidecar.add_point(rec)
                    inflight.pop(k).set()
            return {k2: rec[k2] for k2 in ("status", "reason", "R_x", "chi", "wall_time_s")}

        def run_one(method: str) -> tuple[str, dict]:
            opts = dict(options.get(method, {}))
            if method in BO_FAMILY:
                opts.setdefault("preset_starts", preset_starts)
            elif method in BO_THEN_CG:
                opts["bo_options"] = {"preset_starts": preset_starts, **dict(opts.get("bo_options", {}))}
            method_space = space
            if method == "bo":  # BO's design starts with its base set: the path's start point
                method_space = SearchSpace(names, base=space.forcefield(u0), bounds=bounds)
            elif method == "cg":
                opts.setdefault("x0", u0)

            def callback(entry):
                with lock:
                    count[0] += 1
                    if progress is not None:
                        r = entry["R_x"]
                        progress(count[0], total, f"{method} #{entry['n']}: "
                                 + (f"R_x={100 * r:.2f}%" if math.isfinite(r) else "failed"))

            result = fit(point_cost, method_space, method, budget=n_iter, seed=seed, md_seed=md_seed,
                         options=opts, callback=callback)
            entries = []
            for e in result.objective.entries:
                prop = e.get("proposal") or {}
                entries.append({landscape.x.name: e["params"][landscape.x.name],
                                landscape.y.name: e["params"][landscape.y.name],
                                "R_x": e["R_x"], "status": e["status"], "reason": e.get("reason") or "",
                                "kind": str(prop.get("kind", "")), "phase": str(e.get("phase") or method),
                                "seed": md_seed})
            opt = result.optimizer
            attrs = {"start": json.dumps(list(start)), "starts": describe_starts(method, start, opts),
                     "budget": int(n_iter), "random_state": int(seed),
                     "md_seed": int(md_seed), "stop_reason": str(result.stop_reason),
                     "optimizer_options": json.dumps(opt.get_params() if hasattr(opt, "get_params") else {},
                                                     default=json_default),
                     "message": str(getattr(opt, "message_", "") or "")}
            return method, {"path": method, "entries": entries, "attrs": attrs}

        if progress is not None:
            progress(0, total, "paths")
        if executor.workers >= 2 and len(methods) > 1:
            with ThreadPoolExecutor(max_workers=min(len(methods), executor.workers)) as pool:
                results = list(pool.map(run_one, methods))
        else:
            results = [run_one(m) for m in methods]
        path_recs = dict(sidecar.paths) if sidecar is not None else {}
        for method, rec in results:
            path_recs[method] = rec
            if sidecar is not None:
                sidecar.add_path(rec)
        paths = path_datasets(landscape, path_recs)
        if sidecar is not None:
            wall = time.perf_counter() - t0
            sidecar.append({"session_wall_time_s": round(wall, 3), "interrupted": False,
                            "executor": executor.describe(), "paths": list(methods), "note": sidecar.note,
                            "command": sidecar.command})
            prev = sidecar.previous_wall_s
            sidecar.close()
            meta = provenance(header, ident, executor.describe(), sidecar.note, sidecar.command, prev)
            atomic_write(to_datatree(landscape, records, meta, wall, paths), Path(out))
        return {m: paths[m] for m in methods}
    finally:
        if own_executor:
            executor.close()
