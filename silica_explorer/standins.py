"""Cheap stand-in costs for tests and benchmarks: analytic functions of the unit box - NOT MD.

:class:`AnalyticCost` behaves like an :class:`~silica_explorer.evaluate.Evaluator` (``cost(forcefield,
seed=...) -> mapping`` with status, R_x, ...; ``identity()`` for the store), so optimizers,
the store and the CLI machinery can be exercised in milliseconds. :class:`PDFStandIn` also returns
partial PDFs; :class:`SyntheticCost` is a two-parameter stand-in for cost landscapes
(:mod:`silica_explorer.landscape`). The noise of a request is a
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
import zlib
from typing import Callable

import numpy as np

from .fidelity import get_fidelity
from .forcefield import ForceField
from .optimize.space import SearchSpace

#: Module path written into the stand-ins' ``identity()["kind"]``: where they lived when the stores and
#: landscapes keyed on it were first written. Kept as it was, so those cache keys do not change.
IDENTITY_MODULE = "silica_explorer.optimize.testfunctions"

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

    def identity(self) -> dict:
        """What this stand-in is (as :meth:`silica_explorer.evaluate.Evaluator.identity`)."""
        return {"kind": f"{IDENTITY_MODULE}.AnalyticCost", "fidelity": {"name": f"analytic:{self.name}", "noise": self.noise},
                "reference_id": f"analytic:{self.name}:{self.space.as_dict()}",
                "reference": f"analytic stand-in {self.name} (not MD)", "engine_version": self.engine_version}

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


# ------------------------------------------------------------------------------------------ PDF stand-in
#: Peaks (position A, width A, height above 1) of the stand-in's reference-like liquid, per pair.
_PDF_PEAKS = {
    "SiSi": [(3.12, 0.14, 2.0), (5.05, 0.40, 0.30)],
    "SiO": [(1.62, 0.065, 4.6), (4.05, 0.30, 0.35)],
    "OO": [(2.64, 0.12, 1.9), (4.95, 0.38, 0.28)],
}


class PDFStandIn:
    """A stand-in *melt*: partial PDFs as a smooth function of the unit point, plus noise - NOT MD.

    For development and tests of PDF-based optimizers (:mod:`silica_explorer.optimize.composite`).
    Called like an :class:`~silica_explorer.evaluate.Evaluator` (``cost(forcefield, seed=...) ->
    mapping`` with ``status``, ``R_x``, ``chi``, ``pdf``), with ``reference``, ``r_range`` and
    ``align`` attributes as an Evaluator has, and ``identity()`` for the store.

    Model: ``g_ab(r) = s(r) [1 + sum_k h_k exp(-(r - r_k)^2 / 2 w_k^2)]`` on bin centres
    ``dr/2 ... r_max`` (A), with a smooth core ``s(r) = 1 / (1 + exp(-(r - r_core)/0.04))``. Each peak's
    position ``r_k``, width ``w_k`` and height ``h_k`` depend smoothly on ``t = u - target``: linear
    and quadratic terms with fixed random coefficients (seeded by ``landscape_seed``), scaled by
    ``sensitivity``. The reference is the noise-free liquid at ``target`` with a fixed "model error"
    the parametric family cannot reproduce (an extra Si-Si shoulder at 2.5 A and a 4 % lower O-O
    first peak), so the smallest R_x is about 8-9 %, not 0.

    Noise (MD sampling noise): independent Gaussian per bin with sd ``noise * sqrt(g(r)) * 2.5 / r``
    (counting statistics of shells of area ~ r^2), a deterministic function of (point, seed) as a
    melt with a fixed seed is. ``noise=0.05`` gives an R_x seed-to-seed sd of about 0.3 %
    (similar to quick MD).

    Failures: ``u[0] + u[1] < fail_below`` (if ``fail_below`` is not None) is a "collapsed" melt:
    status ``failed``, no PDF - a band next to the valley, as in the real landscape.
    """

    engine_version = "PDF stand-in v1 (no MD)"

    def __init__(self, space: SearchSpace, noise: float = 0.05, target=None, fail_below: float | None = 0.45,
                 sensitivity: float = 1.0, landscape_seed: int = 7, r_max: float = 7.0, dr: float = 0.02,
                 model_error: bool = True, name: str = "pdf_peaks"):
        from .cost import rx  # noqa: F401  (import check: cost module available)
        if noise < 0:
            raise ValueError(f"noise = {noise} must be >= 0")
        if dr <= 0 or r_max <= 1.0:
            raise ValueError(f"need dr > 0 and r_max > 1 A, got dr={dr}, r_max={r_max}")
        self.space = space
        self.noise = float(noise)
        self.target = np.full(space.dim, 0.35) if target is None else np.asarray(target, dtype=float)
        if self.target.shape != (space.dim,):
            raise ValueError(f"target must have {space.dim} unit coordinates, got {self.target.shape}")
        self.fail_below = None if fail_below is None else float(fail_below)
        if self.fail_below is not None and space.dim < 2:
            raise ValueError("fail_below needs >= 2 free parameters (it uses u[0] + u[1]); pass fail_below=None")
        self.sensitivity = float(sensitivity)
        self.landscape_seed = int(landscape_seed)
        self.name = name
        self.model_error = bool(model_error)
        self.r = np.arange(dr / 2, r_max, dr)
        self.dr = float(dr)
        self.r_range = None
        self.align = "exact"
        self.n_calls = 0
        rng = np.random.default_rng(self.landscape_seed)
        n_peaks = sum(len(v) for v in _PDF_PEAKS.values())
        d = space.dim
        # per peak: linear (3, d) and quadratic (3, d) coefficients for (position, log width, log height)
        self._lin = rng.normal(size=(n_peaks, 3, d)) * np.array([0.15, 0.6, 0.9])[None, :, None] / np.sqrt(d)
        self._quad = rng.normal(size=(n_peaks, 3, d)) * np.array([0.1, 0.5, 0.75])[None, :, None] / np.sqrt(d)
        # the Si-O first peak moves inwards towards the failure band (u0 + u1 small)
        self._lin[2, 0, :2] = np.abs(self._lin[2, 0, :2]) + 0.1
        self.reference = self._pdf_dataset(self.liquid(self.target, reference=True), source="PDF stand-in reference")

    def identity(self) -> dict:
        """What this stand-in is (as :meth:`silica_explorer.evaluate.Evaluator.identity`)."""
        return {"kind": f"{IDENTITY_MODULE}.PDFStandIn", "engine_version": self.engine_version,
                "fidelity": {"name": f"standin:{self.name}", "noise": self.noise},
                "reference_id": f"standin:{self.name}:{self.landscape_seed}:{self.target.tolist()}:"
                                f"{self.fail_below}:{self.sensitivity}:{self.space.as_dict()}",
                "reference": f"PDF stand-in {self.name} (not MD)"}

    def _pdf_dataset(self, g: np.ndarray, source: str):
        from .parameters import PAIRS
        from .structure import pdf_dataset
        return pdf_dataset(self.r, {p: g[i] for i, p in enumerate(PAIRS)}, self.dr, source=source)

    def liquid(self, u, reference: bool = False) -> np.ndarray:
        """Noise-free g (pair, r) at unit point ``u`` (pairs in :data:`~silica_explorer.parameters.PAIRS`
        order); ``reference=True`` adds the model error."""
        from .parameters import PAIRS
        t = (np.asarray(u, dtype=float) - self.target) * self.sensitivity
        out = np.empty((len(PAIRS), self.r.size))
        k = 0
        for i, p in enumerate(PAIRS):
            g = np.ones_like(self.r)
            r_first = None
            for j, (r0, w0, h0) in enumerate(_PDF_PEAKS[p]):
                dpos, dlw, dlh = self._lin[k] @ t + self._quad[k] @ (t**2)
                rk, wk, hk = r0 + dpos, w0 * np.exp(dlw), h0 * np.exp(dlh)
                if reference and self.model_error and j == 0:
                    hk *= {"OO": 0.8, "SiO": 1.2, "SiSi": 1.0}[p]
                g += hk * np.exp(-0.5 * ((self.r - rk) / wk) ** 2)
                r_first = rk - 2.8 * wk if r_first is None else r_first
                k += 1
            if reference and self.model_error and p == "SiSi":
                g += 1.0 * np.exp(-0.5 * ((self.r - 2.5) / 0.12) ** 2)
            out[i] = g / (1.0 + np.exp(-(self.r - r_first) / 0.04))
        return out

    def failed(self, u) -> bool:
        return self.fail_below is not None and float(u[0] + u[1]) < self.fail_below

    def sample(self, u, seed: int = 0) -> np.ndarray:
        """Noisy g (pair, r) at ``u`` for MD seed ``seed`` (deterministic per point and seed)."""
        u = np.asarray(u, dtype=float)
        g = self.liquid(u)
        if self.noise:
            h = int.from_bytes(hashlib.sha256(np.round(u, 12).tobytes()).digest()[:8], "little")
            eps = np.random.default_rng([int(seed) & 0xFFFFFFFF, h, 0x9DF]).standard_normal(g.shape)
            g = g + self.noise * np.sqrt(np.maximum(g, 0.0)) * 2.5 / self.r * eps
        return g

    def value(self, u, seed: int = 0, noise: bool = True) -> float:
        """R_x at unit point ``u`` (nan in the failure region); ``noise=False``: of the noise-free liquid."""
        from .cost import rx
        if self.failed(u):
            return float("nan")
        g = self.sample(u, seed) if noise else self.liquid(u)
        return rx(self.reference, self._pdf_dataset(g, "stand-in"), self.r_range, self.align).R_x

    def floor(self, n_seeds: int = 16, n_starts: int = 12) -> tuple[float, np.ndarray]:
        """(expected measured R_x at the best point, that unit point): the noise-free R_x minimized over
        the unit box (multi-start L-BFGS-B), with the mean noise contribution to chi2 measured at that
        point over ``n_seeds`` seeds added (E[R_x^2] = R_x,noise-free^2 + noise term)."""
        from scipy.optimize import minimize
        rng = np.random.default_rng(0)
        best = (np.inf, None)
        for x0 in [self.target] + list(rng.random((n_starts, self.space.dim))):
            res = minimize(lambda u: self.value(u, noise=False) if not self.failed(u) else 10.0, x0,
                           method="L-BFGS-B", bounds=[(0.0, 1.0)] * self.space.dim)
            if res.fun < best[0]:
                best = (float(res.fun), np.clip(res.x, 0, 1))
        r2 = np.mean([self.value(best[1], seed=s) ** 2 for s in range(n_seeds)])
        noise_term = r2 - self.value(best[1], noise=False) ** 2
        return float(np.sqrt(best[0] ** 2 + noise_term)), best[1]

    def __call__(self, forcefield: ForceField, seed: int = 0, **_) -> dict:
        from .cost import rx
        self.n_calls += 1
        t0 = time.perf_counter()
        u = self.space.unit_of(forcefield)
        if self.failed(u):
            return {"status": "failed", "reason": "stand-in failure region (collapsed Si-O)", "R_x": float("nan"),
                    "wall_time_s": time.perf_counter() - t0, "engine": "pdf-stand-in",
                    "engine_version": self.engine_version}
        pdf = self._pdf_dataset(self.sample(u, seed), source="PDF stand-in (not MD)")
        c = rx(self.reference, pdf, self.r_range, self.align)
        return {"status": "ok", "reason": None, "R_x": c.R_x, "chi": c.chi, "pdf": pdf,
                "wall_time_s": time.perf_counter() - t0, "engine": "pdf-stand-in",
                "engine_version": self.engine_version}


# ------------------------------------------------------------------------------------------ landscape stand-in
class SyntheticCost:
    """A cheap, deterministic, picklable stand-in for the MD cost (tests, demos, benchmarks of the
    machinery - **never** a physical result).

    R_x = ``floor`` + ``curvature`` * (dx^2 + dy^2) + ``ripple`` * sin(2 pi ``freq`` dx) sin(2 pi ``freq`` dy)
    + ``noise`` * N(0, 1), with dx, dy the parameters' offsets from ``center`` in units of ``scale``;
    the noise is a deterministic function of (parameters, seed). Points with parameter ``fail_param``
    above ``fail_above`` fail (status "failed", reason "overlap: synthetic failure"); ``delay_s``
    sleeps to imitate a slow evaluation. Returns a dict like :func:`silica_explorer.landscape.point_record` expects."""

    def __init__(self, x: str = "q_Si", y: str = "A_SiO", center=(1.95, 20000.0), scale=(0.5, 10000.0),
                 floor: float = 0.08, curvature: float = 0.1, ripple: float = 0.0, freq: float = 3.0,
                 noise: float = 0.0, fail_param: str | None = None, fail_above: float = math.inf,
                 delay_s: float = 0.0):
        self.x, self.y, self.center, self.scale = x, y, tuple(center), tuple(scale)
        self.floor, self.curvature, self.ripple, self.freq, self.noise = floor, curvature, ripple, freq, noise
        self.fail_param, self.fail_above, self.delay_s = fail_param, fail_above, delay_s
        self.reference_name = "synthetic stand-in cost (no MD)"
        self.calls = 0

    #: Protocol and cost options (None: no MD protocol); tests set them to imitate an Evaluator's.
    fidelity = None
    r_range = None
    align = "exact"

    def identity(self) -> dict:
        """What this stand-in is (as :meth:`silica_explorer.evaluate.Evaluator.identity`): no reference
        id (its landscapes record "unknown"), the fidelity only when one is set."""
        module = IDENTITY_MODULE if type(self).__module__ == __name__ else type(self).__module__
        ident = {"kind": f"{module}.{type(self).__qualname__}", "reference": self.reference_name,
                 "r_range": self.r_range, "align": self.align}
        if self.fidelity is not None:
            ident["fidelity"] = get_fidelity(self.fidelity).as_dict()
        return ident

    def __call__(self, forcefield: ForceField, seed: int = 0) -> dict:
        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        xv, yv = getattr(forcefield, self.x), getattr(forcefield, self.y)
        if self.fail_param is not None and getattr(forcefield, self.fail_param) > self.fail_above:
            return {"status": "failed", "reason": "overlap: synthetic failure", "wall_time_s": self.delay_s}
        dx = (xv - self.center[0]) / self.scale[0]
        dy = (yv - self.center[1]) / self.scale[1]
        r = self.floor + self.curvature * (dx * dx + dy * dy)
        r += self.ripple * math.sin(2 * math.pi * self.freq * dx) * math.sin(2 * math.pi * self.freq * dy)
        if self.noise:
            h = zlib.crc32(f"{float(xv):.10g},{float(yv):.10g},{int(seed)}".encode())  # the grid-point key digits
            r += self.noise * float(np.random.default_rng(h).standard_normal())
        r = abs(r)
        chi = {"SiSi": 1.2 * r, "SiO": 0.9 * r, "OO": math.sqrt(max(0.0, 3 * r * r - (1.44 + 0.81) * r * r))}
        return {"status": "ok", "reason": "", "R_x": r, "chi": chi, "wall_time_s": self.delay_s}
