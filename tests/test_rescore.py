"""Re-scoring pieces (silica_explorer.scoring, scripts/rescore.py): angle peaks against geometry,
structure numbers against the structure module, the melt/angle cache paths, the tables. MD at tiny."""

import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from scipy.spatial.transform import Rotation

from silica_explorer.cost import rx
from silica_explorer.engine.cache import CachingEngine
from silica_explorer.forcefield import ForceField
from silica_explorer.parameters import PAIRS
from silica_explorer.reference import load_reference
from silica_explorer.glass import liquid_pressure
from silica_explorer.scoring import (angle_peak, format_table, reference_numbers, rescore, seed_table,
                                     structure_numbers, table)
from silica_explorer.structure import bond_angle_distributions, coordination_numbers, first_peak
from silica_explorer.configurations import Configuration

ROOT = Path(__file__).resolve().parent.parent
TETRAHEDRAL = np.degrees(np.arccos(-1.0 / 3.0))  # 109.4712 degree


def lattice_of(molecules, spacing=6.0):
    """Molecules (list of (species, positions)) on a cubic lattice, far apart (> the 2.3 A bond cutoff)."""
    n = int(np.ceil(len(molecules) ** (1 / 3)))
    pos, spec = [], []
    for k, (s, p) in enumerate(molecules):
        site = spacing * (np.array(np.unravel_index(k, (n, n, n))) + 0.5)
        pos.append(p + site)
        spec += s
    return Configuration(np.vstack(pos), np.array(spec), np.full(3, n * spacing))


def test_ideal_tetrahedra_give_109_47(rng):
    corners = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / np.sqrt(3) * 1.61
    mols = [(["Si", "O", "O", "O", "O"], np.vstack([[0, 0, 0], Rotation.random(random_state=k).apply(corners)]))
            for k in range(27)]
    conf = lattice_of(mols)
    for d_theta in (2.0, 0.5):
        ba = bond_angle_distributions([conf], d_theta=d_theta)
        assert ba.OSiO.attrs["n_angles"] == 27 * 6
        assert abs(angle_peak(ba, "OSiO") - TETRAHEDRAL) <= d_theta / 2  # within the bin holding 109.47
    assert np.isnan(angle_peak(ba, "SiOSi"))  # no O bridges two Si here


def test_si_o_si_peak_of_a_known_distribution():
    """Si-O-Si units with angles drawn from N(144, 6) degree: the peak estimate is within 1.5 degree."""
    rng = np.random.default_rng(4)
    theta = np.radians(rng.normal(144.0, 6.0, 3000))
    mols = []
    for k, t in enumerate(theta):
        si = 1.6 * np.array([[1, 0, 0], [np.cos(t), np.sin(t), 0]])
        rot = Rotation.random(random_state=k)
        mols.append((["O", "Si", "Si"], np.vstack([[0, 0, 0], rot.apply(si)])))
    ba = bond_angle_distributions([lattice_of(mols)])
    assert ba.SiOSi.attrs["n_angles"] == 3000
    assert angle_peak(ba, "SiOSi") == pytest.approx(144.0, abs=1.5)


@pytest.fixture(scope="module")
def reference():
    return load_reference(ROOT / "data" / "reference" / "sio2_3600K_chgnet.nc")


def test_rescore_tiny_one_preset_one_seed(engine, tiny, reference, tmp_path):
    cached = CachingEngine(engine, tmp_path / "melts")
    ds = rescore([ForceField.preset("CHIK")], tiny, [2], reference, cached)
    assert dict(ds.sizes) == {"set": 1, "seed": 1, "pair": 3}
    assert ds.R_x.attrs["units"] == "1 (fraction)" and ds.r_peak.attrs["units"] == "A"
    assert ds.theta_OSiO.attrs["units"] == "degree" and str(ds.status.item()) == "ok"
    # the same numbers from an independent melt through the cost and structure modules
    melt = engine.melt(ForceField.preset("CHIK"), tiny, 2)
    cost = rx(reference, melt.pdf)
    assert float(ds.R_x.item()) == pytest.approx(cost.R_x, rel=1e-9)
    np.testing.assert_allclose(ds.chi.sel(set="CHIK", seed=2).values, [cost.chi[p] for p in PAIRS], rtol=1e-9)
    for p in PAIRS:
        assert float(ds.r_peak.sel(set="CHIK", seed=2, pair=p)) == pytest.approx(first_peak(melt.pdf, p)[0], abs=1e-9)
    assert float(ds.n_SiO.item()) == pytest.approx(coordination_numbers(melt.pdf)["Si-O"], rel=1e-9)
    angles = bond_angle_distributions(melt.trajectory)
    assert float(ds.theta_OSiO.item()) == pytest.approx(angle_peak(angles, "OSiO"), abs=1e-9)
    assert 95 < float(ds.theta_OSiO.item()) < 115 and 120 < float(ds.theta_SiOSi.item()) < 170
    # the liquid pressure is the melt's production mean (bar -> GPa), the same number the glass module reads
    prod = melt.thermo.pressure.values[melt.thermo.phase.values == "production"]
    assert float(ds.pressure.item()) == pytest.approx(prod.mean() * 1e-4, rel=1e-9)
    assert float(ds.pressure.item()) == pytest.approx(liquid_pressure(melt)["pressure_GPa"], rel=1e-9)
    assert ds.pressure.attrs["units"] == "GPa" and -5 < float(ds.pressure.item()) < 20
    row = table(ds).set_index("set")
    assert row.loc["CHIK", "pressure"] == pytest.approx(float(ds.pressure.item()))
    assert np.isnan(row.loc["reference", "pressure"])  # the CHGNet frames carry no stress
    assert "P liquid GPa" in format_table(table(ds))
    # second pass: melt and angles from the caches, nothing re-run
    again = rescore([ForceField.preset("CHIK")], tiny, [2], reference, CachingEngine(engine, tmp_path / "melts"))
    assert again.attrs["reruns_for_frames"] == 0
    for v in ("R_x", "theta_OSiO", "theta_SiOSi", "n_SiO", "pressure"):  # a cache hit keeps the pressure
        assert float(again[v].item()) == float(ds[v].item())
    # a cached melt whose angles are missing is run once more for its frames
    for p in (tmp_path / "melts").glob("*.angles.nc"):
        p.unlink()
    third = rescore([ForceField.preset("CHIK")], tiny, [2], reference, CachingEngine(engine, tmp_path / "melts"))
    assert third.attrs["reruns_for_frames"] == 1
    assert float(third.theta_SiOSi.item()) == pytest.approx(float(ds.theta_SiOSi.item()), abs=1e-9)
    assert len(list((tmp_path / "melts").glob("*.angles.nc"))) == 1


def test_reference_numbers_two_paths(reference):
    """Without frames the reference's angles come from its stored OSiO/SiOSi distributions. (From all 582
    frames of sio2_3600K_chgnet_production.extxyz.gz, bond_angle_distributions gives exactly the stored
    distributions - max |difference| 0.0 - and the same peaks, 106.7 and 130.1 degree; measured once, too
    slow for a unit test: ``reference_numbers(ref, read_frames(path)[0])``.)"""
    nums = reference_numbers(reference)
    assert nums == {**structure_numbers(reference, reference[["OSiO", "SiOSi"]]), "angle_source": nums["angle_source"]}
    assert nums["angle_source"].startswith("distributions stored")
    assert nums["theta_OSiO"] == pytest.approx(angle_peak(reference[["OSiO", "SiOSi"]], "OSiO"))
    assert nums["r_peak"]["SiO"] == pytest.approx(first_peak(reference, "SiO")[0])
    bare = reference.drop_vars(["OSiO", "SiOSi"])
    assert np.isnan(reference_numbers(bare)["theta_OSiO"])


def test_table_mean_std_and_markdown():
    rng = np.random.default_rng(0)
    sets, seeds = ["A", "B"], [0, 1, 2]
    ds = xr.Dataset(coords={"set": sets, "seed": seeds, "pair": list(PAIRS)})
    R = rng.random((2, 3)) * 0.1
    R[1, 2] = np.nan  # a failed seed is left out
    ds["R_x"] = (("set", "seed"), R)
    ds["chi"] = (("set", "seed", "pair"), rng.random((2, 3, 3)))
    ds["r_peak"] = (("set", "seed", "pair"), rng.random((2, 3, 3)) + 1.5)
    for k in ("n_SiO", "theta_OSiO", "theta_SiOSi"):
        ds[k] = (("set", "seed"), rng.random((2, 3)))
        ds[f"ref_{k}"] = ((), 1.0)
    ds["ref_r_peak"] = ("pair", [3.1, 1.6, 2.6])
    ds["status"] = (("set", "seed"), np.array([["ok"] * 3, ["ok", "ok", "failed"]]))
    df = table(ds)
    assert list(df["set"]) == ["A", "B", "reference"]
    assert df.loc[0, "R_x"] == pytest.approx(100 * R[0].mean()) and df.loc[0, "R_x_std"] == pytest.approx(100 * R[0].std(ddof=1))
    assert df.loc[1, "R_x"] == pytest.approx(100 * R[1, :2].mean()) and df.loc[1, "n_ok"] == 2
    assert df.loc[2, "r_peak_SiO"] == pytest.approx(1.6)
    md = format_table(df, "t")
    assert "| B | 2/3 |" in md and "| reference | - |" in md and md.count("\n") == 7


def test_script_tiny(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import rescore as script
    finally:
        sys.path.pop(0)
    ff = tmp_path / "mine.json"
    ForceField.preset("ML").replace(name="mine").save(ff)
    assert script.main(["--sets", f"BKS,{ff}", "--fidelity", "tiny", "--seeds", "1", "--out", str(tmp_path / "r")]) == 0
    ds = xr.open_dataset(tmp_path / "r.nc")
    assert list(ds.set.values) == ["BKS", "mine"] and np.all(np.isfinite(ds.R_x.values))
    assert (tmp_path / "r.csv").read_text().count("\n") == 4  # header, 2 sets, reference
    assert "| mine | 1/1 |" in (tmp_path / "r.md").read_text()


def test_failed_melt_is_a_recorded_nan(reference, tiny):
    """A set whose melt fails keeps its seed as nan with status and reason; the table counts it out."""
    from silica_explorer.engine import MeltResult

    class Failing:
        name = "fake"

        def version(self):
            return "fake 0"

        def melt(self, ff, fidelity, seed, warm_start=None, progress=None):
            return MeltResult(status="failed", reason="overlap: test", forcefield=ff, fidelity=fidelity, seed=seed,
                              engine="fake", engine_version="fake 0", wall_time_s=0.0)

    ds = rescore([ForceField.preset("BKS")], tiny, [0, 1], reference, Failing())
    assert list(ds.status.values[0]) == ["failed", "failed"] and str(ds.reason.values[0, 0]) == "overlap: test"
    assert np.all(np.isnan(ds.R_x.values)) and np.all(np.isnan(ds.theta_OSiO.values))
    row = table(ds).iloc[0]
    assert row["n_ok"] == 0 and np.isnan(row["R_x"])
    assert "| BKS | 0/2 | - |" in format_table(table(ds))


def test_a_table_written_before_the_pressure_was_recorded_shows_a_dash():
    """Files from before the liquid pressure was recorded (no ``pressure`` variable) still make a table."""
    ds = xr.Dataset({"R_x": (("set", "seed"), [[0.1, 0.12]]), "status": (("set", "seed"), [["ok", "ok"]])},
                    coords={"set": ["A"], "seed": [0, 1]})
    df = seed_table(ds, [("R_x", None, 100.0), ("pressure", None, 1.0)], reference=False)
    assert df.loc[0, "R_x"] == pytest.approx(11.0) and np.isnan(df.loc[0, "pressure"])
    text = format_table(df, columns=("R_x", "pressure"))
    assert text.strip().splitlines()[-1] == "| A | 2/2 | 11.00 +- 1.41 | - |"
