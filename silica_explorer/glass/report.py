"""The glass table: each set's glass numbers as mean +- standard deviation over seeds, against experiment.

:func:`summarize` reduces the per-seed Datasets of one set (:func:`~silica_explorer.glass.analysis.glass_dataset`)
to numbers; :func:`markdown_table` writes the table with the experimental anchors as its last row.

Units: density g/cm3, pressure GPa, lengths A, angles degrees, FSDP 1/A.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from .anchors import anchor_row, load_anchors

#: Columns of the glass table: (variable, header, format).
TABLE_COLUMNS = (
    ("density", "density (g/cm3)", "{:.3f}"),
    ("pressure", "P glass (GPa)", "{:.2f}"),
    ("liquid_pressure", "P liquid (GPa)", "{:.2f}"),
    ("SiO_bond_length", "Si-O (A)", "{:.3f}"),
    ("SiOSi_mean", "Si-O-Si mean (deg)", "{:.1f}"),
    ("SiOSi_peak", "Si-O-Si peak (deg)", "{:.1f}"),
    ("FSDP_position", "FSDP (1/A)", "{:.3f}"),
    ("SiO_coordination", "Si-O coordination", "{:.2f}"),
)
#: Header of the glass table: the set, its protocol, rate and seeds, then :data:`TABLE_COLUMNS`.
TABLE_HEADER = ("set", "protocol", "rate (K/ps)", "seeds ok") + tuple(h for _, h, _ in TABLE_COLUMNS)


def summarize(datasets: list[xr.Dataset]) -> dict:
    """One set's summary: ``set``, ``protocol``, ``rate_K_per_ps``, ``seeds``, ``n_ok``, ``failures`` (seed and
    reason of each failed quench), ``wall_time_s`` (total) and, for each table column, ``mean`` and ``std``
    (sample standard deviation over the successful seeds; NaN with fewer than two)."""
    if not datasets:
        raise ValueError("summarize needs at least one quench Dataset")
    first = datasets[0].attrs
    ok = [d for d in datasets if d.attrs["status"] == "ok"]
    out = {"set": first["set"], "protocol": first["protocol"], "rate_K_per_ps": float(first["rate_K_per_ps"]),
           "engine_version": first["engine_version"],
           "seeds": [int(d.attrs["seed"]) for d in datasets], "n_ok": len(ok),
           "failures": [{"seed": int(d.attrs["seed"]), "reason": d.attrs["reason"]} for d in datasets
                        if d.attrs["status"] != "ok"],
           "wall_time_s": float(sum(d.attrs["wall_time_s"] for d in datasets))}
    for var, _, _ in TABLE_COLUMNS:
        values = np.array([float(d[var]) for d in ok if var in d], dtype=float)
        out[var] = {"mean": float(values.mean()) if values.size else math.nan,
                    "std": float(values.std(ddof=1)) if values.size > 1 else math.nan,
                    "units": ok[0][var].attrs.get("units", "") if ok and var in ok[0] else ""}
    return out


def cell_text(entry: dict, fmt: str) -> str:
    """One table cell: ``entry`` (``mean``, ``std`` of :func:`summarize`) as "mean +- std" with ``fmt``; "-"
    when the mean is not finite, the mean alone when the std is not."""
    if not math.isfinite(entry["mean"]):
        return "-"
    text = fmt.format(entry["mean"])
    return text + (f" +- {fmt.format(entry['std'])}" if math.isfinite(entry["std"]) else "")


def table_rows(summaries: list[dict], anchors: dict | None = None) -> tuple[list[str], list[list[str]]]:
    """The glass table as text cells: the header (:data:`TABLE_HEADER`) and one row per set (mean +- std over
    its successful seeds, the number of seeds, the protocol and its rate), the experimental anchors last."""
    anchors = anchors or load_anchors()
    rows = []
    for s in summaries:
        cells = [s["set"], s["protocol"], f"{s['rate_K_per_ps']:g}", f"{s['n_ok']}/{len(s['seeds'])}"]
        rows.append(cells + [cell_text(s[var], fmt) for var, _, fmt in TABLE_COLUMNS])
    exp = anchor_row(anchors)
    rows.append(["experiment", "-", "-", "-"] + [exp.get(var, "-") for var, _, _ in TABLE_COLUMNS])
    return list(TABLE_HEADER), rows


def markdown_table(summaries: list[dict], anchors: dict | None = None) -> str:
    """The glass table in markdown: one row per set (mean +- std over its successful seeds, the number of
    seeds, the protocol and its rate) and the experimental anchors as the last row."""
    header, rows = table_rows(summaries, anchors)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    notes = ["", "Mean +- standard deviation over seeds. P glass: mean pressure of the production at the end "
             "temperature (NPT set point 0 GPa); P liquid: NVT liquid at the start temperature and density (the "
             "fitting state point). None of this was fitted.", "Experiment: data/glass_anchors.json (sources there)."]
    for s in summaries:
        for f in s["failures"]:
            notes.append(f"- {s['set']} seed {f['seed']} failed: {f['reason']}")
    return "\n".join(lines + notes) + "\n"
