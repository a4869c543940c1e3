"""Random search baseline: independent uniform points in the search box, same budget and objective.

Point k of a run is drawn from ``default_rng([random_state, k])``, so a resumed run draws the same
sequence as an uninterrupted one.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .objective import Objective, run_ask_tell
from .space import SearchSpace


class RandomSearch:
    """Uniform random sampling of the unit box with an ask/tell interface."""

    name = "random"

    def __init__(self, space: SearchSpace, random_state: int = 0, batch_size: int = 1):
        self.space = space
        self.random_state = int(random_state)
        self.batch_size = int(batch_size)
        self.X_ = np.zeros((0, space.dim))
        self.y_ = np.zeros(0)
        self.history: list[dict] = []
        self._n_asked = 0

    def get_params(self) -> dict:
        return {"random_state": self.random_state, "batch_size": self.batch_size}

    def ask(self, n: int = 1) -> np.ndarray:
        start = max(self._n_asked, len(self.y_))
        U = np.array([np.random.default_rng([self.random_state, start + k]).random(self.space.dim)
                      for k in range(n)])
        self._n_asked = start + n
        return U

    def pending_proposals(self, U) -> list[dict]:
        return [{"kind": "random"} for _ in range(len(U))]

    def tell(self, u, R_x: float, proposal: Mapping | None = None, entry: Mapping | None = None) -> None:
        u = np.asarray(u, dtype=float)
        self.X_ = np.vstack([self.X_, u])
        self.y_ = np.append(self.y_, float(R_x))
        self.history.append({"n": len(self.y_) - 1, "u": u.tolist(), **self.space.params(u), "R_x": float(R_x)})

    def run(self, objective: Objective, phase: str | None = None) -> str:
        return run_ask_tell(self, objective, phase or self.name, self.batch_size)

    @property
    def best_(self):
        ok = np.isfinite(self.y_)
        if not ok.any():
            return None
        i = int(np.argmin(np.where(ok, self.y_, np.inf)))
        return self.X_[i], float(self.y_[i])
