"""Fit tab: run an optimizer of :mod:`silica_explorer.optimize` (BO, CG, random, BO then CG) against
R_x in the background, store every evaluation (:mod:`silica_explorer.store`), stream the progress.

Stop cancels the running melt (nothing half-finished is stored) and marks the run interrupted in the
store; Resume continues the same run id, re-playing its stored evaluations without re-running them.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import panel as pn

from ...engine.acceptance import is_flagged
from ...parameters import FREE_PARAMETERS, SEARCH_BOUNDS, ParameterError
from ..jobs import Job, available_cores
from ..plots_live import LiveFitPlots
from ..poller import Poller
from ..state import ROOT, RUNS_DIR, SessionState
from ..widgets import (JobControls, TabView, bokeh_pane, display_path, engine_select, fidelity_select, flow, heading,
                       seed_input, show_figure, unit_label)

from ...optimize import OPTIMIZERS, SearchSpace, default_run_id
from ...optimize import fit as run_fit

OPTIMIZER_LABELS = {"auto": "auto (as the CLI: composite BO for d <= 4, TuRBO + CG for d >= 5)",
                    "bo": "Bayesian optimization (GP + EI)", "cg": "conjugate gradient (finite differences)",
                    "random": "random search", "bo+cg": "BO, then CG refinement",
                    "turbo": "trust-region BO (TuRBO, d >= 2)", "turbo+cg": "TuRBO, then CG refinement",
                    "composite": "composite BO (GP surrogate of the partial PDFs)"}


class JobEvaluator:
    """Wraps an Evaluator so that every melt of an optimizer run reports to (and can be stopped by)
    the job; everything else (fidelity, reference, engine: the store's cache identity) is the
    wrapped evaluator's."""

    def __init__(self, evaluator, job: Job):
        self._evaluator = evaluator
        self._job = job

    def __getattr__(self, name):
        if name.startswith("_"):  # private/dunder lookups (copy, pickle) must not recurse into the wrapped one
            raise AttributeError(name)
        return getattr(self._evaluator, name)

    def __call__(self, forcefield, seed: int = 0, **kw):
        job = self._job

        def progress(done, total, phase):
            job.check()
            job.melt_text = f"current melt: {phase} {100 * done / max(total, 1):.0f} %"

        return self._evaluator(forcefield, seed=seed, progress=progress, **kw)


def entry_for_ui(entry: dict) -> dict:
    """The JSON-able part of an objective entry the plots need."""
    return {"iteration": int(entry["n"]), "phase": entry.get("phase"), "params": dict(entry["params"]),
            "status": entry["status"], "reason": entry.get("reason"), "R_x": float(entry["R_x"]),
            "best_R_x": float(entry.get("best_R_x", math.nan)), "record_id": entry.get("record_id"),
            "replayed": bool(entry.get("replayed")), "cached": bool(entry.get("cached")),
            "proposal": dict(entry["proposal"]) if entry.get("proposal") else None}


class FitView(TabView):
    title = "Fit"
    #: the live plots' data are replaced at most this often (s) while a fit runs, and once when it ends.
    #: Updates run on the server's event loop, which every browser session shares; the figures are built
    #: once per fit (:class:`~silica_explorer.app.plots_live.LiveFitPlots`): rebuilding HoloViews plots at
    #: every poll of a fast tiny fit kept the loop busy and stalled the other sessions
    REDRAW_MIN_S = 1.0

    def __init__(self, state: SessionState, poller: Poller):
        super().__init__(state, poller)
        self.trace: list[dict] = []
        self.run_id: str | None = None
        self.last_config: dict | None = None
        self._store = None
        self._reset_live_view()

        names = list(state.all_sets())
        self.free = pn.widgets.MultiChoice(label="Free parameters", options=list(FREE_PARAMETERS),
                                           value=["q_Si", "A_SiO"], sizing_mode="stretch_width")
        self.bounds = {n: pn.widgets.EditableRangeSlider(
            label=f"{n} bounds ({unit_label(n)})", start=SEARCH_BOUNDS[n][0], end=SEARCH_BOUNDS[n][1],
            value=SEARCH_BOUNDS[n], step=(SEARCH_BOUNDS[n][1] - SEARCH_BOUNDS[n][0]) / 1000,
            sizing_mode="stretch_width") for n in FREE_PARAMETERS}
        self.bounds_box = pn.Column(sizing_mode="stretch_width")
        self.base = pn.widgets.Select(label="Base set (fixed parameters)", options=names, value="BKS",
                                      sizing_mode="stretch_width")
        self.coords = pn.widgets.Select(
            label="Search coordinates", value="contact", sizing_mode="stretch_width",
            options={"contact: log E0 = A exp(-r0/rho) and rho (default)": "contact", "log A": "log",
                     "box: every parameter linear": "box"})
        self.coords_note = pn.pane.Markdown("", sizing_mode="stretch_width", margin=(0, 10))
        self.preset_starts = pn.widgets.Checkbox(name="BO also starts from the presets inside the bounds",
                                                 value=True)
        self.optimizer = pn.widgets.Select(label="Optimizer", options={OPTIMIZER_LABELS.get(o, o): o for o in ("auto", *OPTIMIZERS)},
                                           value="auto", sizing_mode="stretch_width")
        # the defaults are those of `silica-explorer fit` (optimizer auto, 30 evaluations, quick fidelity)
        self.budget = pn.widgets.IntInput(label="Budget (evaluations)", value=30, start=1, end=5000, width=140)
        # the engine is the session's (shared with the Forcefield tab); stored with the run's config
        self.fidelity, self.engine, self.seed = fidelity_select("quick"), engine_select(state), seed_input()
        self.workers = pn.widgets.IntInput(label="Parallel evaluations", value=1, start=1,
                                           end=max(1, available_cores()), width=140)
        self.store_dir = pn.widgets.TextInput(
            label="Store directory (SQLite)", value=display_path(RUNS_DIR / f"session-{state.session_id}"),
            sizing_mode="stretch_width")
        self.controls = JobControls("Start", "Stop", go_width=90, align=None)
        self.start_button, self.stop_button = self.controls.go, self.controls.stop
        self.resume_button = pn.widgets.Button(label="Resume", color="default", width=90, disabled=True)
        self.bar, self.status = self.controls.bar, self.controls.status
        self.summary = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["fit-summary"])
        self.error = pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width")
        self.history, self.gp = bokeh_pane(), bokeh_pane()
        self.traces = pn.GridBox(ncols=3)  # one pane per parameter (3 x 260 px a row)
        self.best_pdf = pn.Row(sizing_mode="stretch_width")  # one pane per pair (3 x 300 px)
        self.live: LiveFitPlots | None = None
        self._show_live_plots(self.free.value)

        self.free.param.watch(lambda e: self._show_bounds(), "value")
        self.coords.param.watch(lambda e: self._show_bounds(), "value")
        self.start_button.on_click(lambda e: self.start(resume=False))
        self.resume_button.on_click(lambda e: self.start(resume=True))
        state.param.watch(self._sets_changed, "sets")
        self._show_bounds()

        left = pn.Column(self.free, self.coords, self.coords_note, self.bounds_box, self.base, self.optimizer,
                         self.preset_starts,
                         pn.Row(self.budget, self.fidelity, self.seed), pn.Row(self.engine, self.workers), self.store_dir,
                         pn.Row(self.start_button, self.stop_button, self.resume_button), self.error,
                         width=380, margin=(0, 10, 0, 0))
        right = pn.Column(self.bar, self.status, self.summary,
                          self.history, self.gp, sizing_mode="stretch_width")
        # grids of plots go full width below the controls (nested in the Row they can collapse)
        self.panel = pn.Column(
            pn.Row(left, right, sizing_mode="stretch_width"),
            heading("Parameter traces (star: best so far)"), self.traces,
            heading("Best set so far: partial PDFs against the reference"), self.best_pdf,
            sizing_mode="stretch_width", name=self.title)

    # ----------------------------------------------------------------------------- configuration
    def _contact_A(self, free, coords) -> list[str]:
        """A_<pair> searched through E0_<pair> (contact coordinates, rho free too): its slider is unused."""
        return [f"A_{p}" for p in ("SiO", "OO", "SiSi")
                if coords == "contact" and f"A_{p}" in free and f"rho_{p}" in free]

    def _show_bounds(self) -> None:
        skip = self._contact_A(self.free.value, self.coords.value)
        self.bounds_box.objects = [self.bounds[n] for n in self.free.value if n not in skip]
        from ...optimize.space import CONTACT_BOUNDS, CONTACT_R0
        self.coords_note.object = "".join(
            f"{a} is searched through E0_{a[2:]} = {a} exp(-{CONTACT_R0[a[2:]]:g} Å / rho_{a[2:]}) in "
            f"[{CONTACT_BOUNDS[a[2:]][0]:g}, {CONTACT_BOUNDS[a[2:]][1]:g}] eV (log). " for a in skip)

    def _sets_changed(self, event) -> None:
        self.base.options = list(self.state.all_sets())

    def config(self) -> dict:
        return {"free": list(self.free.value),
                "bounds": {n: tuple(float(v) for v in self.bounds[n].value) for n in self.free.value},
                "base": self.base.value, "space": self.coords.value, "preset_starts": bool(self.preset_starts.value),
                "optimizer": self.optimizer.value, "budget": int(self.budget.value),
                "fidelity": self.fidelity.value, "seed": int(self.seed.value),
                "workers": int(self.workers.value), "store": self.store_dir.value.strip(),
                "engine": self.state.engine_name}

    def _space(self, cfg: dict):
        coords = cfg.get("space", "box")
        skip = self._contact_A(cfg["free"], coords)
        bounds = {n: b for n, b in cfg["bounds"].items() if n not in skip}
        return SearchSpace(cfg["free"], bounds, base=self.state.get_set(cfg["base"]), coords=coords)

    @staticmethod
    def _options(cfg: dict) -> dict:
        bo = {"preset_starts": bool(cfg.get("preset_starts", True))}
        return {"bo": bo, "turbo": bo, "composite": bo, "bo+cg": {"bo_options": bo},
                "turbo+cg": {"bo_options": bo}}.get(cfg["optimizer"], {})

    # ----------------------------------------------------------------------------- run control
    def start(self, resume: bool = False) -> Job | None:
        if self.job is not None and not self.job.is_final:
            return None
        if self.state.reference is None:
            self._fail("Fitting needs a reference: load one in the sidebar first.")
            return None
        cfg = dict(self.last_config) if resume and self.last_config else self.config()
        if not cfg["free"]:
            self._fail("Choose at least one free parameter.")
            return None
        try:
            space = self._space(cfg)
        except (ParameterError, ValueError) as exc:
            self._fail(f"Invalid search space: {exc}")
            return None
        if cfg["optimizer"] == "auto":  # resolved as `silica-explorer fit` does, and recorded with the run
            from ...optimize.auto import auto_optimizer
            name, why = auto_optimizer(space.dim, has_pdfs=True)
            cfg = {**cfg, "optimizer": name, "optimizer_auto": f"auto -> {name}: {why}"}
        store_path = Path(cfg["store"]) if cfg["store"] else RUNS_DIR / f"session-{self.state.session_id}"
        if not store_path.is_absolute():
            store_path = ROOT / store_path
        if not resume:
            stem = default_run_id(cfg["optimizer"], space, cfg["seed"], cfg["fidelity"])
            self.run_id = f"{stem}_{self.state.session_id}_{len(self.state.jobs)}"
            self.trace = []
        else:
            self.trace = []  # re-played entries stream in again
        self._reset_live_view()
        self._show_live_plots(cfg["free"])
        self.last_config = cfg
        self.error.visible = False
        threads = max(1, self.state.md_threads // max(1, cfg["workers"]))
        reference, ref_name = self.state.reference, self.state.reference_name
        run_id = self.run_id

        def work(job: Job):
            from ...engine import get_engine
            from ...evaluate import Evaluator
            from ...store import Store
            evaluator = Evaluator(reference, cfg["fidelity"],
                                  engine=get_engine(cfg.get("engine", "lammps"), threads=threads))
            evaluator.reference_name = ref_name
            store = Store(store_path)
            budget = cfg["budget"]
            job.progress(0, budget, "starting")

            def callback(entry):
                e = entry_for_ui(entry)
                job.emit(e)
                best = e["best_R_x"]
                job.progress(e["iteration"] + 1, budget,
                             f"best R_x {100 * best:.2f} %" if math.isfinite(best) else "no successful melt yet")

            try:
                return run_fit(JobEvaluator(evaluator, job), space, cfg["optimizer"], budget, seed=cfg["seed"],
                                     store=store, run_id=run_id, resume=resume, callback=callback,
                                     options=self._options(cfg),
                                     n_workers=cfg["workers"],
                                     extra_config={"n_workers": cfg["workers"], "app_session": self.state.session_id,
                                                   "optimizer_auto": cfg.get("optimizer_auto")})
            finally:
                store.close()

        label = f"{cfg['optimizer'].upper()} fit, {cfg['budget']} evaluations @ {cfg['fidelity']}"
        self._store_path = store_path
        self.resume_button.disabled = True
        self.job = self.controls.run(self.state, self.poller, label, work, on_update=self._update,
                                     on_done=self._finished)
        return self.job

    def stop(self) -> None:
        self.controls.cancel()

    def _fail(self, text: str) -> None:
        self.error.object = text
        self.error.visible = True

    # ----------------------------------------------------------------------------- live display
    def _show_live_plots(self, names) -> None:
        """Empty live plots for a fit over ``names``: the figures are rebuilt only when the free parameters
        or the reference changed, else their data are cleared."""
        live = self.live
        if live is None or live.names != list(names) or live.pdf.reference is not self.state.reference:
            live = self.live = LiveFitPlots(names, self.state.reference)
            show_figure(self.history, live.history.figure)
            show_figure(self.gp, live.gp.figure)
            self.traces.objects = [bokeh_pane(f) for f in live.traces.figures.values()]
            self.best_pdf.objects = [bokeh_pane(f) for f in live.pdf.figures]
        live.show([], 1)
        live.show_best_pdf(None, "best: none yet")

    def _reset_live_view(self) -> None:
        """Forget what the live plots show (a new or resumed fit streams its evaluations again)."""
        self._last_redraw = -math.inf  # time.monotonic() of the last rebuild of the live plots
        self._dirty = False  # evaluations arrived since then
        self._shown_best = None  # record id whose PDFs the best-PDF plot shows

    def _update(self, job: Job) -> None:
        melt = getattr(job, "melt_text", "")
        if melt and job.state == "running":
            self.status.object += f" - {melt}"
        new = job.drain()
        if new:
            self.trace.extend(new)
            self._dirty = True
        if self._dirty and (job.is_final or time.monotonic() - self._last_redraw >= self.REDRAW_MIN_S):
            self._redraw()

    def _redraw(self) -> None:
        self._dirty, self._last_redraw = False, time.monotonic()
        cfg = self.last_config or self.config()
        self.live.show(self.trace, cfg["budget"])
        ok = [t for t in self.trace if t["status"] == "ok" and math.isfinite(t["R_x"])]
        n_failed = sum(t["status"] != "ok" for t in self.trace)
        n_flagged = sum(t["status"] == "ok" and is_flagged(t.get("reason")) for t in self.trace)
        text = f"**{len(self.trace)} of {cfg['budget']} evaluations**"
        if n_failed or n_flagged:
            text += f" ({n_failed} failed, {n_flagged} flagged)"
        if ok:
            best = min(ok, key=lambda t: t["R_x"])
            params = ", ".join(f"{k} = {v:.6g} {unit_label(k)}" for k, v in best["params"].items())
            text += f"; best R_x = **{100 * best['R_x']:.2f} %** at evaluation {best['iteration'] + 1} ({params})"
            self._show_best_pdf(best)
        self.summary.object = text

    def _show_best_pdf(self, best: dict) -> None:
        if best.get("record_id") is None or best["record_id"] == self._shown_best:
            return  # the same best set: its PDF plot stays
        # read-only (SQLite mode=ro, WAL): this runs on the server's event loop, shared by every session,
        # so it must never wait for the fit's writer (a writable Store would take a write lock and wait
        # up to its 60 s busy timeout while the fit thread commits)
        from ...store import StoreError
        from ...store.reader import StoreReader
        try:
            if self._store is None or Path(self._store.path).parent != Path(self._store_path):
                if self._store is not None:
                    self._store.close()
                self._store = StoreReader(self._store_path)
            pdf = self._store.get_pdf(int(best["record_id"]))
        except (StoreError, KeyError) as exc:
            self.status.object += f" - best PDFs not readable: {exc}"
            return
        if pdf is not None:
            self._shown_best = best["record_id"]
            self.live.show_best_pdf(pdf, f"best (evaluation {best['iteration'] + 1})")

    def _finished(self, job: Job) -> None:
        self._update(job)
        self.resume_button.disabled = job.state == "done"
        if job.state == "cancelled":
            self.status.object = (f"{job.label}: stopped after {len(self.trace)} evaluations (run `{self.run_id}`"
                                  " marked interrupted in the store); Resume continues it.")
        elif job.state == "failed":
            self.resume_button.disabled = False
        elif job.state == "done":
            result = job.result
            ff = result.best_forcefield
            if ff is not None:
                n_fits = sum(1 for n in self.state.sets if n.startswith("fit "))
                free = ", ".join(result.space.names)
                name = self.state.add_set(ff, f"fit {n_fits + 1}: {result.optimizer_name.upper()} ({free})")
                self.summary.object += (f"<br>Stopped: {result.stop_reason}. Best set saved to this session as "
                                        f"**{name}** (Results and Forcefield tabs; export from Results).")
            else:
                self.summary.object += f"<br>Stopped: {result.stop_reason}; no successful evaluation."
