"""Where the app finds glasses: the netCDF files of :func:`silica_explorer.glass.glass_dataset`, by set,
protocol and forcefield.

Two sources:

- **shipped**: ``data/results/glass_<protocol>/glass-<set>-<protocol>-seed<seed>.nc``, computed offline by
  the project (``silica-explorer glass``), found next to the shipped Table II (:data:`RESULTS_DIR`);
- **session**: the glasses this browser session made (Results > Glass > make glass), under
  :func:`session_glass_dir` (one sub-directory per forcefield, so two sets with one name never meet).

A :class:`GlassCatalog` reads only the attrs of each file when it first sees it (set, protocol, rate,
seed, status, forcefield JSON) and loads the Datasets on demand. Sets are told apart by their
parameters, not their names (:func:`~silica_explorer.app.state.forcefield_key`), which is how a fit's
best set finds its glass. None of these numbers were fitted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import xarray as xr

from ..forcefield import ForceField
from ..quench import QUENCH_PROTOCOLS
from .shipped_tables import RESULTS_DIR
from .state import RUNS_DIR, SessionState, forcefield_key

#: Glob of the shipped glass directories under :data:`RESULTS_DIR` (one per protocol).
SHIPPED_GLASS_GLOB = "glass_*"
#: Glob of glass files in a directory (the names :func:`silica_explorer.glass.glass_path` gives).
GLASS_FILE_GLOB = "glass-*.nc"
SOURCES = ("shipped", "session")


@dataclass(frozen=True)
class GlassFile:
    """One glass file, as its attrs describe it: ``set`` name, ``protocol`` name and ``rate_K_per_ps`` (K/ps),
    ``seed``, ``status`` ("ok" or "failed") with its ``reason``, ``key`` (the forcefield's parameters,
    :func:`~silica_explorer.app.state.forcefield_key`) and ``source`` ("shipped" or "session")."""

    path: Path
    set: str
    protocol: str
    rate_K_per_ps: float
    seed: int
    status: str
    reason: str
    key: str
    source: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def read_glass_file(path: Path, source: str) -> GlassFile:
    """The :class:`GlassFile` of ``path`` (attrs only; the data stay on disk)."""
    with xr.open_dataset(path) as ds:
        a = dict(ds.attrs)
    ff = ForceField.from_json(a["forcefield_json"])
    return GlassFile(path=Path(path), set=str(a["set"]), protocol=str(a["protocol"]),
                     rate_K_per_ps=float(a["rate_K_per_ps"]), seed=int(a["seed"]), status=str(a["status"]),
                     reason=str(a.get("reason", "")), key=forcefield_key(ff), source=source)


def protocol_label(protocol: str, rate_K_per_ps: float | None = None) -> str:
    """``"quick"`` -> ``"quick (100 K/ps)"`` (the rate of the preset when not given; the name alone when
    neither is known)."""
    if rate_K_per_ps is None and protocol in QUENCH_PROTOCOLS:
        rate_K_per_ps = QUENCH_PROTOCOLS[protocol].rate_K_per_ps
    return protocol if rate_K_per_ps is None else f"{protocol} ({rate_K_per_ps:g} K/ps)"


def session_glass_dir(state: SessionState) -> Path:
    """Where this session's glasses go: ``<runs dir>/session-<id>/glass`` (next to its Fit-tab store)."""
    return RUNS_DIR / f"session-{state.session_id}" / "glass"


def forcefield_glass_dir(state: SessionState, ff: ForceField) -> Path:
    """The session's directory for the glasses of ``ff``: one per parameter set (a short hash of
    :func:`~silica_explorer.app.state.forcefield_key`), so a file never meets another set's of the same name."""
    digest = hashlib.sha256(forcefield_key(ff).encode()).hexdigest()[:12]
    return session_glass_dir(state) / digest


def shipped_glass_dirs(results_dir: Path | None = None) -> list[Path]:
    """The shipped glass directories (``data/results/glass_*``) that exist; empty when none was shipped."""
    results_dir = RESULTS_DIR if results_dir is None else Path(results_dir)
    return sorted(p for p in results_dir.glob(SHIPPED_GLASS_GLOB) if p.is_dir()) if results_dir.is_dir() else []


class GlassCatalog:
    """The glass files of some shipped directories and one session directory (searched recursively).

    :meth:`scan` picks up files written since the last scan (a file's attrs are read once). A set is
    shown under a *label*: its name for a shipped set, ``"<name> (session)"`` for one this session made,
    with a short parameter hash added where one label would cover two parameter sets."""

    def __init__(self, shipped_dirs: list[Path], session_dir: Path | None = None):
        self.shipped_dirs = [Path(p) for p in shipped_dirs]
        self.session_dir = None if session_dir is None else Path(session_dir)
        self.files: list[GlassFile] = []
        self.unreadable: dict[Path, str] = {}
        self._seen: dict[Path, float] = {}
        self._data: dict[tuple[Path, float], xr.Dataset] = {}
        self.scan()

    @classmethod
    def for_session(cls, state: SessionState, results_dir: Path | None = None) -> "GlassCatalog":
        """The shipped glasses (:func:`shipped_glass_dirs`) and this session's (:func:`session_glass_dir`)."""
        return cls(shipped_glass_dirs(results_dir), session_glass_dir(state))

    # ----------------------------------------------------------------------------- files
    def _paths(self) -> list[tuple[Path, str]]:
        out = [(p, "shipped") for d in self.shipped_dirs if d.is_dir() for p in sorted(d.glob(GLASS_FILE_GLOB))]
        if self.session_dir is not None and self.session_dir.is_dir():
            out += [(p, "session") for p in sorted(self.session_dir.rglob(GLASS_FILE_GLOB))]
        return out

    def scan(self) -> int:
        """Read the attrs of files new or changed since the last scan; returns how many were read. A file
        that cannot be read is listed in :attr:`unreadable` with the reason, never raised."""
        n = 0
        for path, source in self._paths():
            mtime = path.stat().st_mtime
            if self._seen.get(path) == mtime:
                continue
            self._seen[path] = mtime
            self.files = [f for f in self.files if f.path != path]
            try:
                self.files.append(read_glass_file(path, source))
                self.unreadable.pop(path, None)
            except Exception as exc:  # a half-copied or foreign file: say so, show the others
                self.unreadable[path] = f"{type(exc).__name__}: {exc}"
            n += 1
        return n

    @property
    def empty(self) -> bool:
        return not self.files

    def protocols(self) -> list[str]:
        """Protocols with at least one glass, the presets' order first."""
        found = {f.protocol for f in self.files}
        return [p for p in QUENCH_PROTOCOLS if p in found] + sorted(found - set(QUENCH_PROTOCOLS))

    def rate(self, protocol: str) -> float | None:
        """The cooling rate (K/ps) of ``protocol``'s glasses (None when there are none)."""
        return next((f.rate_K_per_ps for f in self.files if f.protocol == protocol), None)

    def _label_map(self) -> dict[tuple[str, str, str], str]:
        """(source, set, key) -> label (see the class docstring)."""
        groups = sorted({(f.source, f.set, f.key) for f in self.files},
                        key=lambda g: (SOURCES.index(g[0]), g[1].lower(), g[2]))
        out = {}
        for source, name, key in groups:
            label = name if source == "shipped" else f"{name} (session)"
            if sum(1 for s, n, _ in groups if (s, n) == (source, name)) > 1:
                label += f" #{hashlib.sha256(key.encode()).hexdigest()[:6]}"
            out[(source, name, key)] = label
        return out

    def label_of(self, f: GlassFile) -> str:
        return self._label_map()[(f.source, f.set, f.key)]

    def labels(self, protocol: str) -> list[str]:
        """Labels of the sets with glasses at ``protocol``: shipped first, then the session's."""
        names = self._label_map()
        have = {(f.source, f.set, f.key) for f in self.files if f.protocol == protocol}
        return [label for g, label in names.items() if g in have]

    def select(self, label: str, protocol: str) -> list[GlassFile]:
        """The files of set ``label`` at ``protocol``, by seed."""
        names = self._label_map()
        return sorted((f for f in self.files if f.protocol == protocol and names[(f.source, f.set, f.key)] == label),
                      key=lambda f: f.seed)

    def for_forcefield(self, ff: ForceField) -> dict[str, list[GlassFile]]:
        """Glass files of ``ff``'s parameters (any name, shipped or made here) by protocol, presets' order
        first; the shipped files of a protocol when both exist (the numbers a reader can check)."""
        key = forcefield_key(ff)
        out: dict[str, list[GlassFile]] = {}
        for protocol in self.protocols():
            mine = [f for f in self.files if f.protocol == protocol and f.key == key]
            shipped = [f for f in mine if f.source == "shipped"]
            if mine:
                out[protocol] = sorted(shipped or mine, key=lambda f: f.seed)
        return out

    # ----------------------------------------------------------------------------- data
    def dataset(self, f: GlassFile) -> xr.Dataset:
        """The Dataset of one file (loaded once), its ``set`` attr set to the file's label (as of now: a new
        set of the same name can change it)."""
        k = (f.path, self._seen.get(f.path))
        if k not in self._data:
            self._data[k] = xr.load_dataset(f.path)
        self._data[k].attrs["set"] = self.label_of(f)
        return self._data[k]

    def datasets(self, files: list[GlassFile]) -> list[xr.Dataset]:
        return [self.dataset(f) for f in files]


def describe_protocol(ds: xr.Dataset) -> str:
    """One line about the protocol of a glass Dataset (its ``protocol_json`` attr): size, cool, anneal,
    production and pressure, in the units of :class:`~silica_explorer.quench.QuenchProtocol`."""
    p = json.loads(ds.attrs["protocol_json"])
    return (f"{p['name']}: {3 * int(p['n_SiO2'])} atoms, NVT liquid {p['liquid_ps']:g} ps at {p['T_start']:g} K "
            f"and {p['density']:g} g/cm3, then NPT at {p['pressure_GPa']:g} GPa: cool to {p['T_end']:g} K at "
            f"{p['rate_K_per_ps']:g} K/ps, anneal {p['anneal_ps']:g} ps, production {p['production_ps']:g} ps")
