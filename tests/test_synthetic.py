"""Synthetic references (silica_explorer.synthetic): labels, provenance, seed averaging, the script."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from silica_explorer.forcefield import ForceField
from silica_explorer.inputs import parse_seeds
from silica_explorer.parameters import PAIRS
from silica_explorer.reference import load_reference
from silica_explorer.synthetic import SYNTHETIC_LABEL, generating_forcefield, is_synthetic, synthetic_reference

ROOT = Path(__file__).resolve().parent.parent


class RecordingEngine:
    """Wraps the real engine and keeps each melt's PDF, to check the averaging independently."""

    def __init__(self, engine):
        self.engine, self.name, self.pdfs = engine, engine.name, {}

    def version(self):
        return self.engine.version()

    def melt(self, ff, fidelity, seed):
        res = self.engine.melt(ff, fidelity, seed)
        self.pdfs[seed] = res.pdf
        return res


def test_synthetic_reference_tiny_is_labelled_and_averaged(engine, tiny):
    rec = RecordingEngine(engine)
    ds = synthetic_reference("CHIK", "tiny", "3-4", rec, command="pytest")
    # labelled synthetic everywhere
    assert ds.attrs["name"].startswith(SYNTHETIC_LABEL) and "CHIK" in ds.attrs["name"]
    assert ds.attrs["synthetic"] == 1 and is_synthetic(ds)
    assert "not ab initio" in ds.attrs["source"]
    prov = json.loads(ds.attrs["provenance"])
    assert prov["synthetic"] is True and prov["seeds"] == [3, 4] and prov["fidelity"]["name"] == "tiny"
    assert prov["engine_version"] == engine.version() and prov["command"] == "pytest"
    assert generating_forcefield(ds) == ForceField.preset("CHIK")
    # g is the seed mean, g_err the standard error of two seeds = |g3 - g4| / 2
    for p in PAIRS:
        g3, g4 = rec.pdfs[3].g.sel(pair=p).values, rec.pdfs[4].g.sel(pair=p).values
        np.testing.assert_allclose(ds.g.sel(pair=p).values, 0.5 * (g3 + g4), rtol=1e-12)
        np.testing.assert_allclose(ds.g_err.sel(pair=p).values, np.abs(g3 - g4) / 2, rtol=1e-9, atol=1e-12)
    assert not np.allclose(rec.pdfs[3].g.values, rec.pdfs[4].g.values)  # two seeds really differ
    assert ds.attrs["n_Si"] == tiny.n_SiO2 and ds.attrs["temperature_K"] == tiny.temperature


def test_synthetic_reference_refuses_failed_melt(tiny):
    class Failing:
        name = "fake"

        def version(self):
            return "fake 0"

        def melt(self, ff, fidelity, seed):
            from silica_explorer.engine import MeltResult
            return MeltResult(status="failed", reason="overlap: test", forcefield=ff, fidelity=fidelity, seed=seed,
                              engine="fake", engine_version="fake 0", wall_time_s=0.0)

    with pytest.raises(RuntimeError, match="seed 7 melt failed: overlap"):
        synthetic_reference("CHIK", tiny, [7], Failing())


@pytest.mark.parametrize("text, out", [("0,1,2", [0, 1, 2]), ("10-14", [10, 11, 12, 13, 14]), ("1, 5-6", [1, 5, 6])])
def test_parse_seeds(text, out):
    assert parse_seeds(text) == out


@pytest.mark.parametrize("bad, match", [("", "no MD seed"), ("a", "bad item"), ("1,1", "distinct"), ([-1], ">= 0")])
def test_parse_seeds_rejects(bad, match):
    with pytest.raises(ValueError, match=match):
        parse_seeds(bad)


def test_generating_forcefield_needs_synthetic(classical_reference):
    with pytest.raises(ValueError, match="not labelled synthetic"):
        generating_forcefield(classical_reference)


def test_script_writes_labelled_file(tmp_path):
    out = tmp_path / "syn.nc"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_synthetic_reference.py"), "--preset", "CHIK",
                           "--fidelity", "tiny", "--seeds", "5", "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    ds = load_reference(out)
    assert is_synthetic(ds) and ds.attrs["name"].startswith(SYNTHETIC_LABEL)
    prov = json.loads(ds.attrs["provenance"])
    assert prov["seeds"] == [5] and "make_synthetic_reference.py" in prov["command"]
    np.testing.assert_array_equal(ds.g_err.values, 0.0)  # one seed: no spread
