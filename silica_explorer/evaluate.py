"""One cost evaluation: parameters -> engine melt -> partial PDFs -> R_x against a reference.

:class:`Evaluator` is the object optimizers, landscapes and the app call::

    ev = Evaluator(reference="data/reference/sio2_3600K_chgnet.nc", fidelity="quick")
    result = ev(ForceField.preset("BKS"), seed=0)
    result.R_x, result.chi, result.pdf, result.record()

A melt that blows up gives ``result.status == "failed"`` with ``result.reason`` and ``R_x = nan``; it
never raises into the caller's loop.

**A cost's identity.** :meth:`Evaluator.identity` says what a cost is, in one JSON-able dict: the
reference (name and content hash), the fidelity, the engine and its version, the settings of the engine
that change a result, and the cost options. The evaluation store (cache keys and run records), the
landscapes (resume checks and provenance) and the app read a cost only through it; wrappers (the store's
:class:`~silica_explorer.store.CachedCost`, the app's job wrapper) pass it through, and the stand-in
costs of :mod:`silica_explorer.standins` define their own. A callable without
``identity()`` is a plain callable: :func:`cost_identity` describes it as such.

**A cost's result as a record.** A cost may return an :class:`Evaluation`, a mapping with the same
fields, a bare number (R_x) or, from an executor, a :class:`~silica_explorer.parallel.TaskFailure`.
:func:`result_fields` turns any of them into the fields the evaluation store keeps (with the PDFs and
the full provenance record); :func:`point_record` into the compact JSON-able record a landscape file
keeps. :class:`SafeTask` is what an executor runs for one request: the cost, made never-raising, its
result turned into one of those two forms. R_x and chi are fractions; wall times in s.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import platform
import math
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import xarray as xr

from . import __version__
from .cost import CostResult, aligned, check_weights, reference_fingerprint, rx
from .engine import Engine, MeltResult, ProgressCallback, get_engine
from .fidelity import Fidelity, get_fidelity
from .configurations import Configuration
from .forcefield import ForceField
from .parallel import TaskFailure
from .systems.description import SIO2, System
from .systems.fidelity import SystemFidelity


@dataclasses.dataclass
class Evaluation:
    """Result of one cost evaluation (``status`` "ok" or "failed"; R_x and chi as fractions)."""

    forcefield: ForceField
    fidelity: Fidelity
    seed: int
    status: str
    reason: str | None
    melt: MeltResult
    cost: CostResult | None
    reference_name: str
    timestamp: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def R_x(self) -> float:
        return self.cost.R_x if self.cost is not None else float("nan")

    @property
    def chi(self) -> dict[str, float]:
        return self.cost.chi if self.cost is not None else {}

    @property
    def pdf(self) -> xr.Dataset | None:
        return self.melt.pdf

    def record(self) -> dict:
        """JSON-able provenance: parameters, protocol, seed, engine and version, cost, timings."""
        rec = {
            "silica_explorer_version": __version__,
            "timestamp": self.timestamp,
            "host": platform.node(),
            "python": platform.python_version(),
            "reference": self.reference_name,
            **self.melt.record(),
            "status": self.status,
            "reason": self.reason,
            "R_x": None if self.cost is None else self.cost.R_x,
            "chi": None if self.cost is None else self.cost.chi,
            "cost_r_range_A": None if self.cost is None else list(self.cost.r_range),
        }
        return rec

    def save(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``record.json`` and, for successful runs, ``pdf.nc`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"record": out / "record.json"}
        paths["record"].write_text(json.dumps(self.record(), indent=2, default=_json_default) + "\n")
        if self.pdf is not None:
            ds = self.pdf.copy()
            ds.attrs.update(forcefield=self.forcefield.to_json(), fidelity=json.dumps(self.fidelity.as_dict()),
                            seed=int(self.seed), engine_version=self.melt.engine_version,
                            R_x=self.R_x, reference=self.reference_name)
            ds.attrs = {k: v for k, v in ds.attrs.items() if v is not None}
            paths["pdf"] = out / "pdf.nc"
            ds.to_netcdf(paths["pdf"])
        return paths


def _json_default(obj):
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


class Evaluator:
    """Callable cost: ``Evaluator(reference, fidelity)(forcefield, seed) -> Evaluation``.

    Parameters: ``reference`` a PDF Dataset or a path (netCDF or table, loaded with
    :func:`silica_explorer.reference.load_reference`); ``fidelity`` a preset name or
    :class:`~silica_explorer.fidelity.Fidelity`, or a :class:`~silica_explorer.systems.fidelity.SystemFidelity`
    to score melts of any system (forcefields of its system; R_x over the reference's pairs, which must be the
    system's); ``weights`` the Eq. (3) pair weights of :func:`silica_explorer.cost.rx` (None: the paper's
    equal weights; e.g. :func:`silica_explorer.cost.pair_weights` ``(system, "concentration")``), part of
    :meth:`identity` only when given; ``engine`` an :class:`~silica_explorer.engine.Engine`
    (default: LAMMPS with all cores); ``r_range`` and ``align`` as in :func:`silica_explorer.cost.rx`.
    """

    def __init__(self, reference: xr.Dataset | str | Path, fidelity: str | Fidelity = "quick",
                 engine: Engine | None = None, r_range: tuple[float, float] | None = None,
                 align: str = "exact", weights: Mapping[str, float] | None = None):
        if isinstance(reference, (str, Path)):
            from .reference import load_reference
            name = str(reference)
            reference = load_reference(reference)
        else:
            name = str(reference.attrs.get("name", reference.attrs.get("source", "in-memory reference")))
        self.reference = reference
        self.reference_name = name
        self.fidelity = fidelity if isinstance(fidelity, SystemFidelity) else get_fidelity(fidelity)
        self.engine = engine if engine is not None else get_engine("lammps")
        self.r_range = r_range
        self.align = align
        self.weights = None if weights is None else {str(p): float(w) for p, w in weights.items()}
        if self.weights is not None:  # a bad weighting is the caller's error, found before any MD
            check_weights(self.weights, tuple(str(p) for p in reference.pair.values))

    @property
    def system(self) -> System:
        """The glass system this cost scores: its SystemFidelity's, or
        :data:`~silica_explorer.systems.description.SIO2` for a silica Fidelity."""
        return self.fidelity.system if isinstance(self.fidelity, SystemFidelity) else SIO2

    def identity(self) -> dict:
        """What this cost is (JSON-able): ``kind``; ``reference`` (name) and ``reference_id`` (content
        hash, :func:`~silica_explorer.cost.reference_fingerprint`); ``fidelity`` (all fields);
        ``r_range`` (A, or None) and ``align``; ``engine`` (name) and ``engine_version``; and
        ``engine_checks`` (deck and collapse policy: settings that change a melt's status or R_x) when
        the engine has them; ``pair_weights`` when the Eq. (3) weights are not the paper's equal ones."""
        ident = {"kind": f"{type(self).__module__}.{type(self).__qualname__}",
                 "reference": self.reference_name, "reference_id": reference_fingerprint(self.reference),
                 "fidelity": self.fidelity.as_dict(),
                 "r_range": None if self.r_range is None else [float(v) for v in self.r_range],
                 "align": str(self.align), "engine": str(getattr(self.engine, "name", type(self.engine).__name__)),
                 "engine_version": str(self.engine.version())}
        opts = self.engine.options() if hasattr(self.engine, "options") else {}
        checks = {k: opts[k] for k in ("deck", "collapse") if k in opts}
        if checks:
            ident["engine_checks"] = {"version": 2, **checks}
        if self.weights is not None:  # only then: the paper's equal weights keep every existing identity
            ident["pair_weights"] = dict(self.weights)
        return ident

    def check_grid(self) -> None:
        """Raise :class:`~silica_explorer.cost.GridMismatchError` (before any MD) when the reference
        cannot be compared with the g(r) bins this fidelity produces (every melt would fail alike)."""
        r = (np.arange(self.fidelity.rdf_bins) + 0.5) * self.fidelity.rdf_dr  # LAMMPS compute rdf bin centres
        pairs = [str(p) for p in self.reference.pair.values]
        md = xr.Dataset({"g": (("pair", "r"), np.ones((len(pairs), r.size)))}, coords={"pair": pairs, "r": r})
        aligned(self.reference, md, self.r_range, self.align)

    def __call__(self, forcefield: ForceField, seed: int = 0, warm_start: Configuration | None = None,
                 progress: ProgressCallback | None = None) -> Evaluation:
        stamp = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        melt = self.engine.melt(forcefield, self.fidelity, int(seed), warm_start=warm_start, progress=progress)
        cost, status, reason = None, melt.status, melt.reason
        if melt.ok:
            try:
                cost = rx(self.reference, melt.pdf, self.r_range, self.align, self.weights)
            except ValueError as exc:
                if "non-finite" not in str(exc):
                    raise  # a grid or reference problem is the user's error, not a failed melt
                status, reason = "failed", f"nan: {exc}"
        return Evaluation(forcefield=forcefield, fidelity=self.fidelity, seed=int(seed), status=status,
                          reason=reason, melt=melt, cost=cost, reference_name=self.reference_name,
                          timestamp=stamp)


def cost_identity(cost) -> dict:
    """``cost.identity()``, or, for a callable without one, ``{"kind": "plain callable <module.name>"}``
    (no reference, fidelity or engine is known of it)."""
    if hasattr(cost, "identity"):
        ident = dict(cost.identity())
        ident.setdefault("kind", f"{type(cost).__module__}.{type(cost).__qualname__}")
        return ident
    kind = getattr(cost, "__qualname__", None) or type(cost).__qualname__
    return {"kind": f"plain callable {getattr(cost, '__module__', None) or type(cost).__module__}.{kind}"}


# ------------------------------------------------------------------------------------- result records
class ResultFields(dict):
    """The normalised fields of one evaluation as the evaluation store keeps them (see
    :func:`result_fields`): ``status`` ("ok"/"failed"), ``reason``, ``R_x`` (fraction), ``chi`` (per
    pair, fractions), ``wall_time_s`` (s), ``engine``, ``engine_version``, ``pdf`` (Dataset or None)
    and ``record`` (the full provenance dict or None)."""


def result_fields(result: Any) -> ResultFields:
    """Normalise what a cost returns (an :class:`Evaluation`, a mapping, a bare number, or an executor's
    :class:`~silica_explorer.parallel.TaskFailure`) into the fields the evaluation store needs
    (:class:`ResultFields`). A result that claims "ok" with a non-finite R_x is recorded as failed
    (reason "non-finite R_x")."""
    out = _raw_result_fields(result)
    rx = out["R_x"]
    if out["status"] == "ok" and (rx is None or not math.isfinite(float(rx))):
        out["status"], out["reason"], out["R_x"] = "failed", out["reason"] or "non-finite R_x", float("nan")
    return ResultFields(out)


def _raw_result_fields(result: Any) -> dict:
    if isinstance(result, TaskFailure):  # an executor's task raised, or its worker kept dying
        result = {"status": "failed", "reason": result.reason}
    if hasattr(result, "record") and hasattr(result, "melt"):  # an Evaluation
        rec = result.record()
        return {"status": result.status, "reason": result.reason,
                "R_x": result.R_x, "chi": dict(result.chi), "wall_time_s": result.melt.wall_time_s,
                "engine": result.melt.engine, "engine_version": result.melt.engine_version,
                "pdf": result.pdf, "record": rec}
    if isinstance(result, Mapping):
        d = dict(result)
        rx = d.get("R_x")
        rx = float("nan") if rx is None else float(rx)
        status = d.get("status") or ("ok" if math.isfinite(rx) else "failed")
        return {"status": status, "reason": d.get("reason"), "R_x": rx, "chi": dict(d.get("chi") or {}),
                "wall_time_s": d.get("wall_time_s"), "engine": d.get("engine"),
                "engine_version": d.get("engine_version"), "pdf": d.get("pdf"),
                "record": {k: v for k, v in d.items() if k != "pdf"}}
    rx = float(result)
    return {"status": "ok" if math.isfinite(rx) else "failed",
            "reason": None if math.isfinite(rx) else "non-finite cost", "R_x": rx, "chi": {},
            "wall_time_s": None, "engine": None, "engine_version": None, "pdf": None, "record": None}


#: Provenance fields of a full record that a compact :func:`point_record` keeps.
POINT_RECORD_PROVENANCE = ("timestamp", "host", "engine", "engine_version", "md_steps_per_s", "warm_start",
                           "mean_temperature_K", "mean_pressure_bar", "mean_potential_energy_eV",
                           "cost_r_range_A", "silica_explorer_version")


def as_float(v: Any) -> float:
    """``float(v)``, or nan when ``v`` is None or not a number."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def point_record(result: Any) -> dict:
    """A compact JSON-able record of one evaluation (what a landscape file keeps per point):
    ``status``, ``reason``, ``R_x`` (fraction), ``chi`` (per pair, fractions), ``wall_time_s`` (s) and,
    for an :class:`Evaluation`, the provenance fields :data:`POINT_RECORD_PROVENANCE` (engine version,
    mean temperature and pressure, timestamp, host).

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
        rec["R_x"] = as_float(result.get("R_x"))
        rec["chi"] = {k: as_float(v) for k, v in (result.get("chi") or {}).items()}
        rec["wall_time_s"] = as_float(result.get("wall_time_s"))
        for k in POINT_RECORD_PROVENANCE:
            if k in result:
                rec[k] = result[k]
    elif hasattr(result, "status"):
        rec["status"] = str(result.status)
        rec["reason"] = str(getattr(result, "reason", "") or "")
        rec["R_x"] = as_float(getattr(result, "R_x", None))
        rec["chi"] = {k: as_float(v) for k, v in (getattr(result, "chi", None) or {}).items()}
        melt = getattr(result, "melt", None)
        if melt is not None and hasattr(melt, "wall_time_s"):
            rec["wall_time_s"] = as_float(melt.wall_time_s)
        if hasattr(result, "record"):
            try:
                full = result.record()
                rec.update({k: full[k] for k in POINT_RECORD_PROVENANCE if k in full and full[k] is not None})
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


class SafeTask:
    """``task(forcefield, seed=...) -> record``: what an executor runs for one request. It calls
    ``cost(forcefield, seed=seed)`` where the executor puts it (a Dask worker) and returns only
    ``record(result)`` (default :func:`result_fields`; :func:`point_record` for the compact form), so no
    trajectory travels back. It never raises: an exception becomes a failed result whose reason names
    the error (``"error: <Type>: <message>"``).

    ``timed=True`` also measures the call: a failure gets its wall time (s), and a result without a
    finite ``wall_time_s`` gets the measured one (what a landscape point records)."""

    def __init__(self, cost: Callable, record: Callable[[Any], dict] = result_fields, timed: bool = False):
        self.cost = cost
        self.record = record
        self.timed = timed

    def __call__(self, forcefield: ForceField, seed: int = 0) -> dict:
        t0 = time.perf_counter()
        try:
            result = self.cost(forcefield, seed=seed)
        except Exception as exc:  # one bad request never stops a grid or a batch
            failed = {"status": "failed", "reason": f"error: {type(exc).__name__}: {exc}"}
            if self.timed:
                failed["wall_time_s"] = time.perf_counter() - t0
            return self.record(failed)
        rec = self.record(result)
        if self.timed and not math.isfinite(rec["wall_time_s"]):
            rec["wall_time_s"] = time.perf_counter() - t0
        return rec
