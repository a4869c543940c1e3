import json
import math
import re

import numpy as np
import pytest

from pathlib import Path

from silica_explorer.constants import K_E
from silica_explorer.engine.tables import lammps_pair_lines, table_values, wall_distance, write_lammps_table
from silica_explorer.forcefield import PRESETS, ForceField, dsf_energy, dsf_force, dsf_self_energy
from silica_explorer.parameters import FREE_PARAMETERS, PAIRS, ParameterError
from silica_explorer.presets import FITTED_PRESETS, PRESET_SOURCES, PUBLISHED_PRESETS

FITS = Path(__file__).resolve().parent.parent / "data" / "fits"


def test_presets_match_published_values():
    bks = ForceField.preset("bks")
    assert (bks.q_Si, bks.A_SiO, bks.rho_SiO, bks.C_SiO) == (2.4, 18003.7572, 0.205205, 133.5381)
    assert (bks.A_OO, bks.rho_OO, bks.C_OO) == (1388.7730, 0.362319, 175.0)
    chik = ForceField.preset("CHIK")
    assert chik.rho_SiO == pytest.approx(1 / 5.158606) and chik.C_SiSi == 626.751953
    ml = ForceField.preset("ML")
    assert (ml.q_Si, ml.A_SiO, ml.A_SiSi, ml.rho_SiSi) == (1.955, 20453.601, 0.0, 1.0)
    assert (ml.D_SiO, ml.D_OO, ml.D_SiSi) == (29.0, 113.0, 3423200.0)
    assert set(PRESETS) == {"ML", "BKS", "CHIK", "SHIK", "Teter", "Guillot-Sator", "CHGNet-fit7", "CHGNet-fit10"}
    assert set(PUBLISHED_PRESETS) | set(FITTED_PRESETS) == set(PRESETS) and set(PRESET_SOURCES) == set(PRESETS)


@pytest.mark.parametrize("name,folder", [("CHGNet-fit7", "fit7"), ("CHGNet-fit10", "fit10")])
def test_fitted_presets_are_the_shipped_fits(name, folder):
    """The fitted presets are exactly the best evaluations shipped in data/fits/ (JSON and store)."""
    from silica_explorer.store.reader import StoreReader
    shipped = ForceField.load(FITS / folder / f"{name}.json")
    assert shipped == PRESETS[name]
    with StoreReader(FITS / folder) as store:  # read-only: the shipped file is never written
        best = min((r for r in store.records() if r.ok), key=lambda r: r.R_x)
    assert ForceField.from_dict({**best.forcefield, "name": name}) == PRESETS[name]
    if name == "CHGNet-fit7":  # the paper's setting: Si-Si off
        assert PRESETS[name].A_SiSi == 0 and PRESETS[name].C_SiSi == 0


def test_energy_and_force_hand_computed():
    ml = ForceField.preset("ML")
    r = 1.6
    # Si-O, ML set, bare Coulomb: k q_Si q_O / r + A exp(-r/rho) - C/r^6 + D/r^24, written out by hand
    coul = 14.399645 * 1.955 * (-0.9775) / 1.6
    short = 20453.601 * math.exp(-1.6 / 0.191735) - 93.496 / 1.6**6 + 29.0 / 1.6**24
    assert coul == pytest.approx(-17.19869, abs=1e-5)      # 1.955*0.9775 = 1.9110125; *14.399645/1.6
    assert short == pytest.approx(4.86012 - 5.57280 + 0.000366, abs=2e-5)
    assert ml.pair_energy("SiO", r, coulomb="bare") == pytest.approx(coul + short, rel=1e-12)
    # force = -dU/dr by hand
    f_hand = (14.399645 * 1.955 * (-0.9775) / 1.6**2 + 20453.601 / 0.191735 * math.exp(-1.6 / 0.191735)
              - 6 * 93.496 / 1.6**7 + 24 * 29.0 / 1.6**25)
    assert ml.pair_force("SiO", r, coulomb="bare") == pytest.approx(f_hand, rel=1e-12)


@pytest.mark.parametrize("name", list(PRESETS))
@pytest.mark.parametrize("pair", PAIRS)
def test_force_is_minus_energy_derivative(name, pair):
    ff = ForceField.preset(name)
    r = np.linspace(1.2, 7.9, 400)
    h = 1e-6
    for coulomb in ("dsf", "bare"):
        fd = -(ff.pair_energy(pair, r + h, coulomb) - ff.pair_energy(pair, r - h, coulomb)) / (2 * h)
        np.testing.assert_allclose(ff.pair_force(pair, r, coulomb), fd, rtol=1e-5, atol=1e-6)


def test_dsf_vanishes_smoothly_at_cutoff():
    qq = -1.955 * 0.9775
    assert dsf_energy(qq, 8.0 - 1e-9, 0.25, 8.0) == pytest.approx(0.0, abs=1e-8)
    assert dsf_force(qq, 8.0 - 1e-9, 0.25, 8.0) == pytest.approx(0.0, abs=1e-8)
    assert dsf_energy(qq, 9.0, 0.25, 8.0) == 0.0


def test_dsf_self_energy_conventions_differ_by_published_constant():
    charges = [1.955] * 1000 + [-0.9775] * 2000
    diff = dsf_self_energy(charges, 0.25, 8.0, "lammps") - dsf_self_energy(charges, 0.25, 8.0, "fennell-gezelter")
    assert diff == pytest.approx(-237.40, abs=0.01)


@pytest.mark.parametrize("field,value,fragment", [
    ("rho_SiO", 0.0, "rho_SiO = 0.0 is outside its allowed range (0, inf)"),
    ("rho_OO", -1.0, "rho_OO"),
    ("A_SiO", -5.0, "A_SiO = -5.0 is outside its allowed range [0, inf)"),
    ("C_OO", -1.0, "C_OO"),
    ("q_Si", 0.0, "q_Si = 0.0 is outside its allowed range (0, 4]"),
    ("q_Si", 4.5, "q_Si = 4.5"),
    ("q_Si", float("nan"), "q_Si = nan"),
    ("A_SiSi", float("inf"), "A_SiSi"),
])
def test_bad_values_name_parameter_and_range(field, value, fragment):
    with pytest.raises(ParameterError, match=re.escape(fragment)):
        ForceField.preset("BKS").replace(**{field: value})


def test_unknown_names_rejected():
    with pytest.raises(ParameterError, match="unknown parameter"):
        ForceField.preset("BKS").replace(B_SiO=1.0)
    with pytest.raises(ParameterError, match="unknown preset 'XYZ'"):
        ForceField.preset("XYZ")
    with pytest.raises(ParameterError, match="unknown parameter name"):
        ForceField.preset("BKS").to_vector(["q_Si", "nope"])


def test_vector_round_trip():
    bks = ForceField.preset("BKS")
    v = bks.to_vector()
    assert v.shape == (10,) and list(FREE_PARAMETERS)[:2] == ["q_Si", "A_SiO"]
    back = bks.from_vector(v)
    assert back.to_vector().tolist() == v.tolist()
    two = bks.from_vector([2.0, 15000.0], ["q_Si", "A_SiO"])
    assert (two.q_Si, two.A_SiO, two.rho_SiO) == (2.0, 15000.0, bks.rho_SiO)
    with pytest.raises(ParameterError, match="expected 2 values"):
        bks.from_vector([1.0], ["q_Si", "A_SiO"])


def test_json_round_trip(tmp_path):
    chik = ForceField.preset("CHIK")
    path = chik.save(tmp_path / "chik.json")
    assert ForceField.load(path) == chik
    data = json.loads(path.read_text())
    data["rho_OO"] = -1
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(ParameterError, match="bad.json: rho_OO"):
        ForceField.load(tmp_path / "bad.json")


def test_lammps_table_matches_analytic_and_is_force_consistent(tmp_path):
    ff = ForceField.preset("CHIK")
    path = write_lammps_table(ff, tmp_path / "t.table", n_points=8000, r_inner=1.0, deck="hybrid")
    text = path.read_text().split("\n\n")
    sections = {}
    lines = path.read_text().splitlines()
    for pair in PAIRS:
        k = lines.index(pair)
        assert lines[k + 1] == "N 8000 R 1 8"
        rows = np.array([[float(w) for w in ln.split()] for ln in lines[k + 3:k + 3 + 8000]])
        sections[pair] = rows
    assert text  # file is non-empty
    for pair, rows in sections.items():
        r, e, f = rows[:, 1], rows[:, 2], rows[:, 3]
        np.testing.assert_allclose(e, ff.short_range_energy(pair, r), rtol=1e-12, atol=1e-12)
        # tabulated forces agree with -dE/dr of the tabulated energies (central differences)
        fd = -np.gradient(e, r)
        inner = slice(2, -2)
        np.testing.assert_allclose(f[inner], fd[inner], rtol=2e-3, atol=1e-5)
    lines_in = lammps_pair_lines(ff, "t.table", 8000, deck="hybrid")
    assert lines_in[0] == "pair_style hybrid/overlay table linear 8000 coul/dsf 0.25 8"
    assert "pair_coeff 1 2 table t.table SiO 8" in lines_in
    assert "set type 2 charge -0.955209" in lines_in


# ---------------------------------------------------------------------------- the one-table deck
def _lammps_linear_lookup(ff, pair, n_points, r, part="all"):
    """What ``pair_style table linear N`` does with a file of N points: LAMMPS re-tabulates on N points
    evenly spaced in r^2 from the file's first r to the cutoff and interpolates linearly in r^2. The
    file's points lie at the same r-range, so the re-tabulated values are the analytic ones at the r^2
    nodes (LAMMPS splines the file; at 8000 points the spline error is far below the linear one)."""
    r_in = 0.5
    rsq = np.linspace(r_in**2, ff.r_cut**2, n_points)
    if part == "coulomb":
        e_n, f_n = ff.coulomb_energy(pair, np.sqrt(rsq)), ff.coulomb_force(pair, np.sqrt(rsq))
    else:
        e_n, f_n = table_values(ff, pair, np.sqrt(rsq))
    return np.interp(r**2, rsq, e_n), np.interp(r**2, rsq, f_n)


@pytest.mark.parametrize("preset", ["ML", "BKS", "CHIK", "SHIK"])
def test_one_table_is_eq1_with_dsf_above_the_wall(tmp_path, preset):
    ff = ForceField.preset(preset)
    path = write_lammps_table(ff, tmp_path / "t.table", n_points=8000)
    lines = path.read_text().splitlines()
    for pair in PAIRS:
        k = lines.index(pair)
        assert lines[k + 1] == "N 8000 R 0.5 8"
        rows = np.array([[float(w) for w in ln.split()] for ln in lines[k + 3:k + 3 + 8000]])
        r, e, f = rows[:, 1], rows[:, 2], rows[:, 3]
        r_w = wall_distance(ff, pair)
        # the wall starts where Eq. (1) + DSF reaches 50 eV, far above anything a 3600 K liquid visits
        assert float(ff.pair_energy(pair, r_w)) == pytest.approx(50.0, abs=1e-6)
        above = r >= r_w
        # Eq. (1) + DSF (the last point, r = r_cut, holds the truncated short range's value there)
        np.testing.assert_allclose(e[above], ff.pair_energy(pair, r[above] - 1e-13), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(f[above], ff.pair_force(pair, r[above] - 1e-13), rtol=1e-9, atol=1e-9)
        # inside: a straight wall, continuous in energy and force, finite and repulsive
        inside = ~above
        assert np.all(np.isfinite(e)) and np.all(f[inside] > 0)
        np.testing.assert_allclose(f[inside], ff.pair_force(pair, r_w))
        np.testing.assert_allclose(e[inside], 50.0 + ff.pair_force(pair, r_w) * (r_w - r[inside]))
        # forces are -dE/dr of the tabulated energies everywhere (the wall included): 4th-order
        # central differences (error dr^4 U^(5) / 30, < 1e-4 eV/A at this spacing), away from the kink
        h = r[1] - r[0]
        fd = -(-e[4:] + 8 * e[3:-1] - 8 * e[1:-3] + e[:-4]) / (12 * h)
        smooth = np.abs(r[2:-2] - r_w) > 3 * h
        np.testing.assert_allclose(f[2:-2][smooth], fd[smooth], rtol=1e-5, atol=1e-4)
    lines_in = lammps_pair_lines(ff, "t.table", 8000)
    assert lines_in[0] == "pair_style table linear 8000"
    assert "pair_coeff 1 2 t.table SiO 8" in lines_in
    assert not any("coul/dsf" in ln for ln in lines_in)


@pytest.mark.parametrize("preset", ["ML", "BKS", "CHIK"])
@pytest.mark.parametrize("part", ["all", "coulomb"])
def test_one_table_interpolation_error_is_bounded_over_1_to_8_A(preset, part):
    """LAMMPS's linear-in-r^2 lookup of an 8000-point table against the analytic Eq. (1) + DSF over
    1.2-8 A (where liquids live) and 1-8 A, for the whole pair potential and for the DSF part alone.
    Bound: |error| <= max|U''_{r^2}| (d r^2)^2 / 8, the linear-interpolation bound, evaluated here."""
    ff = ForceField.preset(preset)
    r = np.linspace(1.0, 7.999, 200001)
    drsq = (ff.r_cut**2 - 0.25) / 7999
    for pair in PAIRS:
        e_t, f_t = _lammps_linear_lookup(ff, pair, 8000, r, part)
        if part == "coulomb":
            e_a, f_a = ff.coulomb_energy(pair, r), ff.coulomb_force(pair, r)
        else:
            e_a, f_a = table_values(ff, pair, r)
        err_e = np.abs(e_t - e_a)
        # second derivative of U with respect to s = r^2, numerically on a fine grid
        s = r**2
        d2 = np.abs(np.gradient(np.gradient(e_a, s), s))
        bound = d2.max() * drsq**2 / 8 * 1.05 + 1e-9
        assert err_e.max() <= bound, (pair, err_e.max(), bound)
        # where 3600 K liquids have pairs (g = 0 below: Si-O 1.2, O-O 2.0, Si-Si 2.2 A)
        liquid = r >= {"SiO": 1.2, "OO": 2.0, "SiSi": 2.2}[pair]
        # there: energy error below 2 meV and force error below 0.2 % of the largest force
        assert err_e[liquid].max() < (2e-3 if part == "all" else 1e-4), (pair, err_e[liquid].max())
        assert np.abs(f_t - f_a)[liquid].max() < 2e-3 * np.abs(f_a[liquid]).max() + 1e-6


def test_deck_names_are_checked(tmp_path):
    ff = ForceField.preset("ML")
    with pytest.raises(ParameterError, match="unknown LAMMPS deck 'single'; allowed: \\['one-table', 'hybrid'\\]"):
        lammps_pair_lines(ff, "t.table", deck="single")
    with pytest.raises(ParameterError, match="unknown LAMMPS deck"):
        write_lammps_table(ff, tmp_path / "t", deck="overlay")
