"""TuRBO-1 trust-region BO on cheap stand-ins (not MD): state machine, trust region, resume, options."""

import math

import numpy as np
import pytest

from silica_explorer.optimize import SearchSpace, fit
from silica_explorer.optimize.bocg import BOThenCG
from silica_explorer.optimize.registry import make_optimizer
from silica_explorer.parameters import FREE_PARAMETERS
from silica_explorer.standins import AnalyticCost, sphere
from silica_explorer.optimize.turbo import TurboOptimizer
from silica_explorer.store import Store
from test_optimize import Interrupting  # the stand-in cost that raises Ctrl-C after stop_at calls

FAST = {"n_restarts_optimizer": 1, "n_ei_starts": 3}


def test_trust_region_state_machine():
    """Lengths after each told value, worked out by hand from the TuRBO rules (success = better than the
    TR's best by > 1e-3 of it; 2 in a row double, 2 failures in a row halve, restart below length_min)."""
    space = SearchSpace()
    # initial design of 3: the base set (BKS, always first) + 2 Sobol points (no preset starts)
    opt = TurboOptimizer(space, n_initial=2, preset_starts=False, success_tolerance=2, failure_tolerance=2,
                         length_min=0.15, n_restart=2, random_state=0, **FAST)
    values = [1.0, 0.9, 0.8,  # initial design
              0.7, 0.6,  # 2 successes: 0.8 -> 1.6
              0.59, 0.5994,  # a success, then a "failure" (within 1e-3 of the best)
              float("nan"),  # failed melt: second failure -> 0.8
              0.7, 0.7, 0.7, 0.7,  # -> 0.4, -> 0.2
              0.7, 0.7]  # -> 0.1 < length_min: restart at 0.8
    expect = [0.8, 0.8, 0.8, 0.8, 1.6, 1.6, 1.6, 0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0.8]
    rng = np.random.default_rng(0)
    for v in values:
        opt.tell(rng.random(2), v)
    assert [h["tr_length"] for h in opt.history] == expect
    assert [h["tr_restarts"] for h in opt.history] == [0] * 13 + [1]
    st = opt.state
    assert st.start == 14 and st.design_left == 2 and math.isinf(st.best)
    # after a restart: a fresh design, then a TR around the best point of the new design
    U = opt.ask(2)
    np.testing.assert_array_equal(U, opt._restart_design()[:2])
    assert [p["kind"] for p in opt._pending] == ["restart-design", "restart-design"]
    opt.tell(U[0], 0.66)
    opt.tell(U[1], 0.65)
    assert opt.state.design_left == 0 and opt.state.best_index == 15
    (u,) = opt.ask(1)
    lo, hi = opt.tr_bounds_
    assert opt._pending[-1]["kind"] == "turbo-ts" and np.all(u >= lo) and np.all(u <= hi)
    np.testing.assert_array_equal(opt._pending[-1]["tr_center"], U[1])


def test_trust_region_shape_follows_length_scales():
    """Side lengths w_i L with w the local GP's length scales normalized to geometric mean 1."""
    space = SearchSpace(FREE_PARAMETERS[:4])
    cost = AnalyticCost(lambda u: 0.1 + 4 * (u[0] - 0.5) ** 2 + 0.05 * (u[3] - 0.5) ** 2, space)
    res = fit(cost, space, "turbo", budget=16, seed=0, options={**FAST, "preset_starts": False})
    opt = res.optimizer
    lo, hi = opt.tr_bounds_
    c = np.array(opt._pending[-1]["tr_center"]) if opt._pending else opt.center()
    ls = opt.local_gp_.kernel_.k1.k2.length_scale
    w = ls / np.exp(np.mean(np.log(ls)))
    L = opt.history[-1]["tr_length"]
    np.testing.assert_allclose(lo, np.clip(c - w * L / 2, 0, 1), atol=1e-12)
    np.testing.assert_allclose(hi, np.clip(c + w * L / 2, 0, 1), atol=1e-12)
    assert w[0] < w[3]  # the steep coordinate gets the short side
    assert all(opt.max_local >= h.get("n_local", 0) for h in opt.history)


def test_turbo_converges_to_the_noise_floor_in_3d():
    space = SearchSpace(FREE_PARAMETERS[:3])
    cost = AnalyticCost("sphere", space, noise=0.001)
    res = fit(cost, space, "turbo", budget=40, seed=1, options=FAST)
    design = [e["R_x"] for e in res.objective.entries[:7]]
    gap0, gap = min(design) - 0.1, res.best_R_x - 0.1
    assert gap < 0.1 * gap0 + 0.003, (gap0, gap)  # 3 noise sd
    kinds = {h["kind"] for h in res.optimizer.history}
    assert "turbo-ts" in kinds


def test_bad_turbo_options_name_the_option():
    with pytest.raises(ValueError, match=r"optimizer 'turbo' needs at least 2 free parameters.*d = 1"):
        make_optimizer("turbo", SearchSpace(["q_Si"]))
    space = SearchSpace()
    with pytest.raises(ValueError, match=r"acquisition must be one of \['ts', 'ei'\], got 'ucb'"):
        make_optimizer("turbo", space, acquisition="ucb")
    with pytest.raises(ValueError, match=r"failure_tolerance must be an integer >= 1"):
        make_optimizer("turbo", space, failure_tolerance=0)
    with pytest.raises(ValueError, match=r"success_tolerance must be an integer >= 1"):
        make_optimizer("turbo", space, success_tolerance=2.5)
    with pytest.raises(ValueError, match=r"0 < length_min < length_init <= length_max"):
        make_optimizer("turbo", space, length_min=0.9)
    with pytest.raises(ValueError, match=r"local_restarts = -1 must be >= 0"):
        make_optimizer("turbo", space, local_restarts=-1)
    with pytest.raises(ValueError, match=r"failure_policy must be one of"):
        make_optimizer("turbo+cg", space, bo_options={"failure_policy": "drop"})
    with pytest.raises(ValueError, match=r"unknown optimizer 'trubo'"):
        make_optimizer("trubo", space)


RESTARTING = {**FAST, "failure_tolerance": 1, "length_min": 0.3, "n_restart": 2, "n_initial": 4,
              "preset_starts": False}


@pytest.mark.parametrize("optimizer,options", [
    ("turbo", {**RESTARTING, "batch_size": 2}),
    ("turbo", {**RESTARTING, "acquisition": "ei", "failure_policy": "constrained"}),
    ("bo", {**FAST, "n_candidates": 300, "failure_policy": "constrained"}),
    ("turbo+cg", {"bo_options": RESTARTING, "bo_fraction": 0.6, "cg_options": {"fd_step": 0.03}}),
])
def test_interrupt_and_resume_is_exact(tmp_path, optimizer, options):
    space = SearchSpace()

    def fails(u):
        return u[0] > 0.8 and u[1] < 0.4

    cost = Interrupting("rough_basin", space, noise=0.002, stop_at=9, fail_if=fails)
    with pytest.raises(KeyboardInterrupt):
        fit(cost, space, optimizer, budget=16, seed=4, store=tmp_path / "a", options=options)
    cost.stop_at = None
    resumed = fit(cost, space, optimizer, budget=16, seed=4, store=tmp_path / "a", options=options)
    assert resumed.resumed and cost.n_calls == 16 and len(Store(tmp_path / "a")) == 16
    assert sum(e["replayed"] for e in resumed.objective.entries) == 9
    ref = fit(AnalyticCost("rough_basin", space, noise=0.002, fail_if=fails), space, optimizer, budget=16, seed=4,
              options=options)
    np.testing.assert_allclose([e["u"] for e in resumed.objective.entries],
                               [e["u"] for e in ref.objective.entries], rtol=0, atol=1e-12)
    tr = ref.optimizer.bo if isinstance(ref.optimizer, BOThenCG) else ref.optimizer
    if isinstance(tr, TurboOptimizer):
        assert tr.state.restarts >= 1  # the replay went through a restart
        assert resumed.optimizer.bo.state == tr.state if isinstance(ref.optimizer, BOThenCG) else \
            resumed.optimizer.state == tr.state


def test_cli_fit_turbo_and_constrained(tmp_path, capsys):
    import argparse

    from silica_explorer.cli import fit as cli_fit
    parser = argparse.ArgumentParser()
    cli_fit.register_cli(parser.add_subparsers(dest="command"))
    base = ["fit", "--stand-in", "sphere", "--store", str(tmp_path), "--quiet", "--budget", "8"]
    args = parser.parse_args(base + ["--free", "q_Si,A_SiO,C_OO", "--optimizer", "turbo", "--failure-policy",
                                     "constrained", "--n-initial", "3", "--no-preset-starts"])  # BKS + 3
    assert args.func(args) == 0
    (run,) = Store(tmp_path).runs()
    opts = run["config"]["optimizer_options"]
    assert run["config"]["optimizer"] == "turbo" and opts["failure_policy"] == "constrained"
    assert opts["feasibility"] == "gpr" and opts["acquisition"] == "ts" and opts["failure_tolerance"] == 4
    rows = Store(tmp_path).records(run["run_id"])
    assert sum((r.proposal or {}).get("kind") == "turbo-ts" for r in rows) == 4
    args = parser.parse_args(base + ["--free", "q_Si", "--optimizer", "turbo"])
    with pytest.raises(ValueError, match="d = 1"):
        args.func(args)
    with pytest.raises(SystemExit):
        parser.parse_args(base + ["--failure-policy", "worst"])
    assert "invalid choice: 'worst'" in capsys.readouterr().err
