import copy

import numpy as np

from silica_explorer.engine.cache import CachingEngine
from silica_explorer.evaluate import Evaluator
from silica_explorer.forcefield import ForceField


def test_cache_serves_identical_melts_and_rescoring(tmp_path, engine, tiny, classical_reference):
    cache = CachingEngine(engine, tmp_path / "melts")
    ev = Evaluator(classical_reference, tiny, engine=cache)
    first = ev(ForceField.preset("ML"), seed=4)
    again = ev(ForceField.preset("ML"), seed=4)
    assert (cache.misses, cache.hits) == (1, 1)
    assert again.R_x == first.R_x
    np.testing.assert_array_equal(again.pdf.g.values, first.pdf.g.values)
    # another seed or parameter is a miss
    ev(ForceField.preset("ML"), seed=5)
    ev(ForceField.preset("ML").replace(q_Si=1.95), seed=4)
    assert cache.misses == 3
    # the same melts re-scored against another reference run no MD
    other = Evaluator(classical_reference.sel(r=slice(0, 5.0)), tiny, engine=CachingEngine(engine, tmp_path / "melts"))
    res = other(ForceField.preset("ML"), seed=4)
    assert other.engine.hits == 1 and res.R_x != first.R_x


def test_cache_keeps_failures_and_thread_changes_are_private(tmp_path, engine, tiny):
    cache = CachingEngine(engine, tmp_path / "melts")
    hostile = ForceField.preset("BKS").replace(q_Si=3.9, A_SiO=0.0)
    a = cache.melt(hostile, tiny, 1)
    b = cache.melt(hostile, tiny, 1)
    assert a.status == b.status == "failed" and b.reason == a.reason and cache.hits == 1
    clone = copy.copy(cache)
    clone.threads = 7
    assert clone.threads == 7 and engine.threads == 1 and cache.threads == 1


def test_deck_and_collapse_policy_separate_cached_results(tmp_path, classical_reference):
    """Melt-cache keys and store keys differ between decks and collapse policies, so a result computed
    under other failure checks or another deck is never served for these."""
    from silica_explorer.engine.cache import melt_key
    from silica_explorer.engine.lammps import LammpsEngine
    from silica_explorer.evaluate import Evaluator
    from silica_explorer.fidelity import FIDELITIES
    from silica_explorer.forcefield import ForceField
    from silica_explorer.store import CachedCost
    ff, fid = ForceField.preset("BKS"), FIDELITIES["tiny"]
    engines = [LammpsEngine(), LammpsEngine(deck="hybrid"), LammpsEngine(collapse="fail")]
    assert len({melt_key(ff, fid, 0, e.version()) for e in engines}) == 3
    keys = {CachedCost(Evaluator(classical_reference, fid, engine=e), tmp_path / f"s{i}").key(ff, 0)
            for i, e in enumerate(engines)}
    assert len(keys) == 3
