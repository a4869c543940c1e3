"""MD speed of the engine decks, in one run: steps/s of the NVT production loop and the whole melt's
wall time, for each deck at quick (648 atoms) and paper (3000 atoms) sizes, with ratios to the
LAMMPS hybrid deck (the project's deck before the one-table deck became the default).

Decks: ``lammps-hybrid`` (``hybrid/overlay table + coul/dsf``), ``lammps-one-table`` (Eq. (1) + DSF in
one ``pair_style table``; the default), ``hoomd-cpu`` (HOOMD-blue, the same one table as
``md.pair.Table``, on the CPU) and ``hoomd-gpu`` (the same on a GPU; only where this HOOMD build has GPU
support and a GPU exists, otherwise the benchmark says why it is left out). HOOMD's steps/s counts its
MD chunks (relax and production) without the Python g(r) sampling; LAMMPS's is its production loop with
``compute rdf``: compare the wall times for the whole evaluation. Every deck runs the same protocol, shortened so a run fits in
minutes (the steps/s does not depend on the length): random start, minimisation, ``--relax-ps`` NVT
relax, ``--production-ps`` NVT production with g(r) every 10 steps, at 3600 K and 1 fs. Repeats are
interleaved (deck A, deck B, deck A, ...) so load changes on a shared machine hit every deck alike;
medians are printed. Read the ratios, not the absolute numbers, on a busy machine.

    python benchmarks/engine_speed.py                          # quick and paper, 3 repeats, 1 thread
    python benchmarks/engine_speed.py --sizes quick --repeats 5 --threads 2
"""

from __future__ import annotations

import argparse
import statistics
import time

from silica_explorer.engine import get_engine
from silica_explorer.fidelity import FIDELITIES
from silica_explorer.forcefield import ForceField

#: (label, engine name, engine options) of every deck this benchmark compares.
DECKS = [
    ("lammps-hybrid", "lammps", {"deck": "hybrid"}),
    ("lammps-one-table", "lammps", {"deck": "one-table"}),
    ("hoomd-cpu", "hoomd", {"device": "cpu"}),
    ("hoomd-gpu", "hoomd", {"device": "gpu"}),
]
BASELINE = "lammps-hybrid"


def run_once(engine_name: str, options: dict, fidelity, preset: str, seed: int, threads: int) -> tuple[float, float]:
    """(production steps/s, wall s) of one shortened melt; raises if the melt failed."""
    engine = get_engine(engine_name, threads=threads, **options)
    t0 = time.perf_counter()
    res = engine.melt(ForceField.preset(preset), fidelity, seed)
    wall = time.perf_counter() - t0
    if not res.ok:
        raise RuntimeError(f"{engine_name} {options}: melt failed: {res.reason}")
    return float(res.md_steps_per_s), wall


def _available(deck) -> bool:
    """True if the deck can run here; otherwise prints why it is left out."""
    label, name, options = deck
    if name != "hoomd":
        return True
    try:
        engine = get_engine(name, **options)
        print(f"# {label}: {engine.version()}")
        return True
    except ValueError as exc:
        print(f"# {label} left out: {exc}")
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="quick,paper", help="comma-separated fidelity names (default quick,paper)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--preset", default="BKS")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--relax-ps", type=float, default=0.5)
    ap.add_argument("--production-ps", type=float, default=1.0)
    ap.add_argument("--decks", default=",".join(label for label, _, _ in DECKS),
                    help="comma-separated deck labels (default: all)")
    args = ap.parse_args()
    if args.repeats < 1:
        ap.error(f"--repeats {args.repeats} must be >= 1")
    chosen = [d for d in DECKS if d[0] in args.decks.split(",")]
    unknown = set(args.decks.split(",")) - {d[0] for d in DECKS}
    if unknown:
        ap.error(f"--decks: unknown {sorted(unknown)}; known: {[d[0] for d in DECKS]}")
    chosen = [d for d in chosen if _available(d)]
    print(f"# preset {args.preset}, seed {args.seed}, {args.threads} thread(s), {args.repeats} interleaved repeats; "
          f"relax {args.relax_ps} ps + production {args.production_ps} ps after minimisation")
    print(f"{'size':<6} {'atoms':>5} {'deck':<18} {'steps/s':>9} {'wall s':>8} {'steps/s ratio':>14} {'wall ratio':>11}")
    for size in args.sizes.split(","):
        fid = FIDELITIES[size].replace(relax_ps=args.relax_ps, production_ps=args.production_ps)
        speeds = {label: [] for label, _, _ in chosen}
        walls = {label: [] for label, _, _ in chosen}
        for rep in range(args.repeats):
            order = chosen if rep % 2 == 0 else chosen[::-1]
            for label, name, options in order:
                sps, wall = run_once(name, options, fid, args.preset, args.seed, args.threads)
                speeds[label].append(sps)
                walls[label].append(wall)
        med = {k: statistics.median(v) for k, v in speeds.items()}
        medw = {k: statistics.median(v) for k, v in walls.items()}
        for label, _, _ in chosen:
            base_s, base_w = med.get(BASELINE), medw.get(BASELINE)
            rs = f"{med[label] / base_s:.3f}" if base_s else "-"
            rw = f"{medw[label] / base_w:.3f}" if base_w else "-"
            print(f"{size:<6} {fid.n_atoms:>5} {label:<18} {med[label]:>9.1f} {medw[label]:>8.2f} {rs:>14} {rw:>11}",
                  flush=True)
    print(f"# ratios are against {BASELINE} (steps/s: higher is faster; wall: lower is faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
