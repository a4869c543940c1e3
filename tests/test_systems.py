"""Glass systems as data: silica's system reproduces the silica schema exactly, NS3 counts, charges and
presets (the SHIK reduced-unit conversion against the published eV/A values), bad input, and the numpy
Eq. (1) + DSF energy/forces for any number of species. Fast: no MD."""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.special import erfc

from silica_explorer import parameters
from silica_explorer.constants import AVOGADRO, K_E, MASS, MASS_SIO2, cubic_box_length
from silica_explorer.configurations import random_configuration
from silica_explorer.forcefield import PRESETS, ForceField
from silica_explorer.pair_energy import energy_forces, system_energy_forces, system_pair_terms
from silica_explorer.parameters import ParameterError
from silica_explorer.systems import (NS3, NS3_PRESET_SOURCES, NS3_PRESETS, SHIK_NS3, SIO2, SYSTEMS, TETER_NS3, Species,
                                     System, SystemDescriptionError, from_lammps_lj, get_system, system_from_dict,
                                     system_from_file)
from silica_explorer.systems.description import PAIR_TERMS
from silica_explorer.systems.presets_ns3 import (SHIK_LJ_CHARGES, SHIK_LJ_COMPOSITION, SHIK_LJ_PAIR_COEFF, SHIK_TABLE,
                                                 SHIK_TABLE_CHARGES, TETER_NA_O)
from test_engine import numpy_energy_forces

REFERENCE_FRAMES = Path(__file__).resolve().parents[1] / "data" / "reference" / "sio2_3600K_chgnet_production.extxyz.gz"


def silica_values(ff: ForceField) -> dict:
    return {k: v for k, v in ff.as_dict().items() if k != "name"}


def random_ns3(n_units: int, density: float, seed: int, min_separation: float = 1.6):
    """Random sequential insertion of ``n_units`` Na2Si3O7 units at ``density`` g/cm3, every pair at least
    ``min_separation`` A apart (minimum image): positions, species, box."""
    rng = np.random.default_rng(seed)
    box = np.full(3, NS3.box_length(n_units, density))
    species = np.array([s for s, n in NS3.atom_counts(n_units).items() for _ in range(n)])
    rng.shuffle(species)
    pos = np.empty((0, 3))
    for _ in species:
        for _ in range(10000):
            x = rng.uniform(0, box)
            d = pos - x
            d -= box * np.round(d / box)
            if len(pos) == 0 or np.min(np.einsum("ij,ij->i", d, d)) >= min_separation**2:
                pos = np.vstack([pos, x])
                break
        else:
            raise RuntimeError("could not place an atom")
    return pos, species, box


# ---------------------------------------------------------------------------- silica is one system
def test_silica_system_is_the_existing_silica_schema():
    assert SIO2.pairs == parameters.PAIRS
    assert SIO2.pair_species == parameters.PAIR_SPECIES
    assert SIO2.free_parameters == parameters.FREE_PARAMETERS
    assert SIO2.all_parameters == parameters.ALL_PARAMETERS
    assert SIO2.charge_parameters == ("q_Si",)
    assert SIO2.masses == MASS and SIO2.unit_mass == MASS_SIO2  # exactly, not approximately
    for name in parameters.ALL_PARAMETERS:
        term = name.split("_", 1)[0]
        if term in PAIR_TERMS:
            assert parameters.UNITS[name] == PAIR_TERMS[term]
    for n, rho in [(1000, 2.2), (38, 2.2), (64, 2.0), (216, 2.35)]:
        assert SIO2.box_length(n, rho) == cubic_box_length(n, rho)


@pytest.mark.parametrize("name", list(PRESETS))
def test_silica_charges_and_parameters_equal_the_forcefield(name):
    ff = PRESETS[name]
    q = SIO2.charges(silica_values(ff))
    assert q == {"Si": ff.charge("Si"), "O": ff.charge("O")}  # q_O = -q_Si / 2 bit for bit
    checked = SIO2.check_parameters(silica_values(ff))
    terms = system_pair_terms(SIO2, checked)
    for pair, ab in SIO2.pair_species.items():
        assert terms[ab] == ff.pair_params(pair)


def test_silica_validity_limits_are_the_silica_ones():
    bks = silica_values(PRESETS["BKS"])
    for name, value in [("rho_SiO", 0.0), ("A_OO", -1.0), ("q_Si", 4.5), ("q_Si", 0.0), ("C_SiSi", math.inf)]:
        with pytest.raises(ParameterError) as ff_err:
            PRESETS["BKS"].replace(**{name: value})
        with pytest.raises(SystemDescriptionError, match=re.escape(f"{name} = {value!r} is outside")) as sys_err:
            SIO2.check_parameters({**bks, name: value})
        interval = re.search(r"range (\S+)", str(ff_err.value)).group(1)
        assert f"allowed range {interval}" in str(sys_err.value)


# ---------------------------------------------------------------------------- NS3
def test_ns3_counts_pairs_and_densities():
    assert NS3.symbols == ("Si", "Na", "O") and NS3.formula() == "Na2O-3SiO2"
    assert NS3.unit_counts() == {"Na": 2, "O": 7, "Si": 3} and NS3.atoms_per_unit == 12
    assert NS3.atom_counts(17) == {"Si": 51, "Na": 34, "O": 119}
    assert NS3.pairs == ("SiSi", "SiNa", "SiO", "NaNa", "NaO", "OO") and len(NS3.pairs) == 3 * 4 // 2
    assert NS3.pair_name("O", "Na") == "NaO" and NS3.pair_name("Na", "Si") == "SiNa"
    assert NS3.pair_parameters("NaO") == ("A_NaO", "rho_NaO", "C_NaO", "D_NaO")
    assert NS3.charge_parameters == ("q_Si", "q_Na")
    assert NS3.free_parameters[:2] == ("q_Si", "q_Na") and len(NS3.free_parameters) == 2 + 3 * 6
    assert NS3.unit_mass == pytest.approx(2 * 22.98976928 + 3 * 28.0855 + 7 * 15.9994, rel=1e-15)
    # a 204-atom box at the glass density (2.44 g/cm3): mass / volume is the density again
    L = NS3.box_length(17, 2.44)
    assert 17 * NS3.unit_mass / AVOGADRO / (L**3 * 1e-24) == pytest.approx(2.44, rel=1e-12)
    assert NS3.number_density(2.44) == pytest.approx(204 / L**3, rel=1e-12)


@pytest.mark.parametrize("preset", list(NS3_PRESETS))
def test_ns3_box_is_neutral(preset):
    values = NS3.check_parameters(NS3_PRESETS[preset])
    q = NS3.charges(values)
    counts = NS3.atom_counts(17)
    assert abs(sum(counts[s] * q[s] for s in NS3.symbols)) < 1e-12
    expected_o = {"SHIK": -(3 * 1.7755 + 2 * 0.6018) / 7, "Teter": -1.2}[preset]
    assert q["O"] == pytest.approx(expected_o, rel=1e-14)
    rng = np.random.default_rng(1)
    for q_si, q_na in rng.uniform(0.3, 3.0, size=(20, 2)):
        q = NS3.charges({"q_Si": q_si, "q_Na": q_na})
        assert abs(sum(counts[s] * q[s] for s in NS3.symbols)) < 1e-11


def test_shik_reduced_units_convert_to_the_published_ev_angstrom_values():
    converted = from_lammps_lj(SHIK_LJ_PAIR_COEFF, SHIK_LJ_CHARGES)
    for pair, (a, b, c, d) in SHIK_TABLE.items():
        got = (converted[f"A_{pair}"], 1 / converted[f"rho_{pair}"], converted[f"C_{pair}"], converted[f"D_{pair}"])
        if "Na" in pair:  # the Na terms are printed with the same digits in both sources
            assert got == pytest.approx((a, b, c, d), rel=1e-15, abs=0)
        else:  # the silica terms: the file has 10 digits, the table 5 significant ones
            assert got == pytest.approx((a, b, c, d), rel=1e-4, abs=0)
    for s, q in SHIK_TABLE_CHARGES.items():
        assert round(converted[f"q_{s}"], 4) == q
    assert converted["q_Si"] == pytest.approx(6.737574454 / math.sqrt(14.399645), rel=1e-15)
    # the file's q_O is the neutral one of its 0.2Na2O-0.8SiO2 composition for its own q_Si and q_Na
    ns4 = System("NS4", NS3.species, tuple(SHIK_LJ_COMPOSITION.items()))
    assert ns4.charges(converted)["O"] == pytest.approx(SHIK_LJ_CHARGES["O"] / math.sqrt(K_E), rel=1e-9)


def test_silica_shik_preset_is_the_same_file_rounded():
    converted = from_lammps_lj(SHIK_LJ_PAIR_COEFF, SHIK_LJ_CHARGES)
    shik = PRESETS["SHIK"]
    for pair in ("SiO", "OO", "SiSi"):
        assert getattr(shik, f"A_{pair}") == converted[f"A_{pair}"]
        assert getattr(shik, f"C_{pair}") == converted[f"C_{pair}"]
        assert getattr(shik, f"rho_{pair}") == round(converted[f"rho_{pair}"], 6)
    assert shik.q_Si == round(converted["q_Si"], 4)


def test_ns3_presets_values_and_sources():
    shik, teter = SHIK_NS3, TETER_NS3
    assert set(NS3_PRESETS) == set(NS3_PRESET_SOURCES) == {"SHIK", "Teter"}
    for values, silica in ((shik, PRESETS["SHIK"]), (teter, PRESETS["Teter"])):
        for name in parameters.ALL_PARAMETERS[:-2]:  # silica terms and D are the silica preset's
            assert values[name] == getattr(silica, name), name
        assert set(values) == set(NS3.all_parameters[:-2])
    assert (shik["q_Na"], shik["A_NaO"], shik["rho_NaO"], shik["C_NaO"], shik["D_NaO"]) == (
        0.6018, 1127566.0, 1 / 6.8986, 40.562, 16800.0)
    assert (shik["A_SiNa"], shik["rho_SiNa"], shik["C_SiNa"], shik["A_NaNa"], shik["rho_NaNa"], shik["C_NaNa"]) == (
        495653.0, 1 / 5.4151, 0.0, 1476.9, 1 / 3.4075, 0.0)
    assert (teter["q_Na"], teter["A_NaO"], teter["rho_NaO"], teter["C_NaO"]) == (0.6, 4383.7555, 0.243838, 30.70)
    assert TETER_NA_O == {"A": 4383.7555, "rho": 0.243838, "C": 30.70}
    assert teter["A_SiNa"] == teter["A_NaNa"] == teter["C_SiNa"] == teter["C_NaNa"] == 0.0


def test_teter_na_o_barrier_stated_in_the_module_docstring():
    from silica_explorer.forcefield import dsf_energy
    r = np.linspace(0.5, 2.0, 150001)
    t = TETER_NS3
    qq = t["q_Na"] * NS3.charges(t)["O"]
    u = t["A_NaO"] * np.exp(-r / t["rho_NaO"]) - t["C_NaO"] / r**6 + dsf_energy(qq, r, 0.25, 8.0)
    k = int(np.argmax(u))
    assert u[k] == pytest.approx(43.9, abs=0.05) and r[k] == pytest.approx(0.87, abs=0.005)


# ---------------------------------------------------------------------------- bad input, one error each
@pytest.mark.parametrize("build,fragment", [
    (lambda: System("x", (Species("Si", charge=2.4), Species("O", charge=-1.0)), (("SiO2", 1),)),
     "composition: SiO2 is not neutral under the fixed charges"),
    (lambda: System("x", (Species("Si"), Species("O")), (("SiO2", 1),)),
     "one species must be 'neutralizing'"),
    (lambda: System("x", (Species("Si", charge="neutralizing"), Species("O", charge="neutralizing")), (("SiO2", 1),)),
     "only one species may be 'neutralizing'"),
    (lambda: Species("Xe"), "species: unknown element 'Xe'"),
    (lambda: Species("Na", charge="neutral"), "did you mean 'neutralizing'?"),
    (lambda: Species("Na", mass=-1.0), "species Na: mass must be a number > 0"),
    (lambda: System("x", SIO2.species, (("SiO2", 1), ("Na2O", 1))),
     "composition: element(s) ['Na'] are not among the species"),
    (lambda: System("x", NS3.species, (("SiO2", 1),)), "composition: species ['Na'] have no atoms"),
    (lambda: System("x", SIO2.species, (("SiQ2", 1),)), "composition: unknown element 'Q'"),
    (lambda: System("x", SIO2.species, (("SiO2", 1.5),)), "composition: count of 'SiO2' must be an integer > 0"),
    (lambda: NS3.check_parameters({k: v for k, v in SHIK_NS3.items() if k not in ("A_SiNa", "rho_SiNa")}),
     "NS3: pair SiNa is missing its parameter(s) ['A_SiNa', 'rho_SiNa']"),
    (lambda: NS3.check_parameters({k: v for k, v in SHIK_NS3.items() if k != "q_Na"}),
     "missing charge parameter(s) ['q_Na']"),
    (lambda: NS3.check_parameters({**SHIK_NS3, "rho_Na0": 0.2}), "unknown parameter 'rho_Na0'; did you mean 'rho_NaO'?"),
    (lambda: NS3.check_parameters({**SHIK_NS3, "q_O": -1.0}), "unknown parameter 'q_O'"),
    (lambda: NS3.check_parameters({**SHIK_NS3, "rho_NaO": 0.0}), "rho_NaO = 0.0 is outside its allowed range (0, inf)"),
    (lambda: NS3.pair_parameters("ONa"), "unknown pair 'ONa'"),
    (lambda: system_from_dict({**NS3.as_dict(), "compostion": {"SiO2": 1}}),
     "system: unknown key 'compostion'; did you mean 'composition'?"),
    (lambda: system_from_dict({**NS3.as_dict(), "species": [{"symbol": "Si", "charg": "free"}]}),
     "species[0]: unknown key 'charg'; did you mean 'charge'?"),
    (lambda: system_from_dict({"name": "x", "species": []}), "system: missing key(s) ['composition']"),
    (lambda: system_from_dict({**NS3.as_dict(), "silica_explorer_system": 2}), "silica_explorer_system must be 1"),
    (lambda: System("x", ({"symbol": "Si", "mas": 28.0}, {"symbol": "O", "charge": "neutralizing"}), {"SiO2": 1}),
     "species[0]: unknown key 'mas'; did you mean 'mass'?"),
    (lambda: get_system("NS4"), "unknown system 'NS4'; did you mean 'NS3'?"),
])
def test_bad_input_gets_one_error_naming_the_field(build, fragment):
    with pytest.raises(SystemDescriptionError, match=re.escape(fragment)) as err:
        build()
    assert isinstance(err.value, ParameterError) and err.value.__cause__ is None


# ---------------------------------------------------------------------------- JSON form
def test_json_round_trip_and_files(tmp_path):
    for system in SYSTEMS.values():
        assert system_from_dict(json.loads(system.to_json())) == system
    path = tmp_path / "ns3.json"
    path.write_text(NS3.to_json())
    assert system_from_file(path) == NS3 and get_system(path) == NS3
    assert get_system("ns3") is NS3 and get_system("SiO2") is SIO2
    # masses default to the element's; the composition's order is kept
    mini = system_from_dict({"name": "NS2", "composition": {"Na2O": 1, "SiO2": 2},
                             "species": [{"symbol": "Si"}, {"symbol": "Na"}, {"symbol": "O", "charge": "neutralizing"}]})
    assert mini.masses == NS3.masses and mini.unit_counts() == {"Na": 2, "O": 5, "Si": 2}
    bad = NS3.as_dict()
    bad["species"][1]["symbol"] = "Nb"
    path.write_text(json.dumps(bad))
    with pytest.raises(SystemDescriptionError, match=re.escape(f"{path}: species: unknown element 'Nb'")):
        system_from_file(path)


# ---------------------------------------------------------------------------- numpy Eq. (1) + DSF
@pytest.mark.parametrize("preset", ["CHIK", "SHIK"])
def test_energy_forces_equal_the_silica_reference_on_a_random_frame(preset):
    ff = PRESETS[preset]
    conf = random_configuration(60, 17.0, seed=4, min_separation=(2.5, 1.5, 2.2))
    e_ref, f_ref = numpy_energy_forces(ff, conf)
    e, f = system_energy_forces(SIO2, silica_values(ff), conf.positions, conf.species, conf.box)
    assert abs(e - e_ref) <= 1e-10 * abs(e_ref)
    assert np.linalg.norm(f - f_ref) <= 1e-10 * np.linalg.norm(f_ref)


@pytest.mark.parametrize("preset", ["CHIK", "BKS"])
def test_energy_equals_the_silica_pair_sums_on_a_real_liquid_frame_with_images(preset):
    """The CHGNet reference liquid (192 atoms, 14.26 A box < 2 r_cut): periodic images matter."""
    from silica_explorer.parameters import PAIR_SPECIES, PAIRS
    from silica_explorer.reference import read_frames
    from silica_explorer.reweight import pair_distances
    conf = read_frames(REFERENCE_FRAMES, index="-1:")[0][-1]
    assert np.all(conf.box < 16.0)
    ff = PRESETS[preset]
    dist = pair_distances(conf, ff.r_cut)
    e_ref = sum((0.5 if PAIR_SPECIES[p][0] == PAIR_SPECIES[p][1] else 1.0) * float(np.sum(ff.pair_energy(p, dist[p])))
                for p in PAIRS)
    e, f = system_energy_forces(SIO2, silica_values(ff), conf.positions, conf.species, conf.box)
    assert abs(e - e_ref) <= 1e-10 * abs(e_ref)
    assert np.abs(f.sum(axis=0)).max() < 1e-10 * np.abs(f).max()


def test_two_atoms_by_hand():
    """One Na-O pair 2.3 A apart in a 20 A box: Eq. (1) + DSF written out."""
    A, rho, C, D = 1127566.0, 1 / 6.8986, 40.562, 16800.0
    q_na, q_o, a, rc, r = 0.6018, -0.9328714285714286, 0.25, 8.0, 2.3
    dsf = (erfc(a * r) / r - erfc(a * rc) / rc
           + (erfc(a * rc) / rc**2 + 2 * a / math.sqrt(math.pi) * math.exp(-a * a * rc * rc) / rc) * (r - rc))
    by_hand = A * math.exp(-r / rho) - C / r**6 + D / r**24 + 14.399645 * q_na * q_o * dsf
    e, f = energy_forces([[1.0, 1.0, 1.0], [1.0 + r, 1.0, 1.0]], ["Na", "O"], 20.0,
                         {("O", "Na"): (A, rho, C, D), ("Na", "Na"): (0, 1, 0, 0), ("O", "O"): (0, 1, 0, 0)},
                         {"Na": q_na, "O": q_o})
    assert e == pytest.approx(by_hand, rel=1e-13)
    assert f[0, 0] == -f[1, 0] and f[0, 1] == f[0, 2] == 0.0 and f[0, 0] > 0  # Na pulled towards O at 2.3 A
    with pytest.raises(ValueError, match="pair Na-Na has no"):
        energy_forces([[0, 0, 0], [2, 0, 0]], ["Na", "O"], 20.0, {("O", "Na"): (A, rho, C, D)}, {"Na": 1, "O": -1})


@pytest.fixture(scope="module")
def small_ns3():
    """3 NS3 units (36 atoms) at 2.44 g/cm3: a 7.9 A box, shorter than r_cut, so every atom sees its own images."""
    return random_ns3(3, 2.44, seed=7)


@pytest.mark.parametrize("preset", list(NS3_PRESETS))
def test_ns3_forces_are_minus_the_energy_gradient(small_ns3, preset):
    pos, species, box = small_ns3
    assert box[0] < 8.0
    values = NS3_PRESETS[preset]
    e0, f = system_energy_forces(NS3, values, pos, species, box)
    assert np.isfinite(e0) and np.abs(f).max() > 1.0
    h = 1e-5
    rng = np.random.default_rng(3)
    for i in [int(np.flatnonzero(species == s)[0]) for s in NS3.symbols] + list(rng.integers(0, len(pos), 3)):
        for k in range(3):
            step = np.zeros_like(pos)
            step[i, k] = h
            e_plus, _ = system_energy_forces(NS3, values, pos + step, species, box)
            e_minus, _ = system_energy_forces(NS3, values, pos - step, species, box)
            assert -(e_plus - e_minus) / (2 * h) == pytest.approx(f[i, k], rel=1e-6, abs=1e-6), (i, k, species[i])


def test_ns3_newton_third_law_and_invariances(small_ns3):
    pos, species, box = small_ns3
    e, f = system_energy_forces(NS3, SHIK_NS3, pos, species, box)
    assert np.abs(f.sum(axis=0)).max() < 1e-10 * np.abs(f).max()
    # a rigid translation and a relabelling of the atoms change nothing
    e_t, f_t = system_energy_forces(NS3, SHIK_NS3, pos + np.array([3.1, -7.7, 100.3]), species, box)
    order = np.random.default_rng(0).permutation(len(pos))
    e_p, f_p = system_energy_forces(NS3, SHIK_NS3, pos[order], species[order], box)
    assert e_t == pytest.approx(e, rel=1e-12) and e_p == pytest.approx(e, rel=1e-12)
    np.testing.assert_allclose(f_t, f, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(f_p, f[order], rtol=1e-9, atol=1e-9)
    # one formula unit's worth of periodic copies: the box doubled holds the same atoms eight times
    shifts = np.array([[i, j, k] for i in range(2) for j in range(2) for k in range(2)], dtype=float)
    big = np.concatenate([pos + s * box for s in shifts])
    e_big, _ = system_energy_forces(NS3, SHIK_NS3, big, np.tile(species, 8), 2 * box)
    assert e_big == pytest.approx(8 * e, rel=1e-10)
