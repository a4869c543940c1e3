"""Forcefield tab: pick or edit a parameter set, compare U(r), evaluate it with a melt in the background."""

from __future__ import annotations

import io

import numpy as np
import panel as pn

from ...fidelity import FIDELITIES
from ...forcefield import PRESETS, ForceField
from ...parameters import ParameterError
from ...presets import PRESET_SOURCES

from ..jobs import Job
from ..poller import Poller
from ..state import EvalSummary, SessionState
from ..widgets import (FlowPlot, JobControls, ParameterEditor, TabView, engine_select, fidelity_select, flow, heading,
                       seed_input, set_plot)

NONE = "(none)"


def _plots():
    """The plotting module, imported on first use: HoloViews loads after the page is interactive."""
    from .. import plots
    return plots


class ForcefieldView(TabView):
    title = "Forcefield"

    def __init__(self, state: SessionState, poller: Poller):
        super().__init__(state, poller)
        self.last: EvalSummary | None = None

        names = list(state.all_sets())
        self.preset = pn.widgets.Select(label="Parameter set", options=names, value="ML", sizing_mode="stretch_width")
        self.source = pn.pane.Markdown(self._source_text("ML"), sizing_mode="stretch_width", margin=(0, 10))
        self.editor = ParameterEditor(PRESETS["ML"], on_change=self._params_changed)
        self.load_json = pn.widgets.FileInput(accept=".json", multiple=False, sizing_mode="stretch_width")
        self.save_name = pn.widgets.TextInput(label="Save edited set as", placeholder="my set", sizing_mode="stretch_width")
        self.save_button = pn.widgets.Button(label="Save set", color="default")
        self.error = pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width")

        self.compare = pn.widgets.Select(label="Compare U(r) with", options=[NONE] + names, value="BKS", width=220)
        # the plots are filled by load_plots() right after the page has loaded (pn.state.onload), so the
        # controls are usable at once
        self.potential = FlowPlot(loading=True)

        self.fidelity, self.seed, self.engine = fidelity_select(), seed_input(), engine_select(state)
        self.controls = JobControls("Evaluate", "Cancel")
        self.evaluate_button, self.cancel_button = self.controls.go, self.controls.stop
        self.fidelity_info = pn.pane.Markdown(self._fidelity_text("tiny"), sizing_mode="stretch_width",
                                              margin=(0, 10))
        self.bar, self.status = self.controls.bar, self.controls.status
        self.metrics = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["rx-result"])
        self.details = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.pdf = FlowPlot(loading=True)

        self.preset.param.watch(self._preset_chosen, "value")
        self.compare.param.watch(lambda e: self._params_changed(), "value")
        self.load_json.param.watch(self._json_loaded, "value")
        self.save_button.on_click(self._save)
        self.evaluate_button.on_click(self._evaluate)
        self.fidelity.param.watch(lambda e: setattr(self.fidelity_info, "object", self._fidelity_text(e.new)),
                                  "value")
        state.param.watch(self._sets_changed, "sets")
        state.param.watch(lambda e: self._refresh_pdf(), "reference")

        left = pn.Column(
            self.preset, self.source, *self.editor.cards,
            pn.pane.Markdown("Load a forcefield JSON (as exported from the Results tab):", margin=(4, 10, 0, 10)),
            self.load_json, pn.Row(self.save_name, self.save_button), self.error,
            width=340, margin=(0, 10, 0, 0))
        right = pn.Column(
            flow(heading("Pair potentials U(r)", "<small>DSF Coulomb + short range, as the MD "
                                  "sees them; dashed: the comparison set</small>", margin=(0, 10)), self.compare),
            self.potential,
            heading("Evaluate: melt at 3600 K, partial PDFs against the reference", margin=(0, 10)),
            flow(self.fidelity, self.seed, self.engine, pn.Row(self.evaluate_button, self.cancel_button)),
            self.fidelity_info, self.bar, self.status, self.metrics, self.details,
            sizing_mode="stretch_width")
        self.panel = pn.Column(pn.Row(left, right, sizing_mode="stretch_width"), self.pdf,
                               sizing_mode="stretch_width", name=self.title)

    def load_plots(self) -> None:
        """Draw U(r) and the PDFs (called once the page is up, or at once outside a server)."""
        self._params_changed()
        self._refresh_pdf()
        self.potential.loading = self.pdf.loading = False

    # ----------------------------------------------------------------------------- text helpers
    def _source_text(self, name: str) -> str:
        src = PRESET_SOURCES.get(name)
        return f"<small>{src}</small>" if src else "<small>session set</small>"

    @staticmethod
    def _fidelity_text(name: str) -> str:
        f = FIDELITIES[name]
        return (f"<small>{f.n_atoms} atoms, {f.relax_ps:g} ps relax + {f.production_ps:g} ps averaging at "
                f"{f.temperature:g} K, {f.density:g} g/cm³ ({f.total_steps} MD steps)</small>")

    # ----------------------------------------------------------------------------- parameters
    def current(self) -> ForceField:
        return self.editor.forcefield()

    def _potential_plot(self, ff: ForceField):
        other = None if self.compare.value == NONE else self.state.get_set(self.compare.value)
        return _plots().potential_plot(ff, other)

    def _params_changed(self) -> None:
        try:
            ff = self.current()
        except ParameterError as exc:
            self.error.object = f"Invalid parameters: {exc}"
            self.error.visible = True
            self.evaluate_button.disabled = True
            return
        self.error.visible = False
        self.evaluate_button.disabled = self.job is not None and not self.job.is_final
        set_plot(self.potential, self._potential_plot(ff))

    def _preset_chosen(self, event) -> None:
        self.source.object = self._source_text(event.new)
        self.editor.set_forcefield(self.state.get_set(event.new))

    def _sets_changed(self, event) -> None:
        names = list(self.state.all_sets())
        self.preset.options = names
        self.compare.options = [NONE] + names

    def _json_loaded(self, event) -> None:
        if not event.new:
            return
        try:
            ff = ForceField.from_json(io.BytesIO(event.new).read().decode())
        except Exception as exc:
            self.error.object = f"Could not load {self.load_json.filename}: {exc}"
            self.error.visible = True
            return
        name = self.state.add_set(ff, ff.name if ff.name != "custom" else self.load_json.filename.rsplit(".", 1)[0])
        self.preset.value = name

    def _save(self, event) -> None:
        try:
            ff = self.current()
        except ParameterError as exc:
            self.error.object = f"Invalid parameters: {exc}"
            self.error.visible = True
            return
        name = self.state.add_set(ff, self.save_name.value or ff.name)
        self.save_name.value = ""
        self.preset.value = name

    # ----------------------------------------------------------------------------- evaluation
    def _pdf_plot(self):
        sets = {self.last.label: self.last.pdf} if self.last is not None and self.last.pdf is not None else {}
        return _plots().pdf_plot(self.state.reference, sets, reference_label="reference")

    def _refresh_pdf(self) -> None:
        set_plot(self.pdf, self._pdf_plot())

    def _evaluate(self, event=None) -> Job | None:
        try:
            ff = self.current()
        except ParameterError as exc:
            self.error.object = f"Invalid parameters: {exc}"
            self.error.visible = True
            return None
        fidelity, seed = self.fidelity.value, int(self.seed.value)
        state = self.state
        engine = state.engine_name
        label = f"{ff.name} @ {fidelity}" + ("" if engine == "lammps" else f" ({engine})")
        self.job = self.controls.run(state, self.poller, label,
                                     lambda job: state.evaluate(ff, fidelity, seed, job, engine=engine),
                                     on_done=self._finished)
        self.metrics.object = ""
        self.details.object = ""
        return self.job

    def _finished(self, job: Job) -> None:
        if job.state != "done":
            return
        summary: EvalSummary = job.result
        self.state.store(summary)
        self.last = summary
        self.metrics.object = summary.metrics_text()
        self.details.object = details_text(summary)
        if summary.pdf is not None:
            self._refresh_pdf()


def details_text(summary: EvalSummary) -> str:
    """Thermodynamics and structure of a finished melt (library numbers, formatted)."""
    rec = summary.record or {}
    parts = [f"wall time {summary.wall_time_s:.1f} s"]
    if "mean_temperature_K" in rec:
        parts.append(f"mean T {rec['mean_temperature_K']:.0f} K")
    if "mean_pressure_bar" in rec:
        parts.append(f"mean P {rec['mean_pressure_bar'] / 1e4:.2f} GPa")
    if summary.pdf is not None and summary.ok:
        from ...structure import coordination_numbers, first_peak
        plots = _plots()
        peaks = ", ".join(f"{plots.PAIR_LABEL[p]} {first_peak(summary.pdf, p)[0]:.2f} Å" for p in plots.PLOT_PAIRS)
        parts.append(f"first peaks: {peaks}")
        try:
            cn = coordination_numbers(summary.pdf)
            parts.append(f"O around Si {cn['Si-O']:.2f}, Si around O {cn['O-Si']:.2f}")
        except ValueError:
            pass
    if summary.reference_name:
        parts.append(f"reference: {summary.reference_name}")
    return "<small>" + "; ".join(p for p in parts if p and not (isinstance(p, float) and np.isnan(p))) + "</small>"
