"""The Glass view of the Results tab and the glass numbers of the Runs tab: what glass each set makes,
reported next to R_x and never fitted.

:class:`GlassView` shows the shipped glasses (``data/results/glass_*``) and the ones this session made,
at one protocol: density along the cool, neutron S(Q) and T(r), bond angles (:mod:`..plots_glass`) and
the table against experiment (:func:`silica_explorer.glass.report.table_rows`, the columns of
``glass_table.md``). Its *make glass* action quenches a set of the session with
:func:`silica_explorer.glass.run_glass` on a background :class:`~silica_explorer.app.jobs.Job` (progress,
cancel) into :func:`~silica_explorer.app.glass_files.session_glass_dir`.

:class:`GlassNumbers` is the Runs tab's few lines: the glass of a fit's best set when one exists (matched by
parameters), else a note saying how to make it.
"""

from __future__ import annotations

import pandas as pd
import panel as pn

from ...forcefield import ForceField
from ...glass import load_anchors, run_glass, summarize
from ...glass.anchors import anchor_row
from ...glass.report import TABLE_COLUMNS, cell_text, table_rows
from ...inputs import parse_seeds
from ...quench import QUENCH_PROTOCOLS
from .. import plots_glass
from ..glass_files import GlassCatalog, GlassFile, describe_protocol, forcefield_glass_dir, protocol_label
from ..jobs import Job
from ..poller import Poller
from ..state import SessionState
from ..widgets import FlowPlot, JobControls, display_path, flow, heading, set_plot

#: Protocols the view offers before any glass exists (the shipped ones).
SHIPPED_PROTOCOLS = ("quick", "slow")
#: Protocols *make glass* offers (tiny: seconds, for a first look; quick and slow: the shipped ones).
MAKE_PROTOCOLS = ("tiny", "quick", "slow")
NEVER_FITTED = ("**Reported, never fitted**: the fit sees only the 3600 K liquid; a glass depends on its "
                "cooling rate, so always read it with the rate.")
NO_GLASS_NOTE = ("No glass files here yet: the shipped glasses (`data/results/glass_quick/`, "
                 "`data/results/glass_slow/`) are not in this copy, and this session has made none. "
                 "Make one below.")
NO_RUNS_GLASS = "No glass made for this set yet — Results > Glass > make glass."
#: Under :data:`NO_RUNS_GLASS`: how a stored set gets into *make glass*'s list.
ADD_HINT = "*Add to session sets* puts this set in that list."


def seed_list(seeds: list[int]) -> str:
    return ",".join(str(s) for s in seeds)


def glass_table(summaries: list[dict], anchors: dict) -> pd.DataFrame:
    """The glass table (one row per set, then experiment) as text cells, as in ``glass_table.md``."""
    header, rows = table_rows(summaries, anchors)
    return pd.DataFrame(rows, columns=header)


class GlassView:
    """Glass view (see the module docstring); ``panel`` is its layout inside the Results tab."""

    def __init__(self, state: SessionState, poller: Poller, catalog: GlassCatalog | None = None):
        self.state, self.poller = state, poller
        self.catalog = catalog or GlassCatalog.for_session(state)
        self.anchors = load_anchors()
        self.job: Job | None = None
        self._hold = False
        self.protocol = pn.widgets.Select(label="Protocol", options=self._protocol_options(), value="quick",
                                          width=170)
        self.sets = pn.widgets.MultiChoice(label="Sets with glasses", options=[], sizing_mode="stretch_width",
                                           min_width=320)
        self.note = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["glass-caption"])
        self.plots = FlowPlot()
        self.table = pn.widgets.Tabulator(glass_table([], self.anchors), disabled=True, show_index=False,
                                          sizing_mode="stretch_width", layout="fit_data_table",
                                          css_classes=["glass-table"])

        names = list(state.all_sets())
        self.make_set = pn.widgets.Select(label="Set", options=names, value="ML" if "ML" in names else names[0],
                                          width=200)
        self.make_protocol = pn.widgets.Select(
            label="Protocol", options={protocol_label(p): p for p in MAKE_PROTOCOLS}, value="tiny", width=170)
        self.make_seeds = pn.widgets.TextInput(label="Seeds", value="0", width=110, placeholder="0 or 0,1,2")
        self.controls = JobControls("Make glass", "Cancel", go_width=130)
        self.make_button, self.cancel_button = self.controls.go, self.controls.stop
        self.bar, self.status = self.controls.bar, self.controls.status
        self.make_note = pn.pane.Markdown("", sizing_mode="stretch_width")

        self.protocol.param.watch(lambda e: self._hold or self.refresh(), "value")
        self.sets.param.watch(lambda e: self._hold or self.draw(), "value")
        self.make_protocol.param.watch(lambda e: self._describe_make(), "value")
        self.make_button.on_click(lambda e: self.make_glass())
        state.param.watch(lambda e: setattr(self.make_set, "options", list(self.state.all_sets())), "sets")
        self._describe_make()
        self.refresh()

        self.panel = pn.Column(
            heading("What glass does each set make?",
                    "Quenched from the 3600 K liquid to 300 K at 0 GPa; curves are means over seeds. Reported "
                    "next to R_x, never fitted", margin=(0, 10)),
            flow(self.protocol, self.sets), self.note, self.plots, self.table,
            heading("Make glass", "Quench a set of this session (presets, saved or fitted sets) here, in the "
                    "background; it joins the sets above", margin=(0, 10)),
            flow(self.make_set, self.make_protocol, self.make_seeds, pn.Row(self.make_button, self.cancel_button)),
            self.make_note, self.bar, self.status,
            sizing_mode="stretch_width", css_classes=["glass-view"])

    # ----------------------------------------------------------------------------- display
    def _protocol_options(self) -> dict[str, str]:
        names = list(SHIPPED_PROTOCOLS) + [p for p in self.catalog.protocols() if p not in SHIPPED_PROTOCOLS]
        return {protocol_label(p, self.catalog.rate(p)): p for p in names}

    def refresh(self) -> None:
        """Re-read the glass files, then the protocol's sets (the chosen ones kept where they still exist;
        all when none is left) and everything drawn."""
        self.catalog.scan()
        labels = self.catalog.labels(self.protocol.value)
        keep = [v for v in self.sets.value if v in labels]
        self._hold = True
        try:
            self.protocol.options = self._protocol_options()
            self.sets.param.update(options=labels, value=keep or labels)
        finally:
            self._hold = False
        self.draw()

    def groups(self) -> dict[str, list[GlassFile]]:
        """The chosen sets' files at the chosen protocol (label -> files by seed)."""
        return {label: self.catalog.select(label, self.protocol.value) for label in self.sets.value}

    def draw(self) -> None:
        files = {k: v for k, v in self.groups().items() if v}
        data = {label: self.catalog.datasets(f) for label, f in files.items()}
        set_plot(self.plots, plots_glass.glass_plots(
            {k: v for k, v in data.items() if any(d.attrs["status"] == "ok" for d in v)}, self.anchors))
        self.table.value = glass_table([summarize(d) for d in data.values()], self.anchors)
        self.note.object = self.caption(files, data)

    def caption(self, files: dict[str, list[GlassFile]], data: dict) -> str:
        """Protocol, rate, seeds, where the files are, failures, and that none of it was fitted."""
        protocol = self.protocol.value
        if self.catalog.empty:
            return f"{NO_GLASS_NOTE}\n\n{NEVER_FITTED}"
        if not files:
            return (f"No glass at protocol **{protocol_label(protocol, self.catalog.rate(protocol))}** yet"
                    + (": choose sets above." if self.catalog.labels(protocol) else "; make one below.")
                    + f"\n\n{NEVER_FITTED}")
        first = next(iter(data.values()))[0]
        seeds = {label: [x.seed for x in f] for label, f in files.items()}
        seed_text = (f"seeds {seed_list(next(iter(seeds.values())))}" if len({tuple(s) for s in seeds.values()}) == 1
                     else "seeds " + "; ".join(f"{k} {seed_list(s)}" for k, s in seeds.items()))
        where = [f"`{d}`" for d in sorted({display_path(x.path.parent) for f in files.values() for x in f
                                           if x.source == "shipped"})]
        where += ["made in this session"] if any(x.source == "session" for f in files.values() for x in f) else []
        failed = [f"{label} seed {x.seed} ({x.reason})" for label, f in files.items() for x in f if not x.ok]
        lines = [f"**Protocol {protocol_label(protocol, first.attrs['rate_K_per_ps'])}**: {describe_protocol(first)}; "
                 f"{seed_text}; curves are means over seeds, the table mean ± std ({', '.join(where)}).",
                 f"{NEVER_FITTED} {plots_glass.experiment_marks(self.anchors)} (`data/glass_anchors.json`, "
                 "sources there)."]
        if failed:
            lines.append("Failed quenches (recorded, left out of the means): " + "; ".join(failed))
        if self.catalog.unreadable:
            lines.append("Unreadable glass files: " + "; ".join(f"`{display_path(p)}` ({why})"
                                                                for p, why in self.catalog.unreadable.items()))
        return "\n\n".join(lines)

    def _describe_make(self) -> None:
        p = QUENCH_PROTOCOLS[self.make_protocol.value]
        self.make_note.object = (f"<small>{p.name}: {p.n_atoms} atoms, {p.total_steps:,} MD steps per seed on the "
                                 f"session's engine ({self.state.engine_name}); tiny takes seconds, quick minutes, "
                                 "slow tens of minutes per seed.</small>")

    # ----------------------------------------------------------------------------- make glass
    def make_glass(self) -> Job | None:
        """Quench the chosen set with the chosen protocol and seeds in the background (one job at a time)."""
        if self.controls.running:
            return None
        try:
            seeds = parse_seeds(self.make_seeds.value)
        except ValueError as exc:
            self.status.object = str(exc)
            return None
        if not seeds:
            self.status.object = "Give at least one seed."
            return None
        name = self.make_set.value
        ff, protocol, state = self.state.get_set(name), QUENCH_PROTOCOLS[self.make_protocol.value], self.state
        out, engine_name = forcefield_glass_dir(state, ff), state.engine_name
        self._made_protocol = protocol.name

        def work(job: Job):
            engine = state.engine(engine_name)

            def progress_for(label: str, seed: int):
                i = seeds.index(seed)
                return lambda done, total, phase: job.progress(i * total + done, len(seeds) * total,
                                                               f"{label} seed {seed}: {phase}")
            return run_glass([ff], protocol, seeds, out, engine, progress_for=progress_for)

        self.job = self.controls.run(state, self.poller, f"glass of {name} ({protocol.name}, seeds "
                                     f"{seed_list(seeds)})", work, on_done=self._made)
        return self.job

    def _made(self, job: Job) -> None:
        """Show what the job wrote (also after a cancel: the seeds finished before it stay)."""
        self.catalog.scan()
        new = [self.catalog.label_of(f) for f in self.catalog.files
               if f.source == "session" and f.protocol == self._made_protocol]
        self._hold = True
        try:
            self.protocol.options = options = self._protocol_options()
            if self._made_protocol in options.values():  # a cancelled first glass of a protocol left none
                self.protocol.value = self._made_protocol
            self.sets.value = list(dict.fromkeys(list(self.sets.value) + new))
        finally:
            self._hold = False
        self.refresh()
        self.state.glass_version += 1
        if job.state == "done":
            failed = [f"seed {d.attrs['seed']}: {d.attrs['reason']}" for dsets in job.result.values() for d in dsets
                      if d.attrs["status"] != "ok"]
            if failed:
                self.status.object += " - failed (recorded): " + "; ".join(failed)


#: The Runs tab's glass columns: (variable of :data:`~silica_explorer.glass.report.TABLE_COLUMNS`, short header).
RUNS_GLASS_COLUMNS = (("density", "density (g/cm3)"), ("SiO_bond_length", "Si-O (A)"),
                      ("SiOSi_mean", "Si-O-Si mean (deg)"), ("FSDP_position", "FSDP (1/A)"),
                      ("liquid_pressure", "P liquid (GPa)"))


class GlassNumbers:
    """The glass numbers of one set (the Runs tab's best set): a small markdown table, one row per protocol
    with a glass of these parameters, and experiment; or :data:`NO_RUNS_GLASS`."""

    def __init__(self, state: SessionState, catalog: GlassCatalog | None = None):
        self.state = state
        self.catalog = catalog or GlassCatalog.for_session(state)
        self.anchors = load_anchors()
        self.pane = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["runs-glass"])
        self.add_button = pn.widgets.Button(label="Add to session sets", width=170, visible=False)
        self.added = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.add_button.on_click(lambda e: self.add_to_session())
        self.panel = pn.Column(self.pane, pn.Row(self.add_button, self.added, sizing_mode="stretch_width"),
                               sizing_mode="stretch_width")
        self.forcefield: ForceField | None = None

    def add_to_session(self) -> str | None:
        """Add the shown set to the session's sets (the list of *make glass*); returns the name it got."""
        if self.forcefield is None:
            return None
        name = self.state.add_set(self.forcefield)
        self.added.object = f"Added as **{name}**: Results > Glass > make glass."
        return name

    def show(self, ff: ForceField | None) -> None:
        """Show the glass of ``ff`` (nothing for None); redrawn only when ``ff`` or the glass files changed
        (cheap to call at every replay step)."""
        changed = self.catalog.scan()
        if ff == self.forcefield and not changed and self.pane.object:
            return
        self.forcefield = ff
        self.pane.object = "" if ff is None else self.text(ff)
        self.add_button.visible = self.pane.object.startswith(NO_RUNS_GLASS)
        self.added.object = ""

    def text(self, ff: ForceField) -> str:
        """The markdown table of ``ff``'s glasses (see the class docstring)."""
        found = self.catalog.for_forcefield(ff)
        if not found:
            return f"{NO_RUNS_GLASS} {ADD_HINT}"
        fmt = {var: f for var, _, f in TABLE_COLUMNS}
        lines = ["| glass | " + " | ".join(h for _, h in RUNS_GLASS_COLUMNS) + " |",
                 "|---" * (len(RUNS_GLASS_COLUMNS) + 1) + "|"]
        for protocol, files in found.items():
            s = summarize(self.catalog.datasets(files))
            what = f"{protocol_label(protocol, s['rate_K_per_ps'])}, {s['n_ok']}/{len(files)} seeds, {files[0].source}"
            lines.append(f"| {what} | " + " | ".join(cell_text(s[v], fmt[v]) for v, _ in RUNS_GLASS_COLUMNS) + " |")
        exp = anchor_row(self.anchors)
        lines.append("| experiment | " + " | ".join(exp[v] for v, _ in RUNS_GLASS_COLUMNS) + " |")
        return "\n".join(lines) + "\n\n<small>Mean ± std over seeds; reported, never fitted.</small>"
