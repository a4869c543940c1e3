"""Benchmark: BO vs CG vs BO+CG vs random search vs Optuna (TPE) on the same cost and budget.

    .venv/bin/python benchmarks/optimizers.py [--budget 40] [--seeds 5] [--targets 0.12,0.10] [--dim 2]
                                              [--landscape FILE.nc] [--noise 0.002]

    # the shipped quick landscape, with the seed noise measured by benchmarks/landscape_roughness.py:
    .venv/bin/python benchmarks/optimizers.py --noise 0.0033 --budget 40 --seeds 10
    # the analytic stand-in instead:
    .venv/bin/python benchmarks/optimizers.py --landscape "" [--dim 5]
    # failure policies and TuRBO next to BO: the shipped landscape, and the 7-D collapse stand-in
    .venv/bin/python benchmarks/optimizers.py --noise 0.0033 --budget 40 --seeds 10 \
        --methods bo,bo-constrained,turbo,turbo-constrained
    .venv/bin/python benchmarks/optimizers.py --landscape "" --function collapse_valley --dim 7 --noise 0.0033 \
        --budget 60 --seeds 10 --methods bo,bo-constrained,turbo,turbo-constrained
    # the PDF stand-in (Gaussian-peak partial PDFs; composite BO models the PDFs, the others see R_x):
    .venv/bin/python benchmarks/optimizers.py --pdf-stand-in --methods bo,composite --budget 40 --seeds 10

**Cost.** With ``--landscape FILE`` (a landscape netCDF from ``silica-explorer landscape``, group
``full``; the first file in data/landscapes/ is used when present), the cost is the measured R_x grid
over (q_Si, A_SiO), interpolated linearly, plus Gaussian noise with the measured seed-to-seed spread
(mean R_x_std of the grid, or ``--noise``). Without one it is the *analytic stand-in*
:func:`silica_explorer.standins.rough_basin` on the unit box of (q_Si, A_SiO) - a quadratic
basin (minimum 0.09 = 9 %) with cosine ripples at two frequencies - plus noise (sd ``--noise``,
default 0.002 = 0.2 % R_x); with ``--function collapse_valley`` it is the development stand-in
:func:`silica_explorer.standins.collapse_valley` (3 <= dim <= 10; diagonal A-rho valleys,
floor 0.10, a failure region 0.04 from the floor, :func:`~silica_explorer.standins.collapse_region`).
Either way it is NOT molecular dynamics; the point is comparing optimizers on the same cost, budget and seeds.

Methods: ``bo`` (GP + EI, failures imputed at the worst R_x), ``bo-log`` (GP on log R_x),
``bo-constrained`` (cost GP on successes, EI x P(feasible) from GP regression on +-1 labels; ``-gpc``:
from scikit-learn's GP classifier), ``turbo`` (TuRBO-1 trust
region, Thompson sampling), ``turbo-ei`` (EI inside the trust region), ``turbo-constrained``,
``bo+cg``, ``turbo+cg``, ``cg``, ``random``, ``optuna-tpe``, ``composite`` (surrogate of the PDFs; needs
``--pdf-stand-in``).
With ``--pdf-stand-in`` it is :class:`silica_explorer.standins.PDFStandIn`: partial
PDFs of Gaussian peaks that move smoothly with the unit point, bin noise (``--noise``, default 0.05
= an R_x sd of ~0.35 %), a failure band u0 + u1 < 0.45; the floor is the expected measured R_x at
the noise-free optimum.

For each method and seed it records the best R_x after every evaluation and the number of
evaluations until the best R_x first reaches each target (``--targets``; default floor + 3 % "basin"
and floor + 1 % "fine"); it prints per-method medians and the
ratio of evaluations-to-target to BO's (failures to reach the target count as ``budget + 1`` in the
medians and are reported separately). CG starts from BKS (as in the paper), every seed with another
noise realization. Optuna is the optional external baseline (extra ``[bench]``: ``optuna>=4.0``).
"""

from __future__ import annotations

import argparse
import json
import glob
import math
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from silica_explorer.presets import PUBLISHED_PRESETS  # noqa: E402
from silica_explorer.optimize import SearchSpace, fit  # noqa: E402
from silica_explorer.standins import (COLLAPSE_FLOOR, AnalyticCost, collapse_region,  # noqa: E402
                                      collapse_valley, rough_basin)

#: method label -> (optimizer name of fit(), options)
METHODS = {
    "bo": ("bo", {}), "bo-log": ("bo", {"y_transform": "log"}),
    "bo-constrained": ("bo", {"failure_policy": "constrained"}),
    "bo-constrained-gpc": ("bo", {"failure_policy": "constrained", "feasibility": "gpc"}),
    "turbo": ("turbo", {}), "turbo-ei": ("turbo", {"acquisition": "ei"}),
    "turbo-constrained": ("turbo", {"failure_policy": "constrained"}),
    "bo+cg": ("bo+cg", {"bo_fraction": 0.7}), "turbo+cg": ("turbo+cg", {"bo_fraction": 0.7}),
    "cg": ("cg", {}), "random": ("random", {}), "composite": ("composite", {}),
    # issue #12 items 1, 2, 5: the optimizer before it (full hyperparameter fit at every proposal with
    # scikit-learn's likelihood, finite-difference EI polish, no preset starts), no preset starts, and
    # contact coordinates (log E0 = A exp(-r0/rho) and rho; log A where rho is fixed)
    "bo-old": ("bo", {"preset_starts": False, "refit_growth": 0.0, "max_gp_points": None, "ei_polish": "numeric",
                      "likelihood": "sklearn"}),
    "bo-nopreset": ("bo", {"preset_starts": False}),
    "bo-contact": ("bo", {"coords": "contact"}),
    # issue #12, item 7 (2-D budget 20): start points fill the initial design; GP on log R_x
    "bo-fill": ("bo", {"starts_fill_design": True}),
    "bo-log-fill": ("bo", {"y_transform": "log", "starts_fill_design": True}),
    "bo-log-constrained": ("bo", {"y_transform": "log", "failure_policy": "constrained"}),
    "bo-log-fill-constrained": ("bo", {"y_transform": "log", "starts_fill_design": True,
                                       "failure_policy": "constrained"}),
    "turbo-log-constrained": ("turbo", {"y_transform": "log", "failure_policy": "constrained"}),
}


def method_spec(label: str):
    """(optimizer name, options) of a --methods label: a name of :data:`METHODS`, or an ad-hoc variant
    ``optimizer:key=value:key=value`` (values read as JSON, else as strings), e.g.
    ``turbo:failure_policy=constrained:starts_fill_design=true``."""
    if label in METHODS:
        return METHODS[label]
    name, *pairs = label.split(":")
    from silica_explorer.optimize.registry import OPTIMIZERS
    if name not in OPTIMIZERS or not pairs or any("=" not in p for p in pairs):
        raise SystemExit(f"unknown --methods entry {label!r}; choose from {list(METHODS) + ['optuna-tpe']} or "
                         f"give 'optimizer:key=value[:key=value]' with optimizer one of {list(OPTIMIZERS)}")
    opts = {}
    for p in pairs:
        k, v = p.split("=", 1)
        try:
            opts[k] = json.loads(v)
        except json.JSONDecodeError:
            opts[k] = v
    return name, opts


#: --fast: GP settings of every GP method
FAST_GP = {"n_restarts_optimizer": 1, "n_candidates": 500, "n_ei_starts": 4}


def landscape_cost(path: str, noise: float | None):
    """(space, AnalyticCost) interpolating a measured landscape grid plus measured noise."""
    import xarray as xr
    from scipy.interpolate import RegularGridInterpolator
    ds = xr.open_dataset(path, group="full")
    names = [d for d in ds.R_x.dims if d != "seed"]  # (y, x)
    ynm, xnm = names
    grid = ds.R_x_mean if "R_x_mean" in ds else ds.R_x.mean("seed")
    xs, ys = ds[xnm].values, ds[ynm].values
    space = SearchSpace([xnm, ynm], bounds={xnm: (xs.min(), xs.max()), ynm: (ys.min(), ys.max())})
    vals = grid.transpose(xnm, ynm).values
    worst = np.nanmax(vals)
    interp = RegularGridInterpolator((np.linspace(0, 1, xs.size), np.linspace(0, 1, ys.size)),
                                     np.where(np.isfinite(vals), vals, np.nan), bounds_error=False)
    if noise is None:
        noise = float(np.nanmean(ds.R_x_std)) if "R_x_std" in ds and np.isfinite(ds.R_x_std).any() else 0.002

    def f(u):
        v = float(interp(np.asarray(u).reshape(1, -1))[0])
        return v if math.isfinite(v) else float("nan")  # failed grid points stay failures

    floor = float(np.nanmin(vals))
    desc = (f"measured landscape {path} ({xnm} x {ynm}, {xs.size}x{ys.size} grid, linear interpolation) + "
            f"noise sd {noise:.4f}; grid min {floor:.4f}, max {worst:.4f}")
    return space, AnalyticCost(f, space, noise=noise, name=f"landscape:{Path(path).name}"), floor, desc


def analytic_cost(noise: float, dim: int = 2, function: str = "rough_basin"):
    from silica_explorer.parameters import FREE_PARAMETERS
    names = ["q_Si", "A_SiO"] if dim == 2 else list(FREE_PARAMETERS[:dim])
    space = SearchSpace(names, base="BKS")
    if function == "collapse_valley":
        n_fail = np.mean([collapse_region(u) for u in np.random.default_rng(0).random((4000, dim))])
        desc = (f"DEVELOPMENT STAND-IN collapse_valley on the unit box of ({', '.join(names)}): diagonal A-rho "
                f"valleys, floor {COLLAPSE_FLOOR} + ripples + noise sd {noise}; {100 * n_fail:.0f} % of the box "
                "fails (collapse_region, 0.04 from the floor) - not MD")
        return (space, AnalyticCost(collapse_valley, space, noise=noise, fail_if=collapse_region,
                                    name="collapse_valley"), COLLAPSE_FLOOR, desc)
    if function != "rough_basin":
        raise SystemExit(f"--function must be rough_basin or collapse_valley, got {function!r}")
    desc = (f"ANALYTIC STAND-IN rough_basin on the unit box of ({', '.join(names)}): quadratic basin (min 0.09 "
            f"at u=0.35 in every coordinate) + ripples (0.02 at 6/unit, 0.006 at 19/unit) + noise sd {noise} - not MD")
    return space, AnalyticCost(rough_basin, space, noise=noise, name="rough_basin"), 0.09, desc


def pdf_stand_in_cost(noise: float, dim: int = 2):
    from silica_explorer.parameters import FREE_PARAMETERS
    from silica_explorer.standins import PDFStandIn
    names = ["q_Si", "A_SiO"] if dim == 2 else list(FREE_PARAMETERS[:dim])
    space = SearchSpace(names, base="BKS")
    cost = PDFStandIn(space, noise=noise)
    floor, u_best = cost.floor()
    desc = (f"PDF STAND-IN (Gaussian-peak partial PDFs) on the unit box of ({', '.join(names)}), bin noise "
            f"{noise}, failure band u0 + u1 < 0.45; expected measured R_x at the optimum {floor:.4f} at "
            f"u={np.round(u_best, 3).tolist()} - not MD")
    return space, cost, floor, desc


def run_optuna(cost: AnalyticCost, space: SearchSpace, budget: int, seed: int) -> np.ndarray:
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    values = []

    def objective(trial):
        u = np.array([trial.suggest_float(f"u{i}", 0.0, 1.0) for i in range(space.dim)])
        fails = getattr(cost, "fail_if", None)
        v = cost.value(u, seed) if not (fails and fails(u)) else float("nan")
        values.append(v)
        return v if math.isfinite(v) else 1.0  # same failure fallback as ours

    study.optimize(objective, n_trials=budget)
    return np.array(values)


def best_curve(values) -> np.ndarray:
    v = np.where(np.isfinite(values), values, np.inf)
    c = np.minimum.accumulate(v)
    return np.where(np.isfinite(c), c, np.nan)


def evals_to(curve: np.ndarray, target: float) -> int | None:
    hit = np.nonzero(np.nan_to_num(curve, nan=np.inf) <= target)[0]
    return int(hit[0]) + 1 if hit.size else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget", type=int, default=40)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--targets", default=None,
                    help="comma-separated R_x targets (default: floor + 0.03 'basin' and floor + 0.01 'fine')")
    ap.add_argument("--dim", type=int, default=2, help="analytic stand-in only: number of free parameters "
                                                       "(the first DIM of FREE_PARAMETERS; default 2 = q_Si, A_SiO)")
    ap.add_argument("--noise", type=float, default=None, help="noise sd (default 0.002, or measured)")
    ap.add_argument("--landscape", default=None,
                    help="landscape netCDF (default: first of data/landscapes/*.nc; '' = the analytic stand-in)")
    ap.add_argument("--pdf-stand-in", action="store_true",
                    help="cost: the PDF stand-in (partial PDFs, for composite BO) instead of a landscape")
    ap.add_argument("--function", default="rough_basin", help="analytic stand-in: rough_basin (default) or "
                                                              "collapse_valley (with a failure region)")
    ap.add_argument("--methods", default="bo,bo-log,bo+cg,cg,random,optuna-tpe",
                    help=f"comma-separated, of {', '.join(METHODS)}, optuna-tpe. Issue #12 variants: bo-old "
                         "(the optimizer before it: full hyperparameter fit at every proposal, finite-difference "
                         "EI polish, no preset starts), bo-nopreset (no preset starts), bo-contact (contact "
                         "coordinates: log E0 = A exp(-r0/rho) and rho; log A where rho is fixed); composite needs --pdf-stand-in")
    ap.add_argument("--fast", action="store_true",
                    help="cheaper GP settings for every GP method (n_restarts_optimizer 1, n_candidates 500, "
                         "n_ei_starts 4): for many seeds in d >= 5 on a shared machine")
    args = ap.parse_args(argv)

    path = args.landscape
    if path is None:
        found = sorted(glob.glob(str(Path(__file__).resolve().parent.parent / "data" / "landscapes" / "*.nc")))
        path = found[0] if found else None
    if args.pdf_stand_in:
        space, cost, floor, desc = pdf_stand_in_cost(0.05 if args.noise is None else args.noise, args.dim)
    elif path:
        space, cost, floor, desc = landscape_cost(path, args.noise)
    else:
        space, cost, floor, desc = analytic_cost(0.002 if args.noise is None else args.noise, args.dim,
                                                 args.function)
    targets = ([floor + 0.03, floor + 0.01] if args.targets is None
               else [float(t) for t in args.targets.split(",")])
    bks_u = space.clip_unit(space.base_unit())
    print(f"cost: {desc}")
    if args.fast:
        print(f"--fast: every GP method runs with {FAST_GP} (TuRBO keeps min(100 d, 5000) candidates)")
    print(f"budget {args.budget} evaluations, seeds 0..{args.seeds - 1}, targets R_x <= "
          f"{', '.join(f'{t:.4f}' for t in targets)}; CG starts at BKS u={np.round(bks_u, 3).tolist()}")

    methods = [m.strip() for m in re.split(r",(?![^\[]*\])", args.methods) if m.strip()]  # not inside [..]
    for m in methods:
        if m != "optuna-tpe":
            method_spec(m)  # a clear error before any run
    rows = {}
    fails = {}
    for m in methods:
        curves, times = [], []
        for s in range(args.seeds):
            t0 = time.perf_counter()
            if m == "optuna-tpe":
                try:
                    vals = run_optuna(cost, space, args.budget, s)
                except ImportError:
                    print("  optuna not installed (pip install 'silica-explorer[bench]'): skipped")
                    break
                curve = best_curve(vals)
            else:
                name, opts = method_spec(m)
                opts = {"x0": bks_u} if m == "cg" else dict(opts)
                # starts: the published presets only, never this project's fits of related costs
                if name in ("bo", "turbo", "composite"):
                    opts.setdefault("preset_starts", list(PUBLISHED_PRESETS))
                elif name.endswith("+cg"):
                    opts["bo_options"] = {"preset_starts": list(PUBLISHED_PRESETS), **opts.get("bo_options", {})}
                fast = {k: v for k, v in FAST_GP.items() if not (k == "n_candidates" and "turbo" in name)}
                if args.fast and name in ("bo", "turbo"):
                    opts.update(fast)
                elif args.fast and name in ("bo+cg", "turbo+cg"):
                    opts["bo_options"] = {**opts.get("bo_options", {}), **fast}
                opt_space = space
                if opts.pop("coords", None) == "contact":  # same box, other coordinates; the cost reads its own
                    coupled = {f"A_{n[4:]}" for n in space.names if n.startswith("rho_")}  # E0: default bounds
                    opt_space = SearchSpace(space.names, base=space.base, coords="contact",
                                            bounds={k: v for k, v in space.bounds.items() if k not in coupled})
                res = fit(cost, opt_space, name, budget=args.budget, seed=s, options=opts)
                curve = res.best_so_far()
                fails.setdefault(m, []).append(sum(e["status"] != "ok" for e in res.objective.entries))
                if len(curve) < args.budget:  # CG stopped early: its best stays
                    curve = np.concatenate([curve, np.full(args.budget - len(curve), curve[-1])])
            times.append(time.perf_counter() - t0)
            curves.append(curve)
            ett = [evals_to(curve, t) for t in targets]
            print(f"  {m} seed {s}: best {100 * np.nanmin(curve):.2f} %, evaluations to targets "
                  f"{['>' + str(args.budget) if e is None else e for e in ett]}, {times[-1]:.0f} s", flush=True)
        if curves:
            rows[m] = (np.array(curves), times)

    for target in targets:
        print(f"\n== target R_x <= {target:.4f} ({100 * target:.1f} %)")
        hdr = (f"{'method':12s} {'evals-to-target per seed':32s} {'reached':>7s} {'median':>6s} {'ratio':>6s} "
               f"{'best R_x median':>15s} {'s/run':>6s}")
        print(hdr)
        print("-" * len(hdr))
        med = {}
        for m, (curves, _) in rows.items():
            ett = [evals_to(c, target) for c in curves]
            med[m] = float(np.median([e if e is not None else args.budget + 1 for e in ett]))
        for m, (curves, times) in rows.items():
            ett = [evals_to(c, target) for c in curves]
            reached = sum(e is not None for e in ett)
            per_seed = " ".join(str(e) if e is not None else ">" + str(args.budget) for e in ett)
            ratio = med[m] / med["bo"] if "bo" in med and med["bo"] > 0 else float("nan")
            print(f"{m:12s} {per_seed:32s} {reached:>3d}/{len(ett):<3d} {med[m]:6.1f} {ratio:6.2f} "
                  f"{100 * np.nanmedian(curves[:, -1]):13.2f} % {np.mean(times):6.1f}")
    print("\nratio = median evaluations-to-target / BO's (not reaching the target counts as budget+1)")
    if fails:
        print("failed evaluations per run (median, min-max): " + "; ".join(
            f"{m} {np.median(v):.0f} ({min(v)}-{max(v)})" for m, v in fails.items()))
    print(f"\nbest R_x (%) after {args.budget} evaluations, per seed:")
    print(f"{'method':12s} " + " ".join(f"{'s' + str(k):>6s}" for k in range(args.seeds)))
    for m, (curves, _) in rows.items():
        print(f"{m:12s} " + " ".join(f"{100 * c[-1]:6.2f}" for c in curves))
    print("\nmedian best R_x (%) after n evaluations:")
    marks = [n for n in (5, 10, 15, 20, 30, 40, 60, 80, 100, 150, 200) if n <= args.budget]
    print(f"{'method':12s} " + " ".join(f"{n:>6d}" for n in marks))
    for m, (curves, _) in rows.items():
        print(f"{m:12s} " + " ".join(f"{100 * np.nanmedian(curves[:, n - 1]):6.2f}" for n in marks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
