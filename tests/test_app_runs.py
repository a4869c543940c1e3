"""Runs tab without a browser: open any store read-only, list its runs, replay, follow new evaluations,
GP slices, and a clear notice for every bad input while the rest keeps working.

Stores are made here with the analytic stand-in cost (no MD, fractions of a second); the shipped fit
(data/fits/fit7) is never needed.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest

pn = pytest.importorskip("panel", reason="panel is not installed")
hv = pytest.importorskip("holoviews")

from silica_explorer.app import create_app  # noqa: E402
from silica_explorer.app.views import runs as runs_module  # noqa: E402
from silica_explorer.forcefield import PRESETS  # noqa: E402
from silica_explorer.optimize import SearchSpace, fit  # noqa: E402
from silica_explorer.standins import AnalyticCost  # noqa: E402
from silica_explorer.store import Store  # noqa: E402

FREE = ["q_Si", "A_SiO", "rho_SiO", "C_SiO"]


def make_store(path, budget=14, run_id="standin_fit", fail_if=None):
    space = SearchSpace(FREE, base="BKS", coords="contact")
    cost = AnalyticCost("rough_basin", space, noise=0.002, fail_if=fail_if)
    fit(cost, space, "bo", budget, seed=0, store=path, run_id=run_id)
    return path / "store.sqlite"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return make_store(tmp_path_factory.mktemp("runs") / "s")


@pytest.fixture
def app(monkeypatch, tmp_path):
    monkeypatch.setattr(runs_module, "DEFAULT_FIT_STORE", tmp_path / "no_fit_yet" / "store.sqlite")
    return create_app(reference=None)


def sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def src(view, name):
    """The data a replay figure of the Runs tab shows (column -> array)."""
    return view.replay.sources[name].data


def n_points(view, name):
    return len(next(iter(src(view, name).values())))


def test_without_shipped_fit_a_notice_and_any_store_opens(app, store):
    view = app.runs
    assert view.notice.visible and "not here yet" in view.notice.object and view.notice.alert_type == "info"
    assert view.open(store)
    assert not view.notice.visible
    df = view.table.value
    with Store(store.parent) as s:
        recs = s.records("standin_fit")
    best = min(r.R_x for r in recs if r.ok)
    row = df.iloc[0]
    assert row["run"] == "standin_fit" and row["evaluations"] == len(recs) == 14 and row["status"] == "finished"
    assert row["optimizer"] == "bo" and row["free parameters"] == ", ".join(FREE)
    assert row["best R_x (%)"] == pytest.approx(round(100 * best, 3))


def test_default_store_opens_at_the_end_of_its_run(monkeypatch, store):
    monkeypatch.setattr(runs_module, "DEFAULT_FIT_STORE", store)
    view = create_app(reference=None).runs
    assert view.reader is not None and view.run_id == "standin_fit"
    assert view.player.value == view.player.end == 14
    assert "evaluation 14 of 14" in view.summary.object


def test_replay_positions_show_the_run_as_it_was(app, store, classical_reference):
    before = sha(store)
    view = app.runs
    view.open(store)
    figures = (view.history.object, view.parcoords.object, view.traces.object)
    with Store(store.parent) as s:
        recs = s.records("standin_fit")
    for k in (1, 5, 14):
        view.player.value = k
        ok = [r for r in recs[:k] if r.ok]
        best = min(ok, key=lambda r: r.R_x)
        assert f"evaluation {k} of 14" in view.summary.object
        assert f"best R_x so far = **{100 * best.R_x:.2f} %** at evaluation {recs.index(best) + 1}" in view.summary.object
        assert n_points(view, "evaluation") == len(ok)
        assert np.allclose(src(view, "evaluation")["R_x"], [100 * r.R_x for r in ok])
        # one line per evaluation so far
        assert n_points(view, "pc_ok") + n_points(view, "pc_failed") == k * (len(FREE) - 1)
        assert np.allclose(src(view, "pc_best")["u"], best.u[:-1])  # segment starts: the best's coordinates
        traces = src(view, "traces")
        assert sorted(traces) == ["iteration"] + [f"row{j}" for j in range(len(FREE))]
        assert all(len(v) == k for v in traces.values())
        # the figures are the run's own, built once: a replay step changes only their data
        assert (view.history.object, view.parcoords.object, view.traces.object) == figures
    assert sha(store) == before  # replaying wrote nothing


def test_gp_slices_and_readout(app, store):
    view = app.runs
    view.open(store)
    job = view.compute_slices()
    app.poller.wait(job, 300)
    assert job.state == "done", job.error
    assert len(view.slices.objects) == len(FREE)
    lines = view.readout.object.splitlines()
    assert len(lines) == len(FREE) and all(any(n in ln for n in FREE) for ln in lines)
    assert all(("constrained" in ln) or ("left free" in ln) for ln in lines)


def test_follow_shows_new_evaluations(app, tmp_path):
    path = make_store(tmp_path / "live", budget=3)
    view = app.runs
    view.open(path)
    assert view.player.end == 3
    with Store(path.parent) as s:  # another writer appends to the same run
        s.append(key="extra", forcefield=PRESETS["BKS"].replace(q_Si=2.0), seed=0, status="failed",
                 reason="lost atoms (test)", run_id="standin_fit", optimizer="bo", iteration=3, free=FREE)
        s.append(key="extra2", forcefield=PRESETS["BKS"].replace(q_Si=2.1), seed=0, status="ok", R_x=0.01,
                 run_id="standin_fit", optimizer="bo", iteration=4, free=FREE)
    assert view.poll() == 2
    assert view.player.value == view.player.end == 5 and "evaluation 5 of 5" in view.summary.object
    assert "best R_x so far = **1.00 %** at evaluation 5" in view.summary.object
    assert "1 failed: 1 lost atoms (the system blew up)" in view.failures.object
    assert "1 x `lost atoms (test)` (#4)" in view.raw_failures.object and view.raw_card.visible
    assert view.table.value.iloc[0]["evaluations"] == 5
    # not following and not at the end: the position stays
    view.follow.value = False
    view.player.value = 2
    with Store(path.parent) as s:
        s.append(key="extra3", forcefield=PRESETS["BKS"], seed=0, status="ok", R_x=0.5, run_id="standin_fit",
                 optimizer="bo", iteration=5, free=FREE)
    assert view.poll() == 1 and view.player.end == 6 and view.player.value == 2
    assert view.poll() == 0


def test_bad_inputs_get_notices_and_the_rest_keeps_working(app, store, tmp_path):
    import sqlite3
    view = app.runs
    view.open(store)
    shown = view.run_id
    text = tmp_path / "notes.sqlite"
    text.write_text("hello")
    assert not view.open(text)
    assert view.notice.visible and view.notice.alert_type == "danger" and "not an SQLite database" in view.notice.object
    assert view.run_id == shown and view.reader is not None  # what was shown stays shown
    newer = make_store(tmp_path / "newer", budget=2)
    with sqlite3.connect(newer) as c:
        c.execute("UPDATE meta SET value='7' WHERE key='schema_version'")
    assert not view.open(newer) and "schema version 7 is newer" in view.notice.object
    assert not view.open(tmp_path / "nowhere") and "no such file" in view.notice.object
    # a run whose every evaluation failed
    failing = make_store(tmp_path / "failing", budget=3, fail_if=lambda u: True)
    assert view.open(failing)
    assert view.notice.alert_type == "warning" and "no successful evaluation" in view.notice.object
    assert "3 failed: 3 " in view.failures.object and n_points(view, "failed") == 3
    assert view.compute_slices() is None and "at least 2 successful" in view.status.object
    # the store is deleted while it is followed
    live = make_store(tmp_path / "deleted", budget=2)
    assert view.open(live)
    for p in live.parent.glob("store.sqlite*"):
        p.unlink()
    assert view.poll() == 0
    assert view.notice.alert_type == "danger" and "deleted" in view.notice.object
    assert "evaluation 2 of 2" in view.summary.object  # what was read stays
    # the rest of the app keeps working
    app.forcefield.preset.value = "CHIK"
    assert app.forcefield.current() is PRESETS["CHIK"]
    assert view.open(store) and not view.notice.visible


def test_sessions_follow_their_own_stores(store, tmp_path, monkeypatch):
    monkeypatch.setattr(runs_module, "DEFAULT_FIT_STORE", tmp_path / "none.sqlite")
    other = make_store(tmp_path / "other", budget=2, run_id="other_run")
    a, b = create_app(reference=None), create_app(reference=None)
    a.runs.open(store)
    b.runs.open(other)
    a.runs.player.value = 3
    assert (a.runs.run_id, b.runs.run_id) == ("standin_fit", "other_run")
    assert b.runs.player.value == 2 and a.runs.reader is not b.runs.reader
    assert math.isfinite(a.runs.runs[0]["best_R_x"]) and np.isfinite(b.runs.runs[0]["best_R_x"])
