"""Small shared UI pieces: the tab-view base, parameter editors, job controls, status lines, formatting."""

from __future__ import annotations

import math
import re

import numpy as np
import panel as pn
import param

from ..forcefield import PRESETS, ForceField
from ..parameters import FREE_PARAMETERS, SEARCH_BOUNDS, UNITS, VALID_RANGE
from .jobs import Job
from .state import ROOT

PRETTY_UNITS = {"e": "e", "eV": "eV", "A": "Å", "eV A^6": "eV Å⁶", "eV A^24": "eV Å²⁴", "1/A": "1/Å"}
GROUPS = (("Charge", ("q_Si",)), ("Si-O", ("A_SiO", "rho_SiO", "C_SiO")), ("O-O", ("A_OO", "rho_OO", "C_OO")),
          ("Si-Si", ("A_SiSi", "rho_SiSi", "C_SiSi")))


class TabView:
    """Base of a tab: the session's state and poller, and the tab's one background job at a time."""

    title = ""

    def __init__(self, state, poller):
        self.state = state
        self.poller = poller
        self.job: Job | None = None


class JobControls:
    """The controls of one background job at a time: a start button (``go``), an optional stop button
    (cancels the job), a progress bar and a status line. :meth:`run` submits a job, disables ``go``
    (enables ``stop``) while it runs and reflects its progress; ``on_update(job)`` / ``on_done(job)``
    run after the progress line is updated."""

    def __init__(self, go_label: str, stop_label: str | None = None, go_width: int = 110, stop_width: int = 90,
                 align: str | None = "end"):
        extra = {} if align is None else {"align": align}
        self.go = pn.widgets.Button(label=go_label, color="primary", width=go_width, **extra)
        self.stop = None if stop_label is None else pn.widgets.Button(
            label=stop_label, color="warning", width=stop_width, disabled=True, **extra)
        self.bar, self.status = progress_widgets()
        self.job: Job | None = None
        if self.stop is not None:
            self.stop.on_click(lambda e: self.cancel())

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.is_final

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def busy(self, running: bool) -> None:
        self.go.disabled = running
        if self.stop is not None:
            self.stop.disabled = not running

    def run(self, state, poller, label: str, fn, uses_md: bool = True, on_update=None, on_done=None) -> Job:
        job = self.job = state.submit(label, fn, uses_md=uses_md)
        self.busy(True)

        def update(j: Job) -> None:
            show_job(j, self.bar, self.status)
            if on_update is not None:
                on_update(j)

        def done(j: Job) -> None:
            show_job(j, self.bar, self.status)
            self.busy(False)
            if on_done is not None:
                on_done(j)

        poller.watch(job, on_update=update, on_done=done)
        return job


def fidelity_select(value: str = "tiny", **kw) -> pn.widgets.Select:
    from ..fidelity import FIDELITIES
    return pn.widgets.Select(label="Fidelity", options=list(FIDELITIES), value=value, width=110, **kw)


def seed_input(**kw) -> pn.widgets.IntInput:
    return pn.widgets.IntInput(label="Seed", value=0, start=0, width=90, **kw)


def engine_select(state) -> pn.widgets.Select:
    """The session's MD engine (shared by the tabs; part of every result's cache key)."""
    return pn.widgets.Select.from_param(state.param.engine_name, name="Engine", width=100)


def display_path(p) -> str:
    """A path as the user reads it: relative to the repository when inside it."""
    from pathlib import Path
    p = Path(p)
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p)


def unit_label(name: str) -> str:
    return PRETTY_UNITS.get(UNITS[name], UNITS[name])


def slider_range(name: str) -> tuple[float, float]:
    """Slider span: the search box widened to include every preset's value (e.g. rho_SiSi = 1 A
    for 'Si-Si off')."""
    lo, hi = SEARCH_BOUNDS[name]
    vals = [getattr(ff, name) for ff in PRESETS.values()]
    return min(lo, min(vals)), max(hi, max(vals))


def _step_format(name: str) -> tuple[float, str]:
    if name == "q_Si":
        return 0.001, "0.0000"
    if name.startswith("A_"):
        return 1.0, "0.0"
    if name.startswith("rho_"):
        return 0.0001, "0.000000"
    return 0.01, "0.000"


def parameter_slider(name: str, value: float, **kw) -> pn.widgets.EditableFloatSlider:
    """Slider + numeric input for one free parameter, labelled with its unit; the input accepts
    values beyond the slider span up to the hard limits (:data:`VALID_RANGE`)."""
    lo, hi = slider_range(name)
    vlo, vhi, lo_incl = VALID_RANGE[name]
    step, fmt = _step_format(name)
    return pn.widgets.EditableFloatSlider(
        label=f"{name} ({unit_label(name)})", start=lo, end=hi, value=float(value), step=step, format=fmt,
        fixed_start=vlo if lo_incl else None, fixed_end=vhi if math.isfinite(vhi) else None,
        sizing_mode="stretch_width", **kw)


class ParameterEditor:
    """The 10 free parameters as sliders with numeric inputs; ``forcefield()`` builds the validated set."""

    def __init__(self, initial: ForceField, on_change=None):
        self.base = initial
        self.sliders = {n: parameter_slider(n, getattr(initial, n)) for n in FREE_PARAMETERS}
        self._on_change = on_change
        self._updating = False
        for s in self.sliders.values():
            s.param.watch(self._changed, "value")
        self.cards = [pn.Card(*[self.sliders[n] for n in names], title=title, collapsed=False,
                              sizing_mode="stretch_width", margin=(4, 0)) for title, names in GROUPS]

    def _changed(self, event) -> None:
        if not self._updating and self._on_change is not None:
            self._on_change()

    def values(self) -> dict[str, float]:
        return {n: float(s.value) for n, s in self.sliders.items()}

    def set_forcefield(self, ff: ForceField) -> None:
        """Show ``ff``'s values (one change notification at the end)."""
        self.base = ff
        self._updating = True
        try:
            for n, s in self.sliders.items():
                v = float(getattr(ff, n))
                lo, hi = s.start, s.end
                if v < lo or v > hi:
                    s.param.update(start=min(lo, v), end=max(hi, v))
                s.value = v
        finally:
            self._updating = False
        if self._on_change is not None:
            self._on_change()

    def forcefield(self) -> ForceField:
        """``base`` with the edited values; the preset's own name when nothing changed.
        Raises ParameterError for invalid values."""
        vals = self.values()
        if all(np.isclose(vals[n], getattr(self.base, n), rtol=1e-12, atol=0) for n in vals):
            return self.base
        name = self.base.name if self.base.name.endswith("(modified)") else f"{self.base.name} (modified)"
        return self.base.replace(**vals, name=name)


def heading(title: str, text: str = "", **kw) -> pn.pane.Markdown:
    """A section title (bold, modest size) with an optional small explanatory line."""
    body = f'<div style="font-size:1.08em;font-weight:600;margin-top:6px">{title}</div>'
    if text:
        body += f'<div style="font-size:0.85em;color:#555">{text}</div>'
    kw.setdefault("margin", (0, 10))
    return pn.pane.Markdown(body, **kw)


def set_plot(pane, obj) -> None:
    """Show ``obj`` in ``pane`` and reserve its size (a grid of plots otherwise can collapse to zero
    width inside stretching rows and columns)."""
    if isinstance(pane, FlowPlot):
        pane.object = obj
        return
    from .plots import plot_size
    w, h = plot_size(obj)
    pane.param.update(object=obj, min_width=w, min_height=h)


def set_grid(row: pn.Row, obj) -> None:
    """Show a HoloViews Layout as one pane per panel in ``row`` (robust where a Layout's grid box
    collapses, as in the Fit tab); any other object as a single pane."""
    from .plots import plot_size
    items = list(obj) if isinstance(obj, hv_layout_type()) else [obj]
    panes = []
    for item in items:  # each pane reserves its plot's size (in a wrapping box it would collapse)
        w, h = plot_size(item)
        panes.append(pn.pane.HoloViews(item, min_width=w, min_height=h))
    row.objects = panes


def hv_layout_type():
    import holoviews as hv
    return hv.Layout


def progress_widgets():
    """A progress bar and a status line for a job."""
    bar = pn.indicators.Progress(value=0, max=100, visible=False, sizing_mode="stretch_width", bar_color="primary",
                                 height=20)
    status = pn.pane.Markdown("", sizing_mode="stretch_width", margin=(0, 10))
    return bar, status


def show_job(job: Job, bar: pn.indicators.Progress, status: pn.pane.Markdown) -> None:
    """Reflect ``job`` in a progress bar + status line (indeterminate while queued or unknown)."""
    bar.visible = not job.is_final
    if job.state == "running" and job.total:
        bar.value = int(round(100 * job.fraction))
    elif not job.is_final:
        bar.value = -1  # indeterminate
    status.object = job.describe()


class ReplayPlayer(pn.viewable.Viewer):
    """Play/pause, step buttons and a position slider over positions ``1 .. end``.

    Built from an :class:`~panel.widgets.IntSlider` rather than Panel's ``Player``: that widget's
    browser side sets the handle before its range when it first renders (the handle of "300 of 300"
    sat at 100 of 300) and keeps a stale range when only ``end`` changes. Here ``value``, ``end`` and
    ``disabled`` are synced to the slider together, so the handle always sits at ``value``. With fewer
    than two positions the slider is disabled (a slider needs a range: its end is kept at 2)."""

    value = param.Integer(default=1, bounds=(1, None), doc="the position shown (1-based)")
    end = param.Integer(default=1, bounds=(1, None), doc="the last position")
    disabled = param.Boolean(default=False)
    interval = param.Integer(default=500, bounds=(50, None), doc="ms between steps while playing")

    def __init__(self, label: str = "Evaluation", **params):
        super().__init__(**params)
        self.slider = pn.widgets.IntSlider(label=label, start=1, end=max(2, self.end), value=self.value, step=1,
                                           sizing_mode="stretch_width", css_classes=["replay-slider"])
        b = dict(width=44, margin=(0, 2), color="light")
        self.first = pn.widgets.Button(label="|◀", description="first", **b)
        self.back = pn.widgets.Button(label="◀", description="one back", **b)
        self.play = pn.widgets.Toggle(label="Play", **{**b, "width": 64})
        self.forward = pn.widgets.Button(label="▶", description="one forward", **b)
        self.last = pn.widgets.Button(label="▶|", description="last", **b)
        self._callback = None
        self.first.on_click(lambda e: self._go(1))
        self.back.on_click(lambda e: self._go(self.value - 1))
        self.forward.on_click(lambda e: self._go(self.value + 1))
        self.last.on_click(lambda e: self._go(self.end))
        self.play.param.watch(self._toggle, "value")
        self.slider.param.watch(lambda e: self._go(e.new), "value")
        self.param.watch(lambda *events: self._sync(), ["value", "end", "disabled"])
        self._sync()
        self._layout = pn.Row(self.slider, self.first, self.back, self.play, self.forward, self.last,
                              sizing_mode="stretch_width", css_classes=["replay-player"])

    def __panel__(self):
        return self._layout

    def _go(self, position: int) -> None:
        self.value = int(min(max(1, position), self.end))

    def _sync(self) -> None:
        """Range, position and state of the slider and buttons together (one model update)."""
        if self.value > self.end:
            self.value = self.end  # re-enters _sync
            return
        off = self.disabled or self.end < 2
        self.slider.param.update(end=max(2, self.end), value=self.value, disabled=off)
        for w in (self.first, self.back, self.play, self.forward, self.last):
            w.disabled = off
        if self.play.value and (off or self.value >= self.end):
            self.play.value = False

    def _toggle(self, event) -> None:
        self.play.label = "Pause" if event.new else "Play"
        if event.new:
            if self.value >= self.end:
                self.value = 1
            if self._callback is None and pn.state.curdoc is not None:
                self._callback = pn.state.add_periodic_callback(self._step, period=self.interval)
        elif self._callback is not None:
            self._callback.stop()
            self._callback = None

    def _step(self) -> None:
        if self.value >= self.end:
            self.play.value = False
        else:
            self.value += 1


def bokeh_pane(figure=None, **kw) -> pn.pane.Bokeh:
    """A pane for a fixed-size Bokeh figure that keeps the figure's size (in a wrapping box a pane
    without a size collapses)."""
    pane = pn.pane.Bokeh(None, **kw)
    show_figure(pane, figure)
    return pane


def show_figure(pane: pn.pane.Bokeh, figure) -> None:
    """Show ``figure`` in ``pane``, sized to it."""
    size = {} if figure is None else {"width": figure.width, "height": figure.height}
    pane.param.update(object=figure, **size)


def flow(*objects, **kw) -> pn.FlexBox:
    """Plots side by side that wrap onto the next line when the window is narrower than their sum (a
    Row of fixed-width figures would reach past the window's right edge)."""
    kw.setdefault("sizing_mode", "stretch_width")
    return pn.FlexBox(*objects, flex_wrap="wrap", justify_content="flex-start", **kw)


class FlowPlot(pn.viewable.Viewer):
    """A HoloViews object shown one pane per panel in a :func:`flow` box, so that a Layout of several
    fixed-size panels wraps on a narrow window instead of reaching past its edge. ``object`` is the
    HoloViews object shown (a Layout or a single element); ``loading`` shows the spinner."""

    object = param.Parameter(default=None)
    loading = param.Boolean(default=False)

    def __init__(self, object=None, **params):
        super().__init__(object=object, **params)
        self._box = flow(loading=self.loading)
        self.param.watch(lambda e: set_grid(self._box, e.new) if e.new is not None else None, "object")
        self.param.watch(lambda e: setattr(self._box, "loading", e.new), "loading")
        if object is not None:
            set_grid(self._box, object)

    def __panel__(self):
        return self._box


_ABSOLUTE_PATH = re.compile(r"(?<![\w.~])/(?:[\w.+@-]+/)*[\w.+@-]+")


def without_machine_paths(text: str) -> str:
    """``text`` with every absolute path of this machine shown as the user reads it: relative to the
    project when inside it (``data/reference/x.nc``), else by its file name."""
    from pathlib import Path

    def shown(m: re.Match) -> str:
        p = Path(m.group(0))
        return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else p.name
    return _ABSOLUTE_PATH.sub(shown, str(text))
