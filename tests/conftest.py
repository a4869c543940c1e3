"""Shared fixtures: tiny systems only (a few hundred atoms, a few hundred steps)."""

import os

import numpy as np
import pytest

from silica_explorer.engine.lammps import LammpsEngine
from silica_explorer.fidelity import FIDELITIES
from silica_explorer.forcefield import ForceField


@pytest.fixture(scope="session")
def engine():
    # one thread: tiny systems gain little from threads, and OpenMP threads stall badly when the
    # machine is shared (CI runs tests alone, but developers often do not)
    return LammpsEngine(threads=1)


@pytest.fixture(scope="module")
def hoomd_engine():
    """A CPU HOOMD engine. Skips (with the reason) when HOOMD-blue is not importable; CI sets
    SILICA_REQUIRE_HOOMD=1, which turns that skip into a failure."""
    from silica_explorer.engine.hoomd import HoomdEngine, HoomdUnavailable, import_hoomd
    try:
        import_hoomd()
    except HoomdUnavailable as exc:
        if os.environ.get("SILICA_REQUIRE_HOOMD"):
            pytest.fail(f"SILICA_REQUIRE_HOOMD is set but {exc}")
        pytest.skip(str(exc))
    return HoomdEngine(device="cpu")


@pytest.fixture(scope="session")
def tiny():
    return FIDELITIES["tiny"]


@pytest.fixture(scope="session")
def ml_melt(engine, tiny):
    """One tiny ML melt with frames stored at every g(r) sample (so both g(r) paths see the same frames)."""
    fid = tiny.replace(frame_every=tiny.rdf_every)
    res = engine.melt(ForceField.preset("ML"), fid, seed=11)
    assert res.ok, res.reason
    return res


@pytest.fixture(scope="session")
def classical_reference(engine, tiny):
    """Stand-in reference for pipeline tests: a tiny classical CHIK liquid (NOT ab initio)."""
    res = engine.melt(ForceField.preset("CHIK"), tiny, seed=3)
    assert res.ok, res.reason
    ref = res.pdf.copy()
    ref.attrs["name"] = "classical CHIK liquid (tiny), test stand-in"
    return ref


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
