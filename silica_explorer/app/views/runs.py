"""Runs tab: open any evaluation store, list its runs, follow a running fit live or replay a finished one.

The store is read through :class:`~silica_explorer.store.reader.StoreReader` (SQLite ``mode=ro``): the
app never writes into, locks or creates a store it only shows. While a store is open the session polls
it every :attr:`RunsView.POLL_MS` ms for new evaluations of the selected run (Follow keeps the replay
position at the newest one). Replay: play/pause and a position slider over the run's evaluations; every
view (best so far, evaluations with failures, parameter traces, parallel coordinates, the best PDFs
against the reference, the best set's glass numbers when a glass of it exists) shows the run as it was at
that position. GP slices and the length-scale
readout are recomputed from the stored points on request (:mod:`silica_explorer.analysis.gp_slices`).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import panel as pn

from ...store import StoreError
from ...store.reader import StoreGone, StoreReader, store_file
from .. import plots_runs
from ..plots_replay import BestPdfPlots, ReplayPlots, RunArrays
from ..jobs import Job
from ..state import DEFAULT_FIT_STORE, ROOT, RUNS_DIR, SessionState
from ..failures import failure_summary, raw_messages
from .glass import GlassNumbers
from ..widgets import (JobControls, ReplayPlayer, TabView, bokeh_pane, display_path, flow, heading, set_grid,
                       show_figure, unit_label)

RUN_COLUMNS = ["run", "optimizer", "free parameters", "fidelity", "evaluations", "failed", "best R_x (%)", "status",
               "last evaluation (UTC)"]


def known_stores(state: SessionState) -> dict[str, str]:
    """Stores offered in the list: the shipped fits (``data/fits/*``), CLI stores under runs/ (not other
    sessions' app stores), and this session's own Fit-tab store."""
    found = sorted(DEFAULT_FIT_STORE.parent.parent.glob("*/store.sqlite"))
    runs = ROOT / "runs"
    if runs.is_dir():
        found += sorted(p for p in runs.glob("*/store.sqlite") if p.parent != RUNS_DIR)
    own = RUNS_DIR / f"session-{state.session_id}" / "store.sqlite"
    if own.exists():
        found.append(own)
    return {display_path(p): str(p) for p in found}


def runs_table(runs: list[dict]) -> pd.DataFrame:
    rows = []
    for r in runs:
        cfg = r.get("config") or {}
        space = cfg.get("space") or {}
        fid = cfg.get("fidelity") or {}
        rows.append([r["run_id"], r["optimizer"], ", ".join(space.get("free", [])),
                     fid.get("name") if isinstance(fid, dict) else str(fid), r["n_evaluations"], r["n_failed"],
                     round(100 * r["best_R_x"], 3) if math.isfinite(r["best_R_x"]) else None, r["status"],
                     (r["last_evaluation"] or "")[:19].replace("T", " ")])
    return pd.DataFrame(rows, columns=RUN_COLUMNS).astype(object)


def record_entry(rec, i: int) -> dict:
    """What the plots need from one stored evaluation (position ``i`` in the run)."""
    return {"iteration": i, "phase": rec.optimizer, "params": dict(rec.free), "status": rec.status,
            "reason": rec.reason, "R_x": rec.R_x if rec.ok else math.nan, "record_id": rec.id,
            "proposal": rec.proposal, "u": rec.u}


class RunsView(TabView):
    title = "Runs"
    #: How often an open store is polled for new evaluations (ms).
    POLL_MS = 2000

    def __init__(self, state: SessionState, poller, store: str | Path | None = "default"):
        super().__init__(state, poller)
        self.reader: StoreReader | None = None
        self.runs: list[dict] = []
        self.run_id: str | None = None
        self.records: list = []
        self.space = None
        self._pdfs: dict[int, object] = {}
        self._callback = None
        self._hold = False  # set while several widgets change at once: one redraw at the end
        self._shown_best = None

        stores = known_stores(state)
        self.stores = pn.widgets.Select(label="Store", options=stores, sizing_mode="stretch_width",
                                        disabled=not stores)
        self.path = pn.widgets.TextInput(label="or any store: directory or .sqlite file (also on a shared file "
                                               "system)", placeholder="runs/fit", sizing_mode="stretch_width")
        self.open_button = pn.widgets.Button(label="Open", color="primary", width=90, align="end")
        self.notice = pn.pane.Alert("", alert_type="info", visible=False, sizing_mode="stretch_width",
                                    css_classes=["runs-notice"])
        self.table = pn.widgets.Tabulator(runs_table([]), disabled=True, show_index=False, selectable=1,
                                          sizing_mode="stretch_width", max_height=220)
        self.follow = pn.widgets.Checkbox(label="Follow: jump to new evaluations as they arrive", value=True)
        self.player = ReplayPlayer("Evaluation", disabled=True)
        self.summary = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["runs-summary"])
        self.failures = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["runs-failures"])
        self.raw_failures = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["runs-raw-failures"])
        self.raw_card = pn.Card(self.raw_failures, title="Engine messages of the failed evaluations", collapsed=True,
                                visible=False, sizing_mode="stretch_width", margin=(0, 10))
        # replay figures: built once per run (:meth:`_reset_plots`), their data replaced at every position
        self.history = bokeh_pane()
        self.parcoords = bokeh_pane()
        self.traces = bokeh_pane()
        self._entries: list[dict] = []  # record_entry of every record read (unit coordinates computed once)
        self._reset_plots()
        self.best_pdf = pn.Row(sizing_mode="stretch_width")  # one Bokeh pane per pair (3 x 300 px)  # one Bokeh pane per pair (BestPdfPlots)
        self.best_note = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["runs-best-note"])
        self._pdf_plots: BestPdfPlots | None = None
        self.glass = GlassNumbers(state)
        self.controls = JobControls("GP slices at this position", go_width=200, align=None)
        self.slices_button = self.controls.go
        self.slices = flow()
        self.readout = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["runs-readout"])
        self.bar, self.status = self.controls.bar, self.controls.status
        self._draw()

        self._syncing_store = False  # set while the dropdown is moved to the store just opened
        self.stores.param.watch(lambda e: self._syncing_store or self.open(e.new), "value")
        self.open_button.on_click(lambda e: self.open(self.path.value.strip()))
        self.table.param.watch(self._selected, "selection")
        self.player.param.watch(lambda e: self._hold or self._draw(), "value")
        state.param.watch(lambda e: self.glass.show(self.glass.forcefield), "glass_version")
        self.slices_button.on_click(lambda e: self.compute_slices())

        self.panel = pn.Column(
            pn.Row(self.stores, self.path, self.open_button, sizing_mode="stretch_width"),
            self.notice, self.table,
            self.player, self.follow, self.summary,
            self.history, self.parcoords, self.failures, self.raw_card,
            self.traces,
            heading("Best set at this position: partial PDFs against the session's reference"), self.best_note,
            self.best_pdf,
            heading("The glass this best set makes", "Shipped or made in this session, matched by parameters; "
                    "reported, never fitted"), self.glass.panel,
            heading("Which parameters do the data constrain?",
                    "A Gaussian process refitted to the successful evaluations up to this position (the "
                    "BO's kernel; not stored): one slice per parameter through the best point, +-1 std band"),
            pn.Row(self.slices_button, pn.Column(self.bar, self.status, sizing_mode="stretch_width"),
                   sizing_mode="stretch_width"), self.readout, self.slices,
            sizing_mode="stretch_width", name=self.title)

        if store == "default":
            if DEFAULT_FIT_STORE.exists():
                self.open(DEFAULT_FIT_STORE)
            else:
                self._notice(f"The shipped 7-parameter fit `{display_path(DEFAULT_FIT_STORE)}` is not here yet. "
                             "Open a store above: a CLI run (`silica-explorer fit --store DIR`), this session's "
                             "Fit tab store, or one a cluster writes.", "info")
        elif store is not None:
            self.open(store)

    # ----------------------------------------------------------------------------- store + runs
    def _notice(self, text: str, kind: str = "danger") -> None:
        self.notice.param.update(object=text, alert_type=kind, visible=True)

    def open(self, path) -> bool:
        """Open the store at ``path`` (directory or file) read-only; on failure the notice says why and
        what was shown stays shown. Returns True on success."""
        if not path:
            self._notice("Give a store path (a directory with store.sqlite, or the .sqlite file).", "warning")
            return False
        p = Path(path).expanduser()
        if not p.is_absolute():
            p = ROOT / p
        try:
            reader = StoreReader(p)
            runs = reader.runs()
        except StoreError as exc:
            self._notice(f"Could not open `{display_path(store_file(p))}`: {exc}")
            return False
        if self.reader is not None:
            self.reader.close()
        self.reader, self.runs, self._pdfs, self._shown_best = reader, runs, {}, None
        self.notice.visible = False
        self._show_store(reader.path)
        self.table.value = runs_table(runs)
        if not runs:
            self._notice(f"`{display_path(reader.path)}` holds no runs yet; new ones appear while it is open.",
                         "info")
            self.run_id, self.records = None, []
            self._reset_plots()
            self._draw()
        else:
            best = max(range(len(runs)), key=lambda i: (runs[i]["status"] == "running", runs[i]["n_evaluations"]))
            self.table.selection = [best]
            self.select_run(runs[best]["run_id"])
        self._start_polling()
        return True

    def _show_store(self, path) -> None:
        """The Store dropdown names the store that is loaded (added to its options when opened by path)."""
        target = Path(path).resolve()
        options = dict(self.stores.options)
        value = next((v for v in options.values() if Path(v).resolve() == target), None)
        if value is None:
            value = str(target)
            options[display_path(target)] = value
        self._syncing_store = True
        try:
            self.stores.param.update(options=options, value=value, disabled=False)
        finally:
            self._syncing_store = False

    def _selected(self, event) -> None:
        if event.new and self.reader is not None and event.new[0] < len(self.runs):
            run_id = self.runs[event.new[0]]["run_id"]
            if run_id != self.run_id:
                self.select_run(run_id)

    def select_run(self, run_id: str) -> None:
        """Show run ``run_id`` of the open store, positioned at its last evaluation."""
        run = next(r for r in self.runs if r["run_id"] == run_id)
        self.run_id = run_id
        self.space = None
        space = (run.get("config") or {}).get("space")
        if space:
            try:
                from ...optimize.space import SearchSpace
                self.space = SearchSpace.from_dict(space)
            except Exception as exc:  # the views fall back to the stored unit coordinates
                self._notice(f"Run `{run_id}`: its search space could not be rebuilt ({exc}); parameters are "
                             "shown as stored.", "warning")
        self.records = []
        self._reset_plots()
        try:
            self._add(self.reader.records(run_id))
        except StoreError as exc:
            self._lost(exc)
        self.readout.object = ""
        self.status.object = ""  # a GP job's line belongs to the run it was computed for
        self.slices.objects = []
        self._set_player(len(self.records), len(self.records))
        if self.records and not any(r.ok for r in self.records):
            self._notice(f"Run `{run_id}` has no successful evaluation ({len(self.records)} failed): no best "
                         "R_x, PDFs or GP yet; the failures and their reasons are listed below.", "warning")
        elif not self.records:
            self._notice(f"Run `{run_id}` has no evaluation yet.", "info")

    def _add(self, recs) -> None:
        """Append newly read records; their plot entries (and arrays) are derived once, here."""
        entries = []
        for i, r in enumerate(recs, start=len(self.records)):
            e = record_entry(r, i)
            if self.space is not None and (e["u"] is None or len(e["u"]) != self.space.dim):
                e["u"] = list(self.space.unit_of(r.forcefield))
            entries.append(e)
        self.records.extend(recs)
        self._entries.extend(entries)
        if self.names != self.replay.names:  # the first records of a run without a recorded space
            self._reset_plots(keep_entries=True)
        else:
            self._arrays.extend(entries)

    def _reset_plots(self, keep_entries: bool = False) -> None:
        """New replay figures and arrays for the shown run's free parameters (once per run)."""
        if not keep_entries:
            self._entries = []
        self.replay = ReplayPlots(self.names)
        self._arrays = RunArrays(len(self.replay.names))
        self._arrays.extend(self._entries)
        show_figure(self.history, self.replay.history)
        show_figure(self.parcoords, self.replay.parcoords)
        show_figure(self.traces, self.replay.traces)

    @property
    def names(self) -> list[str]:
        if self.space is not None:
            return list(self.space.names)
        return list(self.records[0].free) if self.records else []

    @property
    def trace(self) -> list[dict]:
        """The plot entries of every record read (:func:`record_entry`, with unit coordinates)."""
        return self._entries

    # ----------------------------------------------------------------------------- follow
    def _start_polling(self) -> None:
        doc = pn.state.curdoc
        if self._callback is None and doc is not None and getattr(doc, "session_context", None) is not None:
            self._callback = pn.state.add_periodic_callback(self.poll, period=self.POLL_MS)

    def _stop_polling(self) -> None:
        if self._callback is not None:
            self._callback.stop()
            self._callback = None
        self._hold = False  # set while several widgets change at once: one redraw at the end
        self._shown_best = None

    def poll(self) -> int:
        """Read what the store gained since the last poll (runs' status, new evaluations of the shown
        run); returns how many evaluations arrived. Called periodically in a server."""
        if self.reader is None:
            return 0
        try:
            runs = self.reader.runs()
            new = self.reader.records(self.run_id, after_id=self.records[-1].id if self.records else 0) \
                if self.run_id is not None else []
        except StoreError as exc:
            self._lost(exc)
            return 0
        if [(r["run_id"], r["n_evaluations"], r["status"]) for r in runs] != \
                [(r["run_id"], r["n_evaluations"], r["status"]) for r in self.runs]:
            sel = self.table.selection
            self.runs = runs
            self.table.value = runs_table(runs)
            self.table.selection = sel
            if self.run_id is None and runs:
                self.notice.visible = False
                self.table.selection = [0]
                self.select_run(runs[0]["run_id"])
                return len(self.records)
        if not new:
            return 0
        at_end = self.player.value >= len(self.records)
        had_ok = any(r.ok for r in self.records)
        self._add(new)
        if not had_ok and any(r.ok for r in self.records):
            self.notice.visible = False
        self._set_player(len(self.records), len(self.records) if (self.follow.value or at_end) else None)
        return len(new)

    def _set_player(self, end: int, value: int | None) -> None:
        """New end (and position) of the replay slider, then one redraw."""
        self._hold = True
        try:
            upd = {"end": max(1, end), "disabled": end < 2}
            if value is not None:
                upd["value"] = max(1, value)
            self.player.param.update(**upd)
        finally:
            self._hold = False
        self._draw()

    def _lost(self, exc: Exception) -> None:
        self._stop_polling()
        what = "deleted or replaced" if isinstance(exc, StoreGone) else "unreadable"
        self._notice(f"The store became {what} while it was followed: {exc}. Showing the "
                     f"{len(self.records)} evaluations read before; open a store to continue.")

    # ----------------------------------------------------------------------------- drawing
    def position(self) -> int:
        return min(int(self.player.value), len(self.records))

    def _draw(self) -> None:
        """Show the run at the replay position: data of the existing figures, summary, failures, best PDF."""
        n = self.position() if self.records else 0
        trace = self._entries[:n]
        self.replay.show(self._arrays, n, len(self.records))
        failed = [(t["iteration"] + 1, t["reason"]) for t in trace if t["status"] != "ok"]
        self.failures.object = "" if not failed else (
            f"**{failure_summary(failed)}** (grey crosses; the engine's own messages below)")
        self.raw_failures.object = raw_messages(failed) if failed else ""
        self.raw_card.visible = bool(failed)
        ib = self._arrays.best(n)
        best = None if ib is None else trace[ib]
        if self.run_id is None:
            self.summary.object = ""
        else:
            run = next((r for r in self.runs if r["run_id"] == self.run_id), {})
            text = (f"Run `{self.run_id}` ({run.get('status', '?')}): **evaluation {n} of {len(self.records)}**")
            if best is not None:
                params = ", ".join(f"{k} = {v:.5g} {unit_label(k)}" for k, v in best["params"].items())
                text += (f"; best R_x so far = **{100 * best['R_x']:.2f} %** at evaluation "
                         f"{best['iteration'] + 1} ({params})")
            self.summary.object = text
        self._draw_best_pdf(best)
        self.glass.show(None if ib is None else self.records[ib].to_forcefield())

    def _draw_best_pdf(self, best: dict | None) -> None:
        """The best set's PDFs: figures built once per reference, the curves replaced when the best changes."""
        key = (None if best is None else best["record_id"], id(self.state.reference))
        if key == self._shown_best:
            return
        self._shown_best = key
        if self._pdf_plots is None or self._pdf_plots.reference is not self.state.reference:
            self._pdf_plots = BestPdfPlots(self.state.reference)
            self.best_pdf.objects = [bokeh_pane(f) for f in self._pdf_plots.figures]
        pdf = None
        if best is not None and self.reader is not None:
            rid = int(best["record_id"])
            if rid not in self._pdfs:
                try:
                    self._pdfs[rid] = self.reader.get_pdf(rid)
                except (StoreError, KeyError):
                    self._pdfs[rid] = None
            pdf = self._pdfs[rid]
        if pdf is not None:
            note = ""
        elif best is not None:
            note = "No PDF stored for this evaluation (e.g. an analytic stand-in cost)."
        else:
            note = "The best set's PDFs appear with the first successful evaluation."
        if self.state.reference is None:
            note += " No reference loaded (sidebar)."
        label = "best: none to show" if pdf is None else f"best (evaluation {best['iteration'] + 1})"
        self._pdf_plots.show(pdf, label)
        self.best_note.object = note.strip()

    # ----------------------------------------------------------------------------- GP slices
    def compute_slices(self) -> Job | None:
        """Refit the GP to the successful evaluations up to the current position (background thread)."""
        if self.job is not None and not self.job.is_final:
            return None
        recs = self.records[:self.position()]
        if self.space is None:
            self.status.object = "GP slices need the run's search space (not recorded in this run's config)."
            return None
        if sum(r.ok for r in recs) < 2:
            self.status.object = "GP slices need at least 2 successful evaluations up to this position."
            return None
        space, n = self.space, len(recs)

        def work(job: Job):
            from ...analysis.gp_slices import constraint_readout, gp_slices, length_scales
            from ...analysis.surrogate import fit_surrogate, points_of_records
            job.progress(0, 2, "fitting the GP")
            model = fit_surrogate(space, *points_of_records(space, recs))
            job.progress(1, 2, "slices")
            return gp_slices(model), constraint_readout(length_scales(model))

        self.job = self.controls.run(self.state, self.poller, f"GP of {n} evaluations", work, uses_md=False,
                                     on_done=self._sliced)
        return self.job

    def _sliced(self, job: Job) -> None:
        if job.state != "done":
            return
        ds, readout = job.result
        set_grid(self.slices, plots_runs.gp_slices_plot(ds))
        self.readout.object = "\n".join(f"- {r['text']}" for r in readout)

    def close(self) -> None:
        self._stop_polling()
        if self.reader is not None:
            self.reader.close()
