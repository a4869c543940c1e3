"""Tabulation of the Eq. (1) pair potential for the MD engines: LAMMPS ``pair_style table`` files and
input lines, and the (r, U, F) values HOOMD's table potential takes.

Two LAMMPS decks (:data:`DECKS`): ``"one-table"`` (default) puts Eq. (1) with DSF Coulomb in one
``pair_style table`` (one lookup per pair, about half the wall time), continued below the distance where
U reaches :data:`WALL_ENERGY` as a straight, capped wall; ``"hybrid"`` tabulates only the short-range part
and overlays LAMMPS's ``coul/dsf``.

Units: distances in A, energies in eV, forces (-dU/dr) in eV/A.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..configurations import TYPE_OF
from ..forcefield import ForceField
from ..parameters import PAIR_SPECIES, PAIRS, ParameterError, check_pair

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


def lammps_setup_lines(forcefield: ForceField, table_points: int, *, deck: str, neighbor_skin: float,
                       thermo_columns: str, thermo_every: int) -> list[str]:
    """The set-up block every LAMMPS deck shares: metal units, ``read_data start.data``, masses, the pair
    lines of ``deck`` (:func:`lammps_pair_lines`, table ``ff.table``), neighbour list with skin
    ``neighbor_skin`` A, and thermo output of ``thermo_columns`` every ``thermo_every`` steps."""
    return [
        "units metal",
        "atom_style charge",
        "boundary p p p",
        "atom_modify map array",
        "read_data start.data",
        "mass 1 28.0855",
        "mass 2 15.9994",
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


def wall_distance(forcefield: ForceField, pair: str, wall_energy: float = WALL_ENERGY) -> float | None:
    """Largest r (A) below ``r_cut`` at which the full pair energy (short range + DSF) of ``forcefield``
    reaches ``wall_energy`` (eV), or None if it never does above :data:`TABLE_R_INNER`. Inside that
    distance the one-table deck continues the potential as a straight wall (see :func:`table_values`)."""
    check_pair(pair)
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


def table_values(forcefield: ForceField, pair: str, r, deck: str = "one-table",
                 wall_energy: float = WALL_ENERGY) -> tuple[np.ndarray, np.ndarray]:
    """Tabulated energy (eV) and force -dU/dr (eV/A) of ``pair`` at distances ``r`` (A) for a deck.

    ``deck="one-table"``: the whole of Eq. (1) as the MD sees it, DSF Coulomb included (both
    parts zero beyond ``r_cut``), continued inside :func:`wall_distance` r_w as a capped wall
    ``U(r) = U(r_w) + F(r_w) (r_w - r)`` with the constant force F(r_w) > 0. The wall starts where
    U = ``wall_energy`` (50 eV, ~160 kT at 3600 K), so it changes nothing a liquid visits; it keeps
    energies finite down to :data:`TABLE_R_INNER`, so a close approach is measured instead of
    stopping LAMMPS. ``deck="hybrid"``: the short-range part only (Coulomb by ``coul/dsf``).
    """
    ff = forcefield
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


def write_lammps_table(forcefield: ForceField, path: str | Path, n_points: int = 8000,
                       r_inner: float | None = None, deck: str = "one-table") -> Path:
    """Write Eq. (1) of ``forcefield`` as a LAMMPS ``pair_style table`` file (see :func:`table_values`).

    One section per pair (keywords SiSi, SiO, OO), ``n_points`` points evenly spaced in r from
    ``r_inner`` (default :data:`TABLE_R_INNER` for the one-table deck, 1 A for the hybrid deck,
    whose short-range part overflows below that) to ``r_cut`` (A); energies in eV and forces
    (-dE/dr) in eV/A computed analytically. LAMMPS re-tabulates the file's points on ``n_points``
    points evenly spaced in r^2 (``pair_style table linear``).
    """
    ff = forcefield
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
    for pair in PAIRS:
        e, f = table_values(ff, pair, r, deck)
        lines += [pair, f"N {n_points} R {r_inner:.10g} {ff.r_cut:.10g}", ""]
        lines += [f"{i + 1} {ri:.17g} {ei:.16e} {fi:.16e}"
                  for i, (ri, ei, fi) in enumerate(zip(r, e, f))]
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def lammps_pair_lines(forcefield: ForceField, table_path: str | Path, n_points: int = 8000,
                      deck: str = "one-table") -> list[str]:
    """The LAMMPS input lines that apply ``forcefield`` (atom types Si=1, O=2).

    ``deck="one-table"``: one ``pair_style table`` holding Eq. (1) with DSF Coulomb (one lookup
    per pair; the charges are set for the record but no pair style uses them, so LAMMPS's
    constant DSF self energy, :func:`~silica_explorer.forcefield.dsf_self_energy`, is absent from its
    energies). ``deck="hybrid"``: ``hybrid/overlay`` of the short-range table and ``coul/dsf``.
    """
    ff = forcefield
    check_deck(deck)
    table_path = str(table_path)
    if deck == "one-table":
        lines = [f"pair_style table linear {n_points}"]
        sub = ""
    else:
        lines = [f"pair_style hybrid/overlay table linear {n_points} coul/dsf {ff.alpha:.10g} {ff.r_cut:.10g}",
                 "pair_coeff * * coul/dsf"]
        sub = "table "
    for pair in PAIRS:
        a, b = PAIR_SPECIES[pair]
        i, j = sorted((TYPE_OF[a], TYPE_OF[b]))
        lines.append(f"pair_coeff {i} {j} {sub}{table_path} {pair} {ff.r_cut:.10g}")
    lines += [f"set type {TYPE_OF['Si']} charge {ff.charge('Si'):.12g}",
              f"set type {TYPE_OF['O']} charge {ff.charge('O'):.12g}"]
    return lines
