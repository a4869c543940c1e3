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


# ------------------------------------------------------------------------------ structure of any system
import json  # noqa: E402
from pathlib import Path  # noqa: E402

from silica_explorer.configurations import Configuration  # noqa: E402
from silica_explorer.systems import random_system_configuration  # noqa: E402
from silica_explorer.systems.description import SystemDescriptionError  # noqa: E402

from silica_structure_digests import shipped_frames, structure_digests  # noqa: E402

DATA = Path(__file__).parent / "data"


def test_silica_structure_outputs_are_bit_identical_to_before_systems():
    """Partial PDFs (g, g_err, attrs), coordination numbers (values and key order) and bond angles of four
    shipped CHGNet frames equal the digests taken on the code before structure took systems."""
    frames = shipped_frames()
    expected = json.loads((DATA / "silica_structure_digests.json").read_text())
    assert structure_digests(frames) == expected
    # the built-in silica system passed explicitly gives the same PDFs
    explicit = structure.partial_pdfs(frames, r_max=6.0, dr=0.02, system=SIO2)
    assert np.array_equal(explicit.g.values, structure.partial_pdfs(frames, r_max=6.0, dr=0.02).g.values)


def ns3_frames(n=2, n_units=25):
    return [random_system_configuration(NS3, n_units, 2.45, seed) for seed in range(n)]


def test_ns3_structure_from_frames_has_six_pairs_all_coordinations_and_angles_per_cation():
    frames = ns3_frames()
    pdf = structure.partial_pdfs(frames, r_max=6.0, dr=0.05)
    assert list(pdf.pair.values) == list(NS3.pairs)
    assert {k: pdf.attrs[k] for k in ("n_Si", "n_Na", "n_O")} == {"n_Si": 75, "n_Na": 50, "n_O": 175}
    with pytest.raises(ValueError, match=r"no coordination cutoff for pair\(s\) \['SiNa', 'NaNa', 'NaO'\]"):
        structure.coordination_numbers(pdf)
    cn = structure.coordination_numbers(pdf, {"SiNa": 4.0, "NaNa": 4.0, "NaO": 3.1})
    assert list(cn) == ["Si-Na", "Na-Si", "Si-O", "O-Si", "Na-O", "O-Na", "Si-Si", "Na-Na", "O-O"]
    # each coordination number is the mean neighbour count, counted directly in the frames (like pairs:
    # rho_b = N_b / V against g's N_b - 1, as silica's Si-Si and O-O always were: a factor N / (N - 1))
    for key, (a, b, rc) in {"Na-O": ("Na", "O", 3.1), "Si-Na": ("Si", "Na", 4.0), "Na-Na": ("Na", "Na", 4.0)}.items():
        bins = np.floor(rc / 0.05 - 0.5) + 1  # bins whose centre is below rc
        counts = [structure.coordination_distribution([f], a, b, cutoff=bins * 0.05) for f in frames]
        direct = np.mean([float((c.n * c).sum()) for c in counts]) * (50 / 49 if a == b else 1.0)
        assert cn[key] == pytest.approx(direct, rel=1e-9), key
    assert cn["Na-O"] * 50 == pytest.approx(cn["O-Na"] * 175)
    angles = structure.bond_angle_distributions(frames, cutoff={"SiO": 2.3, "NaO": 3.1})
    assert list(angles.data_vars) == ["OSiO", "SiOSi", "ONaO", "NaONa"]
    assert angles.attrs["cutoff_NaO"] == 3.1 and angles.ONaO.attrs["n_angles"] > 0
    assert float(angles.ONaO.sum() * angles.attrs["d_theta"]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"bond cutoff missing for pair\(s\) \['NaO'\]"):
        structure.bond_angle_distributions(frames, cutoff={"SiO": 2.3})


def test_frames_of_an_unknown_species_set_need_their_system():
    conf = Configuration(np.random.default_rng(0).uniform(0, 12, (30, 3)), np.array(["Si"] * 10 + ["Ca"] * 20),
                         np.full(3, 12.0))
    with pytest.raises(SystemDescriptionError, match=r"no built-in system has exactly the species \['Ca', 'Si'\]"):
        structure.partial_pdfs([conf], r_max=5.0)


# ------------------------------------------------------------------------------ a fidelity of any system
import dataclasses  # noqa: E402
import hashlib  # noqa: E402

from silica_explorer.engine.cache import melt_key  # noqa: E402
from silica_explorer.fidelity import FIDELITIES, Fidelity, FidelityError  # noqa: E402
from silica_explorer.forcefield import ForceField  # noqa: E402
from silica_explorer.systems import SystemFidelity, silica_system_fidelity, system_fidelity  # noqa: E402


def test_silica_fidelities_and_the_melt_cache_key_are_unchanged():
    """as_dict digests and a melt key taken on main before SystemFidelity existed."""
    before = {"tiny": "8e8d59d9a9cec170", "quick": "1863eddb7d10f816", "paper": "356c78ca2d9eb4b3"}
    for name, fid in FIDELITIES.items():
        assert hashlib.sha256(json.dumps(fid.as_dict()).encode()).hexdigest()[:16] == before[name], name
        assert hash(fid) == hash(tuple(getattr(fid, f.name) for f in dataclasses.fields(Fidelity)))
    assert [f.name for f in dataclasses.fields(Fidelity)][:2] == ["name", "n_SiO2"]
    assert (melt_key(ForceField.preset("BKS"), FIDELITIES["quick"], 3, "lammps-x")
            == "c4474b17c3d0c753b625cfbd4e5eb40b67af754a2ca22f2cd08588a7c02667a4")
    with pytest.raises(FidelityError, match=r"fidelity 'x': rdf_r_max = 7.0 A exceeds half the box \(3.566 A for 8 SiO2\)"
                                             r"; use a larger n_SiO2"):
        Fidelity(name="x", n_SiO2=8, relax_ps=0.1, production_ps=0.1)


def test_silica_fidelity_viewed_as_a_system_fidelity_has_the_same_size_box_and_protocol():
    for fid in FIDELITIES.values():
        sf = silica_system_fidelity(fid)
        assert (sf.n_atoms, sf.box_length, sf.total_steps, sf.rdf_bins) == (fid.n_atoms, fid.box_length,
                                                                           fid.total_steps, fid.rdf_bins)
        assert tuple(sf.separations.values()) == fid.min_separation
        assert system_fidelity(fid.name, SIO2, 3600.0, 2.2).replace(name=fid.name) == sf


def test_ns3_fidelity_requires_its_state_point_and_checks_every_field():
    with pytest.raises(TypeError, match="temperature"):
        system_fidelity("tiny", NS3, density=2.45)  # no default state point
    tiny = system_fidelity("tiny", NS3, temperature=3000.0, density=2.45)
    assert (tiny.name, tiny.n_units, tiny.n_atoms, tiny.relax_steps, tiny.production_steps) == ("tiny-NS3", 25, 300,
                                                                                                500, 500)
    assert tiny.atom_counts == {"Si": 75, "Na": 50, "O": 175}
    assert tiny.separations == {"SiSi": 2.5, "SiNa": 2.0, "SiO": 1.5, "NaNa": 2.0, "NaO": 1.6, "OO": 2.2}
    quick = system_fidelity("quick", NS3, 3000.0, 2.45)
    assert quick.n_atoms == 648 and quick.production_ps == 4.0
    # JSON round trip, the built-in system by name
    d = tiny.as_dict()
    assert d["system"] == "NS3" and d["min_separation"]["NaO"] == 1.6
    assert SystemFidelity.from_dict(json.loads(json.dumps(d))) == tiny
    with pytest.raises(FidelityError, match=r"rdf_r_max = 7.0 A exceeds half the box .* for 16 NS3 units\); use a larger n_units"):
        tiny.replace(n_units=16)
    with pytest.raises(FidelityError, match=r"min_separation: NS3: min_separation for unknown pair 'NaNO'"):
        tiny.replace(min_separation={"NaNO": 1.0})
    with pytest.raises(FidelityError, match=r"temperature = -5.0 must be in \(0, 20000\] K"):
        tiny.replace(temperature=-5.0)
    with pytest.raises(FidelityError, match=r"unknown key 'n_SiO2'"):
        SystemFidelity.from_dict({**d, "n_SiO2": 3})


# ------------------------------------------------------------------------------ NS3 melts scored by the Evaluator
from silica_explorer.engine.base import MeltResult  # noqa: E402
from silica_explorer.evaluate import Evaluator  # noqa: E402
from silica_explorer.systems import SystemForceField  # noqa: E402


@pytest.fixture(scope="module")
def ns3_tiny():
    return system_fidelity("tiny", NS3, temperature=3600.0, density=2.45)


@pytest.fixture(scope="module")
def ns3_reference(engine, ns3_tiny):
    """A synthetic NS3 reference: one SHIK-NS3 tiny melt (seed 11)."""
    melt = engine.melt(SystemForceField.preset("SHIK-NS3"), ns3_tiny, seed=11)
    assert isinstance(melt, MeltResult) and melt.ok, melt.reason
    ref = melt.pdf.copy()
    ref.attrs["name"] = "synthetic SHIK-NS3 tiny seed 11"
    return ref


def test_evaluator_scores_ns3_melts_over_six_pairs(engine, ns3_tiny, ns3_reference):
    ev = Evaluator(ns3_reference, ns3_tiny, engine=engine)
    ev.check_grid()
    same = ev(SystemForceField.preset("SHIK-NS3"), seed=12)
    other = ev(SystemForceField.preset("Teter-NS3"), seed=12)
    for res in (same, other):
        assert res.ok, res.reason
        assert list(res.chi) == list(NS3.pairs) and all(np.isfinite(list(res.chi.values())))
        assert list(res.pdf.pair.values) == list(NS3.pairs) and res.melt.thermo.sizes["sample"] > 0
    # another seed of the same forcefield is close; another forcefield is further
    assert 0 < same.R_x < 0.15
    assert other.R_x > 1.3 * same.R_x
    rec = same.record()
    assert rec["fidelity"]["system"] == "NS3" and rec["forcefield"]["system"] == "NS3" and set(rec["chi"]) == set(NS3.pairs)
    ident = ev.identity()
    assert ident["fidelity"]["n_units"] == 25 and ident["fidelity"]["temperature"] == 3600.0
    # a silica forcefield does not go with an NS3 fidelity; a silica reference does not go with NS3 melts
    with pytest.raises(TypeError, match="a SystemFidelity \\(NS3\\) needs a SystemForceField"):
        ev(ForceField.preset("BKS"), seed=0)
    with pytest.raises(PairMismatchError, match=r"the reference lacks pair\(s\) \['SiNa', 'NaNa', 'NaO'\]"):
        rx(load_reference(REFERENCE), same.pdf)


def test_the_melt_cache_serves_ns3_melts_and_keeps_silica_keys(engine, ns3_tiny, ns3_reference, tmp_path):
    from silica_explorer.engine.cache import CachingEngine
    cached = CachingEngine(engine, tmp_path / "cache")
    ff = SystemForceField.preset("SHIK-NS3")
    first = cached.melt(ff, ns3_tiny, seed=11)
    again = cached.melt(ff, ns3_tiny, seed=11)
    assert (cached.hits, cached.misses) == (1, 1) and again.ok
    assert list(again.pdf.pair.values) == list(NS3.pairs)
    np.testing.assert_array_equal(again.pdf.g.values, first.pdf.g.values)
    np.testing.assert_array_equal(again.pdf.g.values, ns3_reference.g.values)  # same seed, same melt
    keys = {melt_key(ff, ns3_tiny, 11, "v"), melt_key(ff.replace(A_NaO=ff.values["A_NaO"] * 1.01), ns3_tiny, 11, "v"),
            melt_key(ff, ns3_tiny.replace(temperature=3000.0), 11, "v"), melt_key(ff, ns3_tiny, 12, "v")}
    assert len(keys) == 4


def test_the_store_caches_ns3_evaluations_and_keeps_silica_keys(engine, ns3_tiny, ns3_reference, tmp_path):
    from silica_explorer.store import CachedCost
    from silica_explorer.store.keys import request_key
    silica_ident = {"fidelity": FIDELITIES["quick"].as_dict(), "reference_id": "abc", "r_range": None, "align": "exact"}
    assert (request_key(ForceField.preset("SHIK"), 2, silica_ident)  # taken on main before systems
            == "635c7ae13addbe042e19ffebc0ee59bf8b198554f2798f985737b6ef29838ccb")
    cost = CachedCost(Evaluator(ns3_reference, ns3_tiny, engine=engine), tmp_path / "store")
    ff = SystemForceField.preset("Teter-NS3")
    first = cost(ff, seed=3, free=["q_Na", "A_NaO"])
    again = cost(ff, seed=3)
    assert (cost.n_evaluated, cost.n_cached) == (1, 1) and again.cached_from == first.id
    assert first.ok and again.R_x == first.R_x and list(first.chi) == list(NS3.pairs)
    assert first.free == {"q_Na": ff.values["q_Na"], "A_NaO": ff.values["A_NaO"]}
    assert first.to_forcefield() == ff and first.fidelity["system"] == "NS3"
    assert cost.key(ff, 3) != cost.key(SystemForceField.preset("SHIK-NS3"), 3)


def test_hoomd_refuses_a_system_fidelity_before_any_md(ns3_tiny):
    hoomd = pytest.importorskip("hoomd")  # noqa: F841
    from silica_explorer.engine.hoomd import HoomdEngine
    with pytest.raises(TypeError, match="HOOMD melts take a silica Fidelity, got SystemFidelity"):
        HoomdEngine().melt(SystemForceField.preset("SHIK-NS3"), ns3_tiny, seed=0)


def test_an_ns3_reference_file_round_trips_and_the_evaluator_loads_it(engine, ns3_tiny, ns3_reference, tmp_path):
    from silica_explorer.reference import ReferenceError, save_reference, validate_pdf
    path = save_reference(ns3_reference, tmp_path / "ns3_ref.nc")
    loaded = load_reference(path)
    assert list(loaded.pair.values) == list(NS3.pairs) and loaded.attrs["system"] == "NS3"
    np.testing.assert_array_equal(loaded.g.values, ns3_reference.g.values)
    ev = Evaluator(path, ns3_tiny, engine=engine)
    assert ev.identity()["reference_id"] == Evaluator(ns3_reference, ns3_tiny, engine=engine).identity()["reference_id"]
    with pytest.raises(ReferenceError, match=r"tables hold silica's pairs"):
        save_reference(ns3_reference, tmp_path / "ns3_ref.csv")
    with pytest.raises(ReferenceError, match=r"missing pair\(s\) \['NaNa'\]; need \['SiSi', 'SiNa', 'SiO', 'NaNa', 'NaO', 'OO'\]"):
        validate_pdf(ns3_reference.drop_sel(pair="NaNa"))


def test_melt_inputs_must_go_together(tmp_path, ns3_tiny):
    from silica_explorer.engine.lammps import write_melt_deck
    from silica_explorer.engine.lammps_system import check_melt_inputs
    check_melt_inputs(SystemForceField.preset("BKS-SiO2"), FIDELITIES["tiny"])  # silica, as always
    with pytest.raises(TypeError, match="a silica Fidelity needs a silica forcefield, got NS3"):
        write_melt_deck(tmp_path, SystemForceField.preset("SHIK-NS3"), FIDELITIES["tiny"], 0)
    with pytest.raises(ValueError, match="forcefield 'BKS' is for SiO2, fidelity 'tiny-NS3' for NS3"):
        check_melt_inputs(SystemForceField.preset("BKS-SiO2"), ns3_tiny)


def test_ns3_melt_structure_first_peaks_and_na_o_coordination(ns3_reference):
    with pytest.raises(ValueError, match="no default first-peak window for pair 'NaO'"):
        structure.first_peak(ns3_reference, "NaO")
    r_nao, _ = structure.first_peak(ns3_reference, "NaO", r_range=(2.0, 2.8))
    assert 2.15 < r_nao < 2.5
    cn = structure.coordination_numbers(ns3_reference, {"NaO": 3.0, "SiNa": 4.0, "NaNa": 4.0})
    assert 3.6 < cn["Si-O"] < 4.4 and 3.0 < cn["Na-O"] < 7.5


def test_evaluator_weights_enter_the_identity_only_when_given(engine, ns3_tiny, ns3_reference):
    from silica_explorer.store.keys import key_identity
    silica = Evaluator(REFERENCE, "quick", engine=engine).identity()
    assert sorted(silica) == ["align", "engine", "engine_checks", "engine_version", "fidelity", "kind", "r_range",
                              "reference", "reference_id"]  # as on main before systems
    assert silica["reference_id"] == "12876699206046f7"
    w = pair_weights(NS3, "concentration")
    ev = Evaluator(ns3_reference, ns3_tiny, engine=engine, weights=w)
    assert ev.identity()["pair_weights"] == w and "pair_weights" in key_identity(ev.identity())
    res = ev(SystemForceField.preset("SHIK-NS3"), seed=12)
    assert res.R_x == pytest.approx(np.sqrt(sum(w[p] * res.cost.chi2[p] for p in NS3.pairs)), rel=1e-12)
    with pytest.raises(ValueError, match=r"without a weight \['SiSi'\]"):
        Evaluator(ns3_reference, ns3_tiny, engine=engine, weights={p: 1.0 for p in NS3.pairs if p != "SiSi"})
