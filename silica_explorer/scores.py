"""Table II of the paper: per-pair chi and global R_x of several forcefields, over several seeds.

:func:`score_sets` runs ``len(sets) x len(seeds)`` evaluations and returns an ``xarray.Dataset`` with
dims ``set``, ``seed``, ``pair``: ``chi`` (pair-resolved, fraction), ``R_x`` (fraction), ``status``,
``reason``, ``wall_time_s``, plus the mean PDF of each set (dims ``set``, ``pair``, ``r``).
:func:`summary` turns it into a table of mean +- std (in %) over the successful seeds.
"""

from __future__ import annotations

import json
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .evaluate import Evaluator
from .forcefield import ForceField
from .parameters import PAIRS

#: Liu et al. (2019), Table II: per-pair chi and global R_x (%) against their CPMD liquid at 3600 K.
PAPER_TABLE_II = {
    "ML": {"SiO": 7.35, "OO": 3.58, "SiSi": 12.80, "R_x": 8.77},
    "BKS": {"SiO": 21.45, "OO": 12.90, "SiSi": 15.54, "R_x": 17.01},
    "CHIK": {"SiO": 12.29, "OO": 6.09, "SiSi": 11.76, "R_x": 10.43},
}


def score_sets(sets: Mapping[str, ForceField] | Sequence[str], evaluator: Evaluator, seeds: Sequence[int] = (0, 1, 2),
               progress: Callable[[int, int, str], None] | None = None) -> xr.Dataset:
    """Evaluate every set at every seed; failed runs are kept with their reason and NaN costs."""
    if not isinstance(sets, Mapping):
        sets = {name: ForceField.preset(name) for name in sets}
    names, seeds = list(sets), [int(s) for s in seeds]
    chi = np.full((len(names), len(seeds), len(PAIRS)), np.nan)
    rx = np.full((len(names), len(seeds)), np.nan)
    wall = np.full((len(names), len(seeds)), np.nan)
    status = np.full((len(names), len(seeds)), "", dtype=object)
    reason = np.full((len(names), len(seeds)), "", dtype=object)
    pdfs = {}
    total, done = len(names) * len(seeds), 0
    engine_version = None
    for i, name in enumerate(names):
        gs = []
        for j, seed in enumerate(seeds):
            if progress:
                progress(done, total, f"{name} seed {seed}")
            ev = evaluator(sets[name], seed=seed)
            engine_version = ev.melt.engine_version
            status[i, j], reason[i, j] = ev.status, ev.reason or ""
            wall[i, j] = ev.melt.wall_time_s
            if ev.ok:
                rx[i, j] = ev.R_x
                chi[i, j] = [ev.chi[p] for p in PAIRS]
                gs.append(ev.pdf)
            done += 1
        if gs:
            pdfs[name] = xr.concat([g.g for g in gs], dim="seed").mean("seed")
    if progress:
        progress(total, total, "done")
    ds = xr.Dataset(
        {
            "chi": (("set", "seed", "pair"), chi, {"units": "1", "long_name": "per-pair chi = sqrt(chi2)"}),
            "R_x": (("set", "seed"), rx, {"units": "1", "long_name": "global cost R_x"}),
            "wall_time_s": (("set", "seed"), wall, {"units": "s"}),
            "status": (("set", "seed"), status.astype(str)),
            "reason": (("set", "seed"), reason.astype(str)),
        },
        coords={"set": names, "seed": seeds, "pair": list(PAIRS)},
        attrs={"fidelity": json.dumps(evaluator.fidelity.as_dict()), "reference": evaluator.reference_name,
               "engine_version": engine_version or "", "r_range": str(evaluator.r_range),
               "forcefields": json.dumps({n: sets[n].as_dict() for n in names})},
    )
    if pdfs:
        g = xr.concat([pdfs[n] for n in names if n in pdfs], dim=pd.Index([n for n in names if n in pdfs], name="pdf_set"))
        ds["g_mean"] = g.rename(r="r").assign_attrs(long_name="seed-averaged partial PDF", units="1")
    return ds


def summary(scores: xr.Dataset) -> pd.DataFrame:
    """Mean +- std over successful seeds, in %: columns chi_SiO, chi_OO, chi_SiSi, R_x (+ _std), n_ok."""
    rows = []
    for name in scores.set.values:
        s = scores.sel(set=name)
        ok = s.status.values == "ok"
        row = {"set": str(name), "n_ok": int(ok.sum()), "n_seeds": int(ok.size)}
        for p in ("SiO", "OO", "SiSi"):
            v = 100 * s.chi.sel(pair=p).values[ok]
            row[f"chi_{p}"] = float(v.mean()) if v.size else np.nan
            row[f"chi_{p}_std"] = float(v.std(ddof=1)) if v.size > 1 else np.nan
        v = 100 * s.R_x.values[ok]
        row["R_x"] = float(v.mean()) if v.size else np.nan
        row["R_x_std"] = float(v.std(ddof=1)) if v.size > 1 else np.nan
        rows.append(row)
    return pd.DataFrame(rows).set_index("set")


def format_summary(table: pd.DataFrame) -> str:
    """Plain-text Table II (mean +- std in %)."""
    lines = [f"{'set':16s} {'Si-O':>14s} {'O-O':>14s} {'Si-Si':>14s} {'global R_x':>14s}  ok"]
    for name, row in table.iterrows():
        cells = [f"{row[c]:6.2f} +- {row[c + '_std']:4.2f}" for c in ("chi_SiO", "chi_OO", "chi_SiSi", "R_x")]
        lines.append(f"{name:16s} " + " ".join(f"{c:>14s}" for c in cells) + f"  {int(row['n_ok'])}/{int(row['n_seeds'])}")
    return "\n".join(lines)
