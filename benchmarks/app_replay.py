"""Benchmark: server-side cost of one replay step in the Runs tab (issue #15), old vs new.

    .venv/bin/python benchmarks/app_replay.py [--store data/fits/fit7/store.sqlite] [--steps 20]

Opens the store in a :class:`~silica_explorer.app.views.runs.RunsView` without a server, attaches the
tab to a Bokeh document (so every change is rendered into Bokeh models, as for a browser session) and
times ``--steps`` moves of the replay slider (positions spread over the run, in a fixed shuffled order):

- ``new``: ``view.player.value = k`` on the view as it is (data-only updates of plots built once per run).
- ``old``: what a step cost before issue #15's fix, rebuilt here: the trace of every record recomputed
  (``space.unit_of`` per record), then the three HoloViews plots (R_x per evaluation, parallel
  coordinates, stacked traces) built whole and shown in HoloViews panes attached to a document, and the
  best set's PDF plot (against the shipped reference) rebuilt whenever the best so far changed.

Prints the median and max seconds per step of each and the ratio old / new (medians), with the 1-min
load average. Timings swing with machine load: read the ratio within one run.
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

import numpy as np  # noqa: E402
import panel as pn  # noqa: E402
from bokeh.document import Document  # noqa: E402

from silica_explorer.app import plots, plots_runs  # noqa: E402
from silica_explorer.app.main import load_extensions  # noqa: E402
from silica_explorer.app.state import SessionState  # noqa: E402
from silica_explorer.app.views.runs import RunsView, record_entry  # noqa: E402
from silica_explorer.app.widgets import set_grid, set_plot  # noqa: E402


def old_step(view: RunsView, panes, k: int) -> None:
    """One replay step as the Runs tab drew it before the fix."""
    trace = []
    for i, r in enumerate(view.records):
        e = record_entry(r, i)
        if view.space is not None and (e["u"] is None or len(e["u"]) != view.space.dim):
            e["u"] = list(view.space.unit_of(r.forcefield))
        trace.append(e)
    trace = trace[:k]
    names = view.names
    set_plot(panes[0], plots.fit_history_plot(trace))
    set_plot(panes[1], plots_runs.parallel_coordinates_plot(trace, names))
    set_plot(panes[2], plots_runs.stacked_traces_plot(trace, names))
    ok = [t for t in trace if t["status"] == "ok" and np.isfinite(t["R_x"])]
    best = min(ok, key=lambda t: t["R_x"]) if ok else None
    key = None if best is None else best["record_id"]
    if key != panes[4].get("shown"):  # the best-PDF plot was rebuilt when the best changed
        panes[4]["shown"] = key
        pdf = view._pdfs.get(key) if key is not None else None
        sets = {} if pdf is None else {f"best (evaluation {best['iteration'] + 1})": pdf}
        set_grid(panes[3], plots.pdf_plot(view.state.reference, sets))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--store", type=Path, default=ROOT / "data" / "fits" / "fit7" / "store.sqlite")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--configs", default="old,new")
    args = p.parse_args(argv)
    load_extensions()
    view = RunsView(SessionState(), poller=None, store=args.store)  # the shipped reference
    n = len(view.records)
    view.panel.get_root(Document())
    old_panes = [pn.pane.HoloViews(None) for _ in range(3)] + [pn.Row(), {}]
    pn.Column(*old_panes[:4]).get_root(Document())
    for r in view.records:  # the stored PDFs, read once for both (reading is not what is compared)
        if r.ok:
            view._pdfs.setdefault(r.id, view.reader.get_pdf(r.id))
    old_step(view, old_panes, n)  # warm both (first renders build the Bokeh models)
    view.player.value = max(1, n // 2)
    rng = np.random.default_rng(0)
    positions = [int(k) for k in rng.choice(np.arange(1, n + 1), size=args.steps, replace=args.steps > n)]
    print(f"store {args.store} run {view.run_id}: {n} evaluations, {len(view.names)} free parameters; "
          f"{args.steps} steps; load average (1 min) {os.getloadavg()[0]:.2f}")
    res = {}
    for cfg in args.configs.split(","):
        times = []
        for k in positions:
            t0 = time.perf_counter()
            if cfg == "old":
                old_step(view, old_panes, k)
            else:
                view.player.value = k
            times.append(time.perf_counter() - t0)
        res[cfg] = times
        print(f"{cfg:>4}: median {statistics.median(times):.4f} s/step, max {max(times):.4f} s")
    if "old" in res and "new" in res:
        print(f"ratio old / new (medians): {statistics.median(res['old']) / statistics.median(res['new']):.1f}")
    print(f"load average (1 min) after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
