"""Read-only access to an evaluation store (:mod:`silica_explorer.store`), for following a fit that
another process (the CLI, a Dask cluster on a shared file system) is writing.

:class:`StoreReader` opens the SQLite file with the URI ``mode=ro``: it never creates tables, never
takes a write lock and never changes the database file. Every query is its own short read transaction
(autocommit), so a WAL writer is never stalled; new evaluations are read incrementally with
``records(run_id, after_id=...)``. SQLite itself may create the ``-wal``/``-shm`` side files next to a
WAL database when none exist (its shared-memory index, not store content).

Errors are :class:`~silica_explorer.store.StoreError` with a message that says what is wrong: not a
file, not an SQLite database, not a silica-explorer store, a newer or unknown schema version;
:class:`StoreGone` when the file was deleted or replaced while it was followed.

    reader = StoreReader("data/fits/fit7/store.sqlite")
    for run in reader.runs(): print(run["run_id"], run["n_evaluations"], run["best_R_x"])
    new = reader.records(run_id, after_id=last_id)     # only rows appended since
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from pathlib import Path

from .db import (RUN_STATS_SQL, RUNS_SQL, SCHEMA_VERSION, STORE_FILENAME, Record, StoreError, StoreFile,
                 pdf_from_bytes, run_summaries)

#: The first 16 bytes of every SQLite 3 database file.
SQLITE_MAGIC = b"SQLite format 3\x00"
_TABLES = ("meta", "runs", "evaluations")


class StoreGone(StoreError):
    """The followed store file was deleted or replaced by another file."""


def store_file(path: str | Path) -> Path:
    """The database file of ``path`` (a store directory or the ``.sqlite`` file itself)."""
    path = Path(path).expanduser()
    return path / STORE_FILENAME if path.is_dir() else path


class StoreReader(StoreFile):
    """A read-only view of one store file (see the module docstring). ``timeout_s``: how long a read
    waits for a lock held by a checkpointing writer."""

    def __init__(self, path: str | Path, timeout_s: float = 5.0):
        self.path = store_file(path)
        if not self.path.exists():
            raise StoreError(f"{self.path}: no such file or store directory")
        if not self.path.is_file():
            raise StoreError(f"{self.path}: not a file")
        with open(self.path, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
        if head != SQLITE_MAGIC:
            raise StoreError(f"{self.path.name}: not a silica-explorer store (not an SQLite database)")
        st = os.stat(self.path)
        self._identity = (st.st_dev, st.st_ino)
        uri = f"file:{urllib.parse.quote(str(self.path.resolve()))}?mode=ro"
        self._conn = sqlite3.connect(uri, uri=True, timeout=timeout_s, isolation_level=None,
                                     check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        try:
            self.schema_version = self._check_schema()
            cols = [r["name"] for r in self._conn.execute("PRAGMA table_info(evaluations)")]
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(f"{self.path.name}: not a readable silica-explorer store ({exc})") from exc
        except StoreError:
            self._conn.close()
            raise
        self._columns = ", ".join(f'"{c}"' for c in cols if c != "pdf")

    def _check_schema(self) -> int:
        tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = [t for t in _TABLES if t not in tables]
        if missing:
            raise StoreError(f"{self.path.name}: not a silica-explorer store (no table {', '.join(missing)})")
        row = self._conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            raise StoreError(f"{self.path.name}: unknown store schema (no schema_version in its meta table)")
        try:
            version = int(row[0])
        except (TypeError, ValueError):
            raise StoreError(f"{self.path.name}: unknown store schema version {row[0]!r} "
                             f"(this silica-explorer reads version {SCHEMA_VERSION})") from None
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path.name}: store schema version {version} is newer than this "
                             f"silica-explorer reads ({SCHEMA_VERSION}); update silica-explorer")
        if version < 1:
            raise StoreError(f"{self.path.name}: unknown store schema version {version} "
                             f"(this silica-explorer reads version {SCHEMA_VERSION})")
        return version

    # ------------------------------------------------------------------ liveness
    def check_present(self) -> None:
        """Raise :class:`StoreGone` if the file was deleted or replaced since it was opened."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise StoreGone(f"{self.path}: the store file was deleted while it was followed") from None
        if (st.st_dev, st.st_ino) != self._identity:
            raise StoreGone(f"{self.path}: the store file was replaced by another file; open it again")

    def _rows(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        self.check_present()
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path.name}: read failed ({exc})") from exc

    # ------------------------------------------------------------------ reads
    def runs(self) -> list[dict]:
        """One dict per run, oldest first (see :func:`~silica_explorer.store.db.run_summaries` for the
        keys; the same as :meth:`Store.runs <silica_explorer.store.Store.runs>`)."""
        stats = self._rows(RUN_STATS_SQL)
        return run_summaries(self._rows(RUNS_SQL), stats)

    def run(self, run_id: str) -> dict:
        for r in self.runs():
            if r["run_id"] == run_id:
                return r
        raise KeyError(f"no run {run_id!r} in {self.path.name}")

    def records(self, run_id: str | None = None, after_id: int = 0) -> list[Record]:
        """Evaluations (of ``run_id``, or all) with store id > ``after_id``, in insertion order."""
        where, params = "WHERE id > ?", [int(after_id)]
        if run_id is not None:
            where += " AND run_id = ?"
            params.append(run_id)
        return [Record.from_row(r) for r in
                self._rows(f"SELECT {self._columns} FROM evaluations {where} ORDER BY id", tuple(params))]

    def get_pdf(self, record_id: int):
        """The partial-PDF Dataset of evaluation ``record_id`` (following ``cached_from``), or None."""
        rows = self._rows("SELECT pdf, cached_from FROM evaluations WHERE id=?", (int(record_id),))
        if not rows:
            raise KeyError(f"no evaluation with id {record_id} in {self.path.name}")
        row = rows[0]
        if row["pdf"] is None and row["cached_from"] is not None:
            return self.get_pdf(row["cached_from"])
        return None if row["pdf"] is None else pdf_from_bytes(row["pdf"])

    def close(self) -> None:
        self._conn.close()
