"""Identifiability of fitted parameters: which directions of the parameter space the cost pins down.

From the evaluations of a fit (a store run, or any unit points and costs) :class:`Identifiability`

(a) fits the BO's Gaussian process (:func:`~.surrogate.fit_surrogate`: kernel
    ``ConstantKernel * Matern-5/2 (ARD) + WhiteKernel`` of :func:`~silica_explorer.optimize.gp.default_kernel`) to the ``n_nearest``
    successful points nearest the best one (Euclidean distance in the run's unit box) and reports each
    free parameter's length scale: in the unit box, and in physical units (linear axes: ``l (high - low)``
    in the parameter's unit; logarithmic axes: the factor ``(high / low)^l``). A length scale at its upper
    bound means the data show no dependence on that axis;
(b) computes the Hessian of the GP posterior mean (analytic for the Matern-5/2 kernel, checked against
    finite differences in the tests) at the best point, transforms it to *scaled* coordinates
    ``s_i = (p_i - p*_i) / scale_i`` (``scale_i = |p*_i|``, or the bounds' width when ``p*_i`` is 0: a unit
    of s is a 100 % relative change) and diagonalizes it. Each eigen-direction is named by its dominant
    parameters (share ``v_i^2`` of the unit eigenvector) and given ``step``: the relative change along it
    that raises the cost by ``delta`` (default: the GP's fitted white-noise standard deviation, i.e. the
    MD noise), ``step = sqrt(2 delta / lambda)``. A direction is *flat* when its step exceeds
    ``flat_step`` (default 0.1 = 10 %): the cost cannot tell parameters apart along it; else *stiff*;
    *not convex* (lambda <= 0) means the point is not a minimum of the GP mean (a noisy best point: use
    ``at="gp-min"``);
(c) with a known answer ``truth`` (a synthetic reference's generating set), each recovered parameter's
    relative error ``(p_best - p_true) / |p_true|`` (absolute error when ``p_true`` is 0), and the
    share of the scaled error vector that lies along the flat directions.

Units: costs are R_x fractions; eigenvalues are R_x per (relative change)^2; steps are relative
changes (fractions).
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any, Mapping

import numpy as np

from ..forcefield import ForceField
from ..inputs import forcefield_from
from ..optimize.gp import kernel_parts
from ..optimize.space import SearchSpace
from ..parameters import UNITS
from .surrogate import fit_surrogate, run_points

_SQRT5 = math.sqrt(5.0)


# ------------------------------------------------------------------------------------------ GP pieces
def gp_mean_hessian(gp, u) -> tuple[float, np.ndarray, np.ndarray]:
    """Posterior mean, its gradient (d,) and Hessian (d, d) at unit point ``u`` of a fitted scikit-learn
    GP with kernel ``ConstantKernel * Matern-5/2 [+ WhiteKernel]`` (target units, normalization undone).

    With ``D_j = (u_j - x_j) / l_j``, ``r = |D|``, ``k = c (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r)``:
    ``dk/du_j = -(5/3) c (1 + sqrt5 r) e D_j / l_j`` and
    ``d2k/du_i du_j = (25/3) c e D_i D_j / (l_i l_j) - (5/3) c (1 + sqrt5 r) e delta_ij / l_j^2``.
    """
    if getattr(gp.kernel_.k2 if type(gp.kernel_).__name__ == "Sum" else gp.kernel_, "nu", 2.5) != 2.5:
        raise ValueError("gp_mean_hessian needs a Matern-5/2 kernel")
    c, ls, _ = kernel_parts(gp.kernel_, gp.X_train_.shape[1])
    u = np.asarray(u, dtype=float)
    X = np.asarray(gp.X_train_, dtype=float)
    alpha = np.asarray(gp.alpha_, dtype=float).reshape(-1)
    y_std = float(np.atleast_1d(gp._y_train_std)[0])
    y_mean = float(np.atleast_1d(gp._y_train_mean)[0])
    D = (u[None, :] - X) / ls  # (n, d)
    r = np.sqrt(np.einsum("nd,nd->n", D, D))
    e = np.exp(-_SQRT5 * r)
    k = c * (1.0 + _SQRT5 * r + (5.0 / 3.0) * r * r) * e
    mean = y_std * float(k @ alpha) + y_mean
    Dl = D / ls  # D_j / l_j
    grad = y_std * ((-(5.0 / 3.0) * c * (1.0 + _SQRT5 * r) * e * alpha) @ Dl)
    w1 = (25.0 / 3.0) * c * e * alpha  # (n,)
    w2 = -(5.0 / 3.0) * c * (1.0 + _SQRT5 * r) * e * alpha
    hess = y_std * (np.einsum("n,ni,nj->ij", w1, Dl, Dl) + np.diag(w2.sum() / ls**2))
    return mean, grad, hess


# ------------------------------------------------------------------------------------------ known answer
def truth_forcefield(spec: str | ForceField | Mapping) -> ForceField:
    """A known answer: a ForceField, a parameter mapping, a preset name, a forcefield JSON file, or a
    synthetic reference netCDF (its generating set, from the provenance)."""
    if isinstance(spec, ForceField):
        return spec
    if isinstance(spec, Mapping):
        return ForceField.from_dict(spec)
    text = str(spec)
    if text.lower().endswith((".nc", ".nc4", ".netcdf")):
        from ..reference import load_reference
        from ..synthetic import generating_forcefield
        return generating_forcefield(load_reference(text))
    return forcefield_from(text)


# ------------------------------------------------------------------------------------------ analysis
@dataclasses.dataclass
class Direction:
    """One eigen-direction of the scaled Hessian (see the module docstring)."""

    eigenvalue: float
    vector: dict[str, float]
    dominant: list[str]
    step: float
    kind: str

    def label(self) -> str:
        parts = [f"{'+' if self.vector[n] >= 0 else '-'}{n}" for n in self.dominant]
        return " ".join(parts)


class Identifiability:
    """GP length scales and Hessian eigen-directions of the cost near the best point (module docstring).

    Parameters
    ----------
    space : the run's :class:`SearchSpace`.
    n_nearest : successful points the GP sees (default 150): those nearest the best (unit-box distance,
        ``select="nearest"``, default) or those with the lowest cost (``select="lowest"``).
    select : ``"nearest"`` or ``"lowest"`` (see ``n_nearest``).
    at : where the Hessian is taken: ``"best"`` (the best evaluated point, default) or ``"gp-min"``
        (the minimum of the GP mean, L-BFGS-B in the box from the best point).
    delta : cost rise (R_x fraction) that defines a direction's ``step`` (default None: the GP's fitted
        white-noise standard deviation).
    flat_step : relative step above which a direction is called flat (default 0.1).
    dominant_share : a parameter names a direction when its share ``v_i^2`` is at least this (default 0.15).
    random_state, n_restarts : of the GP's hyperparameter optimization.

    After :meth:`fit`: ``gp_``, ``u_best_``, ``y_best_``, ``u_at_``, ``params_at_``, ``scale_``,
    ``hessian_unit_``, ``hessian_scaled_``, ``directions_`` (flattest first), ``delta_``, ``n_used_``.
    """

    def __init__(self, space: SearchSpace, n_nearest: int = 150, at: str = "best", delta: float | None = None,
                 flat_step: float = 0.1, dominant_share: float = 0.15, random_state: int = 0, n_restarts: int = 5,
                 select: str = "nearest"):
        if select not in ("nearest", "lowest"):
            raise ValueError(f"select must be 'nearest' or 'lowest', got {select!r}")
        self.select = select
        if int(n_nearest) != n_nearest or n_nearest < space.dim + 2:
            raise ValueError(f"n_nearest = {n_nearest} must be an integer >= d + 2 = {space.dim + 2}")
        if at not in ("best", "gp-min"):
            raise ValueError(f"at must be 'best' or 'gp-min', got {at!r}")
        if delta is not None and not (math.isfinite(delta) and delta > 0):
            raise ValueError(f"delta = {delta} must be a positive R_x fraction or None")
        if not flat_step > 0:
            raise ValueError(f"flat_step = {flat_step} must be > 0 (relative change)")
        self.space, self.n_nearest, self.at, self.delta = space, int(n_nearest), at, delta
        self.flat_step, self.dominant_share = float(flat_step), float(dominant_share)
        self.random_state, self.n_restarts = int(random_state), int(n_restarts)

    # ------------------------------------------------------------------ fit
    def fit(self, U, y) -> "Identifiability":
        """Analyse unit points ``U`` (n, d) with costs ``y`` (n,; nan = failed, ignored)."""
        U = np.atleast_2d(np.asarray(U, dtype=float))
        y = np.asarray(y, dtype=float)
        if U.shape != (len(y), self.space.dim):
            raise ValueError(f"U must have shape (n, {self.space.dim}) matching y ({len(y)}), got {U.shape}")
        ok = np.isfinite(y) & np.all(np.isfinite(U), axis=1)
        if ok.sum() < self.space.dim + 2:
            raise ValueError(f"{int(ok.sum())} successful points; need at least d + 2 = {self.space.dim + 2}")
        U, y = U[ok], y[ok]
        ib = int(np.argmin(y))
        dist = np.sqrt(((U - U[ib]) ** 2).sum(1))
        order = np.argsort(dist if self.select == "nearest" else y, kind="stable")
        near = order[: self.n_nearest]
        self.U_, self.y_ = U[near], y[near]
        self.n_used_, self.n_ok_ = len(near), int(ok.sum())
        self.radius_ = float(dist[near].max())
        self.u_best_, self.y_best_ = U[ib].copy(), float(y[ib])
        bo = fit_surrogate(self.space, self.U_, self.y_, self.random_state, self.n_restarts)
        self.gp_ = bo.gp_
        self.length_scale_bounds_ = tuple(bo.length_scale_bounds)
        c, self.length_scales_, noise_level = kernel_parts(self.gp_.kernel_, self.space.dim)
        y_std = float(np.atleast_1d(self.gp_._y_train_std)[0])
        self.noise_std_ = math.sqrt(noise_level) * y_std
        self.u_at_ = self.u_best_ if self.at == "best" else self._gp_minimum(self.u_best_)
        self.mean_at_, self.grad_unit_, self.hessian_unit_ = gp_mean_hessian(self.gp_, self.u_at_)
        self.params_at_ = self.space.params(self.u_at_)
        self._scaled_hessian()
        return self

    def _gp_minimum(self, u0):
        from scipy.optimize import minimize
        res = minimize(lambda u: gp_mean_hessian(self.gp_, u)[:2], u0, jac=True, method="L-BFGS-B",
                       bounds=[(0.0, 1.0)] * self.space.dim)
        return np.clip(res.x, 0.0, 1.0)

    def _scale(self, p: np.ndarray) -> np.ndarray:
        width = self.space.upper - self.space.lower
        return np.where(np.abs(p) > 1e-3 * width, np.abs(p), width)

    def _jacobian(self, u, h: float = 1e-6) -> np.ndarray:
        """dp/du (d, d) by central differences of the space's map (exact up to rounding)."""
        d = self.space.dim
        J = np.zeros((d, d))
        for j in range(d):
            e = np.zeros(d)
            e[j] = h
            J[:, j] = (self.space.from_unit(u + e) - self.space.from_unit(u - e)) / (2 * h)
        return J

    def _scaled_hessian(self) -> None:
        p = self.space.from_unit(self.u_at_)
        self.scale_ = self._scale(p)
        J = self._jacobian(self.u_at_)
        self.ds_du_ = J / self.scale_[:, None]  # ds/du
        M = np.linalg.inv(self.ds_du_)  # du/ds
        H = M.T @ self.hessian_unit_ @ M
        self.hessian_scaled_ = 0.5 * (H + H.T)
        self.delta_ = float(self.delta) if self.delta is not None else max(self.noise_std_, 1e-12)
        lam, V = np.linalg.eigh(self.hessian_scaled_)
        names = self.space.names
        dirs = []
        for k in range(len(lam)):
            v = V[:, k]
            v = v if v[np.argmax(np.abs(v))] >= 0 else -v
            share = v**2
            order = np.argsort(-share)
            dominant = [names[i] for i in order if share[i] >= self.dominant_share] or [names[order[0]]]
            step = math.sqrt(2.0 * self.delta_ / lam[k]) if lam[k] > 0 else math.inf
            kind = "flat" if step > self.flat_step else "stiff"
            if lam[k] <= 0:
                kind = "not convex"
            dirs.append(Direction(float(lam[k]), {n: float(x) for n, x in zip(names, v)}, dominant, float(step), kind))
        self.directions_ = dirs  # eigh: ascending eigenvalues = flattest first

    # ------------------------------------------------------------------ outputs
    def length_scales(self) -> list[dict]:
        """Per box axis: key, transform, unit-box length scale, physical length, whether at a bound."""
        out = []
        lo_b, hi_b = self.length_scale_bounds_
        for key, t, l, (lo, hi) in zip(self.space.keys, self.space.transforms, self.length_scales_,
                                       self.space.coord_bounds.values()):
            unit = "eV" if key.startswith("E0_") else UNITS[key]
            row = {"key": key, "transform": t, "unit_box": float(l), "at_upper_bound": bool(l >= 0.99 * hi_b),
                   "at_lower_bound": bool(l <= 1.01 * lo_b)}
            if t == "linear":
                row.update(physical=float(l * (hi - lo)), physical_unit=unit,
                           text=f"{l * (hi - lo):.4g} {unit}")
            else:
                factor = float((hi / lo) ** l)
                row.update(physical=factor, physical_unit="factor", text=f"x{factor:.4g} (log axis)")
            out.append(row)
        return out

    def truth_errors(self, truth: ForceField | Mapping | str) -> dict:
        """Relative error of each free parameter at the analysis point against ``truth``, and the share
        of the scaled error that lies along the flat directions (see the module docstring)."""
        ff = truth_forcefield(truth)
        p_at = self.space.from_unit(self.u_at_)
        p_best = self.space.from_unit(self.u_best_)
        p_true = np.array([float(getattr(ff, n)) for n in self.space.names])
        rows = []
        for n, pb, pa, pt in zip(self.space.names, p_best, p_at, p_true):
            rel = (pb - pt) / abs(pt) if pt != 0 else math.nan
            rows.append({"name": n, "unit": UNITS[n], "truth": float(pt), "best": float(pb), "at": float(pa),
                         "relative_error": float(rel), "absolute_error": float(pb - pt)})
        err_s = (p_best - p_true) / self.scale_
        flat = [d for d in self.directions_ if d.kind != "stiff"]
        total = float(err_s @ err_s)
        along_flat = sum(float(np.dot([d.vector[n] for n in self.space.names], err_s)) ** 2 for d in flat)
        u_true = self.space.to_unit(p_true)
        inside = bool(self.space.contains_unit(u_true))
        out = {"truth": ff.name, "parameters": rows,
               "scaled_error_norm": math.sqrt(total),
               "share_of_error_along_flat_directions": along_flat / total if total > 0 else math.nan,
               "truth_inside_box": inside}
        if inside:
            m, s = self.gp_.predict(u_true[None, :], return_std=True)
            out["gp_mean_at_truth"] = float(m[0])
            out["gp_std_at_truth"] = float(s[0])
        return out

    def summary(self, truth=None) -> dict:
        """Everything as a JSON-able dict."""
        out = {
            "free": list(self.space.names), "coords": self.space.coords,
            "n_successful": self.n_ok_, "n_used": self.n_used_, "select": self.select, "radius_unit_box": self.radius_,
            "best_R_x": self.y_best_, "best_params": self.space.params(self.u_best_),
            "analysis_point": self.at, "params_at": self.params_at_, "gp_mean_at": self.mean_at_,
            "gp_grad_norm_unit": float(np.linalg.norm(self.grad_unit_)),
            "gp_noise_std": self.noise_std_, "delta": self.delta_, "flat_step": self.flat_step,
            "gp_kernel": str(self.gp_.kernel_),
            "length_scales": self.length_scales(),
            "scale": dict(zip(self.space.names, map(float, self.scale_))),
            "hessian_unit": self.hessian_unit_.tolist(), "hessian_scaled": self.hessian_scaled_.tolist(),
            "directions": [dataclasses.asdict(d) | {"label": d.label()} for d in self.directions_],
        }
        if truth is not None:
            out["truth"] = self.truth_errors(truth)
        return out

    def report(self, truth=None, title: str = "") -> str:
        """A short text report of :meth:`summary`."""
        s = self.summary(truth)
        lines = [f"identifiability{': ' + title if title else ''}",
                 f"  GP ({s['gp_kernel']}) on the {s['n_used']} successful points "
                 f"{'nearest the best' if s['select'] == 'nearest' else 'of lowest R_x'} "
                 f"(of {s['n_successful']}; unit-box radius {s['radius_unit_box']:.3f})",
                 f"  best R_x {100 * s['best_R_x']:.3f} %; GP mean at the {s['analysis_point']} point "
                 f"{100 * s['gp_mean_at']:.3f} %; GP noise std {100 * s['gp_noise_std']:.3f} %; "
                 f"delta {100 * s['delta']:.3f} %",
                 "  length scales (unit box | physical; 'max' = at the kernel's upper bound: no dependence seen):"]
        for row in s["length_scales"]:
            flag = " max" if row["at_upper_bound"] else (" min" if row["at_lower_bound"] else "")
            lines.append(f"    {row['key']:9s} {row['unit_box']:8.3f} | {row['text']}{flag}")
        lines.append(f"  Hessian of the GP mean in relative coordinates (flattest first); step = relative change "
                     f"that raises R_x by delta:")
        for d in self.directions_:
            lines.append(f"    {d.kind:10s} lambda {d.eigenvalue:10.4g}  step {d.step:8.3g}  {d.label()}")
        if any(d.kind == "not convex" for d in self.directions_):
            lines.append("    (negative curvature: the analysis point is not a minimum of the GP mean - a noisy best "
                         "point; at='gp-min' / --at gp-min takes the Hessian at the GP-mean minimum)")
        if truth is not None:
            t = s["truth"]
            lines.append(f"  against the truth {t['truth']} (inside the box: {t['truth_inside_box']}):")
            for row in t["parameters"]:
                rel = f"{100 * row['relative_error']:+.2f} %" if math.isfinite(row["relative_error"]) else "n/a"
                lines.append(f"    {row['name']:9s} truth {row['truth']:12.6g}  best {row['best']:12.6g}  {rel}")
            lines.append(f"    share of the (scaled) error along flat directions: "
                         f"{t['share_of_error_along_flat_directions']:.2f}")
            if "gp_mean_at_truth" in t:
                lines.append(f"    GP mean at the truth {100 * t['gp_mean_at_truth']:.3f} +- "
                             f"{100 * t['gp_std_at_truth']:.3f} %")
        return "\n".join(lines)


def analyse_run(store, run_id: str, truth=None, **options) -> tuple[Identifiability, dict]:
    """:class:`Identifiability` of a store run (``options`` go to its constructor) and its summary."""
    space, U, y, _ = run_points(store, run_id)
    ident = Identifiability(space, **options).fit(U, y)
    summary = ident.summary(truth)
    summary["store"] = str(getattr(store, "path", store))
    summary["run_id"] = run_id
    return ident, summary


def to_json(summary: Mapping[str, Any]) -> str:
    def default(o):
        if isinstance(o, (np.floating, np.integer)):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        raise TypeError(type(o).__name__)
    return json.dumps(summary, indent=1, default=default, allow_nan=True)


__all__ = ["Identifiability", "Direction", "analyse_run", "gp_mean_hessian", "truth_forcefield", "to_json"]
