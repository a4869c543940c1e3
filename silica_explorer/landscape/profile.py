"""R_x along a straight line through a landscape window (for seeing how rough the landscape is).

:func:`line_profile` samples a window of a landscape file (:mod:`silica_explorer.landscape`; a Dataset
with ``R_x_mean`` over its two parameters, optional ``R_x_std`` and ``n_ok``) along the segment from
``start`` to ``end`` (parameter units) by bilinear interpolation between grid nodes. A sample next to a
failed node gets no value (interpolating across a failed melt would invent one) and is marked failed when
its nearest node failed on every seed.
"""

from __future__ import annotations

import numpy as np
import xarray as xr


def line_profile(window: xr.Dataset, start: tuple[float, float], end: tuple[float, float],
                 n: int = 80, var: str = "R_x_mean", seed: int | None = None) -> xr.Dataset:
    """R_x (%) at ``n`` points along start -> end (``(x, y)`` in the window's ``x_param``/``y_param``
    units, clipped to the window). ``var``: ``"R_x_mean"`` (mean over seeds) or ``"R_x"`` of ``seed``.

    Returns a Dataset over ``s`` (0 at start, 1 at end): ``x``, ``y``, ``R_x`` (%), ``R_x_err`` (the
    seed-to-seed standard deviation in %, nan where the file has none: one seed, or ``var="R_x"``),
    ``failed`` (nearest node failed on every seed) and attrs ``x_param``, ``y_param``."""
    xn, yn = window.attrs["x_param"], window.attrs["y_param"]
    if int(n) < 2:
        raise ValueError(f"n (points along the line) must be >= 2, got {n}")
    xs, ys = window[xn].values, window[yn].values
    s = np.linspace(0.0, 1.0, int(n))
    x = np.clip(start[0] + s * (end[0] - start[0]), xs.min(), xs.max())
    y = np.clip(start[1] + s * (end[1] - start[1]), ys.min(), ys.max())
    at = {xn: xr.DataArray(x, dims="s"), yn: xr.DataArray(y, dims="s")}
    if var == "R_x":
        da = window.R_x.sel(seed=seed if seed is not None else int(window.seed.values[0]))
    else:
        da = window[var]
    value = 100 * da.interp(at, method="linear").values
    err = np.full(s.size, np.nan)
    if var == "R_x_mean" and "R_x_std" in window and window.sizes.get("seed", 1) > 1:
        err = 100 * window.R_x_std.interp(at, method="linear").values
    if "n_ok" in window:
        failed = window.n_ok.sel(at, method="nearest").values == 0
    else:
        failed = ~np.isfinite(da.sel(at, method="nearest").values)
    return xr.Dataset(
        {"x": ("s", x, {"units": window[xn].attrs.get("units", "")}),
         "y": ("s", y, {"units": window[yn].attrs.get("units", "")}),
         "R_x": ("s", value, {"units": "%"}), "R_x_err": ("s", err, {"units": "%"}),
         "failed": ("s", np.asarray(failed, dtype=bool))},
        coords={"s": s}, attrs={"x_param": xn, "y_param": yn})
