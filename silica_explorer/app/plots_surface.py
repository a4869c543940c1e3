"""Landscape roughness views: the R_x profile along a line, and a 3-D surface of a window drawn with
Bokeh (an oblique projection of the grid's cells, painted back to front; no WebGL or extra library).

Units: R_x in %, parameters in their units. Pure functions, testable without a server.
"""

from __future__ import annotations

import holoviews as hv
import numpy as np
import xarray as xr

from .plots import landscape_window, message, param_dimension


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


def surface_plot(ds: xr.Dataset, var: str = "R_x_mean", seed: int | None = None, azimuth: float = -40.0,
                 elevation: float = 35.0, title: str | None = None, width: int = 560,
                 height: int = 430) -> hv.Overlay | hv.Text:
    """The window's R_x (%) as a 3-D surface: one quadrilateral per grid cell, coloured by its mean R_x;
    cells touching a failed node are drawn grey at the floor."""
    xn, yn = ds.attrs.get("x_param"), ds.attrs.get("y_param")
    z = landscape_window(ds, var, seed).transpose(yn, xn).values
    xs, ys = ds[xn].values, ds[yn].values
    if len(xs) < 2 or len(ys) < 2 or not np.isfinite(z).any():
        return message("a 3-D surface needs a grid of at least 2 x 2 with a successful point", width=width,
                       height=height)
    zlo, zhi = float(np.nanmin(z)), float(np.nanmax(z))
    zs = 0.6 * (z - zlo) / (zhi - zlo if zhi > zlo else 1.0)
    gx = (xs - xs[0]) / (xs[-1] - xs[0])
    gy = (ys - ys[0]) / (ys[-1] - ys[0])
    GX, GY = np.meshgrid(gx, gy)
    polys, floor = [], []
    for j in range(len(ys) - 1):
        for i in range(len(xs) - 1):
            idx = [(j, i), (j, i + 1), (j + 1, i + 1), (j + 1, i)]
            cz = np.array([zs[q] for q in idx])
            ok = np.isfinite(cz).all()
            X, Y, D = project([GX[q] for q in idx], [GY[q] for q in idx], cz if ok else np.zeros(4), azimuth,
                              elevation)
            item = {"x": X, "y": Y, "depth": float(D.mean()),
                    "R_x": float(np.mean([z[q] for q in idx])) if ok else np.nan}
            (polys if ok else floor).append(item)
    rd = hv.Dimension("R_x", label="R_x", unit="%")
    layers = []
    for group in (floor, polys):  # failed floor first (it lies below everything)
        group.sort(key=lambda d: -d["depth"])
    if floor:
        layers.append(hv.Polygons([{"x": d["x"], "y": d["y"]} for d in floor], label="failed").opts(
            color="#bbbbbb", line_color="#888888", line_width=0.3))
    layers.append(hv.Polygons([{"x": d["x"], "y": d["y"], "R_x": d["R_x"]} for d in polys], vdims=[rd]).opts(
        color="R_x", cmap="viridis", colorbar=True, clim=(zlo, zhi), line_color="#222222", line_width=0.3))
    # axes of the box: x and y along the floor, R_x up the far corner
    corners = {"x": ([0, 1], [0, 0], [0, 0]), "y": ([0, 0], [0, 1], [0, 0]), "z": ([0, 0], [0, 0], [0, 0.6])}
    labels = {"x": f"{xn} {xs[0]:.4g} → {xs[-1]:.4g}", "y": f"{yn} {ys[0]:.4g} → {ys[-1]:.4g}",
              "z": f"R_x {zlo:.3g} → {zhi:.3g} %"}
    for k, (ax, ay, az) in corners.items():
        X, Y, _ = project(ax, ay, az, azimuth, elevation)
        layers.append(hv.Curve((X, Y)).opts(color="black", line_width=1.5))
        layers.append(hv.Text(float(X[1]), float(Y[1]), labels[k]).opts(text_font_size="9pt", text_color="black"))
    return hv.Overlay(layers).opts(
        title=title or f"R_x (%) surface over ({xn}, {yn})", width=width, height=height, xaxis=None, yaxis=None,
        show_grid=False, data_aspect=None, padding=0.08, legend_position="bottom_right")


def profile_plot(profile: xr.Dataset, width: int = 560, height: int = 300) -> hv.Overlay:
    """R_x (%) along the line of :func:`silica_explorer.landscape.profile.line_profile`: the curve, the
    seed-to-seed error bars where the file has them, and failed samples as grey crosses at the top."""
    xn, yn = profile.attrs["x_param"], profile.attrs["y_param"]
    sd = hv.Dimension("s", label=f"along the line: 0 = start, 1 = end ({xn}, {yn})")
    rd = hv.Dimension("R_x", label="R_x", unit="%")
    s, v, e = profile.s.values, profile.R_x.values, profile.R_x_err.values
    xd, yd = param_dimension(xn), param_dimension(yn)
    layers = [hv.Curve((s, v, profile.x.values, profile.y.values), sd, [rd, xd, yd], label="R_x").opts(
        color="#1f77b4", line_width=2, tools=["hover"])]
    ok = np.isfinite(v) & np.isfinite(e)
    if ok.any():
        layers.append(hv.ErrorBars((s[ok], v[ok], e[ok]), sd, [rd, "err"], label="seed-to-seed std").opts(
            color="#1f77b4", alpha=0.6))
    failed = profile.failed.values
    if failed.any():
        top = float(np.nanmax(v)) * 1.05 if np.isfinite(v).any() else 100.0
        layers.append(hv.Scatter((s[failed], np.full(failed.sum(), top)), sd, rd, label="failed cells").opts(
            color="gray", marker="x", size=9))
    start = f"({float(profile.x[0]):.4g}, {float(profile.y[0]):.4g})"
    end = f"({float(profile.x[-1]):.4g}, {float(profile.y[-1]):.4g})"
    return hv.Overlay(layers).opts(title=f"R_x along {start} → {end}", width=width, height=height,
                                   show_grid=True, legend_position="top_right")
