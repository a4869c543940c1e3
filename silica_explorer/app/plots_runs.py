"""Views of a stored run with many free parameters (HoloViews, Bokeh backend): parallel coordinates
coloured by R_x, GP slices with their uncertainty band. Pure functions, testable without a server.

Units: R_x in %, parameter values in their units (:data:`silica_explorer.parameters.UNITS`), unit-box
coordinates 0 (lower search bound) .. 1 (upper).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import holoviews as hv
import numpy as np
import xarray as xr

from .plots import PALETTE, message, param_dimension

UNIT_DIM = hv.Dimension("u", label="position in search range", range=(-0.02, 1.02))
AXIS_DIM = hv.Dimension("axis", label="free parameter")


def parallel_coordinates_plot(trace: Sequence[Mapping], names: Sequence[str], width: int = 760,
                              height: int = 330) -> hv.Overlay | hv.Text:
    """One line per evaluation across the free parameters (unit-box coordinates ``t['u']``), coloured by
    R_x (%) (darker = lower); failed evaluations grey dashed; the best so far thick red. Drawn as
    segments between neighbouring axes (one table, fast to render for hundreds of evaluations)."""
    pts = [t for t in trace if t.get("u") is not None and len(t["u"]) == len(names)]
    if not pts or not names or len(names) < 2:
        return message("parallel coordinates appear with the first evaluation", width=width, height=height)
    d = len(names)
    U = np.array([np.asarray(t["u"], dtype=float) for t in pts])
    R = np.array([100 * float(t["R_x"]) if t.get("status") == "ok" and np.isfinite(float(t["R_x"])) else np.nan
                  for t in pts])
    rd = hv.Dimension("R_x", label="R_x", unit="%")
    x0, x1 = np.arange(d - 1, dtype=float), np.arange(1, d, dtype=float)
    kd = [AXIS_DIM, UNIT_DIM, hv.Dimension("axis1"), hv.Dimension("u1")]

    def segments(rows: np.ndarray) -> tuple:
        n = len(rows)
        return (np.tile(x0, n), U[rows, :-1].ravel(), np.tile(x1, n), U[rows, 1:].ravel())

    ok = np.flatnonzero(np.isfinite(R))
    ok = ok[np.argsort(-R[ok])]  # best drawn last (on top)
    layers = []
    bad = np.flatnonzero(~np.isfinite(R))
    if bad.size:
        layers.append(hv.Segments(segments(bad), kd, label="failed").opts(
            color="#999999", line_dash="dashed", alpha=0.6, line_width=1))
    if ok.size:
        lo, hi = float(np.nanmin(R)), float(np.nanmax(R))
        layers.append(hv.Segments((*segments(ok), np.repeat(R[ok], d - 1)), kd, [rd]).opts(
            color="R_x", cmap="viridis", colorbar=True, clim=(lo, hi if hi > lo else lo + 1e-9), line_width=1.5,
            alpha=0.8))
        layers.append(hv.Segments(segments(ok[-1:]), kd, label="best so far").opts(color="#d62728", line_width=4))
    return hv.Overlay(layers).opts(
        title=f"parallel coordinates: {len(pts)} evaluations, colour R_x (%)", width=width, height=height,
        xticks=[(float(i), n) for i, n in enumerate(names)], show_grid=True, legend_position="top_right",
        xlim=(-0.2, d - 0.8), ylim=(-0.05, 1.05))


def stacked_traces_plot(trace: Sequence[Mapping], names: Sequence[str], width: int = 760,
                        height: int | None = None) -> hv.Overlay | hv.Text:
    """Parameter traces in one plot: one row per free parameter, its position in the search range
    (unit-box coordinate ``t['u']``, 0 = lower bound at the row's base line) versus evaluation; the best
    so far marked with a red star in every row."""
    pts = [t for t in trace if t.get("u") is not None and len(t["u"]) == len(names)]
    height = height or 60 + 45 * max(1, len(names))
    if not pts or not names:
        return message("parameter traces appear with the first evaluation", width=width, height=height)
    it = hv.Dimension("iteration", label="evaluation")
    yd = hv.Dimension("row", label="free parameter")
    n = np.array([int(t.get("iteration", i)) + 1 for i, t in enumerate(pts)])
    U = np.array([np.asarray(t["u"], dtype=float) for t in pts])
    R = np.array([float(t["R_x"]) if t.get("status") == "ok" else np.nan for t in pts])
    ib = int(np.nanargmin(R)) if np.isfinite(R).any() else None
    k = len(names)
    layers = []
    for j in range(k):
        y = (k - 1 - j) + 0.8 * U[:, j]
        layers.append(hv.Curve((n, y), it, yd).opts(color=PALETTE[j % len(PALETTE)], line_width=1.2, alpha=0.8))
    if ib is not None:
        layers.append(hv.Scatter(([n[ib]] * k, [(k - 1 - j) + 0.8 * U[ib, j] for j in range(k)]), it, yd,
                                 label="best so far").opts(color="#d62728", marker="star", size=11))
    ticks = [(float(k - 1 - j) + 0.4, name) for j, name in enumerate(names)]
    return hv.Overlay(layers).opts(title="parameter traces: position in the search range (row base = lower bound)",
                                   width=width, height=height, yticks=ticks, ylim=(-0.15, k), show_grid=True,
                                   legend_position="top_right")


def gp_slices_plot(ds: xr.Dataset, observed: Mapping[str, tuple] | None = None, width: int = 260,
                   height: int = 210) -> hv.Layout:
    """One panel per free parameter: the GP mean of R_x (%) along the parameter through the centre point
    (:func:`silica_explorer.analysis.gp_slices.gp_slices`), with a +-1 std band and the centre marked."""
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
