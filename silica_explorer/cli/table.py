"""``silica-explorer table``: Table II (per-pair chi and R_x of several sets over several seeds) from the
command line (the library: :mod:`silica_explorer.scoring`)."""

from __future__ import annotations

from pathlib import Path

from ..evaluate import Evaluator
from ..forcefield import ForceField
from ..scoring import format_summary, score_sets, summary
from ..systems import SIO2, system_presets
from .options import (add_engine_args, add_fidelity_arg, add_reference_arg, add_system_args, check_reference_system,
                      engine_from_args, fidelity_from_args, reference_from_args, seed_list_type, state_point_text,
                      system_forcefield_from, tqdm_progress)


def register_cli(sub) -> None:
    from ..forcefield import PRESETS
    p = sub.add_parser("table", help="Table II: per-pair chi and R_x of several sets over several seeds",
                       description="Score presets (and/or JSON forcefields) against the reference at several "
                                   "seeds; prints mean +- std in % and writes a netCDF with every run.")
    p.add_argument("--sets", default=None, help=f"comma-separated presets ({', '.join(PRESETS)}; default ML,BKS,CHIK); "
                                                "for a non-silica --system its presets (default all of them)")
    p.add_argument("--params", nargs="*", default=[], help="extra forcefield JSON files (system forcefield JSON "
                                                           "for a non-silica --system)")
    add_fidelity_arg(p)
    add_system_args(p)
    p.add_argument("--seeds", type=seed_list_type, default=(0, 1, 2), help="comma-separated seeds (default 0,1,2)")
    add_reference_arg(p)
    p.add_argument("--out", default=None, help="netCDF output (default runs/table-<fidelity>.nc; "
                                               "runs/table-<fidelity>-<system>.nc for a non-silica system)")
    add_engine_args(p)
    p.set_defaults(func=_run_cli)


def sets_from_args(args) -> dict:
    """The sets to score by name: silica presets and ForceField JSONs as always, or for a non-silica
    ``--system`` its presets (default all) and system forcefield JSONs of that system."""
    system = args.system
    if system == SIO2:
        names = (args.sets if args.sets is not None else "ML,BKS,CHIK").split(",")
        sets = {n: ForceField.preset(n) for n in names if n}
        extra = [ForceField.load(path) for path in args.params]
    else:
        names = args.sets.split(",") if args.sets is not None else list(system_presets(system))
        sets = {ff.name: ff for ff in (system_forcefield_from(n, system, "--sets") for n in names if n)}
        extra = [system_forcefield_from(path, system, "--params") for path in args.params]
        if not sets and not extra:
            raise ValueError(f"--sets/--params: no set to score for --system {system.name}")
    for path, ff in zip(args.params, extra):
        sets[ff.name if ff.name not in sets else Path(path).stem] = ff
    return sets


def _run_cli(args) -> int:
    sets = sets_from_args(args)
    seeds = list(args.seeds)
    fidelity = fidelity_from_args(args)
    reference = reference_from_args(args, args.system)
    evaluator = Evaluator(reference, fidelity, engine=engine_from_args(args))
    check_reference_system(evaluator, reference)
    progress, bar = tqdm_progress("Table II")
    bar.unit = "run"
    try:
        ds = score_sets(sets, evaluator, seeds, progress=progress)
    finally:
        bar.close()
    suffix = "" if args.system == SIO2 else f"-{args.system.name}"
    out = Path(args.out or f"runs/table-{args.fidelity}{suffix}.nc")
    out.parent.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(out)
    print(f"reference: {reference}; fidelity: {args.fidelity}; seeds: {seeds}{state_point_text(fidelity)}")
    print(format_summary(summary(ds)))
    for name in ds.set.values:
        for seed in ds.seed.values:
            r = str(ds.reason.sel(set=name, seed=seed).values)
            if r:
                print(f"  {name} seed {seed} FAILED: {r}")
    print(f"wrote {out}")
    return 0
