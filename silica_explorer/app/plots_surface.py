"""Landscape roughness views: the R_x profile along a line, and a 3-D surface of a window drawn with
Bokeh (an oblique projection of the grid's cells, painted back to front; no WebGL or extra library).

:class:`SurfacePlot` and :class:`ProfilePlot` are Bokeh figures built once per landscape whose data are
replaced when the window, colour variable, view angle or line changes: an update sends only new column
data to the browser. Rebuilding them as HoloViews plots took most of a second of the server's event
loop, which every browser session shares. Testable without a server.

Units: R_x in %, parameters in their units.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from bokeh.models import ColorBar, ColumnDataSource, HoverTool, LinearColorMapper
from bokeh.palettes import Viridis256

from .plots import landscape_window, unit_label
from .plots_replay import bokeh_figure, clear_sources, legend_items_follow_data


def project(x, y, z, azimuth: float, elevation: float):
    """Screen coordinates and depth of points (x, y, z) (each already scaled to about [0, 1]) seen from
    ``azimuth`` degrees around the vertical axis and ``elevation`` degrees above the x-y plane.
    Returns ``(X, Y, depth)``; larger depth = farther from the viewer. At elevation 90 the view is from
    the top (X, Y = the rotated x, y); at elevation 0 from the side (Y = z)."""
    a, e = np.radians(azimuth), np.radians(elevation)
    xc, yc = np.asarray(x, float) - 0.5, np.asarray(y, float) - 0.5
    xr_ = xc * np.cos(a) - yc * np.sin(a)
    yr_ = xc * np.sin(a) + yc * np.cos(a)
    z = np.asarray(z, float)
    X = xr_
    Y = yr_ * np.sin(e) + z * np.cos(e)
    depth = yr_ * np.cos(e) - z * np.sin(e)
    return X, Y, depth


def surface_cells(ds: xr.Dataset, var: str = "R_x_mean", seed: int | None = None, azimuth: float = -40.0,
                  elevation: float = 35.0) -> dict | None:
    """The window's R_x (%) as projected quadrilaterals, one per grid cell, sorted back to front:
    ``cells`` (``xs``, ``ys``: screen corners; ``R_x``: the cell's mean) for cells whose four nodes have a
    value, ``floor`` (``xs``, ``ys``) for cells touching a failed node (drawn grey at the floor), ``axes``
    (``xs``, ``ys`` of the box's three edges), ``labels`` (``x``, ``y``, ``text``) and ``zlim`` (R_x range).
    None where no surface can be drawn (a grid under 2 x 2, or no successful node)."""
    xn, yn = ds.attrs.get("x_param"), ds.attrs.get("y_param")
    z = landscape_window(ds, var, seed).transpose(yn, xn).values
    xs, ys = ds[xn].values, ds[yn].values
    if len(xs) < 2 or len(ys) < 2 or not np.isfinite(z).any():
        return None
    zlo, zhi = float(np.nanmin(z)), float(np.nanmax(z))
    zs = 0.6 * (z - zlo) / (zhi - zlo if zhi > zlo else 1.0)
    gx, gy = (xs - xs[0]) / (xs[-1] - xs[0]), (ys - ys[0]) / (ys[-1] - ys[0])
    # corners of every cell (j, i): (j, i), (j, i+1), (j+1, i+1), (j+1, i), as arrays of shape (cells, 4)
    J, I = np.meshgrid(np.arange(len(ys) - 1), np.arange(len(xs) - 1), indexing="ij")
    cj = np.stack([J, J, J + 1, J + 1], axis=-1).reshape(-1, 4)
    ci = np.stack([I, I + 1, I + 1, I], axis=-1).reshape(-1, 4)
    cz = zs[cj, ci]
    ok = np.isfinite(cz).all(axis=1)
    X, Y, D = project(gx[ci], gy[cj], np.where(ok[:, None], cz, 0.0), azimuth, elevation)
    depth = D.mean(axis=1)
    mean = np.where(ok, z[cj, ci].mean(axis=1), np.nan)

    def group(mask):
        idx = np.flatnonzero(mask)
        idx = idx[np.argsort(-depth[idx], kind="stable")]  # far cells first: the near ones paint over them
        return {"xs": list(X[idx]), "ys": list(Y[idx])}, idx

    cells, idx = group(ok)
    cells["R_x"] = mean[idx]
    floor, _ = group(~ok)
    corners = {"x": ([0, 1], [0, 0], [0, 0]), "y": ([0, 0], [0, 1], [0, 0]), "z": ([0, 0], [0, 0], [0, 0.6])}
    texts = {"x": f"{xn} {xs[0]:.4g} → {xs[-1]:.4g}", "y": f"{yn} {ys[0]:.4g} → {ys[-1]:.4g}",
             "z": f"R_x {zlo:.3g} → {zhi:.3g} %"}
    ends = {k: project(*c, azimuth, elevation)[:2] for k, c in corners.items()}
    axes = {"xs": [e[0] for e in ends.values()], "ys": [e[1] for e in ends.values()]}
    labels = {"x": [float(e[0][1]) for e in ends.values()], "y": [float(e[1][1]) for e in ends.values()],
              "text": list(texts.values())}
    return {"cells": cells, "floor": floor, "axes": axes, "labels": labels, "zlim": (zlo, zhi)}


class SurfacePlot:
    """The 3-D surface of a landscape window (:func:`surface_cells`) as one Bokeh figure: cells coloured
    by their mean R_x (viridis, colour bar), failed cells grey at the floor, the box's edges labelled.
    ``sources``: ``cells``, ``floor``, ``axes``, ``labels``; :meth:`show` replaces them."""

    def __init__(self, width: int = 560, height: int = 430):
        self.sources = {"cells": ColumnDataSource({"xs": [], "ys": [], "R_x": []}),
                        "floor": ColumnDataSource({"xs": [], "ys": []}),
                        "axes": ColumnDataSource({"xs": [], "ys": []}),
                        "labels": ColumnDataSource({"x": [], "y": [], "text": []})}
        self.mapper = LinearColorMapper(palette=Viridis256, low=0, high=1)
        f = self.figure = bokeh_figure("R_x (%) surface", width, height, match_aspect=False)
        f.axis.visible = False
        f.grid.visible = False
        f.patches("xs", "ys", source=self.sources["floor"], color="#bbbbbb", line_color="#888888", line_width=0.3,
                  legend_label="failed")
        cells = f.patches("xs", "ys", source=self.sources["cells"], fill_color={"field": "R_x", "transform": self.mapper},
                          line_color="#222222", line_width=0.3)
        f.multi_line("xs", "ys", source=self.sources["axes"], color="black", line_width=1.5)
        f.text("x", "y", text="text", source=self.sources["labels"], text_font_size="9pt", text_color="black")
        f.add_tools(HoverTool(renderers=[cells], tooltips=[("R_x (%)", "@R_x{0.000}")]))
        f.add_layout(ColorBar(color_mapper=self.mapper, title="R_x (%)", width=12), "right")
        f.legend.location = "bottom_right"

    def show(self, ds: xr.Dataset, var: str = "R_x_mean", seed: int | None = None, azimuth: float = -40.0,
             elevation: float = 35.0, title: str | None = None) -> bool:
        """Draw window ``ds`` seen from ``azimuth``/``elevation`` (degrees); False (and an empty plot
        saying why) where no surface can be drawn."""
        geo = surface_cells(ds, var, seed, azimuth, elevation)
        if geo is None:
            clear_sources(self.figure, self.sources)
            self.figure.title.text = "a 3-D surface needs a grid of at least 2 x 2 with a successful point"
            return False
        for name in ("cells", "floor", "axes", "labels"):
            self.sources[name].data = geo[name]
        lo, hi = geo["zlim"]
        self.mapper.update(low=lo, high=hi if hi > lo else lo + 1e-9)
        self.figure.title.text = title or f"R_x (%) surface over ({ds.attrs.get('x_param')}, {ds.attrs.get('y_param')})"
        legend_items_follow_data(self.figure)
        return True


class ProfilePlot:
    """R_x (%) along a line (:func:`silica_explorer.landscape.profile.line_profile`) as one Bokeh
    figure: the curve, the seed-to-seed error bars where the file has them, failed samples as grey
    crosses at the top. ``sources``: ``curve`` (``s``, ``R_x`` and the two parameters by name),
    ``errors`` (``s``, ``lower``, ``upper``), ``failed`` (``s``, ``R_x``); :meth:`show` replaces them."""

    def __init__(self, x_param: str, y_param: str, width: int = 560, height: int = 300):
        self.params = (x_param, y_param)
        self.sources = {"curve": ColumnDataSource({"s": [], "R_x": [], x_param: [], y_param: []}),
                        "errors": ColumnDataSource({"s": [], "lower": [], "upper": []}),
                        "failed": ColumnDataSource({"s": [], "R_x": []})}
        f = self.figure = bokeh_figure("R_x along the line", width, height, y_axis_label="R_x (%)",
                                  x_axis_label=f"along the line: 0 = start, 1 = end ({x_param}, {y_param})")
        curve = f.line("s", "R_x", source=self.sources["curve"], color="#1f77b4", line_width=2, legend_label="R_x")
        f.segment("s", "lower", "s", "upper", source=self.sources["errors"], color="#1f77b4", alpha=0.6,
                  legend_label="seed-to-seed std")
        f.scatter("s", "R_x", source=self.sources["failed"], color="gray", marker="x", size=9, line_width=2,
                  legend_label="failed cells")
        unit = {p: f" ({unit_label(p)})" if unit_label(p) else "" for p in self.params}
        f.add_tools(HoverTool(renderers=[curve], mode="vline", tooltips=[
            ("s", "@s{0.000}"), ("R_x (%)", "@R_x{0.000}"),
            *((f"{p}{unit[p]}", f"@{{{p}}}{{0.[0000]}}") for p in self.params)]))
        f.legend.location = "top_right"

    def show(self, profile: xr.Dataset) -> None:
        """Draw ``profile`` (a Dataset of ``line_profile`` over this plot's two parameters)."""
        if (profile.attrs["x_param"], profile.attrs["y_param"]) != self.params:
            raise ValueError(f"profile over {profile.attrs['x_param']}, {profile.attrs['y_param']}; this plot "
                             f"shows {self.params[0]}, {self.params[1]}")
        s, v, e = profile.s.values, profile.R_x.values, profile.R_x_err.values
        xn, yn = self.params
        self.sources["curve"].data = {"s": s, "R_x": v, xn: profile.x.values, yn: profile.y.values}
        ok = np.isfinite(v) & np.isfinite(e)
        self.sources["errors"].data = {"s": s[ok], "lower": v[ok] - e[ok], "upper": v[ok] + e[ok]}
        failed = profile.failed.values.astype(bool)
        top = float(np.nanmax(v)) * 1.05 if np.isfinite(v).any() else 100.0
        self.sources["failed"].data = {"s": s[failed], "R_x": np.full(int(failed.sum()), top)}
        start = f"({float(profile.x[0]):.4g}, {float(profile.y[0]):.4g})"
        end = f"({float(profile.x[-1]):.4g}, {float(profile.y[-1]):.4g})"
        self.figure.title.text = f"R_x along {start} → {end}"
        legend_items_follow_data(self.figure)

    def message(self, text: str) -> None:
        """No curve, ``text`` as the title (e.g. while the line waits for its end point)."""
        clear_sources(self.figure, self.sources)
        self.figure.title.text = text
