"""Options shared by the subcommands: engine (with the melt cache), reference, fidelity, seeds, paths,
plus the progress bar and JSON printing. Bad values are argparse errors naming the option and what it
allows."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..reference import default_reference


def add_command(sub, name: str, *, help: str, description: str,
                epilog: str | None = None) -> argparse.ArgumentParser:
    """Add the ``silica-explorer NAME`` command to the argparse ``sub`` (subparsers): one-line ``help`` for the
    command list, ``description`` for its own help; an ``epilog`` (an example command line) keeps its line
    breaks (``RawDescriptionHelpFormatter``)."""
    if epilog is None:
        return sub.add_parser(name, help=help, description=description)
    return sub.add_parser(name, help=help, description=description,
                          formatter_class=argparse.RawDescriptionHelpFormatter, epilog=epilog)


def existing_path(text: str) -> Path:
    p = Path(text)
    if not p.exists():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return p


def print_json(obj) -> None:
    print(json.dumps(obj, indent=2, default=str))


def seed_type(text: str) -> int:
    """An MD or optimizer seed: a non-negative integer."""
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"seed must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed must be a non-negative integer (0, 1, 2, ...), got {value}")
    return value


def seed_list_type(text: str) -> tuple[int, ...]:
    """Comma-separated seeds, e.g. ``0,1,2`` (each a non-negative integer, at least one)."""
    items = [s.strip() for s in str(text).split(",") if s.strip()]
    if not items:
        raise argparse.ArgumentTypeError("seeds: need at least one integer, e.g. 0,1,2")
    try:
        return tuple(seed_type(s) for s in items)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"seeds must be comma-separated non-negative integers, got {text!r} "
                                         f"({exc})") from None


def add_fidelity_arg(p: argparse.ArgumentParser, help: str = "MD protocol (default quick)") -> None:
    from ..fidelity import FIDELITIES
    p.add_argument("--fidelity", default="quick", choices=list(FIDELITIES), help=help)


def add_reference_arg(p: argparse.ArgumentParser,
                      help: str = "reference PDFs (netCDF or CSV/TSV table); default: the shipped CHGNet liquid"
                      ) -> None:
    p.add_argument("--reference", type=existing_path, default=None, help=help)


def reference_from_args(args) -> Path:
    """``--reference``, or the shipped default reference."""
    return args.reference if args.reference is not None else default_reference()


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


def add_engine_args(p: argparse.ArgumentParser, melt_cache: bool = True) -> None:
    """Engine options (``--engine``, ``--device``, ``--threads``, ...); ``melt_cache`` adds ``--melt-cache``."""
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
    if not melt_cache:
        return
    p.add_argument("--melt-cache", type=Path, default=None, metavar="DIR",
                   help="reuse identical cold-start melts from DIR (and add new ones), e.g. to re-score "
                        "a grid against another reference without re-running MD")


def engine_from_args(args):
    from ..engine import get_engine
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
        from ..engine.cache import CachingEngine
        return CachingEngine(engine, args.melt_cache)
    return engine
