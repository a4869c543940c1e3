"""Benchmark with real MD: does a cheap melt rank parameter sets the way the fitting fidelity does?

The first step of a multi-fidelity search: before screening at a cheap fidelity and promoting the best
candidates, measure how well the cheap R_x orders sets against the expensive one, over the whole search
box and near the valley, and what each costs.

    .venv/bin/python benchmarks/fidelity_ranking.py --global 40 --local 24 --store runs/fidelity_ranking \\
        --out data/results/fidelity_ranking_quick
    # smoke run
    .venv/bin/python benchmarks/fidelity_ranking.py --global 3 --local 2 --low tiny --high tiny \\
        --low-seeds 0 --store /tmp/fr_smoke --out /tmp/fr_smoke/out

Points, in the fit's 7-D space (Si-Si off, base BKS, ``--space`` coordinates, default contact as the CLI):
``--global`` scrambled-Sobol points over the whole box and ``--local`` points near the valley (Gaussian
steps of ``--local-sigma`` in unit coordinates around the shipped fits CHGNet-fit7 and CHGNet-fit10,
clipped to the box). Every point is melted at ``--low`` with each of ``--low-seeds`` (R_x averaged) and at
``--high`` with ``--high-seed``. Every melt goes into one store (:class:`~silica_explorer.store.CachedCost`),
so an interrupted study resumes where it stopped (re-run the same command).

Prints and writes to ``OUT.txt`` (and the per-point numbers to ``OUT.nc``): the measured cost ratio (median
wall time per melt, low/high, in one run), failure agreement (a 2x2 table: failed at low / at high),
Spearman and Kendall rank correlations over the points that ran at both fidelities (all, the better half
at high, the local points), and top-k recall: of the best k at high, how many are in the best 2k at low.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import xarray as xr
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from silica_explorer.evaluate import Evaluator  # noqa: E402
from silica_explorer.forcefield import ForceField  # noqa: E402
from silica_explorer.inputs import forcefield_from, parse_seeds  # noqa: E402
from silica_explorer.optimize import SearchSpace, initial_design  # noqa: E402
from silica_explorer.reference import default_reference  # noqa: E402
from silica_explorer.store import CachedCost, Store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FREE7 = "q_Si,A_SiO,rho_SiO,C_SiO,A_OO,rho_OO,C_OO"
CENTRES = (ROOT / "data" / "fits" / "fit7" / "CHGNet-fit7.json", ROOT / "data" / "fits" / "fit10" / "CHGNet-fit10.json")


def design(space: SearchSpace, n_global: int, n_local: int, sigma: float, seed: int) -> tuple[np.ndarray, list[str]]:
    """Unit points and their kind (``"global"`` or ``"local:<centre>"``)."""
    u_glob = initial_design(n_global, space.dim, "sobol", seed=seed)
    rng = np.random.default_rng(seed + 1)
    centres = [(forcefield_from(str(p), "centre").name, space.unit_of(forcefield_from(str(p), "centre")))
               for p in CENTRES]
    u_loc, kinds = [], []
    for k in range(n_local):
        name, c = centres[k % len(centres)]
        u_loc.append(space.clip_unit(c + sigma * rng.standard_normal(space.dim)))
        kinds.append(f"local:{name}")
    u = np.vstack([u_glob, np.array(u_loc).reshape(-1, space.dim)])
    return u, ["global"] * n_global + kinds


def top_k_recall(low: np.ndarray, high: np.ndarray, k: int) -> float:
    """Of the k best points at high, the fraction that is among the 2k best at low."""
    k = min(k, len(high))
    best_high = set(np.argsort(high)[:k])
    best_low = set(np.argsort(low)[: 2 * k])
    return len(best_high & best_low) / k if k else float("nan")


def correlations(low: np.ndarray, high: np.ndarray) -> str:
    if len(low) < 4:
        return f"n={len(low)} (too few)"
    rs = stats.spearmanr(low, high).statistic
    kt = stats.kendalltau(low, high).statistic
    return f"n={len(low):3d}  Spearman {rs:+.2f}  Kendall {kt:+.2f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--free", default=FREE7)
    ap.add_argument("--base", default="BKS")
    ap.add_argument("--space", default="contact", choices=["box", "log", "contact"])
    ap.add_argument("--global", dest="n_global", type=int, default=40, help="Sobol points over the whole box")
    ap.add_argument("--local", dest="n_local", type=int, default=24, help="points near the shipped fits")
    ap.add_argument("--local-sigma", type=float, default=0.05, help="step (unit coordinates) of the local points")
    ap.add_argument("--low", default="tiny", help="cheap fidelity")
    ap.add_argument("--high", default="quick", help="fitting fidelity")
    ap.add_argument("--low-seeds", default="0,1", help="MD seeds at the cheap fidelity (R_x averaged)")
    ap.add_argument("--high-seed", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0, help="design seed")
    ap.add_argument("--threads", type=int, default=1, help="LAMMPS threads per melt")
    ap.add_argument("--store", type=Path, default=Path("runs") / "fidelity_ranking")
    ap.add_argument("--out", type=Path, required=True, help="output prefix (OUT.txt, OUT.nc)")
    args = ap.parse_args(argv)
    from silica_explorer.engine.lammps import LammpsEngine
    from tqdm import tqdm

    space = SearchSpace(args.free, base=ForceField.preset(args.base), coords=args.space)
    u, kinds = design(space, args.n_global, args.n_local, args.local_sigma, args.seed)
    low_seeds = parse_seeds(args.low_seeds)
    engine = LammpsEngine(threads=args.threads)
    reference = default_reference()
    store = Store(args.store)
    low = CachedCost(Evaluator(reference, args.low, engine=engine), store, keep_pdf=False)
    high = CachedCost(Evaluator(reference, args.high, engine=engine), store, keep_pdf=False)
    n = len(u)
    R_low = np.full((n, len(low_seeds)), np.nan)
    R_high = np.full(n, np.nan)
    t_low, t_high = [], []
    t0 = time.perf_counter()
    for i in tqdm(range(n), desc="points", unit="point"):
        ff = space.forcefield(u[i], name=f"p{i:03d}")
        for j, s in enumerate(low_seeds):
            rec = low(ff, seed=s, run_id="fidelity-ranking-low", u=u[i].tolist())
            R_low[i, j] = rec.R_x if rec.status == "ok" else np.nan
            if rec.wall_time_s:
                t_low.append(rec.wall_time_s)
        rec = high(ff, seed=args.high_seed, run_id="fidelity-ranking-high", u=u[i].tolist())
        R_high[i] = rec.R_x if rec.status == "ok" else np.nan
        if rec.wall_time_s:
            t_high.append(rec.wall_time_s)
    wall = time.perf_counter() - t0

    all_low_ok = np.isfinite(R_low).all(axis=1)  # a point counts at low only if every low seed ran
    low_mean = np.full(n, np.nan)
    low_mean[all_low_ok] = R_low[all_low_ok].mean(axis=1)
    ok_low, ok_high = np.isfinite(low_mean), np.isfinite(R_high)
    both = ok_low & ok_high
    kinds_a = np.array(kinds)
    lines = [f"# {space}; low {args.low} seeds {low_seeds}, high {args.high} seed {args.high_seed}; "
             f"{args.n_global} global + {args.n_local} local points (sigma {args.local_sigma}); design seed {args.seed}",
             f"# command: python benchmarks/fidelity_ranking.py {' '.join(argv if argv is not None else sys.argv[1:])}",
             f"# wall time of this run {wall:.0f} s (melts served from the store count 0)", ""]
    if t_low and t_high:
        ratio = np.median(t_low) / np.median(t_high)
        lines.append(f"cost: median wall per melt {np.median(t_low):.2f} s at {args.low}, {np.median(t_high):.2f} s at "
                     f"{args.high}: ratio {ratio:.3f} (one {args.low} melt = {ratio:.3f} {args.high}-melt equivalents; "
                     f"{len(low_seeds)} seeds per point = {len(low_seeds) * ratio:.3f})")
    lines.append(f"failures: both {int((~ok_low & ~ok_high).sum())}, only low {int((~ok_low & ok_high).sum())}, "
                 f"only high {int((ok_low & ~ok_high).sum())}, ok at both {int(both.sum())} (of {n})")
    lines.append("rank correlation of low-fidelity R_x (seed mean) with high-fidelity R_x:")
    lines.append(f"  all points        {correlations(low_mean[both], R_high[both])}")
    if both.sum() >= 8:
        better = both & (R_high <= np.nanmedian(R_high[both]))
        lines.append(f"  better half (high) {correlations(low_mean[better], R_high[better])}")
    for kind in ("global", "local"):
        sel = both & np.char.startswith(kinds_a, kind)
        lines.append(f"  {kind:6s} points     {correlations(low_mean[sel], R_high[sel])}")
    if len(low_seeds) > 1:
        spread = np.nanstd(R_low[both], axis=1, ddof=1)
        lines.append(f"low-fidelity seed-to-seed std of R_x: median {100 * np.nanmedian(spread):.2f} points")
    for k in (3, 5, 10):
        if both.sum() >= 2 * k:
            lines.append(f"top-{k} recall (best {k} at high among best {2 * k} at low): "
                         f"{top_k_recall(low_mean[both], R_high[both], k):.2f}")
    if both.any():
        order = np.argsort(R_high[both])[:10]
        idx = np.flatnonzero(both)[order]
        lines.append("best 10 at high: " + ", ".join(f"p{i:03d} {100 * R_high[i]:.2f}/{100 * low_mean[i]:.2f} %"
                                                        for i in idx) + " (high/low)")
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".txt").write_text(text + "\n")
    ds = xr.Dataset(
        {"R_low": (("point", "low_seed"), R_low, {"units": "1 (fraction)", "fidelity": args.low}),
         "R_high": ("point", R_high, {"units": "1 (fraction)", "fidelity": args.high}),
         "u": (("point", "dim"), u, {"long_name": f"unit coordinates ({args.space})"}),
         "params": (("point", "name"), np.array([space.from_unit(x) for x in u]), {"long_name": "parameter values"})},
        coords={"point": np.arange(n), "low_seed": low_seeds, "dim": np.arange(space.dim), "name": list(space.names),
                "kind": ("point", kinds)},
        attrs={"space": repr(space), "high_seed": args.high_seed, "summary": text})
    ds.to_netcdf(args.out.with_suffix(".nc"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
