"""Optimizers on cheap stand-in functions (not MD), plus one real tiny-fidelity fit end to end."""

import json
import math

import numpy as np
import pytest

from silica_explorer.forcefield import ForceField
from silica_explorer.parameters import FREE_PARAMETERS, SEARCH_BOUNDS, ParameterError
from silica_explorer.optimize import (BayesianOptimizer, BudgetExhausted, Objective, SearchSpace,
                                      expected_improvement, fit, impute_failures)
from silica_explorer.standins import BRANIN_MIN, AnalyticCost, branin, rough_basin, sphere
from silica_explorer.store import Store

FAST_BO = {"n_restarts_optimizer": 1, "n_candidates": 300, "n_ei_starts": 4}


# ------------------------------------------------------------------------------------ search space
def test_search_space_maps_and_validates():
    space = SearchSpace("q_Si,A_SiO", bounds="q_Si=1.6:2.6", base="BKS")
    assert space.names == ("q_Si", "A_SiO") and space.bounds["A_SiO"] == SEARCH_BOUNDS["A_SiO"]
    u = np.array([0.25, 0.5])
    x = space.from_unit(u)
    np.testing.assert_allclose(x, [1.85, 32500.0])
    np.testing.assert_allclose(space.to_unit(x), u)
    ff = space.forcefield(u)
    bks = ForceField.preset("BKS")
    assert ff.q_Si == 1.85 and ff.A_SiO == 32500.0 and ff.rho_SiO == bks.rho_SiO and ff.C_OO == bks.C_OO
    np.testing.assert_allclose(space.unit_of(ff), u)
    with pytest.raises(ParameterError, match="outside the search box"):
        space.forcefield([1.2, 0.5])
    with pytest.raises(ParameterError, match=r"unknown free parameter.*allowed"):
        SearchSpace(["q_Si", "D_OO"])
    with pytest.raises(ParameterError, match=r"rho_SiO = \(-0.1, 0.2\) leave its allowed range \(0, inf\) A"):
        SearchSpace(["rho_SiO"], bounds={"rho_SiO": (-0.1, 0.2)})
    with pytest.raises(ParameterError, match="low = 2.6 must be < high = 1.6"):
        SearchSpace(["q_Si"], bounds="q_Si=2.6:1.6")
    with pytest.raises(ParameterError, match="not free"):
        SearchSpace(["q_Si"], bounds="A_SiO=1:2")
    with pytest.raises(ParameterError, match="NAME=LOW:HIGH"):
        SearchSpace(["q_Si"], bounds="q_Si=1.6-2.6")
    full = SearchSpace(FREE_PARAMETERS)  # all 10 free
    assert full.dim == 10 and SearchSpace.from_dict(full.as_dict()).bounds == full.bounds


def test_expected_improvement_and_imputation():
    ei = expected_improvement([0.0, 1.0, 1.0], [1e-9, 1.0, 0.1], y_best=0.5)
    assert ei[0] == pytest.approx(0.5) and ei[1] > ei[2] > 0
    np.testing.assert_array_equal(impute_failures([0.2, np.nan, 0.5]), [0.2, 0.5, 0.5])
    np.testing.assert_array_equal(impute_failures([np.nan], failure_fallback=1.0), [1.0])
    np.testing.assert_array_equal(impute_failures([0.2, np.nan], failure_value=2.0), [0.2, 2.0])


# ------------------------------------------------------------------------------------ BO
def test_bo_finds_minimum_of_noisy_branin():
    """Noisy Branin (noise sd 0.1 on a range ~300), 30 evaluations: BO lands in one of the three basins."""
    space = SearchSpace()
    cost = AnalyticCost("branin", space, noise=0.1)
    res = fit(cost, space, "bo", budget=30, seed=0,
              options={"n_restarts_optimizer": 2, "n_candidates": 500, "n_ei_starts": 5})
    best_u = res.best["u"]
    assert branin(best_u) < BRANIN_MIN + 0.15, (best_u, branin(best_u))
    bo = res.optimizer
    # the GP, its hyperparameters and every proposal are inspectable
    assert bo.gp_ is not None and len(bo.kernel_.k1.k2.length_scale) == 2
    mean, std = bo.predict(space.from_unit(np.array([best_u, [0.9, 0.9]])))
    assert mean.shape == (2,) and np.all(std > 0) and mean[0] < mean[1]
    hist = bo.history_frame()
    n_starts = len(bo.start_points_)  # BKS and the presets inside the box fill the design of n_initial = 5
    assert len(hist) == 30 and set(hist.kind) == {"base", "preset", "ei"} | ({"initial"} if n_starts < 5 else set())
    assert (hist.kind == "initial").sum() == max(0, 5 - n_starts)
    assert hist.label[0] == "BKS" and hist.kind[0] == "base"  # the base set first, then the presets in the box
    ei_rows = hist[hist.kind == "ei"]
    assert ei_rows[["ei", "mean", "std"]].notna().all().all() and (ei_rows.ei >= 0).all()


def test_bo_beats_random_on_noisy_quadratic():
    space = SearchSpace()
    f = lambda u: sphere(u, center=[0.7, 0.2])  # noqa: E731
    bo = fit(AnalyticCost(f, space, noise=0.005, name="q"), space, "bo", budget=15, seed=3, options=FAST_BO)
    rnd = fit(AnalyticCost(f, space, noise=0.005, name="q"), space, "random", budget=15, seed=3)
    assert f(bo.best["u"]) < 0.1 + 0.01 and bo.best_R_x < rnd.best_R_x


def test_batch_constant_liar_and_bounds_of_every_proposal():
    space = SearchSpace(["q_Si", "rho_OO", "C_SiSi"], base="CHIK")
    bo = BayesianOptimizer(space, n_initial=3, preset_starts=False, random_state=1, **FAST_BO)
    seen = []
    for _ in range(4):
        U = bo.ask(3)
        assert U.shape == (3, 3) and len({tuple(u) for u in U}) == 3
        for u in U:
            seen.append(u)
            bo.tell(u, rough_basin(u))
    assert {h["kind"] for h in bo.history} >= {"base", "initial", "ei", "ei-liar"}
    assert np.all(np.array(seen) >= 0) and np.all(np.array(seen) <= 1)


class BoundsChecker(AnalyticCost):
    """Asserts that every evaluated forcefield lies inside the search bounds."""

    def __call__(self, ff, seed=0, **kw):
        for n, (lo, hi) in self.space.bounds.items():
            assert lo <= getattr(ff, n) <= hi, (n, getattr(ff, n), lo, hi)
        return super().__call__(ff, seed)


@pytest.mark.parametrize("optimizer,options", [
    ("bo", {**FAST_BO, "batch_size": 2, "xi": 0.0}),
    ("random", {}),
    ("cg", {"x0": [0.98, 0.01], "fd_step": 0.1}),  # starts at a corner, big steps: line searches leave the box
    ("bo+cg", {"bo_options": FAST_BO, "bo_fraction": 0.5}),
])
def test_bounds_respected(optimizer, options):
    space = SearchSpace(bounds="q_Si=1.8:2.2")
    cost = BoundsChecker(lambda u: 0.1 + 3 * np.sum((u - np.array([1.3, -0.4])) ** 2), space, name="edge")
    res = fit(cost, space, optimizer, budget=14, seed=2, options=options)  # the minimum is outside the box
    us = np.array([e["u"] for e in res.objective.entries])
    assert res.n_evals <= 14 and np.all(us >= 0) and np.all(us <= 1)
    assert res.best_params["q_Si"] > 2.0  # it went towards the right face


# ------------------------------------------------------------------------------------ CG
def test_cg_converges_on_smooth_and_respects_budget():
    space = SearchSpace()
    f = lambda u: sphere(u, center=[0.6, 0.4])  # noqa: E731
    res = fit(AnalyticCost(f, space, name="s"), space, "cg", budget=60, options={"x0": [0.2, 0.8], "fd_step": 1e-3})
    assert res.stop_reason in ("converged", "stuck") and f(res.best["u"]) < 0.1 + 1e-4
    path = res.optimizer.path_
    assert len(path) >= 2 and path[0]["u"] == [0.2, 0.8]
    small = fit(AnalyticCost(f, space, name="s"), space, "cg", budget=5, options={"x0": [0.2, 0.8]})
    assert small.stop_reason == "budget" and small.n_evals == 5


def test_cg_gets_stuck_on_rough_landscape_where_bo_does_not():
    """The paper's point, on the stand-in: CG from a start in the rough rim stops in a local minimum."""
    space = SearchSpace()
    cost = lambda: AnalyticCost("rough_basin", space, noise=0.002)  # noqa: E731
    cg = fit(cost(), space, "cg", budget=40, options={"x0": [0.9, 0.85], "fd_step": 0.01})
    bo = fit(cost(), space, "bo", budget=40, seed=0, options=FAST_BO)
    assert cg.n_evals <= 40 and bo.n_evals == 40
    assert bo.best_R_x < 0.11 and bo.best_R_x < cg.best_R_x - 0.03, (bo.best_R_x, cg.best_R_x)


def test_objective_budget_exhausted():
    space = SearchSpace()
    obj = Objective(space, lambda ff, seed=0: 0.5, budget=2)
    obj.evaluate([0.1, 0.1])
    obj.evaluate([0.2, 0.1])
    with pytest.raises(BudgetExhausted):
        obj.evaluate([0.3, 0.1])
    with pytest.raises(ValueError, match="outside the unit box"):
        Objective(space, lambda ff, seed=0: 0.5, budget=2).evaluate([1.5, 0.0])


# ------------------------------------------------------------------------------------ failures
def failing(space):
    """Fails (status failed) for q_Si above the middle of the box, returns nan R_x in a corner."""
    def f(u):
        return float("nan") if (u[0] < 0.1 and u[1] < 0.1) else sphere(u, center=[0.3, 0.6])
    return AnalyticCost(f, space, fail_if=lambda u: u[0] > 0.5, name="failing")


@pytest.mark.parametrize("optimizer", ["bo", "cg", "bo+cg", "random"])
def test_failed_evaluations_do_not_crash(tmp_path, optimizer):
    space = SearchSpace()
    options = {"bo": FAST_BO, "cg": {"x0": [0.45, 0.6], "fd_step": 0.1},
               "bo+cg": {"bo_options": FAST_BO}, "random": {}}[optimizer]
    res = fit(failing(space), space, optimizer, budget=14, seed=1, store=tmp_path, options=options)
    failed = [e for e in res.objective.entries if e["status"] == "failed"]
    assert failed and all(math.isnan(e["R_x"]) and math.isfinite(e["y"]) for e in failed)
    assert math.isfinite(res.best_R_x) and res.best_params["q_Si"] <= space.from_unit([0.5, 0])[0]
    rows = Store(tmp_path).records(res.run_id)
    assert len(rows) == res.n_evals and sum(r.status == "failed" for r in rows) == len(failed)
    assert all(r.reason for r in rows if r.status == "failed")
    if optimizer == "bo":  # GP targets: failures imputed with the worst finite value seen
        y = res.optimizer._targets()
        finite = res.optimizer.y_[np.isfinite(res.optimizer.y_)]
        assert np.all(y[~np.isfinite(res.optimizer.y_)] == finite.max())


def test_all_failures_fall_back():
    space = SearchSpace()
    cost = AnalyticCost("sphere", space, fail_if=lambda u: True)
    res = fit(cost, space, "bo", budget=8, options=FAST_BO)
    assert res.n_evals == 8 and math.isnan(res.best_R_x) and res.best is None


# ------------------------------------------------------------------------------------ resume (in-process)
class Interrupting(AnalyticCost):
    def __init__(self, *a, stop_at=None, **kw):
        super().__init__(*a, **kw)
        self.stop_at = stop_at

    def __call__(self, ff, seed=0, **kw):
        if self.stop_at is not None and self.n_calls >= self.stop_at:
            raise KeyboardInterrupt
        return super().__call__(ff, seed)


@pytest.mark.parametrize("optimizer,options", [
    ("bo", {**FAST_BO, "batch_size": 2}),
    ("random", {}),
    ("bo+cg", {"bo_options": FAST_BO, "bo_fraction": 0.5, "cg_options": {"fd_step": 0.03}}),
])
def test_interrupt_and_resume_is_deterministic(tmp_path, optimizer, options):
    space = SearchSpace()
    cost = Interrupting("rough_basin", space, noise=0.002, stop_at=7)
    with pytest.raises(KeyboardInterrupt):
        fit(cost, space, optimizer, budget=14, seed=4, store=tmp_path / "a", options=options)
    store = Store(tmp_path / "a")
    assert len(store) == 7 and store.runs()[0]["status"] == "interrupted"
    cost.stop_at = None
    resumed = fit(cost, space, optimizer, budget=14, seed=4, store=tmp_path / "a", options=options)
    assert resumed.resumed and cost.n_calls == 14 and len(store) == 14  # 7 + 7: nothing ran twice
    assert sum(e["replayed"] for e in resumed.objective.entries) == 7
    ref = fit(AnalyticCost("rough_basin", space, noise=0.002), space, optimizer, budget=14, seed=4, options=options)
    np.testing.assert_allclose([e["u"] for e in resumed.objective.entries],
                               [e["u"] for e in ref.objective.entries], rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------------ CLI
def test_cli_fit_stand_in_with_config_and_resume(tmp_path, capsys):
    import argparse

    from silica_explorer.cli import fit as cli_fit
    parser = argparse.ArgumentParser()
    cli_fit.register_cli(parser.add_subparsers(dest="command"))
    cfg = tmp_path / "fit.yaml"
    cfg.write_text("free: [q_Si, C_OO]\nbounds: {q_Si: [1.6, 2.6]}\noptimizer: random\nbudget: 4\nseed: 2\n")
    argv = ["fit", "--stand-in", "sphere", "--store", str(tmp_path / "runs"), "--config", str(cfg), "--quiet"]
    args = parser.parse_args(argv)
    assert args.func(args) == 0
    args = parser.parse_args(argv + ["--budget", "6"])  # command line wins over the config; resumes
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "6 evaluations" in out and "best R_x" in out
    store = Store(tmp_path / "runs")
    (run,) = store.runs()
    assert run["n_evaluations"] == 6 and run["config"]["space"]["free"] == ["q_Si", "C_OO"]
    assert run["config"]["space"]["bounds"]["q_Si"] == [1.6, 2.6] and run["config"]["seed"] == 2
    best = json.loads((tmp_path / "runs" / f"{run['run_id']}.best.json").read_text())
    assert best["q_Si"] == run["summary"]["best_params"]["q_Si"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("budgett: 3\n")
    args = parser.parse_args(["fit", "--stand-in", "sphere", "--config", str(bad)])
    with pytest.raises(ValueError, match="unknown option 'budgett'"):
        args.func(args)


# ------------------------------------------------------------------------------------ real MD
def test_real_tiny_fit_end_to_end(tmp_path, classical_reference, engine):
    """Budget 3 at tiny fidelity against a classical CHIK liquid (stand-in reference, NOT ab initio)."""
    from silica_explorer.evaluate import Evaluator
    space = SearchSpace(bounds="q_Si=1.8:2.4,A_SiO=18000:30000", base="BKS")
    ev = Evaluator(classical_reference, "tiny", engine=engine)
    res = fit(ev, space, "bo", budget=3, seed=0, store=tmp_path, options={**FAST_BO, "n_initial": 2})
    rows = Store(tmp_path).records(res.run_id)
    assert len(rows) == 3 and res.n_evals == 3
    ok = [r for r in rows if r.ok]
    assert ok and all(0 < r.R_x < 2 for r in ok) and all(set(r.chi) == {"SiSi", "SiO", "OO"} for r in ok)
    assert all(r.engine_version.startswith("LAMMPS") and r.fidelity["name"] == "tiny" for r in rows)
    assert Store(tmp_path).get_pdf(ok[0].id).sizes["r"] > 100
    cfg = Store(tmp_path).run_config(res.run_id)
    assert cfg["engine_version"].startswith("LAMMPS") and cfg["fidelity"]["n_SiO2"] == 64
    assert cfg["reference_id"] and cfg["seed"] == 0 and cfg["space"]["free"] == ["q_Si", "A_SiO"]


def test_batch_runs_concurrently_into_the_store(tmp_path):
    space = SearchSpace()
    cost = AnalyticCost("sphere", space, sleep_s=0.05)
    res = fit(cost, space, "bo", budget=9, seed=0, store=tmp_path, n_workers=3,
              options={**FAST_BO, "batch_size": 3, "n_initial": 3, "preset_starts": False})
    rows = Store(tmp_path).records(res.run_id)
    assert len(rows) == 9 and sorted(r.iteration for r in rows) == list(range(9))
    kinds = [r.proposal["kind"] for r in sorted(rows, key=lambda r: r.iteration)]
    assert kinds == ["base", "initial", "initial"] + ["ei", "ei-liar", "ei-liar"] * 2
