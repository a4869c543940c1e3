"""Issue #12 item 5: search coordinates that fit the physics (log A; repulsion at contact + rho)."""

import math

import numpy as np
import pytest

from silica_explorer.forcefield import PRESETS
from silica_explorer.optimize import SearchSpace, fit
from silica_explorer.parameters import FREE_PARAMETERS, SEARCH_BOUNDS, ParameterError
from silica_explorer.standins import AnalyticCost
from silica_explorer.optimize.space import CONTACT_BOUNDS, CONTACT_R0

SEVEN = ["q_Si", "A_SiO", "rho_SiO", "C_SiO", "A_OO", "rho_OO", "C_OO"]


@pytest.mark.parametrize("coords", ["box", "log", "contact"])
def test_round_trip_and_forcefield_keeps_A_and_rho(coords):
    space = SearchSpace(FREE_PARAMETERS, base="CHIK", coords=coords)
    U = np.random.default_rng(0).random((200, 10))
    np.testing.assert_allclose(space.to_unit(space.from_unit(U)), U, rtol=0, atol=1e-9)
    ff = space.forcefield(U[0])
    np.testing.assert_allclose(space.unit_of(ff), U[0], atol=1e-9)
    X = space.from_unit(U)
    lo, hi = np.array(list(space.bounds.values())).T
    assert np.all(X >= lo * (1 - 1e-12)) and np.all(X <= hi * (1 + 1e-12))  # bounds = range over the box
    assert SearchSpace.from_dict(space.as_dict()).as_dict() == space.as_dict()


def test_log_coordinates_are_geometric_in_A():
    space = SearchSpace(SEVEN, coords="log")
    assert space.transforms == ("linear", "log", "linear", "linear", "log", "linear", "linear")
    lo, hi = SEARCH_BOUNDS["A_SiO"]
    u = np.full(7, 0.5)
    assert space.from_unit(u)[1] == pytest.approx(math.sqrt(lo * hi))
    assert space.from_unit(u)[0] == pytest.approx(sum(SEARCH_BOUNDS["q_Si"]) / 2)
    # an A that may be switched off (lower bound 0) stays linear, and says so
    sisi = SearchSpace(["A_SiSi"], coords="log")
    assert sisi.transforms == ("linear",) and sisi.as_dict()["transforms"] == {"A_SiSi": "linear"}


def test_contact_coordinates_are_log_E0_and_rho():
    space = SearchSpace(SEVEN, coords="contact")
    assert space.keys == ("q_Si", "E0_SiO", "rho_SiO", "C_SiO", "E0_OO", "rho_OO", "C_OO")
    u = np.array([0.3, 0.25, 0.6, 0.1, 0.9, 0.2, 0.5])
    x = dict(zip(SEVEN, space.from_unit(u)))
    for pair, ue, ur in (("SiO", 0.25, 0.6), ("OO", 0.9, 0.2)):
        elo, ehi = CONTACT_BOUNDS[pair]
        rlo, rhi = SEARCH_BOUNDS[f"rho_{pair}"]
        e0 = elo * (ehi / elo) ** ue  # independent: geometric interpolation of E0
        rho = rlo + ur * (rhi - rlo)
        assert x[f"rho_{pair}"] == pytest.approx(rho)
        assert x[f"A_{pair}"] * math.exp(-CONTACT_R0[pair] / x[f"rho_{pair}"]) == pytest.approx(e0, rel=1e-12)
    # A's range over the box is the envelope E0 exp(r0 / rho)
    lo, hi = space.bounds["A_SiO"]
    assert lo == pytest.approx(1.2 * math.exp(1.6 / 0.23)) and hi == pytest.approx(15.0 * math.exp(1.6 / 0.15))
    # with rho fixed, A alone is logarithmic between its own bounds
    two = SearchSpace(["q_Si", "A_SiO"], coords="contact")
    assert two.keys == ("q_Si", "A_SiO") and two.transforms == ("linear", "log")


@pytest.mark.parametrize("coords", ["box", "log", "contact"])
def test_every_preset_is_inside_the_default_seven_parameter_space(coords):
    space = SearchSpace(SEVEN, coords=coords)
    for name, ff in PRESETS.items():
        # independent check of "inside": rho, q, C in their bounds, and (contact) E0 in its bounds
        e0 = {p: getattr(ff, f"A_{p}") * math.exp(-CONTACT_R0[p] / getattr(ff, f"rho_{p}")) for p in ("SiO", "OO")}
        lin = all(SEARCH_BOUNDS[n][0] <= getattr(ff, n) <= SEARCH_BOUNDS[n][1] for n in SEVEN if not n.startswith("A_"))
        a_ok = (all(CONTACT_BOUNDS[p][0] <= e0[p] <= CONTACT_BOUNDS[p][1] for p in e0) if coords == "contact"
                else all(SEARCH_BOUNDS[n][0] <= getattr(ff, n) <= SEARCH_BOUNDS[n][1] for n in ("A_SiO", "A_OO")))
        assert space.contains(ff) == (lin and a_ok) == True, name  # noqa: E712
        np.testing.assert_allclose(space.from_unit(space.unit_of(ff)), [getattr(ff, n) for n in SEVEN], rtol=1e-12)


def test_contact_bounds_validation_names_the_coordinate():
    with pytest.raises(ParameterError, match=r"A_SiO is searched through E0_SiO.*give bounds E0_SiO=LOW:HIGH"):
        SearchSpace(SEVEN, bounds="A_SiO=12000:30000", coords="contact")
    with pytest.raises(ParameterError, match=r"bounds of E0_OO = \(0, 2\) must satisfy 0 < low < high"):
        SearchSpace(SEVEN, bounds="E0_OO=0:2", coords="contact")
    with pytest.raises(ParameterError, match=r"not free.*contact coordinates: \['E0_OO', 'E0_SiO'\]"):
        SearchSpace(SEVEN, bounds="E0_SiSi=1:2", coords="contact")
    with pytest.raises(ParameterError, match=r"coords \(search space\) must be one of \['box', 'log', 'contact'\]"):
        SearchSpace(SEVEN, coords="polar")
    narrow = SearchSpace(SEVEN, bounds="E0_SiO=5:10", coords="contact")
    assert narrow.coord_bounds["E0_SiO"] == (5.0, 10.0)
    assert not narrow.contains(PRESETS["ML"]) and narrow.contains(PRESETS["BKS"])  # ML: 4.86 eV at 1.6 A
    assert "E0_SiO = 4.86 not in [5, 10]" in narrow.outside_reason(PRESETS["ML"])


def test_fit_in_contact_space_evaluates_inside_the_contact_box(tmp_path):
    space = SearchSpace(SEVEN, coords="contact")
    seen = []

    def f(u):
        seen.append(u)
        return float(np.sum((u - 0.4) ** 2))

    res = fit(AnalyticCost(f, space, name="q"), space, "bo", budget=9, seed=0, store=tmp_path,
              options={"n_restarts_optimizer": 0, "n_candidates": 200, "n_ei_starts": 2, "n_initial": 2})
    for e in res.objective.entries:
        p = e["params"]
        for pair in ("SiO", "OO"):
            e0 = p[f"A_{pair}"] * math.exp(-CONTACT_R0[pair] / p[f"rho_{pair}"])
            assert CONTACT_BOUNDS[pair][0] * (1 - 1e-9) <= e0 <= CONTACT_BOUNDS[pair][1] * (1 + 1e-9)
    from silica_explorer.store import Store
    cfg = Store(tmp_path).run_config(res.run_id)
    assert cfg["space"]["coords"] == "contact" and cfg["space"]["bounds"]["E0_SiO"] == list(CONTACT_BOUNDS["SiO"])
    assert SearchSpace.from_dict(cfg["space"]).as_dict() == space.as_dict()
