"""Neutron scattering of an SiO2 glass from its partial g(r): Faber-Ziman weights, S(Q), T(r) and the FSDP.

Conventions (Faber-Ziman; Keen, J. Appl. Cryst. 34, 172 (2001)):

- weights ``w_ab = (2 - delta_ab) c_a c_b b_a b_b / <b>^2`` with ``<b> = sum_a c_a b_a`` over the unordered
  pairs SiSi, SiO, OO (they sum to 1); scattering lengths :data:`SCATTERING_LENGTHS_FM` (Sears 1992);
- partial structure factors ``S_ab(Q) = 1 + 4 pi rho int_0^R r^2 (g_ab(r) - 1) sin(Qr)/(Qr) M(r) dr`` with the
  total number density ``rho`` (atoms/A^3), ``R`` the end of the g(r) grid and the Lorch window
  ``M(r) = sin(pi r/R) / (pi r/R)`` (``window="none"``: M = 1); the integral is the sum over the g(r)
  bins with their exact shell volumes, so it equals a Debye sum over the binned pairs;
- the total ``S(Q) = sum_ab w_ab S_ab(Q)`` (-> 1 at large Q);
- ``G(r) = sum_ab w_ab g_ab(r)``, ``T(r) = 4 pi rho r G(r)`` (A^-2) and ``D(r) = T(r) - 4 pi rho r``;
- the first sharp diffraction peak (FSDP): the maximum of S(Q) between :data:`FSDP_WINDOW` (1/A),
  refined by a parabola through the points within 0.15 1/A.

Units: Q in 1/A, r in A, scattering lengths in fm, number density in 1/A^3.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import xarray as xr

from ..parameters import PAIR_SPECIES, PAIRS

#: Coherent neutron scattering lengths (fm): Sears 1992 (as ``data/glass_anchors.json``).
SCATTERING_LENGTHS_FM = {"Si": 4.1491, "O": 5.803}
#: Atomic fractions of SiO2.
SIO2_CONCENTRATIONS = {"Si": 1.0 / 3.0, "O": 2.0 / 3.0}
#: Q window (1/A) in which the FSDP is looked for.
FSDP_WINDOW = (0.8, 2.2)
#: Default Q grid (1/A) of the structure factor.
DEFAULT_Q = np.round(np.arange(0.3, 20.0 + 1e-9, 0.02), 6)
WINDOWS = ("lorch", "none")


def faber_ziman_weights(concentrations: Mapping[str, float] = SIO2_CONCENTRATIONS,
                        lengths_fm: Mapping[str, float] = SCATTERING_LENGTHS_FM) -> dict[str, float]:
    """Faber-Ziman weights of the unordered pairs (``"SiSi"``, ``"SiO"``, ``"OO"``); they sum to 1."""
    mean_b = sum(concentrations[s] * lengths_fm[s] for s in concentrations)
    out = {}
    for pair in PAIRS:
        a, b = PAIR_SPECIES[pair]
        out[pair] = (1.0 if a == b else 2.0) * concentrations[a] * concentrations[b] * lengths_fm[a] * lengths_fm[b] \
            / mean_b**2
    return out


def lorch_window(r, r_max: float) -> np.ndarray:
    """Lorch modification function sin(pi r/R) / (pi r/R) (1 at r = 0, 0 at r = R)."""
    return np.sinc(np.asarray(r, dtype=float) / r_max)


def number_density(pdf: xr.Dataset) -> float:
    """Total number density (atoms/A^3) from a PDF Dataset's ``n_Si``, ``n_O`` and ``volume`` attrs."""
    for key in ("n_Si", "n_O", "volume"):
        if key not in pdf.attrs:
            raise ValueError(f"PDF dataset lacks attrs[{key!r}], needed for the number density")
    return (pdf.attrs["n_Si"] + pdf.attrs["n_O"]) / pdf.attrs["volume"]


def structure_factors(pdf: xr.Dataset, q=DEFAULT_Q, weights: Mapping[str, float] | None = None,
                      window: str = "lorch", rho: float | None = None) -> xr.Dataset:
    """Partial (``S_partial``, dims ``pair``, ``Q``) and neutron-weighted total (``S``, dim ``Q``) structure
    factors from the partial g(r) of ``pdf`` (see module docstring). ``weights`` default
    :func:`faber_ziman_weights`; ``rho`` default :func:`number_density` of ``pdf``."""
    if window not in WINDOWS:
        raise ValueError(f"window = {window!r} must be one of {list(WINDOWS)}")
    weights = dict(weights or faber_ziman_weights())
    rho = number_density(pdf) if rho is None else float(rho)
    q = np.asarray(q, dtype=float)
    if np.any(q <= 0):
        raise ValueError("Q must be > 0 1/A")
    r = pdf.r.values
    dr = float(pdf.attrs["dr"])
    r_max = float(r[-1] + 0.5 * dr)
    shell = 4.0 / 3.0 * np.pi * ((r + 0.5 * dr) ** 3 - np.clip(r - 0.5 * dr, 0, None) ** 3)
    m = lorch_window(r, r_max) if window == "lorch" else np.ones_like(r)
    kernel = np.sinc(np.outer(q, r) / np.pi) * (m * shell)[None, :]  # sin(Qr)/(Qr) M(r) dV
    partial = np.stack([1.0 + rho * kernel @ (pdf.g.sel(pair=p).values - 1.0) for p in PAIRS])
    total = sum(weights[p] * partial[k] for k, p in enumerate(PAIRS))
    return xr.Dataset(
        {"S_partial": (("pair", "Q"), partial, {"units": "1", "long_name": "Faber-Ziman partial structure factor"}),
         "S": ("Q", total, {"units": "1", "long_name": "neutron-weighted total structure factor (Faber-Ziman)"})},
        coords={"pair": ("pair", list(PAIRS)), "Q": ("Q", q, {"units": "1/A"})},
        attrs={"window": window, "r_max_A": r_max, "number_density_per_A3": rho,
               **{f"weight_{p}": float(weights[p]) for p in PAIRS}})


def total_correlation(pdf: xr.Dataset, weights: Mapping[str, float] | None = None,
                      rho: float | None = None) -> xr.Dataset:
    """``G(r)`` (1), ``T(r) = 4 pi rho r G(r)`` (1/A^2) and ``D(r) = T(r) - 4 pi rho r`` (1/A^2), neutron
    weighted (Faber-Ziman), from the partial g(r) of ``pdf``."""
    weights = dict(weights or faber_ziman_weights())
    rho = number_density(pdf) if rho is None else float(rho)
    r = pdf.r.values
    G = sum(weights[p] * pdf.g.sel(pair=p).values for p in PAIRS)
    T = 4 * np.pi * rho * r * G
    return xr.Dataset({"G_total": ("r", G, {"units": "1", "long_name": "neutron-weighted total g(r)"}),
                       "T": ("r", T, {"units": "1/A^2", "long_name": "total correlation function T(r)"}),
                       "D": ("r", T - 4 * np.pi * rho * r, {"units": "1/A^2", "long_name": "differential correlation D(r)"})},
                      coords={"r": pdf.r})


def peak_position(x, y, window: tuple[float, float], half_width: float) -> tuple[float, float]:
    """Position and height of the maximum of ``y(x)`` inside ``window``, refined by a least-squares parabola
    through the points within ``half_width`` of the highest one; (nan, nan) if the window is empty."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    inside = np.flatnonzero((x >= window[0]) & (x <= window[1]) & np.isfinite(y))
    if inside.size == 0:
        return float("nan"), float("nan")
    k = inside[np.argmax(y[inside])]
    near = np.abs(x - x[k]) <= half_width + 1e-12
    if near.sum() < 3:
        return float(x[k]), float(y[k])
    c2, c1, c0 = np.polyfit(x[near] - x[k], y[near], 2)
    if c2 >= 0:
        return float(x[k]), float(y[k])
    dx = float(np.clip(-c1 / (2 * c2), -half_width, half_width))
    return float(x[k] + dx), float(c0 + c1 * dx + c2 * dx * dx)


def fsdp(sq: xr.Dataset) -> tuple[float, float]:
    """Position (1/A) and height of the first sharp diffraction peak of ``sq.S`` (see module docstring)."""
    return peak_position(sq.Q.values, sq.S.values, FSDP_WINDOW, 0.15)
