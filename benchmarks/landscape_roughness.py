"""Roughness of a cost landscape, compared with the statistical noise of R_x at its fidelity.

Reads a landscape netCDF (``silica-explorer landscape --out FILE``) and prints, for the full window
and every zoom window:

- ``minima``: the fraction of interior grid points that are strict local minima over their 8
  neighbours (a smooth bowl: at most one, i.e. ~1/N_interior; white noise: ~1/9 = 0.11);
- ``rms_resid``: RMS of R_x after removing a least-squares quadratic in the two parameters, and
  ``resid_frac`` its share of the total variance; ``hf_frac``: the share of the residual's spectral
  power above half the Nyquist frequency on either axis.

Roughness must not be confused with noise, so the script also measures the noise: the standard
deviation of R_x over MD seeds at the same parameters. From the file when it has >= 2 seeds per
point; otherwise it re-evaluates a few points (``--noise-points``: the window's best, median and
worst ok point) with ``--noise-seeds`` extra seeds (real MD at the file's fidelity). Then it
simulates a noise-only surface (the window's quadratic fit + Gaussian noise of that size, 200
draws) and prints its expected ``minima`` and ``rms_resid``: a landscape is rough beyond noise only
where its numbers clearly exceed those.

    nice -n 19 .venv/bin/python benchmarks/landscape_roughness.py data/landscapes/FILE.nc \\
        [--noise-points 3] [--noise-seeds 4] [--reference REF.nc] [--workers 2] [--no-md]

R_x values are printed in % (the file stores fractions).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import xarray as xr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from silica_explorer.forcefield import ForceField  # noqa: E402
from silica_explorer.landscape import (high_frequency_power, local_minima_fraction, open_landscape,  # noqa: E402
                                       point_record, roughness)

STANDIN_PREFIX = "classical CHIK liquid, stand-in"


def noise_only(ds: xr.Dataset, sigma: float, draws: int = 200, seed: int = 0) -> dict:
    """Expected roughness numbers of the window's quadratic fit plus iid Gaussian noise ``sigma``."""
    yn, xn = ds.attrs["y_param"], ds.attrs["x_param"]
    z = ds.R_x_mean.transpose(yn, xn).values
    ny, nx = z.shape
    v = np.linspace(-1, 1, ny)[:, None] * np.ones((1, nx))
    u = np.ones((ny, 1)) * np.linspace(-1, 1, nx)[None, :]
    ok = np.isfinite(z)
    basis = np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], axis=-1)
    coef, *_ = np.linalg.lstsq(basis[ok], z[ok], rcond=None)
    smooth = basis @ coef
    rng = np.random.default_rng(seed)
    mins, rms = [], []
    for _ in range(draws):
        sim = np.where(ok, smooth + sigma * rng.standard_normal(smooth.shape), np.nan)
        da = xr.DataArray(sim)
        mins.append(local_minima_fraction(da))
        rms.append(high_frequency_power(da)["rms_residual"])
    return {"minima": float(np.nanmean(mins)), "rms_resid": float(np.nanmean(rms))}


def noise_from_file(ds: xr.Dataset) -> tuple[float, str] | None:
    if ds.sizes["seed"] < 2:
        return None
    std = ds.R_x_std.where(ds.n_ok >= 2)
    if not std.notnull().any():
        return None
    return float(np.sqrt((std**2).mean())), f"RMS over {int(std.notnull().sum())} points of the std over " \
                                             f"{ds.sizes['seed']} seeds in the file"


def reference_of(tree, given: Path | None):
    if given is not None:
        return str(given)
    ref = str(tree.attrs.get("reference", ""))
    path = ref.split(" (")[0]  # the CLI records "PATH (name in the file)"
    if path and Path(path).exists():
        return path
    if ref.startswith(STANDIN_PREFIX):  # regenerate the deterministic classical stand-in
        from silica_explorer.engine.lammps import LammpsEngine
        from silica_explorer.fidelity import Fidelity
        fid = Fidelity.from_dict(json.loads(tree.attrs["fidelity"]))
        pdf = LammpsEngine(threads=1).melt(ForceField.preset("CHIK"), fid, seed=3).pdf
        pdf.attrs["name"] = ref
        return pdf
    raise SystemExit(f"cannot find the landscape's reference {ref!r}; pass --reference FILE (or --no-md)")


def noise_by_md(tree, ds: xr.Dataset, n_points: int, n_seeds: int, reference, workers: int | None):
    from silica_explorer.engine.lammps import LammpsEngine
    from silica_explorer.evaluate import Evaluator
    from silica_explorer.fidelity import Fidelity
    from silica_explorer.parallel import get_executor

    xn, yn = ds.attrs["x_param"], ds.attrs["y_param"]
    base = ForceField.from_json(tree.attrs["base_parameters"])
    fid = Fidelity.from_dict(json.loads(tree.attrs["fidelity"]))
    r0 = ds.R_x.isel(seed=0).stack(pt=(yn, xn))
    r0 = r0.where(ds.status.isel(seed=0).stack(pt=(yn, xn)) == "ok", drop=True)
    r0 = r0.sortby(r0)
    if r0.size == 0:
        return None
    idx = sorted({0, r0.size // 2, r0.size - 1})[:n_points] if n_points <= 3 else \
        np.unique(np.linspace(0, r0.size - 1, n_points).round().astype(int)).tolist()
    used_seeds = [int(s) for s in ds.seed.values]
    extra = [s for s in range(1, 1000) if s not in used_seeds][:n_seeds]
    pts = [(float(r0[xn][i]), float(r0[yn][i])) for i in idx]
    ffs, seeds = [], []
    for x, y in pts:
        for s in extra:
            ffs.append(base.replace(**{xn: x, yn: y}))
            seeds.append(s)
    print(f"  noise: {len(pts)} points x {len(extra)} extra seeds = {len(ffs)} melts at fidelity {fid.name} ...",
          flush=True)
    with get_executor(workers) as ex:
        ev = ex.configure(Evaluator(reference, fid, engine=LammpsEngine()))
        values: dict[tuple, list] = {p: [float(ds.R_x.sel(seed=ds.seed.values[0], **{xn: p[0], yn: p[1]}))]
                                     for p in pts}
        for _, ff, seed, res in ex.map(ev, ffs, seeds, errors="return"):
            rec = point_record(res)
            if rec["status"] == "ok":
                values[(getattr(ff, xn), getattr(ff, yn))].append(rec["R_x"])
    stds = []
    for (x, y), v in values.items():
        v = np.array(v)
        s = float(np.std(v, ddof=1)) if v.size > 1 else float("nan")
        stds.append(s)
        print(f"    {xn}={x:g} {yn}={y:g}: R_x = {100 * v.mean():.2f} +- {100 * s:.2f} % over {v.size} seeds")
    stds = np.array([s for s in stds if math.isfinite(s)])
    if stds.size == 0:
        return None
    return float(np.sqrt(np.mean(stds**2))), f"RMS of the std over {len(extra) + 1} seeds at {stds.size} points"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", type=Path, help="landscape netCDF")
    ap.add_argument("--noise-points", type=int, default=3, help="points re-evaluated for the noise (default 3)")
    ap.add_argument("--noise-seeds", type=int, default=4, help="extra MD seeds per noise point (default 4)")
    ap.add_argument("--reference", type=Path, default=None, help="reference PDFs (default: the landscape's)")
    ap.add_argument("--workers", type=int, default=None, help="parallel melts for the noise (default: cores)")
    ap.add_argument("--no-md", action="store_true", help="never run MD; noise only from multi-seed files")
    args = ap.parse_args(argv)

    tree = open_landscape(args.file)
    a = tree.attrs
    print(f"{args.file}: R_x over ({a['x_param']}, {a['y_param']}), base {a['base_preset']}, "
          f"fidelity {a['fidelity_name']}, seeds {a['seeds']}, reference {a['reference']!r}")
    if "stand-in" in str(a.get("reference", "")) or "synthetic" in str(a.get("reference", "")):
        print("  NOTE: stand-in reference/cost - the numbers test the machinery, not the physics")
    windows = str(a.get("windows", "full")).split(",")
    full = tree["full"].to_dataset()

    noise = noise_from_file(full)
    if noise is None and not args.no_md:
        noise = noise_by_md(tree, full, args.noise_points, args.noise_seeds, reference_of(tree, args.reference),
                            args.workers)
    sigma = noise[0] if noise else float("nan")
    print(f"noise of one R_x evaluation: {100 * sigma:.2f} %  ({noise[1] if noise else 'not measured'})")

    head = (f"{'window':8s} {'grid':>7s} {'x_step':>9s} {'y_step':>9s} {'R_x range %':>12s} {'minima':>7s} "
            f"{'rms_resid %':>11s} {'resid_frac':>10s} {'hf_frac':>7s} | {'noise-only: minima':>18s} "
            f"{'rms_resid %':>11s}")
    print(head)
    print("-" * len(head))
    for name in windows:
        ds = tree[name].to_dataset()
        r = roughness(ds)
        n_seeds_ok = float(ds.n_ok.where(ds.n_ok > 0).mean()) if (ds.n_ok > 0).any() else 1.0
        null = noise_only(ds, sigma / math.sqrt(n_seeds_ok)) if math.isfinite(sigma) else \
            {"minima": float("nan"), "rms_resid": float("nan")}
        print(f"{name:8s} {r['shape'][1]:>3d}x{r['shape'][0]:<3d} {r['x_step']:9.4g} {r['y_step']:9.4g} "
              f"{100 * r['range']:12.2f} {r['local_minima_fraction']:7.3f} {100 * r['rms_residual']:11.2f} "
              f"{r['residual_fraction']:10.3f} {r['hf_power_fraction']:7.3f} | {null['minima']:18.3f} "
              f"{100 * null['rms_resid']:11.2f}")
        n_fail = int(ds.attrs.get("n_failed", 0))
        if n_fail:
            print(f"{'':8s} ({n_fail} failed points are NaN and excluded)")
    print("rough beyond noise where minima and rms_resid clearly exceed their noise-only values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
