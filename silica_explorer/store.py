"""Durable evaluation store: every finished cost evaluation is one SQLite row, written at once.

Format (documented here, one well-known file format): a single SQLite 3 database, by default
``<directory>/store.sqlite``, in WAL journal mode with ``synchronous=FULL``; every evaluation is
appended in its own transaction the moment it finishes, so a Ctrl-C or ``kill -9`` loses at most the
evaluation that was still running. Open it with any SQLite client (``sqlite3 runs/fit/store.sqlite``)
or with :class:`Store`.

Tables
------
``meta(key TEXT PRIMARY KEY, value TEXT)``
    ``schema_version`` (see :data:`SCHEMA_VERSION`), ``created``.
``runs(run_id TEXT PRIMARY KEY, optimizer, created, updated, status, config_json, summary_json)``
    One row per optimizer run: ``config_json`` holds everything needed to reproduce it (search space,
    optimizer options, budget, seeds, fidelity, reference, engine version); ``status`` is
    ``running``/``finished``/``interrupted``; ``summary_json`` the best result when it ended.
``evaluations``
    One row per evaluation *request of a run* (columns):

    - ``id`` (autoincrement), ``key`` (cache key, see :func:`request_key`), ``cached_from`` (id of the row
      whose result was reused when the identical request had already been evaluated; NULL for a row
      whose MD really ran), ``run_id``, ``optimizer`` (the phase that asked: bo, cg, random, ...),
      ``iteration`` (0-based index of the request within its run), ``timestamp`` (UTC ISO 8601);
    - ``seed`` (MD seed), ``reference`` (name), ``reference_id`` (content hash of the reference PDFs),
      ``fidelity_name``, ``fidelity_json`` (the full MD protocol);
    - ``forcefield_json`` (all parameters), one REAL column per free parameter of the paper
      (``q_Si``, ``A_SiO``, ... ``C_SiSi``, always filled), ``free_json`` (names free in this run),
      ``u_json`` (the optimizer's unit-box coordinates of the free parameters);
    - ``status`` (``ok``/``failed``), ``reason`` (why it failed), ``R_x`` (fraction; NULL if failed),
      ``chi_SiSi``, ``chi_SiO``, ``chi_OO`` (fractions), ``wall_time_s``, ``engine``, ``engine_version``;
    - ``proposal_json`` (how the optimizer chose the point: EI value, GP mean/std, kind),
      ``record_json`` (the evaluator's full provenance record), ``pdf`` (BLOB: the partial-PDF
      Dataset as netCDF-3 classic bytes, ``xarray.open_dataset(io.BytesIO(blob), engine="scipy")``;
      NULL for failed runs, and for cached rows, whose PDF is that of ``cached_from``).

Cache: :class:`CachedCost` looks a request up by ``key`` = SHA-256 of the canonical JSON of (all
numeric forcefield parameters, the fidelity's fields except its name, the MD seed, the reference's
content hash, the cost's r range and alignment) and, when found, serves the stored result instead of
running MD again. Evaluations are reproducible from their row alone because they are cold starts
(no warm start from a previous liquid).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import hashlib
import io
import json
import math
import sqlite3
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from .cost import reference_fingerprint  # noqa: F401  (re-exported: the store's reference_id)
from .forcefield import FREE_PARAMETERS, PAIRS, ForceField
from .parallel import TaskFailure

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


# ------------------------------------------------------------------------------------------ keys
def _canonical(obj: Any) -> Any:
    """JSON-ready canonical form: dicts sorted by key (json does that), tuples -> lists, numpy -> python,
    floats kept exactly (json writes the shortest round-trip repr), -0.0 -> 0.0."""
    if isinstance(obj, Mapping):
        return {str(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_canonical(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        if not math.isfinite(value):
            return repr(value)
        return 0.0 if value == 0.0 else value
    return obj


def canonical_json(obj: Any) -> str:
    return json.dumps(_canonical(obj), sort_keys=True, separators=(",", ":"))


#: Fields of a cost's identity that label a result but do not change it (not part of the cache key).
LABEL_FIELDS = ("reference", "kind", "engine_version")


def key_identity(identity: Mapping) -> dict:
    """The part of a cost's ``identity()`` that enters the cache key: everything but
    :data:`LABEL_FIELDS` and the fidelity's name; the engine only when it is not LAMMPS (the original
    engine, whose keys carry no name)."""
    ident = {k: v for k, v in identity.items() if k not in LABEL_FIELDS}
    if ident.get("engine") == "lammps":
        ident.pop("engine")
    fid = dict(ident.get("fidelity") or {})
    fid.pop("name", None)
    ident["fidelity"] = fid
    return ident


def request_key(forcefield: ForceField | Mapping, seed: int, identity: Mapping) -> str:
    """Cache key of one evaluation request: SHA-256 (hex) of the canonical JSON of the forcefield's
    numeric parameters (its ``name`` is ignored), the MD seed, and ``identity`` (fidelity fields without
    the name, reference content hash, cost options; see :func:`key_identity`)."""
    params = forcefield.as_dict() if isinstance(forcefield, ForceField) else dict(forcefield)
    params.pop("name", None)
    payload = {"forcefield": params, "seed": int(seed), **dict(identity)}
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


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

    def to_forcefield(self) -> ForceField:
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
        return cls(
            id=int(row["id"]), key=row["key"], run_id=row["run_id"], optimizer=row["optimizer"],
            iteration=row["iteration"], timestamp=row["timestamp"], seed=int(row["seed"]),
            reference=row["reference"], reference_id=row["reference_id"],
            fidelity=json.loads(row["fidelity_json"]) if row["fidelity_json"] else {},
            forcefield=forcefield, free={n: forcefield[n] for n in free_names},
            u=json.loads(row["u_json"]) if row["u_json"] else None,
            status=row["status"], reason=row["reason"],
            R_x=float(row["R_x"]) if row["R_x"] is not None else float("nan"),
            chi=chi, wall_time_s=row["wall_time_s"], engine=row["engine"], engine_version=row["engine_version"],
            cached_from=row["cached_from"],
            proposal=json.loads(row["proposal_json"]) if row["proposal_json"] else None,
            record=json.loads(row["record_json"]) if row["record_json"] else None,
        )


def _json_default(obj):
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def _dumps(obj) -> str | None:
    if obj is None:
        return None
    return json.dumps(obj, default=_json_default, allow_nan=True)


# ------------------------------------------------------------------------------------------ store
class Store:
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

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

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
        ff = forcefield.as_dict() if isinstance(forcefield, ForceField) else dict(forcefield)
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
        from .forcefield import UNITS
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
        with self._lock:
            rows = self._conn.execute("SELECT * FROM runs ORDER BY created").fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d["config"] = json.loads(d.pop("config_json")) if d.get("config_json") else None
            d["summary"] = json.loads(d.pop("summary_json")) if d.get("summary_json") else None
            d["n_evaluations"] = len(self._query("WHERE run_id=?", (d["run_id"],)))
            out.append(d)
        return out

    def run_config(self, run_id: str) -> dict | None:
        with self._lock:
            row = self._conn.execute("SELECT config_json FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return None if row is None else json.loads(row["config_json"])


# ------------------------------------------------------------------------------------------ cached cost
def _result_fields(result: Any) -> dict:
    """Normalise what an evaluator returns (an :class:`~silica_explorer.evaluate.Evaluation`, a mapping,
    a bare number, or an executor's :class:`~silica_explorer.parallel.TaskFailure`) into the fields the
    store needs. A result that claims "ok" with a non-finite R_x is recorded as failed (reason
    "non-finite R_x")."""
    out = _raw_result_fields(result)
    rx = out["R_x"]
    if out["status"] == "ok" and (rx is None or not math.isfinite(float(rx))):
        out["status"], out["reason"], out["R_x"] = "failed", out["reason"] or "non-finite R_x", float("nan")
    return out


def _raw_result_fields(result: Any) -> dict:
    if isinstance(result, TaskFailure):  # an executor's task raised, or its worker kept dying
        result = {"status": "failed", "reason": result.reason}
    if hasattr(result, "record") and hasattr(result, "melt"):  # an Evaluation
        rec = result.record()
        return {"status": result.status, "reason": result.reason,
                "R_x": result.R_x, "chi": dict(result.chi), "wall_time_s": result.melt.wall_time_s,
                "engine": result.melt.engine, "engine_version": result.melt.engine_version,
                "pdf": result.pdf, "record": rec}
    if isinstance(result, Mapping):
        d = dict(result)
        rx = d.get("R_x")
        rx = float("nan") if rx is None else float(rx)
        status = d.get("status") or ("ok" if math.isfinite(rx) else "failed")
        return {"status": status, "reason": d.get("reason"), "R_x": rx, "chi": dict(d.get("chi") or {}),
                "wall_time_s": d.get("wall_time_s"), "engine": d.get("engine"),
                "engine_version": d.get("engine_version"), "pdf": d.get("pdf"),
                "record": {k: v for k, v in d.items() if k != "pdf"}}
    rx = float(result)
    return {"status": "ok" if math.isfinite(rx) else "failed",
            "reason": None if math.isfinite(rx) else "non-finite cost", "R_x": rx, "chi": {},
            "wall_time_s": None, "engine": None, "engine_version": None, "pdf": None, "record": None}


class CachedCost:
    """``cost(forcefield, seed) -> Record``: serve an identical request from the store, otherwise run
    ``evaluator(forcefield, seed=seed)`` and append the result at once.

    ``evaluator``: an :class:`~silica_explorer.evaluate.Evaluator` or any callable
    ``(forcefield, seed=...) -> Evaluation | mapping | float`` (a mapping has ``status``, ``R_x``,
    ``reason``, ``chi``, ``wall_time_s``, ``engine_version``, optionally ``pdf``) with an ``identity()``
    like the Evaluator's. The cache key takes from it what changes a result (:func:`key_identity`): the
    fidelity, reference content hash, r range, alignment, the engine settings that change a melt's
    status or R_x (deck and collapse policy) and the MD engine when it is not LAMMPS.
    ``keep_pdf=False`` stores no PDFs.

    Keyword arguments of a call (``run_id``, ``optimizer``, ``iteration``, ``free``, ``u``,
    ``proposal``) only label the stored row. A request already evaluated elsewhere gets its own row
    with ``cached_from`` pointing at the original, so every run's rows are complete. Failed
    evaluations are cached too (the same request fails the same way). The stored result of a request
    is served only when ``key`` matches exactly; nothing is recomputed or overwritten.
    """

    def __init__(self, evaluator: Callable, store: Store | str | Path, keep_pdf: bool = True):
        self.evaluator = evaluator
        self.store = store if isinstance(store, Store) else Store(store)
        self.keep_pdf = keep_pdf
        self._identity = None
        self.n_evaluated = 0
        self.n_cached = 0

    def identity(self) -> dict:
        """The wrapped evaluator's :meth:`~silica_explorer.evaluate.Evaluator.identity` (passed through;
        what besides the parameters and seed determines a result). A plain callable without
        ``identity()``, or one whose identity names no fidelity and reference id, is refused."""
        if self._identity is None:
            ev = self.evaluator
            ident = dict(ev.identity()) if hasattr(ev, "identity") else {}
            if ident.get("fidelity") is None or ident.get("reference_id") is None:
                raise TypeError(
                    f"{type(ev).__name__} has no identity() naming its fidelity and reference_id: the store could "
                    "not tell its results apart from other protocols' (wrap an Evaluator, or define identity() "
                    "-> dict; the stand-ins of silica_explorer.optimize.testfunctions do)")
            self._identity = ident
        return self._identity

    def _key_identity(self) -> dict:
        return key_identity(self.identity())

    def key(self, forcefield: ForceField, seed: int = 0) -> str:
        return request_key(forcefield, seed, self._key_identity())

    def engine_version(self) -> str | None:
        return self.identity().get("engine_version")

    def lookup(self, forcefield: ForceField, seed: int = 0, **labels) -> Record | None:
        """If this request was evaluated before, append its labelled copy (``cached_from`` the original)
        and return it; else None. ``labels``: as for :meth:`__call__`."""
        key = self.key(forcefield, seed)
        hit = self.store.lookup(key)
        if hit is None:
            return None
        self.n_cached += 1
        return self.store.append(
            key=key, forcefield=forcefield, seed=seed, status=hit.status, R_x=hit.R_x, reason=hit.reason,
            chi=hit.chi, fidelity=hit.fidelity, reference=hit.reference, reference_id=hit.reference_id,
            wall_time_s=hit.wall_time_s, engine=hit.engine, engine_version=hit.engine_version,
            record=hit.record, cached_from=hit.id, **_labels(**labels))

    def task(self, executor=None) -> "ResultTask":
        """The picklable function an executor runs for one request: the evaluator (with the executor's
        MD threads if given), returning compact store fields; never raises (an exception is a failed
        result with the error as reason). Record its output with :meth:`record`."""
        evaluator = executor.configure(self.evaluator) if executor is not None else self.evaluator
        return ResultTask(evaluator)

    def record(self, forcefield: ForceField, seed: int, result: Any, **labels) -> Record:
        """Append the result of a fresh evaluation (an Evaluation, a mapping such as :class:`ResultTask`
        returns, a number, or a :class:`~silica_explorer.parallel.TaskFailure`) and return its row."""
        fields = result if isinstance(result, ResultFields) else _result_fields(result)
        ident = self.identity()
        self.n_evaluated += 1
        return self.store.append(
            key=self.key(forcefield, seed), forcefield=forcefield, seed=seed, status=fields["status"],
            R_x=fields["R_x"], reason=fields["reason"], chi=fields["chi"], fidelity=ident.get("fidelity"),
            reference=ident.get("reference"), reference_id=ident.get("reference_id"),
            wall_time_s=fields["wall_time_s"], engine=fields["engine"], engine_version=fields["engine_version"],
            record=fields["record"], pdf=fields["pdf"] if self.keep_pdf else None, **_labels(**labels))

    def __call__(self, forcefield: ForceField, seed: int = 0, *, run_id: str | None = None,
                 optimizer: str | None = None, iteration: int | None = None, free: Iterable[str] | None = None,
                 u: Iterable[float] | None = None, proposal: Mapping | None = None) -> Record:
        labels = dict(run_id=run_id, optimizer=optimizer, iteration=iteration, free=free, u=u, proposal=proposal)
        hit = self.lookup(forcefield, seed, **labels)
        if hit is not None:
            return hit
        return self.record(forcefield, seed, self.evaluator(forcefield, seed=seed), **labels)


def _labels(run_id: str | None = None, optimizer: str | None = None, iteration: int | None = None,
            free: Iterable[str] | None = None, u: Iterable[float] | None = None,
            proposal: Mapping | None = None) -> dict:
    return dict(run_id=run_id, optimizer=optimizer, iteration=iteration,
                free=list(free) if free is not None else None,
                u=list(u) if u is not None else None, proposal=proposal)


class ResultFields(dict):
    """The normalised fields of one evaluation as the store keeps them (see :func:`_result_fields`)."""


class ResultTask:
    """``task(forcefield, seed=...) -> ResultFields``: runs an evaluator where an executor puts it (a
    Dask worker) and returns only what the store keeps (status, R_x, chi, PDFs, record), so no
    trajectory travels back. An exception becomes a failed result naming the error."""

    def __init__(self, evaluator: Callable):
        self.evaluator = evaluator

    def __call__(self, forcefield: ForceField, seed: int = 0) -> ResultFields:
        try:
            result = self.evaluator(forcefield, seed=seed)
        except Exception as exc:
            result = {"status": "failed", "reason": f"error: {type(exc).__name__}: {exc}"}
        return ResultFields(_result_fields(result))


#: Alias: the store-backed evaluator wrapper.
StoredEvaluator = CachedCost
