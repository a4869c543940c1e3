"""The parameter schema of Eq. (1): names, units, search bounds and hard limits of every parameter.

    U_ij(r) = k_e q_i q_j / r + A_ij exp(-r / rho_ij) - C_ij / r^6 + D_ij / r^24

Units: ``q_Si`` in e, ``A_<pair>`` in eV, ``rho_<pair>`` in A, ``C_<pair>`` in eV A^6, ``D_<pair>`` in
eV A^24, ``alpha`` (DSF damping) in 1/A and ``r_cut`` in A (:data:`UNITS`). ``<pair>`` is one of
:data:`PAIRS`. Every bad value raises :class:`ParameterError` naming the parameter and its allowed range
(:func:`range_text`). The forcefield itself is :class:`silica_explorer.forcefield.ForceField`.
"""

from __future__ import annotations

import math
from typing import Sequence

#: Pair names in the fixed order used everywhere (datasets, vectors, tables).
PAIRS: tuple[str, ...] = ("SiSi", "SiO", "OO")
#: Species of each pair.
PAIR_SPECIES = {"SiSi": ("Si", "Si"), "SiO": ("Si", "O"), "OO": ("O", "O")}

#: The 10 free parameters of the paper, in their canonical order.
FREE_PARAMETERS: tuple[str, ...] = (
    "q_Si",
    "A_SiO", "rho_SiO", "C_SiO",
    "A_OO", "rho_OO", "C_OO",
    "A_SiSi", "rho_SiSi", "C_SiSi",
)

#: Every numeric parameter of a forcefield: the free ones first, then the fixed D, alpha and r_cut.
ALL_PARAMETERS: tuple[str, ...] = FREE_PARAMETERS + ("D_SiO", "D_OO", "D_SiSi", "alpha", "r_cut")

#: Units of every parameter (for labels and xarray attrs).
UNITS = {
    "q_Si": "e",
    **{f"A_{p}": "eV" for p in PAIRS},
    **{f"rho_{p}": "A" for p in PAIRS},
    **{f"C_{p}": "eV A^6" for p in PAIRS},
    **{f"D_{p}": "eV A^24" for p in PAIRS},
    "alpha": "1/A",
    "r_cut": "A",
}

#: Default search box of each free parameter for optimizers and landscapes (inclusive; units of
#: :data:`UNITS`). These are *search* bounds; :data:`VALID_RANGE` holds the hard physical limits that
#: validation enforces.
SEARCH_BOUNDS: dict[str, tuple[float, float]] = {
    "q_Si": (1.5, 2.6),
    "A_SiO": (10000.0, 55000.0),
    "rho_SiO": (0.15, 0.23),
    "C_SiO": (0.0, 200.0),
    "A_OO": (500.0, 10000.0),
    "rho_OO": (0.25, 0.40),
    "C_OO": (0.0, 250.0),
    "A_SiSi": (0.0, 4000.0),
    "rho_SiSi": (0.20, 0.45),
    "C_SiSi": (0.0, 700.0),
}

#: Hard limits ``(low, high, low_inclusive)`` in the units of :data:`UNITS`; ``high`` is always inclusive.
VALID_RANGE: dict[str, tuple[float, float, bool]] = {
    "q_Si": (0.0, 4.0, False),
    **{f"A_{p}": (0.0, math.inf, True) for p in PAIRS},
    **{f"rho_{p}": (0.0, math.inf, False) for p in PAIRS},
    **{f"C_{p}": (0.0, math.inf, True) for p in PAIRS},
    **{f"D_{p}": (0.0, math.inf, True) for p in PAIRS},
    "alpha": (0.0, math.inf, False),
    "r_cut": (2.0, math.inf, False),
}

#: Fixed repulsion D_ij of the paper (eV A^24).
PAPER_D = {"SiO": 29.0, "OO": 113.0, "SiSi": 3423200.0}


class ParameterError(ValueError):
    """A forcefield parameter is missing, unknown, not finite or outside its allowed range."""


def range_text(name: str) -> str:
    """The allowed range of parameter ``name`` as interval text, e.g. ``"(0, 4]"`` or ``"[0, inf)"``
    (units not included; see :data:`UNITS`)."""
    lo, hi, lo_incl = VALID_RANGE[name]
    left = "[" if lo_incl else "("
    right = "]" if math.isfinite(hi) else ")"
    return f"{left}{lo:g}, {hi:g}{right}"


def check_pair(pair: str) -> str:
    """``pair`` if it is one of :data:`PAIRS`, else ParameterError naming the allowed pairs."""
    if pair not in PAIRS:
        raise ParameterError(f"unknown pair {pair!r}; allowed: {list(PAIRS)}")
    return pair


def check_names(names: Sequence[str]) -> None:
    """ParameterError unless ``names`` are distinct members of :data:`ALL_PARAMETERS`."""
    allowed = ALL_PARAMETERS
    bad = [n for n in names if n not in allowed]
    if bad:
        raise ParameterError(f"unknown parameter name(s) {bad}; allowed: {list(allowed)}")
    if len(set(names)) != len(names):
        raise ParameterError(f"duplicate parameter names in {list(names)}")
