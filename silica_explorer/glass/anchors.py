"""The experimental anchors of the glass check: ``data/glass_anchors.json`` (values with sources; reported
next to every glass, never fitted). :func:`load_anchors` reads it; :func:`anchor_row` gives the values a
glass table compares against.

Units: density g/cm3, lengths A, angles degrees, Q 1/A, moduli GPa, scattering lengths fm.
"""

from __future__ import annotations

import json
from pathlib import Path

#: The shipped anchors file.
ANCHORS_PATH = Path(__file__).resolve().parents[2] / "data" / "glass_anchors.json"


def load_anchors(path: str | Path | None = None) -> dict:
    """The anchors file as a dict (keys ``anchors`` and ``neutron``); FileNotFoundError naming it if absent."""
    path = Path(path) if path is not None else ANCHORS_PATH
    if not path.exists():
        raise FileNotFoundError(f"glass anchors file {path} not found")
    data = json.loads(path.read_text())
    for key in ("anchors", "neutron"):
        if key not in data:
            raise ValueError(f"{path}: no {key!r} section")
    return data


def anchor_row(anchors: dict | None = None) -> dict[str, str]:
    """Experiment's entries of the glass table's columns (text, with the sources' ranges)."""
    a = (anchors or load_anchors())["anchors"]
    return {
        "density": f"{a['density']['value']:.2f}",
        "pressure": f"{a['pressure']['value']:g}",
        "liquid_pressure": "-",
        "SiO_bond_length": f"{a['SiO_bond_length']['min']:.2f}-{a['SiO_bond_length']['max']:.2f}",
        "SiOSi_mean": (f"{a['SiOSi_angle_17O_nmr_mean']['value']:g}-{a['SiOSi_angle_nmr_mean']['value']:g} "
                       f"(NMR)"),
        "SiOSi_peak": f"{a['SiOSi_angle_xray_peak']['value']:g} (X-ray)",
        "FSDP_position": f"~{a['FSDP_position']['value']:.2f}",
        "SiO_coordination": f"{a['coordination']['SiO']}",
    }
