"""Step 3 of issue 27: R_x, structure, fidelities and melts of any system (silica unchanged)."""

import numpy as np
import pytest
import xarray as xr

from silica_explorer import structure
from silica_explorer.cost import PairMismatchError, pair_weights, rx
from silica_explorer.parameters import PAIRS
from silica_explorer.reference import load_reference
from silica_explorer.systems import NS3, SIO2

REFERENCE = "data/reference/sio2_3600K_chgnet.nc"


def silica_rx_as_before(reference, md):
    """R_x as cost.rx computed it before systems (exact grids): chi2 over PAIRS, their plain mean."""
    g_ref = np.stack([reference.g.sel(pair=p).values for p in PAIRS])
    idx = np.searchsorted(md.r.values, reference.r.values - 1e-6)
    g_md = np.stack([md.g.sel(pair=p).values[idx] for p in PAIRS])
    chi2 = np.sum((g_ref - g_md) ** 2, axis=1) / np.sum(g_ref**2, axis=1)
    return dict(zip(PAIRS, chi2)), float(np.sqrt(np.mean(chi2)))


@pytest.fixture(scope="module")
def silica_reference():
    return load_reference(REFERENCE)


def perturbed(pdf, seed, scale=0.05):
    rng = np.random.default_rng(seed)
    out = pdf.copy(deep=True)
    out["g"] = out.g * (1 + scale * rng.standard_normal(out.g.shape))
    return out


def test_generalized_rx_is_the_silica_rx_to_the_bit(silica_reference):
    melt_pdf = xr.load_dataset("data/reference/synthetic_chik_quick.nc")
    for md in (melt_pdf, perturbed(silica_reference, 0), perturbed(silica_reference, 1, 0.2)):
        chi2, R_x = silica_rx_as_before(silica_reference, md)
        res = rx(silica_reference, md)
        assert res.R_x == R_x and list(res.chi2) == list(PAIRS)
        assert all(res.chi2[p] == chi2[p] for p in PAIRS)
        # explicit equal weights: the same Eq. (3) to rounding
        assert rx(silica_reference, md, weights=pair_weights(SIO2)).R_x == pytest.approx(R_x, rel=1e-12, abs=0)
    assert 0 < rx(silica_reference, melt_pdf).R_x < 0.5


def gaussian_pdfs(pairs, r, shift=0.0):
    """Smooth liquid-like partial g(r): one first peak per pair, tending to 1."""
    g = {}
    for k, p in enumerate(pairs):
        r0 = 1.6 + 0.3 * k + shift
        g[p] = np.where(r < r0 - 0.5, 0.0, 1.0 + 2.0 * np.exp(-((r - r0) / 0.15) ** 2))
    return g


def ns3_pdf(shift=0.0, pairs=NS3.pairs):
    r = (np.arange(350) + 0.5) * 0.02
    return structure.pdf_dataset(r, gaussian_pdfs(pairs, r, shift), 0.02, NS3.atom_counts(25), 3000.0,
                                 pairs=pairs)


def test_ns3_rx_runs_over_all_six_pairs_with_each_pairs_chi():
    ref, md = ns3_pdf(), ns3_pdf(shift=0.03)
    res = rx(ref, md)
    assert list(res.chi) == list(NS3.pairs) and len(res.chi) == 6
    assert np.isfinite(res.R_x) and 0 < res.R_x < 1
    assert all(c > 0 for c in res.chi.values())
    assert res.R_x == pytest.approx(np.sqrt(np.mean([res.chi2[p] for p in NS3.pairs])), rel=1e-14)
    assert rx(ref, ref).R_x == 0.0
    # concentration weights: Eq. (3) with w_ab = c_a c_b (2 - delta_ab)
    w = pair_weights(NS3, "concentration")
    assert sum(w.values()) == pytest.approx(1.0) and w["NaNa"] == pytest.approx(1 / 36) and w["OO"] == pytest.approx(49 / 144)
    weighted = rx(ref, md, weights=w)
    assert weighted.R_x == pytest.approx(np.sqrt(sum(w[p] * weighted.chi2[p] for p in NS3.pairs)), rel=1e-12)
    assert pair_weights(SIO2, "concentration") == pytest.approx({"SiSi": 1 / 9, "SiO": 4 / 9, "OO": 4 / 9})


def test_a_missing_pair_or_weight_is_one_error_naming_it(silica_reference):
    five = tuple(p for p in NS3.pairs if p != "NaNa")
    with pytest.raises(PairMismatchError, match=r"the reference lacks pair\(s\) \['NaNa'\]"):
        rx(ns3_pdf(pairs=five), ns3_pdf())
    with pytest.raises(PairMismatchError, match=r"the MD PDF lacks pair\(s\) \['NaNa'\]"):
        rx(ns3_pdf(), ns3_pdf(pairs=five))
    with pytest.raises(PairMismatchError, match=r"MD PDF lacks pair\(s\) \['SiSi', 'SiO', 'OO'\]"):
        rx(silica_reference, ns3_pdf(pairs=("SiNa", "NaNa", "NaO")))
    with pytest.raises(ValueError, match=r"without a weight \['NaO'\]"):
        rx(ns3_pdf(), ns3_pdf(), weights={p: 1.0 for p in NS3.pairs if p != "NaO"})
    with pytest.raises(ValueError, match="weighting must be one of"):
        pair_weights(NS3, "faber")
