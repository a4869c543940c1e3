"""``silica-explorer glass``: what glass each set makes (quench, structure, S(Q)), with progress bars; resumable."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .options import add_command, add_engine_args, engine_from_args, tqdm_progress


#: One line for `silica-explorer --help`.
HELP = "quench each set to a glass and report its density, pressure, structure and S(Q)"
#: The text of `silica-explorer glass --help`.
DESCRIPTION = ("Quench every set (random start, minimize, NVT liquid at 3600 K and 2.2 g/cm3, NPT at 0 GPa: "
    "linear cool to 300 K, anneal, production) with every seed; write one netCDF per set and "
    "seed, glass_table.md (mean +- std over seeds, against experiment) and glass_summary.json "
    "to --out. Finished set/seed files are skipped, so an interrupted run resumes. Reported, "
    "never fitted.")


def register_cli(sub) -> None:
    from ..quench import QUENCH_PROTOCOLS
    p = add_command(sub, "glass", help=HELP, description=DESCRIPTION)
    p.add_argument("--sets", required=True,
                   help="comma-separated presets and/or forcefield JSON files, e.g. BKS,SHIK,data/fits/fit10/CHGNet-fit10.json")
    p.add_argument("--protocol", default="quick", choices=list(QUENCH_PROTOCOLS),
                   help="quench protocol: " + "; ".join(f"{k}: {v.n_SiO2} SiO2 at {v.rate_K_per_ps:g} K/ps"
                                                        for k, v in QUENCH_PROTOCOLS.items()) + " (default quick)")
    p.add_argument("--rate", type=float, default=None, metavar="K_PER_PS",
                   help="cooling rate in K/ps instead of the protocol's (the protocol is renamed <name>-<rate>Kps)")
    p.add_argument("--seeds", default="0,1,2", help="MD seeds, e.g. 0,1,2 or 0-4 (default 0,1,2)")
    p.add_argument("--out", type=Path, default=None, help="output directory (default runs/glass/<protocol>)")
    add_engine_args(p, melt_cache=False)
    p.set_defaults(func=run_glass_cli)


def run_glass_cli(args) -> int:
    from ..glass.campaign import TABLE_FILE, run_glass
    from ..inputs import parse_seeds
    from ..quench import get_quench_protocol
    protocol = get_quench_protocol(args.protocol)
    if args.rate is not None:
        protocol = protocol.replace(name=f"{protocol.name}-{args.rate:g}Kps", rate_K_per_ps=args.rate)
    seeds = parse_seeds(args.seeds)
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    if not sets:
        raise ValueError("--sets: no set given; e.g. --sets BKS,SHIK")
    out = args.out or Path("runs") / "glass" / protocol.name
    engine = engine_from_args(args)
    bars = []

    def progress_for(label: str, seed: int):
        progress, bar = tqdm_progress(f"{label} seed {seed} ({protocol.name})")
        bars.append(bar)
        return progress

    def log(line: str) -> None:
        while bars:
            bars.pop().close()
        print(line, file=sys.stderr)

    try:
        results = run_glass(sets, protocol, seeds, out, engine, progress_for=progress_for, log=log)
    finally:
        for bar in bars:
            bar.close()
    print((out / TABLE_FILE).read_text())
    print(f"wrote {out}")
    failed = sum(d.attrs["status"] != "ok" for dsets in results.values() for d in dsets)
    return 1 if failed else 0
