"""Speed-up of a landscape from parallel evaluations: 1 worker x 2 MD threads vs 2 workers x 1 thread.

The same small real grid (default 4x4 at ``tiny`` fidelity, q_Si x A_SiO around BKS) is computed twice
on this machine: serially with each LAMMPS melt on 2 OpenMP threads (``SerialExecutor(md_threads=2)``),
then with a Dask LocalCluster of 2 worker processes running one 1-thread melt each
(``DaskExecutor(workers=2, md_threads=1)``). Prints both wall times (grid only, and the Dask cluster's
start-up separately) and the speed-up ratio. Both grids must give the same R_x (same seeds, same
deterministic melts); the script checks that too.

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
from silica_explorer.landscape import Landscape  # noqa: E402
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

    t_serials, t_pars, t_starts = [], [], []
    for rep in range(args.repeat):  # interleaved, so a change of the machine's load hits both alike
        t = time.perf_counter()
        serial = ls.compute(cost, executor=SerialExecutor(md_threads=2))
        t_serials.append(time.perf_counter() - t)
        print(f"[{rep + 1}/{args.repeat}] 1 worker  x 2 threads: {t_serials[-1]:7.1f} s   "
              f"(load {os.getloadavg()[0]:.2f})", flush=True)
        t = time.perf_counter()
        with DaskExecutor(workers=2, md_threads=1) as ex:
            t_starts.append(time.perf_counter() - t)
            t = time.perf_counter()
            par = ls.compute(cost, executor=ex)
            t_pars.append(time.perf_counter() - t)
        print(f"[{rep + 1}/{args.repeat}] 2 workers x 1 thread : {t_pars[-1]:7.1f} s   "
              f"(+{t_starts[-1]:.1f} s cluster start-up; load {os.getloadavg()[0]:.2f})", flush=True)
    t_serial, t_par, t_start = (float(np.median(v)) for v in (t_serials, t_pars, t_starts))
    label = "median " if args.repeat > 1 else ""
    print(f"{label}1 worker  x 2 threads: {t_serial:7.1f} s")
    print(f"{label}2 workers x 1 thread : {t_par:7.1f} s  (+{t_start:.1f} s cluster start-up)")
    print(f"speed-up (grid only)        : {t_serial / t_par:.2f}x")
    print(f"speed-up (incl. start-up)   : {t_serial / (t_par + t_start):.2f}x")

    a, b = serial["full"].ds, par["full"].ds
    same = bool(np.array_equal(a.status.values, b.status.values)
                and np.allclose(a.R_x.values, b.R_x.values, equal_nan=True, rtol=0, atol=1e-12))
    ok = int((a.status == "ok").sum())
    mean_wall_serial = float(a.wall_time_s.mean())
    mean_wall_par = float(b.wall_time_s.mean())
    print(f"mean wall per melt: {mean_wall_serial:.2f} s (2 threads) vs {mean_wall_par:.2f} s (1 thread); "
          f"{ok}/{a.status.size} ok; identical R_x in both runs: {same}")
    if not same:
        diff = np.nanmax(np.abs(a.R_x.values - b.R_x.values))
        print(f"  (max |delta R_x| = {diff:.3g}: OpenMP thread count changes the floating-point order, "
              "so the melts diverge; compare with the seed-to-seed noise of R_x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
