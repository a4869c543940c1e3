"""``silica-explorer evaluate``: one cost evaluation from the command line, with a progress bar."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..systems import SIO2
from .options import (add_engine_args, add_fidelity_arg, add_reference_arg, add_system_args, check_reference_system,
                      engine_from_args, existing_path, fidelity_from_args, reference_from_args, seed_type,
                      state_point_text, system_forcefield_from, tqdm_progress)


def add_forcefield_args(p: argparse.ArgumentParser) -> None:
    from ..forcefield import PRESETS
    g = p.add_mutually_exclusive_group()
    g.add_argument("--preset", default=None, help=f"published parameter set: {', '.join(PRESETS)} (default ML); "
                                                  "for --system NS3: SHIK-NS3, Teter-NS3 (required)")
    g.add_argument("--params", type=existing_path, default=None,
                   help="forcefield JSON file (a system forcefield JSON for a non-silica --system)")


def forcefield_from_args(args):
    """Silica: ``--params`` or ``--preset`` (default ML) as a ForceField, as always. Any other ``--system``:
    a SystemForceField of that system from ``--params`` or ``--preset`` (one of them required)."""
    if args.system != SIO2:
        if args.params is None and args.preset is None:
            raise ValueError(f"--system {args.system.name} needs --preset (a {args.system.name} preset) or --params "
                             f"(a system forcefield JSON file)")
        return system_forcefield_from(args.params if args.params is not None else args.preset, args.system,
                                      "--params" if args.params is not None else "--preset")
    from ..inputs import forcefield_from
    return forcefield_from(args.params if args.params is not None else (args.preset or "ML"), "--preset")


def register_cli(sub) -> None:
    p = sub.add_parser("evaluate", help="run one melt and score it (R_x) against a reference",
                       description="Run one MD melt with a forcefield and print per-pair chi and global R_x "
                                   "against the reference; writes pdf.nc and record.json to --out.")
    add_forcefield_args(p)
    add_fidelity_arg(p)
    add_system_args(p)
    p.add_argument("--seed", type=seed_type, default=0, help="random seed of the start and velocities (>= 0, default 0)")
    add_reference_arg(p)
    p.add_argument("--r-range", type=float, nargs=2, metavar=("RMIN", "RMAX"), default=None,
                   help="restrict the cost to this r window (A)")
    p.add_argument("--out", type=Path, default=None, help="output directory (default runs/evaluate/<preset>-<fidelity>-<seed>)")
    add_engine_args(p)
    p.set_defaults(func=run_evaluate)


def run_evaluate(args) -> int:
    from ..evaluate import Evaluator
    ff = forcefield_from_args(args)
    fidelity = fidelity_from_args(args)
    reference = reference_from_args(args, args.system)
    evaluator = Evaluator(reference, fidelity, engine=engine_from_args(args),
                          r_range=tuple(args.r_range) if args.r_range else None)
    check_reference_system(evaluator, reference)
    progress, bar = tqdm_progress(f"{ff.name} @ {args.fidelity}")
    try:
        result = evaluator(ff, seed=args.seed, progress=progress)
    finally:
        bar.close()
    out = args.out or Path("runs") / "evaluate" / f"{ff.name.replace(' ', '_')}-{args.fidelity}-{args.seed}"
    paths = result.save(out)
    print(f"forcefield: {ff.name}   fidelity: {args.fidelity}   seed: {args.seed}   reference: {reference}"
          f"{state_point_text(fidelity)}")
    if result.ok:
        if result.reason:
            print(f"  {result.reason}")
        for pair, chi in result.chi.items():
            print(f"  chi_{pair:5s} = {100 * chi:7.2f} %")
        print(f"  R_x        = {100 * result.R_x:7.2f} %   (r in {result.cost.r_range[0]:.2f}-{result.cost.r_range[1]:.2f} A)")
    else:
        print(f"  FAILED: {result.reason}")
    print(f"  wall time {result.melt.wall_time_s:.1f} s; wrote {', '.join(str(p) for p in paths.values())}")
    return 0 if result.ok else 1
