"""The project's shipped Table II (``data/results/rescore_*.nc``), as the Results tab shows it on opening.

Each shipped file holds per-seed runs (dims ``set``, ``seed``, ``pair``; R_x and chi as fractions) and
its provenance in attrs (fidelity JSON, reference, engine version, command). The table shows mean +- std
over seeds in %, with the fidelity, seeds and date in its caption. These numbers were computed once,
offline; a session's own numbers are shown in a separate table and never merged into these.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .state import ROOT

#: The shipped tables, newest protocol first: (file under data/results, date it was computed (UTC)).
SHIPPED_TABLES = (("rescore_quick.nc", "2026-12-08"), ("rescore_paper.nc", "2026-12-02"))
RESULTS_DIR = ROOT / "data" / "results"
SHIPPED_COLUMNS = ["set", "R_x (%)", "chi Si-O (%)", "chi O-O (%)", "chi Si-Si (%)", "P liquid (GPa)", "ok / seeds"]


@dataclass(frozen=True)
class ShippedTable:
    """One shipped Table II: ``table`` (one row per set, strings "mean +- std" in %) and its ``caption``."""
    name: str
    caption: str
    table: pd.DataFrame


def _mean_std(values, scale: float = 100.0) -> str:
    v = np.asarray(values, dtype=float) * scale
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "failed"
    return f"{v.mean():.2f}" if v.size == 1 else f"{v.mean():.2f} ± {v.std(ddof=1):.2f}"


def describe_fidelity(fid: dict) -> str:
    """``{"name": "quick", "n_SiO2": 216, ...}`` -> "quick: 648 atoms, 2 + 4 ps at 3600 K"."""
    n = 3 * int(fid.get("n_SiO2", 0))
    return (f"{fid.get('name', '?')}: {n} atoms, {fid.get('relax_ps', math.nan):g} + "
            f"{fid.get('production_ps', math.nan):g} ps at {fid.get('temperature', math.nan):g} K")


def shipped_table(path: Path, date: str) -> ShippedTable:
    """Read one shipped rescore file into a :class:`ShippedTable` (R_x and chi in %)."""
    with xr.open_dataset(path) as ds:
        ds = ds.load()
    fid = json.loads(ds.attrs.get("fidelity", "{}"))
    pairs = [str(p) for p in ds.pair.values]
    rows = []
    for name in ds.set.values:
        one = ds.sel(set=name)
        ok = int(np.isfinite(one.R_x.values).sum())
        rows.append([str(name), _mean_std(one.R_x.values)]
                    + [_mean_std(one.chi.sel(pair=p).values) if p in pairs else "" for p in ("SiO", "OO", "SiSi")]
                    + [_mean_std(one.pressure.values, 1.0) if "pressure" in one else "not recorded"]
                    + [f"{ok} / {one.sizes['seed']}"])
    table = pd.DataFrame(rows, columns=SHIPPED_COLUMNS)
    table = table.iloc[np.argsort([float(v.split()[0]) if v != "failed" else math.inf for v in table["R_x (%)"]],
                                  kind="stable")].reset_index(drop=True)
    seeds = [int(s) for s in ds.seed.values]
    seed_text = (f"seeds {seeds[0]}-{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2
                 else "seeds " + ",".join(map(str, seeds)))
    caption = (f"**Shipped, {describe_fidelity(fid)}**; {len(seeds)} fresh MD {seed_text}; computed {date}; "
               f"reference: {ds.attrs.get('reference', 'unknown')}; mean ± std over seeds; P liquid: the "
               f"melt's mean pressure at {fid.get('temperature', math.nan):g} K and "
               f"{fid.get('density', math.nan):g} g/cm3 (NVT), reported, not fitted "
               f"(`data/results/{path.name}`)")
    return ShippedTable(fid.get("name", path.stem), caption, table)


def shipped_tables(results_dir: Path = RESULTS_DIR) -> list[ShippedTable]:
    """Every shipped table that exists (a missing file is left out, the others still shown)."""
    return [shipped_table(results_dir / f, date) for f, date in SHIPPED_TABLES if (results_dir / f).exists()]
