"""Benchmark: server-side cost of the Fit tab's live update and of a Landscape window switch (issue #15),
old vs new. Both run on the event loop every browser session shares, so they set how long the other
sessions wait while one session runs a fit or drags through the landscape.

    .venv/bin/python benchmarks/app_live_updates.py [--store data/fits/fit7/store.sqlite] [--repeats 10]

Every view is attached to a Bokeh document (so changes are rendered into Bokeh models, as for a browser
session); no server.

- Fit tab, with the first 20, 40 and 80 evaluations of the store's first run as the live trace:
  ``old`` builds the three HoloViews plots (R_x per evaluation, GP prediction vs observed, per-parameter
  traces) and shows them in HoloViews panes, as every update did before; ``new`` is
  :meth:`FitView._redraw` as it is (:class:`~silica_explorer.app.plots_live.LiveFitPlots`: data replaced
  in figures built once per fit).
- Landscape tab, the shipped landscape: ``new`` switches the window (full <-> zoom) as a user does;
  ``old`` is :meth:`LandscapeView.redraw`, the whole-tab rebuild every window switch ran before (its heat
  maps and convergence plot rebuilt; the profile and surface, which the old rebuild also rebuilt as
  HoloViews plots, are counted at today's in-place cost, so ``old`` here is a lower bound).

Prints the median seconds per update of each and the ratio old / new, with the 1-min load average.
Timings swing with machine load: read the ratios within one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import panel as pn  # noqa: E402
from bokeh.document import Document  # noqa: E402

from silica_explorer.app import plots  # noqa: E402
from silica_explorer.app.main import load_extensions  # noqa: E402
from silica_explorer.app.poller import Poller  # noqa: E402
from silica_explorer.app.state import SessionState  # noqa: E402
from silica_explorer.app.views.fit import FitView  # noqa: E402
from silica_explorer.app.views.landscape import LandscapeView  # noqa: E402
from silica_explorer.app.widgets import set_grid, set_plot  # noqa: E402
from silica_explorer.store.reader import StoreReader  # noqa: E402


def timed(fn, repeats: int) -> float:
    fn()  # warm (first renders build the Bokeh models)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fit_trace(store: Path) -> tuple[list[dict], list[str]]:
    """Fit-tab entries (as the fit callback emits them) of the store's first run."""
    reader = StoreReader(store)
    run = reader.runs()[0]
    recs = reader.records(run["run_id"])
    trace = [{"iteration": i, "phase": r.optimizer, "params": dict(r.free), "status": r.status, "reason": r.reason,
              "R_x": r.R_x if r.ok else float("nan"), "record_id": None, "proposal": r.proposal} for i, r in enumerate(recs)]
    return trace, list(recs[0].free)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--store", type=Path, default=ROOT / "data" / "fits" / "fit7" / "store.sqlite")
    p.add_argument("--repeats", type=int, default=10)
    args = p.parse_args(argv)
    load_extensions()
    state = SessionState()
    print(f"load average (1 min) at start: {os.getloadavg()[0]:.2f}")

    trace, names = fit_trace(args.store)
    view = FitView(state, Poller())
    view.free.value = names
    view.panel.get_root(Document())
    view._show_live_plots(names)
    old_panes = [pn.pane.HoloViews(None), pn.pane.HoloViews(None), pn.GridBox(ncols=4)]
    pn.Column(*old_panes).get_root(Document())
    print(f"Fit tab live update ({len(names)} free parameters), s per update:")
    for n in (20, 40, 80):
        part = trace[:n]

        def old():
            set_plot(old_panes[0], plots.fit_history_plot(part))
            set_plot(old_panes[1], plots.gp_plot(part))
            set_grid(old_panes[2], plots.parameter_traces_plot(part, names))

        def new():
            view.trace = part
            view.last_config = dict(view.config(), budget=len(trace))
            view._redraw()

        t_old, t_new = timed(old, args.repeats), timed(new, args.repeats)
        print(f"  {n:3d} evaluations: old {t_old:.3f}  new {t_new:.4f}  ratio {t_old / t_new:.0f}")

    land = LandscapeView(state, Poller())
    if land.tree is None:
        print("no shipped landscape: window switch not timed")
        return 0
    land.panel.get_root(Document())
    windows = list(land.window.options)
    k = [0]

    def switch():
        k[0] += 1
        land.window.value = windows[k[0] % len(windows)]

    t_old, t_new = timed(land.redraw, args.repeats), timed(switch, args.repeats)
    print(f"Landscape window switch ({land.path.name}, windows {windows}), s per switch:")
    print(f"  old (whole-tab rebuild) {t_old:.3f}  new {t_new:.4f}  ratio {t_old / t_new:.0f}")
    print(f"load average (1 min) at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
