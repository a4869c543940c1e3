"""Gradients of R_x from one melt by trajectory reweighting (fluctuation formula).

In the canonical ensemble (NVT, Nose-Hoover, target temperature T) an observable O(x) with no explicit
parameter dependence - a pair histogram g_ab(r) qualifies - has

    d<O>/dtheta = -beta ( <O dU/dtheta> - <O> <dU/dtheta> ),      beta = 1 / (k_B T)   (1/eV)

(the derivative that ForceBalance, DiffTRe and relative-entropy coarse-graining use). R_x is a smooth
function of the averaged partial g(r), so by the chain rule

    dR_x/dtheta = sum_ab,r  dR_x/dg_ab(r) * d<g_ab(r)>/dtheta = -beta cov(X, dU/dtheta),
    X_t = sum_ab,r dR_x/dg_ab(r) g_ab,t(r)     (the linearised R_x of frame t)

with dR_x/dg_ab(r) = -(g_ref - <g>)_ab(r) / (3 R_x sum_r g_ref,ab^2) from :mod:`silica_explorer.cost`.

**dU/dtheta** is analytic for every free parameter of Eq. (1), summed over pairs within ``r_cut`` exactly
as the MD uses them (short range truncated, DSF Coulomb shifted; see
:meth:`~silica_explorer.forcefield.ForceField.pair_energy`):

- ``A_ab``: sum exp(-r/rho);  ``rho_ab``: sum A r/rho^2 exp(-r/rho);  ``C_ab``: -sum 1/r^6  (eV per unit);
- ``q_Si``: with q_i = q_Si s_i (s_Si = 1, s_O = -1/2), the pair Coulomb energy is quadratic in q_Si, so
  dU/dq_Si = 2 U_coul / q_Si (eV/e). The DSF self term (also quadratic in q_Si) does not depend on the
  configuration, so it drops out of the covariance and is left out.

What the derivative ignores: LAMMPS integrates a *tabulated* Eq. (1) (linear interpolation, 8000 points);
the derivative is that of the analytic form. The difference is the table's interpolation error
(0.07 eV per 3000 atoms at 8000 points), far below the statistical error. The one-table deck also
replaces Eq. (1) by a straight wall where a pair's energy exceeds 50 eV (~160 kT at 3600 K), a region the
liquid does not visit; pairs there would get the analytic derivative, not the wall's.

**Statistical error.** Frames of one trajectory are correlated, so the error is a delete-one-block
jackknife over ``n_blocks`` contiguous blocks of frames: the whole estimator (mean g, R_x, its linear
weights, the covariance) is recomputed without each block. The jackknife of a plain mean equals the
block-averaging standard error (:func:`block_standard_error`); for the covariance it also carries the
error of the means and of the R_x weights. Blocks must be longer than the correlation time of X and
dU/dtheta (~0.1 ps in the 3600 K liquid, Nose-Hoover damping 0.1 ps): the default 8 blocks of the quick
protocol's 4 ps production are 0.5 ps each; the tiny protocol's 0.5 ps gives blocks of ~0.06 ps, too short
for a trustworthy error (see ``benchmarks/reweight_gradients.py``).

Frames come from a melt run with ``LammpsEngine(gradient_frames_every=N)``; ordinary melts store too few
frames and a cache hit stores none: both raise a clear error.

Units: R_x is a fraction; gradients are per unit of each parameter (:data:`~silica_explorer.parameters.UNITS`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import xarray as xr
from scipy.spatial import cKDTree

from .cost import aligned
from .forcefield import ForceField, dsf_energy
from .parameters import FREE_PARAMETERS, PAIRS, PAIR_SPECIES, UNITS, ParameterError
from .configurations import Configuration, Trajectory

#: Boltzmann constant in eV/K.
K_B = 8.617333262e-5


def check_gradient_names(names: Sequence[str] | str) -> tuple[str, ...]:
    """Validated tuple of parameter names a gradient can be taken for (any of the 10 free parameters)."""
    names = tuple(s.strip() for s in names.split(",")) if isinstance(names, str) else tuple(names)
    if not names:
        raise ParameterError(f"no gradient parameters given; choose from {list(FREE_PARAMETERS)}")
    bad = [n for n in names if n not in FREE_PARAMETERS]
    if bad:
        raise ParameterError(f"cannot take the gradient of {bad}: not a free parameter of the forcefield; "
                             f"allowed: {list(FREE_PARAMETERS)}")
    if len(set(names)) != len(names):
        raise ParameterError(f"duplicate gradient parameters in {list(names)}")
    return names


# ----------------------------------------------------------------------------- per-frame quantities
def pair_distances(conf: Configuration, r_max: float) -> dict[str, np.ndarray]:
    """Distances (A) of all *ordered* pairs (i in a, j in b, i != j) of each pair type ``ab`` closer than
    ``r_max``, counting every periodic image as LAMMPS's ghost atoms do (so a cutoff beyond half the box,
    e.g. 8 A in the tiny 14.3 A box, sees the same pairs as the MD). Each unordered pair of a like-species
    type appears twice.

    Minimum image through a periodic ``cKDTree`` when ``r_max`` is below half the shortest box edge;
    otherwise the b atoms are replicated over the 27 neighbouring boxes.
    """
    pos = conf.wrapped()
    pos = np.where(pos >= conf.box, pos - conf.box, pos)
    index = {s: np.flatnonzero(conf.species == s) for s in ("Si", "O")}
    out = {}
    if r_max < 0.5 * float(np.min(conf.box)):
        trees = {s: cKDTree(pos[index[s]], boxsize=conf.box) for s in index}
        for p in PAIRS:
            a, b = PAIR_SPECIES[p]
            if a == b:
                ij = trees[a].query_pairs(r_max, output_type="ndarray")
                d = pos[index[a][ij[:, 0]]] - pos[index[a][ij[:, 1]]]
                d -= conf.box * np.round(d / conf.box)
                d = np.sqrt(np.einsum("ij,ij->i", d, d))
                out[p] = np.concatenate([d, d])
            else:
                out[p] = trees[a].sparse_distance_matrix(trees[b], r_max, output_type="ndarray")["v"]
        return out
    if r_max >= float(np.min(conf.box)):
        raise ValueError(f"pair cutoff {r_max} A must be shorter than the box edge ({float(np.min(conf.box)):.3f} A)")
    shifts = np.array([(x, y, z) for x in (-1, 0, 1) for y in (-1, 0, 1) for z in (-1, 0, 1)]) * conf.box
    for p in PAIRS:
        a, b = PAIR_SPECIES[p]
        pa = pos[index[a]]
        pb = (pos[index[b]][None, :, :] + shifts[:, None, :]).reshape(-1, 3)
        sp = cKDTree(pa).sparse_distance_matrix(cKDTree(pb), r_max, output_type="ndarray")
        if a == b:  # drop each atom's distance to itself (zero shift)
            nb = len(index[b])
            zero = 13  # index of the (0, 0, 0) shift
            sp = sp[~((sp["j"] // nb == zero) & (sp["j"] % nb == sp["i"]))]
        out[p] = sp["v"]
    return out


def energy_derivatives(distances: dict[str, np.ndarray], forcefield: ForceField,
                       names: Sequence[str]) -> np.ndarray:
    """dU/dtheta (eV per parameter unit) of one configuration from its ordered pair distances
    (:func:`pair_distances`), summed over pairs within r_cut."""
    ff = forcefield
    half = {p: 0.5 if PAIR_SPECIES[p][0] == PAIR_SPECIES[p][1] else 1.0 for p in PAIRS}  # ordered -> unordered
    out = np.empty(len(names))
    for k, name in enumerate(names):
        if name == "q_Si":
            u_coul = sum(half[p] * float(np.sum(dsf_energy(ff.pair_qq(p), _inside(distances[p], ff.r_cut),
                                                           ff.alpha, ff.r_cut)))
                         for p in PAIRS)
            out[k] = 2.0 * u_coul / ff.q_Si
            continue
        kind, pair = name.split("_", 1)
        r = _inside(distances[pair], ff.r_cut)
        A, rho, _, _ = ff.pair_params(pair)
        if kind == "A":
            out[k] = half[pair] * np.sum(np.exp(-r / rho))
        elif kind == "rho":
            out[k] = half[pair] * np.sum(A * r / rho**2 * np.exp(-r / rho))
        elif kind == "C":
            out[k] = -half[pair] * np.sum(r**-6.0)
        else:  # pragma: no cover (check_gradient_names prevents it)
            raise ParameterError(f"no derivative for {name!r}")
    return out


def _inside(r: np.ndarray, r_cut: float) -> np.ndarray:
    return r[r < r_cut]


def frame_histograms(distances: dict[str, np.ndarray], edges: np.ndarray, conf: Configuration) -> np.ndarray:
    """Partial g(r) of one frame, shape (pair, r), normalised as :mod:`silica_explorer.structure`
    (ordered pairs, N_b - delta_ab) on bins ``edges`` (A)."""
    shell = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    g = np.empty((len(PAIRS), len(edges) - 1))
    for k, p in enumerate(PAIRS):
        a, b = PAIR_SPECIES[p]
        na, nb = conf.count(a), conf.count(b) - (1 if a == b else 0)
        h = np.histogram(distances[p], bins=edges)[0].astype(float)
        g[k] = h * conf.volume / (na * nb) / shell
    return g


def frame_data(frames: Trajectory, forcefield: ForceField, names: Sequence[str], r_max: float,
               dr: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame partial g(r) (frame, pair, r), dU/dtheta (frame, parameter) and bin centres r (A)."""
    names = check_gradient_names(names)
    n_bins = int(round(r_max / dr))
    edges = np.arange(n_bins + 1) * dr
    cut = max(forcefield.r_cut, r_max)
    if r_max > 0.5 * float(np.min(frames.box)) + 1e-9:
        raise ValueError(f"r_max = {r_max} A exceeds half the box ({0.5 * float(np.min(frames.box)):.3f} A)")
    G = np.empty((frames.n_frames, len(PAIRS), n_bins))
    D = np.empty((frames.n_frames, len(names)))
    for t, conf in enumerate(frames):
        dist = pair_distances(conf, cut)
        G[t] = frame_histograms(dist, edges, conf)
        D[t] = energy_derivatives(dist, forcefield, names)
    return G, D, 0.5 * (edges[1:] + edges[:-1])


# ----------------------------------------------------------------------------- estimators
def reweight_derivative(O: np.ndarray, dU: np.ndarray, beta: float) -> np.ndarray:
    """-beta (<O dU> - <O><dU>) over axis 0 (samples): d<O>/dtheta for each column of ``dU``.

    ``O`` (n, ...) observable per sample, ``dU`` (n, n_params) dU/dtheta per sample; returns
    (n_params, ...) in units of O per parameter unit.
    """
    O = np.asarray(O, dtype=float)
    dU = np.asarray(dU, dtype=float)
    dO = O - O.mean(axis=0)
    dD = dU - dU.mean(axis=0)
    return -beta * np.tensordot(dD, dO, axes=(0, 0)) / len(O)


def block_jackknife(estimator, n_samples: int, n_blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """``(estimate, standard error)`` of ``estimator(index_array)`` by the delete-one-block jackknife over
    ``n_blocks`` contiguous blocks of ``range(n_samples)`` (trailing samples that do not fill a block
    are kept in the full estimate and spread over no block)."""
    if n_blocks < 2:
        raise ValueError(f"n_blocks = {n_blocks} must be >= 2")
    if n_samples < 2 * n_blocks:
        raise ValueError(f"{n_samples} samples are too few for n_blocks = {n_blocks} (need >= {2 * n_blocks})")
    full = np.asarray(estimator(np.arange(n_samples)), dtype=float)
    size = n_samples // n_blocks
    used = np.arange(size * n_blocks)
    leave = np.array([estimator(np.delete(used, np.s_[b * size:(b + 1) * size])) for b in range(n_blocks)])
    err = np.sqrt((n_blocks - 1) / n_blocks * np.sum((leave - leave.mean(axis=0)) ** 2, axis=0))
    return full, err


def block_standard_error(series: np.ndarray, n_blocks: int) -> float:
    """Standard error of the mean of a correlated series from ``n_blocks`` contiguous block means."""
    x = np.asarray(series, dtype=float)
    size = len(x) // n_blocks
    if n_blocks < 2 or size < 1:
        raise ValueError(f"need n_blocks >= 2 and at least one sample per block; got {len(x)} samples, "
                         f"n_blocks = {n_blocks}")
    means = x[:size * n_blocks].reshape(n_blocks, size).mean(axis=1)
    return float(means.std(ddof=1) / np.sqrt(n_blocks))


def rx_weights(g_ref: np.ndarray, g_md: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """R_x, chi2 per pair and dR_x/dg_md (pair, r) for aligned arrays (pair, r)
    (see :func:`silica_explorer.cost.rx`)."""
    norm = np.sum(g_ref**2, axis=1)
    chi2 = np.sum((g_ref - g_md) ** 2, axis=1) / norm
    R = float(np.sqrt(np.mean(chi2)))
    w = -(g_ref - g_md) / (3.0 * R * norm[:, None]) if R > 0 else np.zeros_like(g_md)
    return R, chi2, w


class ReweightGradient:
    """dR_x/dtheta (and d<g>/dtheta) from the stored frames of one melt; see the module docstring.

    Parameters
    ----------
    reference : reference PDF Dataset (as for :func:`silica_explorer.cost.rx`).
    names : parameters to differentiate (default all 10 free ones); unknown names raise ParameterError.
    n_blocks : contiguous blocks of frames for the jackknife error (>= 2).
    r_range, align : as in :func:`silica_explorer.cost.rx`.
    skip_first : drop production frames with step < this (default 1: drop the step-0 frame, so frames
        every ``rdf_every`` steps are exactly the samples of the engine's g(r)).

    Calling it on a :class:`~silica_explorer.engine.MeltResult` returns an ``xarray.Dataset`` with
    ``R_x`` (from the frames' mean g), ``chi2`` (pair), ``g`` (pair, r: the frames' mean g), ``gradient``
    and ``gradient_err`` (parameter, per parameter unit), ``dchi2`` (parameter, pair), ``dg`` (parameter,
    pair, r), ``dU_mean`` (parameter, eV per unit), and attrs with beta, temperature, frame and block counts.
    """

    def __init__(self, reference: xr.Dataset, names: Sequence[str] | str = FREE_PARAMETERS, n_blocks: int = 8,
                 r_range: tuple[float, float] | None = None, align: str = "exact", skip_first: int = 1):
        self.reference = reference
        self.names = check_gradient_names(names)
        if int(n_blocks) < 2:
            raise ValueError(f"n_blocks = {n_blocks} must be >= 2")
        self.n_blocks = int(n_blocks)
        self.r_range = r_range
        self.align = align
        self.skip_first = int(skip_first)

    def frames_of(self, melt) -> Trajectory:
        """The production frames of ``melt`` used for the gradient; clear errors when there are none."""
        if getattr(melt, "status", "ok") != "ok":
            raise ValueError(f"cannot take a gradient from a failed melt ({melt.reason})")
        traj = getattr(melt, "trajectory", None)
        if traj is None or traj.n_frames == 0:
            raise ValueError("the melt stored no frames (a melt-cache hit keeps none); run it with "
                             "LammpsEngine(gradient_frames_every=N) to take a gradient by reweighting")
        keep = traj.steps >= self.skip_first
        traj = Trajectory(traj.positions[keep], traj.species, traj.box, traj.steps[keep])
        if traj.n_frames < 2 * self.n_blocks:
            raise ValueError(f"the melt stored {traj.n_frames} production frames, too few for n_blocks = "
                             f"{self.n_blocks} (need >= {2 * self.n_blocks}); run it with "
                             "LammpsEngine(gradient_frames_every=N) and a smaller N")
        return traj

    def __call__(self, melt) -> xr.Dataset:
        traj = self.frames_of(melt)
        ff, fid = melt.forcefield, melt.fidelity
        G, D, r_md = frame_data(traj, ff, self.names, fid.rdf_r_max, fid.rdf_dr)
        return self.from_arrays(G, D, r_md, fid.temperature, steps=traj.steps, timestep=fid.timestep)

    def from_arrays(self, G: np.ndarray, D: np.ndarray, r_md: np.ndarray, temperature: float,
                    steps: np.ndarray | None = None, timestep: float | None = None) -> xr.Dataset:
        """The gradient from per-frame g (frame, pair, r) on bin centres ``r_md`` and dU/dtheta (frame, param)."""
        beta = 1.0 / (K_B * float(temperature))
        M, r_ref, g_ref = self._alignment(G.mean(axis=0), r_md)
        Ga = np.einsum("ij,tpj->tpi", M, G)  # per-frame g on the reference grid
        n_par = len(self.names)

        def estimate(idx):
            g_bar = Ga[idx].mean(axis=0)
            R, chi2, w = rx_weights(g_ref, g_bar)
            X = np.einsum("pi,tpi->t", w, Ga[idx])
            # per-pair linearised chi2: dchi2_p/dg = -2 (g_ref - g)/norm
            Xp = np.einsum("pi,tpi->tp", -2.0 * (g_ref - g_bar) / np.sum(g_ref**2, axis=1)[:, None], Ga[idx])
            grad = reweight_derivative(X, D[idx], beta)
            dchi2 = reweight_derivative(Xp, D[idx], beta)
            return np.concatenate([[R], chi2, grad, dchi2.ravel()])

        full, err = block_jackknife(estimate, len(G), self.n_blocks)
        dg = reweight_derivative(G, D, beta)  # (param, pair, r) on the MD grid
        n_p = len(PAIRS)
        R, chi2 = full[0], full[1:1 + n_p]
        grad, grad_err = full[1 + n_p:1 + n_p + n_par], err[1 + n_p:1 + n_p + n_par]
        dchi2 = full[1 + n_p + n_par:].reshape(n_par, n_p)
        dchi2_err = err[1 + n_p + n_par:].reshape(n_par, n_p)
        ds = xr.Dataset(
            {
                "R_x": ((), R, {"units": "1", "long_name": "R_x of the frames' mean g(r)"}),
                "R_x_err": ((), err[0], {"units": "1", "long_name": "block-jackknife error of R_x"}),
                "chi2": ("pair", chi2, {"units": "1"}),
                "gradient": ("parameter", grad, {"long_name": "dR_x/dtheta (per parameter unit)"}),
                "gradient_err": ("parameter", grad_err, {"long_name": "block-jackknife standard error of dR_x/dtheta"}),
                "dchi2": (("parameter", "pair"), dchi2, {"long_name": "dchi2_ab/dtheta"}),
                "dchi2_err": (("parameter", "pair"), dchi2_err),
                "g": (("pair", "r"), G.mean(axis=0), {"long_name": "mean partial g(r) of the frames", "units": "1"}),
                "dg": (("parameter", "pair", "r"), dg, {"long_name": "d<g_ab(r)>/dtheta"}),
                "dU_mean": ("parameter", D.mean(axis=0), {"long_name": "<dU/dtheta>", "units": "eV per unit"}),
            },
            coords={"parameter": list(self.names), "pair": list(PAIRS),
                    "r": ("r", r_md, {"units": "A"}),
                    "units": ("parameter", [UNITS[n] for n in self.names])},
        )
        ds.attrs.update(method="trajectory reweighting, canonical fluctuation formula", beta_per_eV=beta,
                        temperature_K=float(temperature), n_frames=int(len(G)), n_blocks=self.n_blocks,
                        frames_per_block=int(len(G) // self.n_blocks))
        if steps is not None and timestep is not None and len(steps) > 1:
            every = int(np.median(np.diff(steps)))
            ds.attrs.update(frames_every_steps=every,
                            block_length_ps=float(len(G) // self.n_blocks * every * timestep))
        return ds

    def _alignment(self, g_mean: np.ndarray, r_md: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Matrix M (ref point, MD bin) with g_ref-grid = M g_md, the reference r and g_ref (pair, r)."""
        from .structure import pdf_dataset
        md = pdf_dataset(r_md, {p: g_mean[k] for k, p in enumerate(PAIRS)}, dr=float(r_md[1] - r_md[0]))
        r, g_ref, g_md = aligned(self.reference, md, self.r_range, self.align)  # validates the grids
        if self.align == "exact":
            M = (np.abs(r[:, None] - r_md[None, :]) <= 1e-6).astype(float)
        else:
            M = np.stack([np.interp(r, r_md, e) for e in np.eye(len(r_md))], axis=1)
        assert np.allclose(np.einsum("ij,pj->pi", M, g_mean), g_md)
        return M, r, g_ref
