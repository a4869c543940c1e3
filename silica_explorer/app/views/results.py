"""Results tab: Table II (per-pair chi and R_x) for presets and session sets, PDFs and bond-angle
distributions of selected sets (computed on demand, cached per session), the glass each set makes
(:class:`~silica_explorer.app.views.glass.GlassView`: shipped and made here, reported, never fitted),
forcefield export."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import panel as pn
import xarray as xr

from ...engine.tables import lammps_pair_lines, write_lammps_table
from ...forcefield import ForceField
from ...inputs import parse_seeds
from ...parameters import PAIRS
from ...presets import PRESET_SOURCES
from .. import plots
from ..jobs import Job
from ..poller import Poller
from ..state import PAPER_TABLE_II, EvalSummary, SessionState
from ..shipped_tables import shipped_tables
from ..widgets import FlowPlot, JobControls, TabView, fidelity_select, flow, heading, set_plot
from .glass import GlassView

TABLE_COLUMNS = ["set", "chi Si-O (%)", "chi O-O (%)", "chi Si-Si (%)", "R_x (%)", "R_x std (%)", "status",
                 "paper R_x (%)", "source"]


def scores_from_cache(state: SessionState, fidelity: str, seeds: list[int]) -> xr.Dataset:
    """This session's cached evaluations of every set as the Dataset of
    :func:`silica_explorer.scoring.score_sets` (dims set, seed, pair; not yet run = status "")."""
    sets = state.all_sets()
    names = list(sets)
    chi = np.full((len(names), len(seeds), len(PAIRS)), np.nan)
    rx = np.full((len(names), len(seeds)), np.nan)
    status = np.full((len(names), len(seeds)), "", dtype=object)
    reason = np.full((len(names), len(seeds)), "", dtype=object)
    for i, name in enumerate(names):
        for j, seed in enumerate(seeds):
            s = state.cached(sets[name], fidelity, seed)
            if s is None:
                continue
            status[i, j], reason[i, j] = s.status, s.reason or ""
            if s.ok and np.isfinite(s.R_x):
                rx[i, j] = s.R_x
                chi[i, j] = [s.chi[p] for p in PAIRS]
            elif s.ok:
                status[i, j] = "ok (no reference)"
    return xr.Dataset({"chi": (("set", "seed", "pair"), chi), "R_x": (("set", "seed"), rx),
                       "status": (("set", "seed"), status.astype(str)), "reason": (("set", "seed"), reason.astype(str))},
                      coords={"set": names, "seed": seeds, "pair": list(PAIRS)})


def results_table(state: SessionState, fidelity: str, seeds: list[int] | int) -> pd.DataFrame:
    """One row per set (presets, then session sets): mean (and std over >= 2 seeds) of this session's
    per-pair chi and R_x at ``fidelity`` over ``seeds`` (library :func:`silica_explorer.scoring.summary`),
    and, for ML/BKS/CHIK, the paper's global R_x (against CPMD, for orientation only)."""
    from ...scoring import summary
    seeds = [int(seeds)] if isinstance(seeds, (int, np.integer)) else list(seeds)
    ds = scores_from_cache(state, fidelity, seeds)
    table = summary(ds)
    rows = []
    for name in ds.set.values:
        name = str(name)
        st = [str(v) for v in ds.status.sel(set=name).values]
        t = table.loc[name]
        row = {"set": name}
        if t["n_ok"] > 0 and np.isfinite(t["R_x"]):
            row.update({"chi Si-O (%)": t["chi_SiO"], "chi O-O (%)": t["chi_OO"], "chi Si-Si (%)": t["chi_SiSi"],
                        "R_x (%)": t["R_x"], "R_x std (%)": t["R_x_std"]})
        done = [v for v in st if v]
        if not done:
            row["status"] = ""
        elif all(v == "ok" for v in st):
            row["status"] = "ok" if len(st) == 1 else f"ok ({len(st)} seeds)"
        elif all(v.startswith("ok") for v in done) and "ok (no reference)" in done:
            row["status"] = "ok (no reference)"
        else:
            failed = [r for v, r in zip(st, ds.reason.sel(set=name).values) if v == "failed"]
            row["status"] = (f"{sum(v.startswith('ok') for v in st)}/{len(st)} ok"
                             + (f"; failed: {failed[0]}" if failed else ""))
        row["paper R_x (%)"] = PAPER_TABLE_II.get(name, {}).get("R_x")
        row["source"] = PRESET_SOURCES.get(name, "session set")
        rows.append(row)
    df = pd.DataFrame(rows, columns=TABLE_COLUMNS).astype(object)
    return df.where(pd.notna(df), None)  # empty cells, not "NaN"


def session_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`results_table` that this session has computed (status not empty)."""
    return table[table["status"].astype(str) != ""].reset_index(drop=True)


def export_files(ff: ForceField, stem: str) -> dict[str, bytes]:
    """The exported files of one set: JSON, LAMMPS table, LAMMPS input lines (library writers)."""
    table_name = f"{stem}.table"
    with tempfile.TemporaryDirectory() as tmp:
        write_lammps_table(ff, Path(tmp) / table_name)
        table = (Path(tmp) / table_name).read_bytes()
    lines = [f"# silica-explorer forcefield '{ff.name}' (Eq. (1) of Liu et al. 2019; atom types Si=1, O=2)",
             f"# needs {table_name} in the working directory: the whole pair potential, DSF Coulomb "
             "(alpha 0.25 1/A, 8 A) included,",
             "# in one table (capped wall below U = 50 eV); the charges below are for the record only",
             *lammps_pair_lines(ff, table_name)]
    return {"json": (ff.to_json() + "\n").encode(), "table": table, "in": ("\n".join(lines) + "\n").encode()}


def safe_stem(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in name.strip())
    return keep.strip("_") or "forcefield"


class ResultsView(TabView):
    title = "Results"

    def __init__(self, state: SessionState, poller: Poller):
        super().__init__(state, poller)
        names = list(state.all_sets())
        self.fidelity = fidelity_select()
        self.seed = pn.widgets.TextInput(label="Seeds", value="0", width=110, placeholder="0 or 0,1,2")
        self.selected = pn.widgets.MultiChoice(label="Sets to compute and plot", options=names,
                                               value=["ML", "BKS", "CHIK"], sizing_mode="stretch_width",
                                               min_width=320)
        self.controls = JobControls("Compute selected", "Cancel", go_width=160)
        self.compute_button, self.cancel_button = self.controls.go, self.controls.stop
        self.bar, self.status = self.controls.bar, self.controls.status
        self.shipped = shipped_tables()
        self.shipped_panes = [
            pane for t in self.shipped for pane in (
                pn.pane.Markdown(t.caption, sizing_mode="stretch_width", css_classes=["shipped-caption"]),
                pn.widgets.Tabulator(t.table, disabled=True, show_index=False, sizing_mode="stretch_width",
                                     layout="fit_data_table", css_classes=["shipped-table"]))]
        if not self.shipped:
            self.shipped_panes = [pn.pane.Markdown("No shipped Table II in `data/results/` (rescore_quick.nc, "
                                                   "rescore_paper.nc).", sizing_mode="stretch_width")]
        self.table = pn.widgets.Tabulator(session_rows(results_table(state, "tiny", [0])), disabled=True,
                                          show_index=False, sizing_mode="stretch_width", layout="fit_data_table",
                                          css_classes=["session-table"],
                                          formatters={c: {"type": "money", "precision": 2} for c in TABLE_COLUMNS
                                                      if "(%)" in c})
        self.empty_note = pn.pane.Markdown("Nothing computed in this session yet: choose sets, a fidelity and "
                                           "seeds, then *Compute selected*.", sizing_mode="stretch_width")
        self.note = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.pdf, self.angles = FlowPlot(), FlowPlot()
        set_plot(self.pdf, plots.pdf_plot(state.reference, {}))
        set_plot(self.angles, plots.angle_plot({}))

        self.export_set = pn.widgets.Select(label="Export set", options=names, value="ML", width=220)
        self.download_json = pn.widgets.FileDownload(callback=lambda: self._export("json"), filename="ML.json",
                                                     label="JSON", color="default", width=150)
        self.download_table = pn.widgets.FileDownload(callback=lambda: self._export("table"),
                                                      filename="ML.table", label="LAMMPS table",
                                                      color="default", width=150)
        self.download_in = pn.widgets.FileDownload(callback=lambda: self._export("in"), filename="ML.in",
                                                   label="LAMMPS input lines", color="default", width=170)
        self.export_preview = pn.pane.Markdown("", sizing_mode="stretch_width")

        self.compute_button.on_click(self._compute)
        for w in (self.fidelity, self.seed, self.selected):
            w.param.watch(lambda e: self.refresh(), "value")
        self.export_set.param.watch(lambda e: self._export_changed(), "value")
        state.param.watch(self._sets_changed, "sets")
        state.param.watch(lambda e: self.refresh(), ["results_version", "reference"])
        self._export_changed()
        self._note()
        self._show_session_table()
        self.glass = GlassView(state, poller)

        self.panel = pn.Column(
            heading("Table II as shipped: per-pair chi and global R_x against the reference",
                    "Computed offline by the project on fresh MD seeds, fits included; lower is better",
                    margin=(0, 10)),
            *self.shipped_panes,
            heading("This session's numbers", "Computed here, on demand; never mixed into the shipped tables",
                    margin=(0, 10)),
            flow(self.fidelity, self.seed, self.selected, pn.Row(self.compute_button, self.cancel_button)),
            self.bar, self.status, self.note, self.empty_note, self.table,
            heading("Partial PDFs of the selected sets", margin=(0, 10)), self.pdf,
            heading("Bond-angle distributions (from the stored production frames)", margin=(0, 10)),
            self.angles,
            self.glass.panel,
            heading("Export a forcefield", margin=(0, 10)),
            pn.Row(self.export_set, self.download_json, self.download_table, self.download_in),
            self.export_preview,
            sizing_mode="stretch_width", name=self.title)

    # ----------------------------------------------------------------------------- display
    def _note(self) -> None:
        ref = self.state.reference_name or "no reference loaded"
        self.note.object = (f"<small>This session's numbers: reference **{ref}**, fidelity "
                            f"**{self.fidelity.value}**, seeds {self.seed.value} (mean, and std over several "
                            "seeds). The 'paper R_x' column is Liu et "
                            "al. (2019), Table II, against their CPMD liquid - for orientation only; the ranking "
                            "ML &lt; CHIK &lt; BKS is what should carry over to any sound ab initio "
                            "reference.</small>")

    def _show_session_table(self) -> None:
        """The session table when it has rows, else the line saying nothing was computed yet."""
        self.empty_note.visible = self.table.value.empty
        self.table.visible = not self.table.value.empty

    def seeds(self) -> list[int]:
        try:
            return parse_seeds(self.seed.value)
        except ValueError:
            return [0]

    def summaries(self) -> dict[str, EvalSummary]:
        """Cached evaluations of the selected sets at the chosen fidelity and the first seed (plots)."""
        out = {}
        for name in self.selected.value:
            if name not in self.state.all_sets():
                continue
            s = self.state.cached(self.state.get_set(name), self.fidelity.value, self.seeds()[0])
            if s is not None and s.ok:
                out[name] = s
        return out

    def refresh(self) -> None:
        self._note()
        self.table.value = session_rows(results_table(self.state, self.fidelity.value, self.seeds()))
        self._show_session_table()
        done = self.summaries()
        set_plot(self.pdf, plots.pdf_plot(self.state.reference, {k: s.pdf for k, s in done.items()},
                                         reference_label="reference"))
        set_plot(self.angles, plots.angle_plot({k: s.angles for k, s in done.items() if s.angles is not None}))

    def _sets_changed(self, event) -> None:
        names = list(self.state.all_sets())
        self.selected.options = names
        self.export_set.options = names
        self.refresh()

    # ----------------------------------------------------------------------------- compute
    def _compute(self, event=None) -> Job | None:
        names = [n for n in self.selected.value if n in self.state.all_sets()]
        if not names:
            self.status.object = "Select at least one set."
            return None
        try:
            seeds = parse_seeds(self.seed.value)
        except ValueError as exc:
            self.status.object = str(exc)
            return None
        fidelity, state = self.fidelity.value, self.state
        sets = [(n, state.get_set(n)) for n in names]
        runs = [(ff, seed) for _, ff in sets for seed in seeds]

        def work(job: Job) -> int:
            for i, (ff, seed) in enumerate(runs):
                job.emit(state.evaluate(ff, fidelity, seed, job, angles=seed == seeds[0], part=(i, len(runs))))
            return len(runs)

        self.job = self.controls.run(state, self.poller, f"{len(sets)} set(s) x {len(seeds)} seed(s) @ {fidelity}",
                                     work, on_update=self._update, on_done=self._finished)
        return self.job

    def _update(self, job: Job) -> None:
        for summary in job.drain():
            self.state.store(summary)  # triggers refresh through results_version

    def _finished(self, job: Job) -> None:
        self._update(job)
        failed = [s for n in self.selected.value if n in self.state.all_sets()
                  for seed in self.seeds()
                  for s in [self.state.cached(self.state.get_set(n), self.fidelity.value, seed)]
                  if s is not None and not s.ok]
        if failed:
            self.status.object += " - " + "; ".join(f"{s.forcefield.name}: {s.reason}" for s in failed)

    # ----------------------------------------------------------------------------- export
    def _export_changed(self) -> None:
        name = self.export_set.value
        stem = safe_stem(name)
        self.download_json.filename = f"{stem}.json"
        self.download_table.filename = f"{stem}.table"
        self.download_in.filename = f"{stem}.in"
        ff = self.state.get_set(name)
        lines = lammps_pair_lines(ff, f"{stem}.table")
        self.export_preview.object = "LAMMPS input lines:\n```\n" + "\n".join(lines) + "\n```"

    def _export(self, kind: str) -> io.BytesIO:
        name = self.export_set.value
        return io.BytesIO(export_files(self.state.get_set(name), safe_stem(name))[kind])
