"""The collapse test's threshold, measured: close Si-O contacts per Si in known-good and collapsing liquids.

For every melt it prints ``n_close(r_c) = 4 pi rho_O int_0^rc g_SiO(r) r^2 dr`` (the time-averaged number
of O atoms within r_c of a Si) for r_c = 1.1, 1.2 and 1.3 A, and the smallest r with g_SiO > 0 (what
the old test used: a melt failed if ANY Si-O pair was sampled below 1.2 A, which depends on the number of
atoms and the run length).

Known-good liquids are the published sets (ML, BKS, CHIK, SHIK); the collapsing band is BKS with
A_SiO lowered towards the collapse edge of the shipped landscape, at q_Si = 2.05 (the valley) and 2.4.
The threshold of :data:`silica_explorer.engine.acceptance.COLLAPSE_CONTACTS_PER_SI` must separate the two
groups at every size. Melts come through a melt cache, so a Table II run with the same cache (and
the same engine settings) is reused instead of rerun:

    silica-explorer table --sets ML,BKS,CHIK,SHIK --fidelity paper --seeds 0 --threads 2 --melt-cache runs/melts
    python benchmarks/close_contacts.py --melt-cache runs/melts --sizes tiny,quick,paper > data/results/close_contacts.txt
"""

from __future__ import annotations

import argparse

import numpy as np

from silica_explorer.engine.cache import CachingEngine
from silica_explorer.engine.acceptance import COLLAPSE_CONTACTS_PER_SI, close_contacts
from silica_explorer.engine.lammps import LammpsEngine
from silica_explorer.fidelity import FIDELITIES
from silica_explorer.forcefield import ForceField

GOOD = ["ML", "BKS", "CHIK", "SHIK"]
BAND = [(2.05, 16000.0), (2.05, 16500.0), (2.05, 17000.0), (2.4, 16500.0), (2.4, 17000.0)]
SEEDS = {"tiny": [0, 1, 2, 3, 4], "quick": [0, 1, 2], "paper": [0]}


def row(label, size, seed, res) -> str:
    if res.pdf is None:
        return f"{label:<26} {size:<6} {seed:>4}  {res.status:<7} {'-':>9} {'-':>9} {'-':>9} {'-':>8}  {res.reason}"
    g = res.pdf.g.sel(pair="SiO").values
    r = res.pdf.r.values
    r_min = r[g > 0][0] if np.any(g > 0) else np.nan
    n = [close_contacts(res.pdf, rc) for rc in (1.1, 1.2, 1.3)]
    return (f"{label:<26} {size:<6} {seed:>4}  {res.status:<7} {n[0]:>9.2e} {n[1]:>9.2e} {n[2]:>9.2e} {r_min:>8.2f}  "
            f"{res.reason or ''}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="tiny,quick")
    ap.add_argument("--melt-cache", default="runs/melts")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--band-sizes", default="tiny,quick", help="sizes at which the collapsing band is run")
    args = ap.parse_args()
    engine = CachingEngine(LammpsEngine(threads=args.threads), args.melt_cache)
    print(f"# engine: {engine.version()}")
    print(f"# threshold: collapsed when n_close(1.2 A) > {COLLAPSE_CONTACTS_PER_SI} O per Si")
    print(f"{'forcefield':<26} {'size':<6} {'seed':>4}  {'status':<7} {'n(1.1A)':>9} {'n(1.2A)':>9} {'n(1.3A)':>9} "
          f"{'r_min A':>8}  reason")
    for size in args.sizes.split(","):
        fid = FIDELITIES[size]
        for name in GOOD:
            for seed in SEEDS[size]:
                print(row(name, size, seed, engine.melt(ForceField.preset(name), fid, seed)), flush=True)
        if size in args.band_sizes.split(","):
            for q, a in BAND:
                ff = ForceField.preset("BKS").replace(q_Si=q, A_SiO=a)
                for seed in (SEEDS[size][:3] if size == "tiny" else SEEDS[size][:1]):
                    print(row(f"BKS q={q} A_SiO={a:.0f}", size, seed, engine.melt(ff, fid, seed)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
