"""Validate dR_x/dtheta by trajectory reweighting against central finite differences.

For each MD seed: one melt at theta0 with dense frames (``LammpsEngine(gradient_frames_every=N)``) gives the
reweighting gradient of all parameters with its block-jackknife error; two ordinary melts per parameter at
theta0 +- h (common random numbers: the same seed, so the same random start and velocities) give the central
finite difference. Over the seeds: mean of each, FD error = seed scatter / sqrt(n), reweighting error =
sqrt(sum of jackknife variances) / n (also compared with its own seed scatter), and the z score of the
difference against the combined error. A parameter "fails" when |z| > 3.

FD steps h: h_k = step_scale / (beta * sd_k) with sd_k the frame-to-frame standard deviation of dU/dtheta_k
at theta0 (first seed): the perturbation then moves the Boltzmann weights by ~step_scale k_B T, large enough
to beat the MD noise, small enough to stay near-linear (central differences cancel the quadratic term).

    nice -n 5 python benchmarks/reweight_gradients.py --fidelity tiny --seeds 0 1 2 3
    nice -n 5 python benchmarks/reweight_gradients.py --fidelity quick --seeds 0 1 2

Default base: CHIK, the one preset with all 10 parameters non-zero (BKS and ML have A_SiSi = C_SiSi = 0,
where the Si-Si parameters have zero derivative and a central FD would leave the valid range).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np

from silica_explorer.reference import default_reference
from silica_explorer.cost import rx
from silica_explorer.engine.lammps import LammpsEngine
from silica_explorer.fidelity import get_fidelity
from silica_explorer.forcefield import ForceField
from silica_explorer.parameters import FREE_PARAMETERS
from silica_explorer.reference import load_reference
from silica_explorer.reweight import K_B, ReweightGradient, frame_data


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fidelity", default="tiny")
    ap.add_argument("--base", default="CHIK")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--params", default=",".join(FREE_PARAMETERS))
    ap.add_argument("--frames-every", type=int, default=10, help="MD steps between frames of the theta0 melt")
    ap.add_argument("--n-blocks", type=int, default=8)
    ap.add_argument("--step-scale", type=float, default=0.5, help="beta * h * sd(dU/dtheta) of each FD step")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default=None, help="also write all numbers to this JSON file")
    args = ap.parse_args(argv)

    fid = get_fidelity(args.fidelity)
    ff0 = ForceField.preset(args.base)
    names = tuple(args.params.split(","))
    ref = load_reference(default_reference())
    rg = ReweightGradient(ref, names, n_blocks=args.n_blocks)
    dense = LammpsEngine(threads=args.threads, gradient_frames_every=args.frames_every)
    plain = LammpsEngine(threads=args.threads)
    beta = 1.0 / (K_B * fid.temperature)
    print(f"# reweighting vs central FD: base {ff0.name}, fidelity {fid.name} ({fid.n_atoms} atoms, "
          f"{fid.production_ps} ps production), seeds {args.seeds}, frames every {args.frames_every} steps, "
          f"{args.n_blocks} blocks; engine {dense.version()}", flush=True)

    steps, rw, rw_err, fd, r0s, extra = None, [], [], [], [], []
    t_rw = t_md = t_dense = 0.0
    for seed in args.seeds:
        t = time.perf_counter()
        m0 = dense.melt(ff0, fid, seed)
        t_dense += time.perf_counter() - t
        if not m0.ok:
            print(f"seed {seed}: theta0 melt failed: {m0.reason}")
            return 1
        t = time.perf_counter()
        g = rg(m0)
        t_rw += time.perf_counter() - t
        rw.append(g.gradient.values)
        rw_err.append(g.gradient_err.values)
        r0s.append(rx(ref, m0.pdf).R_x)
        if steps is None:
            _, D, _ = frame_data(rg.frames_of(m0), ff0, names, fid.rdf_r_max, fid.rdf_dr)
            sd = D.std(axis=0)
            steps = args.step_scale / (beta * sd)
            steps = np.array([_round_step(h, getattr(ff0, n)) for h, n in zip(steps, names)])
            blk = g.attrs.get("block_length_ps")
            print(f"# {g.attrs['n_frames']} frames, blocks of {g.attrs['frames_per_block']} frames "
                  f"({blk:.3g} ps); FD steps: " + ", ".join(f"{n} {h:.4g}" for n, h in zip(names, steps)),
                  flush=True)
            extra.append({"blocking": _blocking(rg, m0)})
        row = []
        for n, h in zip(names, steps):
            v = getattr(ff0, n)
            t = time.perf_counter()
            mp = plain.melt(ff0.replace(**{n: v + h}), fid, seed)
            mm = plain.melt(ff0.replace(**{n: v - h}), fid, seed)
            t_md += time.perf_counter() - t
            if not (mp.ok and mm.ok):
                row.append(math.nan)
                print(f"seed {seed} {n}: FD melt failed: {mp.reason or mm.reason}", flush=True)
                continue
            row.append((rx(ref, mp.pdf).R_x - rx(ref, mm.pdf).R_x) / (2 * h))
        fd.append(row)
        print(f"seed {seed}: R_x(theta0) {100 * r0s[-1]:.3f} %  (reweight R_x {100 * g.R_x.item():.3f} %)", flush=True)

    rw, rw_err, fd = np.array(rw), np.array(rw_err), np.array(fd)
    n = len(args.seeds)
    rw_mean = rw.mean(axis=0)
    rw_e = np.sqrt(np.sum(rw_err**2, axis=0)) / n
    rw_scatter = rw.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.full(len(names), np.nan)
    fd_mean = np.nanmean(fd, axis=0)
    fd_e = np.nanstd(fd, axis=0, ddof=1) / np.sqrt(np.sum(np.isfinite(fd), axis=0)) if n > 1 else np.full(len(names), np.nan)
    z = (rw_mean - fd_mean) / np.sqrt(rw_e**2 + fd_e**2)
    n_frames = extra[0]["blocking"]["n_frames"] if extra else 0
    print()
    print(f"{'param':9s} {'h':>10s} {'FD dR_x/dθ':>22s} {'reweight dR_x/dθ':>22s} {'rw seed scatter':>15s} "
          f"{'z':>6s} {'frames for 3σ':>13s}")
    for k, nme in enumerate(names):
        need = n_frames * n * (3 * rw_e[k] / abs(rw_mean[k])) ** 2 if rw_mean[k] else math.inf
        flag = "" if abs(z[k]) <= 3 else "  FAIL"
        print(f"{nme:9s} {steps[k]:10.4g} {fd_mean[k]:11.4g} ± {fd_e[k]:<8.2g} {rw_mean[k]:11.4g} ± {rw_e[k]:<8.2g} "
              f"{rw_scatter[k]:15.2g} {z[k]:6.2f} {need:13.0f}{flag}")
    print(f"\n# per seed and per unit of each parameter; errors are 1 sigma. 'frames for 3σ': frames (at "
          f"{args.frames_every}-step spacing, all seeds together) for |reweight| = 3 x its error.")
    t_plain = t_md / max(1, n * 2 * len(names))
    print(f"# time per melt: dense-frame melt {t_dense / n:.1f} s = {t_dense / n / t_plain:.2f} x an ordinary melt "
          f"({t_plain:.1f} s); reweighting analysis per gradient {t_rw / n:.1f} s = {t_rw / n / t_plain:.2f} x an "
          "ordinary melt (all in this run)")
    b = extra[0]["blocking"] if extra else None
    if b:
        print(f"# blocking check (seed {args.seeds[0]}): jackknife error of d R_x/d {names[0]} vs n_blocks: "
              + ", ".join(f"{nb}: {e:.3g}" for nb, e in b["err_vs_blocks"].items()))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"fidelity": fid.name, "base": ff0.name, "seeds": args.seeds, "names": names,
                       "steps": steps.tolist(), "fd": fd.tolist(), "rw": rw.tolist(), "rw_err": rw_err.tolist(),
                       "R_x0": r0s, "z": z.tolist(), "blocking": b}, fh, indent=1)
    return 0


def _round_step(h: float, value: float) -> float:
    """Two significant digits; never more than 20 % of a non-zero value."""
    if value:
        h = min(h, 0.2 * abs(value))
    return float(f"{h:.2g}")


def _blocking(rg: ReweightGradient, melt) -> dict:
    """Jackknife error of the first parameter's gradient for several block counts (plateau = blocks long
    enough)."""
    out = {}
    n_frames = None
    for nb in (4, 8, 16, 32):
        try:
            g = ReweightGradient(rg.reference, rg.names[:1], n_blocks=nb)(melt)
        except ValueError:
            continue
        n_frames = g.attrs["n_frames"]
        out[nb] = float(g.gradient_err.values[0])
    return {"n_frames": n_frames, "err_vs_blocks": out}


if __name__ == "__main__":
    sys.exit(main())
