"""Tabulation of the Eq. (1) pair potential for the MD engines: LAMMPS ``pair_style table`` files and
input lines, and the (r, U, F) values HOOMD's table potential takes.

Two LAMMPS decks (:data:`DECKS`): ``"one-table"`` (default) puts Eq. (1) with DSF Coulomb in one
``pair_style table`` (one lookup per pair, about half the wall time), continued below the distance where
U reaches :data:`WALL_ENERGY` as a straight, capped wall; ``"hybrid"`` tabulates only the short-range part
and overlays LAMMPS's ``coul/dsf``.

Any glass system: every function takes a silica :class:`~silica_explorer.forcefield.ForceField` or a
:class:`~silica_explorer.systems.forcefield.SystemForceField` (the former is viewed as the latter,
:func:`~silica_explorer.systems.forcefield.as_system_forcefield`, with bit-identical numbers). Atom types
follow the system's species order (:func:`lammps_types`: Si 1, O 2 for silica; Si 1, Na 2, O 3 for NS3),
the table has one section per pair in :attr:`System.pairs <silica_explorer.systems.description.System.pairs>`
order, and the deck sets one mass and one charge per type; ``compute rdf`` lists every type pair in that
order (:func:`rdf_type_pairs`). Silica's files are byte-identical to those of the
silica-only writer this replaced (``tests/test_systems_engine.py``).

The wall rule is the same for every pair of every system (:func:`wall_distance`): the wall starts at the
largest r where U reaches :data:`WALL_ENERGY`, and a maximum of U below that energy is tabulated as it is
(:func:`energy_turnover` reports it). Silica already has such pairs: the O-O of ML, BKS and Teter turns over
at 1.24-1.44 A (U_max 15-18 eV), falls into the spurious well and meets its wall only where D / r^24 lifts
it to 50 eV near 1.0 A. A pair with no D that turns over (Teter/Du Na-O: U_max = 43.9 eV at 0.87 A) thus
gets NO wall: its table is Eq. (1) + DSF down to :data:`TABLE_R_INNER`, through the maximum and the fall
below it (-1418.5 eV at 0.5 A). Its barrier is the potential's own (43.9 eV is ~140 kT at 3600 K, so a
liquid does not cross it); a pair that does cross falls below 0.5 A, where LAMMPS stops and the run fails
with an overlap reason, rather than continuing on a made-up wall.

Units: distances in A, energies in eV, forces (-dU/dr) in eV/A; masses g/mol; charges e.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..forcefield import ForceField
from ..parameters import ParameterError
from ..systems.description import System
from ..systems.forcefield import SystemForceField, as_system_forcefield

#: LAMMPS input decks: Eq. (1) + DSF in one ``pair_style table`` (default; one lookup per pair, about
#: half the wall time), or the short-range table overlaid with ``coul/dsf`` (``hybrid/overlay``).
DECKS: tuple[str, ...] = ("one-table", "hybrid")
#: Shortest tabulated distance (A) of the one-table deck; a pair closer than this stops LAMMPS.
TABLE_R_INNER = 0.5
#: Shortest tabulated distance (A) of the hybrid deck's short-range table.
HYBRID_R_INNER = 1.0
#: Pair energy (eV) below whose distance the one-table deck continues as a straight, capped wall.
WALL_ENERGY = 50.0


#: The minimisation block of every LAMMPS deck (conjugate gradient from the random start; step count reset).
LAMMPS_MINIMIZE_LINES = ("# phase: minimize", "min_style cg", "minimize 1.0e-6 1.0e-8 1000 10000", "reset_timestep 0")


def lammps_types(system: System) -> dict[str, int]:
    """LAMMPS atom type of each species of ``system``: 1, 2, ... in species order (silica: Si 1, O 2)."""
    return {s: k + 1 for k, s in enumerate(system.symbols)}


def lammps_mass_lines(system: System) -> list[str]:
    """``mass <type> <g/mol>`` for every species of ``system``."""
    types = lammps_types(system)
    return [f"mass {types[s]} {m:.10g}" for s, m in system.masses.items()]


def lammps_read_lines(forcefield: ForceField | SystemForceField) -> list[str]:
    """The head of every LAMMPS deck: metal units, charges, periodic box, ``read_data start.data`` and the
    masses of the forcefield's system."""
    return ["units metal", "atom_style charge", "boundary p p p", "atom_modify map array", "read_data start.data",
            *lammps_mass_lines(as_system_forcefield(forcefield).system)]


def lammps_setup_lines(forcefield: ForceField | SystemForceField, table_points: int, *, deck: str,
                       neighbor_skin: float, thermo_columns: str, thermo_every: int) -> list[str]:
    """The set-up block every LAMMPS deck shares: :func:`lammps_read_lines`, the pair lines of ``deck``
    (:func:`lammps_pair_lines`, table ``ff.table``), neighbour list with skin ``neighbor_skin`` A, and thermo
    output of ``thermo_columns`` every ``thermo_every`` steps."""
    return [
        *lammps_read_lines(forcefield),
        *lammps_pair_lines(forcefield, "ff.table", table_points, deck=deck),
        f"neighbor {neighbor_skin:g} bin",
        "neigh_modify every 1 delay 0 check yes",
        f"thermo_style custom {thermo_columns}",
        "thermo_modify lost error norm no flush yes",
        f"thermo {thermo_every}",
    ]


def table_r_inner(deck: str) -> float:
    """Shortest tabulated distance (A) of a deck's table: a closer pair stops LAMMPS."""
    return TABLE_R_INNER if check_deck(deck) == "one-table" else HYBRID_R_INNER


def check_deck(deck: str) -> str:
    """``deck`` if it is one of :data:`DECKS`, else ParameterError naming the allowed decks."""
    if deck not in DECKS:
        raise ParameterError(f"unknown LAMMPS deck {deck!r}; allowed: {list(DECKS)}")
    return deck


def wall_distance(forcefield: ForceField | SystemForceField, pair: str,
                  wall_energy: float = WALL_ENERGY) -> float | None:
    """Largest r (A) below ``r_cut`` at which the full pair energy (short range + DSF) of ``forcefield``
    reaches ``wall_energy`` (eV), or None if it never does above :data:`TABLE_R_INNER`. Inside that
    distance the one-table deck continues the potential as a straight wall (see :func:`table_values`).
    The same rule for every pair of every system (see the module docstring for a pair that turns over)."""
    forcefield = as_system_forcefield(forcefield)
    forcefield.system.pair_parameters(pair)
    r = np.linspace(TABLE_R_INNER, forcefield.r_cut, 40001)
    with np.errstate(over="ignore", invalid="ignore"):
        u = forcefield.pair_energy(pair, r)
    above = np.nonzero(~(u < wall_energy))[0]  # NaN/inf count as above
    if above.size == 0:
        return None
    k = int(above[-1])
    if k == r.size - 1:
        raise ParameterError(f"{pair} pair energy exceeds the wall energy {wall_energy} eV at r_cut")
    from scipy.optimize import brentq
    return float(brentq(lambda x: float(forcefield.pair_energy(pair, x)) - wall_energy, r[k], r[k + 1],
                        xtol=1e-12))


def energy_turnover(forcefield: ForceField | SystemForceField, pair: str,
                    wall_energy: float = WALL_ENERGY) -> tuple[float, float] | None:
    """``(r, U)`` (A, eV) of the largest-r maximum of ``pair``'s energy above :data:`TABLE_R_INNER` when it
    is lower than ``wall_energy`` and not inside a wall, i.e. where the one-table deck's pair turns over
    (U falls again at shorter r); None when the pair rises into its wall or has no inner maximum."""
    forcefield = as_system_forcefield(forcefield)
    r = np.linspace(TABLE_R_INNER, forcefield.r_cut, 40001)
    with np.errstate(over="ignore", invalid="ignore"):
        f = forcefield.pair_force(pair, r)
    # a maximum: repulsive (F > 0) just outside, attractive (F <= 0) just inside
    k = np.nonzero((f[1:] > 0) & ~(f[:-1] > 0))[0]
    if k.size == 0:
        return None
    r_max = float(r[int(k[-1]) + 1])
    r_w = wall_distance(forcefield, pair, wall_energy)
    if r_w is not None and r_w > r_max:
        return None
    from scipy.optimize import brentq
    r_max = float(brentq(lambda x: float(forcefield.pair_force(pair, x)), r[int(k[-1])], r[int(k[-1]) + 1],
                         xtol=1e-12))
    return r_max, float(forcefield.pair_energy(pair, r_max))


def table_values(forcefield: ForceField | SystemForceField, pair: str, r, deck: str = "one-table",
                 wall_energy: float = WALL_ENERGY) -> tuple[np.ndarray, np.ndarray]:
    """Tabulated energy (eV) and force -dU/dr (eV/A) of ``pair`` at distances ``r`` (A) for a deck.

    ``deck="one-table"``: the whole of Eq. (1) as the MD sees it, DSF Coulomb included (both
    parts zero beyond ``r_cut``), continued inside :func:`wall_distance` r_w as a capped wall
    ``U(r) = U(r_w) + F(r_w) (r_w - r)`` with the constant force F(r_w) > 0. The wall starts where
    U = ``wall_energy`` (50 eV, ~160 kT at 3600 K), so it changes nothing a liquid visits; it keeps
    energies finite down to :data:`TABLE_R_INNER`, so a close approach is measured instead of
    stopping LAMMPS. ``deck="hybrid"``: the short-range part only (Coulomb by ``coul/dsf``).
    """
    ff = as_system_forcefield(forcefield)
    check_deck(deck)
    r = np.asarray(r, dtype=float)
    if deck == "hybrid":
        return ff.short_range_energy(pair, r), ff.short_range_force(pair, r)
    r_w = wall_distance(ff, pair, wall_energy)
    with np.errstate(over="ignore", invalid="ignore"):
        # the short range is truncated (not shifted) at r_cut: the table's last point, at r_cut,
        # holds its value there; DSF is zero at r_cut by construction
        inside_cut = r <= ff.r_cut
        u = np.where(inside_cut, ff.short_range_energy(pair, r) + ff.coulomb_energy(pair, r), 0.0)
        f = np.where(inside_cut, ff.short_range_force(pair, r) + ff.coulomb_force(pair, r), 0.0)
    if r_w is not None:
        u_w, f_w = float(ff.pair_energy(pair, r_w)), float(ff.pair_force(pair, r_w))
        inside = r < r_w
        u = np.where(inside, u_w + f_w * (r_w - r), u)
        f = np.where(inside, f_w, f)
    return u, f


def write_lammps_table(forcefield: ForceField | SystemForceField, path: str | Path, n_points: int = 8000,
                       r_inner: float | None = None, deck: str = "one-table") -> Path:
    """Write Eq. (1) of ``forcefield`` as a LAMMPS ``pair_style table`` file (see :func:`table_values`).

    One section per pair of its system, keyword the pair's name (SiSi, SiO, OO for silica), ``n_points`` points evenly spaced in r from
    ``r_inner`` (default :data:`TABLE_R_INNER` for the one-table deck, 1 A for the hybrid deck,
    whose short-range part overflows below that) to ``r_cut`` (A); energies in eV and forces
    (-dE/dr) in eV/A computed analytically. LAMMPS re-tabulates the file's points on ``n_points``
    points evenly spaced in r^2 (``pair_style table linear``).
    """
    ff = as_system_forcefield(forcefield)
    check_deck(deck)
    if r_inner is None:
        r_inner = table_r_inner(deck)
    if n_points < 2:
        raise ParameterError(f"n_points = {n_points} must be >= 2")
    if not 0.0 < r_inner < ff.r_cut:
        raise ParameterError(f"r_inner = {r_inner} must be in (0, r_cut={ff.r_cut}) A")
    path = Path(path)
    r = np.linspace(r_inner, ff.r_cut, n_points)
    what = ("Eq. (1) with DSF Coulomb (alpha {:g} 1/A), capped wall below U = {:g} eV".format(ff.alpha, WALL_ENERGY)
            if deck == "one-table" else "short-range part of Eq. (1); Coulomb is coul/dsf")
    lines = [f"# silica-explorer table for '{ff.name}' ({deck} deck): {what}; eV and eV/A", ""]
    for pair in ff.system.pairs:
        e, f = table_values(ff, pair, r, deck)
        lines += [pair, f"N {n_points} R {r_inner:.10g} {ff.r_cut:.10g}", ""]
        lines += [f"{i + 1} {ri:.17g} {ei:.16e} {fi:.16e}"
                  for i, (ri, ei, fi) in enumerate(zip(r, e, f))]
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def lammps_pair_lines(forcefield: ForceField | SystemForceField, table_path: str | Path, n_points: int = 8000,
                      deck: str = "one-table") -> list[str]:
    """The LAMMPS input lines that apply ``forcefield``: one ``pair_coeff`` per pair of its system and one
    ``set type ... charge`` per species (atom types :func:`lammps_types`; silica Si=1, O=2).

    ``deck="one-table"``: one ``pair_style table`` holding Eq. (1) with DSF Coulomb (one lookup
    per pair; the charges are set for the record but no pair style uses them, so LAMMPS's
    constant DSF self energy, :func:`~silica_explorer.forcefield.dsf_self_energy`, is absent from its
    energies). ``deck="hybrid"``: ``hybrid/overlay`` of the short-range table and ``coul/dsf``.
    """
    ff = as_system_forcefield(forcefield)
    check_deck(deck)
    table_path = str(table_path)
    if deck == "one-table":
        lines = [f"pair_style table linear {n_points}"]
        sub = ""
    else:
        lines = [f"pair_style hybrid/overlay table linear {n_points} coul/dsf {ff.alpha:.10g} {ff.r_cut:.10g}",
                 "pair_coeff * * coul/dsf"]
        sub = "table "
    types = lammps_types(ff.system)
    for pair, (a, b) in ff.system.pair_species.items():
        i, j = sorted((types[a], types[b]))
        lines.append(f"pair_coeff {i} {j} {sub}{table_path} {pair} {ff.r_cut:.10g}")
    lines += [f"set type {types[s]} charge {q:.12g}" for s, q in ff.charges().items()]
    return lines


def rdf_type_pairs(forcefield: ForceField | SystemForceField) -> str:
    """The atom-type pairs of ``compute rdf``: every pair of the forcefield's system in its order
    (silica ``1 1 1 2 2 2``: SiSi, SiO, OO); :func:`read_rdf` reads them back in that order."""
    ff = as_system_forcefield(forcefield)
    types = lammps_types(ff.system)
    return " ".join(f"{min(types[a], types[b])} {max(types[a], types[b])}" for a, b in ff.system.pair_species.values())
