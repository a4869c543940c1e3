"""Re-scoring parameter sets on fresh MD seeds: R_x, per-pair chi and the structure numbers of the paper.

For each set and seed one melt (any engine; a :class:`~silica_explorer.engine.cache.CachingEngine` is
fine) gives, through :class:`~silica_explorer.evaluate.Evaluator` and :func:`silica_explorer.cost.rx`,
R_x and chi per pair (fractions), and from its PDFs and frames:

- ``r_peak(pair)``: first-peak positions of g_SiO, g_OO, g_SiSi (A; :func:`~silica_explorer.structure.first_peak`);
- ``n_SiO``: mean number of O within 2.3 A of a Si (:func:`~silica_explorer.structure.coordination_numbers`);
- ``theta_OSiO``, ``theta_SiOSi``: peak positions (degree) of the O-Si-O and Si-O-Si bond-angle
  distributions (Si-O bonds shorter than 2.3 A; :func:`~silica_explorer.structure.bond_angle_distributions`
  and :func:`angle_peak`).

**Frames.** The default melt deck already dumps the production (averaging-window) frames every
``Fidelity.frame_every`` steps (tiny: 11 frames, quick: 21, paper: 21) and the LAMMPS engine returns
them as ``MeltResult.trajectory``; dumping does not change the dynamics. A melt cache does not keep
frames, so :class:`AngleCache` stores each melt's bond-angle distributions next to the cached PDFs
(``<melt cache>/<melt key>.angles.nc``); a melt served from the cache without them is run once more,
uncached, for its frames (counted in ``attrs["reruns_for_frames"]``).

The reference gets the same numbers: PDFs from its netCDF, angles from its trajectory frames (or, without
frames, from the ``OSiO``/``SiOSi`` distributions stored in the netCDF).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import xarray as xr

from .forcefield import ForceField
from .inputs import forcefield_from
from .parameters import PAIRS
from .structure import bond_angle_distributions, coordination_numbers, first_peak

#: Scalar structure numbers per melt (name -> (units, long name)); ``r_peak`` is per pair.
NUMBERS = {
    "n_SiO": ("1", "mean number of O within 2.3 A of a Si"),
    "theta_OSiO": ("degree", "peak of the O-Si-O bond-angle distribution"),
    "theta_SiOSi": ("degree", "peak of the Si-O-Si bond-angle distribution"),
}
ANGLES = {"theta_OSiO": "OSiO", "theta_SiOSi": "SiOSi"}


def angle_peak(angles: xr.Dataset, name: str, half_width: float = 10.0, window: tuple[float, float] | None = None
               ) -> float:
    """Peak position (degree) of bond-angle distribution ``angles[name]`` (``"OSiO"`` or ``"SiOSi"``).

    The maximum of the distribution smoothed by a 5-bin running mean inside ``window`` (default O-Si-O
    60-150, Si-O-Si 90-180 degree), moved to the highest raw bin within 2 bins (a spike in one bin makes
    a 5-bin plateau of the smoothed curve), locates the peak; a least-squares parabola through the raw
    distribution within ``half_width`` degree of it gives the position (nan if the window is empty).
    """
    lo, hi = window or {"OSiO": (60.0, 150.0), "SiOSi": (90.0, 180.0)}[name]
    theta = angles.angle.values
    p = angles[name].values
    smooth = np.convolve(p, np.ones(5) / 5, mode="same")
    inside = (theta >= lo) & (theta <= hi)
    if not np.any(smooth[inside] > 0):
        return float("nan")
    k = int(np.flatnonzero(inside)[np.argmax(smooth[inside])])
    k = max(0, k - 2) + int(np.argmax(p[max(0, k - 2):k + 3]))  # highest raw bin next to the smoothed maximum
    near = np.abs(theta - theta[k]) <= half_width + 1e-9
    if near.sum() < 3:
        return float(theta[k])
    c2, c1, _ = np.polyfit(theta[near] - theta[k], p[near], 2)
    if c2 >= 0:
        return float(theta[k])
    return float(theta[k] + np.clip(-c1 / (2 * c2), -half_width, half_width))


def structure_numbers(pdf: xr.Dataset, angles: xr.Dataset | None = None) -> dict:
    """``{"r_peak": {pair: A}, "n_SiO": ..., "theta_OSiO": ..., "theta_SiOSi": ...}`` of one liquid
    (angles nan without a bond-angle dataset)."""
    out = {"r_peak": {p: first_peak(pdf, p)[0] for p in PAIRS}, "n_SiO": coordination_numbers(pdf)["Si-O"]}
    for key, name in ANGLES.items():
        out[key] = angle_peak(angles, name) if angles is not None and name in angles else float("nan")
    return out


def reference_numbers(reference: xr.Dataset, frames: Iterable | None = None) -> dict:
    """Structure numbers of the reference: PDFs from ``reference``; angles from ``frames`` (its
    trajectory) if given, else from its ``OSiO``/``SiOSi`` variables if it has them. Adds ``angle_source``."""
    if frames is not None:
        angles, source = bond_angle_distributions(frames), "trajectory frames"
    elif "OSiO" in reference and "SiOSi" in reference:
        angles, source = reference[["OSiO", "SiOSi"]], "distributions stored in the reference file"
    else:
        angles, source = None, "none"
    out = structure_numbers(reference, angles)
    out["angle_source"] = source
    return out


class AngleCache:
    """Bond-angle distributions of cached melts, ``<directory>/<melt key>.angles.nc`` (see module docstring)."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def path(self, forcefield: ForceField, fidelity, seed: int, engine_version: str) -> Path:
        from .engine.cache import melt_key
        return self.directory / f"{melt_key(forcefield, fidelity, seed, engine_version)}.angles.nc"

    def load(self, *key) -> xr.Dataset | None:
        p = self.path(*key)
        if not p.exists():
            return None
        with xr.open_dataset(p) as ds:
            return ds.load()

    def save(self, angles: xr.Dataset, *key) -> None:
        from .engine.cache import CachingEngine
        p = self.path(*key)
        p.parent.mkdir(parents=True, exist_ok=True)
        CachingEngine._atomic(p, lambda tmp: angles.to_netcdf(tmp))


def rescore(sets: Sequence[ForceField], fidelity, seeds: Sequence[int], reference: xr.Dataset, engine,
            reference_frames: Iterable | None = None, progress=None) -> xr.Dataset:
    """Score every set on every seed (see the module docstring); returns a Dataset over dims ``set``,
    ``seed``, ``pair`` with ``R_x``, ``chi``, ``r_peak``, ``n_SiO``, ``theta_OSiO``, ``theta_SiOSi``,
    ``status``, ``reason``, and the reference's numbers as ``ref_*`` variables. ``engine``: any engine;
    with a :class:`~silica_explorer.engine.cache.CachingEngine` the angles are cached beside its melts."""
    from .engine.cache import CachingEngine
    from .evaluate import Evaluator
    from .fidelity import get_fidelity
    fidelity = get_fidelity(fidelity)
    names = [ff.name for ff in sets]
    if len(set(names)) != len(names):
        raise ValueError(f"set names must be distinct, got {names}")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds: need at least one MD seed")
    ev = Evaluator(reference, fidelity, engine=engine)
    raw = ev.engine.engine if isinstance(ev.engine, CachingEngine) else None
    cache = AngleCache(ev.engine.directory) if raw is not None else None
    shape = (len(sets), len(seeds))
    arr = {k: np.full(shape, np.nan) for k in ("R_x", *NUMBERS)}
    chi = np.full(shape + (len(PAIRS),), np.nan)
    r_peak = np.full(shape + (len(PAIRS),), np.nan)
    status = np.full(shape, "", dtype=object)
    reason = np.full(shape, "", dtype=object)
    reruns = 0
    for i, ff in enumerate(sets):
        for j, seed in enumerate(seeds):
            res = ev(ff, seed=seed)
            status[i, j], reason[i, j] = res.status, res.reason or ""
            if progress is not None:
                progress(ff.name, seed, res)
            if res.cost is None:
                continue
            arr["R_x"][i, j] = res.R_x
            chi[i, j] = [res.chi[p] for p in PAIRS]
            key = (ff, fidelity, seed, ev.engine.version())
            angles = None
            if res.melt.trajectory is not None:
                angles = bond_angle_distributions(res.melt.trajectory)
                if cache is not None:
                    cache.save(angles, *key)
            elif cache is not None:
                angles = cache.load(*key)
                if angles is None:  # cached melt without frames: run it once more for them
                    again = raw.melt(ff, fidelity, seed)
                    reruns += 1
                    if again.trajectory is not None:
                        angles = bond_angle_distributions(again.trajectory)
                        cache.save(angles, *key)
            nums = structure_numbers(res.pdf, angles)
            r_peak[i, j] = [nums["r_peak"][p] for p in PAIRS]
            for k in NUMBERS:
                arr[k][i, j] = nums[k]
    ref = reference_numbers(reference, reference_frames)
    ds = xr.Dataset(coords={"set": ("set", names), "seed": ("seed", np.array(seeds)), "pair": ("pair", list(PAIRS))})
    ds["R_x"] = (("set", "seed"), arr["R_x"], {"units": "1 (fraction)", "long_name": "R_x against the reference"})
    ds["chi"] = (("set", "seed", "pair"), chi, {"units": "1 (fraction)", "long_name": "per-pair chi = sqrt(chi2)"})
    ds["r_peak"] = (("set", "seed", "pair"), r_peak, {"units": "A", "long_name": "first-peak position of g"})
    for k, (units, long) in NUMBERS.items():
        ds[k] = (("set", "seed"), arr[k], {"units": units, "long_name": long})
    ds["status"] = (("set", "seed"), status.astype(str))
    ds["reason"] = (("set", "seed"), reason.astype(str))
    ds["ref_r_peak"] = ("pair", [ref["r_peak"][p] for p in PAIRS], {"units": "A"})
    for k, (units, long) in NUMBERS.items():
        ds[f"ref_{k}"] = ((), ref[k], {"units": units, "long_name": f"reference: {long}"})
    ds["forcefield_json"] = ("set", [ff.to_json() for ff in sets])
    ds.attrs.update(fidelity=json.dumps(fidelity.as_dict()), engine_version=ev.engine.version(),
                    reference=ev.reference_name, reference_angle_source=ref["angle_source"],
                    reruns_for_frames=reruns, angle_cutoff_A=2.3, angle_bin_deg=2.0,
                    note="mean +- std over seeds in the tables; std uses ddof=1")
    return ds


def table(ds: xr.Dataset) -> "pandas.DataFrame":  # noqa: F821
    """One row per set (mean and std over successful seeds; R_x and chi in %) plus a reference row."""
    import pandas as pd
    rows = []
    cols = [("R_x", None, 100.0), *[("chi", p, 100.0) for p in PAIRS], *[("r_peak", p, 1.0) for p in ("SiO", "OO", "SiSi")],
            ("n_SiO", None, 1.0), ("theta_OSiO", None, 1.0), ("theta_SiOSi", None, 1.0)]
    for s in ds.set.values:
        row = {"set": str(s), "n_ok": int((ds.status.sel(set=s).values == "ok").sum()), "n_seeds": int(ds.sizes["seed"])}
        for var, pair, f in cols:
            x = ds[var].sel(set=s)
            if pair is not None:
                x = x.sel(pair=pair)
            x = f * x.values[np.isfinite(x.values)]
            label = f"{var}_{pair}" if pair else var
            row[label] = float(x.mean()) if x.size else math.nan
            row[f"{label}_std"] = float(x.std(ddof=1)) if x.size > 1 else math.nan
        rows.append(row)
    ref = {"set": "reference", "n_ok": math.nan, "n_seeds": math.nan}
    for var, pair, f in cols:
        label = f"{var}_{pair}" if pair else var
        if var in ("R_x", "chi"):
            ref[label], ref[f"{label}_std"] = math.nan, math.nan
        else:
            v = ds[f"ref_{var}"]
            ref[label] = float(v.sel(pair=pair)) if pair else float(v)
            ref[f"{label}_std"] = math.nan
    rows.append(ref)
    return pd.DataFrame(rows)


def markdown(df, title: str = "") -> str:
    """The table as markdown: ``mean +- std`` cells (R_x and chi in %, peaks in A, angles in degree)."""
    heads = [("R_x", "R_x %"), ("chi_SiO", "chi Si-O %"), ("chi_OO", "chi O-O %"), ("chi_SiSi", "chi Si-Si %"),
             ("r_peak_SiO", "r Si-O A"), ("r_peak_OO", "r O-O A"), ("r_peak_SiSi", "r Si-Si A"),
             ("n_SiO", "n Si-O"), ("theta_OSiO", "O-Si-O deg"), ("theta_SiOSi", "Si-O-Si deg")]
    digits = {"R_x": 2, "chi_SiO": 2, "chi_OO": 2, "chi_SiSi": 2, "r_peak_SiO": 3, "r_peak_OO": 3,
              "r_peak_SiSi": 3, "n_SiO": 3, "theta_OSiO": 1, "theta_SiOSi": 1}
    lines = ([f"**{title}**", ""] if title else []) + ["| set | ok/seeds | " + " | ".join(h for _, h in heads) + " |",
                                                      "|---" * (len(heads) + 2) + "|"]
    for _, row in df.iterrows():
        cells = []
        for key, _ in heads:
            m, s = row[key], row[f"{key}_std"]
            if not np.isfinite(m):
                cells.append("-")
            elif np.isfinite(s):
                cells.append(f"{m:.{digits[key]}f} +- {s:.{digits[key]}f}")
            else:
                cells.append(f"{m:.{digits[key]}f}")
        ok = "-" if row["set"] == "reference" else f"{int(row['n_ok'])}/{int(row['n_seeds'])}"
        lines.append(f"| {row['set']} | {ok} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def load_sets(specs: Iterable[str]) -> list[ForceField]:
    """Presets by name and forcefield JSON files (by path) -> ForceFields (ParameterError naming a bad one)."""
    out = []
    for spec in specs:
        spec = spec.strip()
        if not spec:
            continue
        out.append(forcefield_from(spec, "sets"))
    if not out:
        raise ValueError("sets: none given; presets by name or forcefield JSON files")
    return out


def save(ds: xr.Dataset, out: str | Path, title: str = "") -> dict[str, Path]:
    """Write ``OUT.nc`` (the Dataset), ``OUT.csv`` and ``OUT.md`` (the table)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = {"nc": Path(f"{out}.nc"), "csv": Path(f"{out}.csv"), "md": Path(f"{out}.md")}
    ds.to_netcdf(paths["nc"])
    df = table(ds)
    df.to_csv(paths["csv"], index=False)
    paths["md"].write_text(markdown(df, title))
    return paths

