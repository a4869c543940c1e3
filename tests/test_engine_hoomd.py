"""The HOOMD-blue engine against independent numbers: numpy Eq. (1) + DSF, the LAMMPS engine on the same
liquid frames and the same protocol, and its failure semantics.

Tests that need HOOMD-blue skip (with the reason) only when it is not importable; CI builds it
(scripts/build_hoomd.sh) and sets SILICA_REQUIRE_HOOMD=1, which turns those skips into failures.
The bad-input tests run everywhere (they use stand-in modules where they need one).
"""

import sys
import types

import numpy as np
import pytest

from silica_explorer import structure
from silica_explorer.cost import rx as rx_cost
from silica_explorer.engine import Engine, get_engine
from silica_explorer.engine.cache import melt_key
from silica_explorer.fidelity import FIDELITIES
from silica_explorer.forcefield import ForceField, dsf_self_energy

from test_engine import numpy_energy_forces

#: The tiny protocol (0.5 + 0.5 ps) at quick's size (648 atoms, 21.4 A box): HOOMD's minimum-image
#: neighbour list needs a box wider than 2 r_cut = 16 A, and the tiny preset's is 14.3 A.
TINY_216 = FIDELITIES["tiny"].replace(name="tiny-216", n_SiO2=216)


@pytest.fixture(scope="module")
def liquid():
    """Real liquid frames: two frames of the shipped CHGNet reference (192 atoms, 3600 K, 1.2 ps apart),
    each replicated 2 x 2 x 2 so the box exceeds twice the cutoff (minimum image is exact for numpy and HOOMD)."""
    from pathlib import Path

    from silica_explorer.reference import read_frames
    from silica_explorer.configurations import Configuration
    path = Path(__file__).resolve().parents[1] / "data" / "reference" / "sio2_3600K_chgnet_production.extxyz.gz"
    frames = read_frames(path, index="-1:")[0]
    shifts = np.array([[i, j, k] for i in range(2) for j in range(2) for k in range(2)], dtype=float)
    out = []
    for conf in (frames[-1], frames[len(frames) // 2]):
        pos = np.concatenate([conf.wrapped() + s * conf.box for s in shifts])
        out.append(Configuration(positions=pos, species=np.tile(conf.species, 8), box=2 * conf.box))
    return out


@pytest.mark.parametrize("preset", ["ML", "CHIK"])
def test_hoomd_matches_numpy_on_liquid_frames(hoomd_engine, liquid, preset):
    """A fine table isolates the HOOMD side (table set-up, types, units) from interpolation error."""
    ff = ForceField.preset(preset)
    for conf in liquid:
        e_np, f_np = numpy_energy_forces(ff, conf)
        e_h, f_h = hoomd_engine.single_point(ff, conf, table_points=400000)
        assert abs(e_h - e_np) / conf.n_atoms < 1e-6  # eV/atom
        assert np.linalg.norm(f_h - f_np) / np.linalg.norm(f_np) < 1e-6


@pytest.mark.parametrize("preset", ["BKS", "SHIK"])
def test_hoomd_equals_lammps_single_point_to_table_accuracy(hoomd_engine, engine, liquid, preset):
    """Production tables (8000 points, the same values at the same points) in both engines: energies and
    forces equal the LAMMPS one-table deck's and numpy's to the table's accuracy (the bounds the LAMMPS
    table meets); the hybrid deck's energies differ by LAMMPS's constant DSF self term only."""
    ff = ForceField.preset(preset)
    for conf in liquid:
        e_h, f_h = hoomd_engine.single_point(ff, conf, table_points=8000)
        e_l, f_l = engine.single_point(ff, conf, table_points=8000, deck="one-table")
        e_np, f_np = numpy_energy_forces(ff, conf)
        # LAMMPS re-tabulates the file internally (table linear N), HOOMD interpolates the points as given
        assert abs(e_h - e_l) / conf.n_atoms < 2e-5
        assert abs(e_h - e_np) / conf.n_atoms < 2e-5
        assert np.linalg.norm(f_h - f_l) / np.linalg.norm(f_l) < 1e-4
        assert np.linalg.norm(f_h - f_np) / np.linalg.norm(f_np) < 1e-4
    e_hy, _ = engine.single_point(ff, conf, table_points=8000, deck="hybrid")
    self_term = dsf_self_energy([ff.charge(s) for s in conf.species], ff.alpha, ff.r_cut, "lammps")
    assert abs((e_hy - self_term) - e_h) / conf.n_atoms < 2e-5


# ----------------------------------------------------------------------------- same structure
@pytest.fixture(scope="module")
def hoomd_melt(hoomd_engine):
    fid = TINY_216.replace(frame_every=TINY_216.rdf_every)
    res = hoomd_engine.melt(ForceField.preset("ML"), fid, seed=11)
    assert res.ok, res.reason
    return res


def test_hoomd_engine_interface_and_record(hoomd_engine, hoomd_melt):
    assert isinstance(hoomd_engine, Engine)
    assert hoomd_engine.version().startswith("HOOMD-blue 4.")
    rec = hoomd_melt.record()
    assert rec["engine"] == "hoomd" and rec["engine_options"]["device"] == "cpu"
    assert "running on CPU" in rec["engine_version"] and "collapse flag" in rec["engine_version"]
    assert rec["mean_temperature_K"] == pytest.approx(3600, rel=0.1)  # as the LAMMPS engine test
    assert hoomd_melt.md_steps_per_s > 0


def test_hoomd_samples_like_lammps(hoomd_melt):
    """Frames at production steps 0, k*frame_every; g(r) from the steps > 0 on LAMMPS's bins."""
    fid = hoomd_melt.fidelity
    traj = hoomd_melt.trajectory
    np.testing.assert_array_equal(traj.steps, np.arange(0, fid.production_steps + 1, fid.frame_every))
    frames = [traj.frame(k) for k in range(traj.n_frames) if traj.steps[k] > 0]
    py = structure.partial_pdfs(frames, fid.rdf_r_max, fid.rdf_dr)
    np.testing.assert_allclose(py.g, hoomd_melt.pdf.g, atol=1e-12)
    np.testing.assert_allclose(hoomd_melt.pdf.r, (np.arange(fid.rdf_bins) + 0.5) * fid.rdf_dr)
    assert hoomd_melt.pdf.attrs["n_samples"] == fid.production_steps // fid.rdf_every
    assert hoomd_melt.final.velocities is not None and hoomd_melt.final.n_atoms == fid.n_atoms


def test_hoomd_gr_matches_lammps_within_seed_noise(hoomd_engine, engine):
    """R_x between the engines is no larger than the spread between LAMMPS seeds (same protocol,
    same forcefield); and another forcefield (CHIK) is measurably further away, so the comparison
    can tell a physics difference from noise.

    The relax is quick's 2 ps: after tiny's 0.5 ps the start-up transient of the thermostats still
    differs (HOOMD's MTTK is one Nose-Hoover thermostat, LAMMPS's fix nvt a chain of 3; measured: mean
    production T 3320 vs 3620 K, R_x between engines 5.9 % vs 4.6-4.9 % between LAMMPS seeds); after
    2 ps both are equilibrated (4.5-4.9 % vs 4.8-5.0 %)."""
    ff = ForceField.preset("ML")
    fid = TINY_216.replace(relax_ps=2.0)
    lammps = [engine.melt(ff, fid, seed=s) for s in (1, 2, 3)]
    hoomd = [hoomd_engine.melt(ff, fid, seed=s) for s in (1, 2)]
    assert all(r.ok for r in lammps + hoomd), [r.reason for r in lammps + hoomd]

    def rx(a, b):
        return rx_cost(a.pdf, b.pdf).R_x

    spread = [rx(lammps[i], lammps[j]) for i in range(3) for j in range(i + 1, 3)]
    between = [rx(h, lm) for h in hoomd for lm in lammps]
    print(f"R_x LAMMPS seeds {np.round(spread, 4)}; HOOMD vs LAMMPS {np.round(between, 4)}")
    assert np.mean(between) <= max(spread)
    other = engine.melt(ForceField.preset("CHIK"), fid, seed=1)
    assert other.ok
    assert rx(other, lammps[1]) > 1.3 * max(spread)  # measured: 7.4 % vs at most 5.0 % between seeds


def test_warm_start_and_progress(hoomd_engine, hoomd_melt):
    seen = []
    res = hoomd_engine.melt(ForceField.preset("BKS"), hoomd_melt.fidelity, seed=5, warm_start=hoomd_melt.final,
                            progress=lambda d, t, ph: seen.append((d, t, ph)))
    assert res.ok and res.warm_start
    assert 1.55 <= structure.first_peak(res.pdf, "SiO")[0] <= 1.70
    assert seen[-1] == (hoomd_melt.fidelity.total_steps, hoomd_melt.fidelity.total_steps, "done")
    assert [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)


# ----------------------------------------------------------------------------- failures
@pytest.mark.parametrize("changes", [dict(q_Si=3.9, A_SiO=0.0), dict(A_OO=0.0, C_OO=2000.0)])
def test_hostile_parameters_fail_with_reason(hoomd_engine, changes):
    res = hoomd_engine.melt(ForceField.preset("BKS").replace(**changes), TINY_216, seed=1)
    assert res.status == "failed"
    assert res.reason.startswith(("overlap: two atoms closer than 0.5 A", "temperature", "nan", "lost atoms")), res.reason


def test_timeout_is_a_failed_result(hoomd_engine):
    from silica_explorer.engine.hoomd import HoomdEngine
    res = HoomdEngine(device="cpu", timeout_s=0.05).melt(ForceField.preset("ML"), TINY_216, seed=0)
    assert res.status == "failed" and res.reason.startswith("timeout")


def test_box_narrower_than_two_cutoffs_is_a_clear_error(hoomd_engine):
    with pytest.raises(ValueError, match=r"needs a box wider than 2 r_cut.*this one is 14.26\d A. Use n_SiO2 >= 93 "):
        hoomd_engine.melt(ForceField.preset("ML"), FIDELITIES["tiny"], seed=0)


def test_melt_cache_key_includes_the_engine(hoomd_engine, engine):
    ff, fid = ForceField.preset("ML"), FIDELITIES["quick"]
    assert melt_key(ff, fid, 0, hoomd_engine.version()) != melt_key(ff, fid, 0, engine.version())


def test_store_key_includes_a_non_lammps_engine(tmp_path):
    """HOOMD results are other results than LAMMPS's; LAMMPS keys stay what they were before the choice."""
    from silica_explorer.store import CachedCost
    from silica_explorer.structure import pdf_dataset
    r = np.arange(0.01, 7.0, 0.02)
    ref = pdf_dataset(r, {p: np.ones_like(r) for p in ("SiSi", "SiO", "OO")}, dr=0.02)

    from silica_explorer.evaluate import Evaluator

    class Engine:  # only what Evaluator.identity() reads
        def __init__(self, name, version):
            self.name, self._version = name, version

        def version(self):
            return self._version

    ff = ForceField.preset("ML")

    def key(name, version="v1"):
        ev = Evaluator(ref, "quick", engine=Engine(name, version))
        return CachedCost(ev, tmp_path / f"{name}-{version}").key(ff, 0)

    # the engine's name enters the key for a non-LAMMPS engine only (LAMMPS keys stay as before the choice);
    # its version string never does (a rebuilt wheel keeps serving its cached melts)
    assert key("lammps") == key("lammps", "v2") != key("hoomd") == key("hoomd", "v2")


# ----------------------------------------------------------------------------- bad input (no HOOMD needed)
def _fake_hoomd(monkeypatch, version="4.8.2", gpu=False):
    fake = types.ModuleType("hoomd")
    fake.__file__ = "/fake/hoomd/__init__.py"
    fake.version = types.SimpleNamespace(version=version, gpu_enabled=gpu, tbb_enabled=False, mpi_enabled=False)
    fake.device = types.SimpleNamespace(GPU=types.SimpleNamespace(get_available_devices=lambda: []))
    fake.md = types.ModuleType("hoomd.md")
    monkeypatch.setitem(sys.modules, "hoomd", fake)
    monkeypatch.setitem(sys.modules, "hoomd.md", fake.md)


def test_unknown_engine_name():
    with pytest.raises(ValueError, match=r"unknown engine 'gromacs'; available: \['lammps', 'hoomd'\]"):
        get_engine("gromacs")


def test_hoomd_not_importable_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "hoomd", None)
    with pytest.raises(ValueError, match="not importable.*conda-forge.*scripts/build_hoomd.sh") as info:
        get_engine("hoomd")
    assert "\n" not in str(info.value)


def test_hoomd_older_than_4_is_refused(monkeypatch):
    _fake_hoomd(monkeypatch, version="3.11.0")
    with pytest.raises(ValueError, match=r"needs HOOMD-blue >= 4, found 3.11.0"):
        get_engine("hoomd")


@pytest.mark.parametrize("gpu_build", [False, True])
def test_gpu_requested_where_none_exists(monkeypatch, gpu_build):
    _fake_hoomd(monkeypatch, gpu=gpu_build)
    why = "found no usable GPU" if gpu_build else "has no GPU support"
    with pytest.raises(ValueError, match=f"device = 'gpu' requested, but HOOMD-blue 4.8.2 {why}"):
        get_engine("hoomd", device="gpu")
    assert get_engine("hoomd", device="auto").device == "cpu"
    with pytest.raises(ValueError, match=r"device = 'tpu' must be one of \['auto', 'cpu', 'gpu'\]"):
        get_engine("hoomd", device="tpu")


def test_cli_engine_errors_are_one_line(monkeypatch, capsys):
    from silica_explorer.cli import main
    monkeypatch.setitem(sys.modules, "hoomd", None)
    assert main(["evaluate", "--engine", "hoomd", "--fidelity", "tiny"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: engine 'hoomd' needs HOOMD-blue >= 4") and "\n" not in err
    with pytest.raises(SystemExit):
        main(["evaluate", "--engine", "gromacs"])
    assert "invalid choice: 'gromacs'" in capsys.readouterr().err
    assert main(["evaluate", "--device", "gpu", "--fidelity", "tiny"]) == 2
    assert "--device applies to the HOOMD engine only" in capsys.readouterr().err
    monkeypatch.delitem(sys.modules, "hoomd")
    _fake_hoomd(monkeypatch)
    assert main(["evaluate", "--engine", "hoomd", "--deck", "hybrid", "--fidelity", "tiny"]) == 2
    assert "--deck applies to the LAMMPS engine only" in capsys.readouterr().err


def test_fit_config_engine_key_reaches_the_engine(monkeypatch, capsys, tmp_path):
    """``engine: hoomd`` in a fit config selects HOOMD (here: not importable, so the one-line error);
    an unknown engine name in a config (argparse's choices do not see it) is refused by name."""
    from silica_explorer.cli import main
    monkeypatch.setitem(sys.modules, "hoomd", None)
    cfg = tmp_path / "fit.yaml"
    cfg.write_text("engine: hoomd\nbudget: 2\nfidelity: quick\n")
    assert main(["fit", "--config", str(cfg), "--store", str(tmp_path / "store")]) == 2
    assert "error: engine 'hoomd' needs HOOMD-blue >= 4" in capsys.readouterr().err
    cfg.write_text("engine: gromacs\nbudget: 2\n")
    assert main(["fit", "--config", str(cfg), "--store", str(tmp_path / "store")]) == 2
    assert "unknown engine 'gromacs'; available: ['lammps', 'hoomd']" in capsys.readouterr().err
