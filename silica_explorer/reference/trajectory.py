"""Reference PDFs from a trajectory: extxyz, LAMMPS dump and VASP XDATCAR frames read with ASE
(:func:`read_frames`), partial PDFs with block-averaged errors and bond angles (:func:`from_trajectory`).
ASE is imported only when a trajectory is read.

Units: r in A, times ps, density g/cm3.
"""

from __future__ import annotations

import datetime as _dt
import math
import warnings
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..configurations import TYPE_OF
from .load import PROJECT_DENSITY, ReferenceError, clean_attrs, density_of, reference_error


# ------------------------------------------------------------------------------- trajectories

def _guess_format(path: Path, fmt: str | None) -> str | None:
    if fmt:
        return {"lammps": "lammps-dump-text", "lammps-dump": "lammps-dump-text", "dump": "lammps-dump-text",
                "xdatcar": "vasp-xdatcar", "vasp": "vasp-xdatcar"}.get(fmt.lower(), fmt)
    name = path.name.lower()
    if "xdatcar" in name:
        return "vasp-xdatcar"
    if name.endswith((".extxyz", ".xyz", ".extxyz.gz", ".xyz.gz")):
        return "extxyz"
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
        if head.lstrip().startswith(b"ITEM: TIMESTEP"):
            return "lammps-dump-text"
    except OSError:
        pass
    if name.endswith((".dump", ".lammpstrj")) or ".dump" in name:
        return "lammps-dump-text"
    return None  # let ASE guess


def read_frames(path: str | Path, format: str | None = None, type_map: Mapping[int, str] | None = None,
                index: str = ":"):
    """Read a trajectory with ASE and return ``(configurations, infos, format)``.

    Frames must contain only Si and O and an orthorhombic cell. LAMMPS dumps without an element column
    map atom types with ``type_map`` (default the project's: 1 = Si, 2 = O).
    """
    import ase.io
    from ..configurations import Configuration

    path = Path(path)
    if not path.exists():
        raise reference_error(path, "file not found")
    fmt = _guess_format(path, format)
    try:
        images = ase.io.read(str(path), index=index, format=fmt)
    except Exception as exc:
        raise reference_error(path, f"cannot read as a trajectory (format {fmt or 'auto'}): {exc}") from None
    if not isinstance(images, list):
        images = [images]
    if not images:
        raise reference_error(path, "empty: no frames")
    type_map = dict(type_map or {v: k for k, v in TYPE_OF.items()})
    confs, infos = [], []
    for k, atoms in enumerate(images):
        symbols = np.array(atoms.get_chemical_symbols())
        if fmt == "lammps-dump-text" and not set(symbols) <= {"Si", "O"}:
            # ASE stores LAMMPS types as atomic numbers when there is no element column
            types = atoms.get_atomic_numbers()
            unknown = sorted(set(int(t) for t in types) - set(type_map))
            if unknown:
                raise reference_error(path, f"frame {k}: LAMMPS atom type(s) {unknown} not in type_map {type_map}")
            symbols = np.array([type_map[int(t)] for t in types])
        other = sorted(str(x) for x in set(symbols) - {"Si", "O"})
        if other:
            raise reference_error(path, f"frame {k}: element(s) {other} found; only Si and O are supported")
        if not np.all(atoms.pbc):
            raise reference_error(path, f"frame {k}: not periodic in all three directions (pbc = {list(atoms.pbc)})")
        cell = np.asarray(atoms.cell[:])
        lengths = np.diag(cell)
        if np.any(lengths <= 0) or np.any(np.abs(cell - np.diag(lengths)) > 1e-6 * lengths.max()):
            raise reference_error(path, f"frame {k}: cell is not orthorhombic (cell = {cell.round(6).tolist()}); "
                              "only orthorhombic boxes are supported")
        confs.append(Configuration(atoms.get_positions(), symbols, lengths))
        infos.append(dict(atoms.info))
    return confs, infos, fmt or "auto"


def default_r_max(box_min: float, dr: float) -> float:
    """The largest multiple of ``dr`` not exceeding half of ``box_min``."""
    n = int(math.floor(0.5 * box_min / dr + 1e-9))
    return n * dr


def _select_frames(path: Path, format, type_map, skip_ps, skip_frames, stride, frame_dt_ps, phase):
    """Frames of one file after the skips: ``(frames, infos, format, n_total, keep)``."""
    confs, infos, fmt = read_frames(path, format, type_map)
    n_total = len(confs)
    keep = list(range(n_total))[skip_frames:]
    if skip_ps:
        def t_of(k):
            if "time_ps" in infos[k]:
                return float(infos[k]["time_ps"])
            if frame_dt_ps is None:
                raise reference_error(path, "skip_ps needs info['time_ps'] in the frames or frame_dt_ps")
            return k * frame_dt_ps
        t0 = t_of(0)
        keep = [k for k in keep if t_of(k) - t0 >= skip_ps - 1e-9]
    if phase is not None:
        keep = [k for k in keep if str(infos[k].get("phase", phase)) == phase]
    keep = keep[:: max(1, int(stride))]
    if not keep:
        raise reference_error(path, f"empty: no frames left of {n_total} after skipping")
    return [confs[k] for k in keep], [infos[k] for k in keep], fmt, n_total, keep


def from_trajectory(path: str | Path | list, format: str | None = None, r_max: float | None = None,
                    dr: float = 0.02, n_blocks: int | None = 5, skip_ps: float = 0.0,
                    skip_frames: int = 0, stride: int = 1, frame_dt_ps: float | None = None,
                    phase: str | None = None, type_map: Mapping[int, str] | None = None,
                    angles: bool = True, extra_attrs: Mapping[str, Any] | None = None):
    """Partial PDFs (+ bond-angle and coordination distributions) of an SiO2 trajectory.

    ``path``: extxyz, LAMMPS dump or VASP XDATCAR (ASE), or a list of such files (independent
    replicas of the same system, averaged; the skips below apply to each file). Frames are dropped in
    this order: the first ``skip_frames``; those earlier than ``skip_ps`` (time from
    ``info['time_ps']``, or ``frame_dt_ps`` per frame); those whose ``info['phase']`` differs from
    ``phase`` (when given); then every ``stride``-th is kept. ``r_max`` defaults to the largest
    multiple of ``dr`` <= half the shortest box edge; bins are ``[k dr, (k+1) dr)`` as in
    :func:`silica_explorer.structure.partial_pdfs`. ``g_err`` is the standard error of ``n_blocks``
    contiguous block means (of the concatenated frames). Returns the standard PDF Dataset with
    provenance attrs (file, format, frames, density, ...), plus variables ``OSiO`` and ``SiOSi`` (dim
    ``angle``) and ``Si_coordination``/``O_coordination`` (dim ``n``) when ``angles``.
    """
    from ..structure import bond_angle_distributions, coordination_distribution, partial_pdfs

    paths = [Path(p) for p in path] if isinstance(path, (list, tuple)) else [Path(path)]
    if not paths:
        raise ReferenceError("from_trajectory: no trajectory files given")
    path = paths[0] if len(paths) == 1 else "; ".join(str(p) for p in paths)
    frames, kept_infos, fmts, n_total, used = [], [], [], 0, []
    for p in paths:
        fr, inf, fmt, n, keep = _select_frames(p, format, type_map, skip_ps, skip_frames, stride,
                                               frame_dt_ps, phase)
        frames += fr
        kept_infos.append(inf)
        fmts.append(fmt)
        n_total += n
        used.append(f"{keep[0]}..{keep[-1]} stride {max(1, int(stride))}")
    fmt = fmts[0] if len(set(fmts)) == 1 else ", ".join(fmts)
    n_atoms = {frames[0].n_atoms}
    n_si, n_o = frames[0].count("Si"), frames[0].count("O")
    for c in frames:
        if c.n_atoms not in n_atoms or c.count("Si") != n_si:
            raise reference_error(path, "the number of atoms changes between frames")
    if n_si == 0 or n_o == 0:
        raise reference_error(path, f"need both Si and O atoms, found {n_si} Si and {n_o} O")
    if n_o != 2 * n_si:
        warnings.warn(f"{path}: {n_si} Si and {n_o} O is not SiO2 stoichiometry", stacklevel=2)
    volumes = np.array([c.volume for c in frames])
    box_min = float(min(c.box.min() for c in frames))
    densities = np.array([density_of(n_si, n_o, v) for v in volumes])
    rho = float(densities.mean())
    if abs(rho - PROJECT_DENSITY) > 0.05 * PROJECT_DENSITY:
        warnings.warn(f"{path}: density {rho:.4f} g/cm3 differs from the project's {PROJECT_DENSITY} g/cm3 "
                      "by more than 5%", stacklevel=2)
    if r_max is None:
        r_max = default_r_max(box_min, dr)
    elif r_max > 0.5 * box_min + 1e-9:
        raise reference_error(path, f"r_max = {r_max} A exceeds half the shortest box edge ({0.5 * box_min:.4f} A)")
    nb = None
    if n_blocks is not None and n_blocks >= 2 and len(frames) >= 2:
        nb = min(int(n_blocks), len(frames))
    ds = partial_pdfs(frames, r_max=r_max, dr=dr, n_blocks=nb, source="silica_explorer.reference.from_trajectory")
    if angles:
        bad = bond_angle_distributions(frames)
        for name in ("OSiO", "SiOSi"):
            ds[name] = bad[name]
        ds.attrs["angle_cutoff_A"] = float(bad.attrs["cutoff"])
        ds.attrs["angle_d_theta_deg"] = float(bad.attrs["d_theta"])
        nmax = 9
        for center, nbr in (("Si", "O"), ("O", "Si")):
            dist = coordination_distribution(frames, center, nbr, cutoff=2.3)
            frac = np.zeros(max(nmax, dist.size))
            frac[: dist.size] = dist.values
            ds[f"{center}_coordination"] = (("n",), frac[:nmax] if frac.size == nmax else frac,
                                            {"long_name": f"fraction of {center} with n {nbr} within 2.3 A",
                                             "units": "1"})
        ds = ds.assign_coords(n=np.arange(ds.sizes["n"]))
    attrs = {
        "file": str(path),
        "format": fmt,
        "n_frames": len(frames),
        "n_frames_total": n_total,
        "frames_used": used[0] if len(used) == 1 else "; ".join(used),
        "density_g_cm3": rho,
        "density_min_max_g_cm3": [float(densities.min()), float(densities.max())],
        "box_A": [float(x) for x in frames[0].box],
        "r_max": float(r_max),
        "n_blocks": nb if nb is not None else 0,
        "computed_by": f"silica_explorer.reference.from_trajectory ({_dt.datetime.now(_dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ})",
    }
    spans = [[inf[0].get("time_ps"), inf[-1].get("time_ps")] for inf in kept_infos]
    if all(a is not None and b is not None for a, b in spans):
        spans = [[float(a), float(b)] for a, b in spans]
        attrs["frames_time_ps"] = spans[0] if len(spans) == 1 else spans
    if phase is not None:
        attrs["phase"] = phase
    attrs.update(extra_attrs or {})
    ds.attrs.update(clean_attrs(attrs))
    return ds
