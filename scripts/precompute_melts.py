"""Run (and cache) the MD melts of a 2-D parameter grid before a reference is chosen.

The melts land in a :class:`~silica_explorer.engine.cache.CachingEngine` directory; a later
``landscape.compute_windows`` (or ``silica-explorer landscape``) with an Evaluator on the same cache re-scores
them against any reference without running MD again. Coarse points first (every other index on both
axes), so an interrupted run still covers the whole window.

    python scripts/precompute_melts.py --x q_Si:1.6:2.6:21 --y A_SiO:12000:30000:21 --base BKS \
        --fidelity quick --seed 0 --cache output/meltcache --threads 1
"""

import argparse
import time

import numpy as np
from tqdm import tqdm

from silica_explorer.engine.cache import CachingEngine
from silica_explorer.engine.lammps import LammpsEngine
from silica_explorer.fidelity import get_fidelity
from silica_explorer.forcefield import ForceField


def axis(text):
    name, lo, hi, n = text.split(":")
    return name, np.linspace(float(lo), float(hi), int(n))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--x", required=True)
    ap.add_argument("--y", required=True)
    ap.add_argument("--base", default="BKS")
    ap.add_argument("--fidelity", default="quick")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", default="output/meltcache")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    (xn, xs), (yn, ys) = axis(args.x), axis(args.y)
    base = ForceField.preset(args.base)
    fid = get_fidelity(args.fidelity)
    engine = CachingEngine(LammpsEngine(threads=args.threads), args.cache)
    idx = [(i, j) for j in range(len(ys)) for i in range(len(xs))]
    idx.sort(key=lambda ij: (ij[0] % 2 or ij[1] % 2))
    t0 = time.time()
    failed = 0
    for i, j in tqdm(idx, desc="melts", unit="melt"):
        res = engine.melt(base.replace(**{xn: float(xs[i]), yn: float(ys[j])}), fid, args.seed)
        failed += not res.ok
    print(f"{len(idx)} points, {engine.misses} run, {engine.hits} cached, {failed} failed, {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
