"""Ship one finished fit from its store: the fitted set and a compact, replayable history.

    python scripts/export_fit.py --store runs/fits/fit7 --run fit7_quick_s0 \\
        --name CHGNet-fit7 --out data/fits/fit7

writes into ``--out``:

- ``store.sqlite``: a copy of the run's store (every evaluation: parameters, seed, protocol, status
  and failure reason, per-pair chi, R_x, wall time, the proposal that asked for it), compacted: the
  partial PDFs are kept only for the evaluations that set a new best-so-far (the ones a replay shows),
  the others' PDF blobs are dropped. The app and notebooks open it with :class:`silica_explorer.store.Store`
  and replay it without MD.
- ``history.nc``: the same evaluations as one netCDF (dim ``evaluation``; R_x and chi as fractions;
  parameters in their units; ``phase``, ``status``, ``reason``), for tools that do not read SQLite.
- ``<name>.json``: the best successful evaluation's forcefield (all 10 parameters, D, alpha, r_cut),
  named ``--name``.
- ``<name>.table`` and ``<name>.lammps``: its LAMMPS ``pair_style table`` file (one-table deck) and the
  input lines that use it (atom types Si = 1, O = 2).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sqlite3
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from silica_explorer.engine.tables import lammps_pair_lines, write_lammps_table  # noqa: E402
from silica_explorer.forcefield import ForceField  # noqa: E402
from silica_explorer.store import Store  # noqa: E402


def best_so_far_ids(records) -> list[int]:
    """Store ids of the successful evaluations that lowered the best R_x so far, in run order."""
    best, out = math.inf, []
    for r in sorted(records, key=lambda r: (r.iteration if r.iteration is not None else -1, r.id)):
        if r.ok and r.R_x < best:
            best = r.R_x
            out.append(r.id)
    return out


def export(store_dir: Path, run_id: str, name: str, out: Path) -> dict:
    src = Store(store_dir)
    records = src.records(run_id)
    if not records:
        raise SystemExit(f"run {run_id!r} has no evaluations in {src.path}")
    keep = best_so_far_ids(records)
    if not keep:
        raise SystemExit(f"run {run_id!r} in {src.path} has no successful evaluation")
    best = src.get(keep[-1])
    ds = src.to_xarray(run_id)
    ds["reason"] = ("evaluation", np.array([r.reason or "" for r in records], dtype=object))
    ds["phase"] = ds["optimizer"]
    ds.attrs.update({"run_id": run_id, "run_config": json.dumps(src.run_config(run_id)),
                     "best_so_far_ids": json.dumps(keep), "store": str(Path(store_dir) / "store.sqlite")})
    src.close()

    out.mkdir(parents=True, exist_ok=True)
    dst = out / "store.sqlite"
    if dst.exists():
        dst.unlink()
    with sqlite3.connect(Path(store_dir) / "store.sqlite") as a, sqlite3.connect(dst) as b:
        a.backup(b)
    with sqlite3.connect(dst) as b:
        marks = ",".join("?" * len(keep))
        b.execute(f"UPDATE evaluations SET pdf = NULL WHERE id NOT IN ({marks})", keep)
        b.execute("DELETE FROM evaluations WHERE run_id IS NOT ?", (run_id,))
        b.execute("DELETE FROM runs WHERE run_id != ?", (run_id,))
        b.commit()
        b.execute("PRAGMA journal_mode=DELETE")
        b.execute("VACUUM")
    ds.to_netcdf(out / "history.nc")

    ff = ForceField.from_dict({**best.forcefield, "name": name})
    ff.save(out / f"{name}.json")
    table = write_lammps_table(ff, out / f"{name}.table")
    lines = lammps_pair_lines(ff, table.name)
    (out / f"{name}.lammps").write_text(
        f"# {name}: Eq. (1) with DSF Coulomb (alpha {ff.alpha} 1/A, cut {ff.r_cut} A) as one pair_style table;\n"
        f"# atom types Si = 1, O = 2; R_x at the fit's MD seed {best.seed}: {100 * best.R_x:.2f} %\n"
        + "\n".join(lines) + "\n")
    return {"best_id": best.id, "R_x": best.R_x, "n": len(records), "kept_pdfs": len(keep),
            "size_MB": dst.stat().st_size / 1e6}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True, help="store directory of the fit")
    ap.add_argument("--run", required=True, help="run id inside the store")
    ap.add_argument("--name", required=True, help="name of the fitted set (file names and forcefield name)")
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    args = ap.parse_args()
    info = export(args.store, args.run, args.name, args.out)
    print(f"{args.out}: {info['n']} evaluations, best R_x {100 * info['R_x']:.2f} % (store id {info['best_id']}), "
          f"PDFs kept for {info['kept_pdfs']} best-so-far evaluations, store {info['size_MB']:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
