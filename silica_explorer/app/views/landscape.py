"""Landscape tab: an R_x grid over two parameters (:mod:`silica_explorer.landscape` files) as a heat
map with contours (optional log colour), its zoom window, optimizer paths (BO red, CG black) and their
convergence; "Run comparison" starts BO and CG from a clicked point on this session's copy of the file."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import holoviews as hv
import panel as pn

from .. import plots
from ..jobs import Job
from ..plots_surface import ProfilePlot, SurfacePlot
from ..poller import Poller
from ..state import LANDSCAPE_DIR, SessionState
from ..widgets import (JobControls, TabView, bokeh_pane, display_path, flow, heading, seed_input, set_plot,
                       without_machine_paths)

from ... import landscape as _landscape


def shipped_landscapes() -> list[Path]:
    return sorted(LANDSCAPE_DIR.glob("*.nc")) if LANDSCAPE_DIR.is_dir() else []


def tree_windows(tree) -> list[str]:
    names = [w for w in str(tree.attrs.get("windows", "full")).split(",") if w]
    return [w for w in names if w in tree.children] or [c for c in tree.children if c != "paths"]


def running_engine_version(engine_version_attr: str) -> str:
    """The version string (engine, deck, failure rule) the running code gives for the engine a file
    names in its ``engine_version`` attr (HOOMD or LAMMPS)."""
    from ...engine import get_engine
    name = "hoomd" if str(engine_version_attr).startswith("HOOMD") else "lammps"
    return get_engine(name, threads=1).version()


def version_mismatch(attrs) -> str:
    """A warning when a landscape file was computed with another engine version, deck or failure rule
    than the running code (its cells would come out differently today); empty when they agree."""
    stored = str(attrs.get("engine_version", ""))
    if not stored.startswith(("LAMMPS", "HOOMD")):
        return ""  # a stand-in cost, not MD: no engine to compare with
    try:
        now = running_engine_version(stored)
    except Exception as exc:  # no engine here (e.g. HOOMD not installed): say so instead of guessing
        return f"This file was computed with `{stored}`; the engine it names is not available here ({exc})."
    if stored == now:
        return ""
    return (f"This landscape was computed with `{stored or 'an unrecorded engine version'}`, and the running code "
            f"is `{now}`: its deck or failure rule differs, so its cells (which melts fail, and R_x) may not "
            "match what the code computes today.")


def reference_differs(reference_id, reference) -> bool:
    """Whether the session's ``reference`` is another liquid than the one a landscape file was computed
    against (compared by content hash, ``reference_id``; a file without one, or no session reference:
    False, nothing to compare)."""
    if reference is None or not reference_id or reference_id == "unknown":
        return False
    from ...cost import reference_fingerprint
    return reference_fingerprint(reference) != str(reference_id)


def tree_paths(tree) -> dict:
    if "paths" not in tree.children:
        return {}
    return {name: node.ds for name, node in tree["paths"].children.items()}


def landscape_from_tree(tree):
    """Rebuild the :class:`~silica_explorer.landscape.Landscape` (axes, base, fidelity, seeds, zoom
    windows) from a file's provenance, to run optimizer paths on the same problem."""
    from ...fidelity import Fidelity
    from ...forcefield import ForceField
    attrs = tree.attrs
    full = tree["full"].ds.attrs
    ls = _landscape.Landscape(full["x_axis"], full["y_axis"], base=ForceField.from_json(attrs["base_parameters"]),
                              fidelity=Fidelity.from_dict(json.loads(attrs["fidelity"])),
                              seeds=json.loads(attrs.get("seeds", "[0]")))
    for w in tree_windows(tree):
        if w != "full":
            wa = tree[w].ds.attrs
            ls.zoom(wa["x_axis"], wa["y_axis"], name=w)
    return ls


class LandscapeView(TabView):
    title = "Landscape"

    def __init__(self, state: SessionState, poller: Poller):
        super().__init__(state, poller)
        self.tree = None
        self.path: Path | None = None
        self.tap = None
        self._line_pipe = None  # drives the profile-line layer on the heat map (see redraw)
        self._drawn_surface = self._drawn_zoom = None  # what the surface and zoom map show (their keys)
        files = {display_path(p): str(p) for p in shipped_landscapes()}
        self.file = pn.widgets.Select(label="Shipped landscape", options=files, sizing_mode="stretch_width",
                                      disabled=not files)
        self.upload = pn.widgets.FileInput(accept=".nc", multiple=False, sizing_mode="stretch_width")
        self.window = pn.widgets.Select(label="Window", options=["full"], width=120)
        self.variable = pn.widgets.Select(label="Colour", options={"R_x mean over seeds": "R_x_mean"}, width=200)
        self.log = pn.widgets.Checkbox(label="log colour scale", value=False, align="end")
        self.contours = pn.widgets.Checkbox(label="contours", value=True, align="end")
        self.info = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.notice = pn.pane.Alert("", alert_type="info", visible=False, sizing_mode="stretch_width")
        self.version_notice = pn.pane.Alert("", alert_type="warning", visible=False, sizing_mode="stretch_width",
                                            css_classes=["landscape-version"])
        self.map, self.zoom_map, self.convergence = pn.pane.HoloViews(None), pn.pane.HoloViews(None), pn.pane.HoloViews(None)
        self.zoom_map.visible = False
        set_plot(self.map, plots.message("no landscape loaded", width=520, height=430))
        set_plot(self.convergence, plots.convergence_plot({}))
        # roughness: R_x along a line (two clicks in "profile line" mode) and a 3-D surface of the window
        self.click_mode = pn.widgets.RadioButtonGroup(options=["start point", "profile line"], value="start point")
        self.line: list[tuple[float, float]] | None = None
        self._line_open = False  # a first profile click is waiting for its end point
        # built once (per landscape's parameters); their data are replaced on every change (plots_surface)
        self.profile_plot = ProfilePlot("x", "y")
        self.profile_plot.message("no landscape loaded")
        self.profile = bokeh_pane(self.profile_plot.figure)
        self.line_info = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["profile-line-info"])
        self.azimuth = pn.widgets.IntSlider(label="azimuth (°)", start=-180, end=180, step=5, value=-40, width=200)
        self.elevation = pn.widgets.IntSlider(label="elevation (°)", start=5, end=90, step=5, value=35, width=200)
        self.surface_plot = SurfacePlot()
        self.surface_plot.figure.title.text = "no landscape loaded"
        self.surface = bokeh_pane(self.surface_plot.figure)

        self.start_x = pn.widgets.FloatInput(label="start x", value=None, width=130)
        self.start_y = pn.widgets.FloatInput(label="start y", value=None, width=130)
        self.methods = pn.widgets.MultiChoice(label="Methods", options=["bo", "cg", "random", "bo+cg"],
                                              value=["bo", "cg"], width=220)
        self.n_iter = pn.widgets.IntInput(label="Evaluations per method", value=10, start=2, end=500, width=150)
        self.preset_starts = pn.widgets.Checkbox(label="BO also starts from the presets inside the window", value=False)
        self.starts_info = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["path-starts"])
        self.seed = seed_input()
        self.controls = JobControls("Run comparison", "Stop", go_width=150, stop_width=80)
        self.run_button, self.stop_button = self.controls.go, self.controls.stop
        self.bar, self.status = self.controls.bar, self.controls.status

        self.file.param.watch(lambda e: self.load(Path(e.new)), "value")
        self.upload.param.watch(self._uploaded, "value")
        # a window change redraws what shows the window (not the full-window heat map); the view angle
        # only the surface
        self.window.param.watch(lambda e: self._window_changed(), "value")
        for w in (self.variable, self.log, self.contours):
            w.param.watch(lambda e: self.redraw(), "value")
        for w in (self.azimuth, self.elevation):
            w.param.watch(lambda e: self._draw_surface(), "value_throttled")
        for w in (self.start_x, self.start_y):
            w.param.watch(lambda e: self.redraw(), "value")
        self.run_button.on_click(lambda e: self.run_comparison())

        self.panel = pn.Column(
            pn.Row(self.file, pn.Column(pn.pane.Markdown("or load a landscape file (.nc):", margin=(0, 10)),
                                        self.upload), sizing_mode="stretch_width"),
            self.notice, self.version_notice, self.info,
            flow(self.window, self.variable, self.log, self.contours),
            flow(self.map, self.zoom_map),
            heading("How rough is it?", "Switch clicks to <i>profile line</i> and click twice on the heat map: "
                    "R_x along that line (error bars: seed-to-seed spread where the file has several seeds; "
                    "crosses: failed cells). The surface shows the chosen window in 3-D."),
            flow(pn.pane.Markdown("A click on the heat map sets the", margin=(8, 10)), self.click_mode,
                 self.line_info),
            flow(self.profile, pn.Column(self.surface, pn.Row(self.azimuth, self.elevation))),
            flow(self.convergence, pn.Column(
                heading("Run BO and CG from a start point", "Click the heat map to pick a start "
                                 "(or type it). Paths are computed on this session's copy of the file at the "
                                 "landscape's fidelity, against this session's reference.", margin=(0, 10)),
                pn.Row(self.start_x, self.start_y, self.seed), pn.Row(self.methods, self.n_iter), self.preset_starts,
                pn.Row(self.run_button, self.stop_button), self.bar, self.status, self.starts_info,
                min_width=480, sizing_mode="stretch_width")),
            sizing_mode="stretch_width", name=self.title)
        if files:
            self.load(Path(next(iter(files.values()))))
        else:
            self.notice.object = (f"No shipped landscape in `{display_path(LANDSCAPE_DIR)}/` yet. Load a "
                                  "landscape file written by `silica-explorer landscape` above.")
            self.notice.visible = True

    # ----------------------------------------------------------------------------- loading
    def _uploaded(self, event) -> None:
        if not event.new:
            return
        target = self.state.workdir / f"landscape-{uuid.uuid4().hex[:6]}-{Path(self.upload.filename or 'x.nc').name}"
        target.write_bytes(event.new)
        self.load(target)

    def load(self, path: Path) -> None:
        try:
            tree = _landscape.open_landscape(path)
            windows = tree_windows(tree)
            if "full" not in windows:
                raise ValueError("no 'full' window group")
        except Exception as exc:
            self.notice.object = f"Could not read {Path(path).name} as a landscape: {exc}"
            self.notice.alert_type = "danger"
            self.notice.visible = True
            return
        self.notice.visible = False
        self.tree, self.path = tree, Path(path)
        full = tree["full"].ds
        self._drawn_surface = self._drawn_zoom = None
        self._default_line()  # before the widgets change (their watchers draw the profile along it)
        if self.profile_plot.params != (full.attrs["x_param"], full.attrs["y_param"]):
            self.profile_plot = ProfilePlot(full.attrs["x_param"], full.attrs["y_param"])
            self.profile.object = self.profile_plot.figure
        seeds = [int(s) for s in full.seed.values]
        self.variable.options = {"R_x mean over seeds": "R_x_mean", **{f"R_x seed {s}": f"R_x:{s}" for s in seeds}}
        self.window.options = windows
        if self.window.value not in windows:
            self.window.value = "full"
        self._info()
        self.redraw()

    def _info(self) -> None:
        a = self.tree.attrs
        full = self.tree["full"].ds.attrs
        ref = without_machine_paths(a.get("reference", "unknown"))
        mismatch = ""
        if reference_differs(a.get("reference_id"), self.state.reference):
            mismatch = (f"<br>Note: computed against **{ref}**; this session's reference is "
                        f"**{self.state.reference_name}** - new paths would use the session's.")
        wall = a.get("wall_time_s")
        self.info.object = (
            f"**{a.get('title', 'landscape')}**<br><small>file `{self.path.name}`; base {a.get('base_preset')}; "
            f"fidelity {a.get('fidelity_name')}; seeds {a.get('seeds')}; {full.get('n_ok')} of "
            f"{full.get('n_points')} points ok, {full.get('n_failed')} failed, {full.get('n_pending')} pending; "
            f"reference {ref}" + (f"; note: {a['note']}" if a.get("note") else "")
            + (f"; {float(wall) / 60:.0f} min wall time" if wall is not None else "") + f"</small>{mismatch}")
        self.info.object = without_machine_paths(self.info.object)
        self.version_notice.object = version_mismatch(a)
        self.version_notice.visible = bool(self.version_notice.object)
        starts = {m: ds.attrs.get("starts") for m, ds in tree_paths(self.tree).items()}
        self.starts_info.object = "" if not starts else "**Starts of the paths shown:** " + "; ".join(
            f"{m.upper()}: {text or 'not recorded (file written before starts were stored)'}"
            for m, text in starts.items())

    # ----------------------------------------------------------------------------- drawing
    def _start(self):
        if self.start_x.value is None or self.start_y.value is None:
            return None
        return float(self.start_x.value), float(self.start_y.value)

    def _var(self):
        v = self.variable.value or "R_x_mean"
        if v.startswith("R_x:"):
            return "R_x", int(v.split(":")[1])
        return v, None

    def redraw(self) -> None:
        if self.tree is None:
            return
        var, seed = self._var()
        paths = tree_paths(self.tree)
        windows = tree_windows(self.tree)
        zoom_name = next((w for w in windows if w != "full"), None)
        full = self.tree["full"].ds
        main = plots.landscape_plot(full, var, seed, log=self.log.value, contours=self.contours.value, paths=paths,
                                    zoom=self.tree[zoom_name].ds if zoom_name else None, start=self._start(),
                                    title=f"R_x (%) over ({full.attrs.get('x_param')}, {full.attrs.get('y_param')})"
                                          " - full window")
        self._attach_tap(main)
        # the profile line is a layer of its own, updated in place (Pipe): a profile click changes that
        # layer's data and the profile plot only, never the heat map (whose tap stream stays attached)
        xd, yd = plots.param_dimension(full.attrs.get("x_param")), plots.param_dimension(full.attrs.get("y_param"))
        self._line_pipe = hv.streams.Pipe(data=self.line)
        main = main * hv.DynamicMap(lambda data: self._line_layer(data, xd, yd), streams=[self._line_pipe])
        set_plot(self.map, main)
        self._draw_zoom()
        set_plot(self.convergence, plots.convergence_plot(paths))
        self._draw_profile()
        if self._surface_key() != self._drawn_surface:
            self._draw_surface()

    def _window_changed(self) -> None:
        """Another window chosen: the zoom map if it shows another window now, the profile, the surface."""
        if self.tree is None:
            return
        if self._zoom_key() != self._drawn_zoom:
            self._draw_zoom()
        self._draw_profile()
        self._draw_surface()

    def _zoom_key(self):
        windows = tree_windows(self.tree)
        shown = self.window.value if self.window.value != "full" else next((w for w in windows if w != "full"), None)
        return (id(self.tree), shown, self.variable.value, self.log.value, self.contours.value, self._start())

    def _draw_zoom(self) -> None:
        """The chosen window (with window 'full': the first finer one) as a heat map of its own."""
        key = self._zoom_key()
        shown = key[1]
        if shown is not None:
            var, seed = self._var()
            set_plot(self.zoom_map, plots.landscape_plot(self.tree[shown].ds, var, seed, log=self.log.value,
                                                        contours=self.contours.value, paths=tree_paths(self.tree),
                                                        start=self._start(), title=f"window '{shown}' (finer grid)",
                                                        width=470))
        self.zoom_map.visible = shown is not None
        self._drawn_zoom = key

    def _surface_key(self):
        return (id(self.tree), self.window.value, self.variable.value, self.azimuth.value, self.elevation.value)

    @staticmethod
    def _line_layer(line, xd, yd) -> hv.Overlay:
        """The profile line (white, dash-dotted) and its start point (same layers whether or not a line is set)."""
        pts = [] if line is None else [tuple(line[0]), tuple(line[1])]
        return hv.Path([pts] if pts else [], [xd, yd], label="profile line").opts(
            color="white", line_width=3, line_dash="dotdash") * hv.Scatter(pts[:1], xd, yd).opts(
            color="white", size=9, line_color="black")

    def _show_line(self) -> None:
        """The line changed: its layer on the heat map and the profile (nothing else is redrawn)."""
        if self._line_pipe is None:
            self.redraw()
            return
        self._line_pipe.send(self.line)
        self._draw_profile()

    def _attach_tap(self, overlay) -> None:
        mesh = next((el for el in overlay if isinstance(el, hv.QuadMesh)), None)
        if mesh is None:
            return
        self.tap = hv.streams.Tap(source=mesh, x=None, y=None)
        self.tap.param.watch(self._tapped, ["x", "y"])

    def _tapped(self, *events) -> None:
        # the stream that fired: a click can land on the previous plot while a redraw is on its way
        tap = events[0].obj if events else self.tap
        if tap is None or tap.x is None or tap.y is None:
            return
        x, y = (float(f"{float(v):.4g}") for v in (tap.x, tap.y))  # a click is not more precise
        if self.click_mode.value == "profile line":
            # a HoloViews stream callback runs without the Bokeh document's lock, and the profile's Bokeh
            # models are changed in place: on the server this runs on the next tick, under the lock
            pn.state.execute(lambda: self.profile_click(x, y), schedule=True)
            return
        if self._start() == (x, y):
            return
        self.start_x.value, self.start_y.value = x, y

    # ----------------------------------------------------------------------------- roughness
    def _shown_window(self):
        name = self.window.value if self.window.value in tree_windows(self.tree) else "full"
        return self.tree[name].ds

    def profile_click(self, x: float, y: float) -> None:
        """First click: the line's start; second click: its end (then the profile is drawn)."""
        if not self._line_open:
            self.line, self._line_open = [(x, y), (x, y)], True
        else:
            self.line = [self.line[0], (x, y)]
            self._line_open = False
        self._show_line()

    def set_line(self, start, end) -> None:
        self.line, self._line_open = [tuple(map(float, start)), tuple(map(float, end))], False
        self._show_line()

    def _default_line(self) -> None:
        full = self.tree["full"].ds
        xn, yn = full.attrs["x_param"], full.attrs["y_param"]
        self.line = [(float(full[xn].min()), float(full[yn].min())), (float(full[xn].max()), float(full[yn].max()))]
        self._line_open = False

    def _draw_profile(self) -> None:
        from ...landscape.profile import line_profile
        (x0, y0), (x1, y1) = self.line
        self.line_info.object = (f"Profile line from ({x0:.4g}, {y0:.4g}): click its end point on the heat map."
                                 if self._line_open else f"Profile line from ({x0:.4g}, {y0:.4g}) to ({x1:.4g}, {y1:.4g}).")
        if self._line_open:
            self.profile_plot.message("click the line's end point on the heat map")
            return
        var, seed = self._var()
        prof = line_profile(self._shown_window(), self.line[0], self.line[1], var="R_x" if seed is not None else var,
                            seed=seed)
        self.profile_plot.show(prof)

    def _draw_surface(self) -> None:
        if self.tree is None:
            return
        var, seed = self._var()
        name = self.window.value if self.window.value in tree_windows(self.tree) else "full"
        self.surface_plot.show(self._shown_window(), var, seed, azimuth=self.azimuth.value,
                               elevation=self.elevation.value, title=f"R_x (%) surface - window '{name}'")
        self._drawn_surface = self._surface_key()

    # ----------------------------------------------------------------------------- comparison
    def run_comparison(self) -> Job | None:
        if self.tree is None:
            self.status.object = "Load a landscape first."
            return None
        if self.state.reference is None:
            self.status.object = "Running optimizers needs a reference: load one in the sidebar."
            return None
        if self.job is not None and not self.job.is_final:
            return None
        start, methods, n_iter, seed = self._start(), list(self.methods.value), int(self.n_iter.value), int(self.seed.value)
        preset_starts = bool(self.preset_starts.value)
        if not methods:
            self.status.object = "Choose at least one method."
            return None
        # paths are written into this session's copy, never into the shipped file
        if self.path is None or not self.path.is_relative_to(self.state.workdir):
            copy = self.state.workdir / f"landscape-{uuid.uuid4().hex[:6]}-{self.path.name}"
            shutil.copy2(self.path, copy)
            self.path = copy
        out, tree, reference, threads = self.path, self.tree, self.state.reference, self.state.md_threads
        reference_name = self.state.reference_name

        def work(job: Job):
            from ...engine import get_engine
            from ...evaluate import Evaluator
            from .fit import JobEvaluator
            ls = landscape_from_tree(tree)
            # paths run with the engine the landscape was computed with
            engine = "hoomd" if str(tree.attrs.get("engine_version", "")).startswith("HOOMD") else "lammps"
            cost = JobEvaluator(Evaluator(reference, ls.fidelity, engine=get_engine(engine, threads=threads)), job)
            from ...parallel import SerialExecutor
            _landscape.optimizer_paths(ls, cost, methods=methods, start=start, n_iter=n_iter, seed=seed, out=out,
                                       executor=SerialExecutor(md_threads=threads), progress=job.progress,
                                       reference_name=reference_name, preset_starts=preset_starts)
            return _landscape.open_landscape(out)

        label = f"{'/'.join(m.upper() for m in methods)} from " \
                f"{'base' if start is None else f'({start[0]:.4g}, {start[1]:.4g})'}"
        self.job = self.controls.run(self.state, self.poller, label, work, on_done=self._finished)
        return self.job

    def _finished(self, job: Job) -> None:
        if job.state == "done":
            self.tree = job.result
            self._info()
            self.redraw()
