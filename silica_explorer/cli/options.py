"""Options shared by the subcommands: engine (with the melt cache), reference, fidelity, seeds, paths,
the glass system (``--system SiO2|NS3|FILE`` with its state point), plus the progress bar and JSON
printing. Bad values are argparse errors naming the option and what it allows."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..reference import default_reference
from ..systems import SIO2, System, SystemDescriptionError, SystemForceField, get_system, system_preset


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


def reference_from_args(args, system: System = SIO2) -> Path:
    """``--reference``, or the shipped default reference (silica's); a ValueError naming the option for any
    other ``system``, which has no shipped reference yet."""
    if args.reference is not None:
        return args.reference
    if system != SIO2:
        raise ValueError(f"--reference is required for --system {system.name}: no {system.name} reference is "
                         f"shipped yet (a synthetic one: silica-explorer reference synthetic --system {system.name})")
    return default_reference()


# ----------------------------------------------------------------------------------------- systems
def system_type(text: str) -> System:
    """``--system``: a built-in system by name (``SiO2``, ``NS3``; any case) or a system JSON file
    (:func:`silica_explorer.systems.get_system`); an argparse error naming the allowed values or the
    file's bad field."""
    try:
        return get_system(text)
    except SystemDescriptionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_system_args(p: argparse.ArgumentParser) -> None:
    """``--system`` (default SiO2) and the state point of a non-silica melt: ``--temperature`` (K),
    ``--density`` (g/cm3), ``--n-units`` (composition units)."""
    p.add_argument("--system", type=system_type, default=SIO2, metavar="SiO2|NS3|FILE",
                   help="glass system: SiO2 (default), NS3 (Na2O-3SiO2) or a system JSON file")
    g = p.add_argument_group("state point of a non-silica --system (silica's fidelities fix theirs)")
    g.add_argument("--temperature", type=float, default=None, metavar="K",
                   help="melt temperature in K (required for a non-silica system)")
    g.add_argument("--density", type=float, default=None, metavar="G_CM3",
                   help="density in g/cm3 (required for a non-silica system)")
    g.add_argument("--n-units", type=int, default=None, metavar="N",
                   help="composition units in the box (default: the fidelity's size for NS3; required for a "
                        "system file)")


def fidelity_from_args(args):
    """The melt protocol of ``--fidelity`` for ``--system``: silica's fidelity name as before (a state
    point option is then a ValueError), or a :class:`~silica_explorer.systems.SystemFidelity` at
    ``--temperature`` and ``--density``, both required (one ValueError naming the missing ones)."""
    from ..systems import system_fidelity
    given = [o for o, v in (("--temperature", args.temperature), ("--density", args.density),
                            ("--n-units", args.n_units)) if v is not None]
    if args.system == SIO2:
        if given:
            raise ValueError(f"{', '.join(given)}: only for a non-silica --system; silica's fidelity "
                             f"{args.fidelity!r} fixes its state point and size")
        return args.fidelity
    if args.engine != "lammps":
        raise ValueError(f"--engine {args.engine}: melts of --system {args.system.name} run on the LAMMPS engine only")
    missing = [o for o in ("--temperature", "--density") if o not in given]
    if missing:
        raise ValueError(f"--system {args.system.name} needs {' and '.join(missing)}: it has no default state "
                         f"point (the reference's temperature in K and density in g/cm3, e.g. --temperature "
                         f"3600 --density 2.45)")
    return system_fidelity(args.fidelity, args.system, args.temperature, args.density, args.n_units)


def state_point_text(fidelity) -> str:
    """``""`` for a silica fidelity name; for a SystemFidelity its system, state point and size."""
    if isinstance(fidelity, str):
        return ""
    return (f"   system: {fidelity.system.name} at {fidelity.temperature:g} K, {fidelity.density:g} g/cm3, "
            f"{fidelity.n_units} units ({fidelity.n_atoms} atoms)")


def system_forcefield_from(spec: str | Path, system: System, option: str) -> SystemForceField:
    """A forcefield of ``system`` from ``option``'s value: a preset of that system (``SHIK`` or
    ``SHIK-NS3``) or a system forcefield JSON file (``.json``) of that system; one ValueError naming the
    option otherwise."""
    try:
        if str(spec).lower().endswith(".json"):
            ff = SystemForceField.load(spec)
        else:
            ff = system_preset(str(spec), system)
    except SystemDescriptionError as exc:
        raise ValueError(f"{option}: {exc}") from None
    if ff.system != system:
        raise ValueError(f"{option} {spec}: a forcefield of {ff.system.name}, but --system is {system.name}")
    return ff


def check_reference_system(evaluator, reference: Path) -> None:
    """ValueError naming ``--reference`` when the evaluator's reference does not hold exactly the pairs of
    the evaluator's system (before any MD)."""
    held = sorted(str(p) for p in evaluator.reference.pair.values)
    need = evaluator.system.pairs
    if held != sorted(need):
        raise ValueError(f"--reference {reference}: holds pairs {held}, --system {evaluator.system.name} has "
                         f"{list(need)} (pass the --system of the reference)")


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
