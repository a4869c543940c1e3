"""Structure of a glass or liquid of any system: partial PDFs, coordination numbers, bond-angle distributions.

Partial pair distribution functions are ``xarray.Dataset`` objects with

- dims ``pair`` (the system's pairs in canonical order: silica ``"SiSi"``, ``"SiO"``, ``"OO"``; NS3
  ``"SiSi", "SiNa", "SiO", "NaNa", "NaO", "OO"``) and ``r`` (A, bin centres);
- data variable ``g`` (dimensionless) and, when known, ``g_err`` (standard error);
- attrs ``dr`` (A, bin width; bins are [r - dr/2, r + dr/2)), ``n_<symbol>`` for every species (silica
  ``n_Si``, ``n_O``), ``volume`` (A^3), ``source``.

The system of frames is the built-in one with the frames' species
(:func:`~silica_explorer.systems.description.system_of_species`) unless one is passed. Bond angles are
those around the anion (``"O"``) and each cation X: O-X-O and X-O-X (silica: ``OSiO``, ``SiOSi``).

Normalisation (the same as LAMMPS ``compute rdf``):
``g_ab(r) = V / (N_a N_b') * <n_ab(r)> / (4/3 pi (r_hi^3 - r_lo^3))`` with ``N_b' = N_b - delta_ab``,
where ``n_ab`` counts ordered pairs (i in a, j in b, i != j) in the shell. Neighbour queries use
``scipy.spatial.cKDTree`` with periodic boxes.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import xarray as xr
from scipy.spatial import cKDTree

from .parameters import PAIRS
from .configurations import Configuration, Trajectory
from .systems.description import System, pair_symbols, system_of_species

#: Default coordination cutoffs (A) by pair: silica's, near the first minima of the 3600 K liquid.
#: Other pairs (e.g. NaO) have none: their cutoff is the caller's (their first minimum in its liquid).
DEFAULT_COORDINATION_CUTOFF = {"SiO": 2.3, "SiSi": 3.5, "OO": 3.0}


def pdf_dataset(r, g: Mapping[str, np.ndarray], dr: float, n_species: Mapping[str, int] | None = None,
                volume: float | None = None, g_err: Mapping[str, np.ndarray] | None = None, *,
                pairs: tuple[str, ...] = PAIRS, **attrs) -> xr.Dataset:
    """Assemble partial PDFs into the standard Dataset (see module docstring). ``pairs``: the pair
    coordinate, silica's by default; another system's (its
    :attr:`System.pairs <silica_explorer.systems.description.System.pairs>`) gives an ``n_<symbol>`` attr
    for every species in ``n_species`` (silica: ``n_Si``, ``n_O``)."""
    r = np.asarray(r, dtype=float)
    pairs = tuple(pairs)
    missing = [p for p in pairs if p not in g]
    if missing:
        raise ValueError(f"missing pair(s) {missing}; need {list(pairs)}")
    data = np.stack([np.asarray(g[p], dtype=float) for p in pairs])
    ds = xr.Dataset(
        {"g": (("pair", "r"), data, {"long_name": "partial pair distribution function", "units": "1"})},
        coords={"pair": ("pair", list(pairs)), "r": ("r", r, {"units": "A", "long_name": "distance (bin centre)"})},
    )
    if g_err is not None:
        ds["g_err"] = (("pair", "r"), np.stack([np.asarray(g_err[p], dtype=float) for p in pairs]),
                       {"long_name": "standard error of g", "units": "1"})
    ds.attrs["dr"] = float(dr)
    if n_species is not None:
        for symbol in (("Si", "O") if pairs == PAIRS else tuple(n_species)):
            ds.attrs[f"n_{symbol}"] = int(n_species[symbol])
    if volume is not None:
        ds.attrs["volume"] = float(volume)
    for k, v in attrs.items():
        if v is not None:
            ds.attrs[k] = v
    return ds


def _pair_histogram(conf: Configuration, a: str, b: str, edges: np.ndarray) -> np.ndarray:
    """Ordered-pair counts of species ``a`` with ``b`` in the shells given by ``edges`` for one frame."""
    pos = conf.wrapped()
    # cKDTree's periodic box needs coordinates in [0, L)
    pos = np.where(pos >= conf.box, pos - conf.box, pos)
    ia = np.flatnonzero(conf.species == a)
    ib = np.flatnonzero(conf.species == b)
    tree_a = cKDTree(pos[ia], boxsize=conf.box)
    if a == b:
        pairs = tree_a.query_pairs(edges[-1], output_type="ndarray")
        d = _min_image_distance(pos[ia[pairs[:, 0]]], pos[ia[pairs[:, 1]]], conf.box)
        return 2.0 * np.histogram(d, bins=edges)[0]
    tree_b = cKDTree(pos[ib], boxsize=conf.box)
    sparse = tree_a.sparse_distance_matrix(tree_b, edges[-1], output_type="ndarray")
    return np.histogram(sparse["v"], bins=edges)[0].astype(float)


def _min_image_distance(x, y, box) -> np.ndarray:
    d = x - y
    d -= box * np.round(d / box)
    return np.sqrt(np.einsum("ij,ij->i", d, d))


def frames_system(frames: list, system: System | None = None) -> System:
    """``system``, or the built-in system with exactly the species of the first frame."""
    return system if system is not None else system_of_species(np.unique(frames[0].species))


def partial_pdfs(frames: Trajectory | Iterable[Configuration], r_max: float = 7.0, dr: float = 0.02,
                 n_blocks: int | None = None, source: str = "silica_explorer.structure",
                 system: System | None = None) -> xr.Dataset:
    """Partial PDFs of every pair of ``system`` (default: the built-in system of the frames' species)
    averaged over ``frames`` on bins ``[k dr, (k+1) dr)`` up to ``r_max`` (A).

    ``r_max`` must not exceed half the shortest box edge. With ``n_blocks`` >= 2 the frames are split
    into that many contiguous blocks and ``g_err`` holds the standard error of the block means.
    """
    frames = list(frames)
    if not frames:
        raise ValueError("partial_pdfs needs at least one frame")
    n_bins = int(round(r_max / dr))
    if abs(n_bins * dr - r_max) > 1e-9:
        raise ValueError(f"r_max = {r_max} A must be a whole number of bins of dr = {dr} A")
    edges = np.arange(n_bins + 1) * dr
    first = frames[0]
    if r_max > 0.5 * first.box.min() + 1e-9:
        raise ValueError(f"r_max = {r_max} A exceeds half the box ({0.5 * first.box.min():.3f} A)")
    shell = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    system = frames_system(frames, system)
    pairs = system.pair_species
    per_frame = {p: [] for p in pairs}
    for conf in frames:
        for p, (a, b) in pairs.items():
            na, nb = conf.count(a), conf.count(b) - (1 if a == b else 0)
            hist = _pair_histogram(conf, a, b, edges)
            per_frame[p].append(hist * conf.volume / (na * nb) / shell)
    r = 0.5 * (edges[1:] + edges[:-1])
    g = {p: np.mean(per_frame[p], axis=0) for p in pairs}
    g_err = None
    if n_blocks is not None and n_blocks >= 2:
        if len(frames) < n_blocks:
            raise ValueError(f"n_blocks = {n_blocks} exceeds the number of frames ({len(frames)})")
        g_err = {}
        for p in pairs:
            blocks = np.array([b.mean(axis=0) for b in np.array_split(np.array(per_frame[p]), n_blocks)])
            g_err[p] = blocks.std(axis=0, ddof=1) / np.sqrt(n_blocks)
    counts = {s: first.count(s) for s in system.symbols}
    return pdf_dataset(r, g, dr, counts, first.volume, g_err=g_err, n_frames=len(frames),
                       n_blocks=n_blocks, source=source, pairs=system.pairs)


def coordination_numbers(pdf: xr.Dataset, cutoffs: Mapping[str, float] | None = None) -> dict[str, float]:
    """Mean coordination numbers from PDFs of any system: ``n_ab = 4 pi rho_b int_0^rc g_ab(r) r^2 dr``,
    summed over bins (centres below the cutoff) with their exact shell volumes, so it equals the mean
    neighbour count.

    Keys ``"a-b"`` (b around a): for every unlike pair of ``pdf.pair`` (in order) both ``"a-b"`` and
    ``"b-a"``, then every like pair (silica: ``"Si-O"``, ``"O-Si"``, ``"Si-Si"``, ``"O-O"``). Cutoffs (A)
    by pair name: :data:`DEFAULT_COORDINATION_CUTOFF` (silica's Si-O 2.3, Si-Si 3.5, O-O 3.0) updated by
    ``cutoffs``; a pair without one is a ValueError naming it. Needs attrs ``n_<symbol>`` and ``volume``.
    """
    pairs = [str(p) for p in pdf.pair.values]
    cutoffs = {**DEFAULT_COORDINATION_CUTOFF, **(cutoffs or {})}
    missing = [p for p in pairs if p not in cutoffs]
    if missing:
        raise ValueError(f"no coordination cutoff for pair(s) {missing}; pass cutoffs={{pair: A}}")
    species = {p: pair_symbols(p) for p in pairs}
    for key in sorted({f"n_{s}" for ab in species.values() for s in ab}) + ["volume"]:
        if key not in pdf.attrs:
            raise ValueError(f"PDF dataset lacks attrs[{key!r}], needed for coordination numbers")
    dr = pdf.attrs["dr"]

    r = pdf.r.values
    shell = 4.0 / 3.0 * np.pi * ((r + dr / 2) ** 3 - (r - dr / 2) ** 3)  # exact bin volumes

    def rho(symbol):
        return pdf.attrs[f"n_{symbol}"] / pdf.attrs["volume"]

    out = {}
    for like in (False, True):
        for p in pairs:
            a, b = species[p]
            if (a == b) != like:
                continue
            g = pdf.g.sel(pair=p).values
            integral = float(np.sum(np.where(r < cutoffs[p], g, 0.0) * shell))
            out[f"{a}-{b}"] = rho(b) * integral
            if not like:
                out[f"{b}-{a}"] = rho(a) * integral
    return out


def first_peak(pdf: xr.Dataset, pair: str, r_range: tuple[float, float] | None = None,
               half_width: float | None = None) -> tuple[float, float]:
    """Position (A) and height of the first peak of g_pair.

    The maximum of g smoothed by a 5-bin running mean inside ``r_range`` (defaults: Si-O 1.3-2.0,
    O-O 2.2-3.0, Si-Si 2.7-3.6 A; other pairs need ``r_range``), moved to the highest raw bin within 2 bins, locates the peak; a least-squares parabola through the raw g
    within ``half_width`` of it (default 0.08 A for Si-O, 0.2 A otherwise) gives position and height.
    Returns (nan, nan) if g is zero in the window.
    """
    windows = {"SiO": (1.3, 2.0), "OO": (2.2, 3.0), "SiSi": (2.7, 3.6)}
    if r_range is None and pair not in windows:
        raise ValueError(f"no default first-peak window for pair {pair!r} (defaults: {list(windows)}); pass r_range")
    lo, hi = r_range or windows[pair]
    hw = half_width if half_width is not None else (0.08 if pair == "SiO" else 0.2)
    r = pdf.r.values
    g = pdf.g.sel(pair=pair).values
    smooth = np.convolve(g, np.ones(5) / 5, mode="same")
    inside = (r >= lo) & (r <= hi)
    if not np.any(smooth[inside] > 0):
        return float("nan"), float("nan")
    k = np.flatnonzero(inside)[np.argmax(smooth[inside])]
    k = max(0, k - 2) + int(np.argmax(g[max(0, k - 2):k + 3]))  # highest raw bin next to the smoothed maximum
    near = np.abs(r - r[k]) <= hw + 1e-9
    if near.sum() < 3:
        return float(r[k]), float(g[k])
    c2, c1, c0 = np.polyfit(r[near] - r[k], g[near], 2)
    if c2 >= 0:  # not a maximum: fall back to the smoothed maximum
        return float(r[k]), float(smooth[k])
    x = float(np.clip(-c1 / (2 * c2), -hw, hw))
    return float(r[k] + x), float(c0 + c1 * x + c2 * x * x)


def coordination_distribution(frames: Trajectory | Iterable[Configuration], center: str = "Si",
                              neighbor: str = "O", cutoff: float = 2.3) -> xr.DataArray:
    """Fraction of ``center`` atoms with n ``neighbor`` atoms within ``cutoff`` A, over all frames."""
    counts = []
    for conf in frames:
        pos = np.mod(conf.positions, conf.box)
        pos = np.where(pos >= conf.box, pos - conf.box, pos)
        ic = np.flatnonzero(conf.species == center)
        inb = np.flatnonzero(conf.species == neighbor)
        tc = cKDTree(pos[ic], boxsize=conf.box)
        tn = cKDTree(pos[inb], boxsize=conf.box)
        lists = tc.query_ball_tree(tn, cutoff)
        n = np.array([len(x) for x in lists])
        if center == neighbor:
            n -= 1
        counts.append(n)
    counts = np.concatenate(counts)
    nmax = max(8, int(counts.max()) + 1)
    frac = np.bincount(counts, minlength=nmax) / len(counts)
    return xr.DataArray(frac, dims="n", coords={"n": np.arange(nmax)}, name=f"{center}-{neighbor} coordination",
                        attrs={"cutoff": cutoff, "units": "1", "long_name": f"fraction of {center} with n {neighbor}"})


def bond_angle_distributions(frames: Trajectory | Iterable[Configuration], cutoff: float | Mapping[str, float] = 2.3,
                             d_theta: float = 2.0, system: System | None = None, anion: str = "O") -> xr.Dataset:
    """O-X-O and X-O-X bond-angle distributions (degrees) over ``frames`` for every cation X of
    ``system`` (default: the built-in system of the frames' species; the cations are its species other
    than ``anion``).

    Bonds are X-O pairs closer than the cutoff (A): ``cutoff`` one number for every cation, or a mapping
    by pair name (``{"SiO": 2.3, "NaO": 3.1}``) with one for every cation-anion pair (a missing one is a
    ValueError naming it). Returns a Dataset with dim ``angle`` (bin centres, degrees) and variables
    ``O<X>O`` and ``<X>O<X>`` per cation in species order (silica: ``OSiO``, ``SiOSi``), each normalised
    to unit area (1/degree), with attrs ``n_angles``; Dataset attrs ``d_theta`` and ``cutoff`` (A; a
    mapping gives ``cutoff_<pair>`` per bond pair instead).
    """
    frames = list(frames)
    if not frames:
        raise ValueError("bond_angle_distributions needs at least one frame")
    system = frames_system(frames, system)
    cations = [s for s in system.symbols if s != anion]
    if anion not in system.symbols:
        raise ValueError(f"anion {anion!r} is not a species of {system.name} {list(system.symbols)}")
    bond_pairs = {x: system.pair_name(x, anion) for x in cations}
    if isinstance(cutoff, Mapping):
        missing = [p for p in bond_pairs.values() if p not in cutoff]
        if missing:
            raise ValueError(f"bond cutoff missing for pair(s) {missing}; given {dict(cutoff)}")
        cut = {x: float(cutoff[p]) for x, p in bond_pairs.items()}
    else:
        cut = {x: cutoff for x in cations}
    edges = np.arange(0.0, 180.0 + d_theta / 2, d_theta)
    names = {x: (f"{anion}{x}{anion}", f"{x}{anion}{x}") for x in cations}
    hists = {name: np.zeros(len(edges) - 1) for x in cations for name in names[x]}
    for conf in frames:
        pos = np.mod(conf.positions, conf.box)
        pos = np.where(pos >= conf.box, pos - conf.box, pos)
        i_o = np.flatnonzero(conf.species == anion)
        t_o = cKDTree(pos[i_o], boxsize=conf.box)
        for x in cations:
            i_x = np.flatnonzero(conf.species == x)
            t_x = cKDTree(pos[i_x], boxsize=conf.box)
            for name, centers, others, tc, to in ((names[x][0], i_x, i_o, t_x, t_o), (names[x][1], i_o, i_x, t_o, t_x)):
                for c, nbrs in zip(centers, tc.query_ball_tree(to, cut[x])):
                    if len(nbrs) < 2:
                        continue
                    v = pos[others[nbrs]] - pos[c]
                    v -= conf.box * np.round(v / conf.box)
                    v /= np.linalg.norm(v, axis=1)[:, None]
                    cosines = (v @ v.T)[np.triu_indices(len(nbrs), 1)]
                    angles = np.degrees(np.arccos(np.clip(cosines, -1, 1)))
                    hists[name] += np.histogram(angles, bins=edges)[0]
    centers = 0.5 * (edges[1:] + edges[:-1])
    out = xr.Dataset(coords={"angle": ("angle", centers, {"units": "degree"})})
    for x in cations:
        for name in names[x]:
            h = hists[name]
            total = h.sum()
            out[name] = ("angle", h / (total * d_theta) if total else h,
                         {"units": "1/degree", "n_angles": int(total)})
    if isinstance(cutoff, Mapping):
        out.attrs.update({f"cutoff_{p}": cut[x] for x, p in bond_pairs.items()}, d_theta=d_theta)
    else:
        out.attrs.update(cutoff=cutoff, d_theta=d_theta)
    return out
