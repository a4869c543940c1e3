"""Re-score parameter sets on fresh MD seeds: R_x, per-pair chi and structure numbers, side by side
with the reference's (silica_explorer.scoring).

    python scripts/rescore.py --sets ML,CHIK,SHIK,BKS,runs/fits/fit7_quick_s0.best.json \\
        --fidelity quick --seeds 100-104 --threads 1 --melt-cache runs/melts \\
        --reference-frames data/reference/sio2_3600K_chgnet_production.extxyz.gz --out runs/rescore/quick

writes OUT.nc (dims set, seed, pair; units in attrs), OUT.csv and OUT.md (mean +- std over seeds).
A set that fails a melt keeps that seed as nan with its status and reason in OUT.nc.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from silica_explorer.inputs import parse_seeds  # noqa: E402
from silica_explorer.scoring import format_table, load_sets, rescore, save, table  # noqa: E402

DEFAULT_REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference" / "sio2_3600K_chgnet.nc"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", required=True, help="comma-separated presets and/or forcefield JSON files")
    ap.add_argument("--fidelity", default="quick", help="MD protocol (tiny, quick, paper)")
    ap.add_argument("--seeds", default="100-104", help="MD seeds, e.g. 100-104 or 0,1,2 (fresh: not a fit's)")
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads per melt")
    ap.add_argument("--melt-cache", type=Path, default=None, help="melt cache directory (PDFs + angles)")
    ap.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE, help="reference PDFs (netCDF or table)")
    ap.add_argument("--reference-frames", type=Path, default=None,
                    help="reference trajectory for its bond angles (default: the OSiO/SiOSi stored in --reference)")
    ap.add_argument("--reference-stride", type=int, default=1, help="use every n-th reference frame")
    ap.add_argument("--out", type=Path, required=True, help="output prefix (OUT.nc, OUT.csv, OUT.md)")
    args = ap.parse_args(argv)
    from silica_explorer.engine.lammps import LammpsEngine
    from silica_explorer.reference import load_reference, read_frames
    sets = load_sets(args.sets.split(","))
    seeds = parse_seeds(args.seeds)
    if args.reference_stride < 1:
        ap.error(f"--reference-stride = {args.reference_stride} must be >= 1")
    engine = LammpsEngine(threads=args.threads)
    if args.melt_cache is not None:
        from silica_explorer.engine.cache import CachingEngine
        engine = CachingEngine(engine, args.melt_cache)
    reference = load_reference(args.reference)
    frames = None
    if args.reference_frames is not None:
        frames = read_frames(args.reference_frames)[0][:: args.reference_stride]
    t0 = time.perf_counter()

    def progress(name, seed, res):
        R = f"{100 * res.R_x:.2f} %" if res.cost is not None else f"{res.status}: {res.reason}"
        print(f"  {name} seed {seed}: R_x {R} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)

    ds = rescore(sets, args.fidelity, seeds, reference, engine, reference_frames=frames, progress=progress)
    ds.attrs["command"] = "python " + " ".join(sys.argv if argv is None else [__file__, *argv])
    ds.attrs["wall_time_s"] = round(time.perf_counter() - t0, 1)
    title = (f"{args.fidelity} fidelity, seeds {','.join(map(str, seeds))}, reference {args.reference.name}"
             f" (angles: {ds.attrs['reference_angle_source']})")
    paths = save(ds, args.out, title)
    print(format_table(table(ds), title))
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
