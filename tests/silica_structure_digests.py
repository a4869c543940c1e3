"""SHA-256 digests of silica structure outputs (partial PDFs, coordination numbers, bond angles) on four
frames of the shipped CHGNet reference, to prove the any-system structure functions leave silica
bit-identical. The committed ``tests/data/silica_structure_digests.json`` was taken on the code BEFORE
structure took systems (``python tests/silica_structure_digests.py > tests/data/silica_structure_digests.json``)."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from silica_explorer import structure
from silica_explorer.reference import read_frames

FRAMES = Path(__file__).resolve().parents[1] / "data" / "reference" / "sio2_3600K_chgnet_production.extxyz.gz"


def shipped_frames(n: int = 4) -> list:
    """The first ``n`` frames of the shipped CHGNet production trajectory (192 atoms)."""
    return read_frames(FRAMES, index=f":{n}")[0]


def digest(*arrays) -> str:
    """SHA-256 of the float64 bytes of ``arrays`` in order."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype=float).tobytes())
    return h.hexdigest()


def structure_digests(frames) -> dict:
    """Digests and exact values of every silica structure output on ``frames``."""
    pdf = structure.partial_pdfs(frames, r_max=6.0, dr=0.02, n_blocks=2)
    angles = structure.bond_angle_distributions(frames)
    angles_wide = structure.bond_angle_distributions(frames, cutoff=2.5, d_theta=1.0)
    return {
        "pdf_pairs": [str(p) for p in pdf.pair.values],
        "pdf_attrs": {k: (v.item() if hasattr(v, "item") else v) for k, v in pdf.attrs.items()},
        "pdf_g": digest(pdf.r.values, pdf.g.values),
        "pdf_g_err": digest(pdf.g_err.values),
        "coordination_keys": list(structure.coordination_numbers(pdf)),
        "coordination": {k: repr(v) for k, v in structure.coordination_numbers(pdf).items()},
        "coordination_cut": {k: repr(v) for k, v in structure.coordination_numbers(pdf, {"SiO": 2.0}).items()},
        "angles_vars": list(angles.data_vars),
        "angles": digest(angles.angle.values, *(angles[v].values for v in angles.data_vars)),
        "angles_n": [int(angles[v].attrs["n_angles"]) for v in angles.data_vars],
        "angles_wide": digest(angles_wide.angle.values, *(angles_wide[v].values for v in angles_wide.data_vars)),
    }


if __name__ == "__main__":
    json.dump(structure_digests(shipped_frames()), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
