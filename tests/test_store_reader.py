"""StoreReader: read-only view of a store, incremental follow while another process writes, and the
clear errors for files that are not (readable) stores."""

from __future__ import annotations

import hashlib
import math
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from silica_explorer.forcefield import PRESETS
from silica_explorer.store import Store, StoreError
from silica_explorer.store.reader import StoreGone, StoreReader
from silica_explorer.structure import pdf_dataset

ROOT = Path(__file__).resolve().parents[1]


def _pdf(seed: int):
    r = np.arange(40) * 0.1 + 0.05
    rng = np.random.default_rng(seed)
    g = {p: 1 + 0.1 * rng.standard_normal(r.size) for p in ("SiSi", "SiO", "OO")}
    return pdf_dataset(r, g, dr=0.1, n_species={"Si": 8, "O": 16}, volume=400.0, source="test")


def _write(path, run_id="r1", values=(0.3, None, 0.2, 0.25), start=0):
    """A store with one run: R_x values (None = failed) at successive iterations."""
    with Store(path) as s:
        s.start_run(run_id, "bo", {"free": ["q_Si"]})
        for i, rx in enumerate(values, start=start):
            ff = PRESETS["BKS"].replace(q_Si=1.8 + 0.01 * i)
            s.append(key=f"k{run_id}{i}", forcefield=ff, seed=0, status="ok" if rx is not None else "failed",
                     R_x=rx, reason=None if rx is not None else "lost atoms", run_id=run_id, optimizer="bo",
                     iteration=i, free=["q_Si"], pdf=_pdf(i) if rx is not None else None)
    return Path(path) / "store.sqlite"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reader_agrees_with_store_and_writes_nothing(tmp_path):
    db = _write(tmp_path / "s")
    before = _sha(db)
    with StoreReader(tmp_path / "s") as reader, Store(tmp_path / "s2") as _:
        runs = reader.runs()
        assert [r["run_id"] for r in runs] == ["r1"]
        run = runs[0]
        assert (run["n_evaluations"], run["n_ok"], run["n_failed"]) == (4, 3, 1)
        assert run["best_R_x"] == pytest.approx(min(0.3, 0.2, 0.25))
        recs = reader.records("r1")
        with Store(tmp_path / "s") as store:
            assert [r.as_dict() for r in recs] == [r.as_dict() for r in store.records("r1")]
        assert [r.iteration for r in reader.records("r1", after_id=recs[1].id)] == [2, 3]
        pdf = reader.get_pdf(recs[2].id)
        assert np.array_equal(pdf.g.values, _pdf(2).g.values)
        assert reader.get_pdf(recs[1].id) is None  # failed: no PDF
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader._conn.execute("CREATE TABLE x (a)")
    assert _sha(db) == before


def test_store_and_reader_list_runs_in_one_shape(tmp_path):
    _write(tmp_path / "s", run_id="r1")
    _write(tmp_path / "s", run_id="r2", values=(None, None), start=10)
    with Store(tmp_path / "s") as store, StoreReader(tmp_path / "s") as reader:
        written, read = store.runs(), reader.runs()
    assert [sorted(r) for r in written] == [sorted(r) for r in read]
    assert set(written[0]) == {"run_id", "optimizer", "status", "created", "updated", "config", "summary",
                               "n_evaluations", "n_ok", "n_failed", "best_R_x", "last_evaluation"}
    for w, r in zip(written, read):
        assert {k: v for k, v in w.items() if k != "best_R_x"} == {k: v for k, v in r.items() if k != "best_R_x"}
    assert written[0]["best_R_x"] == read[0]["best_R_x"] == pytest.approx(0.2)
    assert (written[1]["n_evaluations"], written[1]["n_ok"], written[1]["n_failed"]) == (2, 0, 2)
    assert math.isnan(written[1]["best_R_x"]) and math.isnan(read[1]["best_R_x"])  # no ok evaluation


def test_reader_never_creates_a_store(tmp_path):
    with pytest.raises(StoreError, match="no such file"):
        StoreReader(tmp_path / "nothing" / "store.sqlite")
    assert not (tmp_path / "nothing").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(StoreError, match="no such file"):
        StoreReader(tmp_path / "empty")
    assert list((tmp_path / "empty").iterdir()) == []


def test_bad_files_get_clear_errors(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database")
    with pytest.raises(StoreError, match="not an SQLite database"):
        StoreReader(text)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as c:
        c.execute("CREATE TABLE things (a)")
    with pytest.raises(StoreError, match="not a silica-explorer store.*meta"):
        StoreReader(other)
    for value, match in (("99", "newer than this silica-explorer reads"), ("abc", "unknown store schema version"),
                         ("0", "unknown store schema version")):
        db = _write(tmp_path / f"v{value}")
        with sqlite3.connect(db) as c:
            c.execute("UPDATE meta SET value=? WHERE key='schema_version'", (value,))
        with pytest.raises(StoreError, match=match):
            StoreReader(db)


def test_deleted_or_replaced_while_followed(tmp_path):
    db = _write(tmp_path / "s")
    reader = StoreReader(db)
    assert len(reader.records()) == 4
    for p in db.parent.glob("store.sqlite*"):
        p.unlink()
    with pytest.raises(StoreGone, match="deleted"):
        reader.records()
    _write(tmp_path / "s", values=(0.5,))
    with pytest.raises(StoreGone, match="replaced"):
        reader.runs()
    reader.close()


WRITER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[3])
    from silica_explorer.forcefield import PRESETS
    from silica_explorer.store import Store
    n = int(sys.argv[2])
    with Store(sys.argv[1]) as s:
        s.start_run("live", "bo", {"free": ["q_Si"]})
        for i in range(n):
            s.append(key=f"k{i}", forcefield=PRESETS["BKS"].replace(q_Si=1.8 + 0.01 * i), seed=0,
                     status="ok", R_x=0.5 - 0.01 * i, run_id="live", optimizer="bo", iteration=i, free=["q_Si"])
            time.sleep(0.15)
        s.finish_run("live")
    print("writer done")
""")


def test_follow_a_store_another_process_writes(tmp_path):
    """A second process appends 20 evaluations; the reader polls incrementally and sees each exactly
    once, in order, and the writer finishes without a lock error."""
    store_dir = tmp_path / "live"
    with Store(store_dir):  # created by the writer's side, as a fit would
        pass
    n = 20
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(store_dir), str(n), str(ROOT)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reader = StoreReader(store_dir)
    seen, last, polls = [], 0, 0
    t_end = time.monotonic() + 120
    while time.monotonic() < t_end:
        new = reader.records("live", after_id=last)
        polls += 1
        seen += [r.iteration for r in new]
        if new:
            last = new[-1].id
        if proc.poll() is not None and len(seen) >= n:
            break
        time.sleep(0.05)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "writer done" in out, err
    assert seen == list(range(n))
    assert polls > 3  # it really followed (several polls while the writer ran), not one final read
    run = reader.run("live")
    assert run["status"] == "finished" and run["best_R_x"] == pytest.approx(0.5 - 0.01 * (n - 1))
    reader.close()
    assert math.isfinite(run["best_R_x"])
