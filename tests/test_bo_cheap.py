"""Issue #12 items 1-2: cheap BO proposals (fast posterior + EI gradients, hyperparameter schedule,
capped GP) that stay deterministic on resume, and an initial design that starts from what is known."""

import json

import numpy as np
import pytest

from silica_explorer.cli import main
from silica_explorer.forcefield import PRESETS, ForceField
from silica_explorer.optimize import BayesianOptimizer, SearchSpace, fit
from silica_explorer.presets import PUBLISHED_PRESETS
from silica_explorer.standins import AnalyticCost
from silica_explorer.optimize.acquisition import (GPPosterior, expected_improvement, maximize_ei,
                                                  maximize_ei_numeric)
from silica_explorer.standins import rough_basin
from silica_explorer.store import Store

FAST = {"n_restarts_optimizer": 1, "n_candidates": 300, "n_ei_starts": 4, "preset_starts": False}
SEVEN = "q_Si,A_SiO,rho_SiO,C_SiO,A_OO,rho_OO,C_OO"


def told(d=3, n=40, seed=0, **kw):
    from silica_explorer.parameters import FREE_PARAMETERS
    bo = BayesianOptimizer(SearchSpace(list(FREE_PARAMETERS[:d])), random_state=seed, **{**FAST, **kw})
    rng = np.random.default_rng(seed)
    U = rng.random((n, d))
    y = np.array([rough_basin(u) for u in U])
    y[rng.random(n) < 0.2] = np.nan
    for u, v in zip(U, y):
        bo.tell(u, v)
    return bo


# ------------------------------------------------------------------------------------ posterior / EI
def test_fast_posterior_equals_sklearn_and_its_gradients_are_exact():
    bo = told(d=3, n=40).fit()
    gp, post = bo.gp_, GPPosterior(bo.gp_)
    U = np.random.default_rng(5).random((50, 3))
    m_ref, s_ref = bo._predict_unit(U, gp)  # sklearn predict, white noise removed
    m, s, dm, ds = post(U, grad=True)
    np.testing.assert_allclose(m, m_ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(s, s_ref, rtol=1e-6, atol=1e-10)
    h = 1e-6
    for j in range(3):
        e = np.zeros(3)
        e[j] = h
        mp, sp = post(U + e)
        mm, sm = post(U - e)
        np.testing.assert_allclose(dm[:, j], (mp - mm) / (2 * h), rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(ds[:, j], (sp - sm) / (2 * h), rtol=1e-4, atol=1e-7)


def test_analytic_ei_polish_reaches_the_numeric_optimum():
    bo = told(d=3, n=40).fit()
    y = bo._targets()
    y_best, xi = float(y.min()), 0.0
    u_a, ei_a = maximize_ei(GPPosterior(bo.gp_), y_best, xi, 3, np.random.default_rng(1), 2000, 8)
    u_n, ei_n = maximize_ei_numeric(lambda U: bo._predict_unit(U, bo.gp_), y_best, xi, 3,
                                    np.random.default_rng(1), 2000, 8, bo.X_[:2])
    m, s = bo._predict_unit(u_a.reshape(1, -1), bo.gp_)
    assert ei_a == pytest.approx(float(expected_improvement(m, s, y_best, xi)[0]), rel=1e-6)
    assert ei_a >= 0.98 * ei_n > 0, (ei_a, ei_n)


# ------------------------------------------------------------------------------------ schedule / cap
def test_hyperparameter_schedule_is_a_function_of_n_and_reuses_the_anchor_fit():
    bo = told(d=2, n=23, refit_until=10, refit_growth=0.5)
    assert [bo.hyper_anchor(n) for n in (5, 10, 11, 14, 15, 22, 23, 34, 35)] == [5, 10, 10, 10, 15, 15, 23, 23, 35]
    gp, _ = bo.model(23)  # an anchor: a full fit
    full = gp.kernel_.theta
    gp20, _ = bo.model(22)  # uses anchor 15's hyperparameters
    bo15 = told(d=2, n=23, refit_until=10, refit_growth=0.5)
    gp15, _ = bo15.model(15)
    np.testing.assert_array_equal(gp20.kernel_.theta, gp15.kernel_.theta)
    assert not np.array_equal(full, gp15.kernel_.theta)
    assert bo.get_params()["refit_growth"] == 0.5


def test_gp_subset_keeps_the_incumbent_neighbourhood_and_spreads_the_rest():
    bo = told(d=2, n=60, max_gp_points=20)
    X, y = bo.X_, bo._targets()
    idx = bo.gp_subset(X, y)
    assert len(idx) == 20 and len(set(idx.tolist())) == 20
    inc = int(np.argmin(y))
    near = np.argsort(np.linalg.norm(X - X[inc], axis=1), kind="stable")[:10]
    assert set(near.tolist()) <= set(idx.tolist())
    np.testing.assert_array_equal(idx, bo.gp_subset(X.copy(), y.copy()))  # deterministic
    gp, seen = bo.model()
    assert len(gp.X_train_) == 20 and np.array_equal(seen, idx)
    # the far half is space-filling: it covers the box better than the 10 next-nearest points would
    rest = np.setdiff1d(idx, near)
    nxt = np.argsort(np.linalg.norm(X - X[inc], axis=1), kind="stable")[10:20]
    assert np.ptp(X[rest], axis=0).min() > np.ptp(X[nxt], axis=0).min()


def test_resume_is_exact_with_schedule_and_cap_active(tmp_path):
    from test_optimize import Interrupting
    space = SearchSpace()
    opts = {**FAST, "refit_until": 6, "refit_growth": 0.3, "max_gp_points": 12}
    cost = Interrupting("rough_basin", space, noise=0.002, stop_at=13)
    with pytest.raises(KeyboardInterrupt):
        fit(cost, space, "bo", budget=22, seed=4, store=tmp_path, options=opts)
    cost.stop_at = None
    resumed = fit(cost, space, "bo", budget=22, seed=4, store=tmp_path, options=opts)
    assert resumed.resumed and cost.n_calls == 22
    ref = fit(AnalyticCost("rough_basin", space, noise=0.002), space, "bo", budget=22, seed=4, options=opts)
    np.testing.assert_allclose([e["u"] for e in resumed.objective.entries],
                               [e["u"] for e in ref.objective.entries], rtol=0, atol=1e-12)


@pytest.mark.parametrize("kw,match", [
    ({"ei_polish": "fast"}, "ei_polish"), ({"max_gp_points": 5}, "max_gp_points"),
    ({"refit_growth": -1}, "refit_growth"), ({"warm_steps": -2}, "warm_steps"), ({"n_ei_starts": 0}, "n_ei_starts"),
])
def test_bad_bo_options_name_the_option(kw, match):
    with pytest.raises(ValueError, match=match):
        BayesianOptimizer(SearchSpace(), **kw)


# ------------------------------------------------------------------------------------ start from what is known
def test_initial_design_starts_with_base_then_presets_inside_the_bounds():
    space = SearchSpace("q_Si,A_SiO", bounds="q_Si=1.85:2.45,A_SiO=12000:30000", base="BKS")
    bo = BayesianOptimizer(space, n_initial=3, initial_points=[PRESETS["BKS"]])
    labels = [p["label"] for p in bo.start_points_]
    # inside by their own values: BKS (2.4, 18004), ML (1.955, 20454), CHIK (1.91, 27029), Teter (2.4, 13703);
    # outside: SHIK (q_Si 1.7755), Guillot-Sator (A_SiO 50306), the two CHGNet fits (q_Si 1.84, 1.79);
    # the given BKS is not repeated
    assert labels == ["BKS", "ML", "CHIK", "Teter"]
    assert {p["label"]: p["reason"] for p in bo.skipped_starts_}.keys() == {"SHIK", "Guillot-Sator", "CHGNet-fit7",
                                                                         "CHGNet-fit10"}
    assert "q_Si = 1.776 not in [1.85, 2.45]" in next(p["reason"] for p in bo.skipped_starts_ if p["label"] == "SHIK")
    U = bo.ask(7)
    for u, name in zip(U[:4], labels):
        ff = PRESETS[name]
        np.testing.assert_allclose(space.from_unit(u), [ff.q_Si, ff.A_SiO], rtol=1e-12)
    # the four starts fill the n_initial = 3 design (default): no Sobol points follow; proposals before
    # any result is told are random points
    assert [p["kind"] for p in bo._pending] == ["base", "preset", "preset", "preset", "random", "random", "random"]
    assert len(bo._design) == 4
    sobol = BayesianOptimizer(space, n_initial=3, initial_points=[PRESETS["BKS"]], starts_fill_design=False)
    sobol.ask(7)
    assert [p["kind"] for p in sobol._pending] == ["base", "preset", "preset", "preset", "initial", "initial",
                                                   "initial"]
    off = BayesianOptimizer(space, n_initial=3, preset_starts=False)
    assert [p["label"] for p in off.start_points_] == ["BKS"] and len(off._design) == 3
    assert len(BayesianOptimizer(space, n_initial=3, preset_starts=False, starts_fill_design=False)._design) == 4
    # a list of names: only those (in PRESETS order); the published sets exclude this project's fits
    some = BayesianOptimizer(space, n_initial=3, preset_starts=["CHIK", "ML"])
    assert [p["label"] for p in some.start_points_] == ["BKS", "ML", "CHIK"]
    assert some.get_params()["preset_starts"] == ["CHIK", "ML"]
    wide = SearchSpace("q_Si,A_SiO", bounds="q_Si=1.6:2.6,A_SiO=12000:30000", base="BKS")
    published = BayesianOptimizer(wide, n_initial=3, preset_starts=list(PUBLISHED_PRESETS))
    every = BayesianOptimizer(wide, n_initial=3)
    assert {"CHGNet-fit7", "CHGNet-fit10"} <= {p["label"] for p in every.start_points_}
    assert not {"CHGNet-fit7", "CHGNet-fit10"} & {p["label"] for p in published.start_points_}
    with pytest.raises(ValueError, match=r"preset_starts: unknown preset\(s\) \['PBE'\]; allowed"):
        BayesianOptimizer(space, preset_starts=["ML", "PBE"])


def test_base_outside_the_bounds_is_reported_not_evaluated():
    space = SearchSpace("q_Si", bounds="q_Si=1.5:2.0", base="BKS")
    bo = BayesianOptimizer(space, preset_starts=False)
    assert bo.start_points_ == [] and bo.skipped_starts_[0]["label"] == "BKS"
    assert "q_Si = 2.4 not in [1.5, 2]" in bo.skipped_starts_[0]["reason"]


def test_cli_fit_seven_free_evaluates_bks_first_then_presets(tmp_path, capsys):
    store = tmp_path / "runs"
    rc = main(["fit", "--free", SEVEN, "--base", "BKS", "--optimizer", "bo+cg", "--stand-in", "sphere",
               "--budget", "9", "--bo-fraction", "1", "--store", str(store), "--quiet"])
    assert rc == 0
    err = capsys.readouterr().err
    assert "BO starts: BKS (base), ML (preset)" in err
    (run,) = Store(store).runs()
    rows = sorted(Store(store).records(run["run_id"]), key=lambda r: r.iteration)
    names = SEVEN.split(",")
    expect = ["BKS", "ML", "CHIK", "SHIK", "Teter", "Guillot-Sator", "CHGNet-fit7", "CHGNet-fit10"]
    assert set(PRESETS) == set(expect)  # every preset lies inside the default 7-D box
    for r, name in zip(rows, expect, strict=False):
        np.testing.assert_allclose([r.forcefield[n] for n in names], [getattr(PRESETS[name], n) for n in names],
                                   rtol=1e-9)
        assert r.proposal["label"] == name
    assert rows[0].proposal["kind"] == "base" and rows[8].proposal["kind"] == "initial"
    cfg = run["config"]
    assert cfg["space"]["coords"] == "contact" and cfg["optimizer_options"]["bo"]["preset_starts"] is True
    # switched off (CLI flag and config key): BKS, then the space-filling design
    rc = main(["fit", "--free", SEVEN, "--optimizer", "bo", "--stand-in", "sphere", "--budget", "2",
               "--store", str(tmp_path / "off"), "--quiet", "--no-preset-starts", "--space", "box"])
    assert rc == 0
    rows = sorted(Store(tmp_path / "off").records(Store(tmp_path / "off").runs()[0]["run_id"]),
                  key=lambda r: r.iteration)
    assert [r.proposal["kind"] for r in rows] == ["base", "initial"]
    assert Store(tmp_path / "off").runs()[0]["config"]["space"]["coords"] == "box"
    cfg_file = tmp_path / "fit.json"
    cfg_file.write_text(json.dumps({"free": SEVEN.split(","), "preset_starts": False, "space": "log",
                                    "optimizer": "bo", "budget": 2, "stand_in": "sphere"}))
    assert main(["fit", "--config", str(cfg_file), "--store", str(tmp_path / "cfg"), "--quiet"]) == 0
    (run,) = Store(tmp_path / "cfg").runs()
    assert run["config"]["optimizer_options"]["preset_starts"] is False and run["config"]["space"]["coords"] == "log"


def test_cli_rejects_bad_space_naming_the_option(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--stand-in", "sphere", "--space", "cube"])
    assert "--space" in capsys.readouterr().err


def test_base_forcefield_json_is_the_first_start(tmp_path):
    ff = ForceField.preset("CHIK").replace(q_Si=2.0, name="mine")
    bo = BayesianOptimizer(SearchSpace("q_Si,A_SiO", base=ff), n_initial=2)
    assert bo.start_points_[0]["label"] == "mine" and bo.start_points_[0]["kind"] == "base"
    np.testing.assert_allclose(bo.space.from_unit(bo.ask(1)[0]), [2.0, ff.A_SiO], rtol=1e-12)


def test_fast_likelihood_equals_sklearn_and_gives_the_same_fit():
    from sklearn.gaussian_process import GaussianProcessRegressor

    from silica_explorer.optimize.gp import neg_log_marginal_likelihood, standardize
    bo = told(d=4, n=50)
    X, y = bo.X_, bo._targets()
    gp = GaussianProcessRegressor(bo.make_kernel(), normalize_y=True, optimizer=None).fit(X, y)
    rng = np.random.default_rng(3)
    for _ in range(3):
        theta = gp.kernel_.theta + 0.5 * rng.standard_normal(len(gp.kernel_.theta))
        ref, ref_grad = gp.log_marginal_likelihood(theta, eval_gradient=True)
        val, grad = neg_log_marginal_likelihood(theta, X, standardize(y))
        assert -val == pytest.approx(ref, rel=1e-10)
        np.testing.assert_allclose(-grad, ref_grad, rtol=1e-8, atol=1e-8)
    fast = told(d=4, n=50, n_restarts_optimizer=2)._full_fit(X, y)
    slow = told(d=4, n=50, n_restarts_optimizer=2, likelihood="sklearn")._full_fit(X, y)
    assert fast.log_marginal_likelihood_value_ == pytest.approx(slow.log_marginal_likelihood_value_, abs=1e-3)
