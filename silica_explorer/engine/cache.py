"""A melt cache in front of any engine: MD results keyed by (parameters, protocol, seed, engine).

The MD is the expensive part of a cost evaluation; the cost against a reference is cheap. Caching at
the engine level means a grid or a preset table computed once can be re-scored against another
reference (a user's AIMD, a newer ML surrogate) without running MD again.

Layout: one netCDF file per successful melt, ``<directory>/<key>.nc`` (the partial-PDF Dataset with
the run record as JSON in ``attrs["melt_record"]`` and the thermo summary), one ``<key>.json`` per
failed melt (its record, with ``status`` and ``reason``). Files are written to a temporary name and
renamed, so a killed process never leaves a half-written entry. ``key`` is the SHA-256 of the
canonical JSON of all numeric forcefield parameters, the full fidelity (except its name), the seed
and the engine version; melts of any system (a SystemForceField under a SystemFidelity) are cached alike,
under keys that also hold the system (:func:`melt_key`). Warm-started melts depend on their start configuration and are never cached.
Frames and final configurations are not stored: a cache hit has ``trajectory = final = None``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
from pathlib import Path

import xarray as xr

from ..fidelity import Fidelity, get_fidelity
from ..forcefield import ForceField
from ..configurations import Configuration
from ..systems.description import system_json
from ..systems.fidelity import SystemFidelity
from ..systems.forcefield import SystemForceField
from .base import Engine, MeltResult, ProgressCallback


def melt_key(forcefield: ForceField | SystemForceField, fidelity: Fidelity | SystemFidelity, seed: int,
             engine_version: str) -> str:
    """The cache key of one cold-start melt (see the module docstring). A silica ForceField's parameters
    enter as they always did; a SystemForceField's as ``{"system": <its system_json>, "parameters": {...}}``
    (so no system melt shares a key with a silica one), and a SystemFidelity by its :meth:`as_dict`."""
    if isinstance(forcefield, SystemForceField):
        params = {"system": system_json(forcefield.system), "parameters": forcefield.values}
    else:
        params = {k: float(v) for k, v in forcefield.as_dict().items() if k != "name"}
    fid = {k: v for k, v in fidelity.as_dict().items() if k != "name"}
    blob = json.dumps({"forcefield": params, "fidelity": fid, "seed": int(seed), "engine": engine_version},
                      sort_keys=True, separators=(",", ":"), default=list)
    return hashlib.sha256(blob.encode()).hexdigest()


class CachingEngine:
    """Wraps ``engine``; serves identical cold-start melts from ``directory`` (see module docstring).

    ``hits`` and ``misses`` count lookups of this instance.
    """

    def __init__(self, engine: Engine, directory: str | Path):
        self.engine = engine
        self.name = engine.name
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.hits = 0
        self.misses = 0

    def version(self) -> str:
        return self.engine.version()

    @property
    def threads(self) -> int:
        return self.engine.threads

    @threads.setter
    def threads(self, value: int) -> None:  # a private copy: never retune an engine shared elsewhere
        self.engine = copy.copy(self.engine)
        self.engine.threads = int(value)

    def __getattr__(self, item):  # timeout_s, mpi_ranks, ... of the wrapped engine
        if item.startswith("__") or "engine" not in self.__dict__:
            raise AttributeError(item)
        return getattr(self.engine, item)

    def melt(self, forcefield: ForceField | SystemForceField, fidelity: Fidelity | SystemFidelity, seed: int,
             warm_start: Configuration | None = None, progress: ProgressCallback | None = None) -> MeltResult:
        fidelity = fidelity if isinstance(fidelity, SystemFidelity) else get_fidelity(fidelity)
        if warm_start is not None:
            return self.engine.melt(forcefield, fidelity, seed, warm_start=warm_start, progress=progress)
        key = melt_key(forcefield, fidelity, seed, self.version())
        cached = self.load(key, forcefield, fidelity, seed)
        if cached is not None:
            self.hits += 1
            if progress is not None:
                progress(fidelity.total_steps, fidelity.total_steps, "cached")
            return cached
        self.misses += 1
        result = self.engine.melt(forcefield, fidelity, seed, progress=progress)
        if not (result.status == "failed" and result.reason and result.reason.startswith(("timeout", "engine error"))):
            self.save(key, result)  # timeouts and internal errors are not properties of the parameters
        return result

    # ----------------------------------------------------------------------------- storage
    def save(self, key: str, result: MeltResult) -> None:
        record = result.record()
        record["reason"] = result.reason
        if result.ok:
            ds = result.pdf.copy()
            ds.attrs["melt_record"] = json.dumps(record)
            atomic_write(self.directory / f"{key}.nc", lambda p: ds.to_netcdf(p))
        else:
            atomic_write(self.directory / f"{key}.json", lambda p: Path(p).write_text(json.dumps(record)))

    def load(self, key: str, forcefield: ForceField, fidelity: Fidelity, seed: int) -> MeltResult | None:
        nc, js = self.directory / f"{key}.nc", self.directory / f"{key}.json"
        if nc.exists():
            with xr.open_dataset(nc) as ds:
                pdf = ds.load()
            record = json.loads(pdf.attrs.pop("melt_record"))
        elif js.exists():
            record, pdf = json.loads(js.read_text()), None
        else:
            return None
        return MeltResult(status=record["status"], reason=record["reason"], forcefield=forcefield,
                          fidelity=fidelity, seed=int(seed), engine=record["engine"],
                          engine_version=record["engine_version"], wall_time_s=float(record["wall_time_s"]),
                          pdf=pdf, md_steps_per_s=record.get("md_steps_per_s"), warm_start=False,
                          engine_options={**(record.get("engine_options") or {}), "cache_hit": str(self.directory)},
                          thermo_means={k: record[k] for k in THERMO_MEANS if k in record} or None)


#: The production means a cached melt keeps from its record (see MeltResult.production_means).
THERMO_MEANS = ("mean_temperature_K", "mean_pressure_bar", "mean_potential_energy_eV")


def atomic_write(path: Path, write) -> None:
    """Write ``path`` all at once: ``write(tmp)`` fills a temporary file beside it, which then replaces
    ``path`` (a reader never sees a half-written file; the temporary file is removed on failure)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
