"""The LAMMPS engine against independent numbers: numpy Eq. (1) + DSF, peak positions, failures."""

import numpy as np
import pytest

from silica_explorer import structure
from silica_explorer.engine import Engine
from silica_explorer.engine.lammps import LammpsEngine, melt_input
from silica_explorer.fidelity import FIDELITIES, Fidelity, FidelityError
from silica_explorer.forcefield import ForceField, dsf_self_energy
from silica_explorer.parameters import PAIRS, PAIR_SPECIES
from silica_explorer.configurations import Configuration, random_configuration


def numpy_energy_forces(ff: ForceField, conf: Configuration):
    """Eq. (1) with DSF Coulomb by brute force over minimum-image pairs (box > 2 r_cut)."""
    assert np.all(conf.box > 2 * ff.r_cut)
    pos = conf.wrapped()
    n = conf.n_atoms
    energy = 0.0
    forces = np.zeros((n, 3))
    for i in range(n - 1):
        d = pos[i] - pos[i + 1:]
        d -= conf.box * np.round(d / conf.box)
        r = np.linalg.norm(d, axis=1)
        for pair in PAIRS:
            a, b = PAIR_SPECIES[pair]
            sj = conf.species[i + 1:]
            mask = ((conf.species[i] == a) & (sj == b)) | ((conf.species[i] == b) & (sj == a))
            mask &= r < ff.r_cut
            if not mask.any():
                continue
            energy += ff.pair_energy(pair, r[mask]).sum()
            fmag = ff.pair_force(pair, r[mask])
            fvec = (fmag / r[mask])[:, None] * d[mask]
            forces[i] += fvec.sum(axis=0)
            forces[i + 1:][mask] -= fvec
    return energy, forces


@pytest.fixture(scope="module")
def config():
    # 60 SiO2 in a 17 A box (> 2 x 8 A cutoff, so minimum image is exact), min separation 1.5 A
    return random_configuration(60, 17.0, seed=4, min_separation=(2.5, 1.5, 2.2))


@pytest.mark.parametrize("deck", ["one-table", "hybrid"])
@pytest.mark.parametrize("preset", ["ML", "CHIK"])
def test_lammps_matches_numpy_within_1e_6(engine, config, preset, deck):
    ff = ForceField.preset(preset)
    e_np, f_np = numpy_energy_forces(ff, config)
    if deck == "hybrid":  # coul/dsf adds LAMMPS's constant self term; the one-table deck has none
        e_np += dsf_self_energy([ff.charge(s) for s in config.species], ff.alpha, ff.r_cut, "lammps")
    # fine table: isolates the table construction, Coulomb and the pair styles from interpolation error
    e_l, f_l = engine.single_point(ff, config, table_points=400000, deck=deck)
    assert abs(e_l - e_np) / abs(e_np) < 1e-6
    assert np.linalg.norm(f_l - f_np) / np.linalg.norm(f_np) < 1e-6


@pytest.mark.parametrize("deck", ["one-table", "hybrid"])
def test_production_table_resolution_error_is_small(engine, config, deck):
    """The default 8000-point table: energy within 2e-5 eV/atom and forces within 1e-4 relative."""
    ff = ForceField.preset("ML")
    e_fine, f_fine = engine.single_point(ff, config, table_points=400000, deck=deck)
    e_8k, f_8k = engine.single_point(ff, config, table_points=8000, deck=deck)
    e_2k, _ = engine.single_point(ff, config, table_points=2000, deck=deck)
    assert abs(e_8k - e_fine) / config.n_atoms < 2e-5
    assert np.linalg.norm(f_8k - f_fine) / np.linalg.norm(f_fine) < 1e-4
    # and 2000 points is measurably worse (the reason the default is 8000)
    assert abs(e_2k - e_fine) > 4 * abs(e_8k - e_fine)


@pytest.fixture(scope="module")
def liquid_frame():
    """A real liquid: the last frame of the shipped CHGNet reference (192 atoms, 3600 K), replicated
    2 x 2 x 2 so the box exceeds twice the cutoff and minimum-image numpy sums are exact."""
    from pathlib import Path

    from silica_explorer.reference import read_frames
    path = Path(__file__).resolve().parents[1] / "data" / "reference" / "sio2_3600K_chgnet_production.extxyz.gz"
    conf = read_frames(path, index="-1:")[0][-1]
    shifts = np.array([[i, j, k] for i in range(2) for j in range(2) for k in range(2)], dtype=float)
    pos = np.concatenate([conf.wrapped() + s * conf.box for s in shifts])
    return Configuration(positions=pos, species=np.tile(conf.species, 8), box=2 * conf.box)


@pytest.mark.parametrize("preset", ["BKS", "SHIK"])
def test_one_table_deck_on_real_liquid_frames_equals_numpy_and_hybrid(engine, liquid_frame, preset):
    """The production one-table deck (8000 points) on a real liquid: forces equal numpy Eq. (1) + DSF to
    the table's accuracy; energies equal numpy's, and the hybrid deck's minus LAMMPS's DSF self term."""
    ff = ForceField.preset(preset)
    conf = liquid_frame
    e_np, f_np = numpy_energy_forces(ff, conf)
    e_1, f_1 = engine.single_point(ff, conf, table_points=8000, deck="one-table")
    e_h, f_h = engine.single_point(ff, conf, table_points=8000, deck="hybrid")
    self_term = dsf_self_energy([ff.charge(s) for s in conf.species], ff.alpha, ff.r_cut, "lammps")
    assert abs(e_1 - e_np) / conf.n_atoms < 2e-5
    assert abs((e_h - self_term) - e_1) / conf.n_atoms < 2e-5
    assert np.linalg.norm(f_1 - f_np) / np.linalg.norm(f_np) < 1e-4
    assert np.abs(f_1 - f_np).max() < 0.01  # eV/A, per component
    assert np.linalg.norm(f_1 - f_h) / np.linalg.norm(f_np) < 1e-4


def test_engine_satisfies_interface(engine):
    assert isinstance(engine, Engine)
    assert "LAMMPS 2025" in engine.version()


def test_tiny_melt_peaks(ml_melt):
    r_sio, h_sio = structure.first_peak(ml_melt.pdf, "SiO")
    r_oo, _ = structure.first_peak(ml_melt.pdf, "OO")
    assert 1.55 <= r_sio <= 1.70
    assert 2.50 <= r_oo <= 2.75
    assert h_sio > 4.0
    cn = structure.coordination_numbers(ml_melt.pdf)
    assert 3.6 < cn["Si-O"] < 4.5
    assert cn["O-Si"] == pytest.approx(cn["Si-O"] / 2)


def test_lammps_rdf_equals_python_rdf_on_same_frames(ml_melt):
    """Two independent paths: LAMMPS compute rdf (in-engine) vs cKDTree histograms of dumped frames."""
    traj = ml_melt.trajectory
    fid = ml_melt.fidelity
    assert fid.frame_every == fid.rdf_every
    frames = [traj.frame(k) for k in range(traj.n_frames) if traj.steps[k] > 0]  # LAMMPS samples steps > 0
    assert len(frames) == fid.production_steps // fid.rdf_every
    py = structure.partial_pdfs(frames, fid.rdf_r_max, fid.rdf_dr)
    np.testing.assert_allclose(py.r, ml_melt.pdf.r, atol=1e-12)
    # dumped coordinates carry 10 significant digits, so a pair may rarely land in a neighbouring bin
    np.testing.assert_allclose(py.g, ml_melt.pdf.g, atol=2e-3 * float(py.g.max()))
    assert float(np.abs(py.g - ml_melt.pdf.g).mean()) < 1e-5


def test_thermostat_holds_temperature(ml_melt):
    rec = ml_melt.record()
    assert rec["mean_temperature_K"] == pytest.approx(3600, rel=0.1)
    assert ml_melt.md_steps_per_s > 0


def test_warm_start_continues_liquid(engine, ml_melt, tiny):
    res = engine.melt(ForceField.preset("BKS"), tiny, seed=5, warm_start=ml_melt.final)
    assert res.ok and res.warm_start
    assert 1.55 <= structure.first_peak(res.pdf, "SiO")[0] <= 1.70
    with pytest.raises(ValueError, match="warm_start has 192 atoms"):
        from silica_explorer.engine.lammps import write_melt_deck
        write_melt_deck(__import__("pathlib").Path("/tmp/never"), ForceField.preset("ML"),
                        FIDELITIES["quick"], 0, warm_start=ml_melt.final)


def test_warm_start_skips_minimization():
    ff = ForceField.preset("ML")
    assert "minimize" in melt_input(ff, FIDELITIES["tiny"], 0, warm=False)
    assert "minimize" not in melt_input(ff, FIDELITIES["tiny"], 0, warm=True)


@pytest.mark.parametrize("deck", ["one-table", "hybrid"])
@pytest.mark.parametrize("changes", [dict(q_Si=3.9, A_SiO=0.0), dict(A_OO=0.0, C_OO=2000.0)])
def test_hostile_parameters_fail_with_reason(tiny, changes, deck):
    res = LammpsEngine(threads=1, deck=deck).melt(ForceField.preset("BKS").replace(**changes), tiny, seed=1)
    assert res.status == "failed"
    assert res.reason.startswith(f"overlap: two atoms closer than {0.5 if deck == 'one-table' else 1.0:g} A")
    assert res.pdf is None


def test_partial_collapse_is_flagged_with_pdfs_or_failed_by_policy(tiny):
    """BKS with A_SiO = 16500 sits in the collapse band next to the valley: Si-O pairs fuse at ~1.1 A
    but the melt survives. Policy "flag" keeps its PDFs with a flagged reason; "fail" fails it."""
    from silica_explorer.engine.acceptance import COLLAPSE_CONTACTS_PER_SI, close_contacts, is_flagged
    ff = ForceField.preset("BKS").replace(A_SiO=16500.0)
    flagged = LammpsEngine(threads=1).melt(ff, tiny, seed=0)
    assert flagged.status == "ok" and is_flagged(flagged.reason), flagged.reason
    assert flagged.reason.startswith("flagged collapse:")
    assert close_contacts(flagged.pdf) > COLLAPSE_CONTACTS_PER_SI
    failed = LammpsEngine(threads=1, collapse="fail").melt(ff, tiny, seed=0)
    assert failed.status == "failed" and failed.reason.startswith("collapse:")
    assert failed.reason == flagged.reason.removeprefix("flagged ")
    assert "collapse fail" in LammpsEngine(collapse="fail").version()
    assert "deck one-table" in LammpsEngine().version() and "deck hybrid" in LammpsEngine(deck="hybrid").version()


def test_engine_options_are_checked():
    with pytest.raises(ValueError, match="unknown LAMMPS deck 'x'"):
        LammpsEngine(deck="x")
    with pytest.raises(ValueError, match=r"collapse = 'ignore' must be one of \['flag', 'fail'\]"):
        LammpsEngine(collapse="ignore")


def test_timeout_is_a_failed_result(tiny):
    res = LammpsEngine(timeout_s=0.05).melt(ForceField.preset("ML"), tiny.replace(production_ps=5.0), seed=0)
    assert res.status == "failed" and res.reason.startswith("timeout")


def test_progress_callback_reaches_total(engine, tiny):
    seen = []
    res = engine.melt(ForceField.preset("ML"), tiny, seed=2, progress=lambda d, t, ph: seen.append((d, t, ph)))
    assert res.ok
    assert seen[-1] == (tiny.total_steps, tiny.total_steps, "done")


def test_fidelity_validation():
    assert FIDELITIES["paper"].n_atoms == 3000
    assert FIDELITIES["paper"].box_length == pytest.approx(35.661, abs=2e-3)
    assert FIDELITIES["paper"].total_steps == 20000
    with pytest.raises(FidelityError, match="rdf_r_max = 7.0 A exceeds half the box"):
        Fidelity(name="x", n_SiO2=20, relax_ps=0.1, production_ps=0.1)
    with pytest.raises(FidelityError, match="timestep = 0.01 must be in"):
        FIDELITIES["tiny"].replace(timestep=0.01)


def test_killed_parent_takes_lmp_with_it(tmp_path):
    """kill -9 of the Python process that runs a melt must not leave lmp running (PR_SET_PDEATHSIG)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    code = ("from silica_explorer.engine.lammps import LammpsEngine\n"
            "from silica_explorer.fidelity import FIDELITIES\n"
            "from silica_explorer.forcefield import ForceField\n"
            f"LammpsEngine(threads=1, workdir={str(tmp_path)!r}, keep_files=True).melt("
            "ForceField.preset('ML'), FIDELITIES['tiny'].replace(production_ps=50.0), 0)\n")
    parent = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.time() + 60
    lmp_pid = None
    while time.time() < deadline and lmp_pid is None:
        time.sleep(0.2)
        for d in tmp_path.glob("melt-*"):
            if (d / "log.lammps").exists():
                out = subprocess.run(["pgrep", "-f", "lmp -in in.melt", "-P", str(parent.pid)],
                                     capture_output=True, text=True).stdout.split()
                lmp_pid = int(out[0]) if out else None
    assert lmp_pid is not None, "lmp never started"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    for _ in range(50):
        try:
            os.kill(lmp_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(lmp_pid, signal.SIGKILL)
        raise AssertionError("lmp survived its parent")
