import numpy as np
import pytest
import xarray as xr

from silica_explorer import structure
from silica_explorer.cost import GridMismatchError, rx
from silica_explorer.parameters import PAIRS
from silica_explorer.configurations import Configuration


def ideal_gas(rng, n_si=120, box=16.0):
    species = np.array(["Si"] * n_si + ["O"] * (2 * n_si))
    return Configuration(rng.uniform(0, box, (3 * n_si, 3)), species, np.full(3, box))


def test_pdf_of_random_configuration_tends_to_one(rng):
    frames = [ideal_gas(rng) for _ in range(30)]
    pdf = structure.partial_pdfs(frames, r_max=8.0, dr=0.1, n_blocks=5)
    assert list(pdf.pair.values) == list(PAIRS) and pdf.r.attrs["units"] == "A"
    far = pdf.sel(r=slice(4.0, 8.0))
    for pair in PAIRS:
        g = far.g.sel(pair=pair)
        err = far.g_err.sel(pair=pair)
        # mean over the window is 1 within 4 standard errors of that mean
        sem = float(np.sqrt((err**2).sum()) / g.size)
        assert abs(float(g.mean()) - 1.0) < 4 * sem + 1e-3, pair
    assert pdf.attrs["n_Si"] == 120 and pdf.attrs["volume"] == pytest.approx(16.0**3)


def test_pdf_rejects_r_max_beyond_half_box(rng):
    with pytest.raises(ValueError, match="exceeds half the box"):
        structure.partial_pdfs([ideal_gas(rng, box=10.0)], r_max=6.0, dr=0.1)


def tetrahedron_crystal():
    """Isolated SiO4-like units on a wide lattice: Si-O 1.6 A exactly, O-Si-O all 109.47 degrees."""
    d = 1.6 / np.sqrt(3)
    tet = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) * d
    pos, species = [], []
    for cell in np.ndindex(3, 3, 3):
        c = (np.array(cell) + 0.5) * 6.0
        pos += [c] + list(c + tet)
        species += ["Si", "O", "O", "O", "O"]
    return Configuration(np.array(pos), np.array(species), np.full(3, 18.0))


def test_known_geometry_peaks_coordination_and_angles():
    conf = tetrahedron_crystal()
    pdf = structure.partial_pdfs([conf], r_max=5.0, dr=0.02)
    assert structure.first_peak(pdf, "SiO", half_width=0.02)[0] == pytest.approx(1.6, abs=0.011)
    # O-O edge of the tetrahedron: 1.6 * sqrt(8/3)
    assert structure.first_peak(pdf, "OO", r_range=(2.0, 3.0), half_width=0.02)[0] == pytest.approx(1.6 * np.sqrt(8 / 3), abs=0.011)
    cn = structure.coordination_numbers(pdf, cutoffs={"SiO": 2.0})
    assert cn["Si-O"] == pytest.approx(4.0)
    dist = structure.coordination_distribution([conf], "Si", "O", cutoff=2.0)
    assert float(dist.sel(n=4)) == 1.0
    bad = structure.bond_angle_distributions([conf], cutoff=2.0, d_theta=1.0)
    peak = float(bad.angle[int(np.argmax(bad.OSiO.values))])
    assert peak == pytest.approx(109.5, abs=0.6)
    assert float((bad.OSiO * 1.0).sum()) == pytest.approx(1.0)
    assert bad.SiOSi.attrs["n_angles"] == 0  # every O has one Si


def make_pdf(values: dict, r=None):
    r = np.arange(0.01, 0.2, 0.02) if r is None else r
    return structure.pdf_dataset(r, {p: np.full(r.size, v) for p, v in values.items()}, dr=0.02)


def test_rx_zero_for_identical_and_hand_checked_otherwise():
    ref = make_pdf({"SiSi": 1.0, "SiO": 1.0, "OO": 1.0})
    assert rx(ref, ref).R_x == 0.0
    md = make_pdf({"SiSi": 1.1, "SiO": 1.2, "OO": 1.0})
    res = rx(ref, md)
    # chi2 = sum (0.1)^2 / sum 1 = 0.01 ; 0.04 ; 0 -> R_x = sqrt(0.05/3)
    assert res.chi2["SiSi"] == pytest.approx(0.01)
    assert res.chi2["SiO"] == pytest.approx(0.04)
    assert res.chi["SiO"] == pytest.approx(0.2)
    assert res.R_x == pytest.approx(np.sqrt(0.05 / 3))
    assert res.n_points == 10


def test_rx_grid_alignment_is_explicit():
    ref = make_pdf({"SiSi": 1.0, "SiO": 2.0, "OO": 1.0})
    shifted = make_pdf({"SiSi": 1.0, "SiO": 2.0, "OO": 1.0}, r=np.arange(0.0, 0.3, 0.02))
    with pytest.raises(GridMismatchError, match="not MD bin centres"):
        rx(ref, shifted)
    assert rx(ref, shifted, align="interpolate").R_x == pytest.approx(0.0)
    short = make_pdf({"SiSi": 1.0, "SiO": 2.0, "OO": 1.0}, r=np.arange(0.01, 0.1, 0.02))
    with pytest.raises(GridMismatchError, match="outside the MD grid"):
        rx(ref, short)
    assert rx(ref, short, r_range=(0.0, 0.095)).n_points == 5


def test_rx_on_md_subset_grid(ml_melt, classical_reference):
    """A reference on a shorter grid (e.g. a 114-atom AIMD box, r <= 5.99 A) aligns exactly with MD bins."""
    ref = classical_reference.sel(r=slice(0, 5.99))
    res = rx(ref, ml_melt.pdf)
    assert res.r_range[1] == pytest.approx(5.99)
    full = rx(classical_reference, ml_melt.pdf)
    assert 0.0 < res.R_x < 0.5 and 0.0 < full.R_x < 0.5
    assert isinstance(ref, xr.Dataset)


def test_score_sets_and_summary(engine, classical_reference, tiny):
    from silica_explorer.evaluate import Evaluator
    from silica_explorer.forcefield import ForceField
    from silica_explorer.scoring import format_summary, score_sets, summary
    ev = Evaluator(classical_reference, tiny, engine=engine)
    sets = {"ML": ForceField.preset("ML"),
            "hostile": ForceField.preset("BKS").replace(q_Si=3.9, A_SiO=0.0, name="hostile")}
    ds = score_sets(sets, ev, seeds=[0, 1])
    assert ds.R_x.dims == ("set", "seed") and ds.chi.dims == ("set", "seed", "pair")
    assert (ds.status.sel(set="ML") == "ok").all()
    assert (ds.status.sel(set="hostile") == "failed").all()
    assert str(ds.reason.sel(set="hostile", seed=0).values).startswith("overlap")
    table = summary(ds)
    ml = ds.R_x.sel(set="ML").values * 100
    assert table.loc["ML", "R_x"] == pytest.approx(ml.mean())
    assert table.loc["ML", "R_x_std"] == pytest.approx(ml.std(ddof=1))
    assert table.loc["hostile", "n_ok"] == 0
    assert "ML" in format_summary(table)
    # Table II's liquid pressure (GPa): each melt's production mean; NaN where the melt failed
    assert ds.pressure.attrs["units"] == "GPa" and np.isfinite(ds.pressure.sel(set="ML")).all()
    assert np.isnan(ds.pressure.sel(set="hostile")).all()
    assert table.loc["ML", "pressure"] == pytest.approx(float(ds.pressure.sel(set="ML").mean()))
    assert "P liquid" in format_summary(table).splitlines()[0]
