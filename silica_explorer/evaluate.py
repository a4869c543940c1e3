"""One cost evaluation: parameters -> engine melt -> partial PDFs -> R_x against a reference.

:class:`Evaluator` is the object optimizers, landscapes and the app call::

    ev = Evaluator(reference="data/reference/sio2_3600K_chgnet.nc", fidelity="quick")
    result = ev(ForceField.preset("BKS"), seed=0)
    result.R_x, result.chi, result.pdf, result.record()

A melt that blows up gives ``result.status == "failed"`` with ``result.reason`` and ``R_x = nan``; it
never raises into the caller's loop.
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
from .cost import CostResult, rx
from .engine import Engine, MeltResult, ProgressCallback, get_engine
from .fidelity import Fidelity, get_fidelity
from .forcefield import ForceField
from .system import Configuration


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
