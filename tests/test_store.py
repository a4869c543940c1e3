"""The evaluation store: durable rows, cache, PDFs, run registry, and survival of a kill -9."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from silica_explorer.forcefield import ForceField
from silica_explorer.optimize import SearchSpace, fit
from silica_explorer.parameters import FREE_PARAMETERS, PAIRS
from silica_explorer.standins import AnalyticCost
from silica_explorer.store import CachedCost, Store, StoreError, reference_fingerprint, request_key
from silica_explorer.structure import pdf_dataset

REPO = Path(__file__).resolve().parent.parent


def _pdf(rng, n=50):
    r = 0.01 + 0.02 * np.arange(n)
    return pdf_dataset(r, {p: rng.random(n) for p in PAIRS}, 0.02, {"Si": 8, "O": 16}, 500.0,
                       source="test")


class FakeEvaluator:
    """Evaluator-like stand-in returning a PDF; counts calls (not MD)."""

    def __init__(self, rng, fail_above=None):
        self.rng = rng
        self.calls = 0
        self.fail_above = fail_above
        self.fidelity = {"name": "fake", "n_SiO2": 8}
        self.reference = _pdf(np.random.default_rng(0))
        self.reference_name = "fake reference (not ab initio)"

    def identity(self):
        return {"fidelity": self.fidelity, "reference_id": reference_fingerprint(self.reference),
                "reference": self.reference_name}

    def __call__(self, ff, seed=0):
        self.calls += 1
        if self.fail_above is not None and ff.q_Si > self.fail_above:
            return {"status": "failed", "reason": "blew up (fake)", "R_x": None, "wall_time_s": 0.01,
                    "engine_version": "fake 1.0"}
        return {"status": "ok", "R_x": 0.1 + (ff.q_Si - 2.0) ** 2,
                "chi": {"SiSi": 0.1, "SiO": 0.2, "OO": 0.05}, "wall_time_s": 0.01,
                "engine": "fake", "engine_version": "fake 1.0", "pdf": _pdf(self.rng)}


def test_append_roundtrip_pdf_and_views(tmp_path, rng):
    store = Store(tmp_path / "s")
    assert store.path == tmp_path / "s" / "store.sqlite"
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode.lower() == "wal"
    ff = ForceField.preset("BKS")
    pdf = _pdf(rng)
    rec = store.append(key="k1", forcefield=ff, seed=3, status="ok", R_x=0.17, chi={"SiO": 0.2, "OO": 0.1},
                       fidelity={"name": "tiny"}, reference="ref", wall_time_s=1.5, engine="lammps",
                       engine_version="LAMMPS x", run_id="r1", optimizer="bo", iteration=0,
                       free=["q_Si", "A_SiO"], u=[0.5, 0.25], proposal={"ei": 0.01}, pdf=pdf)
    bad = store.append(key="k2", forcefield=ff.replace(q_Si=3.9), seed=3, status="failed",
                       reason="overlap", run_id="r1", optimizer="bo", iteration=1)
    assert rec.ok and rec.R_x == 0.17 and rec.free == {"q_Si": 2.4, "A_SiO": ff.A_SiO} and rec.u == [0.5, 0.25]
    assert not bad.ok and np.isnan(bad.R_x) and bad.reason == "overlap"
    # a second connection (another process would do the same) sees both rows
    other = Store(tmp_path / "s")
    assert len(other) == 2 and other.lookup("k1").id == rec.id
    back = other.get_pdf(rec.id)
    np.testing.assert_array_equal(back.g.values, pdf.g.values)
    assert list(back.pair.values) == list(PAIRS) and other.get_pdf(bad.id) is None
    df = other.to_dataframe()
    assert list(df.status) == ["ok", "failed"] and df.q_Si.tolist() == [2.4, 3.9]
    assert set(FREE_PARAMETERS) <= set(df.columns) and df.chi_SiO[0] == 0.2
    ds = other.to_xarray(with_pdfs=True)
    assert ds.sizes["evaluation"] == 2 and ds.g.shape == (2, 3, 50) and np.isnan(ds.g.values[1]).all()
    assert ds.R_x.values[0] == 0.17 and np.isnan(ds.R_x.values[1])


def test_cached_cost_serves_identical_requests(tmp_path, rng):
    ev = FakeEvaluator(rng, fail_above=2.5)
    cost = CachedCost(ev, tmp_path)
    bks = ForceField.preset("BKS")
    a = cost(bks, seed=1, run_id="A")
    b = cost(bks.replace(name="same numbers, other name"), seed=1, run_id="B")
    assert ev.calls == 1 and b.cached_from == a.id and b.R_x == a.R_x and b.run_id == "B"
    assert cost.store.get_pdf(b.id) is not None  # follows cached_from
    cost(bks, seed=2)  # another seed is another request
    cost(bks.replace(q_Si=2.4 + 1e-12), seed=1)  # another parameter vector too
    assert ev.calls == 3
    failed = cost(bks.replace(q_Si=2.6), seed=1)
    again = cost(bks.replace(q_Si=2.6), seed=1)
    assert failed.status == "failed" and failed.reason == "blew up (fake)" and again.cached_from == failed.id
    assert ev.calls == 4
    # a fresh CachedCost on the same directory (a restarted process) still hits the cache
    ev2 = FakeEvaluator(rng)
    assert CachedCost(ev2, tmp_path)(bks, seed=1).cached and ev2.calls == 0
    # a callable that cannot say which protocol/reference it scores is refused, not cached blindly
    with pytest.raises(TypeError, match="identity"):
        CachedCost(lambda ff, seed=0: 0.1, tmp_path)(bks, seed=1)


def test_request_key_canonical():
    ident = {"fidelity": {"n_SiO2": 64, "relax_ps": 0.5}, "reference_id": "abc"}
    ff = ForceField.preset("ML")
    k = request_key(ff, 0, ident)
    assert k == request_key(ff.replace(name="x"), 0, dict(reversed(list(ident.items()))))
    assert k != request_key(ff, 1, ident)
    assert k != request_key(ff, 0, {**ident, "reference_id": "abd"})
    assert k != request_key(ff.replace(C_OO=ff.C_OO * (1 + 1e-15) + 1e-12), 0, ident)


def test_run_registry_and_config_clash(tmp_path):
    store = Store(tmp_path)
    cfg = {"optimizer": "bo", "budget": 10, "seed": 0, "space": {"free": ["q_Si"]}}
    assert store.start_run("r", "bo", cfg) is False
    assert store.start_run("r", "bo", {**cfg, "budget": 20}) is True  # a larger budget extends the run
    with pytest.raises(StoreError, match="seed"):
        store.start_run("r", "bo", {**cfg, "seed": 1})
    with pytest.raises(StoreError, match="already exists"):
        store.start_run("r", "bo", cfg, resume=False)
    store.finish_run("r", "finished", {"best_R_x": 0.1})
    (run,) = store.runs()
    assert run["status"] == "finished" and run["summary"]["best_R_x"] == 0.1 and run["config"]["budget"] == 20


def test_threads_append_concurrently(tmp_path):
    store = Store(tmp_path)
    ff = ForceField.preset("BKS")

    def work(t):
        for i in range(10):
            store.append(key=f"{t}-{i}", forcefield=ff, seed=i, status="ok", R_x=0.1)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(store) == 40 and len({r.key for r in store.records()}) == 40


CRASH_SCRIPT = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {repo!r})
    from silica_explorer.optimize import SearchSpace, fit
    from silica_explorer.standins import AnalyticCost

    CALLS = {calls!r}

    class Counting(AnalyticCost):
        def __call__(self, ff, seed=0, **kw):
            out = super().__call__(ff, seed)
            with open(CALLS, "a") as f:   # one line per evaluation that ran to completion
                f.write(repr(tuple(ff.to_vector(self.space.names).tolist())) + "\\n")
                f.flush()
                os.fsync(f.fileno())
            return out

    space = SearchSpace()
    cost = Counting("rough_basin", space, noise=0.002, sleep_s={sleep})
    fit(cost, space, {optimizer!r}, budget={budget}, seed=1, store={store!r},
        options={options!r})
""")


def _crash_fit(tmp_path, optimizer, options, budget, kill_after):
    calls = tmp_path / "calls.txt"
    store_dir = tmp_path / "store"
    script = tmp_path / "fit_script.py"

    def write(sleep):
        script.write_text(CRASH_SCRIPT.format(repo=str(REPO), calls=str(calls), sleep=sleep, optimizer=optimizer,
                                              budget=budget, store=str(store_dir), options=options))

    write(0.25)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, str(script)], env=env, stderr=subprocess.PIPE)
    t0 = time.time()
    while time.time() - t0 < 60:
        n = len(calls.read_text().splitlines()) if calls.exists() else 0
        if n >= kill_after or proc.poll() is not None:
            break
        time.sleep(0.02)
    assert proc.poll() is None, f"fit ended before it was killed: {proc.stderr.read().decode()[-2000:]}"
    time.sleep(0.1)  # let it get into the next evaluation
    proc.send_signal(signal.SIGKILL)  # kill -9: no cleanup of any kind
    proc.wait(timeout=30)
    first = calls.read_text().splitlines()
    stored_after_kill = Store(store_dir).records()
    # resume: the same command again, now without the artificial delay
    write(0.0)
    subprocess.run([sys.executable, str(script)], env=env, check=True, timeout=120)
    return first, stored_after_kill, calls.read_text().splitlines(), store_dir


@pytest.mark.parametrize("optimizer,options,budget,kill_after", [
    ("bo", {"n_initial": 4, "n_restarts_optimizer": 1, "n_candidates": 300}, 10, 6),
    ("cg", {"fd_step": 0.05}, 12, 5),
])
def test_kill_minus_9_and_resume(tmp_path, optimizer, options, budget, kill_after):
    first, stored_after_kill, all_calls, store_dir = _crash_fit(tmp_path, optimizer, options, budget, kill_after)
    space = SearchSpace()
    key = lambda r: repr(tuple(float(r.forcefield[n]) for n in space.names))  # noqa: E731
    stored_keys = [key(r) for r in stored_after_kill]
    # nothing that finished was lost: every completed evaluation but (at most) the in-flight one is stored
    assert len(first) >= kill_after and set(first[:-1]) <= set(stored_keys)
    assert len(stored_after_kill) >= len(first) - 1
    # no evaluation ran twice (at most the one killed between finishing and being written)
    assert len(all_calls) - len(set(all_calls)) <= 1
    final = Store(store_dir).records()
    assert len(final) == budget and len({r.key for r in final if not r.cached}) == sum(not r.cached for r in final)
    assert Store(store_dir).runs()[0]["status"] == "finished"
    # the resumed run is the run that would have happened without the crash
    ref = fit(AnalyticCost("rough_basin", space, noise=0.002), space, optimizer, budget=budget, seed=1,
              store=tmp_path / "uninterrupted", options=options)
    np.testing.assert_allclose([[r.forcefield[n] for n in space.names] for r in final],
                               [list(e["params"].values()) for e in ref.objective.entries], rtol=1e-12)


def test_safe_task_never_raises_and_gives_store_or_point_records():
    from silica_explorer.evaluate import ResultFields, SafeTask, point_record, result_fields
    from silica_explorer.parallel import TaskFailure

    def boom(ff, seed=0):
        raise RuntimeError("lost atoms")

    ff = ForceField.preset("BKS")
    fields = SafeTask(boom)(ff, seed=3)
    assert isinstance(fields, ResultFields) and fields["status"] == "failed"
    assert fields["reason"] == "error: RuntimeError: lost atoms" and fields["wall_time_s"] is None
    rec = SafeTask(boom, point_record, timed=True)(ff)
    assert rec["status"] == "failed" and rec["reason"] == "error: RuntimeError: lost atoms"
    assert rec["wall_time_s"] >= 0 and np.isnan(rec["R_x"])
    ok = SafeTask(lambda f, seed=0: {"R_x": 0.2, "chi": {"SiO": 0.1}}, point_record, timed=True)(ff)
    assert ok["status"] == "ok" and ok["R_x"] == 0.2 and ok["wall_time_s"] >= 0
    assert result_fields(TaskFailure("worker died"))["reason"] == "worker died"
    assert result_fields({"status": "ok", "R_x": float("nan")})["reason"] == "non-finite R_x"
    assert result_fields(float("inf"))["reason"] == "non-finite cost"
