"""Refinement with reweighting gradients (one melt per gradient) vs today's finite-difference CG.

Same start (the base preset), same free parameters, same MD seed for every melt (common random numbers),
same melt budget. Prints, for each method, the melts used, why it stopped and the best R_x, then every
melt of both runs.

    nice -n 5 python benchmarks/reweight_optimizer.py --fidelity quick --budget 30 --seed 0
    nice -n 5 python benchmarks/reweight_optimizer.py --free q_Si,A_SiO,rho_SiO,A_OO --budget 60

FD CG is :class:`~silica_explorer.optimize.ConjugateGradient` with its defaults (forward differences, step
0.02 of the box: d + 1 melts per gradient); the reweighting run is
:class:`~silica_explorer.optimize.reweight_lbfgs.ReweightLBFGS` (L-BFGS-B, 1 melt per value and gradient).
"""

from __future__ import annotations

import argparse
import math
import sys
import time

from silica_explorer.reference import default_reference
from silica_explorer.engine.lammps import LammpsEngine
from silica_explorer.evaluate import Evaluator
from silica_explorer.fidelity import get_fidelity
from silica_explorer.optimize import ConjugateGradient, Objective, SearchSpace
from silica_explorer.optimize.reweight_lbfgs import ReweightLBFGS
from silica_explorer.reference import load_reference


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fidelity", default="quick")
    ap.add_argument("--base", default="BKS")
    ap.add_argument("--free", default="q_Si,A_SiO")
    ap.add_argument("--budget", type=int, default=30, help="melts per method")
    ap.add_argument("--seed", type=int, default=0, help="MD seed of every melt")
    ap.add_argument("--frames-every", type=int, default=10)
    ap.add_argument("--fd-step", type=float, default=0.02)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", choices=["fd", "reweight"], default=None)
    args = ap.parse_args(argv)

    fid = get_fidelity(args.fidelity)
    ref = load_reference(default_reference())
    space = SearchSpace(args.free, base=args.base)
    print(f"# {args.free} from {args.base}, fidelity {fid.name}, MD seed {args.seed}, {args.budget} melts each",
          flush=True)
    rows = []
    if args.only in (None, "fd"):
        t = time.perf_counter()
        obj = Objective(space, Evaluator(ref, fid, engine=LammpsEngine(threads=args.threads)), args.budget,
                        md_seed=args.seed)
        cg = ConjugateGradient(space, fd_step=args.fd_step)
        stop = cg.run(obj)
        best = obj.best()
        rows.append(("FD CG (forward)", obj.n_evals, stop, best, time.perf_counter() - t))
        print("\nFD CG melts:", flush=True)
        for e in obj.entries:
            print(f"  {e['n'] + 1:3d} {e['proposal']['kind'] if e['proposal'] else '':9s} "
                  + " ".join(f"{k} {v:.6g}" for k, v in e["params"].items()) + f"  R_x {100 * e['R_x']:.3f} %",
                  flush=True)
    if args.only in (None, "reweight"):
        t = time.perf_counter()
        ev = Evaluator(ref, fid, engine=LammpsEngine(threads=args.threads, gradient_frames_every=args.frames_every))
        opt = ReweightLBFGS(space)
        stop = opt.run(ev, args.budget, seed=args.seed)
        ok = [e for e in opt.path_ if math.isfinite(e["R_x"])]
        best = min(ok, key=lambda e: e["R_x"]) if ok else None
        best = None if best is None else {"R_x": best["R_x"], "params": {n: best[n] for n in space.names},
                                          "n": best["n_melts"] - 1}
        rows.append(("reweight L-BFGS-B", opt.n_melts_, stop, best, time.perf_counter() - t))
        print("\nreweighting L-BFGS-B melts:", flush=True)
        for e in opt.path_:
            grad = "" if e["gradient"] is None else " grad " + " ".join(
                f"{g:.3g}±{s:.2g}" for g, s in zip(e["gradient"], e["gradient_err"]))
            print(f"  {e['n_melts']:3d} " + " ".join(f"{n} {e[n]:.6g}" for n in space.names)
                  + f"  R_x {100 * e['R_x']:.3f} %{grad}", flush=True)
    print(f"\n{'method':20s} {'melts':>5s} {'stop':>9s} {'best R_x %':>10s} {'at melt':>7s}  best parameters   (wall s)")
    for name, n, stop, best, wall in rows:
        if best is None:
            print(f"{name:20s} {n:5d} {stop:>9s} {'-':>10s}")
            continue
        print(f"{name:20s} {n:5d} {stop:>9s} {100 * best['R_x']:10.3f} {best['n'] + 1:7d}  "
              + ", ".join(f"{k} {v:.6g}" for k, v in best["params"].items()) + f"   ({wall:.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
