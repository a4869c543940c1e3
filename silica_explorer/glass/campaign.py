"""Glass checks of several sets over several seeds, resumable: one netCDF file per (set, protocol, seed) and a
markdown table with a JSON summary.

:func:`run_glass` quenches each set with each seed through a :class:`~silica_explorer.engine.base.QuenchEngine`,
writes :func:`~silica_explorer.glass.analysis.glass_dataset` to ``glass-<set>-<protocol>-seed<seed>.nc`` (a failed
quench too, with its reason, so it is not retried) and skips files that exist (after checking they hold the
same forcefield and protocol). :func:`write_report` writes ``glass_table.md`` and ``glass_summary.json``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Callable, Iterable

import xarray as xr

from ..engine.base import ProgressCallback, QuenchEngine
from ..forcefield import ForceField
from ..inputs import forcefield_from
from ..quench import QuenchProtocol, get_quench_protocol
from .analysis import glass_dataset
from .anchors import load_anchors
from .report import markdown_table, summarize

#: File names of the report in the output directory.
TABLE_FILE, SUMMARY_FILE = "glass_table.md", "glass_summary.json"


def set_label(forcefield: ForceField) -> str:
    """A file-name-safe label of a forcefield (its name)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", forcefield.name) or "set"


def glass_path(out: Path, forcefield: ForceField, protocol: QuenchProtocol, seed: int) -> Path:
    """Where the glass Dataset of (forcefield, protocol, seed) lives in ``out``."""
    return Path(out) / f"glass-{set_label(forcefield)}-{protocol.name}-seed{int(seed)}.nc"


def _same_run(ds: xr.Dataset, forcefield: ForceField, protocol: QuenchProtocol) -> bool:
    return (json.loads(ds.attrs["protocol_json"]) == json.loads(json.dumps(protocol.as_dict()))
            and json.loads(ds.attrs["forcefield_json"]) == json.loads(forcefield.to_json()))


def write_dataset(ds: xr.Dataset, path: Path) -> Path:
    """Write ``ds`` to ``path`` through a temporary name, so a killed run never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    ds.to_netcdf(tmp)
    os.replace(tmp, path)
    return path


def run_glass(sets: Iterable, protocol, seeds: Iterable[int], out: str | Path, engine: QuenchEngine,
              progress_for: Callable[[str, int], ProgressCallback | None] | None = None,
              log: Callable[[str], None] | None = None) -> dict[str, list[xr.Dataset]]:
    """Quench every set (ForceField, preset name or JSON path) with every seed; returns the Datasets by set
    label and writes the report (:func:`write_report`). ``progress_for(label, seed)`` gives a progress
    callback for one quench; ``log`` gets one line per finished or skipped quench. ValueError when ``engine``
    cannot quench or a file in ``out`` holds another forcefield or protocol."""
    if not isinstance(engine, QuenchEngine):
        raise ValueError(f"engine {getattr(engine, 'name', engine)!r} cannot make glasses (no quench); use the "
                         "LAMMPS or HOOMD engine")
    protocol = get_quench_protocol(protocol)
    forcefields = [forcefield_from(s, "set") for s in sets]
    seeds = [int(s) for s in seeds]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[xr.Dataset]] = {}
    for ff in forcefields:
        label = set_label(ff)
        for seed in seeds:
            path = glass_path(out, ff, protocol, seed)
            if path.exists():
                ds = xr.load_dataset(path)
                if not _same_run(ds, ff, protocol):
                    raise ValueError(f"{path} holds another forcefield or protocol than {ff.name!r} / "
                                     f"{protocol.name!r}; move it away or use another output directory")
                if log:
                    log(f"{label} seed {seed}: done before ({ds.attrs['status']}), {path}")
            else:
                result = engine.quench(ff, protocol, seed, progress_for(label, seed) if progress_for else None)
                ds = glass_dataset(result, label)
                write_dataset(ds, path)
                if log:
                    what = "ok" if result.ok else f"FAILED ({result.reason})"
                    log(f"{label} seed {seed}: {what} in {result.wall_time_s:.1f} s, {path}")
            ds.attrs["set"] = label
            results.setdefault(label, []).append(ds)
    write_report(out, results)
    return results


def write_report(out: str | Path, results: dict[str, list[xr.Dataset]], anchors: dict | None = None) -> dict[str, Path]:
    """``glass_table.md`` (:func:`~silica_explorer.glass.report.markdown_table`) and ``glass_summary.json``
    (each set's :func:`~silica_explorer.glass.report.summarize`) in ``out``."""
    out = Path(out)
    summaries = [summarize(dsets) for dsets in results.values()]
    table = out / TABLE_FILE
    table.write_text(markdown_table(summaries, anchors or load_anchors()))
    summary = out / SUMMARY_FILE
    summary.write_text(json.dumps(summaries, indent=2, default=str))
    return {"table": table, "summary": summary}
