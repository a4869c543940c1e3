"""Benchmark with real MD: does the search end in the same place whatever set it starts from?

The paper's claim that BO is unbiased by its start, tested in the 7-parameter setting (free q_Si and the
Si-O and O-O A, rho, C; Si-Si off), with no preset starts: one search per start set, each re-scored on
fresh MD seeds, side by side.

    # multi-fidelity screen (tiny, global) + refine (quick, TuRBO) from BKS, CHIK and Teter
    .venv/bin/python benchmarks/start_independence.py --starts BKS,CHIK,Teter --method screen \\
        --budget 300 --screen-budget 200 --store runs/start_independence --out data/results/start_independence
    # the paper's contrast: CG from the same starts, same budget
    .venv/bin/python benchmarks/start_independence.py --starts BKS,CHIK,Teter --method cg --budget 300 \\
        --store runs/start_independence --out data/results/start_independence_cg

Each start set keeps its own Si-O and O-O terms and has its Si-Si repulsion and dispersion switched off
(A_SiSi = C_SiSi = 0, as BKS and the shipped 7-parameter fit). The budget is in ``quick``-melt
equivalents: a screen melt counts ``--cost-ratio`` (measured by ``benchmarks/fidelity_ranking.py``).
Every melt goes into one store, so an interrupted study resumes (re-run the same command). Prints and
writes ``OUT.md`` (per start: the R_x at the fit's own MD seed, the mean +- std over ``--fresh-seeds``, the
fitted parameters, melts used and failed) and ``OUT.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from silica_explorer.evaluate import Evaluator  # noqa: E402
from silica_explorer.forcefield import ForceField  # noqa: E402
from silica_explorer.inputs import parse_seeds  # noqa: E402
from silica_explorer.optimize import SearchSpace, fit  # noqa: E402
from silica_explorer.optimize.multifidelity import ScreenThenRefine  # noqa: E402
from silica_explorer.reference import default_reference  # noqa: E402
from silica_explorer.store import CachedCost, Store  # noqa: E402

FREE7 = "q_Si,A_SiO,rho_SiO,C_SiO,A_OO,rho_OO,C_OO"


def start_set(name: str) -> ForceField:
    """A preset with its Si-Si Buckingham terms off (the 7-parameter setting)."""
    return ForceField.preset(name).replace(A_SiSi=0.0, rho_SiSi=1.0, C_SiSi=0.0, name=f"{name} (Si-Si off)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--starts", default="BKS,CHIK,Teter")
    ap.add_argument("--method", default="screen", choices=["screen", "cg", "turbo", "turbo+cg"])
    ap.add_argument("--free", default=FREE7)
    ap.add_argument("--space", default="contact", choices=["box", "log", "contact"])
    ap.add_argument("--budget", type=float, default=300, help="quick-melt equivalents per start")
    ap.add_argument("--screen-budget", type=int, default=200, help="tiny melts of the screen (method screen)")
    ap.add_argument("--screen-fidelity", default="tiny")
    ap.add_argument("--cost-ratio", type=float, default=0.111,
                    help="one screen melt in quick melts (benchmarks/fidelity_ranking.py measured 0.111)")
    ap.add_argument("--n-candidates", type=int, default=4)
    ap.add_argument("--screen-n-initial", type=int, default=None,
                    help="space-filling design of the screen before any EI (default: the optimizer's)")
    ap.add_argument("--bounds", default=None, help="search bounds as the CLI's --bounds, e.g. q_Si=1.1:2.6,C_OO=0:400")
    ap.add_argument("--fidelity", default="quick")
    ap.add_argument("--seed", type=int, default=0, help="optimizer seed")
    ap.add_argument("--md-seed", type=int, default=7, help="MD seed of every melt of the fit")
    ap.add_argument("--fresh-seeds", default="100-104", help="MD seeds of the re-scoring")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--store", type=Path, default=Path("runs") / "start_independence")
    ap.add_argument("--out", type=Path, required=True, help="output prefix (OUT.md, OUT.json)")
    args = ap.parse_args(argv)
    from silica_explorer.engine.lammps import LammpsEngine
    from tqdm import tqdm

    engine = LammpsEngine(threads=args.threads)
    reference = default_reference()
    store = Store(args.store)
    cost = CachedCost(Evaluator(reference, args.fidelity, engine=engine), store)
    screen_cost = CachedCost(Evaluator(reference, args.screen_fidelity, engine=engine), store, keep_pdf=False)
    fresh = parse_seeds(args.fresh_seeds)
    rows = []
    for name in [s.strip() for s in args.starts.split(",") if s.strip()]:
        base = start_set(name)
        space = SearchSpace(args.free, args.bounds, base=base, coords=args.space)
        run_id = (f"si-{args.method}-{name}-s{args.seed}-md{args.md_seed}-b{args.budget:g}"
                  + (f"-n{args.screen_n_initial}" if args.screen_n_initial else "") + ("-wide" if args.bounds else ""))
        t0 = time.perf_counter()
        bar = tqdm(desc=f"{args.method} from {name}", unit="melt", file=sys.stderr)
        if args.method == "screen":
            screen_options = {} if args.screen_n_initial is None else {"n_initial": args.screen_n_initial}
            search = ScreenThenRefine(space, screen_budget=args.screen_budget, n_candidates=args.n_candidates,
                                      screen_options=screen_options, random_state=args.seed)
            res = search.fit(screen_cost, cost, args.budget, args.cost_ratio, md_seed=args.md_seed, run_id=run_id,
                             callback=lambda stage, e: bar.update(1))
            final, spent = res.refine, res.spent
            melts = {"screen": res.screen.n_evals, "refine": res.refine.n_evals}
            failed = {"screen": sum(e["status"] != "ok" for e in res.screen.objective.entries),
                      "refine": sum(e["status"] != "ok" for e in res.refine.objective.entries)}
            extra = {"candidates": [{"params": c["params"], "screen_R_x": c["R_x"]} for c in res.candidates]}
        else:
            opts = {"preset_starts": False} if args.method != "cg" else {}
            if args.method == "turbo+cg":
                opts = {"bo_options": {"preset_starts": False}}
            final = fit(cost, space, args.method, int(args.budget), seed=args.seed, md_seed=args.md_seed,
                        run_id=run_id, options=opts, callback=lambda e: bar.update(1))
            spent = final.n_evals
            melts = {"fit": final.n_evals}
            failed = {"fit": sum(e["status"] != "ok" for e in final.objective.entries)}
            extra = {}
        bar.close()
        best = final.best_forcefield.replace(name=f"{args.method} from {name}")
        scores = []
        for s in fresh:
            rec = cost(best, seed=s, run_id=f"{run_id}-fresh")
            scores.append(rec.R_x if rec.status == "ok" else float("nan"))
        scores = np.array(scores)
        row = {"start": name, "method": args.method, "own_seed_R_x": final.best_R_x, "fresh_seeds": fresh,
               "fresh_R_x": scores.tolist(), "fresh_mean": float(np.nanmean(scores)),
               "fresh_std": float(np.nanstd(scores, ddof=1)) if np.isfinite(scores).sum() > 1 else float("nan"),
               "params": {k: float(v) for k, v in final.best_params.items()}, "forcefield": best.as_dict(),
               "melts": melts, "failed": failed, "spent_quick_equivalents": spent,
               "wall_s": time.perf_counter() - t0, **extra}
        rows.append(row)
        print(f"{name}: own seed {100 * row['own_seed_R_x']:.2f} %, fresh {100 * row['fresh_mean']:.2f} +- "
              f"{100 * row['fresh_std']:.2f} %, {spent:.1f} quick-eq", file=sys.stderr)
    names = list(rows[0]["params"]) if rows else []
    lines = [f"**{args.method} from each start, 7 parameters (Si-Si off), no preset starts; budget {args.budget:g} "
             f"{args.fidelity}-melt equivalents; MD seed {args.md_seed}; fresh seeds {args.fresh_seeds}**", "",
             "| start | R_x own seed % | R_x fresh % | " + " | ".join(names) + " | melts (failed) | quick-eq |",
             "|---" * (len(names) + 5) + "|"]
    for r in rows:
        melts = ", ".join(f"{k} {v} ({r['failed'][k]})" for k, v in r["melts"].items())
        lines.append(f"| {r['start']} | {100 * r['own_seed_R_x']:.2f} | {100 * r['fresh_mean']:.2f} +- "
                     f"{100 * r['fresh_std']:.2f} | " + " | ".join(f"{r['params'][n]:.4g}" for n in names)
                     + f" | {melts} | {r['spent_quick_equivalents']:.1f} |")
    if len(rows) > 1:
        means = [r["fresh_mean"] for r in rows]
        lines += ["", f"spread of the fresh-seed means: {100 * (max(means) - min(means)):.2f} points"]
    lines += ["", "command: python benchmarks/start_independence.py " + " ".join(argv if argv is not None else sys.argv[1:])]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(text)
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
