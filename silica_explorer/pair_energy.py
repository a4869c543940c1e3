"""Eq. (1) + DSF Coulomb energy and forces of one configuration of any number of species, in plain numpy.

    U_ij(r) = k_e q_i q_j [DSF, Fennell & Gezelter (2006)] + A_ij exp(-r / rho_ij) - C_ij / r^6 + D_ij / r^24

Both parts are zero beyond ``r_cut`` (the short range truncated, not shifted; the Coulomb part is the DSF
form of :func:`silica_explorer.forcefield.dsf_energy`, which vanishes smoothly there). No DSF self term is
included (the one-table LAMMPS deck has none; add
:func:`~silica_explorer.forcefield.dsf_self_energy` for ``coul/dsf``). Pairs are summed over every
periodic image of an orthorhombic box closer than ``r_cut``, so boxes shorter than 2 ``r_cut`` are exact
too (an atom's own images count, with weight 1/2); this is the independent reference the engines' tables
are checked against.

Units: positions and box in A, A in eV, rho in A, C in eV A^6, D in eV A^24, charges in e, alpha in 1/A;
energy in eV, forces in eV/A.
"""

from __future__ import annotations

import itertools
from typing import Mapping, Sequence

import numpy as np

from .forcefield import dsf_energy, dsf_force
from .systems.description import System


def short_range_energy_force(A, rho, C, D, r) -> tuple[np.ndarray, np.ndarray]:
    """``(U, -dU/dr)`` of A exp(-r/rho) - C/r^6 + D/r^24 at ``r`` (A), in eV and eV/A (not truncated);
    the parameters may be arrays broadcasting with ``r``."""
    r = np.asarray(r, dtype=float)
    expo = A * np.exp(-r / rho)
    energy = expo - C / r**6 + D / r**24
    force = expo / rho - 6.0 * C / r**7 + 24.0 * D / r**25
    return energy, force


def pair_terms_table(pair_terms: Mapping[tuple[str, str], Sequence[float]], symbols: Sequence[str]) -> np.ndarray:
    """``(n, n, 4)`` array of (A, rho, C, D) for every ordered pair of ``symbols``; ``pair_terms`` is keyed
    by species pairs in either order. ValueError naming a pair without terms or with two different ones."""
    n = len(symbols)
    table = np.zeros((n, n, 4))
    for i, j in itertools.product(range(n), repeat=2):
        a, b = symbols[i], symbols[j]
        found = [tuple(map(float, pair_terms[k])) for k in {(a, b), (b, a)} if k in pair_terms]
        if not found:
            raise ValueError(f"pair {a}-{b} has no (A, rho, C, D) terms; given: {sorted(pair_terms)}")
        if len(set(found)) > 1:
            raise ValueError(f"pair {a}-{b} has two different term sets {found}")
        if len(found[0]) != 4:
            raise ValueError(f"pair {a}-{b}: expected (A, rho, C, D), got {found[0]}")
        table[i, j] = found[0]
    return table


def energy_forces(positions, species, box, pair_terms: Mapping[tuple[str, str], Sequence[float]],
                  charges: Mapping[str, float], alpha: float = 0.25,
                  r_cut: float = 8.0) -> tuple[float, np.ndarray]:
    """Total Eq. (1) + DSF energy (eV) and forces ``(N, 3)`` (eV/A) of one configuration.

    ``positions`` (N, 3) A; ``species`` (N,) symbols; ``box`` (3,) A, orthorhombic with the origin at 0;
    ``pair_terms``: (a, b) -> (A, rho, C, D) for every pair of species present (either order);
    ``charges``: symbol -> q (e). ``alpha`` (1/A) and ``r_cut`` (A) as in
    :class:`~silica_explorer.forcefield.ForceField`.
    """
    pos = np.asarray(positions, dtype=float)
    species = np.asarray(species, dtype=str)
    box = np.broadcast_to(np.asarray(box, dtype=float), (3,)).copy()
    if pos.ndim != 2 or pos.shape[1] != 3 or species.shape != (len(pos),):
        raise ValueError(f"positions must be (N, 3) and species (N,), got {pos.shape} and {species.shape}")
    if np.any(box <= 0):
        raise ValueError(f"box lengths must be > 0 A, got {box}")
    symbols = sorted(set(species.tolist()))
    missing = [s for s in symbols if s not in charges]
    if missing:
        raise ValueError(f"no charge for species {missing}")
    table = pair_terms_table(pair_terms, symbols)
    kind = np.searchsorted(symbols, species)
    q = np.array([float(charges[s]) for s in symbols])[kind]
    pos = np.mod(pos, box)
    reach = np.ceil(r_cut / box + 0.5).astype(int)  # images per axis that can lie within r_cut
    shifts = np.array(list(itertools.product(*(range(-m, m + 1) for m in reach))), dtype=float) * box
    energy = 0.0
    forces = np.zeros_like(pos)
    for i in range(len(pos)):
        d = pos[i] - pos[i:]
        d -= box * np.round(d / box)
        d = d[:, None, :] + shifts[None, :, :]                     # (j >= i, image, 3)
        r = np.sqrt(np.einsum("jsk,jsk->js", d, d))
        inside = (r < r_cut) & (r > 0.0)                           # r = 0 only for i itself, unshifted
        j, s = np.nonzero(inside)
        rr = r[j, s]
        A, rho, C, D = table[kind[i], kind[i + j]].T
        e_sr, f_sr = short_range_energy_force(A, rho, C, D, rr)
        qq = q[i] * q[i + j]
        e = e_sr + dsf_energy(qq, rr, alpha, r_cut)
        f = f_sr + dsf_force(qq, rr, alpha, r_cut)
        weight = np.where(j == 0, 0.5, 1.0)                       # an atom's own images: each pair twice
        energy += float(np.sum(weight * e))
        fvec = (f / rr)[:, None] * d[j, s]                         # on atom i, from atom i + j
        fvec[j == 0] = 0.0                                         # own images: +n and -n cancel
        forces[i] += fvec.sum(axis=0)
        np.subtract.at(forces, i + j, fvec)
    return energy, forces


def system_pair_terms(system: System, values: Mapping[str, float]) -> dict[tuple[str, str], tuple[float, ...]]:
    """(a, b) -> (A, rho, C, D) of every pair of ``system`` from parameter ``values`` (checked with
    :meth:`System.check_parameters <silica_explorer.systems.description.System.check_parameters>`)."""
    values = system.check_parameters(values)
    return {ab: tuple(values[n] for n in system.pair_parameters(p)) for p, ab in system.pair_species.items()}


def system_energy_forces(system: System, values: Mapping[str, float], positions, species,
                         box) -> tuple[float, np.ndarray]:
    """:func:`energy_forces` with the pair terms and charges of ``system`` at parameter ``values`` (free
    charges, every pair's A, rho, C, D, optionally ``alpha`` 1/A and ``r_cut`` A; defaults 0.25 and 8)."""
    terms = system_pair_terms(system, values)
    unknown = sorted(set(np.asarray(species, dtype=str).tolist()) - set(system.symbols))
    if unknown:
        raise ValueError(f"species {unknown} are not in system {system.name} {list(system.symbols)}")
    return energy_forces(positions, species, box, terms, system.charges(values),
                         alpha=float(values.get("alpha", 0.25)), r_cut=float(values.get("r_cut", 8.0)))
