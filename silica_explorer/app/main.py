"""The app: one :class:`App` per browser session, built by :func:`create_app`."""

from __future__ import annotations

import argparse
import logging
import threading
from pathlib import Path

import panel as pn

from .. import __version__
from .jobs import N_MD_SLOTS, available_cores
from .poller import Poller
from .state import REFERENCE_SUFFIXES, SessionState
from .widgets import heading, without_machine_paths

log = logging.getLogger(__name__)

_EXTENSIONS_LOADED = False


def load_extensions() -> None:
    """Panel + HoloViews (Bokeh) extensions, once per process."""
    global _EXTENSIONS_LOADED
    if _EXTENSIONS_LOADED:
        return
    # HoloViews' Bokeh backend is registered by importing silica_explorer.app.plots (no hv.extension()
    # notebook machinery needed in a server); the Forcefield tab imports it only after the page loaded
    pn.extension("tabulator", notifications=True)
    # Panel links the axes of all HoloViews panes with equal dimensions in a document: the PDFs of the
    # Forcefield, Fit and Results tabs would share (and fight over) ranges and sizes. Every plot here
    # has its own axes.
    pn.pane.HoloViews.param.linked_axes.default = False
    _EXTENSIONS_LOADED = True


class App:
    """Everything one session shows: reference sidebar + Forcefield, Landscape, Fit, Runs, Results tabs.

    ``reference``: ``"default"`` (the shipped file or $SILICA_EXPLORER_REFERENCE), a path, a PDF
    Dataset, or None."""

    def __init__(self, reference="default"):
        load_extensions()
        from .views.forcefield import ForcefieldView

        self.state = SessionState(reference=reference)
        self.poller = Poller()
        self.forcefield = ForcefieldView(self.state, self.poller)
        # the other tabs are built the first time they are opened (fast first page)
        self._views = {"Forcefield": self.forcefield}
        self._placeholders = {t: pn.Column(pn.indicators.LoadingSpinner(value=True, size=40), name=t,
                                           sizing_mode="stretch_width") for t in self.TAB_TITLES[1:]}
        self.tabs = pn.Tabs(("Forcefield", self.forcefield.panel),
                            *[(t, self._placeholders[t]) for t in self.TAB_TITLES[1:]],
                            dynamic=False, sizing_mode="stretch_width")
        self.tabs.param.watch(self._tab_opened, "active")
        if self._in_server():
            pn.state.onload(self.forcefield.load_plots)  # plots after the page is up: fast first paint
        else:
            self.forcefield.load_plots()
        # e.g. http://localhost:5006/app?tab=runs: a demo opens on the shipped fit's replay
        self.url_notice = pn.pane.Alert("", alert_type="warning", visible=False, sizing_mode="stretch_width",
                                        css_classes=["url-notice"])
        tab = (pn.state.session_args.get("tab") or [b""])[0].decode(errors="replace") if self._in_server() else ""
        if tab:
            try:
                title = self.tab_title(tab)
            except ValueError as exc:
                self.url_notice.object, self.url_notice.visible = str(exc), True
            else:
                pn.state.onload(lambda: self.open_tab(title))

        self.reference_alert = pn.pane.Alert("", sizing_mode="stretch_width", css_classes=["reference-status"])
        self.reference_input = pn.widgets.FileInput(accept=",".join(REFERENCE_SUFFIXES), multiple=False,
                                                    sizing_mode="stretch_width")
        self.md_threads = pn.widgets.IntInput(label="MD threads per melt", value=self.state.md_threads, start=1,
                                              end=max(available_cores(), self.state.md_threads), width=200)
        self._show_reference()
        self.state.param.watch(lambda e: self._show_reference(), ["reference_message"])
        self.reference_input.param.watch(self._reference_uploaded, "value")
        self.md_threads.param.watch(lambda e: setattr(self.state, "md_threads", int(e.new)), "value")

        sidebar = [
            heading("Reference liquid"), self.reference_alert,
            pn.pane.Markdown("Load your own reference: partial PDFs (netCDF, or a CSV/TSV table with columns "
                             "r, g_SiSi, g_SiO, g_OO) or an ab initio trajectory (extxyz, LAMMPS dump, XDATCAR):",
                             margin=(0, 10), sizing_mode="stretch_width"),
            self.reference_input,
            heading("Machine"), self.md_threads,
            pn.pane.Markdown(f"<small>{available_cores()} cores; {N_MD_SLOTS} melt(s) at a time on this server "
                             "(other sessions queue). Session "
                             f"`{self.state.session_id}`; silica-explorer {__version__}.</small>",
                             sizing_mode="stretch_width"),
        ]
        self.template = pn.template.BootstrapTemplate(
            title="silica-explorer: forcefields for liquid SiO2", sidebar=sidebar, main=[self.url_notice, self.tabs],
            sidebar_width=260, header_background="#2f4f6f")

    TAB_TITLES = ("Forcefield", "Landscape", "Fit", "Runs", "Results")

    def view(self, title: str):
        """The view of tab ``title``, built on first use."""
        if title not in self._views:
            if title == "Landscape":
                from .views.landscape import LandscapeView as cls
            elif title == "Fit":
                from .views.fit import FitView as cls
            elif title == "Runs":
                from .views.runs import RunsView as cls
            elif title == "Results":
                from .views.results import ResultsView as cls
            else:
                raise KeyError(title)
            view = cls(self.state, self.poller)
            self._views[title] = view
            self._placeholders[title].objects = [view.panel]
        return self._views[title]

    # app.landscape, app.fit, app.runs, app.results: the tab's view (built on first use)
    landscape = property(lambda self: self.view("Landscape"))
    fit = property(lambda self: self.view("Fit"))
    runs = property(lambda self: self.view("Runs"))
    results = property(lambda self: self.view("Results"))

    @classmethod
    def tab_title(cls, name: str) -> str:
        """The title of tab ``name`` (any case); ValueError naming the allowed names."""
        title = next((t for t in cls.TAB_TITLES if t.lower() == name.strip().lower()), None)
        if title is None:
            raise ValueError(f"tab={name!r} in the URL is not a tab; allowed: "
                             f"{', '.join(t.lower() for t in cls.TAB_TITLES)}")
        return title

    def open_tab(self, name: str) -> str:
        """Show tab ``name`` (any case: forcefield, landscape, fit, runs, results), built on first use;
        returns its title (ValueError for another name)."""
        title = self.tab_title(name)
        self.tabs.active = self.TAB_TITLES.index(title)  # builds the view (_tab_opened)
        return title

    def _tab_opened(self, event) -> None:
        self.view(self.TAB_TITLES[event.new])

    def _show_reference(self) -> None:
        s = self.state
        self.reference_alert.object = without_machine_paths(s.reference_message)
        self.reference_alert.alert_type = "success" if s.reference is not None else "warning"

    def _reference_uploaded(self, event) -> None:
        if not event.new:
            return
        try:
            self.state.load_reference_bytes(event.new, self.reference_input.filename or "reference.nc")
        except Exception as exc:
            self.state.reference_message = f"Could not load {self.reference_input.filename}: {exc}"
            self._show_reference()
            self.reference_alert.alert_type = "danger"

    def servable(self):
        doc = pn.state.curdoc
        if doc is not None and getattr(doc, "session_context", None) is not None:
            pn.state.on_session_destroyed(lambda ctx: self._closed())
        return self.template.servable()

    def _closed(self) -> None:
        """End of the browser session: stop following stores, then stop its jobs (in the background)."""
        runs = self._views.get("Runs")
        if runs is not None:
            runs.close()
        threading.Thread(target=self.state.close, daemon=True).start()

    @staticmethod
    def _in_server() -> bool:
        doc = pn.state.curdoc
        return doc is not None and getattr(doc, "session_context", None) is not None


def create_app(reference="default") -> App:
    return App(reference=reference)


def parse_args(argv) -> argparse.Namespace:
    """Options after ``panel serve app.py --args ...``."""
    p = argparse.ArgumentParser(prog="panel serve app.py --args")
    p.add_argument("--reference", type=Path, default=None,
                   help="reference PDFs (default: data/reference/sio2_3600K_chgnet.nc or $SILICA_EXPLORER_REFERENCE)")
    args, _ = p.parse_known_args(argv)
    return args
