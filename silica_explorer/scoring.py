"""Scoring several parameter sets over several MD seeds, and the tables of their mean +- std.

Two runs, one table:

- :func:`score_sets` (Table II of the paper): ``len(sets) x len(seeds)`` evaluations through an
  :class:`~silica_explorer.evaluate.Evaluator`; a Dataset with dims ``set``, ``seed``, ``pair``: ``chi``
  (pair-resolved, fraction), ``R_x`` (fraction), ``status``, ``reason``, ``wall_time_s`` (s), plus the mean
  PDF of each set (dims ``pdf_set``, ``pair``, ``r``). :func:`summary` gives its mean +- std (in %) over the
  successful seeds.
- :func:`rescore` (fresh seeds, with the structure numbers of the paper): R_x and chi per pair (fractions)
  as above, and from each melt's PDFs and frames:

  - ``r_peak(pair)``: first-peak positions of g_SiO, g_OO, g_SiSi (A; :func:`~silica_explorer.structure.first_peak`);
  - ``n_SiO``: mean number of O within 2.3 A of a Si (:func:`~silica_explorer.structure.coordination_numbers`);
  - ``theta_OSiO``, ``theta_SiOSi``: peak positions (degree) of the O-Si-O and Si-O-Si bond-angle
    distributions (Si-O bonds shorter than 2.3 A; :func:`~silica_explorer.structure.bond_angle_distributions`
    and :func:`angle_peak`).

  :func:`table` gives its mean +- std with a reference row; :func:`save` writes ``OUT.nc``, ``OUT.csv``
  and ``OUT.md``.

Both tables come from one :func:`seed_table` and print through one :func:`format_table` (plain text or
markdown).

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
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .engine.cache import CachingEngine, atomic_write, melt_key
from .evaluate import Evaluator
from .fidelity import get_fidelity
from .forcefield import ForceField
from .inputs import forcefield_from
from .parameters import PAIRS
from .structure import bond_angle_distributions, coordination_numbers, first_peak
from .systems.description import pair_symbols

#: Scalar structure numbers per melt (name -> (units, long name)); ``r_peak`` is per pair.
NUMBERS = {
    "n_SiO": ("1", "mean number of O within 2.3 A of a Si"),
    "theta_OSiO": ("degree", "peak of the O-Si-O bond-angle distribution"),
    "theta_SiOSi": ("degree", "peak of the Si-O-Si bond-angle distribution"),
}
ANGLES = {"theta_OSiO": "OSiO", "theta_SiOSi": "SiOSi"}

#: Liu et al. (2019), Table II: per-pair chi and global R_x (%) against their CPMD liquid at 3600 K.
PAPER_TABLE_II = {
    "ML": {"SiO": 7.35, "OO": 3.58, "SiSi": 12.80, "R_x": 8.77},
    "BKS": {"SiO": 21.45, "OO": 12.90, "SiSi": 15.54, "R_x": 17.01},
    "CHIK": {"SiO": 12.29, "OO": 6.09, "SiSi": 11.76, "R_x": 10.43},
}


# ------------------------------------------------------------------------------------------- runs

def score_sets(sets: Mapping[str, ForceField] | Sequence[str], evaluator: Evaluator, seeds: Sequence[int] = (0, 1, 2),
               progress: Callable[[int, int, str], None] | None = None) -> xr.Dataset:
    """Evaluate every set at every seed; failed runs are kept with their reason and NaN costs. The ``pair``
    dim holds the pairs of the evaluator's system (:attr:`Evaluator.system`; silica's :data:`PAIRS`)."""
    if not isinstance(sets, Mapping):
        sets = {name: ForceField.preset(name) for name in sets}
    names, seeds = list(sets), [int(s) for s in seeds]
    pairs = evaluator.system.pairs  # silica: PAIRS
    chi = np.full((len(names), len(seeds), len(pairs)), np.nan)
    rx = np.full((len(names), len(seeds)), np.nan)
    pressure = np.full((len(names), len(seeds)), np.nan)
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
                pressure[i, j] = ev.melt.mean_pressure_GPa()
                chi[i, j] = [ev.chi[p] for p in pairs]
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
            "pressure": (("set", "seed"), pressure, {"units": "GPa", "long_name": "mean production pressure of "
                         "the liquid at the fidelity's state point"}),
            "wall_time_s": (("set", "seed"), wall, {"units": "s"}),
            "status": (("set", "seed"), status.astype(str)),
            "reason": (("set", "seed"), reason.astype(str)),
        },
        coords={"set": names, "seed": seeds, "pair": list(pairs)},
        attrs={"fidelity": json.dumps(evaluator.fidelity.as_dict()), "reference": evaluator.reference_name,
               "engine_version": engine_version or "", "r_range": str(evaluator.r_range),
               "forcefields": json.dumps({n: sets[n].as_dict() for n in names})},
    )
    if pdfs:
        g = xr.concat([pdfs[n] for n in names if n in pdfs], dim=pd.Index([n for n in names if n in pdfs], name="pdf_set"))
        ds["g_mean"] = g.rename(r="r").assign_attrs(long_name="seed-averaged partial PDF", units="1")
    return ds


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
        return self.directory / f"{melt_key(forcefield, fidelity, seed, engine_version)}.angles.nc"

    def load(self, *key) -> xr.Dataset | None:
        p = self.path(*key)
        if not p.exists():
            return None
        with xr.open_dataset(p) as ds:
            return ds.load()

    def save(self, angles: xr.Dataset, *key) -> None:
        p = self.path(*key)
        p.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(p, lambda tmp: angles.to_netcdf(tmp))


def rescore(sets: Sequence[ForceField], fidelity, seeds: Sequence[int], reference: xr.Dataset, engine,
            reference_frames: Iterable | None = None, progress=None) -> xr.Dataset:
    """Score every set on every seed (see the module docstring); returns a Dataset over dims ``set``,
    ``seed``, ``pair`` with ``R_x``, ``chi``, ``r_peak``, ``n_SiO``, ``theta_OSiO``, ``theta_SiOSi``,
    ``status``, ``reason``, and the reference's numbers as ``ref_*`` variables. ``engine``: any engine;
    with a :class:`~silica_explorer.engine.cache.CachingEngine` the angles are cached beside its melts."""
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
    arr = {k: np.full(shape, np.nan) for k in ("R_x", "pressure", *NUMBERS)}
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
            arr["pressure"][i, j] = res.melt.mean_pressure_GPa()
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
    ds["pressure"] = (("set", "seed"), arr["pressure"],
                      {"units": "GPa", "long_name": "mean production pressure of the liquid at the fidelity's "
                       "state point (NVT; 3600 K, 2.2 g/cm3 for the project's fidelities)"})
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


# ------------------------------------------------------------------------------------------ tables

#: Columns of :func:`summary` (Table II): ``(variable, pair or None, scale)``; chi and R_x in %.
TABLE_II_STATISTICS = [("chi", "SiO", 100.0), ("chi", "OO", 100.0), ("chi", "SiSi", 100.0), ("R_x", None, 100.0),
                       ("pressure", None, 1.0)]
#: Columns of :func:`table` (:func:`rescore`): R_x and chi in %, peaks in A, n_SiO, angles in degree.
RESCORE_STATISTICS = [("R_x", None, 100.0), *[("chi", p, 100.0) for p in PAIRS],
                      *[("r_peak", p, 1.0) for p in ("SiO", "OO", "SiSi")],
                      ("n_SiO", None, 1.0), ("theta_OSiO", None, 1.0), ("theta_SiOSi", None, 1.0),
                      ("pressure", None, 1.0)]

#: How :func:`format_table` shows each column: ``key -> (plain-text heading, markdown heading, digits)``.
COLUMN_FORMATS = {
    "R_x": ("global R_x", "R_x %", 2), "chi_SiO": ("Si-O", "chi Si-O %", 2), "chi_OO": ("O-O", "chi O-O %", 2),
    "chi_SiSi": ("Si-Si", "chi Si-Si %", 2), "r_peak_SiO": ("r Si-O", "r Si-O A", 3),
    "r_peak_OO": ("r O-O", "r O-O A", 3), "r_peak_SiSi": ("r Si-Si", "r Si-Si A", 3), "n_SiO": ("n Si-O", "n Si-O", 3),
    "theta_OSiO": ("O-Si-O", "O-Si-O deg", 1), "theta_SiOSi": ("Si-O-Si", "Si-O-Si deg", 1),
    "pressure": ("P liquid", "P liquid GPa", 2),
}
#: The columns, in order, of Table II (:func:`summary`) and of the re-scoring table (:func:`table`).
TABLE_II_COLUMNS = ("chi_SiO", "chi_OO", "chi_SiSi", "R_x", "pressure")
RESCORE_COLUMNS = ("R_x", "chi_SiO", "chi_OO", "chi_SiSi", "r_peak_SiO", "r_peak_OO", "r_peak_SiSi", "n_SiO",
                   "theta_OSiO", "theta_SiOSi", "pressure")


def table_ii_statistics(pairs: Sequence[str]) -> list[tuple]:
    """The :func:`summary` columns for ``pairs``: silica's :data:`TABLE_II_STATISTICS` (the paper's order)
    for silica's pairs, else chi of every pair in the given order, then R_x and the pressure."""
    if sorted(pairs) == sorted(PAIRS):
        return list(TABLE_II_STATISTICS)
    return [*[("chi", p, 100.0) for p in pairs], ("R_x", None, 100.0), ("pressure", None, 1.0)]


def column_format(key: str) -> tuple[str, str, int]:
    """``(plain-text heading, markdown heading, digits)`` of a table column: :data:`COLUMN_FORMATS`, or for
    the chi of any other pair (``chi_NaO``) ``("Na-O", "chi Na-O %", 2)``."""
    if key in COLUMN_FORMATS:
        return COLUMN_FORMATS[key]
    if key.startswith("chi_"):
        label = "-".join(pair_symbols(key[4:]))
        return (label, f"chi {label} %", 2)
    raise KeyError(f"no table column {key!r}; columns: {list(COLUMN_FORMATS)} or chi_<pair>")


def seed_table(ds: xr.Dataset, statistics: Sequence[tuple], reference: bool = False) -> pd.DataFrame:
    """One row per set: ``set``, ``n_ok`` (seeds with status ``"ok"``), ``n_seeds``, and for each
    ``(variable, pair, scale)`` of ``statistics`` the mean ``<variable>[_<pair>]`` and the standard
    deviation ``..._std`` (ddof=1; nan with fewer than 2 values) of ``scale * value`` over the seeds where it
    is finite (nan for a variable ``ds`` lacks, e.g. ``pressure`` in files written before it was recorded).
    ``reference``: add a ``"reference"`` row with the ``ref_<variable>`` numbers (nan where the reference
    has none: R_x, chi, and the liquid pressure, which the CHGNet frames do not carry)."""
    rows = []
    for s in ds.set.values:
        row = {"set": str(s), "n_ok": int((ds.status.sel(set=s).values == "ok").sum()), "n_seeds": int(ds.sizes["seed"])}
        for var, pair, f in statistics:
            label = f"{var}_{pair}" if pair else var
            if var not in ds:
                row[label], row[f"{label}_std"] = math.nan, math.nan
                continue
            x = ds[var].sel(set=s)
            if pair is not None:
                x = x.sel(pair=pair)
            x = f * x.values[np.isfinite(x.values)]
            row[label] = float(x.mean()) if x.size else math.nan
            row[f"{label}_std"] = float(x.std(ddof=1)) if x.size > 1 else math.nan
        rows.append(row)
    if reference:
        ref = {"set": "reference", "n_ok": math.nan, "n_seeds": math.nan}
        for var, pair, f in statistics:
            label = f"{var}_{pair}" if pair else var
            if var in ("R_x", "chi") or f"ref_{var}" not in ds:
                ref[label], ref[f"{label}_std"] = math.nan, math.nan
            else:
                v = ds[f"ref_{var}"]
                ref[label] = float(v.sel(pair=pair)) if pair else float(v)
                ref[f"{label}_std"] = math.nan
        rows.append(ref)
    return pd.DataFrame(rows)


def summary(scores: xr.Dataset) -> pd.DataFrame:
    """Table II of :func:`score_sets`: mean +- std over successful seeds, in %, indexed by set: columns
    n_ok, n_seeds, chi_SiO, chi_OO, chi_SiSi, R_x, pressure (each with ``_std``); another system's scores have
    chi of each of its pairs (:func:`table_ii_statistics`)."""
    pairs = tuple(str(p) for p in scores.pair.values)
    return seed_table(scores, table_ii_statistics(pairs)).set_index("set")


def table(ds: xr.Dataset) -> pd.DataFrame:
    """The table of :func:`rescore`: one row per set (mean and std over successful seeds; R_x and chi in
    %, peaks in A, angles in degree) plus a reference row."""
    return seed_table(ds, RESCORE_STATISTICS, reference=True)


def format_table(df: pd.DataFrame, title: str = "", columns: Sequence[str] = RESCORE_COLUMNS,
                 style: str = "markdown") -> str:
    """``df`` (from :func:`summary` or :func:`table`) as text: ``mean +- std`` cells of ``columns`` (keys of
    :data:`COLUMN_FORMATS`) and ``ok/seeds``.

    ``style="text"``: fixed-width plain text (two decimals; the command line's Table II).
    ``style="markdown"``: a markdown table under an optional bold ``title``, each column with its own
    number of digits; ``-`` for an empty cell or the reference row's ok count.
    """
    if style not in ("text", "markdown"):
        raise ValueError(f"style must be 'text' or 'markdown', got {style!r}")
    if "set" not in df.columns:
        df = df.reset_index()
    if style == "text":
        lines = [f"{'set':16s} " + " ".join(f"{column_format(c)[0]:>14s}" for c in columns) + "  ok"]
        for _, row in df.iterrows():
            cells = [f"{row[c]:6.2f} +- {row[c + '_std']:4.2f}" for c in columns]
            lines.append(f"{row['set']:16s} " + " ".join(f"{c:>14s}" for c in cells)
                         + f"  {int(row['n_ok'])}/{int(row['n_seeds'])}")
        return "\n".join(lines)
    lines = ([f"**{title}**", ""] if title else []) + ["| set | ok/seeds | " + " | ".join(column_format(c)[1] for c in columns) + " |",
                                                      "|---" * (len(columns) + 2) + "|"]
    for _, row in df.iterrows():
        cells = []
        for key in columns:
            m, s, d = row[key], row[f"{key}_std"], column_format(key)[2]
            if not np.isfinite(m):
                cells.append("-")
            elif np.isfinite(s):
                cells.append(f"{m:.{d}f} +- {s:.{d}f}")
            else:
                cells.append(f"{m:.{d}f}")
        ok = "-" if row["set"] == "reference" else f"{int(row['n_ok'])}/{int(row['n_seeds'])}"
        lines.append(f"| {row['set']} | {ok} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def format_summary(table: pd.DataFrame) -> str:
    """Plain-text Table II of :func:`summary` (mean +- std in %): :func:`format_table` in the ``"text"``
    style with :data:`TABLE_II_COLUMNS`, or for another system's table chi of each of its pairs, R_x and
    the pressure."""
    chi = tuple(c for c in table.columns if c.startswith("chi_") and not c.endswith("_std"))
    silica = sorted(chi) == sorted(c for c in TABLE_II_COLUMNS if c.startswith("chi_"))
    return format_table(table, columns=TABLE_II_COLUMNS if silica else (*chi, "R_x", "pressure"), style="text")


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
    paths["md"].write_text(format_table(df, title))
    return paths

