"""Pure view functions: library objects and xarray Datasets -> HoloViews objects (Bokeh backend).

No physics here: energies come from :meth:`ForceField.pair_energy`, PDFs and bond angles from the
library's Datasets, landscapes from :mod:`silica_explorer.landscape` files. Every function returns a
HoloViews element/overlay/layout and works without a running server (tested in tests/test_app.py).

Units on the axes: r in Angstrom, U in eV, angles in degrees, R_x and chi in %.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import holoviews as hv
import numpy as np
import xarray as xr

from ..engine.acceptance import is_flagged
from ..forcefield import ForceField
from ..parameters import UNITS

if "bokeh" not in hv.Store.renderers:  # plotting options need a loaded backend
    import holoviews.plotting.bokeh  # noqa: F401
hv.Store.set_current_backend("bokeh")

PAIR_LABEL = {"SiO": "Si-O", "OO": "O-O", "SiSi": "Si-Si"}
#: Plot order of the pairs (the paper's Table II order).
PLOT_PAIRS = ("SiO", "OO", "SiSi")
#: Colours of overlaid sets (reference is always black).
PALETTE = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
#: Optimizer path colours: BO red, CG black (the paper's Fig. 4), others from the palette.
METHOD_COLOR = {"bo": "#d62728", "cg": "#000000", "random": "#1f77b4"}

R_DIM = hv.Dimension("r", label="r", unit="Å")
G_DIM = hv.Dimension("g", label="g(r)")
U_DIM = hv.Dimension("U", label="U(r)", unit="eV")
ANGLE_DIM = hv.Dimension("angle", label="angle", unit="°")

PANEL_SIZE = dict(width=380, height=290)


def unit_label(name: str) -> str | None:
    """The unit of parameter ``name`` (:data:`~silica_explorer.parameters.UNITS`) as an axis label, with
    Å and superscripts; None for a name without a unit."""
    return {"A": "Å", "eV A^6": "eV Å⁶", "eV A^24": "eV Å²⁴"}.get(UNITS.get(name, ""), UNITS.get(name))


def param_dimension(name: str) -> hv.Dimension:
    return hv.Dimension(name, label=name, unit=unit_label(name))


def color_for(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def plot_size(obj) -> tuple[int, int]:
    """Pixel (width, height) a HoloViews object will take (a Layout: its grid of fixed-size panels,
    plus the toolbar), so a pane can reserve the space."""
    import math as _math
    if isinstance(obj, hv.Layout):
        items = list(obj)
        cols = obj._max_cols or len(items)
        sizes = [plot_size(i) for i in items] or [(0, 0)]
        rows = _math.ceil(len(items) / cols)
        w = max(sum(s[0] for s in sizes[r * cols:(r + 1) * cols]) for r in range(rows))
        h = sum(max(s[1] for s in sizes[r * cols:(r + 1) * cols]) for r in range(rows))
        return int(w), int(h + 30)
    opts = hv.Store.lookup_options("bokeh", obj, "plot").kwargs
    return int(opts.get("width") or 300), int(opts.get("height") or 300)


def message(text: str, **size) -> hv.Text:
    """An empty plot carrying a text (for 'nothing to show yet')."""
    opts = dict(PANEL_SIZE, xaxis=None, yaxis=None, toolbar=None, show_frame=False)
    opts.update(size)
    return hv.Text(0.5, 0.5, text).opts(text_font_size="11pt", **opts).redim.range(x=(0, 1), y=(0, 1))


# ===================================================================================== potentials
def potential_plot(ff: ForceField, other: ForceField | None = None, r_min: float = 1.2,
                   r_max: float | None = None, n: int = 500, width: int = 280, height: int = 270) -> hv.Layout:
    """U(r) of Eq. (1) as the MD sees it (DSF Coulomb + short range) for Si-O, O-O, Si-Si; ``other``
    dashed for comparison. The y range is set around the well so the comparison stays readable."""
    r_max = r_max or max(ff.r_cut, other.r_cut if other is not None else 0.0)
    r = np.linspace(r_min, r_max, n)
    panels = []
    for pair in PLOT_PAIRS:
        curves, lows = [], []
        for k, (f, dash) in enumerate(((ff, "solid"), (other, "dashed"))):
            if f is None:
                continue
            with np.errstate(all="ignore"):
                u = f.pair_energy(pair, r)
            finite = np.isfinite(u)
            lows.append(float(np.min(u[finite])) if finite.any() else 0.0)
            curves.append(hv.Curve((r, u), R_DIM, U_DIM, label=f.name).opts(
                color="#d62728" if k == 0 else "#333333", line_dash=dash, line_width=2))
        lo = min(lows)
        span = max(abs(lo), 2.0)
        panels.append(hv.Overlay(curves).opts(
            title=f"{PAIR_LABEL[pair]}", ylim=(lo - 0.15 * span, lo + 1.6 * span), legend_position="bottom_right",
            show_grid=True, width=width, height=height))
    return hv.Layout(panels).cols(3).opts(shared_axes=False)


# ===================================================================================== PDFs
def pdf_plot(reference: xr.Dataset | None, sets: Mapping[str, xr.Dataset] | None = None,
             reference_label: str = "reference", r_max: float | None = None) -> hv.Layout:
    """Partial g(r) for Si-O, O-O, Si-Si: the reference in black, every entry of ``sets``
    (label -> PDF Dataset with dims pair, r) in colour."""
    sets = dict(sets or {})
    if reference is None and not sets:
        return hv.Layout([message("no PDFs yet: load a reference or evaluate a forcefield")]).cols(1)
    panels = []
    for pair in PLOT_PAIRS:
        curves = []
        if reference is not None:
            g = reference.g.sel(pair=pair)
            curves.append(hv.Curve((reference.r.values, g.values), R_DIM, G_DIM, label=reference_label).opts(
                color="black", line_width=2.5, alpha=0.85))
            if "g_err" in reference:
                e = reference.g_err.sel(pair=pair).values
                curves.insert(0, hv.Spread((reference.r.values, g.values, e), R_DIM, [G_DIM, "err"],
                                           label=reference_label).opts(color="black", alpha=0.2))
        for i, (label, ds) in enumerate(sets.items()):
            curves.append(hv.Curve((ds.r.values, ds.g.sel(pair=pair).values), R_DIM, G_DIM, label=label).opts(
                color=color_for(i), line_width=1.8))
        overlay = hv.Overlay(curves).opts(title=PAIR_LABEL[pair], legend_position="top_right",
                                          show_grid=True, **PANEL_SIZE)
        if r_max is not None:
            overlay = overlay.opts(xlim=(0, r_max))
        panels.append(overlay)
    return hv.Layout(panels).cols(3).opts(shared_axes=False)


def angle_plot(angles: Mapping[str, xr.Dataset]) -> hv.Layout:
    """O-Si-O and Si-O-Si bond-angle distributions (label -> Dataset from
    :func:`silica_explorer.structure.bond_angle_distributions`)."""
    if not angles:
        return hv.Layout([message("no bond-angle distributions yet")]).cols(1)
    panels = []
    for var, title in (("OSiO", "O-Si-O"), ("SiOSi", "Si-O-Si")):
        curves = [hv.Curve((ds.angle.values, ds[var].values), ANGLE_DIM,
                           hv.Dimension("p", label="P(angle)", unit="1/°"), label=label).opts(
            color=color_for(i), line_width=1.8) for i, (label, ds) in enumerate(angles.items())]
        panels.append(hv.Overlay(curves).opts(title=title, legend_position="top_left", show_grid=True,
                                              xlim=(40, 180), **PANEL_SIZE))
    return hv.Layout(panels).cols(2).opts(shared_axes=False)


# ===================================================================================== landscapes
def landscape_window(ds: xr.Dataset, var: str = "R_x_mean", seed: int | None = None) -> xr.DataArray:
    """The 2-D R_x array (in %) of one landscape window: ``R_x_mean`` or ``R_x`` of one seed."""
    if var == "R_x" and "seed" in ds.R_x.dims:
        da = ds.R_x.sel(seed=seed if seed is not None else int(ds.seed.values[0]))
    else:
        da = ds[var]
    return 100.0 * da


def landscape_plot(ds: xr.Dataset, var: str = "R_x_mean", seed: int | None = None, log: bool = False,
                   contours: bool = True, paths: Mapping[str, xr.Dataset] | None = None,
                   zoom: xr.Dataset | None = None, start: tuple[float, float] | None = None,
                   title: str | None = None, width: int = 520, height: int = 430) -> hv.Overlay:
    """Heat map of R_x (%) over the window's two parameters, optional contour lines, the rectangle
    of a ``zoom`` window, optimizer ``paths`` (method -> Dataset over ``iter``; BO red, CG black) and a
    ``start`` marker. ``log`` colours by log10."""
    xn, yn = ds.attrs.get("x_param"), ds.attrs.get("y_param")
    da = landscape_window(ds, var, seed)
    if xn is None or yn is None:
        yn, xn = da.dims
    z = da.transpose(yn, xn).values
    xd, yd = param_dimension(xn), param_dimension(yn)
    zd = hv.Dimension("R_x", label="R_x", unit="%")
    mesh = hv.QuadMesh((ds[xn].values, ds[yn].values, z), [xd, yd], zd).opts(
        # a tap picks a point (start or profile line), it selects nothing: no dimming of the other cells
        cmap="viridis", colorbar=True, logz=bool(log), tools=["hover", "tap"], nonselection_fill_alpha=1.0,
        width=width, height=height,
        title=title or f"R_x over ({xn}, {yn})", clipping_colors={"NaN": "#dddddd"})
    layers: list = [mesh]
    if contours and np.isfinite(z).sum() >= 4 and len(ds[xn]) > 1 and len(ds[yn]) > 1:
        zz = np.log10(np.where(z > 0, z, np.nan)) if log else z
        finite = np.isfinite(zz)
        if finite.any() and np.nanmax(zz) > np.nanmin(zz):
            img = hv.Image((ds[xn].values, ds[yn].values, np.where(finite, zz, np.nanmax(zz))), [xd, yd], zd)
            try:
                layers.append(hv.operation.contours(img, levels=8, filled=False).opts(
                    color="white", line_width=0.8, alpha=0.7, cmap=["#ffffff"], colorbar=False, show_legend=False))
            except Exception:  # contour extraction is cosmetic: never break the heat map over it
                pass
    if zoom is not None:
        x0, x1 = float(zoom[xn].min()), float(zoom[xn].max())
        y0, y1 = float(zoom[yn].min()), float(zoom[yn].max())
        layers.append(hv.Bounds((x0, y0, x1, y1)).opts(color="white", line_width=2, line_dash="dashed"))
    for i, (method, p) in enumerate((paths or {}).items()):
        if xn not in p or yn not in p:
            continue
        col = METHOD_COLOR.get(method.lower(), color_for(i + 3))
        pts = (p[xn].values, p[yn].values)
        layers.append(hv.Path([pts], [xd, yd], label=method.upper()).opts(color=col, line_width=2))
        layers.append(hv.Scatter(pts, xd, yd, label=method.upper()).opts(color=col, size=6, line_color="white"))
    if start is not None:
        layers.append(hv.Scatter([start], xd, yd, label="start").opts(
            color="yellow", marker="star", size=16, line_color="black"))
    xs, ys = ds[xn].values, ds[yn].values
    hx = 0.5 * (xs[1] - xs[0]) if len(xs) > 1 else 0.5
    hy = 0.5 * (ys[1] - ys[0]) if len(ys) > 1 else 0.5
    # the window's own extent: paths leaving a zoom window are clipped, not allowed to rescale it
    return hv.Overlay(layers).opts(legend_position="top_right", xlim=(xs.min() - hx, xs.max() + hx),
                                   ylim=(ys.min() - hy, ys.max() + hy))


def convergence_plot(paths: Mapping[str, xr.Dataset], width: int = 480, height: int = 330) -> hv.Overlay:
    """Best R_x so far (%) versus evaluation number for every optimizer path."""
    if not paths:
        return message("no optimizer paths in this landscape yet", width=width, height=height)
    it = hv.Dimension("iter", label="evaluation")
    rd = hv.Dimension("best", label="best R_x so far", unit="%")
    layers = []
    for i, (method, p) in enumerate(paths.items()):
        col = METHOD_COLOR.get(method.lower(), color_for(i + 3))
        best = 100 * np.fmin.accumulate(np.where(np.isfinite(p.R_x.values), p.R_x.values, np.inf)) \
            if "best_R_x" not in p else 100 * p.best_R_x.values
        best = np.where(np.isfinite(best), best, np.nan)
        layers.append(hv.Curve((p.iter.values + 1, best), it, rd, label=method.upper()).opts(
            color=col, line_width=2, interpolation="steps-post"))
        layers.append(hv.Scatter((p.iter.values + 1, 100 * p.R_x.values), it, rd, label=method.upper()).opts(
            color=col, size=5, alpha=0.5))
    return hv.Overlay(layers).opts(title="convergence", show_grid=True, width=width, height=height,
                                   legend_position="top_right")


# ===================================================================================== fits
def trace_arrays(trace: Sequence[Mapping]) -> tuple[np.ndarray, np.ndarray]:
    """``(R, flagged)`` of fit-trace entries (``status``, ``R_x`` as a fraction, ``reason``): R_x in %
    (nan where the melt failed or has no value) and whether each usable melt was flagged."""
    R = np.array([100 * float(t["R_x"]) if t.get("status", "ok") == "ok" and t.get("R_x") is not None
                  and np.isfinite(float(t["R_x"])) else np.nan for t in trace], dtype=float)
    flagged = np.array([bool(np.isfinite(r)) and is_flagged(t.get("reason")) for r, t in zip(R, trace)], dtype=bool)
    return R, flagged


def gp_prediction_points(trace: Sequence[Mapping]) -> np.ndarray:
    """``(n, 3)`` rows of (observed R_x, GP mean, GP std at proposal time), all in %, for the successful
    evaluations that a model proposed (entries with ``proposal`` ``mean``/``std`` or ``gp_mean``/``gp_std``)."""
    pts = []
    for t in trace:
        prop = t.get("proposal") or {}
        mu, sd, R = prop.get("mean", prop.get("gp_mean")), prop.get("std", prop.get("gp_std")), t.get("R_x")
        if mu is None or R is None or t.get("status", "ok") != "ok" or not np.isfinite(float(R)):
            continue
        pts.append((100 * float(R), 100 * float(mu), 100 * float(sd or 0.0)))
    return np.array(pts, dtype=float).reshape(-1, 3)


def fit_history_plot(trace: Sequence[Mapping], width: int = 520, height: int = 320) -> hv.Overlay:
    """Every evaluation's R_x (%) (failed ones at the top, as crosses; flagged ones as orange
    triangles) and the best so far, versus iteration. ``trace``: dicts with ``iteration``, ``R_x``
    (fraction or nan), ``status`` and optionally ``reason``."""
    it = hv.Dimension("iteration", label="evaluation")
    rd = hv.Dimension("R_x", label="R_x", unit="%")
    if not trace:
        return hv.Overlay([hv.Curve([], it, rd, label="best so far"),
                           hv.Scatter([], it, rd, label="evaluation")]).opts(
            title="R_x per evaluation", width=width, height=height, show_grid=True)
    n = np.array([int(t.get("iteration", i)) + 1 for i, t in enumerate(trace)])
    R, flagged = trace_arrays(trace)
    best = np.fmin.accumulate(np.where(np.isfinite(R), R, np.inf))
    best = np.where(np.isfinite(best), best, np.nan)
    ok = np.isfinite(R)
    top = float(np.nanmax(R)) * 1.05 if ok.any() else 100.0
    layers = [hv.Curve((n, best), it, rd, label="best so far").opts(color="black", line_width=2,
                                                                  interpolation="steps-post"),
              hv.Scatter((n[ok], R[ok]), it, rd, label="evaluation").opts(color="#d62728", size=7)]
    if flagged.any():  # usable melts with a flag (e.g. a partial Si-O collapse): R_x kept, marked
        layers.append(hv.Scatter((n[flagged], R[flagged]), it, rd, label="flagged (collapse)").opts(
            color="#ff7f0e", marker="triangle", size=9))
    if (~ok).any():
        layers.append(hv.Scatter((n[~ok], np.full((~ok).sum(), top)), it, rd, label="failed").opts(
            color="gray", marker="x", size=9))
    return hv.Overlay(layers).opts(title="R_x per evaluation", width=width, height=height, show_grid=True,
                                   legend_position="right", padding=0.1)


def parameter_traces_plot(trace: Sequence[Mapping], names: Sequence[str], width: int = 260,
                          height: int = 200) -> hv.Layout | hv.Text:
    """One small plot per free parameter: its value at every evaluation (best marked)."""
    if not trace or not names:
        return message("parameter traces appear with the first evaluation", width=2 * width, height=height)
    it = hv.Dimension("iteration", label="evaluation")
    n = np.array([int(t.get("iteration", i)) + 1 for i, t in enumerate(trace)])
    R = np.array([float(t["R_x"]) if t.get("status", "ok") == "ok" and t.get("R_x") is not None else np.nan
                  for t in trace], dtype=float)
    ib = int(np.nanargmin(R)) if np.isfinite(R).any() else None
    panels = []
    for name in names:
        v = np.array([float(t["params"][name]) for t in trace])
        layer = hv.Curve((n, v), it, param_dimension(name)).opts(color="#1f77b4", alpha=0.5) * \
            hv.Scatter((n, v), it, param_dimension(name)).opts(color="#1f77b4", size=4)
        if ib is not None:
            layer = layer * hv.Scatter([(n[ib], v[ib])], it, param_dimension(name)).opts(
                color="#d62728", size=10, marker="star")
        panels.append(layer.opts(title=name, width=width, height=height, show_grid=True))
    return hv.Layout(panels).cols(4).opts(shared_axes=False)


def gp_plot(trace: Sequence[Mapping], width: int = 360, height: int = 320) -> hv.Overlay | hv.Text:
    """GP prediction (mean +- 1 std at proposal time, from each evaluation's ``proposal``) against the
    observed R_x, for BO-proposed points; the diagonal is perfect prediction."""
    a = gp_prediction_points(trace)
    obs = hv.Dimension("observed", label="observed R_x", unit="%")
    pred = hv.Dimension("predicted", label="GP prediction", unit="%")
    if not len(a):
        return message("GP predictions appear once BO proposes points", width=width, height=height)
    lo, hi = float(np.min(a[:, :2] - a[:, 2:])), float(np.max(a[:, :2] + a[:, 2:]))
    diag = hv.Curve([(lo, lo), (hi, hi)], obs, pred).opts(color="gray", line_dash="dashed")
    err = hv.ErrorBars((a[:, 0], a[:, 1], a[:, 2]), obs, [pred, "err"]).opts(color="#1f77b4")
    sc = hv.Scatter((a[:, 0], a[:, 1]), obs, pred).opts(color="#1f77b4", size=7)
    return (diag * err * sc).opts(title="GP prediction vs observed", width=width, height=height, show_grid=True)
