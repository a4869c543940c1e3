"""Replay plots of a stored run (Runs tab): Bokeh figures built once per run whose data are replaced
at every replay position, so a slider step sends only new column data to the browser (no new models,
no re-layout).

:class:`RunArrays` holds what the plots need from every record of a run as arrays (filled once per
record as records arrive); :class:`ReplayPlots` shows the run up to a position ``n``: R_x per evaluation
with the best so far, parallel coordinates coloured by R_x, stacked parameter traces. Same content and
look as :func:`silica_explorer.app.plots.fit_history_plot`,
:func:`silica_explorer.app.plots_runs.parallel_coordinates_plot` and
:func:`~silica_explorer.app.plots_runs.stacked_traces_plot` (which stay the pure HoloViews versions).

Units: R_x in %, unit-box coordinates 0 (lower search bound) .. 1 (upper), evaluation numbers from 1.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from bokeh.models import ColorBar, ColumnDataSource, FixedTicker, HoverTool, LinearColorMapper, Range1d
from bokeh.palettes import Viridis256
from bokeh.plotting import figure

from .plots import PALETTE, trace_arrays

TOOLS = "pan,wheel_zoom,box_zoom,reset,save"


class RunArrays:
    """Per-record arrays of one run, in run order: ``R`` (R_x in %, nan if failed), ``ok``, ``flagged``
    (usable but flagged, e.g. a partial collapse), ``U`` (unit-box coordinates, rows of nan where not
    known), ``reasons``. Built from trace entries (:func:`silica_explorer.app.views.runs.record_entry`)."""

    def __init__(self, d: int):
        self.d = d
        self.R = np.zeros(0)
        self.flagged = np.zeros(0, dtype=bool)
        self.U = np.zeros((0, d))
        self.reasons: list[str | None] = []

    def __len__(self) -> int:
        return len(self.R)

    @property
    def ok(self) -> np.ndarray:
        return np.isfinite(self.R)

    def extend(self, entries: Sequence[Mapping]) -> None:
        if not entries:
            return
        R, flagged = trace_arrays(entries)
        U = np.full((len(entries), self.d), np.nan)
        for i, e in enumerate(entries):
            if e.get("u") is not None and len(e["u"]) == self.d:
                U[i] = np.asarray(e["u"], dtype=float)
        self.R = np.concatenate([self.R, R])
        self.flagged = np.concatenate([self.flagged, flagged])
        self.U = np.vstack([self.U, U])
        self.reasons += [e.get("reason") for e in entries]

    def best(self, n: int) -> int | None:
        """Index of the lowest R_x among the first ``n`` records (None if none succeeded)."""
        R = self.R[:n]
        return int(np.nanargmin(R)) if np.isfinite(R).any() else None


def legend_items_follow_data(figure) -> None:
    """Show a legend entry only while its renderer has data (no "failed" entry without failures)."""
    for legend in figure.legend:
        for item in legend.items:
            n = [len(next(iter(r.data_source.data.values()), [])) for r in item.renderers]
            item.visible = any(n)


def clear_sources(figure, sources: Mapping[str, ColumnDataSource]) -> None:
    """Empty every source of ``figure`` (same columns, no rows) and its legend entries with them."""
    for src in sources.values():
        src.data = {k: [] for k in src.data}
    legend_items_follow_data(figure)


def bokeh_figure(title: str, width: int, height: int, **kw):
    """A Bokeh figure in the app's style (tools, title size); ``width``/``height`` in pixels, ``kw`` to
    :func:`bokeh.plotting.figure`."""
    f = figure(title=title, width=width, height=height, tools=TOOLS, toolbar_location="right", **kw)
    f.title.text_font_size = "11pt"
    return f


class HistoryPlot:
    """R_x (%) per evaluation with the best so far: evaluations red, flagged ones orange triangles,
    failed ones grey crosses at the top. ``figure``: the Bokeh figure (built once); ``sources``: its data
    (``best``, ``evaluation``, ``flagged``, ``failed``; columns ``iteration`` from 1 and ``R_x`` in %)
    that :meth:`show` replaces. ``x_range``: shared with other figures (None: a range of its own)."""

    def __init__(self, x_range: Range1d | None = None, width: int = 520, height: int = 320):
        self.x_range = x_range if x_range is not None else Range1d(0.5, 1.5)
        src = self.sources = {name: ColumnDataSource({"iteration": [], "R_x": []})
                              for name in ("best", "evaluation", "flagged", "failed")}
        h = self.figure = bokeh_figure("R_x per evaluation", width, height, x_range=self.x_range,
                                  x_axis_label="evaluation", y_axis_label="R_x (%)")
        h.step("iteration", "R_x", source=src["best"], mode="after", color="black", line_width=2,
               legend_label="best so far")
        ev = h.scatter("iteration", "R_x", source=src["evaluation"], color="#d62728", size=7,
                       legend_label="evaluation")
        h.scatter("iteration", "R_x", source=src["flagged"], color="#ff7f0e", marker="triangle", size=9,
                  legend_label="flagged (collapse)")
        h.scatter("iteration", "R_x", source=src["failed"], color="gray", marker="x", size=9, line_width=2,
                  legend_label="failed")
        h.add_tools(HoverTool(renderers=[ev], tooltips=[("evaluation", "@iteration"), ("R_x (%)", "@R_x{0.000}")]))
        h.add_layout(h.legend[0], "right")

    def show(self, R: np.ndarray, flagged: np.ndarray) -> None:
        """Show evaluations 1..len(R): ``R`` the R_x in % (nan: failed), ``flagged`` usable but flagged."""
        n = len(R)
        it = np.arange(1, n + 1, dtype=float)
        ok = np.isfinite(R)
        best = np.fmin.accumulate(np.where(ok, R, np.inf)) if n else np.zeros(0)
        best = np.where(np.isfinite(best), best, np.nan)
        top = float(np.nanmax(R)) * 1.05 if ok.any() else 100.0
        fl = np.asarray(flagged, dtype=bool)
        src = self.sources
        src["best"].data = {"iteration": it, "R_x": best}
        src["evaluation"].data = {"iteration": it[ok], "R_x": R[ok]}
        src["flagged"].data = {"iteration": it[fl], "R_x": R[fl]}
        src["failed"].data = {"iteration": it[~ok], "R_x": np.full(int((~ok).sum()), top)}
        legend_items_follow_data(self.figure)


class ReplayPlots:
    """The three replay figures of one run with free parameters ``names``; :meth:`show` sets what they
    display. ``history``, ``parcoords``, ``traces``: Bokeh figures; ``sources``: their data by name
    (``evaluation``, ``best``, ``flagged``, ``failed``; ``pc_ok``, ``pc_failed``, ``pc_best``; ``traces``,
    ``traces_best``)."""

    def __init__(self, names: Sequence[str], width: int = 760):
        self.names = list(names)
        k = self.k = len(self.names)
        self.x_range = Range1d(0.5, 1.5)  # evaluations: the whole run, fixed while replaying
        self._history = HistoryPlot(self.x_range)
        self.history = self._history.figure
        src = self.sources = {
            **self._history.sources,
            "pc_failed": ColumnDataSource({"axis": [], "u": [], "axis1": [], "u1": []}),
            "pc_ok": ColumnDataSource({"axis": [], "u": [], "axis1": [], "u1": [], "R_x": []}),
            "pc_best": ColumnDataSource({"axis": [], "u": [], "axis1": [], "u1": []}),
            "traces": ColumnDataSource({"iteration": [], **{f"row{j}": [] for j in range(k)}}),
            "traces_best": ColumnDataSource({"iteration": [], "row": []}),
        }

        self.mapper = LinearColorMapper(palette=Viridis256, low=0, high=1)
        p = self.parcoords = bokeh_figure("parallel coordinates", width, 330, x_range=Range1d(-0.2, max(k, 2) - 0.8),
                                     y_range=Range1d(-0.05, 1.05), y_axis_label="position in search range",
                                     x_axis_label="free parameter")
        p.segment("axis", "u", "axis1", "u1", source=src["pc_failed"], color="#999999", line_dash="dashed",
                  alpha=0.6, line_width=1, legend_label="failed")
        p.segment("axis", "u", "axis1", "u1", source=src["pc_ok"], line_width=1.5, alpha=0.8,
                  color={"field": "R_x", "transform": self.mapper})
        p.segment("axis", "u", "axis1", "u1", source=src["pc_best"], color="#d62728", line_width=4,
                  legend_label="best so far")
        p.xaxis.ticker = FixedTicker(ticks=list(range(k)))
        p.xaxis.major_label_overrides = {j: name for j, name in enumerate(self.names)}
        p.add_layout(ColorBar(color_mapper=self.mapper, title="R_x (%)", width=12), "right")
        p.legend.location = "top_right"

        t = self.traces = bokeh_figure("parameter traces: position in the search range (row base = lower bound)",
                                  width, 60 + 45 * max(1, k), x_range=self.x_range, y_range=Range1d(-0.15, k),
                                  x_axis_label="evaluation", y_axis_label="free parameter")
        for j in range(k):
            t.line("iteration", f"row{j}", source=src["traces"], color=PALETTE[j % len(PALETTE)], line_width=1.2,
                   alpha=0.8)
        t.scatter("iteration", "row", source=src["traces_best"], color="#d62728", marker="star", size=11,
                  legend_label="best so far")
        t.yaxis.ticker = FixedTicker(ticks=[k - 1 - j + 0.4 for j in range(k)])
        t.yaxis.major_label_overrides = {k - 1 - j + 0.4: name for j, name in enumerate(self.names)}
        t.legend.location = "top_right"

    def show(self, run: RunArrays, n: int, total: int | None = None) -> None:
        """Show the first ``n`` records of ``run``; the evaluation axes span ``total`` (default: all of
        ``run``) so they stay put while replaying."""
        total = max(1, total if total is not None else len(run), n)
        if (self.x_range.start, self.x_range.end) != (0.5, total + 0.5):
            self.x_range.update(start=0.5, end=total + 0.5)
        it = np.arange(1, n + 1, dtype=float)
        self._history.show(run.R[:n], run.flagged[:n])
        self._parcoords(run, n)
        self._traces(run, n, it)

    def _segments(self, U: np.ndarray, rows: np.ndarray) -> dict:
        k, m = self.k, len(rows)
        x0, x1 = np.arange(k - 1, dtype=float), np.arange(1, k, dtype=float)
        return {"axis": np.tile(x0, m), "u": U[rows, :-1].ravel(), "axis1": np.tile(x1, m),
                "u1": U[rows, 1:].ravel()}

    def _parcoords(self, run: RunArrays, n: int) -> None:
        src = self.sources
        U, R = run.U[:n], run.R[:n]
        known = np.isfinite(U).all(axis=1) if self.k >= 2 else np.zeros(n, dtype=bool)
        ok = np.flatnonzero(known & np.isfinite(R))
        ok = ok[np.argsort(-R[ok], kind="stable")]  # best drawn last (on top)
        bad = np.flatnonzero(known & ~np.isfinite(R))
        src["pc_failed"].data = self._segments(U, bad)
        src["pc_ok"].data = {**self._segments(U, ok), "R_x": np.repeat(R[ok], max(0, self.k - 1))}
        src["pc_best"].data = self._segments(U, ok[-1:])
        if ok.size:
            lo, hi = float(R[ok].min()), float(R[ok].max())
            self.mapper.update(low=lo, high=hi if hi > lo else lo + 1e-9)
        self.parcoords.title.text = (f"parallel coordinates: {int(known.sum())} evaluations, colour R_x (%)"
                                     if self.k >= 2 else "parallel coordinates need at least 2 free parameters")

    def _traces(self, run: RunArrays, n: int, it: np.ndarray) -> None:
        k = self.k
        U = run.U[:n]
        known = np.isfinite(U).all(axis=1)
        rows = {f"row{j}": (k - 1 - j) + 0.8 * U[known, j] for j in range(k)}
        self.sources["traces"].data = {"iteration": it[known], **rows}
        R = np.where(known, run.R[:n], np.nan)
        ib = int(np.nanargmin(R)) if np.isfinite(R).any() else None
        self.sources["traces_best"].data = (
            {"iteration": np.zeros(0), "row": np.zeros(0)} if ib is None else
            {"iteration": np.full(k, it[ib]), "row": np.array([(k - 1 - j) + 0.8 * U[ib, j] for j in range(k)])})


class BestPdfPlots:
    """Partial g(r) of Si-O, O-O, Si-Si: the reference (black, with its error band when stored) drawn once,
    one coloured curve per pair whose data :meth:`show` replaces (r in Angstrom). ``figures``: the three
    Bokeh figures; ``sources``: the shown curve's data per pair (columns ``r``, ``g``)."""

    def __init__(self, reference, width: int = 300, height: int = 290):
        from .plots import PAIR_LABEL, PLOT_PAIRS
        self.reference = reference
        self.pairs = PLOT_PAIRS
        self.sources = {p: ColumnDataSource({"r": [], "g": []}) for p in PLOT_PAIRS}
        self.figures, self.items = [], []
        for pair in PLOT_PAIRS:
            f = bokeh_figure(PAIR_LABEL[pair], width, height, x_axis_label="r (Å)", y_axis_label="g(r)")
            if reference is not None:
                r, g = reference.r.values, reference.g.sel(pair=pair).values
                if "g_err" in reference:
                    e = reference.g_err.sel(pair=pair).values
                    f.varea(x=r, y1=g - e, y2=g + e, color="black", alpha=0.2)
                f.line(r, g, color="black", line_width=2.5, alpha=0.85, legend_label="reference")
            f.line("r", "g", source=self.sources[pair], color=PALETTE[0], line_width=1.8, legend_label="best")
            f.legend.location = "top_right"
            self.items.append(f.legend[0].items[-1])
            self.figures.append(f)

    def show(self, pdf, label: str = "best") -> None:
        """Show ``pdf`` (Dataset with dims pair, r; None: no curve) labelled ``label`` in the legends."""
        for pair, item in zip(self.pairs, self.items):
            self.sources[pair].data = ({"r": [], "g": []} if pdf is None else
                                       {"r": pdf.r.values, "g": pdf.g.sel(pair=pair).values})
            item.label = {"value": label}
