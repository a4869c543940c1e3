"""Benchmark: cost of one BO proposal (``ask(1)``) against the number of told points, old vs new.

    .venv/bin/python benchmarks/bo_overhead.py [--n 50,150,300,600] [--dims 2,7,10] [--window 5]
                                               [--configs old,new] [--fail 0.2]

For each dimension d and size n it tells ``BayesianOptimizer`` n synthetic points (uniform in the unit
box, cost = the analytic stand-in ``rough_basin``; a random ``--fail`` fraction of them failed, as in
issue #12's table), then times ``--window`` consecutive proposals (each told its stand-in value before
the next). Configurations:

- ``old``: the optimizer before issue #12 - full hyperparameter optimization (5 restarts, scikit-learn's
  likelihood) at every proposal on all points, EI polished start by start on finite differences
  (``refit_growth=0, max_gp_points=None, ei_polish="numeric", likelihood="sklearn"``). Its cost does
  not depend on the window, so it is timed on one proposal (as every configuration that refits always).
- ``+ei``, ``+lik``, ``+sched``: old plus, in turn, the analytic EI polish, the fast likelihood, the
  hyperparameter schedule (no cap on the points) - to attribute the gain (``--configs old,+ei,...``).
- ``new``: the defaults (full fits only at anchors spaced by ``refit_growth`` beyond ``refit_until``,
  at most ``max_gp_points`` points in the GP, the fast likelihood, analytic-gradient EI polish).

Columns: median and max proposal time over the window (the anchor's full fit is made before the window,
untimed, as the run made it at the anchor), the time of one full (anchor) fit at n (nan where every
proposal is one), and the amortized
cost per proposal = median + anchor fit x (anchors per proposal at n); ratio = old / new (median and
amortized). Timings swing with machine load: read the ratios within one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from silica_explorer.parameters import FREE_PARAMETERS  # noqa: E402
from silica_explorer.optimize import BayesianOptimizer, SearchSpace  # noqa: E402
from silica_explorer.standins import rough_basin  # noqa: E402
from silica_explorer.optimize.turbo import TrustRegionState, TurboOptimizer  # noqa: E402

_OLD = {"refit_growth": 0.0, "refit_until": 0, "max_gp_points": None, "ei_polish": "numeric", "likelihood": "sklearn"}
#: old, then each idea added in turn (for attributing the gain), then the defaults
CONFIGS = {
    "old": _OLD,
    "+ei": {**_OLD, "ei_polish": "analytic"},
    "+lik": {**_OLD, "ei_polish": "analytic", "likelihood": "fast"},
    "+sched": {"max_gp_points": None},
    "new": {},
    # TuRBO's local GP (at most max_local = 256 points, hyperparameters refitted at every proposal):
    # before (scikit-learn's likelihood, 5 restarts) and the defaults (fast likelihood, one start)
    "turbo-old": {"_optimizer": "turbo", "likelihood": "sklearn", "local_restarts": 5},
    "turbo": {"_optimizer": "turbo"},
}


def told_optimizer(d: int, n: int, fail: float, options: dict, seed: int = 0) -> BayesianOptimizer:
    space = SearchSpace(list(FREE_PARAMETERS[:d]))
    options = dict(options)
    if options.pop("_optimizer", "bo") == "turbo":
        bo = TurboOptimizer(space, random_state=seed, preset_starts=False, **options)
    else:
        bo = BayesianOptimizer(space, random_state=seed, preset_starts=False, **options)
    rng = np.random.default_rng([seed, d, n])
    U = rng.random((n, d))
    y = np.array([rough_basin(u) for u in U])
    y[rng.random(n) < fail] = np.nan
    for u, v in zip(U, y):
        bo.tell(u, v)
    if isinstance(bo, TurboOptimizer):  # random points shrink and restart the TR: time a TR proposal instead
        i = int(np.nanargmin(y))
        bo.state = TrustRegionState(length=bo.length_init, start=0, best=float(y[i]), best_index=i)
    return bo


def anchors_per_proposal(bo: BayesianOptimizer, n: int) -> float:
    """Fraction of proposals near n that run a full hyperparameter fit."""
    if bo.hyper_anchor(n) == n and bo.hyper_anchor(n + 1) == n + 1:
        return 1.0
    return 1.0 / max(1.0, np.ceil(bo.refit_growth * bo.hyper_anchor(n)))


def measure(d: int, n: int, config: str, window: int, fail: float) -> dict:
    bo = told_optimizer(d, n, fail, CONFIGS[config])
    turbo = isinstance(bo, TurboOptimizer)
    always = CONFIGS[config].get("refit_growth") == 0.0  # every proposal is a full fit: nothing to prepare
    t_full = float("nan")
    if not always and not turbo:
        t0 = time.perf_counter()
        a = bo.hyper_anchor(n)
        Xa, ya = bo.X_[:a], bo._targets(bo.y_[:a])
        ia = bo.gp_subset(Xa, ya)
        bo._anchor_fit = (a, bo._full_fit(Xa[ia], ya[ia]).kernel_)
        t_full = time.perf_counter() - t0
    times = []
    for _ in range(1 if always else window):
        t0 = time.perf_counter()
        u = bo.ask(1)[0]
        times.append(time.perf_counter() - t0)
        bo.tell(u, rough_basin(u))
    med = statistics.median(times)
    if turbo:  # a local GP with its hyperparameter fit at every proposal: nothing to amortize
        return {"median": med, "max": max(times), "full": float("nan"), "amortized": med,
                "n_gp": len(bo.local_gp_.X_train_)}
    frac = anchors_per_proposal(bo, n)
    amort = med if always else med + frac * t_full
    return {"median": med, "max": max(times), "full": t_full, "amortized": amort, "n_gp": len(bo.gp_.X_train_)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", default="50,150,300,600")
    ap.add_argument("--dims", default="2,7,10")
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--configs", default="old,new")
    ap.add_argument("--fail", type=float, default=0.2)
    args = ap.parse_args(argv)
    ns = [int(v) for v in args.n.split(",")]
    dims = [int(v) for v in args.dims.split(",")]
    configs = [c.strip() for c in args.configs.split(",")]
    bad = [c for c in configs if c not in CONFIGS]
    if bad:
        ap.error(f"--configs: unknown {bad}; choose from {list(CONFIGS)}")
    p = BayesianOptimizer(SearchSpace(), preset_starts=False).get_params()
    print(f"ask(1) time after n told points ({100 * args.fail:.0f} % failed), stand-in rough_basin; window "
          f"{args.window}; new = defaults: " + ", ".join(f"{k}={p[k]}" for k in (
              "refit_until", "refit_growth", "max_gp_points", "warm_steps", "likelihood", "n_candidates", "n_ei_starts",
              "ei_polish")))
    hdr = (f"{'d':>3s} {'n':>5s} {'config':6s} {'median s':>9s} {'max s':>7s} {'full fit s':>10s} "
           f"{'amortized s':>11s} {'GP pts':>6s}")
    print(hdr)
    print("-" * len(hdr))
    for d in dims:
        for n in ns:
            res = {}
            for c in configs:
                r = measure(d, n, c, args.window, args.fail)
                res[c] = r
                print(f"{d:3d} {n:5d} {c:6s} {r['median']:9.3f} {r['max']:7.3f} {r['full']:10.2f} "
                      f"{r['amortized']:11.3f} {r['n_gp']:6d}", flush=True)
            for ref, pre in (("old", ""), ("turbo-old", "turbo")):
                if ref in res:
                    for c in res:
                        if c != ref and c.startswith(pre) and (pre or not c.startswith("turbo")):
                            o, r = res[ref], res[c]
                            print(f"{'':3s} {'':5s} {'ratio':6s} {ref}/{c} median {o['median'] / r['median']:6.1f}x, "
                                  f"amortized {o['amortized'] / r['amortized']:6.1f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
