"""Screen-then-refine multi-fidelity search (silica_explorer.optimize.multifidelity) on stand-in costs.

These tests check the mechanics (budget in fitting-fidelity equivalents, distinct candidates, the refine
stage starting from them, exact resume, errors); whether the method discovers on real MD is measured by
benchmarks/start_independence.py, never here."""

from __future__ import annotations

import numpy as np
import pytest

from silica_explorer.forcefield import ForceField
from silica_explorer.optimize import SearchSpace
from silica_explorer.optimize.multifidelity import ScreenThenRefine, distinct_best
from silica_explorer.standins import AnalyticCost
from silica_explorer.store import CachedCost, Store

A = np.array([0.75, 0.7, 0.6])   # the start's basin (shallow)
B = np.array([0.2, 0.25, 0.3])   # the global basin, far from the start


def two_basins(u):
    u = np.asarray(u, dtype=float)
    return float(min(0.30 + 2.0 * np.sum((u - A) ** 2), 0.05 + 2.0 * np.sum((u - B) ** 2)))


def cheap_two_basins(u):
    """The cheap fidelity: biased (scaled and shifted) but ordered like the expensive one."""
    return 1.3 * two_basins(u) + 0.04


@pytest.fixture
def space():
    base = ForceField.preset("BKS")
    sp = SearchSpace(("q_Si", "A_SiO", "A_OO"), base=base)
    # put the base set (the only start) inside the shallow basin A
    return SearchSpace(("q_Si", "A_SiO", "A_OO"), base=sp.forcefield(A, name="start"))


def test_distinct_best_keeps_basins_apart():
    entries = [{"u": [0.1, 0.1], "R_x": 0.10}, {"u": [0.12, 0.1], "R_x": 0.11}, {"u": [0.8, 0.8], "R_x": 0.2},
               {"u": [0.5, 0.5], "R_x": float("nan")}, {"u": [0.3, 0.9], "R_x": 0.3}]
    got = distinct_best(entries, 3, 0.15)
    assert [e["R_x"] for e in got] == [0.10, 0.2, 0.3]  # 0.11 is in the first one's basin; nan never
    assert [e["R_x"] for e in distinct_best(entries, 3, 0.0)] == [0.10, 0.11, 0.2]
    with pytest.raises(ValueError, match="n_candidates"):
        distinct_best(entries, 0, 0.1)


def test_screen_finds_the_far_basin_and_refine_starts_there(space, tmp_path):
    low = AnalyticCost(cheap_two_basins, space, noise=0.005, name="cheap")
    high = AnalyticCost(two_basins, space, noise=0.002, name="expensive")
    store = Store(tmp_path / "store")
    search = ScreenThenRefine(space, screen_budget=30, n_candidates=3, min_distance=0.15, random_state=1,
                              screen_options={"failure_policy": "impute"})
    res = search.fit(CachedCost(low, store), CachedCost(high, store), budget=15, cost_ratio=0.1, md_seed=0,
                     run_id="mf")
    assert res.screen.n_evals == 30 and res.refine.n_evals == 12  # floor(15 - 30 x 0.1)
    assert res.spent == pytest.approx(15.0) and res.spent <= res.budget
    # the candidates are distinct and the best one is in the far basin, which the start is not
    us = np.array([c["u"] for c in res.candidates])
    assert len(us) == 3 and all(np.max(np.abs(us[i] - us[j])) >= 0.15 for i in range(3) for j in range(i))
    assert np.max(np.abs(us[0] - B)) < 0.2 and np.max(np.abs(space.base_unit() - B)) > 0.4
    # the refine stage's first evaluations are the base and the candidates, in that order, no Sobol fill
    first = np.array([e["u"] for e in res.refine.objective.entries[:4]])
    np.testing.assert_allclose(first[0], space.base_unit(), atol=1e-9)
    np.testing.assert_allclose(first[1:], us, atol=1e-9)
    assert res.best_R_x < 0.10  # the far basin's floor is 0.05; the start's basin never goes below 0.30
    summary = res.summary()
    assert summary["spent"] == pytest.approx(15.0) and len(summary["candidates"]) == 3
    # both stages are runs in the store, with their stage and budget in the config
    runs = {r["run_id"]: r for r in store.runs()}
    assert {"mf-screen", "mf-refine"} <= set(runs)


def test_resume_replays_both_stages_without_new_evaluations(space, tmp_path):
    def run(low, high):
        search = ScreenThenRefine(space, screen_budget=20, n_candidates=2, random_state=3,
                                  screen_options={"failure_policy": "impute"})
        store = Store(tmp_path / "store")
        return search.fit(CachedCost(low, store), CachedCost(high, store), budget=10, cost_ratio=0.1, run_id="mf")
    low1, high1 = AnalyticCost(cheap_two_basins, space, name="cheap"), AnalyticCost(two_basins, space, name="exp")
    first = run(low1, high1)
    low2, high2 = AnalyticCost(cheap_two_basins, space, name="cheap"), AnalyticCost(two_basins, space, name="exp")
    again = run(low2, high2)
    assert (low2.n_calls, high2.n_calls) == (0, 0)  # everything served from the store
    assert again.best_R_x == first.best_R_x
    np.testing.assert_array_equal([c["u"] for c in again.candidates], [c["u"] for c in first.candidates])


def test_bad_budgets_name_the_field(space):
    search = ScreenThenRefine(space, screen_budget=100, n_candidates=4)
    with pytest.raises(ValueError, match="cost_ratio"):
        search.refine_budget(50, 0.0)
    with pytest.raises(ValueError, match="budget = 12"):
        search.refine_budget(12, 0.1)  # 12 - 10 = 2 < 4 candidates
    assert search.refine_budget(300, 0.111) == 288
    for kwargs, field in (({"screen_budget": 0}, "screen_budget"), ({"n_candidates": 0}, "n_candidates"),
                          ({"min_distance": 1.5}, "min_distance")):
        with pytest.raises(ValueError, match=field):
            ScreenThenRefine(space, **kwargs)
