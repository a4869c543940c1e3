"""Constrained EI (failure_policy="constrained") on cheap stand-ins (not MD)."""

import math

import numpy as np
import pytest

from silica_explorer.optimize import BayesianOptimizer, SearchSpace, expected_improvement, fit
from silica_explorer.optimize.feasibility import ConstrainedBayesianOptimizer, FeasibilityModel
from silica_explorer.optimize.registry import make_optimizer
from silica_explorer.standins import (COLLAPSE_CENTER, COLLAPSE_FLOOR, AnalyticCost, collapse_region,
                                      collapse_valley, sphere)
from silica_explorer.store import Store

FAST_BO = {"n_restarts_optimizer": 1, "n_candidates": 300, "n_ei_starts": 4}


def half_failing(space):
    """Sphere around (0.3, 0.6); every point with u_0 > 0.5 fails."""
    return AnalyticCost(lambda u: sphere(u, center=[0.3, 0.6]), space, fail_if=lambda u: u[0] > 0.5,
                        name="half_failing")


@pytest.mark.parametrize("method", ["gpc", "gpr"])
def test_feasibility_model_separates_the_failure_region(method):
    X = np.random.default_rng(0).random((40, 2))
    ok = X[:, 0] <= 0.5
    model = FeasibilityModel(method, random_state=0).fit(X, ok)
    p = model.predict_proba([[0.1, 0.5], [0.2, 0.2], [0.9, 0.5], [0.8, 0.9]])
    assert np.all((p >= 0) & (p <= 1))
    assert min(p[:2]) > 0.5 > max(p[2:])
    if method == "gpr":  # the default is confident away from the boundary (gpc is not: 0.67-0.73 / 0.25-0.31)
        assert min(p[:2]) > 0.95 and max(p[2:]) < 0.05
    np.testing.assert_array_equal(FeasibilityModel(method).fit(X, np.ones(40, bool)).predict_proba(X[:3]), 1.0)
    np.testing.assert_array_equal(FeasibilityModel(method).fit(X, np.zeros(40, bool)).predict_proba(X[:3]), 0.0)


def test_impute_policy_is_plain_bo():
    """Two code paths that must agree: the subclass with failure_policy='impute' proposes what BO does."""
    space = SearchSpace()
    a = fit(half_failing(space), space, BayesianOptimizer(space, random_state=3, **FAST_BO), budget=10)
    b = fit(half_failing(space), space, ConstrainedBayesianOptimizer(space, failure_policy="impute", random_state=3,
                                                                     **FAST_BO), budget=10)
    assert any(e["status"] == "failed" for e in a.objective.entries)
    np.testing.assert_array_equal([e["u"] for e in a.objective.entries], [e["u"] for e in b.objective.entries])


def test_constrained_fits_successes_only_and_weights_ei(tmp_path):
    space = SearchSpace()
    res = fit(half_failing(space), space, "bo", budget=12, seed=1, store=tmp_path,
              options={**FAST_BO, "failure_policy": "constrained"})
    opt = res.optimizer
    assert isinstance(opt, ConstrainedBayesianOptimizer) and opt.get_params()["failure_policy"] == "constrained"
    ok = np.isfinite(opt.y_)
    assert (~ok).any() and ok.any()
    assert opt.gp_.X_train_.shape[0] == ok.sum()  # no imputed values in the cost GP
    np.testing.assert_allclose(opt.gp_.y_train_ * opt.gp_._y_train_std + opt.gp_._y_train_mean, opt.y_[ok])
    # acquisition = EI x P(feasible), and 0 where P < min_feasibility
    U = np.random.default_rng(5).random((200, 2))
    m, s = opt._predict_unit(U)
    y = opt._training_data()[1]
    p = opt.feasibility_.predict_proba(U)
    acq = opt._acquisition(U, m, s, float(y.min()), 0.0)
    expect = expected_improvement(m, s, float(y.min())) * np.where(p >= 0.5, p, 0.0)
    np.testing.assert_allclose(acq, expect, rtol=1e-12, atol=1e-15)
    assert (p < 0.5).any() and np.all(acq[p < 0.5] == 0)
    # failures stay visible in the store with their reason
    rows = Store(tmp_path).records(res.run_id)
    assert sum(r.status == "failed" for r in rows) == (~ok).sum() and all(r.reason for r in rows if not r.ok)
    assert Store(tmp_path).run_config(res.run_id)["optimizer_options"]["failure_policy"] == "constrained"


def test_bad_failure_options_name_the_option():
    space = SearchSpace()
    with pytest.raises(ValueError, match=r"failure_policy must be one of \['impute', 'constrained'\]"):
        make_optimizer("bo", space, failure_policy="worst")
    with pytest.raises(ValueError, match=r"feasibility must be one of \['gpc', 'gpr'\]"):
        make_optimizer("bo", space, failure_policy="constrained", feasibility="svm")
    with pytest.raises(ValueError, match=r"min_feasibility must be in \[0, 1\)"):
        make_optimizer("bo", space, failure_policy="constrained", min_feasibility=1.5)


def test_collapse_valley_stand_in():
    c = COLLAPSE_CENTER[:7]
    assert collapse_valley(c) == pytest.approx(COLLAPSE_FLOOR) and not collapse_region(c)
    g = np.array([1, -1, -1, 0, 0, 0, 0]) / np.array([1, math.sqrt(2), math.sqrt(2), 1, 1, 1, 1])
    g /= np.linalg.norm(g)
    assert not collapse_region(c + 0.040 * g) and collapse_region(c + 0.045 * g)  # failures 0.042 from the floor
    # the valley is diagonal in (A, rho): along it the cost rises 10x slower than across it
    along, across = np.zeros(7), np.zeros(7)
    along[[1, 2]], across[[1, 2]] = [0.1, -0.1], [0.1, 0.1]
    assert (collapse_valley(c + across) - COLLAPSE_FLOOR) == pytest.approx(
        10 * (collapse_valley(c + along) - COLLAPSE_FLOOR), rel=0.05)
    frac = np.mean([collapse_region(u) for u in np.random.default_rng(0).random((2000, 7))])
    assert 0.25 < frac < 0.5
    with pytest.raises(ValueError, match="3 to 10 coordinates"):
        collapse_valley([0.5, 0.5])
