"""Gradients by trajectory reweighting: analytic dU/dtheta, estimators with known answers, engine frames."""

import json

import numpy as np
import pytest
from scipy.signal import lfilter
from scipy.stats import norm

from silica_explorer.reference import default_reference
from silica_explorer.cost import aligned, rx
from silica_explorer.engine.lammps import LammpsEngine, melt_input
from silica_explorer.forcefield import ForceField, dsf_self_energy
from silica_explorer.parameters import FREE_PARAMETERS, PAIRS, PAIR_SPECIES, ParameterError
from silica_explorer.reference import load_reference
from silica_explorer.reweight import (ReweightGradient, block_jackknife, block_standard_error, check_gradient_names,
                                      energy_derivatives, pair_distances, reweight_derivative, rx_weights)
from silica_explorer.configurations import random_configuration


def brute_force_energy(ff: ForceField, conf) -> float:
    """Pair energy of Eq. (1) + DSF over all pairs and all 27 periodic images within r_cut (no self term)."""
    pos = conf.wrapped()
    shifts = np.array([(x, y, z) for x in (-1, 0, 1) for y in (-1, 0, 1) for z in (-1, 0, 1)]) * conf.box
    total = 0.0
    for pair in PAIRS:
        a, b = PAIR_SPECIES[pair]
        pa, pb = pos[conf.species == a], pos[conf.species == b]
        d = pa[:, None, None, :] - pb[None, :, None, :] - shifts[None, None, :, :]
        r = np.linalg.norm(d, axis=-1).ravel()
        r = r[(r > 1e-9) & (r < ff.r_cut)]
        total += (0.5 if a == b else 1.0) * float(np.sum(ff.pair_energy(pair, r)))
    return total


@pytest.fixture(scope="module")
def reference():
    return load_reference(default_reference())


@pytest.fixture(scope="module")
def dense_melt(engine, tiny):
    """The ml_melt protocol (ML, seed 11) with the plain tiny fidelity and dense frames from the engine option."""
    res = LammpsEngine(threads=1, gradient_frames_every=tiny.rdf_every).melt(ForceField.preset("ML"), tiny, seed=11)
    assert res.ok, res.reason
    return res


def test_dense_frames_do_not_change_the_dynamics(dense_melt, ml_melt, tiny):
    """Same seed and protocol, frames every rdf_every steps by engine option vs by fidelity: same run."""
    assert dense_melt.trajectory.n_frames == tiny.production_steps // tiny.rdf_every + 1
    np.testing.assert_array_equal(dense_melt.pdf.g.values, ml_melt.pdf.g.values)
    np.testing.assert_allclose(dense_melt.trajectory.positions, ml_melt.trajectory.positions, atol=1e-6)
    assert dense_melt.engine_options["gradient_frames_every"] == tiny.rdf_every


def test_frames_are_dense_only_when_asked(tiny):
    plain = melt_input(ForceField.preset("BKS"), tiny, 0, warm=False)
    dense = melt_input(ForceField.preset("BKS"), tiny, 0, warm=False, frame_every=5)
    assert f"dump frames all custom {tiny.frame_every} " in plain
    assert "dump frames all custom 5 " in dense
    with pytest.raises(ValueError, match="gradient_frames_every"):
        LammpsEngine(gradient_frames_every=0)


@pytest.mark.parametrize("deck", ["one-table", "hybrid"])
def test_pair_sums_equal_lammps_energy_on_a_real_frame(engine, dense_melt, deck):
    """The tiny box (14.3 A) is shorter than 2 r_cut: pair sums must count periodic images like LAMMPS.
    The hybrid deck's energy carries LAMMPS's constant DSF self term, the one-table deck's does not."""
    ff = ForceField.preset("CHIK")
    conf = dense_melt.trajectory.frame(20)
    dist = pair_distances(conf, ff.r_cut)
    e_pairs = sum((0.5 if PAIR_SPECIES[p][0] == PAIR_SPECIES[p][1] else 1.0) * float(np.sum(ff.pair_energy(p, dist[p])))
                  for p in PAIRS)
    assert e_pairs == pytest.approx(brute_force_energy(ff, conf), rel=1e-10)
    e_lammps, _ = engine.single_point(ff, conf, deck=deck)  # 8000-point table: ~1e-6 relative energy error
    if deck == "hybrid":
        e_lammps -= dsf_self_energy([ff.charge(s) for s in conf.species], ff.alpha, ff.r_cut, "lammps")
    assert e_pairs == pytest.approx(e_lammps, rel=1e-5)


@pytest.mark.parametrize("which", ["tiny frame (images)", "large box (minimum image)"])
def test_analytic_dU_dtheta_equals_numerical_derivative(dense_melt, which):
    ff = ForceField.preset("CHIK")  # all 10 parameters non-zero
    conf = dense_melt.trajectory.frame(30) if which.startswith("tiny") else \
        random_configuration(60, 17.0, seed=4, min_separation=(2.5, 1.5, 2.2))
    analytic = energy_derivatives(pair_distances(conf, ff.r_cut), ff, FREE_PARAMETERS)
    for k, name in enumerate(FREE_PARAMETERS):
        v = getattr(ff, name)
        h = 1e-4 * abs(v)
        num = (brute_force_energy(ff.replace(**{name: v + h}), conf)
               - brute_force_energy(ff.replace(**{name: v - h}), conf)) / (2 * h)
        assert analytic[k] == pytest.approx(num, rel=1e-6, abs=1e-9 * abs(analytic).max()), name


def test_block_standard_error_of_ar1_mean():
    """AR(1), x_t = phi x_{t-1} + e_t: the variance of the mean of n samples -> var(x) (1+phi)/(1-phi) / n."""
    rng = np.random.default_rng(0)
    phi, n, reps = 0.9, 4000, 300
    x = lfilter([1.0], [1.0, -phi], rng.normal(size=(reps, n + 500)), axis=1)[:, 500:]
    true_var = 1.0 / (1 - phi**2) * (1 + phi) / (1 - phi) / n
    est = np.array([block_standard_error(s, 20) ** 2 for s in x])
    assert est.mean() == pytest.approx(true_var, rel=0.12)
    assert np.var(x.mean(axis=1)) == pytest.approx(true_var, rel=0.25)  # the formula itself
    naive = np.mean([s.var(ddof=1) / n for s in x])
    assert naive < 0.1 * true_var  # correlations matter: ignoring them would fail the first assert
    # the delete-one-block jackknife of a mean is the block standard error
    s = x[0]
    _, jk = block_jackknife(lambda idx: s[idx].mean(), n, 20)
    assert jk == pytest.approx(block_standard_error(s, 20), rel=1e-10)


def test_reweighting_on_a_harmonic_boltzmann_ensemble():
    """U = k x^2 / 2 at beta: <x^2> = 1/(beta k) and P(x in bin) from the Gaussian, both differentiable in k."""
    rng = np.random.default_rng(1)
    beta, k, n, reps = 2.0, 3.0, 20000, 100
    edges = np.array([-0.5, -0.2, 0.0, 0.3, 0.8])
    sd = 1 / np.sqrt(beta * k)
    # d/dk of P(a < x < b) with sd = (beta k)^-1/2: d sd/dk = -sd/(2k); dP/dsd = -(b phi(b/sd) - a phi(a/sd))/sd^2
    dP = -(edges[1:] * norm.pdf(edges[1:] / sd) - edges[:-1] * norm.pdf(edges[:-1] / sd)) / sd**2 * (-sd / (2 * k))
    exact = np.concatenate([[-1 / (beta * k**2)], dP])
    est, errs = [], []
    for _ in range(reps):
        x = rng.normal(0, sd, n)
        O = np.column_stack([x**2] + [(x >= a) & (x < b) for a, b in zip(edges[:-1], edges[1:])])
        dU = (x**2 / 2)[:, None]
        val, err = block_jackknife(lambda idx: reweight_derivative(O[idx], dU[idx], beta)[0], n, 10)
        est.append(val)
        errs.append(err)
    est, errs = np.array(est), np.array(errs)
    np.testing.assert_allclose(est.mean(axis=0), exact, atol=4 * est.std(axis=0).max() / np.sqrt(reps))
    # the jackknife error matches the scatter of independent estimates
    np.testing.assert_allclose(errs.mean(axis=0), est.std(axis=0), rtol=0.2)


def test_rx_weights_are_the_derivative_of_rx():
    rng = np.random.default_rng(2)
    g_ref = rng.uniform(0, 3, (3, 50))
    g = g_ref + rng.normal(0, 0.3, (3, 50))
    R, chi2, w = rx_weights(g_ref, g)
    v = rng.normal(size=(3, 50))
    eps = 1e-6
    num = (rx_weights(g_ref, g + eps * v)[0] - rx_weights(g_ref, g - eps * v)[0]) / (2 * eps)
    assert np.sum(w * v) == pytest.approx(num, rel=1e-6)
    assert R == pytest.approx(np.sqrt(np.mean(chi2)))


def test_gradient_dataset_from_a_melt(dense_melt, reference):
    """R_x of the frames equals the engine's R_x (frames = the g(r) samples); gradient has finite errors."""
    ds = ReweightGradient(reference, ["q_Si", "A_SiO", "C_OO"], n_blocks=5)(dense_melt)
    assert ds.R_x.item() == pytest.approx(rx(reference, dense_melt.pdf).R_x, rel=1e-5)
    assert ds.attrs["n_frames"] == 50 and ds.attrs["frames_per_block"] == 10
    assert list(ds.parameter.values) == ["q_Si", "A_SiO", "C_OO"]
    assert np.all(np.isfinite(ds.gradient)) and np.all(ds.gradient_err > 0)
    # the chain rule, two ways: sum over pairs of dchi2 -> dR_x = mean(dchi2) / (2 R_x)
    np.testing.assert_allclose(ds.gradient, ds.dchi2.mean("pair") / (2 * ds.R_x), rtol=1e-8)
    # and through d<g>/dtheta on the grid
    r, g_ref, _ = aligned(reference, dense_melt.pdf)
    idx = np.searchsorted(ds.r.values, r - 1e-6)
    _, _, w = rx_weights(g_ref, ds.g.values[:, idx])
    via_dg = float(np.sum(w * ds.dg.sel(parameter="A_SiO").values[:, idx]))
    assert via_dg == pytest.approx(float(ds.gradient.sel(parameter="A_SiO")), rel=1e-8)


def test_bad_input_names_the_problem(dense_melt, ml_melt, reference):
    with pytest.raises(ParameterError, match="B_SiO"):
        ReweightGradient(reference, ["q_Si", "B_SiO"])
    with pytest.raises(ParameterError, match="D_OO"):
        check_gradient_names("D_OO")
    no_frames = type(dense_melt)(**{**dense_melt.__dict__, "trajectory": None})
    with pytest.raises(ValueError, match="stored no frames.*gradient_frames_every"):
        ReweightGradient(reference, ["q_Si"])(no_frames)
    with pytest.raises(ValueError, match="too few for n_blocks = 30"):
        ReweightGradient(reference, ["q_Si"], n_blocks=30)(dense_melt)
    failed = type(dense_melt)(**{**dense_melt.__dict__, "status": "failed", "reason": "overlap: test"})
    with pytest.raises(ValueError, match="failed melt.*overlap"):
        ReweightGradient(reference, ["q_Si"])(failed)


def test_reweight_lbfgs_uses_one_melt_per_gradient(reference, tiny):
    """Budget of 3 melts: every melt gives a value and a gradient; the box bounds hold; then it stops."""
    from silica_explorer.evaluate import Evaluator
    from silica_explorer.optimize import SearchSpace
    from silica_explorer.optimize.reweight_lbfgs import ReweightLBFGS
    space = SearchSpace(["q_Si", "A_SiO"], base="BKS")
    ev = Evaluator(reference, tiny, engine=LammpsEngine(threads=1, gradient_frames_every=tiny.rdf_every))
    opt = ReweightLBFGS(space, n_blocks=5)
    assert opt.run(ev, budget=3, seed=0) == "budget"
    assert opt.n_melts_ == 3 and len(opt.path_) == 3
    first = opt.path_[0]
    assert first["q_Si"] == pytest.approx(2.4) and first["A_SiO"] == pytest.approx(18003.7572)
    for e in opt.path_:
        assert all(0.0 <= x <= 1.0 for x in e["u"])
        if e["status"] == "ok":
            assert len(e["gradient"]) == 2 and all(s > 0 for s in e["gradient_err"])
    # the second melt moved against the first gradient (in unit-box coordinates)
    g_u = np.array(first["gradient"]) * (space.upper - space.lower)
    step = np.array(opt.path_[1]["u"]) - np.array(first["u"])
    assert float(step @ g_u) < 0
    assert opt.fun_ == min(e["R_x"] for e in opt.path_ if np.isfinite(e["R_x"]))
    with pytest.raises(ValueError, match="budget"):
        opt.run(ev, budget=0)


def test_fit_cli_with_reweighting_gradients(tmp_path, capsys):
    from silica_explorer.cli import main
    rc = main(["fit", "--optimizer", "cg", "--gradient", "reweight", "--fidelity", "tiny", "--budget", "2",
               "--threads", "1", "--store", str(tmp_path), "--run-name", "rw"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "2 melts, stopped: budget" in out
    rec = json.loads((tmp_path / "rw.reweight.json").read_text())
    assert len(rec["path"]) == 2 and rec["path"][0]["gradient"] is not None
    assert ForceField.load(tmp_path / "rw.best.json").q_Si > 0
    rc = main(["fit", "--optimizer", "bo", "--gradient", "reweight", "--fidelity", "tiny", "--store", str(tmp_path)])
    assert rc != 0 and "--gradient reweight needs --optimizer cg" in capsys.readouterr().err
