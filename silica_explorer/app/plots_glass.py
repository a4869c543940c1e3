"""Views of glasses (HoloViews, Bokeh backend): density along the cool, the neutron S(Q) and T(r) with the
experimental peak positions marked, and the bond-angle distributions. Pure functions of the glass
Datasets (:func:`silica_explorer.glass.glass_dataset`) and the anchors
(:func:`silica_explorer.glass.load_anchors`), testable without a server.

Every curve is the mean over a set's successful seeds. Experiment is drawn as dashed black lines (never a
curve: no measured S(Q) is shipped). Units: T in K, density g/cm3, Q 1/Å, r Å, T(r) 1/Å², angles degrees.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import holoviews as hv
import xarray as xr

from .plots import ANGLE_DIM, R_DIM, color_for, message

#: Size of one glass panel: three side by side fit the main area of a 1280 px wide window.
GLASS_PANEL = dict(width=310, height=250)
T_DIM = hv.Dimension("T", label="T", unit="K")
DENSITY_DIM = hv.Dimension("density", label="density", unit="g/cm³")
Q_DIM = hv.Dimension("Q", label="Q", unit="1/Å")
S_DIM = hv.Dimension("S", label="S(Q)")
TR_DIM = hv.Dimension("T_r", label="T(r)", unit="1/Å²")
P_DIM = hv.Dimension("p", label="P(angle)", unit="1/°")
EXPERIMENT = dict(color="black", line_dash="dashed", line_width=1.5)


def seed_mean(datasets: Sequence[xr.Dataset], var: str) -> xr.DataArray | None:
    """Mean of ``var`` over the successful Datasets (outer join of their grids: each seed's g(r) reaches
    its own half box); None when none has it."""
    arrays = [d[var] for d in datasets if d.attrs.get("status") == "ok" and var in d]
    if not arrays:
        return None
    return xr.concat(arrays, dim="seed", join="outer").mean("seed", skipna=True)


def _curves(groups: Mapping[str, Sequence[xr.Dataset]], var: str, kdim, vdim, x: str) -> list[hv.Curve]:
    out = []
    for i, (label, dsets) in enumerate(groups.items()):
        m = seed_mean(dsets, var)
        if m is not None:
            out.append(hv.Curve((m[x].values, m.values), kdim, vdim, label=label).opts(color=color_for(i),
                                                                                         line_width=1.8))
    return out


def glass_plots(groups: Mapping[str, Sequence[xr.Dataset]], anchors: dict) -> hv.Layout:
    """Five panels for the sets of ``groups`` (label -> that set's per-seed Datasets at one protocol):
    density along the cool (experiment's 2.20 g/cm3 dashed), S(Q) (the experimental FSDP position dashed),
    T(r) (the middle of the experimental Si-O bond length range dashed), Si-O-Si (the NMR mean's range shaded
    grey) and O-Si-O (the tetrahedral angle dashed); :func:`experiment_marks` says so in words. The legend is
    in the last panel (its top right is empty); colours are the same in all five."""
    if not groups:
        return hv.Layout([message("no glass to show: choose sets above, or make one below", width=620,
                                  height=70)]).cols(1)
    a = anchors["anchors"]
    fsdp, rho = a["FSDP_position"]["value"], a["density"]["value"]
    sio_lo, sio_hi = a["SiO_bond_length"]["min"], a["SiO_bond_length"]["max"]
    nmr = sorted((a["SiOSi_angle_17O_nmr_mean"]["value"], a["SiOSi_angle_nmr_mean"]["value"]))
    tetra = a["OSiO_angle"]["value"]
    quiet = dict(show_legend=False, show_grid=True, **GLASS_PANEL)

    density = hv.Overlay(_curves(groups, "density_cool", T_DIM, DENSITY_DIM, "T_bin")
                         + [hv.HLine(rho).opts(**EXPERIMENT)]).opts(title="density on cooling", **quiet)
    sq = hv.Overlay(_curves(groups, "S", Q_DIM, S_DIM, "Q") + [hv.VLine(fsdp).opts(**EXPERIMENT)]).opts(
        title="neutron S(Q)", xlim=(0.5, 12.0), **quiet)
    sio = 0.5 * (sio_lo + sio_hi)
    tr = hv.Overlay(_curves(groups, "T", R_DIM, TR_DIM, "r") + [hv.VLine(sio).opts(**EXPERIMENT)]).opts(
        title="neutron T(r)", xlim=(0.0, 8.0), **quiet)
    sios = hv.Overlay(_curves(groups, "SiOSi", ANGLE_DIM, P_DIM, "angle")
                      + [hv.VSpan(*nmr).opts(color="#888888", alpha=0.25)]).opts(
        title="Si-O-Si angle", xlim=(90, 180), **quiet)
    osio = hv.Overlay(_curves(groups, "OSiO", ANGLE_DIM, P_DIM, "angle") + [hv.VLine(tetra).opts(**EXPERIMENT)]).opts(
        title="O-Si-O angle", xlim=(60, 160), legend_position="top_right", show_grid=True,
        fontsize={"legend": "7pt"}, **GLASS_PANEL)
    return hv.Layout([density, sq, tr, sios, osio]).cols(3).opts(shared_axes=False)


def experiment_marks(anchors: dict) -> str:
    """What the dashed lines and the grey band of :func:`glass_plots` mark, in one line (for a caption)."""
    a = anchors["anchors"]
    nmr = sorted((a["SiOSi_angle_17O_nmr_mean"]["value"], a["SiOSi_angle_nmr_mean"]["value"]))
    return (f"Experiment dashed: density {a['density']['value']:.2f} g/cm³, FSDP {a['FSDP_position']['value']:g} 1/Å "
            f"in S(Q), Si-O {a['SiO_bond_length']['min']:g}-{a['SiO_bond_length']['max']:g} Å in T(r), the "
            f"tetrahedral O-Si-O {a['OSiO_angle']['value']:g}°; grey: the NMR Si-O-Si mean {nmr[0]:g}-{nmr[1]:g}°")
