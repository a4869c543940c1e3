"""GP slices and the length-scale readout, on analytic costs whose sensitivity is known."""

from __future__ import annotations

import numpy as np
import pytest

from silica_explorer.analysis.gp_slices import constraint_readout, gp_slices, length_scales
from silica_explorer.analysis.surrogate import fit_surrogate, points_of_records
from silica_explorer.optimize.space import SearchSpace


def _cost(U):
    """A basin in the first coordinate, no dependence on the second, a weak slope in the third."""
    return 0.3 - 0.2 * np.exp(-((U[:, 0] - 0.3) / 0.2) ** 2) + 0.002 * U[:, 2]


@pytest.fixture(scope="module")
def model():
    space = SearchSpace(["q_Si", "C_SiO", "C_OO"], coords="box")
    U = np.random.default_rng(0).random((60, 3))
    y = _cost(U)
    y[5] = np.nan  # one failed evaluation (left out of the fit)
    return fit_surrogate(space, U, y, random_state=0), U, y


def test_readout_names_constrained_and_free(model):
    m, _, _ = model
    ls = length_scales(m)
    assert set(ls) == {"q_Si", "C_SiO", "C_OO"}
    readout = {r["parameter"]: r for r in constraint_readout(ls)}
    assert readout["q_Si"]["verdict"] == "constrained", ls
    assert readout["C_SiO"]["verdict"] == "free", ls
    assert ls["q_Si"] < ls["C_OO"] and ls["q_Si"] < ls["C_SiO"]
    assert "pin it down" in readout["q_Si"]["text"] and "do not determine" in readout["C_SiO"]["text"]
    assert constraint_readout({"a": 0.1, "b": 5.0, "c": 1.0})[0]["parameter"] == "a"


def test_slices_through_best_match_the_model_and_the_truth(model):
    m, U, y = model
    ds = gp_slices(m, n=21)
    assert ds.sizes == {"parameter": 3, "t": 21}
    best = U[int(np.nanargmin(y))]
    assert np.allclose(ds.center_u.values, best)
    assert m.gp_.X_train_.shape == (59, 3)  # the failed point is not in the fit
    # at the slice point nearest the centre the slice is the model's own prediction there (2 code paths)
    i = 0
    j = int(np.argmin(abs(ds.t.values - best[i])))
    u = best.copy()
    u[i] = ds.t.values[j]
    mean, std = m.predict(u[None, :], unit=True)
    assert ds["mean"].values[i, j] == pytest.approx(100 * mean[0]) and ds["std"].values[i, j] == pytest.approx(100 * std[0])
    # along q_Si the GP mean follows the known parabola (minimum near u = 0.3), within a few band widths
    truth = 100 * _cost(np.column_stack([ds.t.values, np.full(21, best[1]), np.full(21, best[2])]))
    assert np.max(np.abs(ds["mean"].values[0] - truth)) < 2.0
    assert abs(ds.t.values[int(np.argmin(ds["mean"].values[0]))] - 0.3) <= 0.1
    # parameter values along the slice are the space's mapping of the unit coordinate
    assert np.allclose(ds.value.values[0], m.space.from_unit(np.column_stack([ds.t.values] * 3))[:, 0])
    assert np.all(ds["std"].values >= 0)


def test_points_of_records_and_errors(tmp_path):
    from silica_explorer.forcefield import PRESETS
    from silica_explorer.store import Store
    space = SearchSpace(["q_Si", "C_SiO"], coords="box")
    with Store(tmp_path) as s:
        ff = PRESETS["BKS"].replace(q_Si=2.0, C_SiO=100.0)
        s.append(key="a", forcefield=ff, seed=0, status="ok", R_x=0.2, free=["q_Si", "C_SiO"])
        s.append(key="b", forcefield=ff, seed=0, status="failed", reason="x", free=["q_Si", "C_SiO"], u=[0.1, 0.2])
        recs = s.records()
    U, y = points_of_records(space, recs)
    assert np.allclose(U[0], space.unit_of(ff)) and np.allclose(U[1], [0.1, 0.2])
    assert y[0] == 0.2 and np.isnan(y[1])
    with pytest.raises(ValueError, match="at least 2 successful"):
        fit_surrogate(space, U, y)
    with pytest.raises(ValueError, match="shape"):
        fit_surrogate(space, U[:, :1], y)
