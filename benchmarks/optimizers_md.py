"""Benchmark with real MD: BO against TuRBO (and their failure policies) on the same free parameters,
budget, fidelity and MD seed; several optimizer seeds. Every melt goes into one store, so an
interrupted study resumes where it stopped (re-run the same command).

    # the 7-D comparison at quick (about 10 s per melt on one core: 3 seeds x 2 methods x 150 = 900 melts)
    .venv/bin/python benchmarks/optimizers_md.py --free q_Si,A_SiO,rho_SiO,C_SiO,A_OO,rho_OO,C_OO \\
        --base BKS --fidelity quick --budget 150 --seeds 3 --methods bo,turbo --store runs/turbo_md
    # a smoke run at tiny
    .venv/bin/python benchmarks/optimizers_md.py --fidelity tiny --budget 4 --seeds 1 --methods bo,turbo \\
        --store /tmp/turbo_md_smoke

Prints, per method: best R_x per seed, its median, failed melts, and evaluations until the best R_x
first reached each target (``--targets``, R_x fractions; default 0.13, 0.12, 0.115). The reference is the
shipped CHGNet liquid unless ``--reference`` is given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from silica_explorer.reference import default_reference  # noqa: E402
from silica_explorer.evaluate import Evaluator  # noqa: E402
from silica_explorer.forcefield import ForceField  # noqa: E402
from silica_explorer.presets import PUBLISHED_PRESETS  # noqa: E402
from silica_explorer.optimize import SearchSpace, default_run_id, fit  # noqa: E402
from silica_explorer.store import CachedCost, Store  # noqa: E402

#: method label -> (optimizer name, options)
METHODS = {"bo": ("bo", {}), "bo-constrained": ("bo", {"failure_policy": "constrained"}),
           "turbo": ("turbo", {}), "turbo-constrained": ("turbo", {"failure_policy": "constrained"}),
           "turbo+cg": ("turbo+cg", {}), "bo+cg": ("bo+cg", {})}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--free", default="q_Si,A_SiO,rho_SiO,C_SiO,A_OO,rho_OO,C_OO")
    ap.add_argument("--base", default="BKS")
    ap.add_argument("--fidelity", default="quick")
    ap.add_argument("--budget", type=int, default=150)
    ap.add_argument("--seeds", default="3", help="optimizer seeds: a count N (0..N-1) or a list, e.g. 3,4")
    ap.add_argument("--space", default="contact", choices=["box", "log", "contact"],
                    help="search coordinates (default contact, as the CLI)")
    ap.add_argument("--md-seed", type=int, default=0)
    ap.add_argument("--methods", default="bo,turbo", help=f"comma-separated, of {', '.join(METHODS)}")
    ap.add_argument("--targets", default="0.13,0.12,0.115")
    ap.add_argument("--reference", default=None)
    ap.add_argument("--threads", type=int, default=1, help="LAMMPS threads per melt")
    ap.add_argument("--store", type=Path, default=Path("runs") / "turbo_md")
    args = ap.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    bad = [m for m in methods if m not in METHODS]
    if bad:
        raise SystemExit(f"unknown --methods {bad}; choose from {list(METHODS)}")
    targets = [float(t) for t in args.targets.split(",")]
    from silica_explorer.engine.lammps import LammpsEngine
    space = SearchSpace(args.free, base=ForceField.preset(args.base), coords=args.space)
    seeds = list(range(int(args.seeds))) if "," not in args.seeds else [int(s) for s in args.seeds.split(",")]
    ev = Evaluator(args.reference or default_reference(), args.fidelity, engine=LammpsEngine(threads=args.threads))
    store = Store(args.store)
    cost = CachedCost(ev, store)
    print(f"{space}; fidelity {args.fidelity}; budget {args.budget}; MD seed {args.md_seed}; store {store.path}")
    for m in methods:
        name, opts = METHODS[m]
        best, fails, ett = [], [], {t: [] for t in targets}
        for s in seeds:
            run_id = default_run_id(m, space, s, args.fidelity)
            # starts: the base and the published presets, never this project's fits of the same cost
            starts = {"preset_starts": list(PUBLISHED_PRESETS)}
            options = ({**opts, "bo_options": {**starts, **opts.get("bo_options", {})}} if name.endswith("+cg")
                       else {**starts, **opts})
            res = fit(cost, space, name, args.budget, seed=s, md_seed=args.md_seed, run_id=run_id, options=options)
            best.append(res.best_R_x)
            fails.append(sum(e["status"] != "ok" for e in res.objective.entries))
            for t in targets:
                ett[t].append(res.evals_to_target(t))
        print(f"{m:18s} best R_x % per seed {' '.join(f'{100 * b:.2f}' for b in best)}; median "
              f"{100 * np.nanmedian(best):.2f}; failed melts {fails}")
        for t in targets:
            print(f"{'':18s} evaluations to R_x <= {100 * t:.1f} %: "
                  + " ".join(str(e) if e is not None else f">{args.budget}" for e in ett[t]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
