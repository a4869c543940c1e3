"""The SQLite evaluation store: schema, :class:`Record` (one stored evaluation) and :class:`Store`
(append, query, runs; file format in :mod:`silica_explorer.store`), plus PDFs as netCDF bytes.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import datetime as _dt
import io
import json
import math
import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from ..forcefield import ForceField
from ..systems.forcefield import SystemForceField
from ..parameters import FREE_PARAMETERS, PAIRS
from .keys import canonical_json

SCHEMA_VERSION = 1
#: File name of the database inside a store directory.
STORE_FILENAME = "store.sqlite"

_EVAL_COLUMNS = [
    ("id", "INTEGER PRIMARY KEY AUTOINCREMENT"),
    ("key", "TEXT NOT NULL"),
    ("cached_from", "INTEGER"),
    ("run_id", "TEXT"),
    ("optimizer", "TEXT"),
    ("iteration", "INTEGER"),
    ("timestamp", "TEXT NOT NULL"),
    ("seed", "INTEGER"),
    ("reference", "TEXT"),
    ("reference_id", "TEXT"),
    ("fidelity_name", "TEXT"),
    ("fidelity_json", "TEXT"),
    ("forcefield_json", "TEXT NOT NULL"),
    *[(name, "REAL") for name in FREE_PARAMETERS],
    ("free_json", "TEXT"),
    ("u_json", "TEXT"),
    ("status", "TEXT NOT NULL"),
    ("reason", "TEXT"),
    ("R_x", "REAL"),
    *[(f"chi_{p}", "REAL") for p in PAIRS],
    ("wall_time_s", "REAL"),
    ("engine", "TEXT"),
    ("engine_version", "TEXT"),
    ("proposal_json", "TEXT"),
    ("record_json", "TEXT"),
    ("pdf", "BLOB"),
]
_COLUMN_NAMES = [c for c, _ in _EVAL_COLUMNS]
#: Columns read for records (everything but the PDF blob).
_RECORD_COLUMNS = [c for c in _COLUMN_NAMES if c != "pdf"]


class StoreError(RuntimeError):
    """The store file is not a silica-explorer store, has a newer schema, or a run config clashes."""


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


# ------------------------------------------------------------------------------------------ PDFs
def pdf_to_bytes(pdf) -> bytes:
    """A PDF Dataset as netCDF-3 classic bytes (scipy backend; no HDF5 needed to read it back)."""
    ds = pdf.copy()
    ds.attrs = {k: v for k, v in ds.attrs.items() if v is not None and not isinstance(v, (dict, list, tuple))}
    return bytes(ds.to_netcdf(engine="scipy"))


def pdf_from_bytes(blob: bytes):
    import xarray as xr
    with xr.open_dataset(io.BytesIO(bytes(blob)), engine="scipy") as ds:
        return ds.load()


# ------------------------------------------------------------------------------------------ records
@dataclasses.dataclass(frozen=True)
class Record:
    """One stored evaluation (a row of ``evaluations`` without its PDF; see the module docstring).

    ``R_x`` and ``chi`` are fractions (``R_x`` is nan for a failed evaluation); ``forcefield`` and
    ``fidelity`` are dicts; ``free`` maps the run's free parameter names to their values; ``u`` the
    unit-box coordinates the optimizer asked for (or None); ``cached`` is True when this request was
    served from an earlier identical evaluation (``cached_from``)."""

    id: int
    key: str
    run_id: str | None
    optimizer: str | None
    iteration: int | None
    timestamp: str
    seed: int
    reference: str | None
    reference_id: str | None
    fidelity: dict
    forcefield: dict
    free: dict
    u: list | None
    status: str
    reason: str | None
    R_x: float
    chi: dict
    wall_time_s: float | None
    engine: str | None
    engine_version: str | None
    cached_from: int | None = None
    proposal: dict | None = None
    record: dict | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok" and math.isfinite(self.R_x)

    @property
    def cached(self) -> bool:
        return self.cached_from is not None

    def to_forcefield(self) -> ForceField | SystemForceField:
        """The stored forcefield: a silica ForceField, or a SystemForceField (a dict with ``system``)."""
        if "system" in self.forcefield:
            return SystemForceField.from_dict(self.forcefield)
        return ForceField.from_dict(self.forcefield)

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["R_x"] = None if not math.isfinite(self.R_x) else self.R_x
        return d

    @classmethod
    def from_row(cls, row: Mapping) -> "Record":
        forcefield = json.loads(row["forcefield_json"])
        free_names = json.loads(row["free_json"]) if row["free_json"] else []
        chi = {p: row[f"chi_{p}"] for p in PAIRS if row[f"chi_{p}"] is not None}
        record = json.loads(row["record_json"]) if row["record_json"] else None
        stored = (record or {}).get("chi") or {}
        if any(p not in PAIRS for p in stored):  # another system's pairs: its record holds every chi
            chi = dict(stored)
        return cls(
            id=int(row["id"]), key=row["key"], run_id=row["run_id"], optimizer=row["optimizer"],
            iteration=row["iteration"], timestamp=row["timestamp"], seed=int(row["seed"]),
            reference=row["reference"], reference_id=row["reference_id"],
            fidelity=json.loads(row["fidelity_json"]) if row["fidelity_json"] else {},
            forcefield=forcefield, free={n: forcefield.get("parameters", forcefield)[n] for n in free_names},
            u=json.loads(row["u_json"]) if row["u_json"] else None,
            status=row["status"], reason=row["reason"],
            R_x=float(row["R_x"]) if row["R_x"] is not None else float("nan"),
            chi=chi, wall_time_s=row["wall_time_s"], engine=row["engine"], engine_version=row["engine_version"],
            cached_from=row["cached_from"],
            proposal=json.loads(row["proposal_json"]) if row["proposal_json"] else None,
            record=record,
        )


def json_default(obj):
    """``json.dumps(..., default=json_default)``: numpy scalars -> Python numbers, arrays -> lists,
    anything else -> its ``str`` (how the store and landscape files write JSON)."""
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def _dumps(obj) -> str | None:
    if obj is None:
        return None
    return json.dumps(obj, default=json_default, allow_nan=True)


# ------------------------------------------------------------------------------------------ runs
#: The ``runs`` rows, oldest first.
RUNS_SQL = "SELECT * FROM runs ORDER BY created"
#: Per-run evaluation counts, best R_x and last timestamp (one row per ``run_id``).
RUN_STATS_SQL = ("SELECT run_id, COUNT(*) AS n, SUM(status='ok' AND R_x IS NOT NULL) AS n_ok, "
                 "SUM(status!='ok') AS n_failed, MIN(CASE WHEN status='ok' THEN R_x END) AS best, "
                 "MAX(timestamp) AS last FROM evaluations GROUP BY run_id")


def run_summaries(run_rows: Iterable[Mapping], stat_rows: Iterable[Mapping]) -> list[dict]:
    """One dict per run (what :meth:`Store.runs` and :meth:`StoreReader.runs
    <silica_explorer.store.reader.StoreReader.runs>` both return), from the rows of :data:`RUNS_SQL` and
    :data:`RUN_STATS_SQL`: ``run_id``, ``optimizer``, ``status``, ``created``, ``updated`` (UTC
    timestamps), ``config``, ``summary``, ``n_evaluations``, ``n_ok``, ``n_failed``, ``best_R_x``
    (fraction, nan when no evaluation succeeded), ``last_evaluation`` (UTC timestamp or None)."""
    stats = {r["run_id"]: r for r in stat_rows}
    out = []
    for r in run_rows:
        s = stats.get(r["run_id"])
        out.append({
            "run_id": r["run_id"], "optimizer": r["optimizer"], "status": r["status"],
            "created": r["created"], "updated": r["updated"],
            "config": json.loads(r["config_json"]) if r["config_json"] else {},
            "summary": json.loads(r["summary_json"]) if r["summary_json"] else None,
            "n_evaluations": int(s["n"]) if s else 0, "n_ok": int(s["n_ok"] or 0) if s else 0,
            "n_failed": int(s["n_failed"] or 0) if s else 0,
            "best_R_x": float(s["best"]) if s and s["best"] is not None else math.nan,
            "last_evaluation": s["last"] if s else None})
    return out


# ------------------------------------------------------------------------------------------ store
class StoreFile(abc.ABC):
    """What the writer (:class:`Store`) and the reader (:class:`~silica_explorer.store.reader.StoreReader`)
    of one store file share: its ``path``, ``close()``, use as a context manager (closed on exit) and a
    repr naming the class and the path."""

    path: Path

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection to the store file."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"


class Store(StoreFile):
    """The evaluation store (see the module docstring for the file format).

    ``path`` is a directory (the database is ``<path>/store.sqlite``, created with its parents) or a
    file ending in ``.sqlite``/``.db``. Safe to share between threads of one process (one connection
    behind a lock) and between processes (SQLite WAL locking; each process opens its own Store).
    """

    def __init__(self, path: str | Path, timeout_s: float = 60.0):
        path = Path(path)
        if path.suffix not in (".sqlite", ".db", ".sqlite3"):
            path = path / STORE_FILENAME
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), timeout=timeout_s, isolation_level=None,
                                     check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._init_schema()

    # ------------------------------------------------------------------ schema
    def _init_schema(self) -> None:
        with self.transaction() as c:
            c.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is not None and int(row[0]) > SCHEMA_VERSION:
                raise StoreError(f"{self.path}: schema version {row[0]} is newer than this silica-explorer "
                                 f"supports ({SCHEMA_VERSION})")
            if row is None:
                c.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                c.execute("INSERT OR IGNORE INTO meta VALUES ('created', ?)", (utc_now(),))
            c.execute("CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, optimizer TEXT, created TEXT, "
                      "updated TEXT, status TEXT, config_json TEXT, summary_json TEXT)")
            cols = ", ".join(f'"{n}" {t}' for n, t in _EVAL_COLUMNS)
            c.execute(f"CREATE TABLE IF NOT EXISTS evaluations ({cols})")
            c.execute("CREATE INDEX IF NOT EXISTS evaluations_key ON evaluations(key)")
            c.execute("CREATE INDEX IF NOT EXISTS evaluations_run ON evaluations(run_id, iteration)")

    @contextlib.contextmanager
    def transaction(self):
        """``with store.transaction() as conn:`` one IMMEDIATE transaction (committed on exit)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0])

    # ------------------------------------------------------------------ evaluations
    def append(self, *, key: str, forcefield: ForceField | Mapping, seed: int, status: str,
               R_x: float | None = None, reason: str | None = None, chi: Mapping | None = None,
               fidelity: Mapping | None = None, reference: str | None = None, reference_id: str | None = None,
               wall_time_s: float | None = None, engine: str | None = None, engine_version: str | None = None,
               run_id: str | None = None, optimizer: str | None = None, iteration: int | None = None,
               free: Iterable[str] | None = None, u: Iterable[float] | None = None,
               proposal: Mapping | None = None, record: Mapping | None = None, pdf=None,
               cached_from: int | None = None, timestamp: str | None = None) -> Record:
        """Append one finished evaluation in its own transaction and return it as a :class:`Record`.

        ``pdf`` may be an xarray Dataset (stored as netCDF bytes) or raw bytes."""
        if status not in ("ok", "failed"):
            raise ValueError(f"status must be 'ok' or 'failed', got {status!r}")
        ff = forcefield.as_dict() if isinstance(forcefield, (ForceField, SystemForceField)) else dict(forcefield)
        rx = None if R_x is None or not math.isfinite(float(R_x)) else float(R_x)
        chi = dict(chi or {})
        blob = None
        if pdf is not None:
            blob = pdf if isinstance(pdf, (bytes, bytearray, memoryview)) else pdf_to_bytes(pdf)
            blob = sqlite3.Binary(bytes(blob))
        fid = dict(fidelity or {})
        values = {
            "key": key, "cached_from": cached_from, "run_id": run_id, "optimizer": optimizer,
            "iteration": iteration, "timestamp": timestamp or utc_now(), "seed": int(seed),
            "reference": reference, "reference_id": reference_id, "fidelity_name": fid.get("name"),
            "fidelity_json": _dumps(fid), "forcefield_json": _dumps(ff),
            **{n: float(ff[n]) if n in ff else None for n in FREE_PARAMETERS},
            "free_json": _dumps(list(free) if free is not None else None),
            "u_json": _dumps([float(x) for x in u] if u is not None else None),
            "status": status, "reason": reason, "R_x": rx,
            **{f"chi_{p}": (float(chi[p]) if chi.get(p) is not None and math.isfinite(float(chi[p])) else None)
               for p in PAIRS},
            "wall_time_s": None if wall_time_s is None else float(wall_time_s),
            "engine": engine, "engine_version": engine_version,
            "proposal_json": _dumps(dict(proposal) if proposal is not None else None),
            "record_json": _dumps(dict(record) if record is not None else None),
            "pdf": blob,
        }
        names = list(values)
        sql = (f"INSERT INTO evaluations ({', '.join(chr(34) + n + chr(34) for n in names)}) "
               f"VALUES ({', '.join('?' for _ in names)})")
        with self.transaction() as c:
            cur = c.execute(sql, [values[n] for n in names])
            row_id = cur.lastrowid
            row = c.execute(f"SELECT {self._select_cols()} FROM evaluations WHERE id=?", (row_id,)).fetchone()
        return Record.from_row(row)

    @staticmethod
    def _select_cols() -> str:
        return ", ".join(f'"{c}"' for c in _RECORD_COLUMNS)

    def _query(self, where: str = "", params: tuple = (), order: str = "id") -> list[Record]:
        sql = f"SELECT {self._select_cols()} FROM evaluations {where} ORDER BY {order}"
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [Record.from_row(r) for r in rows]

    def get(self, record_id: int) -> Record:
        rows = self._query("WHERE id=?", (int(record_id),))
        if not rows:
            raise KeyError(f"no evaluation with id {record_id} in {self.path}")
        return rows[0]

    def lookup(self, key: str) -> Record | None:
        """The original (non-cached) evaluation of the request ``key``, or None."""
        rows = self._query("WHERE key=? AND cached_from IS NULL", (key,))
        return rows[0] if rows else None

    def records(self, run_id: str | None = None, status: str | None = None) -> list[Record]:
        """Evaluations in insertion order, optionally of one run and/or one status."""
        clauses, params = [], []
        if run_id is not None:
            clauses.append("run_id=?")
            params.append(run_id)
        if status is not None:
            clauses.append("status=?")
            params.append(status)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self._query(where, tuple(params))

    def get_pdf(self, record_id: int):
        """The partial-PDF Dataset of evaluation ``record_id`` (following ``cached_from``), or None."""
        with self._lock:
            row = self._conn.execute("SELECT pdf, cached_from FROM evaluations WHERE id=?",
                                     (int(record_id),)).fetchone()
        if row is None:
            raise KeyError(f"no evaluation with id {record_id} in {self.path}")
        if row["pdf"] is None and row["cached_from"] is not None:
            return self.get_pdf(row["cached_from"])
        return None if row["pdf"] is None else pdf_from_bytes(row["pdf"])

    def to_dataframe(self, run_id: str | None = None):
        """All records (or one run's) as a pandas DataFrame, one row per evaluation: scalar columns,
        the 10 parameter columns, chi_<pair>, and JSON columns decoded to dicts."""
        import pandas as pd
        recs = self.records(run_id)
        rows = []
        for r in recs:
            rows.append({
                "id": r.id, "run_id": r.run_id, "optimizer": r.optimizer, "iteration": r.iteration,
                "timestamp": r.timestamp, "seed": r.seed, "status": r.status, "reason": r.reason,
                "R_x": r.R_x, **{f"chi_{p}": r.chi.get(p, np.nan) for p in PAIRS},
                **{n: r.forcefield.get(n, np.nan) for n in FREE_PARAMETERS},
                "free": list(r.free), "fidelity": r.fidelity.get("name"), "reference": r.reference,
                "wall_time_s": r.wall_time_s, "engine_version": r.engine_version,
                "cached_from": r.cached_from, "key": r.key, "proposal": r.proposal,
            })
        columns = ["id", "run_id", "optimizer", "iteration", "timestamp", "seed", "status", "reason", "R_x",
                   *[f"chi_{p}" for p in PAIRS], *FREE_PARAMETERS, "free", "fidelity", "reference",
                   "wall_time_s", "engine_version", "cached_from", "key", "proposal"]
        return pd.DataFrame(rows, columns=columns)

    def to_xarray(self, run_id: str | None = None, with_pdfs: bool = False):
        """Records as an xarray Dataset over dim ``evaluation`` (coordinate: store id): R_x, chi
        (evaluation, pair), every parameter, seed, status, run_id, optimizer, iteration, wall_time_s.
        ``with_pdfs=True`` adds ``g`` (evaluation, pair, r) for evaluations on a common r grid
        (nan for failed ones)."""
        import xarray as xr
        from ..parameters import UNITS
        recs = self.records(run_id)
        ids = np.array([r.id for r in recs], dtype=int)
        ds = xr.Dataset(coords={"evaluation": ("evaluation", ids), "pair": ("pair", list(PAIRS))})
        ds["R_x"] = ("evaluation", np.array([r.R_x for r in recs], dtype=float), {"units": "1 (fraction)"})
        ds["chi"] = (("evaluation", "pair"),
                     np.array([[r.chi.get(p, np.nan) for p in PAIRS] for r in recs], dtype=float).reshape(len(recs), len(PAIRS)),
                     {"units": "1 (fraction)"})
        for n in FREE_PARAMETERS:
            ds[n] = ("evaluation", np.array([r.forcefield.get(n, np.nan) for r in recs], dtype=float),
                     {"units": UNITS[n]})
        ds["seed"] = ("evaluation", np.array([r.seed for r in recs], dtype=int))
        ds["iteration"] = ("evaluation", np.array([-1 if r.iteration is None else r.iteration for r in recs], dtype=int))
        for name in ("status", "run_id", "optimizer"):
            ds[name] = ("evaluation", np.array([str(getattr(r, name)) for r in recs], dtype=object))
        ds["wall_time_s"] = ("evaluation", np.array([np.nan if r.wall_time_s is None else r.wall_time_s
                                                     for r in recs], dtype=float), {"units": "s"})
        ds.attrs["store"] = str(self.path)
        if with_pdfs and recs:
            pdfs = [self.get_pdf(r.id) for r in recs]
            grid = next((p.r.values for p in pdfs if p is not None), None)
            if grid is not None:
                g = np.full((len(recs), len(PAIRS), grid.size), np.nan)
                for i, p in enumerate(pdfs):
                    if p is not None and p.r.size == grid.size and np.allclose(p.r.values, grid):
                        g[i] = np.stack([p.g.sel(pair=q).values for q in PAIRS])
                ds = ds.assign_coords(r=("r", grid, {"units": "A"}))
                ds["g"] = (("evaluation", "pair", "r"), g)
        return ds

    # ------------------------------------------------------------------ runs
    def start_run(self, run_id: str, optimizer: str, config: Mapping, resume: bool = True) -> bool:
        """Register run ``run_id`` with its ``config``; returns True when it already existed (resume).

        An existing run is resumed only with an identical config apart from ``budget`` (a larger budget
        extends it) and keys named in ``config['_volatile']``; otherwise :class:`StoreError`."""
        config = json.loads(_dumps(dict(config)))
        with self.transaction() as c:
            row = c.execute("SELECT config_json FROM runs WHERE run_id=?", (run_id,)).fetchone()
            if row is not None:
                if not resume:
                    raise StoreError(f"run {run_id!r} already exists in {self.path}; resume it or choose "
                                     "another run name")
                old = json.loads(row["config_json"])
                volatile = {"budget", "_volatile", *config.get("_volatile", []), *old.get("_volatile", [])}
                diff = sorted(k for k in set(old) | set(config)
                              if k not in volatile and canonical_json(old.get(k)) != canonical_json(config.get(k)))
                if diff:
                    raise StoreError(f"run {run_id!r} in {self.path} was started with a different "
                                     f"configuration ({', '.join(diff)} differ); use another run name to "
                                     "start a new run")
                c.execute("UPDATE runs SET updated=?, status='running', config_json=? WHERE run_id=?",
                          (utc_now(), _dumps(config), run_id))
                return True
            c.execute("INSERT INTO runs VALUES (?, ?, ?, ?, 'running', ?, NULL)",
                      (run_id, optimizer, utc_now(), utc_now(), _dumps(config)))
            return False

    def finish_run(self, run_id: str, status: str = "finished", summary: Mapping | None = None) -> None:
        with self.transaction() as c:
            c.execute("UPDATE runs SET updated=?, status=?, summary_json=? WHERE run_id=?",
                      (utc_now(), status, _dumps(dict(summary) if summary else None), run_id))

    def runs(self) -> list[dict]:
        """One dict per run, oldest first (see :func:`run_summaries` for the keys)."""
        with self._lock:
            stats = self._conn.execute(RUN_STATS_SQL).fetchall()
            rows = self._conn.execute(RUNS_SQL).fetchall()
        return run_summaries(rows, stats)

    def run_config(self, run_id: str) -> dict | None:
        with self._lock:
            row = self._conn.execute("SELECT config_json FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return None if row is None else json.loads(row["config_json"])
