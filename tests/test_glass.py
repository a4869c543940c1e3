"""The glass check on LAMMPS and in numpy: quench protocols and their errors, a tiny quench, failures as
records, the neutron S(Q) against a direct Debye sum on the quench's own frames, the Faber-Ziman weights,
the anchors file and the ``glass`` command end to end. Tiny systems only (128 SiO2, 4.8 ps)."""

import json

import numpy as np
import pytest
import xarray as xr
from scipy.spatial import cKDTree

from silica_explorer.engine import QuenchEngine, get_engine
from silica_explorer.engine.acceptance import thermo_dataset
from silica_explorer.engine.base import MeltResult
from silica_explorer.engine.lammps_quench import quench_input
from silica_explorer.fidelity import FIDELITIES
from silica_explorer.forcefield import ForceField
from silica_explorer.glass import (faber_ziman_weights, glass_dataset, liquid_pressure, load_anchors,
                                   structure_factors)
from silica_explorer.glass.analysis import density_vs_temperature
from silica_explorer.glass.scattering import SCATTERING_LENGTHS_FM
from silica_explorer.quench import QUENCH_PROTOCOLS, QuenchProtocol, QuenchProtocolError, get_quench_protocol
from silica_explorer.structure import partial_pdfs

TINY = QUENCH_PROTOCOLS["tiny"]


@pytest.fixture(scope="module")
def lammps():
    return get_engine("lammps", threads=1)


@pytest.fixture(scope="module")
def tiny_glass(lammps):
    return lammps.quench(ForceField.preset("SHIK"), TINY, seed=0)


# ----------------------------------------------------------------------------- protocols
@pytest.mark.parametrize("changes, field", [
    ({"rate_K_per_ps": 0.0}, "rate_K_per_ps"),
    ({"rate_K_per_ps": -10.0}, "rate_K_per_ps"),
    ({"rate_K_per_ps": float("nan")}, "rate_K_per_ps"),
    ({"T_end": 3600.0}, "T_end"),
    ({"T_end": 4000.0}, "T_end"),
    ({"liquid_ps": -1.0}, "liquid_ps"),
    ({"anneal_ps": -0.5}, "anneal_ps"),
    ({"production_ps": 0.0}, "production_ps"),
    ({"frame_every": -100}, "frame_every"),
    ({"thermo_every": 0}, "thermo_every"),
    ({"timestep": 0.01}, "timestep"),
    ({"p_damp": 0.0}, "p_damp"),
    ({"n_SiO2": 64}, "smaller than 2 cutoffs"),
    ({"frame_every": 300}, "frame_every"),
])
def test_bad_protocols_name_the_field(changes, field):
    with pytest.raises(QuenchProtocolError, match=field):
        TINY.replace(**changes)


def test_small_box_error_says_how_many_formula_units():
    with pytest.raises(QuenchProtocolError, match=r"14\.26 A box .* use n_SiO2 >= 91"):
        TINY.replace(n_SiO2=64)
    assert TINY.replace(n_SiO2=91).box_length >= 16.0


def test_protocol_presets_and_round_trip():
    quick, slow, paper = (QUENCH_PROTOCOLS[k] for k in ("quick", "slow", "paper"))
    assert (quick.n_SiO2, quick.rate_K_per_ps, slow.n_SiO2, slow.rate_K_per_ps) == (216, 100.0, 216, 10.0)
    assert paper.n_SiO2 == 1000 and paper.rate_K_per_ps == 10.0
    assert quick.cool_ps == pytest.approx(33.0) and quick.cool_steps == 33000
    assert quick.stage_start_ps() == {"liquid": 0.0, "cool": 4.0, "anneal": 37.0, "production": 42.0}
    assert get_quench_protocol(quick.as_dict()) == quick and get_quench_protocol("slow") is slow
    with pytest.raises(QuenchProtocolError, match="unknown quench protocol 'fast'"):
        get_quench_protocol("fast")
    with pytest.raises(QuenchProtocolError, match="unknown quench protocol field"):
        QuenchProtocol.from_dict({**quick.as_dict(), "rate": 5})


def test_quench_deck_stages():
    deck = quench_input(ForceField.preset("BKS"), TINY, seed=3)
    for line in ("fix nvt all nvt temp 3600 3600 0.1", "run 500",
                 "fix npt all npt temp 3600 300 0.1 iso 0 0 1", "run 3300",
                 "fix npt all npt temp 300 300 0.1 iso 0 0 1", "dump frames all custom 100 frames.dump id type x y z",
                 "velocity all create 3600 4 dist gaussian mom yes rot no", "pair_style table linear 8000"):
        assert line in deck.splitlines(), line
    assert deck.index("# phase: liquid") < deck.index("# phase: cool") < deck.index("# phase: anneal") \
        < deck.index("# phase: production")


# ----------------------------------------------------------------------------- a tiny quench on LAMMPS
def test_lammps_is_a_quench_engine(lammps):
    assert isinstance(lammps, QuenchEngine)


def test_tiny_quench_makes_a_glass(tiny_glass):
    r = tiny_glass
    assert r.ok, r.reason
    th = r.thermo
    assert list(dict.fromkeys(th.stage.values)) == ["liquid", "cool", "anneal", "production"]
    assert np.all(np.diff(th.time.values) > 0) and th.time.values[-1] == pytest.approx(4.8)
    prod = th.isel(time=th.stage.values == "production")
    assert float(prod.temperature.mean()) < 400.0
    rho = float(prod.density.mean())
    assert np.isfinite(rho) and 1.8 <= rho <= 2.8
    assert abs(float(prod.pressure.mean())) < 1.5  # NPT at 0 GPa
    assert len(r.frames) == TINY.production_steps // TINY.frame_every + 1
    boxes = np.array([f.box[0] for f in r.frames])
    mass = TINY.n_SiO2 * 60.0843 / 6.02214076e23
    assert mass / np.mean(boxes ** 3) * 1e24 == pytest.approx(rho, rel=0.02)  # frames carry their NPT boxes
    assert not np.allclose(boxes, TINY.box_length)
    rec = r.record()
    assert rec["protocol"]["name"] == "tiny" and "quench deck v" in rec["engine_version"]


def test_glass_dataset_of_the_tiny_quench(tiny_glass):
    ds = glass_dataset(tiny_glass, "SHIK")
    assert ds.attrs["status"] == "ok" and ds.attrs["set"] == "SHIK" and ds.attrs["seed"] == 0
    assert ds.density.attrs["units"] == "g/cm3" and ds.pressure.attrs["units"] == "GPa"
    assert ds.potential_energy.attrs["units"] == "eV/atom" and ds.Q.attrs["units"] == "1/A"
    assert 1.55 < float(ds.SiO_bond_length) < 1.70
    assert 3.8 < float(ds.SiO_coordination) < 4.3 and 1.9 < float(ds.OSi_coordination) < 2.15
    assert 105 < float(ds.OSiO_mean) < 112 and 125 < float(ds.SiOSi_mean) < 160
    assert 1.2 < float(ds.FSDP_position) < 2.0
    assert float(ds.S.sel(Q=slice(15, 20)).mean()) == pytest.approx(1.0, abs=0.05)
    assert np.isfinite(float(ds.liquid_pressure))
    cool = ds.density_cool.dropna("T_bin")
    assert cool.sizes["T_bin"] > 10 and float(cool.min()) > 1.8


def test_exploding_glass_is_a_recorded_failure(lammps):
    gas = ForceField.preset("BKS").replace(q_Si=0.2, C_SiO=0.0, C_OO=0.0, name="no-cohesion")
    r = lammps.quench(gas, TINY, seed=0)
    assert r.status == "failed" and r.reason.startswith("exploded"), r.reason
    ds = glass_dataset(r)
    assert ds.attrs["status"] == "failed" and ds.attrs["reason"].startswith("exploded") and "density" not in ds


def test_timeout_is_a_recorded_failure():
    r = get_engine("lammps", threads=1, timeout_s=0.5).quench(ForceField.preset("BKS"), TINY, seed=0)
    assert r.status == "failed" and r.reason == "timeout: quench exceeded 0.5 s"


# ----------------------------------------------------------------------------- scattering
def test_faber_ziman_weights_of_sio2():
    w = faber_ziman_weights()
    assert [round(w[p], 4) for p in ("SiSi", "SiO", "OO")] == [0.0694, 0.3880, 0.5427]
    assert sum(w.values()) == pytest.approx(1.0)
    neutron = load_anchors()["neutron"]
    assert neutron["scattering_lengths_fm"] == SCATTERING_LENGTHS_FM == {"Si": 4.1491, "O": 5.803}
    assert neutron["faber_ziman_weights"] == {p: round(w[p], 4) for p in w}


def _debye_sum(conf, q, r_max):
    """Neutron S(Q) of one frame by a direct sum over atom pairs within r_max (minimum image), Lorch-windowed,
    minus the uniform-density term integrated on a fine grid: independent of any g(r) binning."""
    b = np.where(conf.species == "Si", SCATTERING_LENGTHS_FM["Si"], SCATTERING_LENGTHS_FM["O"])
    pos = conf.wrapped()
    pairs = cKDTree(pos, boxsize=conf.box).query_pairs(r_max, output_type="ndarray")
    d = pos[pairs[:, 0]] - pos[pairs[:, 1]]
    d -= conf.box * np.round(d / conf.box)
    rij = np.linalg.norm(d, axis=1)
    bb = b[pairs[:, 0]] * b[pairs[:, 1]] * np.sin(np.pi * rij / r_max) / (np.pi * rij / r_max)
    n, rho = len(b), len(b) / conf.volume
    rr = np.linspace(0.0, r_max, 40001)[1:]
    lorch = np.sin(np.pi * rr / r_max) / (np.pi * rr / r_max)
    out = []
    for Q in q:
        pair_sum = 2.0 * np.sum(bb * np.sin(Q * rij) / (Q * rij)) / (n * b.mean() ** 2)
        uniform = 4 * np.pi * rho * np.trapezoid(rr ** 2 * np.sin(Q * rr) / (Q * rr) * lorch, rr)
        out.append(1.0 + pair_sum - uniform)
    return np.array(out)


def test_structure_factor_matches_a_direct_debye_sum(tiny_glass):
    frames = tiny_glass.frames[-2:]
    dr = 0.02
    r_max = round(np.floor(0.5 * min(f.box.min() for f in frames) / dr) * dr, 10)
    pdf = partial_pdfs(frames, r_max=r_max, dr=dr)
    pdf.attrs["volume"] = float(np.mean([f.volume for f in frames]))
    q = np.arange(1.5, 15.0, 0.25)
    ours = structure_factors(pdf, q).S.values
    direct = np.mean([_debye_sum(f, q, r_max) for f in frames], axis=0)
    assert np.max(np.abs(ours - direct)) < 0.01
    assert np.ptp(direct) > 0.3  # a structured S(Q), not a flat line that would agree trivially


def test_structure_factor_of_an_ideal_gas_is_one():
    r = np.arange(0.01, 8.0, 0.02)
    pdf = xr.Dataset({"g": (("pair", "r"), np.ones((3, r.size)))}, coords={"pair": ["SiSi", "SiO", "OO"], "r": r},
                     attrs={"dr": 0.02, "n_Si": 100, "n_O": 200, "volume": 300 / 0.066})
    sq = structure_factors(pdf, np.array([0.5, 1.5, 10.0]))
    assert np.allclose(sq.S.values, 1.0) and np.allclose(sq.S_partial.values, 1.0)
    with pytest.raises(ValueError, match="window"):
        structure_factors(pdf, [1.0], window="hann")


# ----------------------------------------------------------------------------- thermo analyses
def test_density_vs_temperature_bins_the_cool():
    T = np.linspace(3600, 300, 34)
    th = xr.Dataset({"temperature": ("time", T), "density": ("time", 2.0 + (3600 - T) / 3300 * 0.2)},
                    coords={"time": np.arange(34.0), "stage": ("time", ["cool"] * 34)})
    out = density_vs_temperature(th, 3600, 300, bin_K=300)
    assert out.T_bin.values[0] == 450 and out.sizes["T_bin"] == 11
    assert np.all(np.diff(out.density_cool.values) < 0)  # denser when colder
    assert out.density_cool.attrs["units"] == "g/cm3" and out.n_samples_cool.sum() == 34


def test_liquid_pressure_from_a_melts_thermo():
    rows = [("relax", [0, 3600, -1000, 100, -900, 5e4])] + \
           [("production", [k, 3600, -1000, 100, -900, 2e4 + (k % 2) * 1e3]) for k in range(20)]
    melt = MeltResult(status="ok", reason=None, forcefield=ForceField.preset("ML"), fidelity=FIDELITIES["tiny"],
                      seed=0, engine="test", engine_version="test", wall_time_s=1.0, thermo=thermo_dataset(rows))
    p = liquid_pressure(melt)
    assert p["pressure_GPa"] == pytest.approx(2.05) and p["temperature_K"] == 3600 and p["density_g_cm3"] == 2.2
    with pytest.raises(ValueError, match="no usable thermo"):
        liquid_pressure(MeltResult(status="failed", reason="nan", forcefield=melt.forcefield, fidelity=melt.fidelity,
                                   seed=0, engine="test", engine_version="test", wall_time_s=1.0))


def test_anchors_as_in_the_science_notes():
    a = load_anchors()["anchors"]
    assert a["density"]["value"] == 2.20 and a["SiO_bond_length"]["min"] == 1.61 and a["SiO_bond_length"]["max"] == 1.62
    assert a["FSDP_position"]["value"] == 1.52 and a["bulk_modulus"]["value"] == 36.0
    assert a["SiOSi_angle_nmr_mean"]["value"] == 151.0 and "Mauri" in a["SiOSi_angle_nmr_mean"]["source"]
    assert "Charpentier" in a["SiOSi_angle_17O_nmr_mean"]["source"]
    assert all("source" in v for v in a.values())


# ----------------------------------------------------------------------------- command line
def test_glass_cli_end_to_end_and_resume(tmp_path, capsys):
    from silica_explorer.cli import main
    out = tmp_path / "glass"
    args = ["glass", "--sets", "SHIK", "--protocol", "tiny", "--seeds", "0", "--out", str(out), "--threads", "1"]
    assert main(args) == 0
    text = capsys.readouterr().out
    path = out / "glass-SHIK-tiny-seed0.nc"
    ds = xr.load_dataset(path)
    assert ds.attrs["seed"] == 0 and ds.attrs["engine"] == "lammps" and ds.attrs["engine_version"].startswith("LAMMPS")
    assert json.loads(ds.attrs["protocol_json"])["name"] == "tiny"
    assert json.loads(ds.attrs["forcefield_json"])["q_Si"] == ForceField.preset("SHIK").q_Si
    table = (out / "glass_table.md").read_text()
    assert "| SHIK | tiny | 1000 | 1/1 |" in table and "| experiment |" in table and "1.61-1.62" in table
    assert table in text
    summary = json.loads((out / "glass_summary.json").read_text())
    assert summary[0]["density"]["mean"] == pytest.approx(float(ds.density))
    mtime = path.stat().st_mtime_ns
    assert main(args) == 0  # resumes: the finished set/seed is not run again
    assert path.stat().st_mtime_ns == mtime and "done before" in capsys.readouterr().err


def test_glass_cli_bad_inputs_are_one_line(tmp_path, capsys):
    from silica_explorer.cli import main
    assert main(["glass", "--sets", "NOPE", "--protocol", "tiny", "--seeds", "0", "--out", str(tmp_path)]) == 2
    assert "NOPE" in capsys.readouterr().err
    assert main(["glass", "--sets", "BKS", "--protocol", "tiny", "--rate", "-5", "--out", str(tmp_path)]) == 2
    assert "rate_K_per_ps" in capsys.readouterr().err
