"""Executors: serial and Dask (LocalCluster, 2 processes) agree; killed workers are retried."""

from __future__ import annotations

import os
import signal
import sys
import warnings

import cloudpickle
import numpy as np
import pytest
import xarray as xr

from silica_explorer.forcefield import ForceField
from silica_explorer.landscape import Landscape, SyntheticCost, compute_windows
from silica_explorer.parallel import (DaskExecutor, Done, SerialExecutor, TaskFailure, available_cores, get_executor,
                                      with_md_threads)

pytest.importorskip("distributed")
# the stand-in costs below travel to the worker processes by value, not by module name
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def ffs(n):
    return [ForceField.preset("BKS").replace(q_Si=1.6 + 0.1 * i) for i in range(n)]


def cost_q(ff, seed=0):
    return ff.q_Si * 10 + seed


def raising(ff, seed=0):
    if ff.q_Si > 1.75:
        raise RuntimeError("boom")
    return ff.q_Si


class KillOnce:
    """Kills its own worker process the first time it runs (marker file), then evaluates."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __call__(self, ff, seed=0):
        if ff.q_Si == 1.8 and not os.path.exists(self.marker):
            with open(self.marker, "w") as fh:
                fh.write(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return {"status": "ok", "R_x": ff.q_Si / 10, "pid": os.getpid()}


@pytest.fixture(scope="module")
def dask2():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex = DaskExecutor(workers=2, md_threads=1)
    yield ex
    ex.close()


def test_serial_map():
    ex = SerialExecutor(md_threads=1)
    out = list(ex.map(cost_q, ffs(3), seeds=[0, 1, 2]))
    assert [d.index for d in out] == [0, 1, 2]
    assert isinstance(out[0], Done) and out[2].seed == 2
    assert out[1].result == pytest.approx(18.0)
    with pytest.raises(RuntimeError, match="boom"):
        list(ex.map(raising, ffs(3)))
    res = [d.result for d in ex.map(raising, ffs(3), errors="return")]
    assert isinstance(res[2], TaskFailure) and "boom" in res[2].reason
    with pytest.raises(ValueError, match="seeds"):
        list(ex.map(cost_q, ffs(3), seeds=[0, 1]))
    assert isinstance(get_executor(workers=1), SerialExecutor)


def test_with_md_threads_sets_engine_threads_on_a_copy():
    from silica_explorer.engine.lammps import LammpsEngine
    from silica_explorer.evaluate import Evaluator
    ref = xr.Dataset({"g": (("pair", "r"), np.ones((3, 4)))},
                     coords={"pair": ["SiSi", "SiO", "OO"], "r": np.arange(4) * 0.1})
    ev = Evaluator(ref, "tiny", engine=LammpsEngine(threads=2))
    one = with_md_threads(ev, 1)
    assert one.engine.threads == 1 and ev.engine.threads == 2
    assert "OMP_NUM_THREADS" in one.engine.environment() and one.engine.environment()["OMP_NUM_THREADS"] == "1"
    assert with_md_threads(cost_q, 1) is cost_q


def test_dask_map_yields_all_results(dask2):
    assert dask2.workers == 2 and dask2.md_threads == 1
    got = {d.index: d.result for d in dask2.map(cost_q, ffs(6), seeds=1)}
    assert got == {i: pytest.approx((1.6 + 0.1 * i) * 10 + 1) for i in range(6)}
    res = {d.index: d.result for d in dask2.map(raising, ffs(4), errors="return", retries=0)}
    assert res[0] == pytest.approx(1.6) and isinstance(res[3], TaskFailure) and "boom" in res[3].reason


def test_dask_and_serial_landscapes_are_identical(dask2, tmp_path):
    ls = Landscape(x=("q_Si", 1.6, 2.6, 5), y=("A_SiO", 12000, 30000, 4), fidelity="tiny", seeds=(0, 1))
    ls.zoom(("q_Si", 1.85, 2.1, 6), ("A_SiO", 18000, 24000, 5))
    cost = SyntheticCost(ripple=0.02, noise=0.005, fail_param="q_Si", fail_above=2.5)
    serial = compute_windows(ls, cost, executor=SerialExecutor(md_threads=1))
    par = compute_windows(ls, cost, executor=dask2, out=tmp_path / "d.nc")
    for window in ("full", "zoom"):
        for v in ("R_x", "chi", "status", "reason", "R_x_mean", "R_x_std", "n_ok"):
            xr.testing.assert_identical(serial[window].ds[v], par[window].ds[v])
    assert par.attrs["workers"] == 2 and par.attrs["md_threads"] == 1
    assert par.attrs["cores"] == available_cores()


def test_killed_worker_is_retried(tmp_path):
    marker = tmp_path / "killed-once"
    ls = Landscape(x=("q_Si", 1.6, 2.0, 5), y=("A_SiO", 18000, 18000, 1), fidelity="tiny")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with DaskExecutor(workers=2, md_threads=1) as ex:
            tree = compute_windows(ls, KillOnce(marker), executor=ex, out=tmp_path / "k.nc")
    assert marker.exists()  # a worker really died ...
    full = tree["full"].ds
    assert set(full.status.values.ravel()) == {"ok"}  # ... and its point was evaluated again
    np.testing.assert_allclose(full.R_x.sel(seed=0, A_SiO=18000).values, np.array([1.6, 1.7, 1.8, 1.9, 2.0]) / 10)


def test_connect_to_a_running_scheduler(dask2):
    ex = DaskExecutor(scheduler=dask2.address)  # what --scheduler tcp://... does
    try:
        assert ex.workers == 2
        assert ex.md_threads == max(1, available_cores() // 2)  # cores per host // workers on it
        assert sorted(d.result for d in ex.map(cost_q, ffs(2), seeds=0)) == pytest.approx([16.0, 17.0])
        assert ex.describe()["scheduler"] == dask2.address
    finally:
        ex.close()
    assert dask2.client.status == "running"  # closing a client of a foreign cluster leaves it alone


# ---------------------------------------------------------------- optimizer batches on the executor
def _fit_rows(tmp_path, name, optimizer, executor, cost, **options):
    from silica_explorer.optimize import SearchSpace, fit
    from silica_explorer.store import Store
    space = SearchSpace()
    res = fit(cost(space), space, optimizer, budget=10, seed=3, store=tmp_path / name, executor=executor,
              options=options)
    rows = sorted(Store(tmp_path / name).records(res.run_id), key=lambda r: r.iteration)
    return res, rows


def _sphere(fail=False):
    from silica_explorer.standins import AnalyticCost

    def make(space):
        return AnalyticCost("sphere", space, noise=0.003,
                            fail_if=(lambda u: u[0] > 0.8) if fail else None)
    return make


@pytest.mark.parametrize("optimizer,options", [
    ("bo", {"batch_size": 2, "n_initial": 4, "n_restarts_optimizer": 1}),
    ("cg", {"x0": [0.79, 0.2]}),  # next to the failing region: a failed FD point comes back as a row
])
def test_fit_on_dask_matches_the_serial_fit(dask2, tmp_path, optimizer, options):
    """BO batches and CG's finite-difference batches run on the Dask workers; the stored evaluations
    (points, order, values, failures) are those of the same fit run in this process."""
    fail = optimizer == "cg"
    serial, s_rows = _fit_rows(tmp_path, "serial", optimizer, None, _sphere(fail), **options)
    par, d_rows = _fit_rows(tmp_path, "dask", optimizer, dask2, _sphere(fail), **options)
    assert len(d_rows) == len(s_rows) == 10 if optimizer == "bo" else len(d_rows) == len(s_rows) >= 6
    assert [r.iteration for r in d_rows] == list(range(len(d_rows)))
    for a, b in zip(s_rows, d_rows):
        assert a.free == b.free and a.status == b.status and a.reason == b.reason
        np.testing.assert_allclose([a.free[k] for k in a.free], [b.free[k] for k in b.free], rtol=1e-12)
        assert (np.isnan(a.R_x) and np.isnan(b.R_x)) or a.R_x == pytest.approx(b.R_x, rel=1e-12)
    if fail:
        assert any(r.status == "failed" for r in d_rows)
    assert par.best_R_x == pytest.approx(serial.best_R_x, rel=1e-12)


def test_fit_batch_task_that_raises_is_a_failed_row(dask2, tmp_path):
    from silica_explorer.optimize import SearchSpace, fit
    from silica_explorer.standins import AnalyticCost
    from silica_explorer.store import Store

    class Explodes(AnalyticCost):
        def __call__(self, forcefield, seed=0, **kw):
            if self.space.unit_of(forcefield)[0] < 0.5:
                raise RuntimeError("worker-side boom")
            return super().__call__(forcefield, seed=seed, **kw)

    space = SearchSpace()
    res = fit(Explodes("sphere", space), space, "random", budget=8, seed=1, store=tmp_path, executor=dask2,
              options={"batch_size": 4})
    rows = Store(tmp_path).records(res.run_id)
    assert len(rows) == 8
    bad = [r for r in rows if r.status == "failed"]
    assert bad and all("worker-side boom" in r.reason for r in bad)
    assert all(r.ok for r in rows if space.unit_of(r.free)[0] >= 0.5)


def test_cli_fit_on_a_running_scheduler(dask2, tmp_path):
    """``silica-explorer fit --scheduler ADDR``: evaluations run on the cluster, rows land in the local store."""
    import argparse

    from silica_explorer.cli import fit as cli_fit
    from silica_explorer.store import Store
    parser = argparse.ArgumentParser()
    cli_fit.register_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["fit", "--stand-in", "sphere", "--optimizer", "random", "--batch", "2", "--budget", "4",
                              "--store", str(tmp_path), "--scheduler", dask2.address, "--quiet"])
    assert args.func(args) == 0
    (run,) = Store(tmp_path).runs()
    assert run["n_evaluations"] == 4
    assert run["config"]["executor"]["scheduler"] == dask2.address and run["config"]["executor"]["workers"] == 2
    rows = Store(tmp_path).records(run["run_id"])
    assert all(r.ok and r.engine_version == "analytic stand-in (no MD)" for r in rows)
    assert dask2.client.status == "running"  # the CLI closed its client, not the cluster
