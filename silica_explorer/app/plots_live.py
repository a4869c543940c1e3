"""Live plots of the Fit tab: Bokeh figures built once per fit whose data are replaced as evaluations
arrive, so an update sends only new column data to the browser (no new models, no re-layout).

Rebuilding HoloViews plots at every update took ~0.5 s of the server's event loop per update (40
evaluations, measured on an idle machine), which every browser session shares: while one session ran a
fit, the others waited behind the rebuilds. Same content and look as
:func:`silica_explorer.app.plots.fit_history_plot`, :func:`~silica_explorer.app.plots.gp_plot` and
:func:`~silica_explorer.app.plots.parameter_traces_plot` (which stay the pure HoloViews versions, for
notebooks).

Units: R_x in %, parameters in their :data:`silica_explorer.parameters.UNITS`, evaluations from 1.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from bokeh.models import ColumnDataSource, HoverTool, Range1d

from .plots import gp_prediction_points, trace_arrays, unit_label
from .plots_replay import BestPdfPlots, HistoryPlot, bokeh_figure


class GpPredictionPlot:
    """GP prediction (mean +- 1 std at proposal time, from each evaluation's ``proposal``) against the
    observed R_x (%), for model-proposed points; the dashed diagonal is a perfect prediction.
    ``sources``: ``points`` (observed, predicted, lower, upper) and ``diagonal`` (x, y)."""

    def __init__(self, width: int = 360, height: int = 320):
        self.sources = {"points": ColumnDataSource({"observed": [], "predicted": [], "lower": [], "upper": []}),
                        "diagonal": ColumnDataSource({"x": [], "y": []})}
        f = self.figure = bokeh_figure("GP prediction vs observed", width, height, x_axis_label="observed R_x (%)",
                                  y_axis_label="GP prediction (%)")
        f.line("x", "y", source=self.sources["diagonal"], color="gray", line_dash="dashed")
        f.segment("observed", "lower", "observed", "upper", source=self.sources["points"], color="#1f77b4")
        pts = f.scatter("observed", "predicted", source=self.sources["points"], color="#1f77b4", size=7)
        f.add_tools(HoverTool(renderers=[pts], tooltips=[("observed (%)", "@observed{0.000}"),
                                                         ("predicted (%)", "@predicted{0.000}")]))

    def show(self, trace: Sequence[Mapping]) -> int:
        """Show the trace's model-proposed, successful evaluations; returns how many."""
        a = gp_prediction_points(trace)
        self.sources["points"].data = {"observed": a[:, 0], "predicted": a[:, 1], "lower": a[:, 1] - a[:, 2],
                                       "upper": a[:, 1] + a[:, 2]}
        diagonal = {"x": [], "y": []}
        if len(a):
            lo, hi = float(np.min(a[:, :2] - a[:, 2:])), float(np.max(a[:, :2] + a[:, 2:]))
            diagonal = {"x": [lo, hi], "y": [lo, hi]}
        self.sources["diagonal"].data = diagonal
        self.figure.title.text = ("GP prediction vs observed" if len(a) else
                                  "GP prediction vs observed (none yet)")
        return len(a)


class ParameterTracePlots:
    """One small figure per free parameter: its value at every evaluation, the best so far as a red
    star. ``figures``: by parameter name, in ``names`` order; ``sources[name]``: ``all`` (iteration,
    value) and ``best``. The evaluation axis is shared (``x_range``)."""

    def __init__(self, names: Sequence[str], x_range: Range1d | None = None, width: int = 260, height: int = 200):
        self.names = list(names)
        self.x_range = x_range if x_range is not None else Range1d(0.5, 1.5)
        self.figures, self.sources = {}, {}
        for name in self.names:
            src = self.sources[name] = {"all": ColumnDataSource({"iteration": [], "value": []}),
                                        "best": ColumnDataSource({"iteration": [], "value": []})}
            unit = unit_label(name)
            f = bokeh_figure(name, width, height, x_range=self.x_range, x_axis_label="evaluation",
                        y_axis_label=f"{name} ({unit})" if unit else name)
            f.line("iteration", "value", source=src["all"], color="#1f77b4", alpha=0.5)
            f.scatter("iteration", "value", source=src["all"], color="#1f77b4", size=4)
            f.scatter("iteration", "value", source=src["best"], color="#d62728", size=12, marker="star")
            self.figures[name] = f

    def show(self, trace: Sequence[Mapping], R: np.ndarray) -> None:
        """Show every entry of ``trace`` (``params`` by name); ``R`` its R_x (nan: failed) marks the best."""
        it = np.arange(1, len(trace) + 1, dtype=float)
        ib = int(np.nanargmin(R)) if np.isfinite(R).any() else None
        for name in self.names:
            v = np.array([float(t["params"].get(name, np.nan)) for t in trace], dtype=float)
            self.sources[name]["all"].data = {"iteration": it, "value": v}
            self.sources[name]["best"].data = ({"iteration": it[ib:ib + 1], "value": v[ib:ib + 1]}
                                               if ib is not None else {"iteration": [], "value": []})


class LiveFitPlots:
    """Every live plot of one fit over free parameters ``names``: ``history`` (R_x per evaluation),
    ``gp`` (prediction vs observed), ``traces`` (per parameter), ``pdf`` (best set's partial g(r)
    against ``reference``). :meth:`show` updates the first three, :meth:`show_best_pdf` the last."""

    def __init__(self, names: Sequence[str], reference):
        self.names = list(names)
        self.x_range = Range1d(0.5, 1.5)
        self.history = HistoryPlot(self.x_range)
        self.gp = GpPredictionPlot()
        self.traces = ParameterTracePlots(self.names, self.x_range)
        self.pdf = BestPdfPlots(reference)

    def show(self, trace: Sequence[Mapping], budget: int) -> None:
        """Show ``trace`` (Fit-tab entries, in evaluation order) of a fit of ``budget`` evaluations: the
        evaluation axes span the budget (or the trace, if longer)."""
        end = max(1, int(budget), len(trace)) + 0.5
        if self.x_range.end != end:
            self.x_range.update(start=0.5, end=end)
        R, flagged = trace_arrays(trace)
        self.history.show(R, flagged)
        self.gp.show(trace)
        self.traces.show(trace, R)

    def show_best_pdf(self, pdf, label: str) -> None:
        self.pdf.show(pdf, label)
