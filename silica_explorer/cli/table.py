"""``silica-explorer table``: Table II (per-pair chi and R_x of several sets over several seeds) from the
command line (the library: :mod:`silica_explorer.scoring`)."""

from __future__ import annotations

from pathlib import Path

from ..evaluate import Evaluator
from ..forcefield import ForceField
from ..scoring import format_summary, score_sets, summary
from .options import (add_engine_args, add_fidelity_arg, add_reference_arg, engine_from_args, reference_from_args,
                      seed_list_type, tqdm_progress)


def register_cli(sub) -> None:
    from ..forcefield import PRESETS
    p = sub.add_parser("table", help="Table II: per-pair chi and R_x of several sets over several seeds",
                       description="Score presets (and/or JSON forcefields) against the reference at several "
                                   "seeds; prints mean +- std in % and writes a netCDF with every run.")
    p.add_argument("--sets", default="ML,BKS,CHIK", help=f"comma-separated presets ({', '.join(PRESETS)})")
    p.add_argument("--params", nargs="*", default=[], help="extra forcefield JSON files")
    add_fidelity_arg(p)
    p.add_argument("--seeds", type=seed_list_type, default=(0, 1, 2), help="comma-separated seeds (default 0,1,2)")
    add_reference_arg(p)
    p.add_argument("--out", default=None, help="netCDF output (default runs/table-<fidelity>.nc)")
    add_engine_args(p)
    p.set_defaults(func=_run_cli)


def _run_cli(args) -> int:
    sets = {n: ForceField.preset(n) for n in args.sets.split(",") if n}
    for path in args.params:
        ff = ForceField.load(path)
        sets[ff.name if ff.name not in sets else Path(path).stem] = ff
    seeds = list(args.seeds)
    reference = reference_from_args(args)
    evaluator = Evaluator(reference, args.fidelity, engine=engine_from_args(args))
    progress, bar = tqdm_progress("Table II")
    bar.unit = "run"
    try:
        ds = score_sets(sets, evaluator, seeds, progress=progress)
    finally:
        bar.close()
    out = Path(args.out or f"runs/table-{args.fidelity}.nc")
    out.parent.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(out)
    print(f"reference: {reference}; fidelity: {args.fidelity}; seeds: {seeds}")
    print(format_summary(summary(ds)))
    for name in ds.set.values:
        for seed in ds.seed.values:
            r = str(ds.reason.sel(set=name, seed=seed).values)
            if r:
                print(f"  {name} seed {seed} FAILED: {r}")
    print(f"wrote {out}")
    return 0
