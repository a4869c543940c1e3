"""Roughness measures of a landscape window: the fraction of strict local minima and the power left
after removing a smooth quadratic (the paper's "rough, and rougher when zoomed in", made a number).

Units: as the surface measured (R_x as a fraction in a landscape file); grid steps in the parameters'
units (:data:`silica_explorer.forcefield.UNITS`).
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from ..evaluate import as_float


def _interior_surface(da: xr.DataArray) -> np.ndarray:
    z = np.asarray(da.values, dtype=float)
    if z.ndim != 2:
        raise ValueError(f"expected a 2-D surface, got dims {da.dims}")
    return z


def local_minima_fraction(da: xr.DataArray) -> float:
    """Fraction of interior grid points that are strict local minima over their 8 neighbours
    (points whose 3x3 neighbourhood has a NaN do not count as minima but stay in the denominator).
    A smooth bowl gives ~1/N_interior; a rough surface much more."""
    z = _interior_surface(da)
    ny, nx = z.shape
    if ny < 3 or nx < 3:
        return float("nan")
    c = z[1:-1, 1:-1]
    is_min = np.isfinite(c)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy == dx == 0:
                continue
            nb = z[1 + dy:ny - 1 + dy, 1 + dx:nx - 1 + dx]
            with np.errstate(invalid="ignore"):
                is_min &= np.isfinite(nb) & (c < nb)
    return float(is_min.sum() / c.size)


def high_frequency_power(da: xr.DataArray) -> dict:
    """Roughness after removing a smooth quadratic fit in the two (normalised) parameters.

    Returns ``rms_residual`` (RMS of the surface minus its least-squares quadratic, same units as
    the surface), ``residual_fraction`` (residual variance / total variance), ``hf_power_fraction``
    (fraction of the residual's 2-D spectral power above half the Nyquist frequency on either axis;
    NaN points are set to 0 in the residual) and ``n_finite``."""
    z = _interior_surface(da)
    ny, nx = z.shape
    v = np.linspace(-1, 1, ny)[:, None] * np.ones((1, nx))
    u = np.ones((ny, 1)) * np.linspace(-1, 1, nx)[None, :]
    ok = np.isfinite(z)
    if ok.sum() < 7:
        return {"rms_residual": float("nan"), "residual_fraction": float("nan"),
                "hf_power_fraction": float("nan"), "n_finite": int(ok.sum())}
    basis = np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], axis=-1)
    coef, *_ = np.linalg.lstsq(basis[ok], z[ok], rcond=None)
    resid = np.where(ok, z - basis @ coef, 0.0)
    total_var = float(np.var(z[ok]))
    res_var = float(np.mean(resid[ok] ** 2))
    P = np.abs(np.fft.fft2(resid)) ** 2
    fy = np.abs(np.fft.fftfreq(ny))[:, None] * np.ones((1, nx))
    fx = np.ones((ny, 1)) * np.abs(np.fft.fftfreq(nx))[None, :]
    high = (fx > 0.25) | (fy > 0.25)
    hf = float(P[high].sum() / P.sum()) if P.sum() > 0 else float("nan")
    return {"rms_residual": math.sqrt(res_var), "residual_fraction": res_var / total_var if total_var > 0 else float("nan"),
            "hf_power_fraction": hf, "n_finite": int(ok.sum())}


def roughness(ds: xr.Dataset, var: str = "R_x_mean") -> dict:
    """Both roughness figures of merit of one window Dataset (``var`` over its two parameter dims),
    plus the grid steps."""
    da = ds[var]
    if "seed" in da.dims:
        da = da.mean("seed")
    da = da.transpose(ds.attrs.get("y_param", da.dims[0]), ds.attrs.get("x_param", da.dims[1]))
    return {"window": str(ds.attrs.get("window", "")), "shape": list(da.shape),
            "x_step": as_float(ds.attrs.get("x_step")), "y_step": as_float(ds.attrs.get("y_step")),
            "local_minima_fraction": local_minima_fraction(da), **high_frequency_power(da),
            "range": float(np.nanmax(da.values) - np.nanmin(da.values)) if np.isfinite(da.values).any() else float("nan")}
