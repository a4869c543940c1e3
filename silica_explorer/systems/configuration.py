"""Random starting configurations of any glass system: ``n_units`` composition units at a density, with a
minimum separation per pair.

:func:`random_system_configuration` places the atoms of ``n_units`` composition units (e.g. NS3: 3 Si,
2 Na, 7 O each) in the cubic box of :meth:`System.box_length
<silica_explorer.systems.description.System.box_length>` by the insertion of silica's random start
(:func:`silica_explorer.configurations.random_insertion`): for :data:`~silica_explorer.systems.description.SIO2`
at silica's separations it gives the same positions, to the bit, as
:func:`silica_explorer.configurations.random_configuration` with the same seed.

Minimum separations (:func:`min_separations`): per pair name, defaults :data:`DEFAULT_PAIR_SEPARATION`
(silica's 2.5 / 1.5 / 2.2 A for Si-Si / Si-O / O-O; Na pairs chosen here), then a rule for pairs not listed:
:data:`CATION_ANION_SEPARATION` for a pair with the neutralizing species (the anion), else
:data:`CATION_CATION_SEPARATION`.

Units: lengths A, densities g/cm3.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..configurations import Configuration, random_insertion
from .description import System, SystemDescriptionError, close_match_hint

#: Default minimum separations (A) of a random start by pair. Si-Si, Si-O, O-O are silica's
#: (:data:`silica_explorer.configurations.DEFAULT_MIN_SEPARATION`). Na-O 1.6 A keeps a start outside
#: SHIK's Na-O wall (50 eV at 1.44 A) and far from Teter/Du's Na-O turnover (0.87 A), below the liquid's
#: Na-O peak (~2.3 A); Si-Na and Na-Na 2.0 A (cation pairs, liquid peaks >= 3 A). Silica's 2.5 A for the
#: cation pairs jams the insertion at NS3's density (2.45 g/cm3: 0.030 cations/A^3 against silica's 0.022);
#: these place 3000 NS3 atoms for every seed tried.
DEFAULT_PAIR_SEPARATION: dict[str, float] = {"SiSi": 2.5, "SiO": 1.5, "OO": 2.2, "SiNa": 2.0, "NaNa": 2.0,
                                             "NaO": 1.6}
#: Separation (A) of an unlisted pair that includes the neutralizing species (a cation-anion pair).
CATION_ANION_SEPARATION = 1.6
#: Separation (A) of an unlisted pair of two other species.
CATION_CATION_SEPARATION = 2.0


def min_separations(system: System, min_separation: Mapping[str, float] | float | None = None) -> dict[str, float]:
    """Minimum separation (A) of every pair of ``system``: one number for all pairs, or a mapping by pair
    name overriding the defaults (see the module docstring); SystemDescriptionError naming an unknown pair
    or a value that is not a number in [0.5, 3] A."""
    anion = [s.symbol for s in system.species if s.charge == "neutralizing"]
    out = {}
    for pair, ab in system.pair_species.items():
        rule = CATION_ANION_SEPARATION if anion and anion[0] in ab else CATION_CATION_SEPARATION
        out[pair] = DEFAULT_PAIR_SEPARATION.get(pair, rule)
    if isinstance(min_separation, Mapping):
        for pair in min_separation:
            if pair not in out:
                raise SystemDescriptionError(f"{system.name}: min_separation for unknown pair {pair!r}"
                                             f"{close_match_hint(pair, out)}; pairs: {list(out)}")
        out.update(min_separation)
    elif min_separation is not None:
        out = {pair: min_separation for pair in out}
    for pair, d in out.items():
        ok = not isinstance(d, bool) and isinstance(d, (int, float)) and 0.5 <= d <= 3.0
        if not ok:
            raise SystemDescriptionError(f"{system.name}: min_separation of {pair} = {d!r} must be a number in "
                                         "[0.5, 3] A")
    return {pair: float(d) for pair, d in out.items()}


def random_system_configuration(system: System, n_units: int, density: float, seed: int,
                                min_separation: Mapping[str, float] | float | None = None,
                                max_tries: int = 1000) -> Configuration:
    """``n_units`` composition units of ``system`` placed at random in the cubic box that holds them at
    ``density`` g/cm3, every pair at least its :func:`min_separations` apart (minimum image). RuntimeError
    when an atom cannot be placed in ``max_tries`` attempts (too dense for those separations)."""
    seps = min_separations(system, min_separation)
    symbols = system.symbols
    separation = np.zeros((len(symbols), len(symbols)))
    for pair, (a, b) in system.pair_species.items():
        i, j = symbols.index(a), symbols.index(b)
        separation[i, j] = separation[j, i] = seps[pair]
    return random_insertion(system.atom_counts(n_units), system.box_length(n_units, density), seed, separation,
                            f"min_separation={seps}", max_tries)
