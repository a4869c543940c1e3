"""The paper's 2-parameter study with real MD: BO (several seeds) vs CG from BKS vs random search.

Free (q_Si, A_SiO) in the landscape window q_Si 1.6-2.6 e, A_SiO 12000-30000 eV; the other 8
parameters at BKS (Liu et al. 2019, Fig. 4-5: BO reaches the basin in ~5 iterations, CG from the same
start gets stuck). Every evaluation goes to one durable store (``--store``/store.sqlite, one run per
method and seed), so re-running the command resumes where it stopped and identical requests (e.g.
the BKS start, shared by BO and CG) run MD only once. All runs use the same MD seed (``--md-seed``,
common random numbers), so the methods see the same cost function.

    .venv/bin/python benchmarks/two_param_study.py --budget 20 --seeds 5 --fidelity quick \\
        --store runs/two_param [--reference FILE] [--threads 2]

On a 2-core machine, ``--parallel-runs 2 --threads 1`` runs two of the independent runs at a time.
``--methods bo,composite`` adds composite BO (a surrogate of the partial PDFs; run ids
``study_composite_s<seed>``) next to BO, with the same initial design (BKS + Sobol points).

Prints BO's best R_x vs evaluation count per seed, CG's path (iterates) and where/why it stops, and
random search's best. ``--classical-reference CHIK`` replaces the reference by a classical CHIK liquid
at the same fidelity (a pipeline check only - NOT an ab initio reference).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from silica_explorer.engine.acceptance import is_flagged  # noqa: E402
from silica_explorer.forcefield import ForceField  # noqa: E402
from silica_explorer.presets import PUBLISHED_PRESETS  # noqa: E402
from silica_explorer.optimize import SearchSpace, fit  # noqa: E402
from silica_explorer.store import CachedCost, Store  # noqa: E402


def pct(x) -> str:
    return f"{100 * x:6.2f}" if x is not None and math.isfinite(x) else "   -  "


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget", type=int, default=20, help="evaluations per run (default 20)")
    ap.add_argument("--seeds", type=int, default=5, help="BO seeds 0..N-1 (default 5)")
    ap.add_argument("--random-seeds", type=int, default=1, help="random-search seeds (default 1)")
    ap.add_argument("--fidelity", default="quick", help="MD protocol (default quick)")
    ap.add_argument("--store", type=Path, default=Path("runs") / "two_param", help="store directory")
    ap.add_argument("--reference", type=Path, default=None, help="reference PDFs (default: the shipped one)")
    ap.add_argument("--classical-reference", default=None, metavar="PRESET",
                    help="use a classical liquid of this preset as reference (pipeline check, not ab initio)")
    ap.add_argument("--bounds", default="q_Si=1.6:2.6,A_SiO=12000:30000", help="search window")
    ap.add_argument("--space", default="contact", choices=["box", "log", "contact"],
                    help="BO's search coordinates (default contact = log A_SiO here; CG and random stay in box)")
    ap.add_argument("--preset-starts", action=argparse.BooleanOptionalAction, default=True,
                    help="BO starts from BKS, then the presets inside the window (default); --no-preset-starts: "
                         "BKS, then the Sobol design")
    ap.add_argument("--md-seed", type=int, default=0, help="MD seed of every evaluation (default 0)")
    ap.add_argument("--fd-step", type=float, default=0.02, help="CG finite-difference step (unit box)")
    ap.add_argument("--threads", type=int, default=None, help="OpenMP threads per MD run (default all cores)")
    ap.add_argument("--methods", default="bo,cg,random",
                    help="bo, turbo, composite, cg, random (default bo,cg,random)")
    ap.add_argument("--parallel-runs", type=int, default=1,
                    help="independent runs (BO seeds, CG, random) at once, each one MD process at a time; use "
                         "with --threads so that parallel runs x threads <= cores (default 1)")
    ap.add_argument("--collapse", choices=["flag", "fail"], default="flag",
                    help="a collapsed melt (Si-O pairs fused) keeps its R_x, flagged (default), or fails")
    ap.add_argument("--failure-policy", choices=["impute", "constrained"], default="impute",
                    help="BO: failed melts imputed at the worst R_x (default) or constrained EI")
    ap.add_argument("--bo-option", action="append", default=[], metavar="KEY=VALUE",
                    help="extra option of the bo/turbo/composite runs (value read as JSON), repeatable, e.g. "
                         "--bo-option starts_fill_design=true --bo-option y_transform=log; each is part of the "
                         "run id")
    ap.add_argument("--melt-cache", type=Path, default=None, metavar="DIR",
                    help="reuse identical cold-start melts (e.g. from the landscape's BO/CG paths)")
    args = ap.parse_args(argv)

    from silica_explorer.engine.lammps import LammpsEngine
    from silica_explorer.evaluate import Evaluator
    from silica_explorer.fidelity import get_fidelity

    engine = LammpsEngine(threads=args.threads, collapse=args.collapse)
    if args.melt_cache is not None:
        from silica_explorer.engine.cache import CachingEngine
        engine = CachingEngine(engine, args.melt_cache)
    fidelity = get_fidelity(args.fidelity)
    store = Store(args.store)
    if args.classical_reference:
        import xarray as xr
        ref_path = store.path.parent / f"reference_classical_{args.classical_reference}_{fidelity.name}.nc"
        if not ref_path.exists():
            melt = engine.melt(ForceField.preset(args.classical_reference), fidelity, seed=3)
            if not melt.ok:
                print(f"reference melt failed: {melt.reason}", file=sys.stderr)
                return 1
            ds = melt.pdf.copy()
            ds.attrs["name"] = f"classical {args.classical_reference} liquid ({fidelity.name}), NOT ab initio"
            ds.to_netcdf(ref_path)
        reference = xr.open_dataset(ref_path).load()
        ref_label = reference.attrs["name"]
    else:
        if args.reference is None:
            from silica_explorer.reference import default_reference
            args.reference = default_reference()
        reference, ref_label = args.reference, str(args.reference)
    evaluator = Evaluator(reference, fidelity, engine=engine)
    cost = CachedCost(evaluator, store)
    space = SearchSpace(["q_Si", "A_SiO"], bounds=args.bounds, base="BKS")
    bks_u = space.clip_unit(space.base_unit())
    bo_space = SearchSpace(["q_Si", "A_SiO"], bounds=args.bounds, base="BKS", coords=args.space)
    bo_tag = (f"-{args.space}" + ("" if args.preset_starts else "-nopreset")  # runs before issue #12: study_bo_s<seed>
              + ("" if args.collapse == "flag" else "-collapsefail")
              + ("" if args.failure_policy == "impute" else "-constrained"))
    extra = {}
    for kv in args.bo_option:
        if "=" not in kv:
            raise SystemExit(f"--bo-option must be KEY=VALUE, got {kv!r}")
        k, v = kv.split("=", 1)
        try:
            extra[k] = json.loads(v)
        except json.JSONDecodeError:
            extra[k] = v
    bo_tag += "".join(f"-{k}={json.dumps(v, separators=(',', ':'))}" for k, v in sorted(extra.items()))
    methods = [m.strip() for m in args.methods.split(",")]
    print(f"2-parameter study: free q_Si, A_SiO in {space.bounds}; others at BKS; fidelity {fidelity.name} "
          f"({fidelity.n_SiO2} SiO2, {fidelity.relax_ps}+{fidelity.production_ps} ps); MD seed {args.md_seed}; "
          f"budget {args.budget}/run\nBO: {bo_space!r}, preset starts {args.preset_starts}\nreference: {ref_label}\nstore: {store.path}  engine: {engine.version()}\n")

    def progress(label):
        def cb(e):
            tag = "stored" if e["replayed"] else ("cached" if e["cached"] else e["status"])
            print(f"  {label:10s} #{e['n'] + 1:3d}  q_Si={e['params']['q_Si']:.4f}  A_SiO={e['params']['A_SiO']:9.1f}"
                  f"  R_x={pct(e['R_x'])} %  best={pct(e['best_R_x'])} %  [{tag}]", flush=True)
        return cb

    t0 = time.time()
    jobs = {}
    # starts: the base and the published presets, never this project's fits of the same cost
    starts = list(PUBLISHED_PRESETS) if args.preset_starts else False
    for m in ("bo", "turbo", "composite"):  # composite: BO on a surrogate of the partial PDFs
        if m in methods:
            for s in range(args.seeds):
                jobs[(m, s)] = dict(optimizer=m, seed=s, run_id=f"study_{m}{bo_tag}_s{s}", space=bo_space,
                                    options={"preset_starts": starts,
                                             **({"failure_policy": args.failure_policy} if m != "composite"
                                                else {}), **extra},
                                    callback=progress(f"{m} s{s}"))
    if "cg" in methods:
        jobs[("cg", 0)] = dict(optimizer="cg", seed=0, run_id="study_cg_bks",
                               options={"x0": bks_u, "fd_step": args.fd_step}, callback=progress("cg"))
    if "random" in methods:
        for s in range(args.random_seeds):
            jobs[("random", s)] = dict(optimizer="random", seed=s, run_id=f"study_random_s{s}",
                                       callback=progress(f"random s{s}"))

    def run(job):
        job = dict(job)
        return fit(cost, job.pop("space", space), job.pop("optimizer"), args.budget, md_seed=args.md_seed, **job)

    if ({"bo", "turbo", "composite", "cg"} & set(methods)) and args.parallel_runs > 1:
        cost(space.forcefield(bks_u), args.md_seed)  # the shared BKS start: run its MD once, before the runs
    if args.parallel_runs > 1:
        from concurrent.futures import ThreadPoolExecutor  # each evaluation is an lmp child process
        with ThreadPoolExecutor(max_workers=args.parallel_runs) as pool:
            futures = {k: pool.submit(run, j) for k, j in jobs.items()}
            results = {k: f.result() for k, f in futures.items()}
    else:
        results = {k: run(j) for k, j in jobs.items()}
    wall = time.time() - t0

    for meth in ("bo", "turbo", "composite"):
        bo = {s: r for (m, s), r in results.items() if m == meth}
        if not bo:
            continue
        print(f"\n== {meth}: best R_x (%) vs evaluation count (BKS is evaluation 1)")
        print("evals " + " ".join(f"  seed{s}" for s in bo))
        for n in range(1, args.budget + 1):
            print(f"{n:5d} " + " ".join(f"  {pct(r.best_so_far()[n - 1]) if n <= r.n_evals else '   -  '}"
                                        for r in bo.values()))
        for s, r in bo.items():
            p = r.best_params or {}
            print(f"  seed {s}: best R_x {pct(r.best_R_x)} % at q_Si={p.get('q_Si', float('nan')):.4f}, "
                  f"A_SiO={p.get('A_SiO', float('nan')):.1f} ({sum(e['status'] != 'ok' for e in r.objective.entries)} failed, "
                  f"{sum(e['status'] == 'ok' and is_flagged(e.get('reason')) for e in r.objective.entries)} flagged)")
    if ("cg", 0) in results:
        r = results[("cg", 0)]
        cg = r.optimizer
        print(f"\n== CG from BKS (fd step {args.fd_step} of the box): stopped '{r.stop_reason}' after {r.n_evals} "
              f"evaluations ({cg.message_})")
        # every point where CG asked for value + gradient (line-search trials included; the d
        # finite-difference points of each gradient are not listed), and which were accepted iterates
        iterates = {tuple(round(v, 10) for v in p["u"]) for p in cg.path_}
        print(f" evals    q_Si      A_SiO     R_x (%)   ({len(cg.path_)} completed CG iterate(s), marked *)")
        for k, e in enumerate(r.objective.entries):
            if (e.get("proposal") or {}).get("kind") != "cg-point":
                continue
            mark = "*" if tuple(round(v, 10) for v in e["u"]) in iterates else " "
            print(f" {k + 1:5d}  {e['params']['q_Si']:.4f}  {e['params']['A_SiO']:9.1f}   {pct(e['R_x'])} {mark}")
        print(f"  best R_x {pct(r.best_R_x)} % at {r.best_params}")
    for (m, s), r in results.items():
        if m == "random":
            print(f"\n== random search seed {s}: best R_x {pct(r.best_R_x)} % at {r.best_params} "
                  f"after {r.n_evals} evaluations")
    print(f"\nwall time {wall:.0f} s; MD runs this session: {cost.n_evaluated}, served from the store: "
          f"{cost.n_cached}; store rows: {len(store)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
