"""Forcefields, LAMMPS tables/decks and random starts for any glass system (issue 27, step 2), and the
proof that silica's are unchanged."""

import json
from pathlib import Path

import pytest

from silica_deck_digests import all_cases

DIGESTS = Path(__file__).parent / "data" / "silica_deck_digests.json"


def test_silica_decks_tables_and_starts_are_byte_identical_to_before_the_generic_writers():
    """Every silica melt and quench deck (input, start.data, ff.table, pair lines) for every preset,
    fidelity / protocol and deck hashes to the digests committed before the generic writers existed."""
    before = json.loads(DIGESTS.read_text())
    now = all_cases()
    assert sorted(now) == sorted(before)
    changed = [(case, name) for case in before for name in before[case] if now[case][name] != before[case][name]]
    assert not changed, changed[:10]


# ------------------------------------------------------------------------------ step 1: the forcefield
import numpy as np  # noqa: E402

from silica_explorer.forcefield import PRESETS  # noqa: E402
from silica_explorer.pair_energy import energy_forces  # noqa: E402
from silica_explorer.systems import (NS3, NS3_PRESETS, SIO2, SYSTEM_PRESETS, Species, System,  # noqa: E402
                                     SystemDescriptionError, SystemForceField, as_system_forcefield,
                                     silica_forcefield, system_forcefield)

R = np.linspace(0.5, 8.5, 4001)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_silica_forcefield_viewed_as_system_forcefield_gives_identical_numbers(preset):
    ff = PRESETS[preset]
    view = system_forcefield(ff)
    assert view.system == SIO2 and view.name == ff.name
    assert view.charges() == {"Si": ff.charge("Si"), "O": ff.charge("O")}
    for pair in ("SiSi", "SiO", "OO"):
        assert view.pair_params(pair) == ff.pair_params(pair)
        assert np.array_equal(view.pair_energy(pair, R), ff.pair_energy(pair, R))
        assert np.array_equal(view.pair_force(pair, R), ff.pair_force(pair, R))
        assert np.array_equal(view.short_range_force(pair, R), ff.short_range_force(pair, R))
    back = silica_forcefield(view)
    assert back == ff and back.to_json() == ff.to_json()
    assert SYSTEM_PRESETS[f"{preset}-SiO2"] == view == as_system_forcefield(ff)
    assert as_system_forcefield(view) is view


@pytest.mark.parametrize("preset", ["SHIK-NS3", "Teter-NS3"])
def test_ns3_pair_energy_and_force_equal_the_independent_numpy_sum_for_every_pair(preset):
    """Two atoms in a 40 A box: the forcefield's U(r) and -dU/dr equal pair_energy.energy_forces."""
    ff = SystemForceField.preset(preset)
    assert ff.system == NS3 and ff.name == preset
    assert ff.values == {**{"alpha": 0.25, "r_cut": 8.0}, **NS3_PRESETS[preset.split("-")[0]]} | ff.values
    q = ff.charges()
    assert 3 * q["Si"] + 2 * q["Na"] + 7 * q["O"] == pytest.approx(0.0, abs=1e-12)
    terms = {ab: ff.pair_params(p) for p, ab in NS3.pair_species.items()}
    for pair, (a, b) in NS3.pair_species.items():
        for r in (1.1, 1.7, 2.6, 4.3, 7.9):
            pos = np.array([[5.0, 5.0, 5.0], [5.0 + r, 5.0, 5.0]])
            e, f = energy_forces(pos, [a, b], 40.0, terms, q)
            assert float(ff.pair_energy(pair, r)) == pytest.approx(e, rel=1e-12, abs=1e-12)
            assert float(ff.pair_force(pair, r)) == pytest.approx(-f[0, 0], rel=1e-12, abs=1e-12)
        assert float(ff.pair_energy(pair, 8.0)) == 0.0 == float(ff.pair_force(pair, 8.2))


def test_system_forcefield_json_round_trip_embeds_builtin_systems_by_name_and_others_in_full(tmp_path):
    ff = SystemForceField.preset("SHIK-NS3")
    data = json.loads(ff.to_json())
    assert data["silica_explorer_system_forcefield"] == 1 and data["system"] == "NS3"
    assert list(data["parameters"]) == list(NS3.all_parameters)
    assert SystemForceField.from_json(ff.to_json()) == ff
    assert SystemForceField.load(ff.save(tmp_path / "ff.json")) == ff
    # a system that is not built in travels as its full description
    nk = System(name="NK", species=(Species("Si", charge="free"), Species("K", charge=0.5),
                                    Species("O", charge="neutralizing")), composition=(("K2O", 1), ("SiO2", 4)))
    values = {k.replace("Na", "K"): v for k, v in ff.values.items() if k != "q_Na"}
    custom = SystemForceField(nk, values, "NK test")
    assert json.loads(custom.to_json())["system"] == nk.as_dict()
    assert SystemForceField.from_json(custom.to_json()) == custom
    assert custom.charges()["O"] == pytest.approx(-(4 * custom.charge("Si") + 2 * 0.5) / 9)


@pytest.mark.parametrize("change, match", [
    (dict(A_NaOO=1.0), r"NS3: unknown parameter 'A_NaOO'; did you mean 'A_NaO'\?"),
    (dict(rho_NaO=-0.2), r"NS3: rho_NaO = -0.2 is outside its allowed range"),
    (dict(q_Na="x"), r"NS3: q_Na = 'x' is outside"),
])
def test_bad_parameters_raise_one_error_naming_the_field(change, match):
    with pytest.raises(SystemDescriptionError, match=match):
        SystemForceField.preset("SHIK-NS3").replace(**change)


def test_missing_pair_terms_bad_json_and_unknown_presets_name_the_field():
    values = SystemForceField.preset("Teter-NS3").values
    del values["D_SiNa"]
    with pytest.raises(SystemDescriptionError, match=r"pair SiNa is missing its parameter\(s\) \['D_SiNa'\]"):
        SystemForceField(NS3, values)
    good = json.loads(SystemForceField.preset("Teter-NS3").to_json())
    with pytest.raises(SystemDescriptionError, match=r"unknown key 'paramters'; did you mean 'parameters'"):
        SystemForceField.from_dict({**{k: v for k, v in good.items() if k != "parameters"},
                                    "paramters": good["parameters"]})
    with pytest.raises(SystemDescriptionError, match=r"unknown system 'NS4'"):
        SystemForceField.from_dict({**good, "system": "NS4"})
    with pytest.raises(SystemDescriptionError, match=r"unknown system preset 'SHIK-NS4'; did you mean 'SHIK-NS3'"):
        SystemForceField.preset("SHIK-NS4")
    with pytest.raises(SystemDescriptionError, match="only a SiO2 forcefield is a silica ForceField, got NS3"):
        silica_forcefield(SystemForceField.preset("SHIK-NS3"))
