"""``silica-explorer fit``: optimize free forcefield parameters against the reference, durably.

Every evaluation is appended to ``<store>/store.sqlite`` as it finishes (see :mod:`silica_explorer.store`);
running the same command again resumes the run (its finished evaluations are re-played, none re-run).
Options may also come from ``--config file.yaml|json`` (keys = long option names, ``-`` or ``_``);
options given on the command line win.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from .fit_screen import SCREEN_REFINE, add_screen_arguments, run_screen_fit
from .options import (add_command, add_engine_args, add_fidelity_arg, add_reference_arg, engine_from_args,
                      existing_path, reference_from_args, seed_type)

_CONFIG_KEYS_SKIP = {"command", "func", "config"}


#: One line for `silica-explorer --help`.
HELP = "fit free forcefield parameters (BO, TuRBO, CG, BO+CG, composite BO, random search) with a durable store"
#: The text of `silica-explorer fit --help`.
DESCRIPTION = ("Minimize R_x over the free parameters with Bayesian optimization (GP + expected "
    "improvement), trust-region BO (TuRBO, for many parameters), conjugate gradient, BO or "
    "TuRBO followed by CG, composite BO (a surrogate of the partial PDFs; R_x and EI computed "
    "from it), or random search. Every evaluation "
    "is stored at once in STORE/store.sqlite; re-running the same command resumes the run.")


def register_cli(sub) -> None:
    from ..forcefield import PRESETS
    from ..parameters import FREE_PARAMETERS
    from ..optimize import OPTIMIZERS
    from ..standins import FUNCTIONS
    p = add_command(sub, "fit", help=HELP, description=DESCRIPTION)
    p.add_argument("--free", default="q_Si,A_SiO",
                   help=f"comma-separated free parameters (default q_Si,A_SiO); any of {','.join(FREE_PARAMETERS)}")
    p.add_argument("--base", default="BKS", help=f"preset ({', '.join(PRESETS)}) or forcefield JSON file giving "
                                                 "the fixed parameters and CG's start (default BKS)")
    p.add_argument("--bounds", default=None, help="search bounds, e.g. q_Si=1.6:2.6,A_SiO=12000:30000 "
                                                  "(default: silica_explorer.parameters.SEARCH_BOUNDS); with "
                                                  "--space contact a pair whose A and rho are free takes "
                                                  "E0_<pair>=LOW:HIGH (eV) instead of A_<pair>")
    p.add_argument("--space", default="contact", choices=["box", "log", "contact"],
                   help="coordinates of the search box: contact (default: log of the repulsion at contact "
                        "E0 = A exp(-r0/rho) and rho for a pair whose A and rho are free; other A log), log (log A), "
                        "box (every parameter linear); see silica_explorer.optimize.space")
    p.add_argument("--preset-starts", action=argparse.BooleanOptionalAction, default=True,
                   help="BO: start from every preset inside the bounds, after the base set (default; "
                        "--no-preset-starts: the base set, then the space-filling design)")
    p.add_argument("--optimizer", default="auto", choices=["auto", *OPTIMIZERS, SCREEN_REFINE],
                   help="optimizer (default auto: composite for d <= 4 with MD, turbo+cg for d >= 5, else bo; "
                        "see silica_explorer.optimize.auto); composite = BO on a PCA + GP surrogate of the "
                        "partial PDFs (needs the PDFs: an Evaluator or --stand-in pdf_peaks); screen+refine = a "
                        "global screen at --screen-fidelity, then TuRBO at --fidelity from its best distinct points "
                        "(--budget in --fidelity melt equivalents)")
    p.add_argument("--budget", type=int, default=30, help="total cost evaluations of the run (default 30)")
    add_fidelity_arg(p)
    p.add_argument("--seed", type=seed_type, default=0,
                   help="seed (>= 0) of the optimizer and (unless --md-seed) of every MD run")
    p.add_argument("--md-seed", type=seed_type, default=None, help="MD seed (>= 0) of every evaluation (default: --seed)")
    p.add_argument("--store", type=Path, default=Path("runs") / "fit",
                   help="store directory (database STORE/store.sqlite; default runs/fit)")
    p.add_argument("--run-name", default=None, help="run id inside the store (default from optimizer, free, base, "
                                                    "fidelity, seed)")
    p.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                   help="continue the run if it exists in the store (default); --no-resume starts a new run "
                        "under a new name")
    add_reference_arg(p)
    p.add_argument("--r-range", type=float, nargs=2, metavar=("RMIN", "RMAX"), default=None,
                   help="restrict the cost to this r window (A)")
    p.add_argument("--batch", type=int, default=1, help="BO/random points proposed at once (constant liar)")
    p.add_argument("--workers", type=int, default=1,
                   help="evaluations run concurrently: > 1 starts a Dask LocalCluster of this many worker processes "
                        "(MD threads each: cores / workers unless --threads); use with --batch (BO, random) or CG, "
                        "whose finite-difference points run as one batch (default 1: in this process)")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="run the evaluations on a running Dask scheduler, e.g. tcp://host:8786 (a dask-jobqueue "
                        "SLURM/PBS cluster); results are still stored here")
    p.add_argument("--n-initial", type=int, default=None,
                   help="BO initial design size (default max(5, 2d+1)); for bo the base set and the presets "
                        "count towards it, for turbo and composite Sobol points follow them")
    p.add_argument("--xi", type=float, default=0.01, help="EI exploration margin (units of the cost spread)")
    p.add_argument("--y-transform", default="none", choices=["none", "log"],
                   help="BO: model R_x (none, the paper's choice) or log R_x")
    p.add_argument("--fd-step", type=float, default=0.02, help="CG finite-difference step (unit box)")
    p.add_argument("--gradient", default="fd", choices=["fd", "reweight"],
                   help="cg only: 'fd' finite differences (d + 1 melts per gradient, default) or 'reweight' "
                        "(L-BFGS-B with gradients by trajectory reweighting, 1 melt per gradient; writes "
                        "STORE/<run>.reweight.json, not the evaluation store, and does not resume)")
    p.add_argument("--gradient-frames-every", type=int, default=10,
                   help="--gradient reweight: MD steps between the frames the gradient is computed from")
    p.add_argument("--bo-fraction", type=float, default=0.7, help="share of the budget BO gets in bo+cg")
    p.add_argument("--failure-value", default="worst",
                   help="cost the optimizer sees for failed evaluations: 'worst' (largest finite R_x so far) "
                        "or a number")
    p.add_argument("--failure-policy", default="impute", choices=["impute", "constrained"],
                   help="BO/TuRBO: 'impute' (default; failed melts enter the GP at --failure-value) or "
                        "'constrained' (GP on successful melts only; EI x P(feasible) from a GP on ok/failed labels)")
    p.add_argument("--feasibility", default="gpr", choices=["gpc", "gpr"],
                   help="constrained: feasibility model, GP regression on +-1 labels with a probit link (gpr, default) or scikit-learn's Laplace GP classifier (gpc)")
    p.add_argument("--turbo-acquisition", default="ts", choices=["ts", "ei"],
                   help="turbo: Thompson sampling (ts, default) or EI inside the trust region")
    p.add_argument("--stand-in", default=None, choices=list(FUNCTIONS) + ["pdf_peaks"],
                   help="for demos and tests: optimize an analytic stand-in function instead of running MD "
                        "(pdf_peaks: stand-in partial PDFs of Gaussian peaks, for --optimizer composite)")
    add_screen_arguments(p)
    p.add_argument("--config", type=existing_path, default=None, help="YAML or JSON file of option defaults")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_engine_args(p)
    p.set_defaults(func=run_fit, _parser=p)


def load_config(path: Path, parser: argparse.ArgumentParser) -> dict:
    """Option defaults from a YAML/JSON mapping; unknown keys are an error naming the allowed ones."""
    text = Path(path).read_text()
    if Path(path).suffix.lower() == ".json":
        data = json.loads(text)
    else:
        import yaml
        data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of option names to values")
    known = {a.dest for a in parser._actions if a.dest not in _CONFIG_KEYS_SKIP | {"help"}}
    out = {}
    for k, v in data.items():
        dest = str(k).replace("-", "_")
        if dest not in known:
            raise ValueError(f"{path}: unknown option {k!r}; allowed: {sorted(known)}")
        if dest == "free" and isinstance(v, (list, tuple)):
            v = ",".join(v)
        if dest == "bounds" and isinstance(v, dict):
            v = ",".join(f"{n}={lo}:{hi}" for n, (lo, hi) in v.items())
        if dest in ("store", "reference") and v is not None:
            v = Path(v)
        if dest in ("seed", "md_seed") and v is not None:
            try:
                v = seed_type(str(v))
            except argparse.ArgumentTypeError as exc:
                raise ValueError(f"{path}: {k}: {exc}") from None
        out[dest] = v
    return out


def _apply_config(args) -> argparse.Namespace:
    """Fill options from ``--config``: a config value applies where the command line left the option
    at its default (so explicit command-line values win)."""
    if args.config is None:
        return args
    parser = args._parser
    for dest, value in load_config(args.config, parser).items():
        if getattr(args, dest, None) == parser.get_default(dest):
            setattr(args, dest, value)
    return args


def build_evaluator(args, space):
    """The cost of the run: an Evaluator on the reference, or an analytic stand-in (--stand-in)."""
    if args.stand_in == "pdf_peaks":
        from ..standins import PDFStandIn
        return PDFStandIn(space)
    if args.stand_in:
        from ..standins import AnalyticCost
        return AnalyticCost(args.stand_in, space, noise=0.002)
    from ..evaluate import Evaluator
    reference = reference_from_args(args)
    return Evaluator(reference, args.fidelity, engine=engine_from_args(args),
                     r_range=tuple(args.r_range) if args.r_range else None)


def _unique_run_id(store, base: str) -> str:
    existing = {r["run_id"] for r in store.runs()}
    if base not in existing:
        return base
    k = 2
    while f"{base}-{k}" in existing:
        k += 1
    return f"{base}-{k}"


def optimizer_preview(name: str, space, seed: int, options: dict):
    """The BO part of optimizer ``name`` as it will be built (for printing its start points), or None."""
    from ..optimize import make_optimizer
    if name not in ("bo", "bo+cg"):
        return None
    opt = make_optimizer(name, space, random_state=seed, **options)
    return opt if name == "bo" else opt.bo


def run_fit(args) -> int:
    args = _apply_config(args)
    from tqdm import tqdm
    from ..inputs import forcefield_from
    from ..optimize import SearchSpace, default_run_id, fit
    from ..store import CachedCost, Store, StoreError

    base = forcefield_from(args.base, "--base")
    space = SearchSpace(args.free, args.bounds, base, coords=args.space)
    if args.budget < 1:
        raise ValueError(f"--budget = {args.budget} must be >= 1")
    failure_value = args.failure_value if args.failure_value == "worst" else float(args.failure_value)
    auto_reason = None
    if args.optimizer == "auto":
        from ..optimize.auto import auto_optimizer
        if args.gradient == "reweight":
            args.optimizer, why = "cg", "--gradient reweight"
        else:
            args.optimizer, why = auto_optimizer(space.dim, has_pdfs=args.stand_in in (None, "pdf_peaks"),
                                                 scalar_gp_options=(args.failure_policy != "impute"
                                                                    or args.y_transform != "none"))
        auto_reason = f"auto -> {args.optimizer}: {why}"
        print(f"optimizer {auto_reason}", file=sys.stderr)
    if args.gradient == "reweight":
        return run_reweight_fit(args, space)
    if args.optimizer == SCREEN_REFINE:
        return run_screen_fit(args, space, Store(args.store), build_evaluator)
    options = {}
    bo_options = {"n_initial": args.n_initial, "xi": args.xi, "batch_size": args.batch,
                  "failure_value": failure_value, "y_transform": args.y_transform,
                  "failure_policy": args.failure_policy, "preset_starts": args.preset_starts}
    if args.failure_policy == "constrained":
        bo_options["feasibility"] = args.feasibility
    if args.optimizer in ("turbo", "turbo+cg"):
        bo_options["acquisition"] = args.turbo_acquisition
    if args.optimizer in ("bo", "turbo"):
        options = bo_options
    elif args.optimizer == "composite":
        if args.y_transform != "none":
            raise ValueError("--y-transform applies to the scalar GP of bo and bo+cg; composite models the PDFs")
        if args.failure_policy != "impute":
            raise ValueError("--failure-policy applies to bo/turbo; composite always weights EI by P(success) "
                             "and conditions its PDF model on failed points")
        options = {"n_initial": args.n_initial, "xi": args.xi, "batch_size": args.batch,
                   "preset_starts": args.preset_starts}
    elif args.optimizer == "random":
        options = {"batch_size": args.batch}
    elif args.optimizer == "cg":
        options = {"fd_step": args.fd_step}
    elif args.optimizer in ("bo+cg", "turbo+cg"):
        options = {"bo_fraction": args.bo_fraction, "cg_options": {"fd_step": args.fd_step}, "bo_options": bo_options}
    store = Store(args.store)
    evaluator = build_evaluator(args, space)
    cost = CachedCost(evaluator, store)
    fid_label = f"standin-{args.stand_in}" if args.stand_in else args.fidelity
    run_id = args.run_name or default_run_id(args.optimizer, space, args.seed, fid_label)
    if not args.resume:
        run_id = _unique_run_id(store, run_id)
    n_done = len(store.records(run_id))
    print(f"run {run_id!r} in {store.path}: {args.optimizer}, free {list(space.names)}, base {base.name}, "
          f"budget {args.budget}, fidelity {fid_label}, seed {args.seed}"
          + (f" - resuming after {n_done} stored evaluations" if n_done else ""), file=sys.stderr)
    preview = optimizer_preview(args.optimizer, space, args.seed, options)
    print(f"search space {space!r}", file=sys.stderr)
    if preview is not None:
        print("BO starts: " + ", ".join(f"{p['label']} ({p['kind']})" for p in preview.start_points_)
              + f", then {preview.n_initial} space-filling points", file=sys.stderr)
        for p in preview.skipped_starts_:
            print(f"  not a start: {p['label']} ({p['kind']}) - {p['reason']}", file=sys.stderr)
    bar = None if args.quiet else tqdm(total=args.budget, desc=f"fit {args.optimizer}", unit="eval",
                                       file=sys.stderr, dynamic_ncols=True)

    def progress(entry):
        if bar is None:
            return
        best = entry["best_R_x"]
        tag = "stored" if entry["replayed"] else ("cached" if entry["cached"] else entry["status"])
        bar.set_postfix_str(f"best R_x {100 * best:.2f}% | last {tag}" if math.isfinite(best)
                            else f"best R_x - | last {tag}", refresh=False)
        bar.update(1)

    executor = None
    if args.workers > 1 or args.scheduler:
        from ..parallel import get_executor
        executor = get_executor(None if args.scheduler and args.workers == 1 else args.workers, args.threads,
                                args.scheduler)
        print(f"evaluations on {executor!r}", file=sys.stderr)
    try:
        result = fit(cost, space, args.optimizer, args.budget, seed=args.seed, md_seed=args.md_seed,
                     run_id=run_id, resume=True, options=options, failure_value=failure_value,
                     callback=progress, n_workers=args.workers, executor=executor,
                     extra_config={"n_workers": args.workers, "stand_in": args.stand_in, "optimizer_auto": auto_reason,
                                   "executor": executor.describe() if executor is not None else None})
    except StoreError as exc:  # e.g. resuming a run with a different configuration: one clear line
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
        if executor is not None:
            executor.close()
    s = result.summary()
    print(f"run {run_id}: {s['n_evals']} evaluations ({s['n_failed']} failed), stopped: {s['stop_reason']}")
    if s["best_R_x"] is None:
        print("  no successful evaluation")
        return 1
    print(f"  best R_x = {100 * s['best_R_x']:.2f} %  (store id {s['best_record_id']})")
    for name, value in s["best_params"].items():
        print(f"  {name:8s} = {value:.6g}")
    out = store.path.parent / f"{run_id}.best.json"
    result.best_forcefield.save(out)
    print(f"  wrote {out}")
    return 0


def run_reweight_fit(args, space) -> int:
    """``fit --optimizer cg --gradient reweight``: L-BFGS-B with one melt per value and gradient."""
    if args.optimizer != "cg":
        raise ValueError(f"--gradient reweight needs --optimizer cg, got --optimizer {args.optimizer}")
    if args.stand_in:
        raise ValueError("--gradient reweight needs MD frames; it cannot run on --stand-in")
    if getattr(args, "engine", "lammps") != "lammps":
        raise ValueError(f"--gradient reweight runs on the LAMMPS engine only (its dense gradient frames); "
                         f"got --engine {args.engine}")
    from ..engine.lammps import LammpsEngine
    from ..evaluate import Evaluator
    from ..optimize.reweight_lbfgs import ReweightLBFGS
    engine = LammpsEngine(threads=args.threads, mpi_ranks=args.mpi_ranks, timeout_s=args.timeout,
                          gradient_frames_every=args.gradient_frames_every)
    evaluator = Evaluator(reference_from_args(args), args.fidelity, engine=engine, r_range=tuple(args.r_range) if args.r_range else None)
    md_seed = args.md_seed if args.md_seed is not None else args.seed
    opt = ReweightLBFGS(space)
    print(f"cg with reweighting gradients: free {list(space.names)}, base {space.base.name}, budget {args.budget} "
          f"melts, fidelity {args.fidelity}, MD seed {md_seed}", file=sys.stderr)
    stop = opt.run(evaluator, args.budget, seed=md_seed)
    print(f"{opt.n_melts_} melts, stopped: {stop} ({opt.message_})")
    if opt.x_ is None:
        print("  no successful evaluation")
        return 1
    print(f"  best R_x = {100 * opt.fun_:.2f} %")
    for name, value in space.params(opt.x_).items():
        print(f"  {name:8s} = {value:.6g}")
    Path(args.store).mkdir(parents=True, exist_ok=True)
    run_id = args.run_name or f"cg-reweight-{'_'.join(space.names)}-{space.base.name}-{args.fidelity}-s{md_seed}"
    out = Path(args.store) / f"{run_id}.best.json"
    space.forcefield(opt.x_).save(out)
    path = Path(args.store) / f"{run_id}.reweight.json"
    path.write_text(json.dumps({"engine": engine.version(), "fidelity": args.fidelity, "md_seed": md_seed,
                                "free": list(space.names), "base": space.base.as_dict(), "stop": stop,
                                "message": opt.message_, "path": opt.path_}, indent=1, default=float) + "\n")
    print(f"  wrote {out} and {path}")
    return 0
