"""Reference partial PDFs of liquid SiO2: load, save, compute from a trajectory, or generate one.

The cost R_x compares classical partial PDFs against an *ab initio* reference liquid. No public AIMD
PDFs of liquid SiO2 exist, so :func:`generate` runs NVT MD with a universal machine-learned potential
trained on DFT (PBE) data - CHGNet 0.3.0 (weights in the ``chgnet`` wheel) or SevenNet-0 (in the
``sevenn`` wheel). Such a liquid is a *machine-learned DFT (PBE) surrogate, not CPMD*; every file
says so in its attrs. Users may also bring their own reference:

- a table (:func:`load_reference`): CSV/TSV/whitespace columns ``r, g_SiSi, g_SiO, g_OO`` and
  optionally ``g_SiSi_err, g_SiO_err, g_OO_err``; ``#`` lines are comments, and ``# key = value``
  comment lines before the header become attrs (``dr``, ``n_Si``, ``n_O``, ``volume``, ...);
- a netCDF file in the standard PDF Dataset format of :mod:`silica_explorer.structure`;
- a trajectory (:func:`from_trajectory`): extxyz, LAMMPS dump or VASP XDATCAR, read with ASE.

Every loader validates what it reads and raises :class:`ReferenceError` (a ``ValueError``) naming
the file and the problem. Heavy dependencies are imported lazily: torch/chgnet/sevenn only by
:func:`generate`/:func:`run_md`, ase by the trajectory functions.

Units: r in A, temperature K, density g/cm3, times ps, volume A^3.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import time as _time
import warnings
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .forcefield import MASS, PAIRS, TYPE_OF

AVOGADRO = 6.02214076e23
MASS_SIO2 = MASS["Si"] + 2 * MASS["O"]  # g/mol
#: Density (g/cm3) of the project's liquid; trajectories far from it are flagged.
PROJECT_DENSITY = 2.2
#: Plausible r range of a reference table (A): r_min >= 0, R_MAX_MIN <= r_max <= R_MAX_MAX.
R_MAX_MIN, R_MAX_MAX = 3.0, 50.0
#: Table suffixes and their delimiters (None = any whitespace).
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": None, ".dat": None}
NETCDF_SUFFIXES = (".nc", ".nc4", ".cdf", ".netcdf")
LABEL = "machine-learned DFT (PBE) surrogate, not CPMD"

CALCULATORS = {
    "chgnet": {"model": "CHGNet 0.3.0", "package": "chgnet",
               "note": "CHGNet 0.3.0 pretrained weights shipped in the chgnet wheel (MPtrj, PBE/PBE+U)"},
    "sevennet": {"model": "SevenNet-0 (11Jul2024)", "package": "sevenn",
                 "note": "SevenNet-0 11Jul2024 checkpoint shipped in the sevenn wheel (MPtrj, PBE/PBE+U)"},
}


class ReferenceError(ValueError):
    """A reference file or trajectory is missing, malformed or physically implausible."""


# ----------------------------------------------------------------------------------------- helpers

def box_length(n_SiO2: int, density: float) -> float:
    """Edge (A) of the cubic box holding ``n_SiO2`` formula units at ``density`` g/cm3."""
    return (n_SiO2 * MASS_SIO2 / AVOGADRO / density) ** (1.0 / 3.0) * 1e8


def density_of(n_Si: int, n_O: int, volume: float) -> float:
    """Mass density (g/cm3) of ``n_Si`` Si and ``n_O`` O atoms in ``volume`` A^3."""
    return (n_Si * MASS["Si"] + n_O * MASS["O"]) / AVOGADRO / (volume * 1e-24)


def _package_version(name: str) -> str:
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:  # pragma: no cover - not installed
        return "not installed"


def _netcdf_attr(value: Any):
    """An attr value netCDF can store (None -> dropped by the caller; bool -> int; dict/list -> JSON)."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)
    if isinstance(value, Path):
        return str(value)
    return value


def _clean_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): _netcdf_attr(v) for k, v in attrs.items() if v is not None}


def _fail(path, problem: str) -> ReferenceError:
    return ReferenceError(f"reference {path}: {problem}")


# ------------------------------------------------------------------------------------ validation

def validate_pdf(ds, name: str = "reference"):
    """Check a PDF Dataset: all three pairs, finite g >= 0, r strictly increasing and plausible.

    Returns ``ds``; raises :class:`ReferenceError` naming ``name`` and the problem.
    """
    if "g" not in getattr(ds, "data_vars", {}):
        raise _fail(name, "no variable 'g' (not a partial-PDF Dataset)")
    if "pair" not in ds.g.dims or "r" not in ds.g.dims:
        raise _fail(name, f"variable g has dims {ds.g.dims}, expected ('pair', 'r')")
    pairs = [str(p) for p in ds.pair.values]
    missing = [p for p in PAIRS if p not in pairs]
    if missing:
        raise _fail(name, f"missing pair(s) {missing}; need {list(PAIRS)}")
    r = np.asarray(ds.r.values, dtype=float)
    g = {p: np.asarray(ds.g.sel(pair=p).values, dtype=float) for p in PAIRS}
    err = ({p: np.asarray(ds.g_err.sel(pair=p).values, dtype=float) for p in PAIRS}
           if "g_err" in ds.data_vars else None)
    _validate_arrays(name, r, g, err)
    return ds


def _validate_arrays(name, r: np.ndarray, g: Mapping[str, np.ndarray],
                     g_err: Mapping[str, np.ndarray] | None) -> None:
    if r.size == 0:
        raise _fail(name, "empty: no data rows")
    if r.size < 2:
        raise _fail(name, f"only {r.size} r point; need at least 2")
    if not np.all(np.isfinite(r)):
        raise _fail(name, "r contains NaN or infinite values")
    if np.any(np.diff(r) <= 0):
        k = int(np.flatnonzero(np.diff(r) <= 0)[0])
        raise _fail(name, f"r not strictly increasing (r[{k}] = {r[k]!r}, r[{k + 1}] = {r[k + 1]!r})")
    if r[0] < 0:
        raise _fail(name, f"implausible r range: r_min = {r[0]!r} A < 0")
    if not R_MAX_MIN <= r[-1] <= R_MAX_MAX:
        raise _fail(name, f"implausible r range: r_max = {r[-1]!r} A not in [{R_MAX_MIN}, {R_MAX_MAX}] A "
                          "(is r in A, not nm or bohr?)")
    for p in PAIRS:
        v = g[p]
        if v.shape != r.shape:
            raise _fail(name, f"g_{p} has {v.size} values for {r.size} r points")
        if not np.all(np.isfinite(v)):
            k = int(np.flatnonzero(~np.isfinite(v))[0])
            raise _fail(name, f"g_{p} contains NaN or infinite values (first at r = {r[k]!r} A)")
        if np.any(v < 0):
            k = int(np.flatnonzero(v < 0)[0])
            raise _fail(name, f"negative g: g_{p}(r = {r[k]!r} A) = {v[k]!r}")
        if g_err is not None:
            e = g_err[p]
            if e.shape != r.shape:
                raise _fail(name, f"g_{p}_err has {e.size} values for {r.size} r points")
            if not np.all(np.isfinite(e)):
                raise _fail(name, f"g_{p}_err contains NaN or infinite values")
            if np.any(e < 0):
                raise _fail(name, f"negative error: g_{p}_err has values < 0")


# ------------------------------------------------------------------------------------- tables

def _pair_of_column(col: str) -> tuple[str | None, bool]:
    """Map a column name to (pair, is_error): 'g_SiO' -> ('SiO', False), 'g_Si-O_err' -> ('SiO', True)."""
    c = col.strip().lower().replace("-", "").replace(" ", "")
    is_err = False
    for suffix in ("_err", "_error", "_sigma", "err"):
        if c.endswith(suffix):
            c, is_err = c[: -len(suffix)], True
            break
    if c.startswith("g_"):
        c = c[2:]
    elif c.startswith("g") and c[1:] in ("sisi", "sio", "osi", "oo"):
        c = c[1:]
    c = c.replace("_", "")
    return {"sisi": "SiSi", "sio": "SiO", "osi": "SiO", "oo": "OO"}.get(c), is_err


def _parse_attr_value(text: str):
    """A '# key = value' attr: JSON numbers/strings as such, lists/dicts kept as JSON text (as netCDF
    stores them), booleans as 0/1, anything else as the raw text."""
    text = text.strip()
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, ValueError):
        try:
            return float(text)  # nan, inf
        except ValueError:
            return text
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


def _split(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    return [w.strip() for w in line.split(delimiter)]


def _read_table(path: Path, n_species=None, volume=None, dr=None):
    from .structure import pdf_dataset
    suffix = path.suffix.lower()
    text = path.read_text()
    lines = text.splitlines()
    attrs: dict[str, Any] = {}
    header: list[str] | None = None
    rows: list[list[str]] = []
    delimiter = TABLE_SUFFIXES.get(suffix)
    if suffix not in TABLE_SUFFIXES:  # sniff
        first = next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), "")
        delimiter = "," if "," in first else ("\t" if "\t" in first else None)
    for ln in lines:
        s = ln.strip()
        if not s:
            continue
        if s.startswith("#"):
            body = s.lstrip("#").strip()
            if header is None and "=" in body:
                key, _, value = body.partition("=")
                key = key.strip()
                if key.isidentifier():
                    attrs[key] = _parse_attr_value(value)
            continue
        words = _split(s, delimiter)
        if header is None:
            try:
                [float(w) for w in words]
            except ValueError:
                header = words
                continue
            header = ["r", "g_SiSi", "g_SiO", "g_OO"] if len(words) == 4 else \
                     ["r", "g_SiSi", "g_SiO", "g_OO", "g_SiSi_err", "g_SiO_err", "g_OO_err"]
        rows.append(words)
    if header is None or not rows:
        raise _fail(path, "empty: no data rows")
    cols = {}
    for k, name in enumerate(header):
        if name.strip().lower() in ("r", "r_a", "r(a)", "r[a]", "r/a", "distance"):
            cols["r"] = k
            continue
        pair, is_err = _pair_of_column(name)
        if pair is not None:
            cols[f"{pair}_err" if is_err else pair] = k
    if "r" not in cols:
        raise _fail(path, f"no 'r' column in header {header}")
    missing = [p for p in PAIRS if p not in cols]
    if missing:
        raise _fail(path, f"missing pair(s) {missing}: columns are {header}; need r, g_SiSi, g_SiO, g_OO")
    data = np.full((len(rows), len(header)), np.nan)
    for i, words in enumerate(rows):
        if len(words) != len(header):
            raise _fail(path, f"data row {i + 1} has {len(words)} columns, header has {len(header)}")
        try:
            data[i] = [float(w) for w in words]
        except ValueError:
            raise _fail(path, f"data row {i + 1} is not numeric: {words}") from None
    r = data[:, cols["r"]]
    g = {p: data[:, cols[p]] for p in PAIRS}
    has_err = [p for p in PAIRS if f"{p}_err" in cols]
    if has_err and len(has_err) < 3:
        raise _fail(path, f"error columns for {has_err} only; give all three or none")
    g_err = {p: data[:, cols[f"{p}_err"]] for p in PAIRS} if has_err else None
    _validate_arrays(path, r, g, g_err)
    if dr is None:
        dr = attrs.pop("dr", None)
    else:
        attrs.pop("dr", None)
    if dr is None:
        dr = float(np.median(np.diff(r)))
    if n_species is None and "n_Si" in attrs and "n_O" in attrs:
        n_species = {"Si": attrs.pop("n_Si"), "O": attrs.pop("n_O")}
    else:
        for k in ("n_Si", "n_O"):
            attrs.pop(k, None) if n_species is not None else None
    if volume is None:
        volume = attrs.pop("volume", None)
    else:
        attrs.pop("volume", None)
    attrs.setdefault("source", str(path))
    return pdf_dataset(r, g, float(dr), n_species, volume, g_err=g_err, **attrs)


def _format_attr(value) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.dumps(json.loads(value))  # JSON list/dict stored as text: written as JSON
        except (json.JSONDecodeError, ValueError):
            pass
    if isinstance(value, (int, str, list, dict)):
        return json.dumps(value)
    return json.dumps(str(value))


def _write_table(ds, path: Path) -> None:
    delimiter = TABLE_SUFFIXES.get(path.suffix.lower()) or " "
    has_err = "g_err" in ds.data_vars
    cols = ["r"] + [f"g_{p}" for p in PAIRS] + ([f"g_{p}_err" for p in PAIRS] if has_err else [])
    out = ["# silica-explorer partial PDFs (r in A, bins [r - dr/2, r + dr/2)); attrs as '# key = JSON'"]
    for k, v in ds.attrs.items():
        if "\n" in str(v):
            v = str(v).replace("\n", " ")
        out.append(f"# {k} = {_format_attr(v)}")
    out.append(delimiter.join(cols))
    r = np.asarray(ds.r.values, dtype=float)
    g = [np.asarray(ds.g.sel(pair=p).values, dtype=float) for p in PAIRS]
    if has_err:
        g += [np.asarray(ds.g_err.sel(pair=p).values, dtype=float) for p in PAIRS]
    for i in range(r.size):
        out.append(delimiter.join(repr(float(x)) for x in [r[i]] + [col[i] for col in g]))
    path.write_text("\n".join(out) + "\n")


# ------------------------------------------------------------------------------------- public IO

def load_reference(path: str | Path, n_species: Mapping[str, int] | None = None,
                   volume: float | None = None, dr: float | None = None):
    """Load reference partial PDFs from a netCDF file (standard Dataset) or a CSV/TSV/whitespace table.

    Tables: columns ``r, g_SiSi, g_SiO, g_OO`` (+ optional ``g_SiSi_err, g_SiO_err, g_OO_err``);
    ``#`` lines are comments; ``# key = value`` lines become attrs. ``n_species`` ({"Si": n, "O": n}),
    ``volume`` (A^3) and ``dr`` (A) override what the file says (needed for coordination numbers
    when a table lacks them). Validation failures raise :class:`ReferenceError` naming the file and
    the problem (missing pair, r not strictly increasing, NaN, negative g, empty, implausible r range).
    """
    path = Path(path)
    if not path.exists():
        raise _fail(path, "file not found")
    if path.is_dir():
        raise _fail(path, "is a directory, not a file")
    if path.stat().st_size == 0:
        raise _fail(path, "empty file")
    if path.suffix.lower() in NETCDF_SUFFIXES:
        import xarray as xr
        try:
            with xr.open_dataset(path) as f:
                ds = f.load()
        except Exception as exc:
            raise _fail(path, f"cannot read as netCDF ({exc})") from None
        validate_pdf(ds, str(path))
        if dr is not None:
            ds.attrs["dr"] = float(dr)
        elif "dr" not in ds.attrs:
            ds.attrs["dr"] = float(np.median(np.diff(ds.r.values)))
        if n_species is not None:
            ds.attrs["n_Si"], ds.attrs["n_O"] = int(n_species["Si"]), int(n_species["O"])
        if volume is not None:
            ds.attrs["volume"] = float(volume)
        ds = ds.transpose("pair", "r", ...).sel(pair=list(PAIRS))
        return ds
    return _read_table(path, n_species, volume, dr)


def save_reference(ds, path: str | Path) -> Path:
    """Write a PDF Dataset to ``.nc`` (everything, incl. bond angles) or a ``.csv``/``.tsv``/``.txt``/``.dat``
    table (PDFs, errors and scalar attrs; exact: floats are written with ``repr``)."""
    path = Path(path)
    validate_pdf(ds, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix in NETCDF_SUFFIXES:
        out = ds.copy()
        out.attrs = _clean_attrs(out.attrs)
        for v in out.variables.values():
            v.attrs = _clean_attrs(v.attrs)
        out.to_netcdf(path)
    elif suffix in TABLE_SUFFIXES:
        _write_table(ds, path)
    else:
        raise ReferenceError(f"cannot save {path}: unknown suffix {path.suffix!r}; use .nc, .csv, .tsv, .txt or .dat")
    return path


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
    from .system import Configuration

    path = Path(path)
    if not path.exists():
        raise _fail(path, "file not found")
    fmt = _guess_format(path, format)
    try:
        images = ase.io.read(str(path), index=index, format=fmt)
    except Exception as exc:
        raise _fail(path, f"cannot read as a trajectory (format {fmt or 'auto'}): {exc}") from None
    if not isinstance(images, list):
        images = [images]
    if not images:
        raise _fail(path, "empty: no frames")
    type_map = dict(type_map or {v: k for k, v in TYPE_OF.items()})
    confs, infos = [], []
    for k, atoms in enumerate(images):
        symbols = np.array(atoms.get_chemical_symbols())
        if fmt == "lammps-dump-text" and not set(symbols) <= {"Si", "O"}:
            # ASE stores LAMMPS types as atomic numbers when there is no element column
            types = atoms.get_atomic_numbers()
            unknown = sorted(set(int(t) for t in types) - set(type_map))
            if unknown:
                raise _fail(path, f"frame {k}: LAMMPS atom type(s) {unknown} not in type_map {type_map}")
            symbols = np.array([type_map[int(t)] for t in types])
        other = sorted(str(x) for x in set(symbols) - {"Si", "O"})
        if other:
            raise _fail(path, f"frame {k}: element(s) {other} found; only Si and O are supported")
        if not np.all(atoms.pbc):
            raise _fail(path, f"frame {k}: not periodic in all three directions (pbc = {list(atoms.pbc)})")
        cell = np.asarray(atoms.cell[:])
        lengths = np.diag(cell)
        if np.any(lengths <= 0) or np.any(np.abs(cell - np.diag(lengths)) > 1e-6 * lengths.max()):
            raise _fail(path, f"frame {k}: cell is not orthorhombic (cell = {cell.round(6).tolist()}); "
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
                raise _fail(path, "skip_ps needs info['time_ps'] in the frames or frame_dt_ps")
            return k * frame_dt_ps
        t0 = t_of(0)
        keep = [k for k in keep if t_of(k) - t0 >= skip_ps - 1e-9]
    if phase is not None:
        keep = [k for k in keep if str(infos[k].get("phase", phase)) == phase]
    keep = keep[:: max(1, int(stride))]
    if not keep:
        raise _fail(path, f"empty: no frames left of {n_total} after skipping")
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
    from .structure import bond_angle_distributions, coordination_distribution, partial_pdfs

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
            raise _fail(path, "the number of atoms changes between frames")
    if n_si == 0 or n_o == 0:
        raise _fail(path, f"need both Si and O atoms, found {n_si} Si and {n_o} O")
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
        raise _fail(path, f"r_max = {r_max} A exceeds half the shortest box edge ({0.5 * box_min:.4f} A)")
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
    ds.attrs.update(_clean_attrs(attrs))
    return ds


# ----------------------------------------------------------------------------------- generation

def _make_calculator(name: str, threads: int | None):
    import torch
    if threads:
        torch.set_num_threads(int(threads))
    if name == "chgnet":
        from chgnet.model import CHGNet
        from chgnet.model.dynamics import CHGNetCalculator
        model = CHGNet.load(model_name="0.3.0", use_device="cpu", verbose=False)
        return CHGNetCalculator(model=model, use_device="cpu")
    if name == "sevennet":
        from sevenn.calculator import SevenNetCalculator
        return SevenNetCalculator("7net-0_11July2024", device="cpu")
    raise ReferenceError(f"unknown calculator {name!r}; choose one of {sorted(CALCULATORS)}")


def _atoms_from_start(start, n_SiO2: int, L: float, seed: int):
    """ASE Atoms from ``start`` (Configuration, ase.Atoms, a file path readable by ase, or None)."""
    from ase import Atoms
    if start is None:
        from .system import random_configuration
        conf = random_configuration(n_SiO2, L, seed=seed, min_separation=1.5)
        return Atoms(symbols=list(conf.species), positions=conf.positions, cell=conf.box, pbc=True)
    if isinstance(start, (str, Path)):
        import ase.io
        atoms = ase.io.read(str(start), index=-1)
    elif isinstance(start, Atoms):
        atoms = start.copy()
    else:  # Configuration
        atoms = Atoms(symbols=list(start.species), positions=start.positions, cell=start.box, pbc=True)
    atoms.calc = None
    symbols = np.array(atoms.get_chemical_symbols())
    counts = {s: int(np.sum(symbols == s)) for s in ("Si", "O")}
    if counts != {"Si": n_SiO2, "O": 2 * n_SiO2} or len(atoms) != 3 * n_SiO2:
        raise ReferenceError(f"start has {counts} atoms, expected {n_SiO2} Si and {2 * n_SiO2} O")
    cell = np.asarray(atoms.cell.lengths())
    if np.any(np.abs(cell - L) > 1e-3 * L):
        atoms.set_cell([L, L, L], scale_atoms=True)  # rescale to the requested density (affine)
    atoms.pbc = True
    atoms.wrap()
    return atoms


def generate(calculator_name: str = "chgnet", *args, n_blocks: int = 5, dr: float = 0.02, **kwargs):
    """Run :func:`run_md` and return the PDFs of its production frames (also written to
    ``<out_dir>/<tag>.nc``). Other arguments as for :func:`run_md`."""
    info = run_md(calculator_name, *args, **kwargs)
    return analyze_run(info, n_blocks=n_blocks, dr=dr)


def analyze_run(info: dict, n_blocks: int = 5, dr: float = 0.02):
    """PDFs (+ bond angles) of the production frames of a :func:`run_md` result, saved to its ``nc``."""
    ds = from_trajectory(info["trajectory"], format="extxyz", dr=dr, n_blocks=n_blocks, phase="production",
                         extra_attrs=info["attrs"])
    save_reference(ds, info["nc"])
    return ds


def run_md(calculator_name: str = "chgnet", n_SiO2: int = 64, temperature: float = 3600.0,
           density: float = 2.2, timestep_fs: float = 2.0, relax_ps: float = 3.0,
           production_ps: float = 10.0, sample_every: int = 10, seed: int = 1,
           out_dir: str | Path = "output/reference", start=None, progress: bool = True,
           friction_per_fs: float = 0.01, threads: int | None = 2, deadline: _dt.datetime | None = None,
           tag: str | None = None, fixcm: str = "constraint") -> dict:
    """Run NVT (Langevin) MD of liquid SiO2 with a machine-learned potential.

    ``calculator_name`` "chgnet" (CHGNet 0.3.0) or "sevennet" (SevenNet-0); ``start`` a
    Configuration, ase.Atoms, a file ASE can read (last frame used) or None (random start - give it a
    long relaxation). Velocities are drawn from Maxwell-Boltzmann at ``temperature`` (``seed``).
    ``fixcm``: "constraint" (``ase.constraints.FixCom``, the ASE >= 3.28 recommendation) or "legacy"
    (``Langevin(fixcm=True)``, as used for the shipped references).

    Writes ``<tag>.extxyz`` (every ``sample_every`` steps, relaxation and production, appended and
    flushed as it goes so that a killed run leaves usable frames; each frame's ``info`` holds step,
    time_ps, phase, epot_eV, T_K) and ``<tag>_final.extxyz`` (the last frame, for restarts). With
    ``deadline`` (aware UTC datetime) production stops early when that time is reached; the actual
    length is recorded. Returns a dict with the paths (trajectory, final, nc) and the provenance
    ``attrs``; :func:`analyze_run` turns it into PDFs.
    """
    import ase.io
    from ase import units
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary

    if calculator_name not in CALCULATORS:
        raise ReferenceError(f"unknown calculator {calculator_name!r}; choose one of {sorted(CALCULATORS)}")
    if fixcm not in ("constraint", "legacy"):
        raise ValueError(f"fixcm must be 'constraint' or 'legacy', got {fixcm!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tag = tag or f"sio2_{temperature:.0f}K_{calculator_name}"
    traj_path = out_dir / f"{tag}.extxyz"
    final_path = out_dir / f"{tag}_final.extxyz"
    nc_path = out_dir / f"{tag}.nc"
    if traj_path.exists():
        traj_path.unlink()

    L = box_length(n_SiO2, density)
    atoms = _atoms_from_start(start, n_SiO2, L, seed)
    atoms.calc = _make_calculator(calculator_name, threads)
    MaxwellBoltzmannDistribution(atoms, temperature_K=temperature, rng=np.random.default_rng(seed))
    Stationary(atoms)
    if fixcm == "constraint":
        from ase.constraints import FixCom
        atoms.set_constraint(FixCom())
        dyn = Langevin(atoms, timestep_fs * units.fs, temperature_K=temperature,
                       friction=friction_per_fs / units.fs, fixcm=False, rng=np.random.default_rng(seed + 1))
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            dyn = Langevin(atoms, timestep_fs * units.fs, temperature_K=temperature,
                           friction=friction_per_fs / units.fs, rng=np.random.default_rng(seed + 1))

    n_relax = int(round(relax_ps * 1000.0 / timestep_fs))
    n_prod = int(round(production_ps * 1000.0 / timestep_fs))
    started = _dt.datetime.now(_dt.timezone.utc)
    t0 = _time.time()
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=n_relax + n_prod, desc=f"{calculator_name} MD", unit="step", mininterval=30.0)
    state = {"step": 0, "stopped_early": False}

    def write_frame(phase: str) -> None:
        frame = atoms.copy()
        frame.calc = None
        frame.set_constraint()
        if "momenta" in frame.arrays:
            del frame.arrays["momenta"]
        frame.info = {"step": state["step"], "time_ps": state["step"] * timestep_fs / 1000.0,
                      "phase": phase, "epot_eV": float(atoms.get_potential_energy()),
                      "T_K": float(atoms.get_temperature())}
        with open(traj_path, "a") as fh:
            ase.io.write(fh, frame, format="extxyz")
            fh.flush()

    write_frame("relax")
    for phase, n_steps in (("relax", n_relax), ("production", n_prod)):
        done = 0
        while done < n_steps:
            chunk = min(sample_every, n_steps - done)
            dyn.run(chunk)
            done += chunk
            state["step"] += chunk
            if bar is not None:
                bar.update(chunk)
                bar.set_postfix(T=f"{atoms.get_temperature():.0f}K", phase=phase, refresh=False)
            write_frame(phase)
            if phase == "production" and deadline is not None and _dt.datetime.now(_dt.timezone.utc) >= deadline:
                state["stopped_early"] = True
                break
    if bar is not None:
        bar.close()
    final = atoms.copy()
    final.calc = None
    final.set_constraint()
    ase.io.write(str(final_path), final, format="extxyz")
    wall = _time.time() - t0
    n_steps_done = state["step"]
    attrs = {
        "calculator": calculator_name,
        "model": CALCULATORS[calculator_name]["model"],
        "model_note": CALCULATORS[calculator_name]["note"],
        "label": LABEL,
        "package_versions": "; ".join(f"{p}=={_package_version(p)}" for p in
                                      ("torch", CALCULATORS[calculator_name]["package"], "ase")),
        "n_SiO2_generated": int(n_SiO2),
        "temperature_K": float(temperature),
        "density_g_cm3_target": float(density),
        "timestep_fs": float(timestep_fs),
        "relax_ps": float(n_relax * timestep_fs / 1000.0),
        "production_ps": float((n_steps_done - n_relax) * timestep_fs / 1000.0),
        "production_ps_requested": float(production_ps),
        "stopped_at_deadline": int(state["stopped_early"]),
        "thermostat": (f"Langevin NVT (ase.md.langevin), friction {friction_per_fs} 1/fs, "
                       + ("centre of mass fixed by ase.constraints.FixCom" if fixcm == "constraint"
                          else "fixcm=True (legacy ASE option)")),
        "seed": int(seed),
        "sample_every_steps": int(sample_every),
        "start": "random" if start is None else (str(start) if isinstance(start, (str, Path))
                                                 else type(start).__name__),
        "date_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "wall_s": float(wall),
        "s_per_step": float(wall / max(n_steps_done, 1)),
        "torch_threads": int(threads or 0),
    }
    return {"trajectory": str(traj_path), "final": str(final_path), "nc": str(nc_path), "attrs": attrs}


# ------------------------------------------------------------------------------------------ CLI

def summary(ds) -> dict:
    """First peaks, coordination numbers, grid and error summary of a PDF Dataset (JSON-able)."""
    from .structure import coordination_numbers, first_peak
    out: dict[str, Any] = {"r_min": float(ds.r.values[0]), "r_max": float(ds.r.values[-1]),
                           "n_r": int(ds.sizes["r"]), "dr": float(ds.attrs.get("dr", float("nan")))}
    peaks = {}
    for p in PAIRS:
        pos, height = first_peak(ds, p)
        peaks[p] = {"r": pos, "g": height}
        if "g_err" in ds.data_vars:
            peaks[p]["max_g_err"] = float(ds.g_err.sel(pair=p).max())
    out["first_peaks"] = peaks
    try:
        out["coordination_numbers"] = coordination_numbers(ds)
    except ValueError as exc:
        out["coordination_numbers"] = f"unavailable: {exc}"
    for name in ("OSiO", "SiOSi"):
        if name in ds.data_vars:
            a = ds[name]
            out[f"{name}_mode_deg"] = float(a.angle.values[int(np.argmax(a.values))])
            out[f"{name}_mean_deg"] = float((a * a.angle).sum() / a.sum())
    for name in ("Si_coordination", "O_coordination"):
        if name in ds.data_vars:
            out[name] = {int(n): round(float(f), 4) for n, f in zip(ds.n.values, ds[name].values) if f > 0}
    return out


def _cmd_show(args) -> int:
    ds = load_reference(args.path)
    info = summary(ds)
    if args.json:
        print(json.dumps({"attrs": {k: _netcdf_attr(v) for k, v in ds.attrs.items()}, **info}, indent=2,
                         default=str))
        return 0
    print(f"reference {args.path}")
    print("provenance:")
    for k, v in ds.attrs.items():
        print(f"  {k}: {v}")
    print(f"grid: r = {info['r_min']:.4f} .. {info['r_max']:.4f} A, {info['n_r']} points, dr = {info['dr']} A")
    print("first peaks:")
    for p, d in info["first_peaks"].items():
        err = f"  (max g_err {d['max_g_err']:.4f})" if "max_g_err" in d else ""
        print(f"  {p:5s} r = {d['r']:.3f} A  g = {d['g']:.3f}{err}")
    cn = info["coordination_numbers"]
    if isinstance(cn, dict):
        print("coordination numbers (cutoffs Si-O 2.3, Si-Si 3.5, O-O 3.0 A):")
        for k, v in cn.items():
            print(f"  {k:6s} {v:.3f}")
    else:
        print(f"coordination numbers: {cn}")
    for name in ("OSiO", "SiOSi"):
        if f"{name}_mode_deg" in info:
            print(f"{name} angle: mode {info[f'{name}_mode_deg']:.1f} deg, mean {info[f'{name}_mean_deg']:.1f} deg")
    for name in ("Si_coordination", "O_coordination"):
        if name in info:
            print(f"{name} fractions: " + ", ".join(f"{n}: {f:.3f}" for n, f in info[name].items()))
    return 0


def _parse_type_map(text: str | None) -> dict[int, str] | None:
    if not text:
        return None
    out = {}
    for item in text.split(","):
        t, _, s = item.partition("=")
        if not s or s.strip() not in ("Si", "O"):
            raise ValueError(f"--type-map item {item!r}: expected TYPE=Si or TYPE=O")
        out[int(t)] = s.strip()
    return out


def _cmd_from_trajectory(args) -> int:
    ds = from_trajectory(args.path, format=args.format, r_max=args.r_max, dr=args.dr, n_blocks=args.n_blocks,
                         skip_ps=args.skip_ps, skip_frames=args.skip_frames, stride=args.stride,
                         frame_dt_ps=args.frame_dt_ps, phase=args.phase, type_map=_parse_type_map(args.type_map))
    path = save_reference(ds, args.output)
    info = summary(ds)
    print(f"wrote {path}: {ds.attrs['n_frames']} frames, density {ds.attrs['density_g_cm3']:.4f} g/cm3, "
          f"r up to {info['r_max']:.3f} A")
    for p, d in info["first_peaks"].items():
        print(f"  first peak {p:5s} r = {d['r']:.3f} A  g = {d['g']:.3f}")
    return 0


def _cmd_generate(args) -> int:
    deadline = None
    if args.deadline:
        deadline = _dt.datetime.fromisoformat(args.deadline)
        if deadline.tzinfo is None:
            deadline = deadline.replace(tzinfo=_dt.timezone.utc)
    ds = generate(args.calculator, n_SiO2=args.n_sio2, temperature=args.temperature, density=args.density,
                  timestep_fs=args.timestep_fs, relax_ps=args.relax_ps, production_ps=args.production_ps,
                  sample_every=args.sample_every, seed=args.seed, out_dir=args.out_dir, start=args.start,
                  progress=not args.no_progress, friction_per_fs=args.friction, threads=args.threads,
                  deadline=deadline, n_blocks=args.n_blocks, dr=args.dr)
    info = summary(ds)
    print(f"wrote PDFs of {ds.attrs['n_frames']} frames ({ds.attrs['production_ps']} ps) to {args.out_dir}")
    for p, d in info["first_peaks"].items():
        print(f"  first peak {p:5s} r = {d['r']:.3f} A  g = {d['g']:.3f}")
    return 0


def register_cli(subparsers) -> None:
    """Add ``reference generate|from-trajectory|show`` to an argparse ``subparsers``."""
    p = subparsers.add_parser("reference", help="reference partial PDFs: generate, import, inspect",
                              description="Reference partial PDFs of liquid SiO2 (see data/reference/README.md).")
    sub = p.add_subparsers(dest="reference_command", required=True)

    g = sub.add_parser("generate", help="NVT MD with a machine-learned potential (needs the [reference] extra)",
                       description="Generate a reference liquid with CHGNet 0.3.0 or SevenNet-0 "
                                   "(machine-learned DFT (PBE) surrogates, not CPMD).")
    g.add_argument("--calculator", choices=sorted(CALCULATORS), default="chgnet")
    g.add_argument("--n-sio2", type=int, default=64, help="formula units (default 64 = 192 atoms)")
    g.add_argument("--temperature", type=float, default=3600.0, help="K (default 3600)")
    g.add_argument("--density", type=float, default=2.2, help="g/cm3 (default 2.2)")
    g.add_argument("--timestep-fs", type=float, default=2.0, help="fs (default 2)")
    g.add_argument("--relax-ps", type=float, default=3.0)
    g.add_argument("--production-ps", type=float, default=10.0)
    g.add_argument("--sample-every", type=int, default=10, help="steps between stored frames")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--out-dir", default="output/reference")
    g.add_argument("--start", default=None, help="starting structure (any file ASE reads; last frame)")
    g.add_argument("--friction", type=float, default=0.01, help="Langevin friction in 1/fs (default 0.01)")
    g.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    g.add_argument("--deadline", default=None, help="UTC time (ISO 8601) at which production stops early")
    g.add_argument("--dr", type=float, default=0.02)
    g.add_argument("--n-blocks", type=int, default=5)
    g.add_argument("--no-progress", action="store_true")
    g.set_defaults(func=_cmd_generate)

    t = sub.add_parser("from-trajectory", help="partial PDFs of your own ab initio trajectory",
                       description="Compute reference partial PDFs (with block-averaged errors) from an "
                                   "extxyz, LAMMPS dump or VASP XDATCAR trajectory of Si and O atoms.")
    t.add_argument("path")
    t.add_argument("-o", "--output", required=True, help="output .nc (or .csv/.tsv)")
    t.add_argument("--format", default=None, help="ASE format (default: guessed)")
    t.add_argument("--r-max", type=float, default=None, help="A (default: half the box, a multiple of dr)")
    t.add_argument("--dr", type=float, default=0.02, help="A (default 0.02)")
    t.add_argument("--n-blocks", type=int, default=5)
    t.add_argument("--skip-ps", type=float, default=0.0, help="drop frames earlier than this (ps)")
    t.add_argument("--skip-frames", type=int, default=0)
    t.add_argument("--stride", type=int, default=1)
    t.add_argument("--frame-dt-ps", type=float, default=None, help="ps between frames (for --skip-ps)")
    t.add_argument("--phase", default=None, help="use only frames whose info['phase'] is this")
    t.add_argument("--type-map", default=None, help="LAMMPS types, e.g. '1=Si,2=O' (default)")
    t.set_defaults(func=_cmd_from_trajectory)

    s = sub.add_parser("show", help="provenance, first peaks and coordination numbers of a reference")
    s.add_argument("path")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_cmd_show)


__all__ = ["ReferenceError", "load_reference", "save_reference", "validate_pdf", "from_trajectory",
           "read_frames", "generate", "run_md", "analyze_run", "summary", "register_cli", "box_length"]
