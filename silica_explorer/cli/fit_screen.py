"""``silica-explorer fit --optimizer screen+refine``: the multi-fidelity search on the command line.

A global screen at ``--screen-fidelity`` (default tiny) from the base set only, then trust-region BO at
``--fidelity`` from the ``--n-candidates`` best distinct screen points
(:class:`~silica_explorer.optimize.multifidelity.ScreenThenRefine`). ``--budget`` counts
``--fidelity`` melts; a screen melt costs ``--cost-ratio`` of one (measured by
``benchmarks/fidelity_ranking.py``: 0.111 for tiny against quick). Both stages go into ``--store`` as
runs ``<run>-screen`` and ``<run>-refine``; the same command resumes them.
"""

from __future__ import annotations

import math
import sys

#: The optimizer name the fit command accepts for this search (not a registry optimizer: it needs two costs).
SCREEN_REFINE = "screen+refine"


def add_screen_arguments(p) -> None:
    """The options of ``--optimizer screen+refine`` on the fit command."""
    p.add_argument("--screen-fidelity", default="tiny",
                   help="screen+refine: fidelity of the global screen (default tiny)")
    p.add_argument("--screen-budget", type=int, default=200, help="screen+refine: melts of the screen (default 200)")
    p.add_argument("--cost-ratio", type=float, default=0.111,
                   help="screen+refine: one screen melt in --fidelity melts (default 0.111, tiny vs quick, "
                        "benchmarks/fidelity_ranking.py)")
    p.add_argument("--n-candidates", type=int, default=4,
                   help="screen+refine: distinct screen points refined at --fidelity (default 4)")


def run_screen_fit(args, space, store, build_evaluator) -> int:
    """Run the screen+refine search of ``args`` in ``space``; print and save its best set like ``fit``."""
    from tqdm import tqdm
    from ..store import CachedCost, StoreError
    from ..optimize.multifidelity import ScreenThenRefine
    if args.stand_in:
        raise ValueError("--optimizer screen+refine needs two MD fidelities; it cannot run on --stand-in")
    if args.screen_fidelity == args.fidelity:
        raise ValueError(f"--screen-fidelity = {args.screen_fidelity!r} must differ from --fidelity = "
                         f"{args.fidelity!r}: the screen is the cheap fidelity")
    search = ScreenThenRefine(space, screen_budget=args.screen_budget, n_candidates=args.n_candidates,
                              random_state=args.seed)
    n_refine = search.refine_budget(args.budget, args.cost_ratio)  # bad budgets fail before any melt
    from ..evaluate import Evaluator
    evaluator = build_evaluator(args, space)
    cost = CachedCost(evaluator, store)
    # the screen scores the same reference on the same engine, at the cheap fidelity
    screen_cost = CachedCost(Evaluator(evaluator.reference, args.screen_fidelity, engine=evaluator.engine,
                                       r_range=evaluator.r_range, align=evaluator.align), store, keep_pdf=False)
    fidelity = args.fidelity
    run_id = args.run_name or f"screen-refine_{'-'.join(space.names)}_{space.base.name.replace(' ', '_')}_{fidelity}_s{args.seed}"
    print(f"screen+refine {run_id!r} in {store.path}: screen {args.screen_budget} {args.screen_fidelity} melts "
          f"(x {args.cost_ratio:g}), refine {n_refine} {fidelity} melts from the {args.n_candidates} best distinct "
          f"screen points; free {list(space.names)}, base {space.base.name} (the screen's only start)", file=sys.stderr)
    bars = {} if args.quiet else {
        "screen": tqdm(total=args.screen_budget, desc=f"screen ({args.screen_fidelity})", unit="melt", file=sys.stderr),
        "refine": tqdm(total=n_refine, desc=f"refine ({fidelity})", unit="melt", file=sys.stderr)}

    def progress(stage, entry):
        if stage in bars:
            best = entry["best_R_x"]
            bars[stage].set_postfix_str(f"best R_x {100 * best:.2f}%" if math.isfinite(best) else "best R_x -",
                                        refresh=False)
            bars[stage].update(1)
    try:
        res = search.fit(screen_cost, cost, args.budget, args.cost_ratio, md_seed=args.md_seed, store=store,
                         run_id=run_id, callback=progress)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        for bar in bars.values():
            bar.close()
    s = res.summary()
    print(f"run {run_id}: screen {s['screen']['n_evals']} melts ({s['screen']['n_failed']} failed), refine "
          f"{s['refine']['n_evals']} ({s['refine']['n_failed']} failed); {s['spent']:.1f} of {args.budget} "
          f"{fidelity}-melt equivalents")
    if s["best_R_x"] is None:
        print("  no successful evaluation")
        return 1
    print(f"  best R_x = {100 * s['best_R_x']:.2f} % ({fidelity})")
    for name, value in s["refine"]["best_params"].items():
        print(f"  {name:8s} = {value:.6g}")
    out = store.path.parent / f"{run_id}.best.json"
    res.best_forcefield.save(out)
    print(f"  wrote {out}")
    return 0
