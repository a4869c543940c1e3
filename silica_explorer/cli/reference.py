"""``silica-explorer reference generate|from-trajectory|show``: reference partial PDFs on the command line
(the library: :mod:`silica_explorer.reference`)."""

from __future__ import annotations

import datetime as _dt
import json
import sys

from ..reference import CALCULATORS, from_trajectory, generate, load_reference, save_reference, summary
from ..reference.load import netcdf_attr
from .options import (add_engine_args, add_fidelity_arg, add_system_args, engine_from_args, fidelity_from_args,
                      seed_type, state_point_text, system_forcefield_from)


def _cmd_show(args) -> int:
    ds = load_reference(args.path)
    info = summary(ds)
    if args.json:
        print(json.dumps({"attrs": {k: netcdf_attr(v) for k, v in ds.attrs.items()}, **info}, indent=2,
                         default=str))
        return 0
    print(f"reference {args.path}")
    print("provenance:")
    for k, v in ds.attrs.items():
        print(f"  {k}: {v}")
    print(f"grid: r = {info['r_min']:.4f} .. {info['r_max']:.4f} A, {info['n_r']} points, dr = {info['dr']} A")
    print("first peaks:")
    for p, d in info["first_peaks"].items():
        err = f"  (max g_err {d['max_g_err']:.4f})" if "max_g_err" in d else ""
        print(f"  {p:5s} r = {d['r']:.3f} A  g = {d['g']:.3f}{err}")
    cn = info["coordination_numbers"]
    if isinstance(cn, dict):
        print("coordination numbers (cutoffs Si-O 2.3, Si-Si 3.5, O-O 3.0 A):")
        for k, v in cn.items():
            print(f"  {k:6s} {v:.3f}")
    else:
        print(f"coordination numbers: {cn}")
    for name in ("OSiO", "SiOSi"):
        if f"{name}_mode_deg" in info:
            print(f"{name} angle: mode {info[f'{name}_mode_deg']:.1f} deg, mean {info[f'{name}_mean_deg']:.1f} deg")
    for name in ("Si_coordination", "O_coordination"):
        if name in info:
            print(f"{name} fractions: " + ", ".join(f"{n}: {f:.3f}" for n, f in info[name].items()))
    return 0


def _parse_type_map(text: str | None) -> dict[int, str] | None:
    if not text:
        return None
    out = {}
    for item in text.split(","):
        t, _, s = item.partition("=")
        if not s or s.strip() not in ("Si", "O"):
            raise ValueError(f"--type-map item {item!r}: expected TYPE=Si or TYPE=O")
        out[int(t)] = s.strip()
    return out


def _cmd_from_trajectory(args) -> int:
    ds = from_trajectory(args.path, format=args.format, r_max=args.r_max, dr=args.dr, n_blocks=args.n_blocks,
                         skip_ps=args.skip_ps, skip_frames=args.skip_frames, stride=args.stride,
                         frame_dt_ps=args.frame_dt_ps, phase=args.phase, type_map=_parse_type_map(args.type_map))
    path = save_reference(ds, args.output)
    info = summary(ds)
    print(f"wrote {path}: {ds.attrs['n_frames']} frames, density {ds.attrs['density_g_cm3']:.4f} g/cm3, "
          f"r up to {info['r_max']:.3f} A")
    for p, d in info["first_peaks"].items():
        print(f"  first peak {p:5s} r = {d['r']:.3f} A  g = {d['g']:.3f}")
    return 0


def _cmd_generate(args) -> int:
    deadline = None
    if args.deadline:
        deadline = _dt.datetime.fromisoformat(args.deadline)
        if deadline.tzinfo is None:
            deadline = deadline.replace(tzinfo=_dt.timezone.utc)
    ds = generate(args.calculator, n_SiO2=args.n_sio2, temperature=args.temperature, density=args.density,
                  timestep_fs=args.timestep_fs, relax_ps=args.relax_ps, production_ps=args.production_ps,
                  sample_every=args.sample_every, seed=args.seed, out_dir=args.out_dir, start=args.start,
                  progress=not args.no_progress, friction_per_fs=args.friction, threads=args.threads,
                  deadline=deadline, n_blocks=args.n_blocks, dr=args.dr)
    info = summary(ds)
    print(f"wrote PDFs of {ds.attrs['n_frames']} frames ({ds.attrs['production_ps']} ps) to {args.out_dir}")
    for p, d in info["first_peaks"].items():
        print(f"  first peak {p:5s} r = {d['r']:.3f} A  g = {d['g']:.3f}")
    return 0


def _cmd_synthetic(args) -> int:
    from ..inputs import forcefield_from
    from ..systems import SIO2
    from ..synthetic import synthetic_reference
    fidelity = fidelity_from_args(args)
    if args.system == SIO2:
        ff = forcefield_from(args.preset or "CHIK", "--preset")
    elif args.preset is None:
        raise ValueError(f"--system {args.system.name} needs --preset: a {args.system.name} preset or a system "
                         f"forcefield JSON file (the generating set)")
    else:
        ff = system_forcefield_from(args.preset, args.system, "--preset")
    ds = synthetic_reference(ff, fidelity, args.seeds, engine_from_args(args),
                             command=" ".join(["silica-explorer", *sys.argv[1:]]))
    path = save_reference(ds, args.output)
    print(f"wrote {path}: {ds.attrs['name']}{state_point_text(fidelity)}")
    for p, d in summary(ds)["first_peaks"].items():
        print(f"  first peak {p:5s} r = {d['r']:.3f} A  g = {d['g']:.3f}")
    return 0


def register_cli(subparsers) -> None:
    """Add ``reference generate|from-trajectory|show`` to an argparse ``subparsers``."""
    p = subparsers.add_parser("reference", help="reference partial PDFs: generate, import, inspect",
                              description="Reference partial PDFs of liquid SiO2 (see data/reference/README.md).")
    sub = p.add_subparsers(dest="reference_command", required=True)

    g = sub.add_parser("generate", help="NVT MD with a machine-learned potential (needs the [reference] extra)",
                       description="Generate a reference liquid with CHGNet 0.3.0 or SevenNet-0 "
                                   "(machine-learned DFT (PBE) surrogates, not CPMD).")
    g.add_argument("--calculator", choices=sorted(CALCULATORS), default="chgnet")
    g.add_argument("--n-sio2", type=int, default=64, help="formula units (default 64 = 192 atoms)")
    g.add_argument("--temperature", type=float, default=3600.0, help="K (default 3600)")
    g.add_argument("--density", type=float, default=2.2, help="g/cm3 (default 2.2)")
    g.add_argument("--timestep-fs", type=float, default=2.0, help="fs (default 2)")
    g.add_argument("--relax-ps", type=float, default=3.0)
    g.add_argument("--production-ps", type=float, default=10.0)
    g.add_argument("--sample-every", type=int, default=10, help="steps between stored frames")
    g.add_argument("--seed", type=seed_type, default=1, help="random seed of the start and thermostat (>= 0, default 1)")
    g.add_argument("--out-dir", default="output/reference")
    g.add_argument("--start", default=None, help="starting structure (any file ASE reads; last frame)")
    g.add_argument("--friction", type=float, default=0.01, help="Langevin friction in 1/fs (default 0.01)")
    g.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    g.add_argument("--deadline", default=None, help="UTC time (ISO 8601) at which production stops early")
    g.add_argument("--dr", type=float, default=0.02)
    g.add_argument("--n-blocks", type=int, default=5)
    g.add_argument("--no-progress", action="store_true")
    g.set_defaults(func=_cmd_generate)

    t = sub.add_parser("from-trajectory", help="partial PDFs of your own ab initio trajectory",
                       description="Compute reference partial PDFs (with block-averaged errors) from an "
                                   "extxyz, LAMMPS dump or VASP XDATCAR trajectory of Si and O atoms.")
    t.add_argument("path")
    t.add_argument("-o", "--output", required=True, help="output .nc (or .csv/.tsv)")
    t.add_argument("--format", default=None, help="ASE format (default: guessed)")
    t.add_argument("--r-max", type=float, default=None, help="A (default: half the box, a multiple of dr)")
    t.add_argument("--dr", type=float, default=0.02, help="A (default 0.02)")
    t.add_argument("--n-blocks", type=int, default=5)
    t.add_argument("--skip-ps", type=float, default=0.0, help="drop frames earlier than this (ps)")
    t.add_argument("--skip-frames", type=int, default=0)
    t.add_argument("--stride", type=int, default=1)
    t.add_argument("--frame-dt-ps", type=float, default=None, help="ps between frames (for --skip-ps)")
    t.add_argument("--phase", default=None, help="use only frames whose info['phase'] is this")
    t.add_argument("--type-map", default=None, help="LAMMPS types, e.g. '1=Si,2=O' (default)")
    t.set_defaults(func=_cmd_from_trajectory)

    y = sub.add_parser("synthetic", help="a SYNTHETIC reference: the classical liquid of a known set (any system)",
                       description="The seed-averaged partial PDFs of a known parameter set's classical liquid, run "
                                   "with this project's engine and protocol and labelled SYNTHETIC (not ab initio): "
                                   "a fit against it has a known answer (identifiability tests), also for a system "
                                   "without an ab initio reference yet (--system NS3).")
    y.add_argument("--preset", default=None, help="the generating set: a preset or a forcefield JSON file (default "
                                                  "CHIK; required for a non-silica --system, e.g. SHIK-NS3)")
    add_fidelity_arg(y)
    add_system_args(y)
    y.add_argument("--seeds", default="0,1,2,3,4", help="MD seeds, e.g. 0,1,2,3,4 or 10-14 (default 0,1,2,3,4)")
    y.add_argument("-o", "--output", required=True, help="output .nc (or .csv/.tsv for silica)")
    add_engine_args(y)
    y.set_defaults(func=_cmd_synthetic)

    s = sub.add_parser("show", help="provenance, first peaks and coordination numbers of a reference")
    s.add_argument("path")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_cmd_show)
