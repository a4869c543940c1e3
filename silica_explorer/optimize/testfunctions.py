"""Cheap stand-in costs for tests and benchmarks: analytic functions of the unit box - NOT MD.

:class:`AnalyticCost` behaves like an :class:`~silica_explorer.evaluate.Evaluator` (``cost(forcefield,
seed=...) -> mapping`` with status, R_x, ...; ``cache_identity()`` for the store), so optimizers,
the store and the CLI machinery can be exercised in milliseconds. The noise of a request is a
deterministic function of (point, seed), as MD with a fixed seed is.

Functions (of unit coordinates ``u``, shape (d,)):

- :func:`rough_basin` - quadratic basin (minimum 0.09 at ``center``) + cosine ripples at two
  frequencies (rougher on zooming in) - a caricature of the paper's R_x landscape;
- :func:`branin` - the Branin-Hoo function on the first two coordinates (minimum 0.397887);
- :func:`sphere` - shifted quadratic (minimum 0.1 at ``center``);
- :func:`collapse_valley` with its failure region :func:`collapse_region` - a development stand-in
  for the 7-D fit (q_Si, A/rho/C of Si-O and O-O): diagonal A-rho valleys, a floor of 0.10, and a
  "collapse" region (melts that fail) right next to the valley floor.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Callable

import numpy as np

from ..forcefield import ForceField
from .space import SearchSpace

BRANIN_MIN = 0.397887357729738


def branin(u) -> float:
    u = np.asarray(u, dtype=float)
    x1, x2 = 15.0 * u[0] - 5.0, 15.0 * u[1]
    b, c, r, s, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return float((x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s)


def sphere(u, center=None) -> float:
    u = np.asarray(u, dtype=float)
    c = np.full(u.shape, 0.3) if center is None else np.asarray(center, dtype=float)
    return float(0.1 + np.sum((u - c) ** 2))


def rough_basin(u, center=None, curvature: float = 0.6, ripple: float = 0.02, freq: float = 6.0,
                ripple2: float = 0.006, freq2: float = 19.0, floor: float = 0.09) -> float:
    """``floor + curvature |u - c|^2 + ripple (1 - prod cos 2 pi freq (u - c)) + ripple2 (same at freq2)``;
    global minimum ``floor`` at ``c`` (default 0.35 in every coordinate), many local minima."""
    u = np.asarray(u, dtype=float)
    c = np.full(u.shape, 0.35) if center is None else np.asarray(center, dtype=float)
    du = u - c
    r1 = ripple * (1.0 - np.prod(np.cos(2 * math.pi * freq * du)))
    r2 = ripple2 * (1.0 - np.prod(np.cos(2 * math.pi * freq2 * du)))
    return float(floor + curvature * np.sum(du**2) + r1 + r2)


#: centre (minimum) of :func:`collapse_valley` in the layout of FREE_PARAMETERS: q_Si, (A, rho, C) Si-O,
#: O-O, Si-Si
COLLAPSE_CENTER = np.array([0.55, 0.40, 0.55, 0.30, 0.60, 0.35, 0.20, 0.30, 0.50, 0.40])
COLLAPSE_FLOOR = 0.10
_AR_PAIRS = ((1, 2), (4, 5), (7, 8))


def _collapse_coords(u):
    u = np.asarray(u, dtype=float)
    if u.shape[-1] < 3 or u.shape[-1] > len(COLLAPSE_CENTER):
        raise ValueError(f"collapse_valley needs 3 to {len(COLLAPSE_CENTER)} coordinates (q_Si, A_SiO, rho_SiO, "
                         f"...), got {u.shape[-1]}")
    return u, u - COLLAPSE_CENTER[: u.shape[-1]]


def collapse_valley(u, steep: float = 3.0, shallow: float = 0.3, curvature: float = 0.5,
                    ripple: float = 0.01, freq: float = 5.0) -> float:
    """Development stand-in (NOT MD) for a fit of q_Si and the (A, rho, C) of Si-O, O-O (, Si-Si), in
    the unit box of those parameters in FREE_PARAMETERS order; 3 <= d <= 10.

    For each (A, rho) pair the cost rises ``steep`` across and ``shallow`` along the diagonal
    ``u_A - u_rho`` (sets with the same repulsion A exp(-r0/rho) at contact), ``curvature`` in the other
    coordinates, plus cosine ripples. Global minimum :data:`COLLAPSE_FLOOR` (0.10) at
    :data:`COLLAPSE_CENTER`, which lies 0.04 (unit-box distance) from :func:`collapse_region`."""
    u, du = _collapse_coords(u)
    d = u.shape[-1]
    quad = np.full(d, curvature)
    total = 0.0
    for a, r in _AR_PAIRS:
        if r < d:
            across, along = (du[a] + du[r]) / math.sqrt(2), (du[a] - du[r]) / math.sqrt(2)
            total += steep * across**2 + shallow * along**2
            quad[a] = quad[r] = 0.0
    total += float(np.sum(quad * du**2))
    rip = ripple * (1.0 - np.prod(np.cos(2 * math.pi * freq * du)))
    return float(COLLAPSE_FLOOR + total + rip)


def collapse_region(u, margin: float = 0.06) -> bool:
    """The "melt fails" region of :func:`collapse_valley`: a large charge with a weak Si-O repulsion,
    ``(u_q - c_q) - (du_A + du_rho)_SiO / sqrt 2 > margin``; about a third of the 7-D box."""
    _, du = _collapse_coords(u)
    return bool(du[0] - (du[1] + du[2]) / math.sqrt(2) > margin)


FUNCTIONS: dict[str, Callable] = {"rough_basin": rough_basin, "branin": branin, "sphere": sphere,
                                  "collapse_valley": collapse_valley}


class AnalyticCost:
    """A stand-in cost: ``func(u) + noise * N(0, 1)`` at the unit coordinates of a forcefield in ``space``.

    ``noise``: standard deviation (deterministic per (point, seed)); ``fail_if(u) -> bool``: region
    where the "melt" fails (status failed, R_x nan); ``sleep_s``: pretend to take time. Counts its
    calls in ``n_calls``.
    """

    engine_version = "analytic stand-in (no MD)"

    def __init__(self, func: str | Callable, space: SearchSpace, noise: float = 0.0,
                 fail_if: Callable[[np.ndarray], bool] | None = None, sleep_s: float = 0.0,
                 name: str | None = None):
        self.name = name or (func if isinstance(func, str) else getattr(func, "__name__", "function"))
        self.func = FUNCTIONS[func] if isinstance(func, str) else func
        self.space = space
        self.noise = float(noise)
        self.fail_if = fail_if
        self.sleep_s = float(sleep_s)
        self.n_calls = 0

    def cache_identity(self) -> dict:
        return {"fidelity": {"name": f"analytic:{self.name}", "noise": self.noise},
                "reference_id": f"analytic:{self.name}:{self.space.as_dict()}",
                "reference": f"analytic stand-in {self.name} (not MD)"}

    def value(self, u, seed: int = 0) -> float:
        """The noisy value at unit point ``u``."""
        u = np.asarray(u, dtype=float)
        y = self.func(u)
        if self.noise:
            h = int.from_bytes(hashlib.sha256(np.round(u, 12).tobytes()).digest()[:8], "little")
            y += self.noise * np.random.default_rng([int(seed) & 0xFFFFFFFF, h]).standard_normal()
        return float(y)

    def __call__(self, forcefield: ForceField, seed: int = 0, **_) -> dict:
        self.n_calls += 1
        t0 = time.perf_counter()
        if self.sleep_s:
            time.sleep(self.sleep_s)
        u = self.space.unit_of(forcefield)
        if self.fail_if is not None and self.fail_if(u):
            return {"status": "failed", "reason": "stand-in failure region", "R_x": float("nan"),
                    "wall_time_s": time.perf_counter() - t0, "engine": "analytic",
                    "engine_version": self.engine_version}
        return {"status": "ok", "reason": None, "R_x": self.value(u, seed), "chi": {},
                "wall_time_s": time.perf_counter() - t0, "engine": "analytic", "engine_version": self.engine_version}
