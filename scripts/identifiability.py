"""Identifiability of a fit from its store: GP length scales, Hessian eigen-directions (stiff vs flat)
at the best point, and (with --truth) each recovered parameter's relative error.

    python scripts/identifiability.py --store runs/fits/ident --run ident_chik_quick_s0 \\
        --truth data/reference/synthetic_chik_quick.nc --out runs/fits/ident/identifiability

writes OUT.json (everything: length scales, Hessians, eigen-directions, errors) and OUT.txt (the short
report, also printed). No MD is run: it reads the store (silica_explorer.store) and fits a GP with the
BO's kernel (silica_explorer.analysis.identifiability).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from silica_explorer.analysis.identifiability import analyse_run, to_json, truth_forcefield  # noqa: E402
from silica_explorer.store import Store  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True, help="store directory (or .sqlite file)")
    ap.add_argument("--run", required=True, help="run id in the store")
    ap.add_argument("--truth", default=None,
                    help="known answer: a preset (CHIK), a forcefield JSON, or a synthetic reference .nc")
    ap.add_argument("--n-nearest", type=int, default=150, help="successful points nearest the best in the GP")
    ap.add_argument("--select", default="nearest", choices=["nearest", "lowest"],
                    help="which successful points the GP sees: nearest the best (unit box) or lowest R_x")
    ap.add_argument("--at", default="best", choices=["best", "gp-min"], help="where the Hessian is taken")
    ap.add_argument("--delta", type=float, default=None,
                    help="R_x rise (fraction) defining a direction's step (default: the GP's noise std)")
    ap.add_argument("--flat-step", type=float, default=0.1, help="relative step above which a direction is flat")
    ap.add_argument("--seed", type=int, default=0, help="random state of the GP hyperparameter restarts")
    ap.add_argument("--out", type=Path, default=None, help="output prefix (writes OUT.json and OUT.txt)")
    args = ap.parse_args(argv)
    if not Path(args.store).exists():
        ap.error(f"--store {args.store} does not exist")
    truth = truth_forcefield(args.truth) if args.truth else None
    store = Store(args.store)
    ident, summary = analyse_run(store, args.run, truth=truth, n_nearest=args.n_nearest, select=args.select, at=args.at,
                                 delta=args.delta, flat_step=args.flat_step, random_state=args.seed)
    text = ident.report(truth, title=f"run {args.run} in {store.path}")
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        Path(f"{args.out}.json").write_text(to_json(summary) + "\n")
        Path(f"{args.out}.txt").write_text(text + "\n")
        print(f"wrote {args.out}.json and {args.out}.txt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
