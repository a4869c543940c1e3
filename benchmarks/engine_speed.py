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

NS3 row (``ns3-lammps-one-table``): sodium trisilicate (Na2O-3SiO2, SHIK-NS3 by default) on the default
LAMMPS deck at the same atom count as silica (quick: 54 units = 648 atoms; paper: 250 units = 3000 atoms),
the same protocol and temperature, at ``--ns3-density`` (default 2.45 g/cm3, the tests' NS3 state point,
an assumption until an NS3 reference fixes it). A last line compares it with silica's ``lammps-one-table``
in the same run: NS3 has 6 table pairs and 6 g(r) pairs (silica 3 and 3), but ``pair_style table`` costs per
neighbour pair, whatever the number of tables, so the pair work per step should follow the neighbours per
atom, i.e. the number density (NS3 at 2.45 g/cm3: 0.0731 atoms/A^3; silica at 2.2: 0.0662; ratio 1.105);
the doubled g(r) pairs add to the sampling steps (every 10th step). NS3 melts run on LAMMPS only.

    python benchmarks/engine_speed.py                          # quick and paper, 3 repeats, 1 thread
    python benchmarks/engine_speed.py --sizes quick --repeats 5 --threads 2
    python benchmarks/engine_speed.py --quick                  # smoke run: quick, one-table and NS3, 1 short repeat
"""

from __future__ import annotations

import argparse
import statistics
import time

from silica_explorer.engine import get_engine
from silica_explorer.fidelity import FIDELITIES, FidelityError
from silica_explorer.forcefield import ForceField
from silica_explorer.systems import NS3, SIO2, SystemForceField, system_fidelity

#: (label, engine name, engine options) of every deck this benchmark compares.
DECKS = [
    ("lammps-hybrid", "lammps", {"deck": "hybrid"}),
    ("lammps-one-table", "lammps", {"deck": "one-table"}),
    ("hoomd-cpu", "hoomd", {"device": "cpu"}),
    ("hoomd-gpu", "hoomd", {"device": "gpu"}),
]
BASELINE = "lammps-hybrid"
#: The NS3 row: (label, engine name, engine options); compared with silica's row :data:`NS3_COMPARED_WITH`.
NS3_DECK = ("ns3-lammps-one-table", "lammps", {"deck": "one-table"})
NS3_COMPARED_WITH = "lammps-one-table"
#: Density (g/cm3) of the NS3 row by default: the tests' NS3 state point.
NS3_DENSITY = 2.45


def run_once(engine_name: str, options: dict, fidelity, forcefield, seed: int, threads: int) -> tuple[float, float]:
    """(production steps/s, wall s) of one shortened melt; raises if the melt failed."""
    engine = get_engine(engine_name, threads=threads, **options)
    t0 = time.perf_counter()
    res = engine.melt(forcefield, fidelity, seed)
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


def ns3_fidelity(silica, density: float):
    """The NS3 protocol of the silica fidelity ``silica`` at its atom count, temperature and MD protocol, at
    ``density`` g/cm3; ValueError saying why when its atom count is not whole NS3 units or the box is too
    small for the g(r) grid."""
    if silica.n_atoms % NS3.atoms_per_unit:
        raise ValueError(f"{silica.n_atoms} atoms are not whole NS3 units of {NS3.atoms_per_unit} atoms")
    try:
        return system_fidelity(silica.name, NS3, silica.temperature, density, silica.n_atoms // NS3.atoms_per_unit,
                               relax_ps=silica.relax_ps, production_ps=silica.production_ps)
    except FidelityError as exc:
        raise ValueError(str(exc)) from None


def ns3_comparison(size: str, n_atoms: int, med: dict, medw: dict, density: float) -> str:
    """The last line of a size: NS3 against silica's one-table deck in the same run, with the pair counts
    and the number densities that predict it."""
    rho_ns3, rho_si = NS3.number_density(density), SIO2.number_density(FIDELITIES[size].density)
    return (f"# {size}: NS3 / silica at {n_atoms} atoms each ({NS3_COMPARED_WITH}): wall x"
            f"{medw[NS3_DECK[0]] / medw[NS3_COMPARED_WITH]:.3f}, time per production step "
            f"x{med[NS3_COMPARED_WITH] / med[NS3_DECK[0]]:.3f}; "
            f"table pairs {len(NS3.pairs)} vs {len(SIO2.pairs)}, g(r) pairs {len(NS3.pairs)} vs {len(SIO2.pairs)}; "
            f"number density {rho_ns3:.4f} vs {rho_si:.4f} atoms/A^3 (x{rho_ns3 / rho_si:.3f}: the pair work per step "
            f"this predicts, whatever the table count)")


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
    ap.add_argument("--ns3-preset", default="SHIK-NS3", help="NS3 set of the NS3 row (default SHIK-NS3)")
    ap.add_argument("--ns3-density", type=float, default=NS3_DENSITY,
                    help=f"g/cm3 of the NS3 row (default {NS3_DENSITY})")
    ap.add_argument("--no-ns3", action="store_true", help="leave the NS3 row out")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: --sizes quick --repeats 1 --decks lammps-one-table --relax-ps 0.5 "
                         "--production-ps 0.3 (with the NS3 row); not for recorded numbers")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.repeats, args.decks, args.relax_ps, args.production_ps = (
            "quick", 1, NS3_COMPARED_WITH, 0.5, 0.3)
    if args.repeats < 1:
        ap.error(f"--repeats {args.repeats} must be >= 1")
    chosen = [d for d in DECKS if d[0] in args.decks.split(",")]
    unknown = set(args.decks.split(",")) - {d[0] for d in DECKS}
    if unknown:
        ap.error(f"--decks: unknown {sorted(unknown)}; known: {[d[0] for d in DECKS]}")
    chosen = [d for d in chosen if _available(d)]
    ns3_ff = None if args.no_ns3 else SystemForceField.preset(args.ns3_preset)
    print(f"# preset {args.preset}, seed {args.seed}, {args.threads} thread(s), {args.repeats} interleaved repeats; "
          f"relax {args.relax_ps} ps + production {args.production_ps} ps after minimisation"
          + ("" if ns3_ff is None else f"; NS3 row: {ns3_ff.name} at {args.ns3_density} g/cm3"))
    print(f"{'size':<6} {'atoms':>5} {'deck':<20} {'steps/s':>9} {'wall s':>8} {'steps/s ratio':>14} {'wall ratio':>11}")
    for size in args.sizes.split(","):
        fid = FIDELITIES[size].replace(relax_ps=args.relax_ps, production_ps=args.production_ps)
        rows = [(label, name, options, fid, ForceField.preset(args.preset)) for label, name, options in chosen]
        if ns3_ff is not None:
            try:
                rows.append((*NS3_DECK, ns3_fidelity(fid, args.ns3_density), ns3_ff))
            except ValueError as exc:
                print(f"# {size}: NS3 row left out: {exc}")
        speeds = {row[0]: [] for row in rows}
        walls = {row[0]: [] for row in rows}
        for rep in range(args.repeats):
            order = rows if rep % 2 == 0 else rows[::-1]
            for label, name, options, row_fid, ff in order:
                sps, wall = run_once(name, options, row_fid, ff, args.seed, args.threads)
                speeds[label].append(sps)
                walls[label].append(wall)
        med = {k: statistics.median(v) for k, v in speeds.items()}
        medw = {k: statistics.median(v) for k, v in walls.items()}
        for label, *_ in rows:
            base_s, base_w = med.get(BASELINE), medw.get(BASELINE)
            rs = f"{med[label] / base_s:.3f}" if base_s else "-"
            rw = f"{medw[label] / base_w:.3f}" if base_w else "-"
            print(f"{size:<6} {fid.n_atoms:>5} {label:<20} {med[label]:>9.1f} {medw[label]:>8.2f} {rs:>14} {rw:>11}",
                  flush=True)
        if NS3_DECK[0] in med and NS3_COMPARED_WITH in med:
            print(ns3_comparison(size, fid.n_atoms, med, medw, args.ns3_density))
        elif NS3_DECK[0] in med:
            print(f"# {size}: no NS3 / silica ratio: the {NS3_COMPARED_WITH} deck is not among --decks")
    print(f"# ratios are against {BASELINE} (steps/s: higher is faster; wall: lower is faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
