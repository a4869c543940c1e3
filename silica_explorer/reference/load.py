"""Loading, validating and saving reference partial PDFs: netCDF files in the PDF Dataset format of
:mod:`silica_explorer.structure` and tables (CSV/TSV/whitespace columns ``r, g_SiSi, g_SiO, g_OO`` and
optionally ``g_*_err``; ``# key = value`` comment lines become attrs), plus :func:`summary` (first
peaks, coordination numbers) and the box/density helpers the other reference modules share.

Every loader validates what it reads and raises :class:`ReferenceError` (a ``ValueError``) naming the
file and the problem.

Other systems: a PDF Dataset whose attrs name a built-in ``system`` (e.g. ``"NS3"``, as a melt of any
system and :func:`~silica_explorer.structure.partial_pdfs` of its frames write) must hold that system's
pairs (:func:`pdf_pairs`) and loads from netCDF like silica's; the tables hold silica's three pairs only.

Units: r in A, density g/cm3, volume A^3.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..constants import AVOGADRO, MASS
from ..parameters import PAIRS
from ..systems.description import SYSTEMS

#: Density (g/cm3) of the project's liquid; trajectories far from it are flagged.
PROJECT_DENSITY = 2.2
#: Plausible r range of a reference table (A): r_min >= 0, R_MAX_MIN <= r_max <= R_MAX_MAX.
R_MAX_MIN, R_MAX_MAX = 3.0, 50.0
#: Table suffixes and their delimiters (None = any whitespace).
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": None, ".dat": None}
NETCDF_SUFFIXES = (".nc", ".nc4", ".cdf", ".netcdf")
LABEL = "machine-learned DFT (PBE) surrogate, not CPMD"

#: The shipped default reference (see data/reference/README.md).
DEFAULT_REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference" / "sio2_3600K_chgnet.nc"


def default_reference() -> Path:
    """The shipped reference, or a clear error naming --reference when it is absent."""
    if not DEFAULT_REFERENCE.exists():
        raise FileNotFoundError(f"default reference {DEFAULT_REFERENCE} not found; pass --reference FILE")
    return DEFAULT_REFERENCE


class ReferenceError(ValueError):
    """A reference file or trajectory is missing, malformed or physically implausible."""


# ----------------------------------------------------------------------------------------- helpers

def density_of(n_Si: int, n_O: int, volume: float) -> float:
    """Mass density (g/cm3) of ``n_Si`` Si and ``n_O`` O atoms in ``volume`` A^3."""
    return (n_Si * MASS["Si"] + n_O * MASS["O"]) / AVOGADRO / (volume * 1e-24)


def netcdf_attr(value: Any):
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


def clean_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """``attrs`` with None values dropped and every value made storable in netCDF (:func:`netcdf_attr`)."""
    return {str(k): netcdf_attr(v) for k, v in attrs.items() if v is not None}


def reference_error(path, problem: str) -> ReferenceError:
    """The :class:`ReferenceError` to raise for ``problem`` with the reference file (or name) ``path``."""
    return ReferenceError(f"reference {path}: {problem}")


# ------------------------------------------------------------------------------------ validation

def pdf_pairs(ds, name: str = "reference") -> tuple[str, ...]:
    """The pairs a PDF Dataset must hold: those of the built-in system its ``system`` attr names (NS3: six),
    else silica's :data:`~silica_explorer.parameters.PAIRS`. ReferenceError naming an unknown system."""
    system = ds.attrs.get("system")
    if system is None:
        return PAIRS
    try:
        return SYSTEMS[str(system)].pairs
    except KeyError:
        raise reference_error(name, f"unknown system {system!r} in attrs; built-in: {list(SYSTEMS)}") from None


def validate_pdf(ds, name: str = "reference"):
    """Check a PDF Dataset: all pairs of its system (:func:`pdf_pairs`; silica's three by default), finite
    g >= 0, r strictly increasing and plausible.

    Returns ``ds``; raises :class:`ReferenceError` naming ``name`` and the problem.
    """
    if "g" not in getattr(ds, "data_vars", {}):
        raise reference_error(name, "no variable 'g' (not a partial-PDF Dataset)")
    if "pair" not in ds.g.dims or "r" not in ds.g.dims:
        raise reference_error(name, f"variable g has dims {ds.g.dims}, expected ('pair', 'r')")
    need = pdf_pairs(ds, name)
    pairs = [str(p) for p in ds.pair.values]
    missing = [p for p in need if p not in pairs]
    if missing:
        raise reference_error(name, f"missing pair(s) {missing}; need {list(need)}")
    r = np.asarray(ds.r.values, dtype=float)
    g = {p: np.asarray(ds.g.sel(pair=p).values, dtype=float) for p in need}
    err = ({p: np.asarray(ds.g_err.sel(pair=p).values, dtype=float) for p in need}
           if "g_err" in ds.data_vars else None)
    _validate_arrays(name, r, g, err)
    return ds


def _validate_arrays(name, r: np.ndarray, g: Mapping[str, np.ndarray],
                     g_err: Mapping[str, np.ndarray] | None) -> None:
    if r.size == 0:
        raise reference_error(name, "empty: no data rows")
    if r.size < 2:
        raise reference_error(name, f"only {r.size} r point; need at least 2")
    if not np.all(np.isfinite(r)):
        raise reference_error(name, "r contains NaN or infinite values")
    if np.any(np.diff(r) <= 0):
        k = int(np.flatnonzero(np.diff(r) <= 0)[0])
        raise reference_error(name, f"r not strictly increasing (r[{k}] = {r[k]!r}, r[{k + 1}] = {r[k + 1]!r})")
    if r[0] < 0:
        raise reference_error(name, f"implausible r range: r_min = {r[0]!r} A < 0")
    if not R_MAX_MIN <= r[-1] <= R_MAX_MAX:
        raise reference_error(name, f"implausible r range: r_max = {r[-1]!r} A not in [{R_MAX_MIN}, {R_MAX_MAX}] A "
                          "(is r in A, not nm or bohr?)")
    for p in g:
        v = g[p]
        if v.shape != r.shape:
            raise reference_error(name, f"g_{p} has {v.size} values for {r.size} r points")
        if not np.all(np.isfinite(v)):
            k = int(np.flatnonzero(~np.isfinite(v))[0])
            raise reference_error(name, f"g_{p} contains NaN or infinite values (first at r = {r[k]!r} A)")
        if np.any(v < 0):
            k = int(np.flatnonzero(v < 0)[0])
            raise reference_error(name, f"negative g: g_{p}(r = {r[k]!r} A) = {v[k]!r}")
        if g_err is not None:
            e = g_err[p]
            if e.shape != r.shape:
                raise reference_error(name, f"g_{p}_err has {e.size} values for {r.size} r points")
            if not np.all(np.isfinite(e)):
                raise reference_error(name, f"g_{p}_err contains NaN or infinite values")
            if np.any(e < 0):
                raise reference_error(name, f"negative error: g_{p}_err has values < 0")


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
    from ..structure import pdf_dataset
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
        raise reference_error(path, "empty: no data rows")
    cols = {}
    for k, name in enumerate(header):
        if name.strip().lower() in ("r", "r_a", "r(a)", "r[a]", "r/a", "distance"):
            cols["r"] = k
            continue
        pair, is_err = _pair_of_column(name)
        if pair is not None:
            cols[f"{pair}_err" if is_err else pair] = k
    if "r" not in cols:
        raise reference_error(path, f"no 'r' column in header {header}")
    missing = [p for p in PAIRS if p not in cols]
    if missing:
        raise reference_error(path, f"missing pair(s) {missing}: columns are {header}; need r, g_SiSi, g_SiO, g_OO")
    data = np.full((len(rows), len(header)), np.nan)
    for i, words in enumerate(rows):
        if len(words) != len(header):
            raise reference_error(path, f"data row {i + 1} has {len(words)} columns, header has {len(header)}")
        try:
            data[i] = [float(w) for w in words]
        except ValueError:
            raise reference_error(path, f"data row {i + 1} is not numeric: {words}") from None
    r = data[:, cols["r"]]
    g = {p: data[:, cols[p]] for p in PAIRS}
    has_err = [p for p in PAIRS if f"{p}_err" in cols]
    if has_err and len(has_err) < 3:
        raise reference_error(path, f"error columns for {has_err} only; give all three or none")
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
        raise reference_error(path, "file not found")
    if path.is_dir():
        raise reference_error(path, "is a directory, not a file")
    if path.stat().st_size == 0:
        raise reference_error(path, "empty file")
    if path.suffix.lower() in NETCDF_SUFFIXES:
        import xarray as xr
        try:
            with xr.open_dataset(path) as f:
                ds = f.load()
        except Exception as exc:
            raise reference_error(path, f"cannot read as netCDF ({exc})") from None
        validate_pdf(ds, str(path))
        if dr is not None:
            ds.attrs["dr"] = float(dr)
        elif "dr" not in ds.attrs:
            ds.attrs["dr"] = float(np.median(np.diff(ds.r.values)))
        if n_species is not None:
            ds.attrs["n_Si"], ds.attrs["n_O"] = int(n_species["Si"]), int(n_species["O"])
        if volume is not None:
            ds.attrs["volume"] = float(volume)
        ds = ds.transpose("pair", "r", ...).sel(pair=list(pdf_pairs(ds, str(path))))
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
        out.attrs = clean_attrs(out.attrs)
        for v in out.variables.values():
            v.attrs = clean_attrs(v.attrs)
        out.to_netcdf(path)
    elif suffix in TABLE_SUFFIXES:
        if pdf_pairs(ds, str(path)) != PAIRS:
            raise ReferenceError(f"cannot save {path}: tables hold silica's pairs {list(PAIRS)}; save a "
                                 f"{ds.attrs['system']} reference as .nc")
        _write_table(ds, path)
    else:
        raise ReferenceError(f"cannot save {path}: unknown suffix {path.suffix!r}; use .nc, .csv, .tsv, .txt or .dat")
    return path


def summary(ds) -> dict:
    """First peaks, coordination numbers, grid and error summary of a PDF Dataset (JSON-able)."""
    from ..structure import coordination_numbers, first_peak
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
