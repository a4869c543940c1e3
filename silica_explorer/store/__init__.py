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

  A row of another system (a SystemForceField, e.g. NS3) has ``forcefield_json`` = its ``as_dict`` (name,
  system, parameters), NULL silica parameter columns, the ``chi_`` columns of the pairs it shares with
  silica, and every pair's chi in ``record_json`` (what :class:`Record` reads back); its key holds the system.

Cache: :class:`CachedCost` looks a request up by ``key`` = SHA-256 of the canonical JSON of (all
numeric forcefield parameters, the fidelity's fields except its name, the MD seed, the reference's
content hash, the cost's r range and alignment) and, when found, serves the stored result instead of
running MD again. Evaluations are reproducible from their row alone because they are cold starts
(no warm start from a previous liquid).

Runs: :meth:`Store.runs` and :meth:`StoreReader.runs <silica_explorer.store.reader.StoreReader.runs>` return the same dicts (:func:`run_summaries`).

Modules: :mod:`.db` (schema, :class:`Record`, :class:`Store`, :func:`run_summaries`, :func:`json_default`),
:mod:`.keys` (canonical JSON, cache keys), :mod:`.cached` (:class:`CachedCost`; the task an executor runs
is :class:`silica_explorer.evaluate.SafeTask`), :mod:`.reader` (:class:`StoreReader`, read-only).
"""

from ..cost import reference_fingerprint
from .cached import CachedCost, StoredEvaluator
from .db import (SCHEMA_VERSION, STORE_FILENAME, Record, Store, StoreError, json_default, pdf_from_bytes, pdf_to_bytes,
                 run_summaries, utc_now)
from .keys import LABEL_FIELDS, canonical_json, key_identity, request_key

__all__ = ["Store", "StoreError", "Record", "CachedCost", "StoredEvaluator", "run_summaries", "json_default",
           "request_key", "key_identity", "canonical_json", "reference_fingerprint", "pdf_to_bytes",
           "pdf_from_bytes", "utc_now", "SCHEMA_VERSION", "STORE_FILENAME", "LABEL_FIELDS"]
