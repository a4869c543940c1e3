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
costs of :mod:`silica_explorer.optimize.testfunctions` define their own. A callable without
``identity()`` is a plain callable: :func:`cost_identity` describes it as such.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import platform
from pathlib import Path

import numpy as np
import xarray as xr

from . import __version__
from .cost import CostResult, aligned, reference_fingerprint, rx
from .engine import Engine, MeltResult, ProgressCallback, get_engine
from .fidelity import Fidelity, get_fidelity
from .forcefield import ForceField
from .parameters import PAIRS
from .configurations import Configuration


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
    :class:`~silica_explorer.fidelity.Fidelity`; ``engine`` an :class:`~silica_explorer.engine.Engine`
    (default: LAMMPS with all cores); ``r_range`` and ``align`` as in :func:`silica_explorer.cost.rx`.
    """

    def __init__(self, reference: xr.Dataset | str | Path, fidelity: str | Fidelity = "quick",
                 engine: Engine | None = None, r_range: tuple[float, float] | None = None,
                 align: str = "exact"):
        if isinstance(reference, (str, Path)):
            from .reference import load_reference
            name = str(reference)
            reference = load_reference(reference)
        else:
            name = str(reference.attrs.get("name", reference.attrs.get("source", "in-memory reference")))
        self.reference = reference
        self.reference_name = name
        self.fidelity = get_fidelity(fidelity)
        self.engine = engine if engine is not None else get_engine("lammps")
        self.r_range = r_range
        self.align = align

    def identity(self) -> dict:
        """What this cost is (JSON-able): ``kind``; ``reference`` (name) and ``reference_id`` (content
        hash, :func:`~silica_explorer.cost.reference_fingerprint`); ``fidelity`` (all fields);
        ``r_range`` (A, or None) and ``align``; ``engine`` (name) and ``engine_version``; and
        ``engine_checks`` (deck and collapse policy: settings that change a melt's status or R_x) when
        the engine has them."""
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
        return ident

    def check_grid(self) -> None:
        """Raise :class:`~silica_explorer.cost.GridMismatchError` (before any MD) when the reference
        cannot be compared with the g(r) bins this fidelity produces (every melt would fail alike)."""
        r = (np.arange(self.fidelity.rdf_bins) + 0.5) * self.fidelity.rdf_dr  # LAMMPS compute rdf bin centres
        md = xr.Dataset({"g": (("pair", "r"), np.ones((len(PAIRS), r.size)))}, coords={"pair": list(PAIRS), "r": r})
        aligned(self.reference, md, self.r_range, self.align)

    def __call__(self, forcefield: ForceField, seed: int = 0, warm_start: Configuration | None = None,
                 progress: ProgressCallback | None = None) -> Evaluation:
        stamp = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        melt = self.engine.melt(forcefield, self.fidelity, int(seed), warm_start=warm_start, progress=progress)
        cost, status, reason = None, melt.status, melt.reason
        if melt.ok:
            try:
                cost = rx(self.reference, melt.pdf, self.r_range, self.align)
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
