"""Speed-up of a landscape from parallel evaluations: 1 worker vs 2 Dask workers on the same grid.

The same small real grid (default 4x4 at ``tiny`` fidelity, q_Si x A_SiO around BKS) is computed three
times on this machine, interleaved so that a change of load hits all alike:

- ``1 worker  x 1 thread``: serially, one single-threaded LAMMPS melt at a time (``SerialExecutor``);
- ``1 worker  x 2 threads``: serially, each melt on 2 OpenMP threads - the best one worker can do
  with 2 cores;
- ``2 workers x 1 thread``: a Dask LocalCluster of 2 worker processes running one 1-thread melt each
  (``DaskExecutor(workers=2, md_threads=1)``).

Prints the wall times (grid only; the Dask cluster's start-up separately) and the speed-up of 2 workers
over each 1-worker configuration. ``1x1`` and ``2x1`` run byte-identical single-threaded melts, so their
R_x must agree exactly; the script checks that (2 OpenMP threads change the floating-point summation
order, so ``1x2`` melts diverge within the seed noise).

Reference: ``data/reference/sio2_3600K_chgnet.nc`` if present, else a classical stand-in (a CHIK melt
at the same fidelity, seed 3) - the timing does not depend on it.

    nice -n 19 .venv/bin/python benchmarks/landscape_speedup.py [--n 4] [--fidelity tiny] [--repeat 3]

Timings on a shared machine are only meaningful relative to each other and to the load printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from silica_explorer.engine.lammps import LammpsEngine  # noqa: E402
from silica_explorer.evaluate import Evaluator  # noqa: E402
from silica_explorer.fidelity import get_fidelity  # noqa: E402
from silica_explorer.forcefield import ForceField  # noqa: E402
from silica_explorer.landscape import Landscape, compute_windows  # noqa: E402
from silica_explorer.parallel import DaskExecutor, SerialExecutor, available_cores  # noqa: E402

REAL_REFERENCE = ROOT / "data" / "reference" / "sio2_3600K_chgnet.nc"


def reference_for(fidelity: str):
    if REAL_REFERENCE.exists():
        return str(REAL_REFERENCE), "CHGNet reference"
    pdf = LammpsEngine(threads=1).melt(ForceField.preset("CHIK"), get_fidelity(fidelity), seed=3).pdf
    pdf.attrs["name"] = f"classical CHIK liquid, stand-in ({fidelity}, seed 3)"
    return pdf, pdf.attrs["name"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=4, help="grid points per axis (default 4)")
    ap.add_argument("--fidelity", default="tiny", help="MD protocol (default tiny)")
    ap.add_argument("--x", default="q_Si:1.8:2.4", help="x axis NAME:START:STOP (default q_Si:1.8:2.4)")
    ap.add_argument("--y", default="A_SiO:20000:30000", help="y axis NAME:START:STOP (default A_SiO:20000:30000)")
    ap.add_argument("--repeat", type=int, default=1, help="interleaved repetitions; medians are reported (default 1)")
    args = ap.parse_args(argv)

    cores = available_cores()
    x = f"{args.x}:{args.n}"
    y = f"{args.y}:{args.n}"
    ls = Landscape(x, y, base="BKS", fidelity=args.fidelity, seeds=(0,))
    reference, ref_name = reference_for(args.fidelity)
    cost = Evaluator(reference, args.fidelity, engine=LammpsEngine())
    print(f"grid {x} x {y} at BKS, fidelity {args.fidelity}: {len(ls.points())} melts; reference: {ref_name}")
    print(f"cores: {cores}; load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")

    # label, executor factory; "2x1" last in each repetition, so its cluster start-up is timed apart
    configs = {"1x1": ("1 worker  x 1 thread", lambda: SerialExecutor(md_threads=1)),
               "1x2": ("1 worker  x 2 threads", lambda: SerialExecutor(md_threads=2)),
               "2x1": ("2 workers x 1 thread", lambda: DaskExecutor(workers=2, md_threads=1))}
    times = {k: [] for k in configs}
    t_starts, grids = [], {}
    for rep in range(args.repeat):  # interleaved, so a change of the machine's load hits all alike
        for key, (label, make) in configs.items():
            t = time.perf_counter()
            with make() as ex:
                t_ready = time.perf_counter()
                grids[key] = compute_windows(ls, cost, executor=ex)
                times[key].append(time.perf_counter() - t_ready)
            extra = ""
            if key == "2x1":
                t_starts.append(t_ready - t)
                extra = f"(+{t_starts[-1]:.1f} s cluster start-up; "
            print(f"[{rep + 1}/{args.repeat}] {label:21s}: {times[key][-1]:7.1f} s   "
                  f"{extra or '('}load {os.getloadavg()[0]:.2f})", flush=True)
    med = {k: float(np.median(v)) for k, v in times.items()}
    t_start = float(np.median(t_starts))
    prefix = "median " if args.repeat > 1 else ""
    for key, (label, _) in configs.items():
        extra = f"  (+{t_start:.1f} s cluster start-up)" if key == "2x1" else ""
        print(f"{prefix}{label:21s}: {med[key]:7.1f} s{extra}")
    for key in ("1x1", "1x2"):
        print(f"speed-up of 2 workers over {configs[key][0]}: {med[key] / med['2x1']:.2f}x grid only, "
              f"{med[key] / (med['2x1'] + t_start):.2f}x incl. cluster start-up")

    a, b, c = (grids[k]["full"].ds for k in ("1x1", "2x1", "1x2"))
    same = bool(np.array_equal(a.status.values, b.status.values)
                and np.allclose(a.R_x.values, b.R_x.values, equal_nan=True, rtol=0, atol=1e-12))
    ok = int((a.status == "ok").sum())
    print(f"mean wall per melt: {float(a.wall_time_s.mean()):.2f} s (1 thread, serial), "
          f"{float(c.wall_time_s.mean()):.2f} s (2 threads), {float(b.wall_time_s.mean()):.2f} s (1 thread, 2 workers)")
    print(f"{ok}/{a.status.size} ok; identical R_x, 1 worker vs 2 workers (both 1 thread): {same}")
    d2 = np.nanmax(np.abs(a.R_x.values - c.R_x.values)) if ok else float("nan")
    print(f"max |delta R_x| 1 thread vs 2 threads: {100 * d2:.3g} % (OpenMP changes the summation order)")
    if not same:
        print("ERROR: 1-worker and 2-worker grids differ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
