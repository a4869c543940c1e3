"""The cost R_x of Liu et al. (2019), Eqs. (2)-(3), for a system of any number of species.

    chi2_ab = sum_r (g_ab^ref(r) - g_ab^MD(r))^2 / sum_r g_ab^ref(r)^2      (per pair ab)     Eq. (2)
    R_x     = sqrt( sum_ab w_ab chi2_ab / sum_ab w_ab )                                        Eq. (3)

**Pairs.** The sums run over every pair of the reference's ``pair`` coordinate, in its order: for a
system of N species its N (N + 1) / 2 partial g(r) (silica: SiSi, SiO, OO; sodium trisilicate: SiSi,
SiNa, SiO, NaNa, NaO, OO). The MD PDF must hold exactly those pairs: a pair missing on either side is one
:class:`PairMismatchError` naming it.

**Weights.** The paper's Eq. (3) is the plain mean of the three silica chi2, i.e. equal weights
w_ab = 1 / n_pairs. That is the default here for any system (``weights=None``): R_x = sqrt(mean over the
reference's pairs of chi2_ab), and silica's R_x is its special case n_pairs = 3, computed by the same
arithmetic (``np.mean``), so it is bitwise today's. Each pair's chi2 is already normalised by its own
reference, so equal weights make every pair count alike however few atoms it has. The alternative
that follows the concentrations, :func:`pair_weights` ``(system, "concentration")``, is the Faber-Ziman
weight with unit scattering lengths, w_ab = c_a c_b (2 - delta_ab) with c_a the atomic fraction of
species a (summing to 1): silica 1/9, 4/9, 4/9 (not the paper's R_x); NS3 (c = 3/12, 2/12, 7/12) weights
NaNa 1/36 and OO 49/144. Explicit weights (a mapping pair -> w >= 0, one per compared pair, not all 0)
give Eq. (3) with those w_ab.

Per-pair "chi" values reported (as in the paper's Table II) are sqrt(chi2_ab). All are dimensionless
fractions; multiply by 100 for %.

**r range and grid alignment.** The sums run over the reference's r grid (bin centres), restricted to
``r_range`` (A, inclusive; default: the whole reference grid) and to r values the MD PDF covers.
``align='exact'`` (default) requires every reference r in that range to coincide with an MD bin centre
(within 1e-6 A) and raises :class:`GridMismatchError` otherwise - PDFs on different grids are never
compared silently. ``align='interpolate'`` explicitly interpolates the MD g(r) linearly onto the
reference grid (only inside the MD grid's range). Reference points outside the MD grid are dropped
only if ``r_range`` excludes them; otherwise that too is an error.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np
import xarray as xr

from typing import Mapping

from .systems.description import System

#: The pair weightings :func:`pair_weights` knows (see the module docstring).
WEIGHTINGS = ("equal", "concentration")


def reference_fingerprint(reference: xr.Dataset) -> str:
    """Content hash (16 hex digits) of a reference PDF Dataset: its pairs, r grid and g values (the
    ``reference_id`` of a cost's identity, part of the evaluation store's cache key)."""
    h = hashlib.sha256()
    h.update(json.dumps([str(p) for p in reference.pair.values], separators=(",", ":")).encode())
    h.update(np.ascontiguousarray(reference.r.values, dtype=float).tobytes())
    h.update(np.ascontiguousarray(reference.g.values, dtype=float).tobytes())
    return h.hexdigest()[:16]


class GridMismatchError(ValueError):
    """Reference and MD PDFs are not on compatible r grids for the requested alignment."""


class PairMismatchError(ValueError):
    """Reference and MD PDFs do not hold the same pairs (the message names the missing ones)."""


def cost_pairs(reference: xr.Dataset, md: xr.Dataset) -> tuple[str, ...]:
    """The pairs R_x compares: the reference's ``pair`` coordinate, in its order. PairMismatchError naming
    every pair the MD PDF lacks or the reference lacks."""
    ref = tuple(str(p) for p in reference.pair.values)
    have = [str(p) for p in md.pair.values]
    lacking_md = [p for p in ref if p not in have]
    lacking_ref = [p for p in have if p not in ref]
    if lacking_md or lacking_ref:
        parts = ([f"the MD PDF lacks pair(s) {lacking_md}"] if lacking_md else []) + (
            [f"the reference lacks pair(s) {lacking_ref}"] if lacking_ref else [])
        raise PairMismatchError(f"{'; '.join(parts)} (reference pairs {list(ref)}, MD pairs {have})")
    return ref


def pair_weights(system: System, weighting: str = "equal") -> dict[str, float]:
    """Eq. (3) weight of every pair of ``system`` (summing to 1): ``"equal"`` 1 / n_pairs (the paper's,
    the default of :func:`rx`) or ``"concentration"`` c_a c_b (2 - delta_ab) with the atomic fractions c
    of one composition unit (Faber-Ziman with unit scattering lengths)."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {list(WEIGHTINGS)}, got {weighting!r}")
    if weighting == "equal":
        return {p: 1.0 / len(system.pairs) for p in system.pairs}
    counts = system.unit_counts()
    total = sum(counts.values())
    return {p: counts[a] * counts[b] * (1 if a == b else 2) / total**2 for p, (a, b) in system.pair_species.items()}


def check_weights(weights: Mapping[str, float], pairs: tuple[str, ...]) -> np.ndarray:
    """``weights`` as an array in ``pairs`` order; ValueError naming a compared pair without a weight, a
    weight for a pair not compared, or a weight that is negative or not finite, or all weights zero."""
    missing = [p for p in pairs if p not in weights]
    extra = [p for p in weights if p not in pairs]
    if missing or extra:
        raise ValueError(f"weights: pair(s) without a weight {missing}, weights of pairs not compared {extra}; "
                         f"compared pairs {list(pairs)}")
    w = np.array([float(weights[p]) for p in pairs])
    bad = [p for p, v in zip(pairs, w) if not (np.isfinite(v) and v >= 0)]
    if bad or not w.sum() > 0:
        raise ValueError(f"weights must be finite and >= 0 with a positive sum; bad pair(s) {bad}, got {dict(weights)}")
    return w


@dataclasses.dataclass(frozen=True)
class CostResult:
    """``chi2`` per pair, ``chi`` = sqrt(chi2) per pair, ``R_x`` global (fractions, not %), over the
    compared pairs (the keys of ``chi2``, the reference's order)."""

    chi2: dict[str, float]
    R_x: float
    n_points: int
    r_range: tuple[float, float]

    @property
    def chi(self) -> dict[str, float]:
        return {p: float(np.sqrt(v)) for p, v in self.chi2.items()}

    def as_dict(self) -> dict:
        return {"R_x": self.R_x, "chi": self.chi, "chi2": dict(self.chi2), "n_points": self.n_points,
                "r_range": list(self.r_range)}


def aligned(reference: xr.Dataset, md: xr.Dataset, r_range: tuple[float, float] | None = None,
            align: str = "exact", tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(r, g_ref, g_md)`` on the reference grid per the alignment rule; g arrays are (pair, r) over
    :func:`cost_pairs` (the reference's pairs, in its order)."""
    if align not in ("exact", "interpolate"):
        raise ValueError(f"align must be 'exact' or 'interpolate', got {align!r}")
    pairs = cost_pairs(reference, md)
    r_ref = reference.r.values
    lo, hi = r_range if r_range is not None else (r_ref[0], r_ref[-1])
    if lo > hi:
        raise ValueError(f"r_range {r_range} is empty")
    keep = (r_ref >= lo - tol) & (r_ref <= hi + tol)
    r = r_ref[keep]
    if r.size == 0:
        raise GridMismatchError(f"no reference r points in r_range {r_range}")
    r_md = md.r.values
    outside = (r < r_md[0] - tol) | (r > r_md[-1] + tol)
    if np.any(outside):
        raise GridMismatchError(
            f"reference r in [{r[outside].min():.4f}, {r[outside].max():.4f}] A lies outside the MD grid "
            f"[{r_md[0]:.4f}, {r_md[-1]:.4f}] A; pass r_range to restrict the cost")
    g_ref = np.stack([reference.g.sel(pair=p).values[keep] for p in pairs])
    if align == "exact":
        idx = np.searchsorted(r_md, r - tol)
        idx = np.clip(idx, 0, len(r_md) - 1)
        bad = np.abs(r_md[idx] - r) > tol
        if np.any(bad):
            raise GridMismatchError(
                f"{int(bad.sum())} reference r points (first {r[bad][0]:.6f} A) are not MD bin centres "
                f"(MD dr = {md.attrs.get('dr', np.diff(r_md[:2])[0] if len(r_md) > 1 else float('nan'))} A); "
                "use the same binning or pass align='interpolate'")
        g_md = np.stack([md.g.sel(pair=p).values[idx] for p in pairs])
    else:
        g_md = np.stack([np.interp(r, r_md, md.g.sel(pair=p).values) for p in pairs])
    return r, g_ref, g_md


def rx(reference: xr.Dataset, md: xr.Dataset, r_range: tuple[float, float] | None = None,
       align: str = "exact", weights: Mapping[str, float] | None = None) -> CostResult:
    """R_x of ``md`` against ``reference`` (both PDF Datasets, see :mod:`silica_explorer.structure`) over
    the reference's pairs; ``weights`` (pair -> w_ab) as in the module docstring, None for the paper's
    equal weights."""
    r, g_ref, g_md = aligned(reference, md, r_range, align)
    pairs = cost_pairs(reference, md)
    if not np.all(np.isfinite(g_md)):
        raise ValueError("MD g(r) contains non-finite values")
    norm = np.sum(g_ref**2, axis=1)
    if np.any(norm <= 0):
        empty = [p for p, n in zip(pairs, norm) if n <= 0]
        raise ValueError(f"reference g(r) is zero everywhere in the r range for pair(s) {empty}")
    chi2 = np.sum((g_ref - g_md) ** 2, axis=1) / norm
    if weights is None:
        mean = np.mean(chi2)
    else:
        w = check_weights(weights, pairs)
        mean = np.sum(w * chi2) / np.sum(w)
    return CostResult(chi2={p: float(c) for p, c in zip(pairs, chi2)},
                      R_x=float(np.sqrt(mean)), n_points=int(r.size),
                      r_range=(float(r[0]), float(r[-1])))
