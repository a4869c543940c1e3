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


# ------------------------------------------------------------------------------ step 2: tables and decks
from silica_explorer.configurations import TYPE_OF  # noqa: E402
from silica_explorer.engine.tables import (TABLE_R_INNER, energy_turnover, lammps_mass_lines,  # noqa: E402
                                           lammps_pair_lines, lammps_setup_lines, lammps_types, table_values,
                                           wall_distance, write_lammps_table)


def read_table(path, pairs, n_points):
    """Section keyword -> (r, U, F) rows of a LAMMPS table file, checking each section's header."""
    lines = path.read_text().splitlines()
    out = {}
    for pair in pairs:
        k = lines.index(pair)
        out[pair] = np.array([[float(w) for w in ln.split()[1:]] for ln in lines[k + 3:k + 3 + n_points]]).T
    assert [ln for ln in lines if ln in pairs] == list(pairs)
    return out


def test_silica_types_masses_and_deck_lines_are_the_same_through_the_system_view():
    assert lammps_types(SIO2) == TYPE_OF
    assert lammps_mass_lines(SIO2) == ["mass 1 28.0855", "mass 2 15.9994"]
    for ff in PRESETS.values():
        for deck in ("one-table", "hybrid"):
            kw = dict(deck=deck, neighbor_skin=1.0, thermo_columns="step pe", thermo_every=10)
            assert lammps_setup_lines(ff, 8000, **kw) == lammps_setup_lines(system_forcefield(ff), 8000, **kw)


@pytest.mark.parametrize("preset", ["SHIK-NS3", "Teter-NS3"])
def test_ns3_table_and_pair_lines_cover_all_six_pairs_and_three_types(tmp_path, preset):
    ff = SystemForceField.preset(preset)
    path = write_lammps_table(ff, tmp_path / "ff.table", n_points=2000)
    sections = read_table(path, NS3.pairs, 2000)
    for pair, (r, e, f) in sections.items():
        assert path.read_text().count(f"\n{pair}\nN 2000 R 0.5 8\n") == 1
        e_t, f_t = table_values(ff, pair, r)
        np.testing.assert_array_equal(e, np.array([float(f"{x:.16e}") for x in e_t]))
        r_w = wall_distance(ff, pair)
        above = r >= (r_w if r_w is not None else 0.0)
        np.testing.assert_allclose(e[above], ff.pair_energy(pair, r[above] - 1e-13), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(f[above], ff.pair_force(pair, r[above] - 1e-13), rtol=1e-9, atol=1e-9)
    lines = lammps_pair_lines(ff, "ff.table", 2000)
    assert lines[0] == "pair_style table linear 2000"
    assert lines[1:7] == ["pair_coeff 1 1 ff.table SiSi 8", "pair_coeff 1 2 ff.table SiNa 8",
                          "pair_coeff 1 3 ff.table SiO 8", "pair_coeff 2 2 ff.table NaNa 8",
                          "pair_coeff 2 3 ff.table NaO 8", "pair_coeff 3 3 ff.table OO 8"]
    q = ff.charges()
    assert lines[7:] == [f"set type {t} charge {q[s]:.12g}" for s, t in (("Si", 1), ("Na", 2), ("O", 3))]
    assert lammps_mass_lines(NS3) == ["mass 1 28.0855", "mass 2 22.98976928", "mass 3 15.9994"]
    hybrid = lammps_pair_lines(ff, "ff.table", 2000, deck="hybrid")
    assert "pair_coeff 2 3 table ff.table NaO 8" in hybrid and len(hybrid) == 2 + 6 + 3


def test_the_wall_rule_is_the_same_for_every_pair_so_teter_na_o_keeps_its_turnover(tmp_path):
    """Teter/Du Na-O (no D) turns over at 43.9 eV near 0.87 A: below the 50 eV wall energy, so by the
    silica rule it gets no wall and its table is Eq. (1) + DSF down to 0.5 A, maximum and fall included,
    exactly as silica BKS O-O keeps its 15 eV turnover and well above the wall D puts at ~1.0 A."""
    teter = SystemForceField.preset("Teter-NS3")
    assert wall_distance(teter, "NaO") is None
    r_max, u_max = energy_turnover(teter, "NaO")
    assert r_max == pytest.approx(0.867, abs=2e-3) and u_max == pytest.approx(43.91, abs=0.01)
    assert float(teter.pair_force("NaO", r_max)) == pytest.approx(0.0, abs=1e-6)
    (r, e, f), = read_table(write_lammps_table(teter, tmp_path / "t.table", n_points=8000), ["NaO"], 8000).values()
    np.testing.assert_allclose(e, teter.pair_energy("NaO", np.minimum(r, 7.9999999)), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(f, teter.pair_force("NaO", np.minimum(r, 7.9999999)), rtol=1e-9, atol=1e-9)
    assert e.max() == pytest.approx(u_max, abs=1e-3) and e[0] < -1000.0 and r[0] == TABLE_R_INNER
    # the silica analogue, tabulated by the same rule before this change
    bks = PRESETS["BKS"]
    r_oo, u_oo = energy_turnover(bks, "OO")
    assert 1.3 < r_oo < 1.5 and 10.0 < u_oo < 20.0 and wall_distance(bks, "OO") < 1.05
    # pairs that rise into their wall have no turnover; the pure-Coulomb Na-Na and Si-Na neither
    for ff in (SystemForceField.preset("SHIK-NS3"), teter):
        assert [p for p in NS3.pairs if energy_turnover(ff, p) is not None] == ([] if ff is not teter else
                                                                                 ["NaO", "OO"])
    assert wall_distance(teter, "NaNa") is None and np.all(teter.pair_force("NaNa", np.linspace(0.5, 7.9, 99)) > 0)


# ------------------------------------------------------------------------------ step 3: random starts
from scipy.spatial import cKDTree  # noqa: E402

from silica_explorer.configurations import random_configuration  # noqa: E402
from silica_explorer.constants import cubic_box_length  # noqa: E402
from silica_explorer.systems import DEFAULT_PAIR_SEPARATION, min_separations, random_system_configuration  # noqa: E402


@pytest.mark.parametrize("seed", [0, 7])
def test_silica_through_the_system_random_start_is_the_silica_start_to_the_bit(seed):
    a = random_system_configuration(SIO2, 64, 2.2, seed)
    b = random_configuration(64, cubic_box_length(64, 2.2), seed)
    assert np.array_equal(a.positions, b.positions) and np.array_equal(a.species, b.species)
    assert np.array_equal(a.box, b.box)


def pair_min_distances(conf, system):
    """Smallest minimum-image distance (A) of every pair of ``system`` in ``conf``."""
    out = {}
    for pair, (a, b) in system.pair_species.items():
        pa, pb = conf.wrapped()[conf.species == a], conf.wrapped()[conf.species == b]
        d, _ = cKDTree(pb, boxsize=conf.box).query(pa, k=2 if a == b else 1)
        out[pair] = float((d[:, 1] if a == b else d).min())
    return out


def test_random_ns3_start_has_the_composition_box_and_minimum_separations():
    conf = random_system_configuration(NS3, 25, 2.45, seed=3)
    assert {s: int((conf.species == s).sum()) for s in ("Si", "Na", "O")} == {"Si": 75, "Na": 50, "O": 175}
    assert conf.box[0] == pytest.approx(NS3.box_length(25, 2.45))
    seps = min_separations(NS3)
    assert seps == {p: DEFAULT_PAIR_SEPARATION[p] for p in NS3.pairs}
    got = pair_min_distances(conf, NS3)
    assert all(got[p] >= seps[p] for p in NS3.pairs), got
    assert random_system_configuration(NS3, 25, 2.45, seed=3).positions.tolist() == conf.positions.tolist()
    # overrides by pair, and one clear error for an unknown pair or a bad value
    assert min_separations(NS3, {"NaO": 2.0})["NaO"] == 2.0 and set(min_separations(NS3, 1.0).values()) == {1.0}
    with pytest.raises(SystemDescriptionError, match=r"unknown pair 'ONa'"):
        min_separations(NS3, {"ONa": 2.0})
    with pytest.raises(SystemDescriptionError, match=r"min_separation of NaO = 9.0 must be a number in \[0.5, 3\] A"):
        min_separations(NS3, {"NaO": 9.0})
    with pytest.raises(RuntimeError, match="could not place atom"):
        random_system_configuration(NS3, 25, 2.45, seed=3, min_separation=3.0)


# ------------------------------------------------------------------------------ step 4: LAMMPS = numpy for NS3
from silica_explorer.forcefield import dsf_self_energy  # noqa: E402
from silica_explorer.pair_energy import system_energy_forces  # noqa: E402


@pytest.fixture(scope="module")
def ns3_start():
    """300 NS3 atoms (25 units) at 2.45 g/cm3, random with the default minimum separations (box 16.1 A)."""
    return random_system_configuration(NS3, 25, 2.45, seed=5)


@pytest.mark.parametrize("deck", ["one-table", "hybrid"])
@pytest.mark.parametrize("preset", ["SHIK-NS3", "Teter-NS3"])
def test_lammps_equals_numpy_on_ns3_within_the_silica_tolerance(engine, ns3_start, preset, deck):
    """LAMMPS ``run 0`` through the engine's deck path (table, pair lines, three types) against the
    independent numpy Eq. (1) + DSF: the silica test's tolerances (1e-6 relative at 400000 points)."""
    ff = SystemForceField.preset(preset)
    e_np, f_np = system_energy_forces(NS3, ff.values, ns3_start.positions, ns3_start.species, ns3_start.box)
    if deck == "hybrid":  # coul/dsf adds LAMMPS's constant self term; the one-table deck has none
        q = ff.charges()
        e_np += dsf_self_energy([q[s] for s in ns3_start.species], ff.alpha, ff.r_cut, "lammps")
    e_l, f_l = engine.single_point(ff, ns3_start, table_points=400000, deck=deck)
    print(f"{preset} {deck}: E_lammps {e_l:.6f} E_numpy {e_np:.6f} eV, rel {abs(e_l - e_np) / abs(e_np):.2e}; "
          f"|dF|/|F| {np.linalg.norm(f_l - f_np) / np.linalg.norm(f_np):.2e}")
    assert abs(e_l - e_np) / abs(e_np) < 1e-6
    assert np.linalg.norm(f_l - f_np) / np.linalg.norm(f_np) < 1e-6


@pytest.mark.parametrize("preset", ["SHIK-NS3", "Teter-NS3"])
def test_production_table_on_ns3_is_within_the_silica_production_tolerance(engine, preset):
    """The default 8000-point one-table deck: energy within 2e-5 eV/atom and forces within 1e-4 relative of
    numpy, as for silica's production tables, on a start whose Na-O pairs are >= 1.9 A apart (where a
    liquid's Na-O g(r) begins). At the default 1.6 A SHIK's Na-O is at 13.1 eV on its steep wall, and the
    linear-in-r^2 lookup there gives 4.0e-5 eV/atom (measured; forces 3.6e-5 relative)."""
    conf = random_system_configuration(NS3, 25, 2.45, seed=5, min_separation={"NaO": 1.9})
    ff = SystemForceField.preset(preset)
    e_np, f_np = system_energy_forces(NS3, ff.values, conf.positions, conf.species, conf.box)
    e_l, f_l = engine.single_point(ff, conf, table_points=8000)
    print(f"{preset} 8000 points: dE/atom {abs(e_l - e_np) / conf.n_atoms:.2e} eV, "
          f"|dF|/|F| {np.linalg.norm(f_l - f_np) / np.linalg.norm(f_np):.2e}")
    assert abs(e_l - e_np) / conf.n_atoms < 2e-5
    assert np.linalg.norm(f_l - f_np) / np.linalg.norm(f_np) < 1e-4


def test_single_point_refuses_species_outside_the_system(engine, ns3_start):
    with pytest.raises(ValueError, match=r"species \['Na'\] are not in system SiO2"):
        engine.single_point(PRESETS["ML"], ns3_start)


# ------------------------------------------------------------------------------ step 5: a tiny NS3 melt
from silica_explorer.engine.lammps import write_melt_deck  # noqa: E402
from silica_explorer.fidelity import FidelityError  # noqa: E402
from silica_explorer.systems import system_fidelity  # noqa: E402
from silica_explorer.structure import partial_pdfs  # noqa: E402


def numpy_partial_g(frames, system, r_max, dr):
    """g(r) of every pair from stored frames by cKDTree histograms (LAMMPS compute rdf's normalisation:
    ordered pairs, N_b - 1 for like species), independent of LAMMPS."""
    edges = np.arange(0.0, r_max + dr / 2, dr)
    shells = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    out = {}
    for pair, (a, b) in system.pair_species.items():
        hist = np.zeros(len(edges) - 1)
        for conf in frames:
            pos = np.mod(conf.positions, conf.box)
            pa, pb = pos[conf.species == a], pos[conf.species == b]
            d = cKDTree(pa, boxsize=conf.box).sparse_distance_matrix(cKDTree(pb, boxsize=conf.box), r_max,
                                                                      output_type="ndarray")["v"]
            hist += np.histogram(d[d > 0], bins=edges)[0]
            n_a, n_b = len(pa), len(pb) - (a == b)
        out[pair] = hist / len(frames) * conf.volume / (n_a * n_b) / shells
    return out


@pytest.fixture(scope="module")
def ns3_melt(engine):
    fid = system_fidelity("tiny", NS3, temperature=3600.0, density=2.45, frame_every=10)
    res = engine.melt(SystemForceField.preset("SHIK-NS3"), fid, seed=1)
    assert res.ok, res.reason
    assert res.engine == "lammps" and res.record()["fidelity"]["system"] == "NS3"
    return res


def test_tiny_ns3_melt_has_the_partial_g_of_all_six_pairs(ns3_melt):
    pdf = ns3_melt.pdf
    assert list(pdf.pair.values) == list(NS3.pairs)
    assert {k: pdf.attrs[k] for k in ("n_Si", "n_Na", "n_O", "system")} == {"n_Si": 75, "n_Na": 50, "n_O": 175,
                                                                           "system": "NS3"}
    peak = {p: float(pdf.r[int(np.argmax(pdf.g.sel(pair=p).values))]) for p in NS3.pairs}
    assert 1.55 <= peak["SiO"] <= 1.70 and 2.1 <= peak["NaO"] <= 2.5 and 2.5 <= peak["OO"] <= 2.75
    for p in NS3.pairs:  # every pair's g tends to 1 (within the noise of 0.5 ps and 300 atoms)
        assert abs(float(pdf.g.sel(pair=p, r=slice(6.0, 7.0)).mean()) - 1.0) < 0.15, p
    # Si-O coordination ~ 4: n_O / V * integral of 4 pi r^2 g_SiO up to the first minimum (2.3 A)
    r, g = pdf.r.values, pdf.g.sel(pair="SiO").values
    cn = pdf.attrs["n_O"] / pdf.attrs["volume"] * np.sum(4 * np.pi * r**2 * g * pdf.attrs["dr"] * (r < 2.3))
    assert 3.6 < cn < 4.5
    assert sorted(set(ns3_melt.final.species)) == ["Na", "O", "Si"] and ns3_melt.final.n_atoms == 300


def test_ns3_lammps_rdf_equals_numpy_histograms_of_the_same_frames(ns3_melt):
    fid = ns3_melt.fidelity
    traj = ns3_melt.trajectory
    frames = [traj.frame(k) for k in range(traj.n_frames) if traj.steps[k] > 0]  # LAMMPS samples steps > 0
    assert len(frames) == fid.production_steps // fid.rdf_every
    g = numpy_partial_g(frames, NS3, fid.rdf_r_max, fid.rdf_dr)
    for pair in NS3.pairs:
        lmp = ns3_melt.pdf.g.sel(pair=pair).values
        # dumped coordinates carry 10 significant digits: a pair may rarely land in a neighbouring bin
        np.testing.assert_allclose(g[pair], lmp, atol=2e-3 * lmp.max(), err_msg=pair)
        assert np.abs(g[pair] - lmp).mean() < 1e-4, pair
    # the structure module's partial PDFs of the same frames (species and pairs from the frames) agree too
    pdf = partial_pdfs(frames, r_max=fid.rdf_r_max, dr=fid.rdf_dr)
    assert list(pdf.pair.values) == list(NS3.pairs) and pdf.attrs["n_Na"] == 50
    np.testing.assert_allclose(pdf.r.values, ns3_melt.pdf.r.values, atol=1e-9)
    for pair in NS3.pairs:
        lmp = ns3_melt.pdf.g.sel(pair=pair).values
        np.testing.assert_allclose(pdf.g.sel(pair=pair).values, g[pair], rtol=1e-12, atol=1e-12, err_msg=pair)
        np.testing.assert_allclose(pdf.g.sel(pair=pair).values, lmp, atol=2e-3 * lmp.max(), err_msg=pair)


def test_system_melt_deck_lists_every_type_pair_and_checks_the_box(tmp_path):
    ff = SystemForceField.preset("Teter-NS3")
    script = write_melt_deck(tmp_path / "d", ff, system_fidelity("tiny", NS3, 3600.0, 2.45), 0).read_text()
    assert "compute rdf all rdf 350 1 1 1 2 1 3 2 2 2 3 3 3 cutoff 7" in script
    assert "mass 2 22.98976928" in script and "3 atom types" in (tmp_path / "d" / "start.data").read_text()
    with pytest.raises(FidelityError, match=r"rdf_r_max = 7.0 A exceeds half the box"):
        system_fidelity("tiny", NS3, 3600.0, 2.45, n_units=10)


def test_a_system_forcefield_file_with_a_bad_value_names_the_file_and_the_field(tmp_path):
    path = SystemForceField.preset("SHIK-NS3").save(tmp_path / "ns3.json")
    data = json.loads(path.read_text())
    data["parameters"]["rho_NaO"] = 0.0
    path.write_text(json.dumps(data))
    with pytest.raises(SystemDescriptionError, match=r"ns3.json: NS3: rho_NaO = 0.0 is outside"):
        SystemForceField.load(path)


def test_hoomd_pair_tables_cover_every_ns3_pair_with_the_lammps_values(tmp_path):
    """HOOMD's tables (no HOOMD needed to build them): the six NS3 pairs, the LAMMPS one-table values at
    the same points; silica's are the same arrays through the system view."""
    from silica_explorer.engine.hoomd_setup import pair_tables
    ff = SystemForceField.preset("Teter-NS3")
    tables = pair_tables(ff, 2000)
    assert list(tables) == list(NS3.pairs)
    sections = read_table(write_lammps_table(ff, tmp_path / "t.table", n_points=2000), NS3.pairs, 2000)
    for pair, (r, e, f) in sections.items():
        np.testing.assert_allclose(tables[pair]["U"], e[:-1], rtol=1e-15, atol=1e-12)
        np.testing.assert_allclose(tables[pair]["F"], f[:-1], rtol=1e-15, atol=1e-12)
    silica = pair_tables(PRESETS["CHIK"], 2000)
    for pair, params in pair_tables(system_forcefield(PRESETS["CHIK"]), 2000).items():
        assert np.array_equal(params["U"], silica[pair]["U"]) and np.array_equal(params["F"], silica[pair]["F"])
