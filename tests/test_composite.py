"""Composite BO (surrogate of the partial PDFs): PCA model, R_x from scores, MC EI, tell path, resume."""

import argparse

import numpy as np
import pytest

from silica_explorer.cost import rx
from silica_explorer.optimize import CompositeBO, SearchSpace, fit, make_optimizer
from silica_explorer.parameters import PAIRS
from silica_explorer.standins import AnalyticCost, PDFStandIn
from silica_explorer.optimize.bayes import expected_improvement
from silica_explorer.optimize.composite import mc_expected_improvement, sobol_normal
from silica_explorer.optimize.objective import Objective
from silica_explorer.optimize.pdfmodel import PDFModel
from silica_explorer.store import CachedCost, Store

FAST = {"n_restarts_optimizer": 0, "n_candidates": 300, "n_ei_starts": 2, "n_mc": 32, "preset_starts": False}  # short budgets: the 5 presets inside the box would fill them


def space2():
    return SearchSpace(["q_Si", "A_SiO"], base="BKS")


def told(standin, space, n, seed=0):
    rng = np.random.default_rng(seed)
    U, R, P = [], [], []
    while len(U) < n:
        u = rng.random(space.dim)
        r = standin(space.forcefield(u))
        U.append(u), R.append(r["R_x"]), P.append(r.get("pdf"))
    return np.array(U), np.array(R), P


# ------------------------------------------------------------------------------------ stand-in
def test_pdf_stand_in_is_deterministic_has_failures_and_its_R_x_is_cost_rx():
    sp = space2()
    s = PDFStandIn(sp)
    u = np.array([0.6, 0.3])
    a, b = s(sp.forcefield(u), seed=1), s(sp.forcefield(u), seed=1)
    np.testing.assert_array_equal(a["pdf"].g.values, b["pdf"].g.values)
    assert a["R_x"] == pytest.approx(rx(s.reference, a["pdf"]).R_x, rel=1e-12)
    assert s(sp.forcefield(u), seed=2)["R_x"] != a["R_x"]  # another MD seed, another noise realization
    f = s(sp.forcefield([0.1, 0.1]))
    assert f["status"] == "failed" and "pdf" not in f and np.isnan(f["R_x"])
    # model error: even the noise-free liquid at the target does not reach R_x = 0
    r0 = rx(s.reference, s._pdf_dataset(s.liquid(s.target), "t")).R_x
    assert 0.03 < r0 < 0.12
    assert rx(s.reference, s._pdf_dataset(s.liquid([0.95, 0.95]), "t")).R_x > 3 * r0
    with pytest.raises(ValueError, match="target"):
        PDFStandIn(sp, target=[0.3])


# ------------------------------------------------------------------------------------ PDF model
def test_pca_reconstructs_low_rank_pdfs_exactly_and_finds_their_rank():
    rng = np.random.default_rng(0)
    n, R = 12, 200
    r = np.linspace(1, 7, R)
    G = np.empty((n, 3, R))
    for p in range(3):
        basis = np.stack([np.exp(-((r - 2 - p) / 0.2) ** 2), np.sin(r * (p + 1))])
        G[:, p] = 1.0 + rng.normal(size=(n, 2)) @ basis
    model = PDFModel(np.ones((3, R)), explained_variance=0.999999, max_components=5).fit_pca(G)
    assert [W.shape[0] for W in model.components_] == [2, 2, 2]
    np.testing.assert_allclose(model.reconstruct(model.transform(G)), G, atol=1e-10)
    np.testing.assert_allclose(model.residual_chi2_, 0, atol=1e-20)
    for W in model.components_:
        np.testing.assert_allclose(W @ W.T, np.eye(2), atol=1e-12)


def test_rx_of_scores_equals_cost_rx_of_reconstructed_pdfs():
    sp = space2()
    s = PDFStandIn(sp)
    U, R, P = told(s, sp, 10)
    ok = np.isfinite(R)
    G = np.stack([p.g.values for p, k in zip(P, ok) if k])
    model = PDFModel(s.reference.g.values, n_restarts_optimizer=0).fit(U[ok], G)
    Z = model.predict_scores(np.random.default_rng(1).random((5, 2)))[0]
    pdfs = model.reconstruct(Z)
    want = [rx(s.reference, s._pdf_dataset(g, "pred")).R_x for g in pdfs]
    np.testing.assert_allclose(model.rx_of_scores(Z, include_residual=False), want, rtol=1e-10)
    # with the truncation residual: chi2 per pair shifted by the mean in-sample residual
    c = model.chi2_of_scores(Z, include_residual=False) + model.residual_chi2_
    np.testing.assert_allclose(model.rx_of_scores(Z), np.sqrt(c.mean(axis=1)), rtol=1e-12)
    # the told PDFs themselves, reconstructed from all their scores, match their measured R_x
    # only up to the truncation residual (which is what include_residual accounts for on average)
    rec = model.rx_of_scores(model.transform(G))
    assert np.max(np.abs(rec - R[ok])) < 0.01


def test_fast_predictor_equals_sklearn_predict():
    sp = space2()
    s = PDFStandIn(sp)
    U, R, P = told(s, sp, 9, seed=3)
    ok = np.isfinite(R)
    model = PDFModel(s.reference.g.values, n_restarts_optimizer=0).fit(
        U[ok], np.stack([p.g.values for p, k in zip(P, ok) if k]))
    V = np.random.default_rng(2).random((40, 2))
    for noise in (False, True):
        a, b = model.predict_scores(V, noise), model.predict_scores(V, noise, method="sklearn")
        np.testing.assert_allclose(a[0], b[0], atol=1e-9)
        np.testing.assert_allclose(a[1], b[1], atol=1e-9)


def test_mc_ei_matches_analytic_ei_in_the_one_component_linear_limit():
    # one "pair", one component; the reference lies far along it, so R_x = (w0 - z) / |g_ref| is
    # linear in the score z over the whole posterior: MC EI must equal the analytic Gaussian EI
    rng = np.random.default_rng(4)
    r = np.linspace(1, 7, 100)
    W = np.exp(-((r - 3) / 0.5) ** 2)
    W /= np.linalg.norm(W)
    X = 0.5 * rng.random((8, 1))  # data in [0, 0.5]; the query at 1 extrapolates
    z = 0.3 * X[:, 0] + 0.01 * rng.normal(size=8)
    G = (1.0 + z[:, None] * W)[:, None, :]
    g_ref = (1.0 + 3.0 * W)[None, :]
    model = PDFModel(g_ref, max_components=1, n_restarts_optimizer=0).fit(X, G)
    assert model.n_scores_ == 1 and abs(model.q2_[0]) < 1e-9
    u = np.array([[1.0]])  # at the edge: a clear posterior spread
    m, s = model.predict_scores(u)
    eps = sobol_normal(4096, 1, [0, 1])
    samples = model.rx_of_scores(m[:, None, :] + s[:, None, :] * eps[None], include_residual=False)
    zs = m[0, 0] + s[0, 0] * eps[:, 0]
    side = np.sign(model.w0_[0][0] - zs)  # PCA may flip the component's sign; the reference is far away
    assert np.all(side == side[0])
    scale = np.sqrt(np.sum(g_ref**2))
    mean_rx = abs(model.w0_[0][0] - m[0, 0]) / scale
    std_rx = s[0, 0] / scale
    assert std_rx > 1e-2 * mean_rx  # a real spread, not a degenerate posterior
    np.testing.assert_allclose(samples.mean(), mean_rx, rtol=1e-3)
    for y_best in (mean_rx, mean_rx - std_rx, mean_rx + 0.5 * std_rx):
        want = float(expected_improvement(mean_rx, std_rx, y_best))
        assert mc_expected_improvement(samples[0], y_best) == pytest.approx(want, rel=0.02, abs=1e-6 * std_rx)
    # common random numbers: the same seed gives the same base samples
    np.testing.assert_array_equal(sobol_normal(64, 3, [1, 2]), sobol_normal(64, 3, [1, 2]))


# ------------------------------------------------------------------------------------ tell path
def test_objective_attaches_pdfs_fresh_and_from_the_store(tmp_path):
    sp = space2()
    s = PDFStandIn(sp)
    cost = CachedCost(s, Store(tmp_path))
    obj = Objective(sp, cost, budget=3, run_id="r", keep_pdfs=True)
    e_ok = obj.evaluate([0.6, 0.5])
    e_bad = obj.evaluate([0.05, 0.05])
    assert "pdf" in e_ok and "pdf" not in e_bad and e_bad["status"] == "failed"
    fresh = s(sp.forcefield([0.6, 0.5]))["pdf"]
    np.testing.assert_array_equal(e_ok["pdf"].g.values, fresh.g.values)  # bitwise through the store
    replay = Objective(sp, cost, budget=3, run_id="r", keep_pdfs=True).take_replay()
    np.testing.assert_array_equal(replay[0]["pdf"].g.values, fresh.g.values)
    assert "pdf" not in replay[1]
    assert "pdf" not in Objective(sp, cost, budget=3, run_id="r").take_replay()[0]  # only on request
    # without a store: the evaluator's result
    e = Objective(sp, s, budget=1, keep_pdfs=True).evaluate([0.6, 0.5])
    np.testing.assert_array_equal(e["pdf"].g.values, fresh.g.values)


def test_composite_fit_with_failures_proposes_inside_and_models_feasibility():
    sp = space2()
    s = PDFStandIn(sp, fail_below=0.8)  # a wide failure band: the initial design hits it
    res = fit(s, sp, "composite", budget=12, seed=0, options=FAST)
    opt = res.optimizer
    assert res.n_evals == 12 and np.isfinite(res.best_R_x)
    assert any(e["status"] == "failed" for e in res.objective.entries)
    assert opt.feasibility_ is not None and opt.model_ is not None
    ei = [h for h in opt.history if h["kind"] == "ei"]
    assert ei and all(0 <= h["p_ok"] <= 1 and h["n_components"] >= 1 for h in ei)
    assert all(np.all((np.array(h["u"]) >= 0) & (np.array(h["u"]) <= 1)) for h in opt.history)
    # predicted R_x at the told successes is close to the measured one (the model interpolates)
    ok = np.isfinite(opt.y_)
    mean, std = opt.predict(opt.X_[ok], unit=True)
    assert np.median(np.abs(mean - opt.y_[ok])) < 0.02 and np.all(std >= 0)
    # the failure band is predicted as such
    assert opt._p_ok(np.array([[0.05, 0.05]]))[0] < 0.5 < opt._p_ok(np.array([[0.9, 0.9]]))[0]
    # failure fantasies: the acquisition model is more certain at failed points (failures add no PDFs,
    # so the plain PDF model stays uncertain there; a fantasy is a noisy observation, so the latent std
    # drops towards the noise level, not to 0); the posterior mean is unchanged
    bad = ~ok
    s_plain = opt.model_.predict_scores(opt.X_[bad])[1]
    acq = opt.acquisition_model()
    s_fant = acq.predict_scores(opt.X_[bad])[1]
    assert np.all(s_fant <= s_plain + 1e-12) and np.mean(s_fant**2) < 0.5 * np.mean(s_plain**2)
    np.testing.assert_allclose(acq.predict_scores(opt.X_[ok], method="sklearn")[0], acq.predict_scores(opt.X_[ok])[0],
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(acq.predict_scores(opt.X_[ok])[0], opt.model_.predict_scores(opt.X_[ok])[0],
                               rtol=0, atol=1e-6 * np.abs(opt.model_.Z_).max())


def test_composite_batch_of_two_is_distinct():
    sp = space2()
    res = fit(PDFStandIn(sp), sp, "composite", budget=10, seed=1, options={**FAST, "batch_size": 2})
    kinds = [h["kind"] for h in res.optimizer.history]
    assert "ei-believer" in kinds and res.n_evals == 10
    U = np.array([e["u"] for e in res.objective.entries])
    assert min(np.linalg.norm(U[i] - U[j]) for i in range(10) for j in range(i)) > 1e-6


class Interrupting(PDFStandIn):
    stop_at = None

    def __call__(self, ff, seed=0, **kw):
        if self.stop_at is not None and self.n_calls >= self.stop_at:
            raise KeyboardInterrupt
        return super().__call__(ff, seed)


def test_interrupt_and_resume_rebuilds_the_model_from_stored_pdfs(tmp_path):
    sp = space2()
    cost = Interrupting(sp)
    cost.stop_at = 9
    with pytest.raises(KeyboardInterrupt):
        fit(cost, sp, "composite", budget=13, seed=4, store=tmp_path, options=FAST)
    cost.stop_at = None
    resumed = fit(cost, sp, "composite", budget=13, seed=4, store=tmp_path, options=FAST)
    assert resumed.resumed and cost.n_calls == 13 and sum(e["replayed"] for e in resumed.objective.entries) == 9
    ref = fit(PDFStandIn(sp), sp, "composite", budget=13, seed=4, options=FAST)
    np.testing.assert_allclose([e["u"] for e in resumed.objective.entries],
                               [e["u"] for e in ref.objective.entries], rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------------ errors
def test_clear_errors():
    sp = space2()
    with pytest.raises(ValueError, match="needs reference PDFs"):
        fit(AnalyticCost("sphere", sp), sp, "composite", budget=8, options=FAST)
    s = PDFStandIn(sp)
    bo = CompositeBO(sp, reference=s.reference)
    with pytest.raises(ValueError, match="no PDF"):
        bo.tell([0.5, 0.5], 0.2)
    bo.tell([0.1, 0.1], float("nan"))  # a failure needs none
    with pytest.raises(ValueError, match="n_mc"):
        CompositeBO(sp, n_mc=4)
    with pytest.raises(ValueError, match="explained_variance"):
        CompositeBO(sp, explained_variance=1.5)
    with pytest.raises(ValueError, match="max_components"):
        CompositeBO(sp, max_components=0)
    with pytest.raises(ValueError, match="composite"):
        make_optimizer("compositee", sp)
    with pytest.raises(TypeError):
        make_optimizer("composite", sp, y_transform="log")
    assert set(PAIRS) == set(s.reference.pair.values)


def test_cli_fit_composite_on_the_pdf_stand_in(tmp_path, capsys):
    from silica_explorer.cli import fit as cli_fit
    parser = argparse.ArgumentParser()
    cli_fit.register_cli(parser.add_subparsers(dest="command"))
    argv = ["fit", "--stand-in", "pdf_peaks", "--optimizer", "composite", "--budget", "7", "--n-initial", "4",
            "--store", str(tmp_path), "--quiet"]
    args = parser.parse_args(argv)
    assert args.func(args) == 0
    assert "7 evaluations" in capsys.readouterr().out
    (run,) = Store(tmp_path).runs()
    assert run["optimizer"] == "composite" and run["config"]["optimizer_options"]["n_mc"] == 128
    args = parser.parse_args(["fit", "--stand-in", "sphere", "--optimizer", "composite", "--store",
                              str(tmp_path / "b"), "--quiet"])
    with pytest.raises(ValueError, match="needs reference PDFs"):
        args.func(args)
    args = parser.parse_args(argv + ["--y-transform", "log"])
    with pytest.raises(ValueError, match="--y-transform"):
        args.func(args)
