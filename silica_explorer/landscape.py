"""Cost landscapes: R_x on a grid of two forcefield parameters, the others fixed at a base preset.

This is the paper's Fig. 4 (Liu et al. 2019): R_x over (q_Si, A_SiO) with the other 8 parameters at
their BKS values - rough, and rougher when zoomed in (Fig. 4b)::

    ls = Landscape(x=("q_Si", 1.6, 2.6, 21), y=("A_SiO", 12000, 30000, 21), base="BKS",
                   fidelity="quick", seeds=(0,))
    ls.zoom(x=("q_Si", 1.9, 2.1, 11), y=("A_SiO", 17000, 21000, 11))      # finer sub-window
    with DaskExecutor(workers=2) as ex:
        tree = ls.compute(reference="data/reference/sio2_3600K_chgnet.nc", executor=ex,
                          out="landscape.nc", progress=callback)
    tree["full"].ds.R_x.sel(seed=0).plot()       # dims (seed, A_SiO, q_Si)

**File layout** (netCDF4 with groups, read with :func:`open_landscape` or
``xarray.open_datatree``; a single window with ``xarray.open_dataset(path, group="full")``):

- ``/`` attributes only: provenance (base preset and full base parameters JSON, fidelity JSON, seeds,
  reference, engine version, silica_explorer version, wall times, executor workers/threads/cores).
- ``/full`` and one group per zoom window (``/zoom``, then ``/zoom2``, ``/zoom3``, ...): a Dataset with
  dims ``seed``, ``<y param>``, ``<x param>`` (e.g. ``A_SiO``, ``q_Si``; coordinates carry ``units``)
  and ``pair`` (SiSi, SiO, OO); variables ``R_x`` (seed, y, x; fraction, NaN unless status is ok),
  ``chi`` (pair, seed, y, x; sqrt(chi2) per pair, fraction), ``status`` ("ok", "failed" or "pending"),
  ``reason`` (why a point failed, "" otherwise), ``wall_time_s`` (s per evaluation), and over seeds
  ``R_x_mean``, ``R_x_std`` (NaN with fewer than 2 ok seeds) and ``n_ok`` (y, x).
- ``/paths/<method>`` (``bo``, ``cg``, ...): optimizer paths from one start over the same 2-D problem,
  dim ``iter`` with the two parameters, ``R_x``, ``status`` and ``best_R_x`` (running minimum) per
  evaluation in order (see :meth:`Landscape.optimizer_paths`).

**Resuming.** Every finished point is appended (and fsync'ed) to a sidecar ``<out>.points.jsonl``
as it completes; the netCDF is rebuilt from it every ``write_every_s`` seconds and at the end
(atomically: written to a temporary file, then renamed). After a crash or ``kill -9`` at most the
evaluations in flight are lost: ``compute(..., resume=True)`` (the default) skips every point in the
sidecar (or, without a sidecar, every finished point in an existing ``out``). Points are keyed by
their two parameter values (10 significant digits) and seed, so a zoom window reuses the full grid's
points where they coincide, and an extended grid reuses the old one. Resuming against a different
base forcefield, fidelity, reference or parameter pair is refused.

Units: parameters as in :data:`silica_explorer.forcefield.UNITS`; R_x and chi are fractions (x100
for %); times in s.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os
import time
import warnings
import zlib
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import xarray as xr

from . import __version__
from .fidelity import Fidelity, get_fidelity
from .forcefield import FREE_PARAMETERS, PAIRS, PRESETS, UNITS, ForceField, ParameterError
from .evaluate import cost_identity
from .store import _json_default  # numpy scalars/arrays -> JSON, as in the evaluation store

__all__ = ["Axis", "Window", "Landscape", "open_landscape", "point_record", "SyntheticCost",
           "local_minima_fraction", "high_frequency_power", "roughness", "sidecar_path"]

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


# ===================================================================================== grid spec
@dataclasses.dataclass(frozen=True)
class Axis:
    """One grid axis: parameter ``name`` from ``start`` to ``stop`` (inclusive, in the parameter's
    units) in ``n`` evenly spaced points."""

    name: str
    start: float
    stop: float
    n: int

    def __post_init__(self) -> None:
        if self.name not in ForceField.parameter_names():
            raise ParameterError(f"unknown parameter {self.name!r}; allowed: {list(FREE_PARAMETERS)}")
        try:
            start, stop, n = float(self.start), float(self.stop), int(self.n)
        except (TypeError, ValueError):
            raise ValueError(f"axis {self.name}: start, stop must be numbers and n an integer, got "
                             f"{self.start!r}, {self.stop!r}, {self.n!r}") from None
        if not (math.isfinite(start) and math.isfinite(stop)):
            raise ValueError(f"axis {self.name}: start and stop must be finite")
        if n < 1 or (n > 1 and not stop > start) or (n == 1 and stop != start):
            raise ValueError(f"axis {self.name}: need n >= 2 and stop > start (or n = 1 and start = stop), "
                             f"got {start:g}:{stop:g}:{n}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "stop", stop)
        object.__setattr__(self, "n", n)

    @classmethod
    def parse(cls, spec: "Axis | str | Sequence") -> "Axis":
        """From an Axis, a tuple ``(name, start, stop, n)`` or a string ``"name:start:stop:n"``."""
        if isinstance(spec, Axis):
            return spec
        if isinstance(spec, str):
            parts = spec.split(":")
            if len(parts) != 4:
                raise ValueError(f"axis {spec!r} must look like NAME:START:STOP:N, e.g. q_Si:1.6:2.6:21")
            name, start, stop, n = parts
            try:
                return cls(name.strip(), float(start), float(stop), int(n))
            except ValueError as exc:
                if "axis" in str(exc) or "parameter" in str(exc):
                    raise
                raise ValueError(f"axis {spec!r} must look like NAME:START:STOP:N with numbers, "
                                 "e.g. q_Si:1.6:2.6:21") from None
        if len(spec) != 4:
            raise ValueError(f"axis {spec!r} must be (name, start, stop, n)")
        return cls(*spec)

    @property
    def values(self) -> np.ndarray:
        return np.array([_clean(v) for v in np.linspace(self.start, self.stop, self.n)])

    @property
    def step(self) -> float:
        return (self.stop - self.start) / (self.n - 1) if self.n > 1 else 0.0

    def __str__(self) -> str:
        return f"{self.name}:{self.start:g}:{self.stop:g}:{self.n}"


@dataclasses.dataclass(frozen=True)
class Window:
    """A named rectangular grid over two parameters."""

    name: str
    x: Axis
    y: Axis


# ===================================================================================== results
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


# ===================================================================================== sidecar
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


# ===================================================================================== landscape
class Landscape:
    """R_x on a grid of two parameters ``x`` and ``y`` with all others fixed at ``base``.

    Parameters: ``x``, ``y`` axes as ``(name, start, stop, n)``, ``"name:start:stop:n"`` or
    :class:`Axis` (units of the parameter, see :data:`~silica_explorer.forcefield.UNITS`); ``base`` a
    preset name or :class:`~silica_explorer.forcefield.ForceField`; ``fidelity`` preset name or
    :class:`~silica_explorer.fidelity.Fidelity` of every evaluation; ``seeds`` evaluated at every
    point (their spread measures the noise); ``zoom`` finer sub-windows, each ``(x_axis, y_axis)``
    (also :meth:`zoom`); ``reference`` default reference for :meth:`compute` without a cost;
    ``engine`` the MD engine of that default cost (``"lammps"`` or ``"hoomd"``).
    """

    def __init__(self, x, y, base: str | ForceField = "BKS", fidelity: str | Fidelity = "quick",
                 seeds: Sequence[int] | int = (0,), zoom: Iterable | None = None,
                 reference: Any = None, engine: str = "lammps"):
        from .engine import check_engine_name
        self.engine = check_engine_name(engine)
        self.x = Axis.parse(x)
        self.y = Axis.parse(y)
        if self.x.name == self.y.name:
            raise ValueError(f"x and y are the same parameter {self.x.name!r}")
        if isinstance(base, ForceField):
            self.base, self.base_name = base, base.name
        else:
            self.base, self.base_name = ForceField.preset(base), ForceField.preset(base).name
        self.fidelity = get_fidelity(fidelity)
        seeds = [int(seeds)] if isinstance(seeds, (int, np.integer)) else [int(s) for s in seeds]
        if not seeds or len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be one or more distinct integers, got {seeds}")
        self.seeds = tuple(seeds)
        self.reference = reference
        self.windows: list[Window] = [Window("full", self.x, self.y)]
        for z in zoom or ():
            if isinstance(z, Window):
                self.zoom(z.x, z.y, name=z.name)
            else:
                self.zoom(*z)
        # check every point of every window builds a valid forcefield before any MD runs
        for w in self.windows:
            for xv in (w.x.values[0], w.x.values[-1]):
                for yv in (w.y.values[0], w.y.values[-1]):
                    self.forcefield(xv, yv)

    # ----------------------------------------------------------------------------- windows
    def zoom(self, x, y, name: str | None = None) -> "Landscape":
        """Add a finer sub-window (same two parameters, inside the full window, smaller steps).
        Named ``zoom``, ``zoom2``, ... unless ``name`` is given. Returns ``self``."""
        x, y = Axis.parse(x), Axis.parse(y)
        if (x.name, y.name) == (self.y.name, self.x.name):
            x, y = y, x
        if (x.name, y.name) != (self.x.name, self.y.name):
            raise ValueError(f"zoom axes ({x.name}, {y.name}) must be the landscape's ({self.x.name}, {self.y.name})")
        for z, full in ((x, self.x), (y, self.y)):
            tol = 1e-9 * max(1.0, abs(full.stop - full.start))
            if z.start < full.start - tol or z.stop > full.stop + tol:
                raise ValueError(f"zoom {z} lies outside the full window {full}")
            if z.n > 1 and full.n > 1 and not z.step < full.step * (1 - 1e-9):
                raise ValueError(f"zoom {z} has step {z.step:g}, not finer than the full window's {full.step:g}")
        existing = [w.name for w in self.windows]
        if name is None:
            name = "zoom" if "zoom" not in existing else f"zoom{len(existing)}"
        if name in existing or not name.isidentifier() or name == "paths":
            raise ValueError(f"window name {name!r} is taken or not a valid identifier")
        self.windows.append(Window(name, x, y))
        return self

    def zoom_around(self, full: xr.Dataset, steps: int = 2, refine: int = 2, name: str | None = None,
                    var: str = "R_x_mean") -> "Landscape":
        """Add a zoom window centred on the lowest ``var`` of a computed full window (the paper's
        Fig. 4b): ``steps`` full-grid steps either side (shifted to stay inside the full window),
        ``refine`` times finer, so every ``refine``-th zoom point is a full-grid point (reused, not
        re-run). Returns ``self``; raises ValueError when ``full`` has no finite ``var``."""
        if steps < 1 or refine < 2:
            raise ValueError(f"need steps >= 1 and refine >= 2, got steps={steps}, refine={refine}")
        da = full[var]
        if "seed" in da.dims:
            da = da.mean("seed")
        if not bool(da.notnull().any()):
            raise ValueError("cannot zoom around the minimum: no finite R_x in the full window yet")
        best = da.isel(da.fillna(np.inf).argmin(...))
        axes = []
        for ax in (self.x, self.y):
            c = int(np.argmin(np.abs(ax.values - float(best[ax.name]))))
            lo = min(max(c - steps, 0), max(ax.n - 1 - 2 * steps, 0))
            hi = min(lo + 2 * steps, ax.n - 1)
            axes.append(Axis(ax.name, ax.values[lo], ax.values[hi], (hi - lo) * refine + 1))
        return self.zoom(axes[0], axes[1], name=name)

    def forcefield(self, x: float, y: float) -> ForceField:
        """The forcefield at grid point (x, y): ``base`` with the two parameters replaced."""
        ff = self.base.replace(**{self.x.name: float(x), self.y.name: float(y)})
        return dataclasses.replace(ff, name=f"{self.base_name} {self.x.name}={_fmt(x)} {self.y.name}={_fmt(y)}")

    def key(self, x: float, y: float, seed: int) -> str:
        return f"{self.x.name}={_fmt(x)},{self.y.name}={_fmt(y)},seed={int(seed)}"

    def points(self) -> list[tuple[str, float, float, int]]:
        """Unique ``(key, x, y, seed)`` of all windows, full window first."""
        seen, out = set(), []
        for w in self.windows:
            for yv in w.y.values:
                for xv in w.x.values:
                    for s in self.seeds:
                        k = self.key(xv, yv, s)
                        if k not in seen:
                            seen.add(k)
                            out.append((k, float(xv), float(yv), s))
        return out

    def header(self, reference_name: str, reference_id: str = "unknown", cost_options: Mapping | None = None) -> dict:
        base = self.base.as_dict()
        base.pop("name", None)
        base.pop(self.x.name)
        base.pop(self.y.name)
        header = {"x_param": self.x.name, "y_param": self.y.name, "base_parameters": base,
                  "fidelity": self.fidelity.as_dict(), "reference": reference_name, "reference_id": reference_id,
                  "cost_options": dict(cost_options or {})}
        return json.loads(json.dumps(header))  # tuples -> lists, as read back from the sidecar

    # ----------------------------------------------------------------------------- compute
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
        from .parallel import SerialExecutor

        t0 = time.perf_counter()
        own_executor = executor is None
        executor = SerialExecutor() if executor is None else executor
        try:
            cost = self._cost(cost, executor, reference)
            ident = cost_identity(cost)
            ref_name = reference_name or str(ident.get("reference") or
                                             _reference_label(reference if reference is not None else self.reference))
            header = self.header(ref_name, str(ident.get("reference_id") or "unknown"), _cost_options(ident))
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
            meta = dict(reference=ref_name, reference_id=header["reference_id"], cost_options=header["cost_options"],
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
            from .engine import get_engine
            from .evaluate import Evaluator
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

    # ----------------------------------------------------------------------------- datasets
    def window_dataset(self, window: Window, records: Mapping[str, dict]) -> xr.Dataset:
        """The Dataset of one window from point records (missing points are "pending")."""
        xv, yv, seeds = window.x.values, window.y.values, list(self.seeds)
        shape = (len(seeds), len(yv), len(xv))
        R = np.full(shape, np.nan)
        chi = np.full((len(PAIRS),) + shape, np.nan)
        wall = np.full(shape, np.nan)
        status = np.full(shape, "pending", dtype=object)
        reason = np.full(shape, "", dtype=object)
        for si, s in enumerate(seeds):
            for iy, y in enumerate(yv):
                for ix, x in enumerate(xv):
                    rec = records.get(self.key(x, y, s))
                    if rec is None:
                        continue
                    status[si, iy, ix] = rec["status"]
                    reason[si, iy, ix] = rec.get("reason") or ""
                    R[si, iy, ix] = _float(rec.get("R_x"))
                    wall[si, iy, ix] = _float(rec.get("wall_time_s"))
                    for pi, p in enumerate(PAIRS):
                        chi[pi, si, iy, ix] = _float((rec.get("chi") or {}).get(p))
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

    def paths_dataset(self, method: str, points: Sequence[dict], **attrs) -> xr.Dataset:
        """An optimizer path (evaluations in order, each a dict with the two parameters, ``R_x`` and
        ``status``) as a Dataset over ``iter``."""
        n = len(points)
        xs = np.array([_float(p[self.x.name]) for p in points])
        ys = np.array([_float(p[self.y.name]) for p in points])
        R = np.array([_float(p.get("R_x")) if p.get("status", "ok") == "ok" else np.nan for p in points])
        best = np.fmin.accumulate(R) if n else R
        ds = xr.Dataset(
            {
                self.x.name: ("iter", xs, {"units": UNITS[self.x.name]}),
                self.y.name: ("iter", ys, {"units": UNITS[self.y.name]}),
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

    def to_datatree(self, records: Mapping[str, dict], meta: Mapping | None = None,
                    wall_time_s: float = 0.0, paths: Mapping[str, xr.Dataset] | None = None) -> xr.DataTree:
        """The whole landscape (root provenance, one group per window, optional paths) as a DataTree."""
        meta = dict(meta or {})
        groups: dict[str, xr.Dataset] = {}
        for w in self.windows:
            groups[w.name] = self.window_dataset(w, records)
        for name, ds in (paths or {}).items():
            groups[f"paths/{name}"] = ds
        wall_points = float(np.nansum([_float(r.get("wall_time_s")) for r in records.values()]))
        engine_version = meta.get("engine_version") or next(
            (r["engine_version"] for r in records.values() if r.get("engine_version")), "unknown")
        executor = meta.get("executor") or {}
        root = xr.Dataset(attrs={k: _attr(v) for k, v in {
            "title": f"R_x cost landscape over ({self.x.name}, {self.y.name}), other parameters at {self.base_name}",
            "x_param": self.x.name, "y_param": self.y.name,
            "windows": ",".join(w.name for w in self.windows),
            "base_preset": self.base_name if self.base_name in PRESETS else f"custom ({self.base_name})",
            "base_parameters": self.base.to_json(),
            "fidelity_name": self.fidelity.name,
            "fidelity": json.dumps(self.fidelity.as_dict()),
            "seeds": json.dumps(list(self.seeds)),
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

    # ----------------------------------------------------------------------------- optimizer paths
    def optimizer_paths(self, cost: Callable, methods: Sequence[str] = ("bo", "cg"),
                        start: tuple[float, float] | None = None, n_iter: int = 20, seed: int = 0,
                        out: str | Path | None = None, executor=None, options: Mapping | None = None,
                        progress: ProgressCallback | None = None, *, reference_name: str | None = None
                        ) -> dict[str, xr.Dataset]:
        """Run optimizers of :mod:`silica_explorer.optimize` from the same ``start`` on the 2-D problem
        (search box = the full window, other parameters at ``base``) and store their paths.

        ``methods``: optimizer names (``bo``, ``cg``, ``random``, ``bo+cg``); ``start`` ``(x, y)``
        (default: the base preset's values clipped into the window) - BO evaluates it first (then its
        space-filling design and EI proposals), CG starts from it; ``n_iter`` evaluations per method;
        ``seed`` the optimizers' random state; the MD seed is the landscape's first seed (common random
        numbers). ``options``: ``{method: {keyword: value}}`` for the optimizer constructors.

        Every evaluation goes through the landscape's point cache (the ``out`` sidecar), so an
        interrupted call resumes without re-running MD and points shared with the grid are reused.
        With an executor of >= 2 workers the methods run concurrently (one evaluation in flight each).
        Returns ``{method: Dataset}`` (dim ``iter``: the two parameters, ``R_x``, ``best_R_x``,
        ``status``, ``reason``, ``kind``, ``phase``); with ``out`` they are written as
        ``/paths/<method>`` next to the windows."""
        import threading
        from concurrent.futures import ThreadPoolExecutor

        from .optimize import SearchSpace, fit
        from .parallel import SerialExecutor

        t0 = time.perf_counter()
        own_executor = executor is None
        executor = SerialExecutor() if executor is None else executor
        options = {m: dict(v) for m, v in (options or {}).items()}
        try:
            names = (self.x.name, self.y.name)
            bounds = {self.x.name: (self.x.start, self.x.stop), self.y.name: (self.y.start, self.y.stop)}
            space = SearchSpace(names, base=self.base, bounds=bounds)
            if start is None:
                start = (float(np.clip(getattr(self.base, self.x.name), self.x.start, self.x.stop)),
                         float(np.clip(getattr(self.base, self.y.name), self.y.start, self.y.stop)))
            start = (float(start[0]), float(start[1]))
            u0 = space.to_unit(np.array(start))
            if not space.contains_unit(u0):
                raise ValueError(f"path start {start} lies outside the full window {self.x} x {self.y}")
            cost = executor.configure(cost)
            ident = cost_identity(cost)
            ref_name = reference_name or str(ident.get("reference") or "unknown")
            header = self.header(ref_name, str(ident.get("reference_id") or "unknown"), _cost_options(ident))
            sidecar = _open_sidecar(Path(out), header, resume=True) if out is not None else None
            records: dict[str, dict] = dict(sidecar.points) if sidecar is not None else {}
            lock = threading.Lock()
            inflight: dict[str, threading.Event] = {}
            task = _PointTask(cost)
            md_seed = self.seeds[0]
            total = n_iter * len(methods)
            count = [0]

            def point_cost(ff, seed=md_seed):
                k = self.key(getattr(ff, self.x.name), getattr(ff, self.y.name), seed)
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
                    rec.update(key=k, x=float(getattr(ff, self.x.name)), y=float(getattr(ff, self.y.name)),
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
                    entries.append({self.x.name: e["params"][self.x.name], self.y.name: e["params"][self.y.name],
                                    "R_x": e["R_x"], "status": e["status"], "reason": e.get("reason") or "",
                                    "kind": str(prop.get("kind", "")), "phase": str(e.get("phase") or method),
                                    "seed": md_seed})
                opt = result.optimizer
                attrs = {"start": json.dumps(list(start)), "budget": int(n_iter), "random_state": int(seed),
                         "md_seed": int(md_seed), "stop_reason": str(result.stop_reason),
                         "optimizer_options": json.dumps(opt.get_params() if hasattr(opt, "get_params") else {},
                                                         default=_json_default),
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
            paths = self._paths_from(path_recs)
            if sidecar is not None:
                wall = time.perf_counter() - t0
                sidecar.append({"session_wall_time_s": round(wall, 3), "interrupted": False,
                                "executor": executor.describe(), "paths": list(methods), "note": sidecar.note,
                                "command": sidecar.command})
                prev = sidecar.previous_wall_s
                sidecar.close()
                meta = dict(reference=ref_name, reference_id=header["reference_id"], cost_options=header["cost_options"],
                            note=sidecar.note, command=sidecar.command, executor=executor.describe(),
                            cost=ident["kind"], engine_version=ident.get("engine_version"), previous_wall_s=prev)
                _atomic_write(self.to_datatree(records, meta, wall, paths), Path(out))
            return {m: paths[m] for m in methods}
        finally:
            if own_executor:
                executor.close()

    def _paths_from(self, path_recs: Mapping[str, dict]) -> dict[str, xr.Dataset]:
        return {m: self.paths_dataset(m, rec["entries"], **rec.get("attrs", {})) for m, rec in path_recs.items()}


# ===================================================================================== file I/O
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


def _atomic_write(tree: xr.DataTree, out: Path) -> None:
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
                    key = f"{xn}={_fmt(x)},{yn}={_fmt(y)},seed={int(s)}"
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


# ===================================================================================== roughness
def _interior_surface(da: xr.DataArray) -> np.ndarray:
    z = np.asarray(da.values, dtype=float)
    if z.ndim != 2:
        raise ValueError(f"expected a 2-D surface, got dims {da.dims}")
    return z


def local_minima_fraction(da: xr.DataArray) -> float:
    """Fraction of interior grid points that are strict local minima over their 8 neighbours
    (points whose 3x3 neighbourhood has a NaN do not count as minima but stay in the denominator).
    A smooth bowl gives ~1/N_interior; a rough surface much more."""
    z = _interior_surface(da)
    ny, nx = z.shape
    if ny < 3 or nx < 3:
        return float("nan")
    c = z[1:-1, 1:-1]
    is_min = np.isfinite(c)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy == dx == 0:
                continue
            nb = z[1 + dy:ny - 1 + dy, 1 + dx:nx - 1 + dx]
            with np.errstate(invalid="ignore"):
                is_min &= np.isfinite(nb) & (c < nb)
    return float(is_min.sum() / c.size)


def high_frequency_power(da: xr.DataArray) -> dict:
    """Roughness after removing a smooth quadratic fit in the two (normalised) parameters.

    Returns ``rms_residual`` (RMS of the surface minus its least-squares quadratic, same units as
    the surface), ``residual_fraction`` (residual variance / total variance), ``hf_power_fraction``
    (fraction of the residual's 2-D spectral power above half the Nyquist frequency on either axis;
    NaN points are set to 0 in the residual) and ``n_finite``."""
    z = _interior_surface(da)
    ny, nx = z.shape
    v = np.linspace(-1, 1, ny)[:, None] * np.ones((1, nx))
    u = np.ones((ny, 1)) * np.linspace(-1, 1, nx)[None, :]
    ok = np.isfinite(z)
    if ok.sum() < 7:
        return {"rms_residual": float("nan"), "residual_fraction": float("nan"),
                "hf_power_fraction": float("nan"), "n_finite": int(ok.sum())}
    basis = np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], axis=-1)
    coef, *_ = np.linalg.lstsq(basis[ok], z[ok], rcond=None)
    resid = np.where(ok, z - basis @ coef, 0.0)
    total_var = float(np.var(z[ok]))
    res_var = float(np.mean(resid[ok] ** 2))
    P = np.abs(np.fft.fft2(resid)) ** 2
    fy = np.abs(np.fft.fftfreq(ny))[:, None] * np.ones((1, nx))
    fx = np.ones((ny, 1)) * np.abs(np.fft.fftfreq(nx))[None, :]
    high = (fx > 0.25) | (fy > 0.25)
    hf = float(P[high].sum() / P.sum()) if P.sum() > 0 else float("nan")
    return {"rms_residual": math.sqrt(res_var), "residual_fraction": res_var / total_var if total_var > 0 else float("nan"),
            "hf_power_fraction": hf, "n_finite": int(ok.sum())}


def roughness(ds: xr.Dataset, var: str = "R_x_mean") -> dict:
    """Both roughness figures of merit of one window Dataset (``var`` over its two parameter dims),
    plus the grid steps."""
    da = ds[var]
    if "seed" in da.dims:
        da = da.mean("seed")
    da = da.transpose(ds.attrs.get("y_param", da.dims[0]), ds.attrs.get("x_param", da.dims[1]))
    return {"window": str(ds.attrs.get("window", "")), "shape": list(da.shape),
            "x_step": _float(ds.attrs.get("x_step")), "y_step": _float(ds.attrs.get("y_step")),
            "local_minima_fraction": local_minima_fraction(da), **high_frequency_power(da),
            "range": float(np.nanmax(da.values) - np.nanmin(da.values)) if np.isfinite(da.values).any() else float("nan")}


# ===================================================================================== stand-in cost
class SyntheticCost:
    """A cheap, deterministic, picklable stand-in for the MD cost (tests, demos, benchmarks of the
    machinery - **never** a physical result).

    R_x = ``floor`` + ``curvature`` * (dx^2 + dy^2) + ``ripple`` * sin(2 pi ``freq`` dx) sin(2 pi ``freq`` dy)
    + ``noise`` * N(0, 1), with dx, dy the parameters' offsets from ``center`` in units of ``scale``;
    the noise is a deterministic function of (parameters, seed). Points with parameter ``fail_param``
    above ``fail_above`` fail (status "failed", reason "overlap: synthetic failure"); ``delay_s``
    sleeps to imitate a slow evaluation. Returns a dict like :func:`point_record` expects."""

    def __init__(self, x: str = "q_Si", y: str = "A_SiO", center=(1.95, 20000.0), scale=(0.5, 10000.0),
                 floor: float = 0.08, curvature: float = 0.1, ripple: float = 0.0, freq: float = 3.0,
                 noise: float = 0.0, fail_param: str | None = None, fail_above: float = math.inf,
                 delay_s: float = 0.0):
        self.x, self.y, self.center, self.scale = x, y, tuple(center), tuple(scale)
        self.floor, self.curvature, self.ripple, self.freq, self.noise = floor, curvature, ripple, freq, noise
        self.fail_param, self.fail_above, self.delay_s = fail_param, fail_above, delay_s
        self.reference_name = "synthetic stand-in cost (no MD)"
        self.calls = 0

    #: Protocol and cost options (None: no MD protocol); tests set them to imitate an Evaluator's.
    fidelity = None
    r_range = None
    align = "exact"

    def identity(self) -> dict:
        """What this stand-in is (as :meth:`silica_explorer.evaluate.Evaluator.identity`): no reference
        id (its landscapes record "unknown"), the fidelity only when one is set."""
        ident = {"kind": f"{type(self).__module__}.{type(self).__qualname__}", "reference": self.reference_name,
                 "r_range": self.r_range, "align": self.align}
        if self.fidelity is not None:
            ident["fidelity"] = get_fidelity(self.fidelity).as_dict()
        return ident

    def __call__(self, forcefield: ForceField, seed: int = 0) -> dict:
        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        xv, yv = getattr(forcefield, self.x), getattr(forcefield, self.y)
        if self.fail_param is not None and getattr(forcefield, self.fail_param) > self.fail_above:
            return {"status": "failed", "reason": "overlap: synthetic failure", "wall_time_s": self.delay_s}
        dx = (xv - self.center[0]) / self.scale[0]
        dy = (yv - self.center[1]) / self.scale[1]
        r = self.floor + self.curvature * (dx * dx + dy * dy)
        r += self.ripple * math.sin(2 * math.pi * self.freq * dx) * math.sin(2 * math.pi * self.freq * dy)
        if self.noise:
            h = zlib.crc32(f"{_fmt(xv)},{_fmt(yv)},{int(seed)}".encode())
            r += self.noise * float(np.random.default_rng(h).standard_normal())
        r = abs(r)
        chi = {"SiSi": 1.2 * r, "SiO": 0.9 * r, "OO": math.sqrt(max(0.0, 3 * r * r - (1.44 + 0.81) * r * r))}
        return {"status": "ok", "reason": "", "R_x": r, "chi": chi, "wall_time_s": self.delay_s}
