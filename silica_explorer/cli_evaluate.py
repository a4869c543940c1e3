"""``silica-explorer evaluate``: one cost evaluation from the command line, with a progress bar."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli import existing_path

#: The shipped default reference (see data/reference/README.md).
DEFAULT_REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference" / "sio2_3600K_chgnet.nc"


def default_reference() -> Path:
    """The shipped reference, or a clear error naming --reference when it is absent."""
    if not DEFAULT_REFERENCE.exists():
        raise FileNotFoundError(f"default reference {DEFAULT_REFERENCE} not found; pass --reference FILE")
    return DEFAULT_REFERENCE


def tqdm_progress(desc: str):
    """A ``progress(done, total, phase)`` callback drawing a tqdm bar on stderr; returns (callback, bar)."""
    from tqdm import tqdm
    bar = tqdm(total=1, desc=desc, unit="step", file=sys.stderr, dynamic_ncols=True)

    def progress(done: int, total: int, phase: str) -> None:
        if bar.total != total:
            bar.total = total
        bar.set_postfix_str(phase, refresh=False)
        bar.update(max(0, done - bar.n))

    return progress, bar


def add_forcefield_args(p: argparse.ArgumentParser) -> None:
    from .forcefield import PRESETS
    g = p.add_mutually_exclusive_group()
    g.add_argument("--preset", default=None, help=f"published parameter set: {', '.join(PRESETS)} (default ML)")
    g.add_argument("--params", type=existing_path, default=None, help="forcefield JSON file")


def forcefield_from_args(args):
    from .forcefield import ForceField
    if args.params is not None:
        return ForceField.load(args.params)
    return ForceField.preset(args.preset or "ML")


def add_engine_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", default="lammps", choices=["lammps", "hoomd"],
                   help="MD engine (default lammps; hoomd needs HOOMD-blue >= 4: conda-forge or scripts/build_hoomd.sh)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "gpu"],
                   help="HOOMD device (default auto: a GPU if this HOOMD build supports one and one exists)")
    p.add_argument("--threads", type=int, default=None, help="OpenMP threads per MD run (default: all cores)")
    p.add_argument("--mpi-ranks", type=int, default=1, help="MPI ranks per MD run (default 1; LAMMPS only)")
    p.add_argument("--timeout", type=float, default=None, help="wall-clock limit of one melt in s")
    p.add_argument("--deck", choices=["one-table", "hybrid"], default="one-table",
                   help="LAMMPS pair deck: Eq. (1) + DSF in one table (default, ~2x faster) or "
                        "hybrid/overlay table + coul/dsf")
    p.add_argument("--collapse", choices=["flag", "fail"], default="flag",
                   help="a melt whose Si-O pairs collapse (> 0.01 O per Si within 1.2 A): keep its R_x "
                        "with a flagged reason (default) or count it as failed")
    p.add_argument("--melt-cache", type=Path, default=None, metavar="DIR",
                   help="reuse identical cold-start melts from DIR (and add new ones), e.g. to re-score "
                        "a grid against another reference without re-running MD")


def engine_from_args(args):
    from .engine import get_engine
    name = getattr(args, "engine", "lammps")
    collapse = getattr(args, "collapse", "flag")
    if name == "hoomd":
        if args.mpi_ranks != 1:
            raise ValueError("--mpi-ranks applies to the LAMMPS engine only; HOOMD runs one process per melt")
        if getattr(args, "deck", "one-table") != "one-table":
            raise ValueError("--deck applies to the LAMMPS engine only; HOOMD always uses one table (Eq. (1) + DSF)")
        engine = get_engine("hoomd", device=getattr(args, "device", "auto"), threads=args.threads,
                            timeout_s=args.timeout, collapse=collapse)
    else:
        if getattr(args, "device", "auto") != "auto":
            raise ValueError("--device applies to the HOOMD engine only (--engine hoomd)")
        engine = get_engine(name, threads=args.threads, mpi_ranks=args.mpi_ranks, timeout_s=args.timeout,
                            deck=getattr(args, "deck", "one-table"), collapse=collapse)
    if getattr(args, "melt_cache", None) is not None:
        from .engine.cache import CachingEngine
        return CachingEngine(engine, args.melt_cache)
    return engine


def register_cli(sub) -> None:
    from .fidelity import FIDELITIES
    p = sub.add_parser("evaluate", help="run one melt and score it (R_x) against a reference",
                       description="Run one MD melt with a forcefield and print per-pair chi and global R_x "
                                   "against the reference; writes pdf.nc and record.json to --out.")
    add_forcefield_args(p)
    p.add_argument("--fidelity", default="quick", choices=list(FIDELITIES), help="MD protocol (default quick)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the start and velocities (default 0)")
    p.add_argument("--reference", type=existing_path, default=None,
                   help="reference PDFs (netCDF or CSV/TSV table); default: the shipped CHGNet liquid")
    p.add_argument("--r-range", type=float, nargs=2, metavar=("RMIN", "RMAX"), default=None,
                   help="restrict the cost to this r window (A)")
    p.add_argument("--out", type=Path, default=None, help="output directory (default runs/evaluate/<preset>-<fidelity>-<seed>)")
    add_engine_args(p)
    p.set_defaults(func=run_evaluate)


def run_evaluate(args) -> int:
    from .evaluate import Evaluator
    ff = forcefield_from_args(args)
    reference = args.reference if args.reference is not None else default_reference()
    evaluator = Evaluator(reference, args.fidelity, engine=engine_from_args(args),
                          r_range=tuple(args.r_range) if args.r_range else None)
    progress, bar = tqdm_progress(f"{ff.name} @ {args.fidelity}")
    try:
        result = evaluator(ff, seed=args.seed, progress=progress)
    finally:
        bar.close()
    out = args.out or Path("runs") / "evaluate" / f"{ff.name.replace(' ', '_')}-{args.fidelity}-{args.seed}"
    paths = result.save(out)
    print(f"forcefield: {ff.name}   fidelity: {args.fidelity}   seed: {args.seed}   reference: {reference}")
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
