"""``silica-explorer landscape``: R_x on a 2-D parameter grid (the paper's Fig. 4), in parallel with Dask.

Example (the shipped landscape; ~70 min on 2 cores)::

    silica-explorer landscape --x q_Si:1.6:2.6:21 --y A_SiO:12000:30000:21 --base BKS \\
        --fidelity quick --workers 2 --zoom auto --paths \\
        --out data/landscapes/bks_qSi_ASiO_quick.nc --resume
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
from pathlib import Path

from .options import (add_command, add_engine_args, add_fidelity_arg, add_reference_arg, engine_from_args,
                      reference_from_args, seed_list_type, tqdm_progress)


def _axis(text: str):
    from ..landscape import Axis
    try:
        return Axis.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _zoom(text: str):
    if text.startswith("auto"):
        parts = text.split(":")
        try:
            steps, refine = (int(parts[1]) if len(parts) > 1 else 2), (int(parts[2]) if len(parts) > 2 else 2)
        except ValueError:
            raise argparse.ArgumentTypeError(f"--zoom auto[:STEPS[:REFINE]] takes integers, got {text!r}") from None
        return ("auto", steps, refine)
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(
            f"--zoom must be two axes separated by a comma, e.g. q_Si:1.9:2.1:11,A_SiO:17000:21000:11; got {text!r}")
    return tuple(_axis(p) for p in parts)


#: One line for `silica-explorer --help`.
HELP = "R_x on a grid of two parameters (others at a preset), in parallel"
#: The text of `silica-explorer landscape --help`.
DESCRIPTION = ("Compute the cost R_x on a grid of two forcefield parameters with all others fixed at a "
    "base preset (the paper's Fig. 4), evaluated in parallel with Dask, optionally with finer "
    "zoom windows and BO/CG optimizer paths. Writes a netCDF (groups /full, /zoom, /paths/...) "
    "and a .points.jsonl sidecar; --resume continues an interrupted run.")
EPILOG = ("example:\n  silica-explorer landscape --x q_Si:1.6:2.6:21 --y A_SiO:12000:30000:21 --base BKS \\\n"
       "      --fidelity quick --workers 2 --zoom auto --paths --out data/landscapes/bks_qSi_ASiO_quick.nc --resume")


def register_cli(sub) -> None:
    from ..forcefield import PRESETS
    p = add_command(sub, "landscape", help=HELP, description=DESCRIPTION, epilog=EPILOG)
    p.add_argument("--x", type=_axis, required=True, metavar="NAME:START:STOP:N",
                   help="horizontal parameter axis, e.g. q_Si:1.6:2.6:21 (parameter units)")
    p.add_argument("--y", type=_axis, required=True, metavar="NAME:START:STOP:N",
                   help="vertical parameter axis, e.g. A_SiO:12000:30000:21")
    p.add_argument("--base", default="BKS",
                   help=f"preset for the other parameters ({', '.join(PRESETS)}) or a forcefield JSON file "
                        "(default BKS)")
    add_fidelity_arg(p)
    p.add_argument("--seeds", type=seed_list_type, default=(0,), help="MD seeds per point, comma-separated (default 0)")
    p.add_argument("--zoom", type=_zoom, action="append", default=[], metavar="XAXIS,YAXIS|auto[:S[:R]]",
                   help="a finer sub-window, e.g. q_Si:1.9:2.1:11,A_SiO:17000:21000:11, or 'auto[:S[:R]]': "
                        "centred on the full window's lowest R_x, S full steps either side (default 2), R times "
                        "finer (default 2), computed after the full window (repeatable)")
    p.add_argument("--paths", action="store_true",
                   help="also run BO and CG from the same start over the full window and store their paths")
    p.add_argument("--path-budget", type=int, default=20, help="evaluations per optimizer path (default 20)")
    p.add_argument("--path-start", type=float, nargs=2, default=None, metavar=("X", "Y"),
                   help="start of the optimizer paths (default: the base preset's values)")
    p.add_argument("--path-preset-starts", action=argparse.BooleanOptionalAction, default=False,
                   help="BO paths also start from every preset inside the window (default: no, the paper's Fig. 4 "
                        "shows what each method finds from the one start by itself)")
    p.add_argument("--workers", type=int, default=None,
                   help="parallel evaluations (Dask LocalCluster processes; default cores / MD threads; "
                        "1 = serial, no Dask)")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="use a running Dask scheduler, e.g. tcp://host:8786 (dask-jobqueue / dask worker)")
    add_reference_arg(p)
    p.add_argument("--r-range", type=float, nargs=2, metavar=("RMIN", "RMAX"), default=None,
                   help="restrict the cost to this r window (A)")
    p.add_argument("--out", type=Path, required=True, help="output netCDF file")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--resume", action="store_true", help="continue an existing --out: skip finished points")
    g.add_argument("--overwrite", action="store_true", help="start afresh even if --out exists")
    p.add_argument("--note", default=None, help="free text stored in the file's attributes")
    p.add_argument("--dashboard", default=None, metavar="ADDR", help="serve the Dask dashboard, e.g. :8787")
    add_engine_args(p)
    for action in p._actions:
        if "--threads" in action.option_strings:
            action.help = "OpenMP threads per MD run (default: cores / workers, so workers x threads = cores)"
    p.set_defaults(func=run_landscape)


def _base(text: str):
    from ..inputs import forcefield_from
    path = Path(text)
    if path.suffix == ".json" or path.exists():
        return forcefield_from(path, "--base")
    return text


def run_landscape(args) -> int:
    from ..evaluate import Evaluator
    from ..landscape import Landscape, compute_windows, open_landscape, optimizer_paths, sidecar_path
    from ..parallel import get_executor

    out: Path = args.out
    if (out.exists() or sidecar_path(out).exists()) and not (args.resume or args.overwrite):
        raise ValueError(f"{out} (or its sidecar {sidecar_path(out).name}) exists; pass --resume to continue it "
                         "or --overwrite to start afresh")
    auto = [z for z in args.zoom if z[0] == "auto"]
    ls = Landscape(args.x, args.y, base=_base(args.base), fidelity=args.fidelity, seeds=args.seeds, engine=args.engine,
                   zoom=[z for z in args.zoom if z[0] != "auto"])
    reference = reference_from_args(args)
    n_points = len(ls.points())
    executor = get_executor(args.workers, args.threads, args.scheduler,
                            **({"dashboard": args.dashboard} if args.dashboard and args.workers != 1 else {}))
    try:
        args.threads = executor.md_threads
        cost = Evaluator(reference, args.fidelity, engine=engine_from_args(args),
                         r_range=tuple(args.r_range) if args.r_range else None)
        label = str(cost.reference.attrs.get("name", "") or "")
        if label and label not in cost.reference_name:
            cost.reference_name = f"{cost.reference_name} ({label})"
        print(f"landscape {ls.x} x {ls.y} at {ls.base_name}, fidelity {args.fidelity}, seeds {list(ls.seeds)}: "
              f"{n_points} evaluations in {len(ls.windows)} window(s); {executor.workers} worker(s) x "
              f"{executor.md_threads} MD thread(s); reference {cost.reference_name}", file=sys.stderr)
        progress, bar = tqdm_progress("landscape")
        bar.unit = "pt"
        note = args.note  # None on --resume keeps the earlier note
        command = f"silica-explorer {shlex.join(sys.argv[1:])}" if "landscape" in sys.argv[1:2] else None
        try:
            tree = compute_windows(ls, cost, executor=executor, out=out, resume=args.resume, progress=progress,
                                   note=note, command=command)
        finally:
            bar.close()
        if auto:
            for _, steps, refine in auto:
                ls.zoom_around(tree["full"].to_dataset(), steps=steps, refine=refine)
            w = ls.windows[-1]
            print(f"auto zoom: {w.x} x {w.y}", file=sys.stderr)
            progress, bar = tqdm_progress("zoom")
            bar.unit = "pt"
            try:
                tree = compute_windows(ls, cost, executor=executor, out=out, resume=True, progress=progress,
                                       note=note, command=command)
            finally:
                bar.close()
        if args.paths:
            start = tuple(args.path_start) if args.path_start else None
            pbar_cb, pbar = tqdm_progress("paths")
            pbar.unit = "eval"
            try:
                optimizer_paths(ls, cost, methods=("bo", "cg"), start=start, n_iter=args.path_budget, out=out,
                                executor=executor, progress=pbar_cb, preset_starts=args.path_preset_starts)
            finally:
                pbar.close()
            tree = open_landscape(out)
    finally:
        executor.close()
    _summary(tree, out)
    return 0


def _summary(tree, out: Path) -> None:
    print(f"wrote {out} (sidecar {out.with_name(out.stem + '.points.jsonl').name}); "
          f"wall time {tree.attrs.get('wall_time_s', float('nan')):.1f} s")
    for name in str(tree.attrs.get("windows", "full")).split(","):
        ds = tree[name].ds
        xn, yn = ds.attrs["x_param"], ds.attrs["y_param"]
        line = (f"  {name:6s} {ds.sizes[xn]}x{ds.sizes[yn]} x {ds.sizes['seed']} seed(s): "
                f"{ds.attrs['n_ok']} ok, {ds.attrs['n_failed']} failed, {ds.attrs['n_pending']} pending")
        m = ds.R_x_mean
        if m.notnull().any():
            idx = m.argmin(...)
            best = m.isel(idx)
            line += (f"; min R_x = {100 * float(best):.2f} % at {xn} = {float(best[xn]):g}, "
                     f"{yn} = {float(best[yn]):g}")
        print(line)
    if "paths" in tree.children:
        for method, node in tree["paths"].children.items():
            ds = node.ds
            finite = ds.R_x.notnull()
            best = float(ds.best_R_x[-1]) if ds.sizes["iter"] else math.nan
            print(f"  path {method}: {ds.sizes['iter']} evaluations ({int(finite.sum())} ok), best R_x = "
                  f"{100 * best:.2f} %")


__all__ = ["register_cli", "run_landscape"]
