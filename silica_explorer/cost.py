"""The cost R_x of Liu et al. (2019), Eqs. (2)-(3).

    chi2_ab = sum_r (g_ab^ref(r) - g_ab^MD(r))^2 / sum_r g_ab^ref(r)^2      (per pair ab)
    R_x     = sqrt( mean over the pairs SiSi, SiO, OO of chi2_ab )

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

from .parameters import PAIRS


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


@dataclasses.dataclass(frozen=True)
class CostResult:
    """``chi2`` per pair, ``chi`` = sqrt(chi2) per pair, ``R_x`` global (fractions, not %)."""

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
    """``(r, g_ref, g_md)`` on the reference grid per the alignment rule; g arrays are (pair, r)."""
    if align not in ("exact", "interpolate"):
        raise ValueError(f"align must be 'exact' or 'interpolate', got {align!r}")
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
    g_ref = np.stack([reference.g.sel(pair=p).values[keep] for p in PAIRS])
    if align == "exact":
        idx = np.searchsorted(r_md, r - tol)
        idx = np.clip(idx, 0, len(r_md) - 1)
        bad = np.abs(r_md[idx] - r) > tol
        if np.any(bad):
            raise GridMismatchError(
                f"{int(bad.sum())} reference r points (first {r[bad][0]:.6f} A) are not MD bin centres "
                f"(MD dr = {md.attrs.get('dr', np.diff(r_md[:2])[0] if len(r_md) > 1 else float('nan'))} A); "
                "use the same binning or pass align='interpolate'")
        g_md = np.stack([md.g.sel(pair=p).values[idx] for p in PAIRS])
    else:
        g_md = np.stack([np.interp(r, r_md, md.g.sel(pair=p).values) for p in PAIRS])
    return r, g_ref, g_md


def rx(reference: xr.Dataset, md: xr.Dataset, r_range: tuple[float, float] | None = None,
       align: str = "exact") -> CostResult:
    """R_x of ``md`` against ``reference`` (both PDF Datasets, see :mod:`silica_explorer.structure`)."""
    r, g_ref, g_md = aligned(reference, md, r_range, align)
    if not np.all(np.isfinite(g_md)):
        raise ValueError("MD g(r) contains non-finite values")
    norm = np.sum(g_ref**2, axis=1)
    if np.any(norm <= 0):
        empty = [p for p, n in zip(PAIRS, norm) if n <= 0]
        raise ValueError(f"reference g(r) is zero everywhere in the r range for pair(s) {empty}")
    chi2 = np.sum((g_ref - g_md) ** 2, axis=1) / norm
    return CostResult(chi2={p: float(c) for p, c in zip(PAIRS, chi2)},
                      R_x=float(np.sqrt(np.mean(chi2))), n_points=int(r.size),
                      r_range=(float(r[0]), float(r[-1])))
