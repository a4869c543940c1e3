"""Grid-point records of a landscape: the point key, the compact JSON-able record of one evaluation
(:func:`point_record`) and the never-raising task executors run for one point.

A record has ``status`` ("ok" or "failed"), ``reason``, ``R_x`` and ``chi`` per pair (fractions),
``wall_time_s`` (s) and a few provenance fields; a point is keyed by its two parameter values (10
significant digits) and MD seed (:func:`point_key`).
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable, Mapping

import numpy as np

from ..forcefield import ForceField

#: ``progress(done_points, total_points, text)`` - same shape as the engine's progress callback.
ProgressCallback = Callable[[int, int, str], None]

_KEEP_RECORD = ("timestamp", "host", "engine", "engine_version", "md_steps_per_s", "warm_start",
                "mean_temperature_K", "mean_pressure_bar", "mean_potential_energy_eV", "cost_r_range_A",
                "silica_explorer_version")


def _fmt(v: float) -> str:
    return f"{float(v):.10g}"


def _clean(v: float) -> float:
    """A grid value rounded to 10 significant digits (so 1.9 from two linspaces is the same float)."""
    return float(_fmt(v))


def point_key(x_name: str, x: float, y_name: str, y: float, seed: int) -> str:
    """The key of one grid point and seed, e.g. ``q_Si=1.9,A_SiO=20000,seed=0``."""
    return f"{x_name}={_fmt(x)},{y_name}={_fmt(y)},seed={int(seed)}"


def point_record(result: Any) -> dict:
    """A compact JSON-able record of one evaluation: ``status``, ``reason``, ``R_x``, ``chi`` (per
    pair), ``wall_time_s`` and, for an :class:`~silica_explorer.evaluate.Evaluation`, a few provenance
    fields (engine version, mean temperature and pressure, timestamp, host).

    ``result`` may be an Evaluation (or anything with ``status``/``R_x``), a mapping with those keys,
    a :class:`~silica_explorer.parallel.TaskFailure`, or a plain number (the cost). A non-finite cost
    is a failed point."""
    rec: dict[str, Any] = {"status": "ok", "reason": "", "R_x": float("nan"), "chi": {}, "wall_time_s": float("nan")}
    if result is None:
        rec.update(status="failed", reason="cost returned None")
    elif isinstance(result, (int, float, np.floating, np.integer)):
        rec["R_x"] = float(result)
    elif isinstance(result, Mapping):
        rec["status"] = str(result.get("status", "ok"))
        rec["reason"] = str(result.get("reason") or "")
        rec["R_x"] = _float(result.get("R_x"))
        rec["chi"] = {k: _float(v) for k, v in (result.get("chi") or {}).items()}
        rec["wall_time_s"] = _float(result.get("wall_time_s"))
        for k in _KEEP_RECORD:
            if k in result:
                rec[k] = result[k]
    elif hasattr(result, "status"):
        rec["status"] = str(result.status)
        rec["reason"] = str(getattr(result, "reason", "") or "")
        rec["R_x"] = _float(getattr(result, "R_x", None))
        rec["chi"] = {k: _float(v) for k, v in (getattr(result, "chi", None) or {}).items()}
        melt = getattr(result, "melt", None)
        if melt is not None and hasattr(melt, "wall_time_s"):
            rec["wall_time_s"] = _float(melt.wall_time_s)
        if hasattr(result, "record"):
            try:
                full = result.record()
                rec.update({k: full[k] for k in _KEEP_RECORD if k in full and full[k] is not None})
            except Exception:  # provenance is best effort
                pass
    else:
        rec.update(status="failed", reason=f"cost returned an unsupported {type(result).__name__}")
    if rec["status"] == "ok" and not math.isfinite(rec["R_x"]):
        rec.update(status="failed", reason=rec["reason"] or "nan: non-finite cost")
    if rec["status"] != "ok":
        rec["R_x"] = float("nan")
        rec["status"] = "failed"
        rec["reason"] = rec["reason"] or "failed (no reason given)"
    return rec


def _float(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


class _PointTask:
    """The function executors run for one grid point: the cost, made never-raising and compact."""

    def __init__(self, cost: Callable):
        self.cost = cost

    def __call__(self, forcefield: ForceField, seed: int = 0) -> dict:
        t0 = time.perf_counter()
        try:
            result = self.cost(forcefield, seed=seed)
        except Exception as exc:  # one bad point never stops a grid
            return point_record({"status": "failed", "reason": f"error: {type(exc).__name__}: {exc}",
                                 "wall_time_s": time.perf_counter() - t0})
        rec = point_record(result)
        if not math.isfinite(rec["wall_time_s"]):
            rec["wall_time_s"] = time.perf_counter() - t0
        return rec
