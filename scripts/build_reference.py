"""Build a shipped reference netCDF from the production frames of one or more independent MD replicas.

    python scripts/build_reference.py --out data/reference/sio2_3600K_chgnet.nc \
        --trajectory output/reference/prod/sio2_3600K_chgnet.extxyz \
        --trajectory output/reference/prod_r2/sio2_3600K_chgnet_replica2.extxyz \
        --info output/reference/prod/chgnet_info.json --label "CHGNet 0.3.0 ..."

Frames whose ``info['phase']`` is ``production`` are taken from every trajectory (extxyz written by
:func:`silica_explorer.reference.run_md`), concatenated replica after replica, and analysed by
:func:`silica_explorer.reference.from_trajectory` on the project's MD grid (dr = 0.02 A, r < 7.0 A,
so the cost aligns exactly with every fidelity's g(r)). ``g_err`` is the standard error of
``--blocks-per-replica`` contiguous blocks per replica (blocks never straddle two replicas).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import ase.io

from silica_explorer.reference import from_trajectory, save_reference


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trajectory", action="append", required=True, help="extxyz of one replica (repeatable)")
    ap.add_argument("--info", action="append", default=[], help="run_md info JSON of a replica (repeatable)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--r-max", type=float, default=7.0)
    ap.add_argument("--dr", type=float, default=0.02)
    ap.add_argument("--blocks-per-replica", type=int, default=3)
    ap.add_argument("--label", default=None, help="one-line honest label stored in attrs['label']")
    args = ap.parse_args()

    frames, per_replica = [], []
    for path in args.trajectory:
        prod = [a for a in ase.io.read(path, index=":", format="extxyz") if a.info.get("phase") == "production"]
        if not prod:
            raise SystemExit(f"{path}: no production frames")
        # equal-length blocks inside each replica: drop the remainder at the start of the replica
        usable = len(prod) - len(prod) % args.blocks_per_replica
        prod = prod[len(prod) - usable:]
        per_replica.append({"file": path, "production_frames": len(prod),
                            "time_ps": [float(prod[0].info["time_ps"]), float(prod[-1].info["time_ps"])]})
        frames += prod
    infos = [json.loads(Path(p).read_text()) for p in args.info]
    extra = {"replicas": json.dumps(per_replica), "n_replicas": len(per_replica)}
    for k, info in enumerate(infos):
        extra[f"replica{k + 1}_provenance"] = json.dumps(info.get("attrs", info), default=str)
    if args.label:
        extra["label"] = args.label
    with tempfile.TemporaryDirectory() as tmp:
        joined = Path(tmp) / "production.extxyz"
        ase.io.write(joined, frames, format="extxyz")
        ds = from_trajectory(joined, format="extxyz", r_max=args.r_max, dr=args.dr,
                             n_blocks=args.blocks_per_replica * len(per_replica), extra_attrs=extra)
    ds.attrs["file"] = ", ".join(args.trajectory)
    save_reference(ds, args.out)
    print(f"wrote {args.out}: {len(frames)} production frames from {len(per_replica)} replica(s)")
    for rep in per_replica:
        print(f"  {rep['file']}: {rep['production_frames']} frames, t = {rep['time_ps'][0]:.2f}-{rep['time_ps'][1]:.2f} ps")


if __name__ == "__main__":
    main()
