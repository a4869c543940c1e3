"""The app's glass views without a browser: the Results tab's Glass view (no glass files, shipped ones, a
glass made in the session off the UI thread) and the glass numbers of a fit's best set in the Runs tab.

Glasses here come from one ``tiny`` LAMMPS quench (128 SiO2, 4.8 ps, a few seconds) written as glass files;
the shipped ``data/results/glass_*`` files are never read (the shipped and session directories are
pointed at temporary ones).
"""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
import xarray as xr

pn = pytest.importorskip("panel", reason="panel is not installed")
hv = pytest.importorskip("holoviews")

from silica_explorer.app import create_app, glass_files  # noqa: E402
from silica_explorer.app.views import glass as glass_view  # noqa: E402
from silica_explorer.app.views import runs as runs_module  # noqa: E402
from silica_explorer.engine import get_engine  # noqa: E402
from silica_explorer.forcefield import ForceField  # noqa: E402
from silica_explorer.glass import glass_dataset, load_anchors, summarize  # noqa: E402
from silica_explorer.glass.report import TABLE_COLUMNS, cell_text  # noqa: E402
from silica_explorer.optimize import SearchSpace, fit  # noqa: E402
from silica_explorer.standins import AnalyticCost  # noqa: E402
from silica_explorer.quench import QUENCH_PROTOCOLS  # noqa: E402

TINY = QUENCH_PROTOCOLS["tiny"]


@pytest.fixture(autouse=True)
def one_md_thread(monkeypatch):
    monkeypatch.setenv("SILICA_APP_MD_THREADS", "1")


@pytest.fixture(scope="module")
def tiny_glass():
    """One tiny BKS glass (the Dataset of a real quench)."""
    result = get_engine("lammps", threads=1).quench(ForceField.preset("BKS"), TINY, seed=0)
    assert result.ok, result.reason
    return glass_dataset(result, "BKS")


def variant(ds: xr.Dataset, name: str, seed: int, ff: ForceField | None = None, shift: float = 0.0) -> xr.Dataset:
    """``ds`` as another set/seed (density and FSDP shifted by ``shift``, to give a seed spread)."""
    out = ds.copy(deep=True)
    out.attrs.update(set=name, seed=seed)
    if ff is not None:
        out.attrs["forcefield_json"] = ff.to_json()
    out["density"] = ds.density + shift
    out["FSDP_position"] = ds.FSDP_position + shift
    return out


def write(ds: xr.Dataset, directory, protocol: str = "tiny"):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"glass-{ds.attrs['set']}-{protocol}-seed{ds.attrs['seed']}.nc"
    ds.to_netcdf(path)
    return path


@pytest.fixture
def dirs(monkeypatch, tmp_path):
    """Empty shipped results and runs directories, and no shipped fit (the Runs tab opens nothing)."""
    results, runs = tmp_path / "results", tmp_path / "runs"
    results.mkdir()
    monkeypatch.setattr(glass_files, "RESULTS_DIR", results)
    monkeypatch.setattr(glass_files, "RUNS_DIR", runs)
    monkeypatch.setattr(runs_module, "DEFAULT_FIT_STORE", tmp_path / "no_fit" / "store.sqlite")
    return results, runs


@pytest.fixture
def shipped(dirs, tiny_glass):
    """Shipped tiny glasses: BKS at seeds 0 and 1, and 'Other' (ML's parameters) at seed 0."""
    results, _ = dirs
    d = results / "glass_tiny"
    write(variant(tiny_glass, "BKS", 0), d)
    write(variant(tiny_glass, "BKS", 1, shift=0.02), d)
    write(variant(tiny_glass, "Other", 0, ff=ForceField.preset("ML"), shift=-0.05), d)
    return d


def elements(layout, kind):
    return [el for panel in layout for el in panel if isinstance(el, kind)]


def test_glass_view_without_glass_files_says_so(dirs):
    view = create_app(reference=None).results.glass
    assert view.catalog.empty and view.sets.options == [] and view.sets.value == []
    assert "No glass files here yet" in view.note.object and "never fitted" in view.note.object
    assert list(view.protocol.options.values()) == ["quick", "slow"]
    # only experiment in the table, and the same columns as glass_table.md
    table = view.table.value
    assert list(table["set"]) == ["experiment"] and table.loc[0, "FSDP (1/A)"] == "~1.52"
    assert [c for c in table.columns][4:] == [h for _, h, _ in TABLE_COLUMNS]
    assert isinstance(view.plots.object, hv.Layout) and isinstance(list(view.plots.object)[0], hv.Text)
    # the Runs tab's glass pane: nothing while no store is open
    assert create_app(reference=None).runs.glass.pane.object == ""


def test_glass_view_shows_shipped_glasses_with_the_reports_numbers(shipped, tiny_glass):
    view = create_app(reference=None).results.glass
    assert "tiny" in view.protocol.options.values()
    view.protocol.value = "tiny"
    assert view.sets.options == ["BKS", "Other"] and view.sets.value == ["BKS", "Other"]
    table = view.table.value.set_index("set")
    bks = summarize([variant(tiny_glass, "BKS", 0), variant(tiny_glass, "BKS", 1, shift=0.02)])
    for var, header, fmt in TABLE_COLUMNS:
        assert table.loc["BKS", header] == cell_text(bks[var], fmt)
    assert "+-" in table.loc["BKS", "density (g/cm3)"] and table.loc["BKS", "seeds ok"] == "2/2"
    assert table.loc["Other", "density (g/cm3)"] == f"{float(tiny_glass.density) - 0.05:.3f}"
    assert table.loc["experiment", "density (g/cm3)"] == "2.20"
    # caption: protocol, rate, seeds, never fitted
    note = view.note.object
    assert "tiny (1000 K/ps)" in note and "seeds BKS 0,1; Other 0" in note and "never fitted" in note
    assert "FSDP 1.52 1/Å in S(Q)" in note and "Si-O 1.61-1.62 Å in T(r)" in note and "glass_tiny`" in note
    # plots: the chosen sets' curves; experiment marked (FSDP 1.52 1/A in S(Q), Si-O in T(r), density 2.20)
    layout = view.plots.object
    density, sq, tr, siosi, osio = list(layout)
    anchors = load_anchors()["anchors"]
    assert [el.data for el in sq if isinstance(el, hv.VLine)] == [anchors["FSDP_position"]["value"]] == [1.52]
    assert [el.data for el in tr if isinstance(el, hv.VLine)] == [pytest.approx(1.615)]
    assert [el.data for el in density if isinstance(el, hv.HLine)] == [2.2]
    assert sorted(el.label for el in sq if isinstance(el, hv.Curve)) == ["BKS", "Other"]
    bks_sq = next(el for el in sq if isinstance(el, hv.Curve) and el.label == "BKS")
    assert np.allclose(bks_sq.dimension_values(1), tiny_glass.S.values)  # mean of two equal seeds
    hv.render(layout, backend="bokeh")
    # choosing one set redraws plots and table
    view.sets.value = ["Other"]
    assert list(view.table.value["set"]) == ["Other", "experiment"]
    assert [el.label for el in elements(view.plots.object, hv.Curve)][:1] == ["Other"]
    # a protocol without glasses: a clear note, no crash
    view.protocol.value = "slow"
    assert "No glass at protocol **slow (10 K/ps)** yet" in view.note.object and view.sets.options == []


def test_make_glass_runs_off_the_ui_thread_and_joins_the_view(dirs):
    app = create_app(reference=None)
    view = app.results.glass
    view.make_set.value, view.make_protocol.value, view.make_seeds.value = "BKS", "tiny", "0"
    threads, progress = [], []
    real = glass_view.run_glass

    def spy(*args, **kw):
        threads.append(threading.current_thread())
        outer = kw["progress_for"]
        kw["progress_for"] = lambda label, seed: (lambda d, t, p: (progress.append((d, t, p)), outer(label, seed)(d, t, p)))
        return real(*args, **kw)

    glass_view.run_glass = spy
    try:
        job = view.make_glass()
        assert job is not None and view.make_button.disabled and not view.cancel_button.disabled
        assert view.make_glass() is None  # one at a time
        app.poller.wait(job, timeout=300)
    finally:
        glass_view.run_glass = real
    assert job.state == "done", job.error
    assert threads and threads[0] is not threading.main_thread()
    assert progress and progress[-1][0] == progress[-1][1] == TINY.total_steps and job.total == TINY.total_steps
    assert "finished" in view.status.object and not view.make_button.disabled and not view.bar.visible
    # written to the session's directory, and shown beside the shipped sets (none here)
    _, runs = dirs
    files = list((runs / f"session-{app.state.session_id}" / "glass").rglob("glass-BKS-tiny-seed0.nc"))
    assert len(files) == 1
    ds = xr.load_dataset(files[0])
    assert ds.attrs["status"] == "ok" and json.loads(ds.attrs["forcefield_json"])["A_SiO"] == ForceField.preset("BKS").A_SiO
    assert view.protocol.value == "tiny" and view.sets.options == ["BKS (session)"] == view.sets.value
    row = view.table.value.iloc[0]
    assert row["set"] == "BKS (session)" and row["density (g/cm3)"] == f"{float(ds.density):.3f}"
    assert "made in this session" in view.note.object and app.state.glass_version == 1


def test_make_glass_can_be_cancelled(dirs):
    app = create_app(reference=None)
    view = app.results.glass
    view.make_set.value, view.make_protocol.value = "BKS", "quick"
    job = view.make_glass()
    view.cancel_button.clicks += 1
    app.poller.wait(job, timeout=120)
    assert job.state == "cancelled" and "cancelled" in view.status.object and not view.make_button.disabled
    assert view.catalog.labels("quick") == []  # nothing half-written is shown


def test_runs_tab_shows_the_glass_of_the_best_set(dirs, shipped, tiny_glass, tmp_path):
    space = SearchSpace(["q_Si", "A_SiO", "rho_SiO", "C_SiO"], base="BKS", coords="contact")
    fit(AnalyticCost("rough_basin", space, noise=0.002), space, "bo", 8, seed=0, store=tmp_path / "s", run_id="r")
    view = create_app(reference=None).runs
    assert view.open(tmp_path / "s")
    assert view.glass.pane.object.startswith(glass_view.NO_RUNS_GLASS)  # no glass of this set yet
    assert view.glass.add_button.visible
    best_rec = min((r for r in view.records if r.ok), key=lambda r: r.R_x)
    best = best_rec.to_forcefield()
    assert view.glass.forcefield == best
    # a glass of the best set's parameters appears (under another name): reopening the store shows it
    write(variant(tiny_glass, "fit-best", 0, ff=best.replace(name="another name"), shift=0.1), shipped)
    view.open(tmp_path / "s")
    text = view.glass.pane.object
    assert "tiny (1000 K/ps), 1/1 seeds, shipped" in text and not view.glass.add_button.visible
    assert f"| {float(tiny_glass.density) + 0.1:.3f} | {float(tiny_glass.SiO_bond_length):.3f} |" in text
    assert f"{float(tiny_glass.SiOSi_mean):.1f}" in text and f"{float(tiny_glass.liquid_pressure):.2f}" in text
    assert "| experiment | 2.20 | 1.61-1.62 | 147.1-151 (NMR) | ~1.52 | - |" in text
    # at the first evaluation the best so far is another set: the note again
    assert view.records[0].ok and view.records[0].id != best_rec.id
    view.player.value = 1
    assert view.glass.forcefield == view.records[0].to_forcefield()
    assert view.glass.pane.object.startswith(glass_view.NO_RUNS_GLASS) and view.glass.add_button.visible
    # which puts the set in make glass's list
    app_state = view.state
    name = view.glass.add_to_session()
    assert app_state.get_set(name) == view.records[0].to_forcefield().replace(name=name)
    assert "Added as" in view.glass.added.object
