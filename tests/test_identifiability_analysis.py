"""Identifiability analysis (silica_explorer.analysis.identifiability) on analytic functions: no MD.

A quadratic valley with one stiff and one flat axis, and a rotated one whose flat direction is a
combination of both parameters: the analysis must find the flat direction and call the stiff one stiff;
the analytic Hessian of the GP mean must agree with finite differences of ``gp.predict``.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from silica_explorer.forcefield import ForceField
from silica_explorer.optimize import SearchSpace, fit
from silica_explorer.standins import AnalyticCost
from silica_explorer.analysis.identifiability import Identifiability, gp_mean_hessian
from silica_explorer.analysis.surrogate import fit_surrogate, run_points

ROOT = Path(__file__).resolve().parent.parent
CENTER = np.array([0.4, 0.6])
STIFF, FLAT = 100.0, 0.01


def valley(u):
    """0.1 + 100 (u0 - 0.4)^2 + 0.01 (u1 - 0.6)^2 in the unit box: Hessian diag(200, 0.02)."""
    du = np.asarray(u, dtype=float) - CENTER
    return float(0.1 + STIFF * du[0] ** 2 + FLAT * du[1] ** 2)


def rotated(u):
    """A valley along (1, -1): 0.1 + 50 (du0 + du1)^2 + 0.05 (du0 - du1)^2."""
    du = np.asarray(u, dtype=float) - CENTER
    return float(0.1 + 50.0 * (du[0] + du[1]) ** 2 + 0.05 * (du[0] - du[1]) ** 2)


@pytest.fixture(scope="module")
def space():
    return SearchSpace("q_Si,A_SiO", {"q_Si": (1.5, 2.6), "A_SiO": (10000.0, 55000.0)}, coords="box")


def sample(func, n=120, seed=0, noise=1e-4, spread=0.3):
    rng = np.random.default_rng(seed)
    U = np.clip(CENTER + spread * (rng.random((n, 2)) - 0.5) * 2, 0, 1)
    y = np.array([func(u) for u in U]) + noise * rng.standard_normal(n)
    return U, y


def test_gp_mean_hessian_matches_finite_differences(space):
    U, y = sample(rotated, n=60, seed=1, noise=1e-3)
    gp = fit_surrogate(space, U, y, n_restarts=2).gp_
    u = np.array([0.43, 0.55])
    mean, grad, hess = gp_mean_hessian(gp, u)
    assert mean == pytest.approx(gp.predict(u[None])[0], rel=1e-7)
    h = 1e-4
    f = lambda x: gp.predict(np.atleast_2d(x))[0]  # noqa: E731
    e = np.eye(2) * h
    fd_grad = np.array([(f(u + e[i]) - f(u - e[i])) / (2 * h) for i in range(2)])
    fd_hess = np.array([[(f(u + e[i] + e[j]) - f(u + e[i] - e[j]) - f(u - e[i] + e[j]) + f(u - e[i] - e[j]))
                         / (4 * h * h) for j in range(2)] for i in range(2)])
    np.testing.assert_allclose(grad, fd_grad, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(hess, fd_hess, rtol=1e-3, atol=1e-3 * np.abs(fd_hess).max())


def test_axis_valley_flat_and_stiff(space):
    U, y = sample(valley)
    ident = Identifiability(space, n_nearest=100, delta=1e-3).fit(U, y)
    flat, stiff = ident.directions_[0], ident.directions_[-1]
    assert flat.dominant == ["A_SiO"] and abs(flat.vector["A_SiO"]) > 0.99
    assert stiff.dominant == ["q_Si"] and abs(stiff.vector["q_Si"]) > 0.99
    assert flat.kind == "flat" and stiff.kind == "stiff"
    # the unit-box Hessian is the analytic diag(200, 0.02)
    assert ident.hessian_unit_[0, 0] == pytest.approx(2 * STIFF, rel=0.05)
    assert abs(ident.hessian_unit_[1, 1]) < 0.02 * ident.hessian_unit_[0, 0]
    # scaled coordinates s = (p - p*) / |p*|: H_s = H_u / (dp/du / |p*|)^2 on the stiff axis
    q = ident.params_at_["q_Si"]
    assert ident.hessian_scaled_[0, 0] == pytest.approx(2 * STIFF / (1.1 / q) ** 2, rel=0.06)
    # the step of the stiff direction is sqrt(2 delta / lambda) and small; the flat one is long
    assert stiff.step == pytest.approx(np.sqrt(2e-3 / stiff.eigenvalue)) and stiff.step < 0.01 < 0.1 < flat.step
    # GP length scales: much longer along the flat axis
    ls = {row["key"]: row for row in ident.length_scales()}
    assert ls["A_SiO"]["unit_box"] > 3 * ls["q_Si"]["unit_box"]
    assert ls["q_Si"]["physical"] == pytest.approx(ls["q_Si"]["unit_box"] * 1.1) and ls["q_Si"]["physical_unit"] == "e"


def test_rotated_valley_flat_combination(space):
    U, y = sample(rotated, seed=2)
    ident = Identifiability(space, n_nearest=120, at="gp-min").fit(U, y)
    w, V = np.linalg.eigh(ident.hessian_unit_)
    assert abs(V[:, 0] @ np.array([1, -1]) / np.sqrt(2)) > 0.98  # flat along (1, -1) in the unit box
    assert w[0] < 0.02 * w[1]
    assert np.allclose(ident.u_at_, CENTER, atol=0.03)  # the GP-mean minimum is the valley's centre line
    flat = ident.directions_[0]
    assert set(flat.dominant) == {"q_Si", "A_SiO"}  # a combination: both parameters name it


def test_truth_errors_and_too_few_points(space):
    U, y = sample(valley, n=40, seed=3)
    ident = Identifiability(space, n_nearest=40).fit(U, y)
    truth = space.forcefield(CENTER, name="truth")
    t = ident.truth_errors(truth)
    best = space.params(ident.u_best_)
    for row in t["parameters"]:
        expect = (best[row["name"]] - getattr(truth, row["name"])) / getattr(truth, row["name"])
        assert row["relative_error"] == pytest.approx(expect, rel=1e-12)
    assert t["truth_inside_box"] and 0 <= t["share_of_error_along_flat_directions"] <= 1
    with pytest.raises(ValueError, match="need at least d"):
        Identifiability(space, n_nearest=10).fit(U[:3], y[:3])
    with pytest.raises(ValueError, match="n_nearest"):
        Identifiability(space, n_nearest=2)
    with pytest.raises(ValueError, match="select"):
        Identifiability(space, select="best")
    lowest = Identifiability(space, n_nearest=10, select="lowest").fit(U, y)
    np.testing.assert_array_equal(np.sort(lowest.y_), np.sort(y)[:10])  # the 10 lowest costs


def test_store_run_and_script(tmp_path, space):
    """A stored run of an analytic stand-in (no MD) through run_points and scripts/identifiability.py."""
    cost = AnalyticCost(valley, space, noise=1e-4, name="valley")
    fit(cost, space, "random", budget=60, seed=0, store=tmp_path / "store", run_id="valley")
    sp, U, y, recs = run_points(tmp_path / "store", "valley")
    assert sp.names == space.names and U.shape == (60, 2) and np.all(np.isfinite(y))
    np.testing.assert_allclose([cost.value(u, 0) for u in U[:5]], y[:5])
    truth = tmp_path / "truth.json"
    space.forcefield(CENTER, name="valley truth").save(truth)
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import identifiability as script
    finally:
        sys.path.pop(0)
    rc = script.main(["--store", str(tmp_path / "store"), "--run", "valley", "--truth", str(truth),
                      "--n-nearest", "60", "--delta", "0.001", "--out", str(tmp_path / "out")])
    assert rc == 0
    summary = json.loads((tmp_path / "out.json").read_text())
    assert summary["directions"][0]["dominant"] == ["A_SiO"] and summary["directions"][0]["kind"] == "flat"
    assert summary["directions"][-1]["dominant"] == ["q_Si"] and summary["directions"][-1]["kind"] == "stiff"
    assert summary["truth"]["truth"] == "valley truth"
    assert "stiff" in (tmp_path / "out.txt").read_text()
    with pytest.raises(KeyError, match="no run 'nope'"):
        run_points(tmp_path / "store", "nope")


def test_truth_from_synthetic_reference(tmp_path):
    from silica_explorer.analysis.identifiability import truth_forcefield
    assert truth_forcefield("CHIK") == ForceField.preset("CHIK")
    path = ForceField.preset("SHIK").save(tmp_path / "s.json")
    assert truth_forcefield(str(path)) == ForceField.preset("SHIK")


def test_negative_curvature_is_reported(space):
    """A saddle (down along A_SiO): no convex minimum, and the report says so instead of calling it flat."""
    U, y = sample(lambda u: 1.0 + 10 * (u[0] - 0.4) ** 2 - 1.0 * (u[1] - 0.6) ** 2, n=80, seed=5)
    ident = Identifiability(space, n_nearest=80).fit(U, y)
    down = ident.directions_[0]
    assert down.eigenvalue < 0 and down.kind == "not convex" and down.dominant == ["A_SiO"]
    assert "negative curvature" in ident.report()
