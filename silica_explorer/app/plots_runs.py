"""Views of a stored run with many free parameters (HoloViews, Bokeh backend): parallel coordinates
coloured by R_x, GP slices with their uncertainty band. Pure functions, testable without a server.

Units: R_x in %, parameter values in their units (:data:`silica_explorer.forcefield.UNITS`), unit-box
coordinates 0 (lower search bound) .. 1 (upper).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import holoviews as hv
import numpy as np
import xarray as xr

from .plots import message, param_dimension

UNIT_DIM = hv.Dimension("u", label="position in the search range (0 = lower bound, 1 = upper)", range=(-0.02, 1.02))
AXIS_DIM = hv.Dimension("axis", label="free parameter")


def parallel_coordinates_plot(trace: Sequence[Mapping], names: Sequence[str], width: int = 760,
                              height: int = 330) -> hv.Overlay | hv.Text:
    """One line per evaluation across the free parameters (unit-box coordinates ``t['u']``), coloured by
    R_x (%) (darker = lower); failed evaluations grey dashed; the best so far thick red."""
    pts = [t for t in trace if t.get("u") is not None and len(t["u"]) == len(names)]
    if not pts or not names:
        return message("parallel coordinates appear with the first evaluation", width=width, height=height)
    x = np.arange(len(names), dtype=float)
    R = np.array([100 * float(t["R_x"]) if t.get("status") == "ok" and np.isfinite(float(t["R_x"])) else np.nan
                  for t in pts])
    rd = hv.Dimension("R_x", label="R_x", unit="%")
    ok = [{"axis": x, "u": np.asarray(t["u"], dtype=float), "R_x": r} for t, r in zip(pts, R) if np.isfinite(r)]
    ok.sort(key=lambda d: -d["R_x"])  # best drawn last (on top)
    layers = []
    bad = [{"axis": x, "u": np.asarray(t["u"], dtype=float)} for t, r in zip(pts, R) if not np.isfinite(r)]
    if bad:
        layers.append(hv.Path(bad, [AXIS_DIM, UNIT_DIM], label="failed").opts(
            color="#999999", line_dash="dashed", alpha=0.6, line_width=1))
    if ok:
        lo, hi = float(np.nanmin(R)), float(np.nanmax(R))
        layers.append(hv.Path(ok, [AXIS_DIM, UNIT_DIM], vdims=[rd]).opts(
            color="R_x", cmap="viridis", colorbar=True, clim=(lo, hi if hi > lo else lo + 1e-9), line_width=1.5,
            alpha=0.8))
        best = min(ok, key=lambda d: d["R_x"])
        layers.append(hv.Path([best], [AXIS_DIM, UNIT_DIM], vdims=[rd], label="best so far").opts(
            color="#d62728", line_width=4))
    return hv.Overlay(layers).opts(
        title=f"parallel coordinates: {len(pts)} evaluations, colour R_x (%)", width=width, height=height,
        xticks=[(float(i), n) for i, n in enumerate(names)], show_grid=True, legend_position="top_right",
        xlim=(-0.2, len(names) - 0.8))


def gp_slices_plot(ds: xr.Dataset, observed: Mapping[str, tuple] | None = None, width: int = 260,
                   height: int = 210) -> hv.Layout:
    """One panel per free parameter: the GP mean of R_x (%) along the parameter through the centre point
    (:func:`silica_explorer.optimize.slices.gp_slices`), with a +-1 std band and the centre marked."""
    rd = hv.Dimension("R_x", label="GP R_x", unit="%")
    panels = []
    for name in [str(p) for p in ds.parameter.values]:
        s = ds.sel(parameter=name)
        pd = param_dimension(name)
        v, m, sd = s.value.values, s["mean"].values, s["std"].values
        band = hv.Spread((v, m, sd), pd, [rd, "std"]).opts(color="#1f77b4", alpha=0.25)
        curve = hv.Curve((v, m), pd, rd).opts(color="#1f77b4", line_width=2)
        c = float(s.center_value)
        centre = hv.VLine(c).opts(color="#d62728", line_dash="dashed", line_width=1.5)
        panels.append((band * curve * centre).opts(title=name, width=width, height=height, show_grid=True))
    return hv.Layout(panels).cols(4).opts(shared_axes=False)
