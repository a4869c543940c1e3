"""The BO's Gaussian process refitted to a run's evaluated points, for reading a finished fit.

The model is recomputed from the stored points, never stored: :func:`fit_surrogate` fits the GP of
:class:`~silica_explorer.optimize.bayes.BayesianOptimizer` (kernel :func:`~silica_explorer.optimize.gp.default_kernel`,
hyperparameters by maximum marginal likelihood with restarts) to unit-box points and their R_x.
Failed evaluations are left out: they have no R_x, and the BO's imputation (the worst cost) would
read as a cliff, i.e. as a short length scale in whatever direction separates them.

The points come from a store run (:func:`run_points`: its search space from the run's config, each
distinct evaluation once) or from a list of records (:func:`points_of_records`).
Units: unit-box coordinates; R_x as fractions (nan = failed).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..optimize.bayes import BayesianOptimizer
from ..optimize.space import SearchSpace


def fit_surrogate(space: SearchSpace, U, R_x, random_state: int = 0, n_restarts: int = 5) -> BayesianOptimizer:
    """A :class:`BayesianOptimizer` whose GP is fitted (full hyperparameter optimization with
    ``n_restarts`` restarts) to unit points ``U`` (n, d) and costs ``R_x`` (n,; fractions, nan = failed
    evaluation, left out); its ``gp_`` is the fitted regressor, :meth:`~BayesianOptimizer.predict` its
    prediction. Needs >= 2 successful points."""
    U = np.atleast_2d(np.asarray(U, dtype=float))
    y = np.asarray(R_x, dtype=float)
    if U.shape != (y.size, space.dim):
        raise ValueError(f"U must have shape ({y.size}, {space.dim}) for {list(space.names)}, got {U.shape}")
    if np.isfinite(y).sum() < 2:
        raise ValueError(f"the GP needs at least 2 successful evaluations, got {int(np.isfinite(y).sum())}")
    ok = np.isfinite(y)
    model = BayesianOptimizer(space, n_restarts_optimizer=n_restarts, random_state=random_state, max_gp_points=None)
    return model.fit(U[ok], y[ok])


def run_points(store, run_id: str) -> tuple[SearchSpace, np.ndarray, np.ndarray, list]:
    """``(space, U, y, records)`` of a store run: its search space (from the run's config), the unit
    coordinates and R_x (nan = failed) of each distinct evaluated point (repeats of an identical request
    once), and the records. ``store``: a :class:`~silica_explorer.store.Store` or its path."""
    from ..store import Store
    store = store if isinstance(store, Store) else Store(store)
    config = store.run_config(run_id)
    if config is None:
        runs = [r["run_id"] for r in store.runs()]
        raise KeyError(f"no run {run_id!r} in {store.path}; runs: {runs}")
    space = SearchSpace.from_dict(config["space"])
    seen, U, y, recs = set(), [], [], []
    for rec in store.records(run_id):
        if rec.key in seen:
            continue
        seen.add(rec.key)
        u = rec.u if rec.u is not None else space.unit_of(rec.forcefield)
        U.append(np.asarray(u, dtype=float))
        y.append(rec.R_x if rec.ok else np.nan)
        recs.append(rec)
    if not U:
        raise ValueError(f"run {run_id!r} in {store.path} has no evaluations")
    return space, np.array(U), np.array(y, dtype=float), recs


def points_of_records(space: SearchSpace, records: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Unit coordinates and R_x (nan = failed) of stored evaluations (:class:`~silica_explorer.store.Record`):
    the stored ``u`` when it has the space's dimension, else the parameters mapped into the box."""
    U, y = [], []
    for r in records:
        u = r.u if r.u is not None and len(r.u) == space.dim else space.unit_of(r.forcefield)
        U.append(np.asarray(u, dtype=float))
        y.append(r.R_x if r.ok else np.nan)
    return np.array(U, dtype=float).reshape(len(U), space.dim), np.array(y, dtype=float)
