"""Benchmark: how physical are uniform draws from the search box in each coordinate system?

    .venv/bin/python benchmarks/search_space.py [--free q_Si,A_SiO,rho_SiO,C_SiO,A_OO,rho_OO,C_OO]
                                                [--draws 100000] [--md 40] [--fidelity tiny] [--threads 1]

For ``box``, ``log`` and ``contact`` coordinates (:mod:`silica_explorer.optimize.space`) over the same
free parameters (default bounds, base BKS) it draws points uniformly in the unit box and prints, per
pair with a free A: the range of the Buckingham repulsion at contact E0 = A exp(-r0/rho) (Si-O
r0 = 1.6, O-O 2.6, Si-Si 3.1 A), the fraction of draws within 2x of BKS's E0, the fraction inside the
span of the presets, and the fraction of draws with every free pair within 2x of BKS. With ``--md N``
it also runs N real melts per space at ``--fidelity`` (the same N unit points, Sobol, in each space;
MD seed 0, the engine's default deck and collapse policy) and prints the fraction that failed (with the
reasons) and the fraction flagged as collapsed, and which axes drive them.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from silica_explorer.forcefield import PRESETS  # noqa: E402
from silica_explorer.parameters import PAIRS  # noqa: E402
from silica_explorer.optimize import SearchSpace, initial_design  # noqa: E402
from silica_explorer.optimize.space import CONTACT_R0, COORDS  # noqa: E402


def contact_energy(params: dict, base, pair: str) -> np.ndarray:
    A = params.get(f"A_{pair}", getattr(base, f"A_{pair}"))
    rho = params.get(f"rho_{pair}", getattr(base, f"rho_{pair}"))
    return np.asarray(A) * np.exp(-CONTACT_R0[pair] / np.asarray(rho))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--free", default="q_Si,A_SiO,rho_SiO,C_SiO,A_OO,rho_OO,C_OO")
    ap.add_argument("--draws", type=int, default=100000)
    ap.add_argument("--md", type=int, default=0, help="real melts per space (0 = none)")
    ap.add_argument("--fidelity", default="tiny")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--spaces", default=",".join(COORDS))
    args = ap.parse_args(argv)
    spaces = {c: SearchSpace(args.free, base="BKS", coords=c) for c in args.spaces.split(",")}
    base = next(iter(spaces.values())).base
    pairs = [p for p in PAIRS if f"A_{p}" in spaces[next(iter(spaces))].names]
    bks = {p: float(contact_energy({}, PRESETS["BKS"], p)) for p in pairs}
    span = {p: (min(float(contact_energy({}, ff, p)) for ff in PRESETS.values() if getattr(ff, f"A_{p}") > 0),
                max(float(contact_energy({}, ff, p)) for ff in PRESETS.values())) for p in pairs}
    print(f"free {args.free}; base BKS; {args.draws} uniform draws per space")
    print("BKS E0: " + ", ".join(f"{p} {bks[p]:.3g} eV" for p in pairs) + "; preset span: "
          + ", ".join(f"{p} {lo:.3g}-{hi:.3g} eV" for p, (lo, hi) in span.items()))
    rng = np.random.default_rng(0)
    U = rng.random((args.draws, spaces[next(iter(spaces))].dim))
    for name, sp in spaces.items():
        X = sp.from_unit(U)
        params = {n: X[:, i] for i, n in enumerate(sp.names)}
        inside = [k for k, ff in PRESETS.items() if sp.contains(ff)]
        print(f"\n[{name}] {sp!r}\n  presets inside: {inside}")
        all2 = np.ones(len(U), bool)
        for p in pairs:
            e = contact_energy(params, base, p)
            w2 = (e >= bks[p] / 2) & (e <= 2 * bks[p])
            all2 &= w2
            insp = (e >= span[p][0]) & (e <= span[p][1])
            print(f"  {p:5s} E0 {np.percentile(e, 1):.3g}-{np.percentile(e, 99):.3g} eV (1-99 %), "
                  f"within 2x of BKS {100 * w2.mean():5.1f} %, inside preset span {100 * insp.mean():5.1f} %")
        print(f"  every free pair within 2x of BKS: {100 * all2.mean():5.1f} %")
    if args.md:
        from silica_explorer.reference import default_reference
        from silica_explorer.engine.acceptance import is_flagged
        from silica_explorer.engine.lammps import LammpsEngine
        from silica_explorer.evaluate import Evaluator
        ev = Evaluator(default_reference(), args.fidelity, engine=LammpsEngine(threads=args.threads))
        Umd = initial_design(args.md, U.shape[1], "sobol", seed=1)
        print(f"\nreal MD: {args.md} Sobol points per space, fidelity {args.fidelity}, MD seed 0, "
              f"{args.threads} thread(s)")
        failed_at = []  # (space, unit point, failed?) of every melt
        for name, sp in spaces.items():
            t0 = time.perf_counter()
            reasons, rx, n_flagged = collections.Counter(), [], 0
            for u in Umd:
                r = ev(sp.forcefield(u), seed=0)
                bad = r.status != "ok" or not np.isfinite(r.R_x)
                flagged = not bad and is_flagged(r.reason)
                n_flagged += flagged
                failed_at.append((name, u, bad or flagged))
                if bad:
                    reasons[(r.reason or "non-finite R_x").split(":")[0]] += 1
                else:
                    rx.append(r.R_x)
            nf = sum(reasons.values())
            print(f"  [{name}] failed {nf}/{args.md} ({100 * nf / args.md:.0f} %) {dict(reasons)}, flagged (collapsed, "
                  f"kept with R_x) {n_flagged}/{args.md}; R_x of the not failed "
                  f"median {100 * np.median(rx) if rx else float('nan'):.1f} %, best "
                  f"{100 * min(rx) if rx else float('nan'):.1f} %; {time.perf_counter() - t0:.0f} s", flush=True)
        # what drives the failures: failed fraction in the low and high half of each unit axis
        print("\n  failed or flagged fraction with the axis in its low / high half (all spaces' melts pooled):")
        for i in range(len(Umd[0])):
            key = "|".join(dict.fromkeys(sp.keys[i] for sp in spaces.values()))
            lo = [b for _, u, b in failed_at if u[i] < 0.5]
            hi = [b for _, u, b in failed_at if u[i] >= 0.5]
            print(f"    {key:15s} {100 * np.mean(lo):5.0f} % / {100 * np.mean(hi):5.0f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
