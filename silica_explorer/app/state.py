"""Per-session state of the app: reference, user forcefield sets, cached evaluations, background jobs.

``panel serve app.py`` runs ``app.py`` once per browser session, and :func:`silica_explorer.app.create_app`
makes a fresh :class:`SessionState` each time, so two sessions never share a run, a cache entry, a
loaded reference or a forcefield set. Only the MD slots (:mod:`.jobs`) are shared, to protect the
machine.

Where the shipped reference lives: :data:`DEFAULT_REFERENCE` (``data/reference/sio2_3600K_chgnet.nc``),
overridable with the environment variable ``SILICA_EXPLORER_REFERENCE`` or
``panel serve app.py --args --reference FILE``. If it is missing the app says so and offers loading a
file; it never invents reference data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any, Callable

import numpy as np
import param
import xarray as xr

from ..fidelity import FIDELITIES, get_fidelity
from ..forcefield import PRESETS, ForceField
from .jobs import Job, default_md_threads

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
#: The shipped ab initio-quality reference (see data/reference/README.md when it exists).
DEFAULT_REFERENCE = ROOT / "data" / "reference" / "sio2_3600K_chgnet.nc"
#: Where the Fit tab keeps its SQLite stores by default ($SILICA_APP_RUNS_DIR overrides).
RUNS_DIR = Path(os.environ.get("SILICA_APP_RUNS_DIR") or ROOT / "runs" / "app")
#: The shipped 7-parameter fit the Runs tab opens by default (when the file exists).
DEFAULT_FIT_STORE = ROOT / "data" / "fits" / "fit7" / "store.sqlite"
#: Where shipped landscapes live (the Landscape tab lists ``*.nc`` here; ``$SILICA_APP_LANDSCAPE_DIR`` overrides).
LANDSCAPE_DIR = Path(os.environ.get("SILICA_APP_LANDSCAPE_DIR") or ROOT / "data" / "landscapes")

#: The paper's Table II (Liu et al. 2019), per-pair chi and global R_x in %, against CPMD at 3600 K.
from ..scoring import PAPER_TABLE_II  # noqa: E402  (re-exported for the views)


def reference_path_setting() -> Path:
    """The reference file the app tries at start: $SILICA_EXPLORER_REFERENCE or the shipped one."""
    env = os.environ.get("SILICA_EXPLORER_REFERENCE")
    return Path(env) if env else DEFAULT_REFERENCE


#: Reference files the sidebar accepts: PDFs (netCDF or a table) or an ab initio trajectory.
REFERENCE_SUFFIXES = (".nc", ".nc4", ".csv", ".tsv", ".txt", ".dat", ".extxyz", ".xyz", ".dump", ".lammpstrj")


def is_trajectory(path: Path) -> bool:
    return path.suffix.lower() in (".extxyz", ".xyz", ".dump", ".lammpstrj") or "XDATCAR" in path.name.upper()


def load_reference_file(path: str | Path) -> xr.Dataset:
    """Reference PDFs from a file, with the library's loaders: a trajectory (extxyz, LAMMPS dump, VASP
    XDATCAR) through :func:`silica_explorer.reference.from_trajectory`, PDFs (netCDF or CSV/TSV table)
    through :func:`silica_explorer.reference.load_reference` (without that loader: netCDF only)."""
    from .. import reference as _reference
    path = Path(path)
    if is_trajectory(path) and hasattr(_reference, "from_trajectory"):
        return _reference.from_trajectory(path)  # partial PDFs (and bond angles) of the frames
    loader = getattr(_reference, "load_reference", None)
    if loader is not None:
        return loader(path)
    path = Path(path)
    if path.suffix.lower() not in (".nc", ".nc4", ".cdf"):
        raise ValueError(f"{path.name}: this version can only read netCDF reference files (.nc); "
                         "table support comes with silica_explorer.reference.load_reference")
    ds = xr.load_dataset(path)
    if "g" not in ds or set(ds.g.dims) != {"pair", "r"}:
        raise ValueError(f"{path.name}: not a PDF file (needs a variable g with dims pair, r)")
    missing = {"SiSi", "SiO", "OO"} - {str(p) for p in ds.pair.values}
    if missing:
        raise ValueError(f"{path.name}: missing pair(s) {sorted(missing)}")
    return ds


def reference_label(ds: xr.Dataset, fallback: str) -> str:
    """A human label for a reference Dataset: its name/model and the 'not CPMD' label if present."""
    name = ds.attrs.get("name") or ds.attrs.get("model") or fallback
    extra = ds.attrs.get("label")
    return f"{name} ({extra})" if extra and extra not in str(name) else str(name)


def forcefield_key(ff: ForceField) -> str:
    """Identity of a parameter set regardless of its name."""
    d = ff.as_dict()
    d.pop("name", None)
    return json.dumps({k: float(v) for k, v in sorted(d.items())})


@dataclasses.dataclass
class EvalSummary:
    """What the views need from one evaluation (kept in the session cache)."""

    key: tuple
    forcefield: ForceField
    fidelity: str
    seed: int
    status: str
    reason: str | None
    R_x: float
    chi: dict
    pdf: xr.Dataset | None
    trajectory: Any
    wall_time_s: float
    reference_name: str | None
    record: dict
    angles: xr.Dataset | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def label(self) -> str:
        return f"{self.forcefield.name} @ {self.fidelity} s{self.seed}"

    def metrics_text(self) -> str:
        """Markdown lines: R_x and per-pair chi in %, or why it failed."""
        if not self.ok:
            return f"**{self.forcefield.name}: evaluation failed** - {self.reason}"
        if not np.isfinite(self.R_x):
            return f"**{self.forcefield.name}**: melt ok (no reference loaded, so no R_x)"
        chi = ", ".join(f"chi {p} = {100 * self.chi[p]:.2f} %" for p in ("SiO", "OO", "SiSi"))
        flag = f" - {self.reason}" if self.reason else ""  # e.g. "flagged collapse: ..."
        return f"**{self.forcefield.name}: R_x = {100 * self.R_x:.2f} %** ({chi}){flag}"


class SessionState(param.Parameterized):
    """Everything one browser session owns. Mutated only on the session's own thread (the poller
    applies worker results), except :attr:`cache` reads from workers."""

    reference = param.Parameter(default=None, doc="reference PDF Dataset or None")
    reference_name = param.String(default="")
    reference_message = param.String(default="")
    sets = param.Dict(default={}, doc="session forcefield sets (name -> ForceField), besides the presets")
    results_version = param.Integer(default=0, doc="bumped whenever an evaluation lands in the cache")
    glass_version = param.Integer(default=0, doc="bumped whenever this session made a glass (Results > Glass)")
    md_threads = param.Integer(default=1, bounds=(1, None))
    engine_name = param.Selector(default="lammps", objects=["lammps", "hoomd"],
                                 doc="MD engine of new evaluations and fits (part of the result cache key)")

    def __init__(self, reference: xr.Dataset | str | Path | None = "default", **params):
        super().__init__(**params)
        self.session_id = uuid.uuid4().hex[:12]
        self.md_threads = default_md_threads()
        self.cache: dict[tuple, EvalSummary] = {}
        self.jobs: list[Job] = []
        self._workdir: Path | None = None
        if isinstance(reference, xr.Dataset):
            self.set_reference(reference, reference_label(reference, "in-memory reference"))
        elif reference == "default":
            self.try_default_reference()
        elif reference is not None:
            self.load_reference(reference)
        else:
            self.reference_message = "No reference loaded: evaluations show PDFs but no R_x."

    # ----------------------------------------------------------------------------- reference
    def try_default_reference(self) -> None:
        path = reference_path_setting()
        if path.exists():
            try:
                self.load_reference(path)
                return
            except Exception as exc:
                self.reference_message = f"Could not read the reference {path}: {exc}"
                return
        what = ("The reference file set in $SILICA_EXPLORER_REFERENCE" if os.environ.get("SILICA_EXPLORER_REFERENCE")
                else "The shipped reference")
        self.reference_message = (
            f"{what} `{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}` "
            "is not available. Load a reference file below to compute R_x; "
            "without one, evaluations show the PDFs but no R_x.")

    def load_reference(self, path: str | Path, name: str | None = None) -> None:
        ds = load_reference_file(path)
        filename = name or Path(path).name
        label = reference_label(ds, filename)
        self.set_reference(ds, label if filename in label else f"{label}, file {filename}")

    def load_reference_bytes(self, data: bytes, filename: str) -> None:
        """Load a reference uploaded through the browser (written to the session's temp dir first)."""
        target = self.workdir / f"upload-{uuid.uuid4().hex[:6]}-{Path(filename).name}"
        target.write_bytes(data)
        self.load_reference(target, name=Path(filename).name)

    def set_reference(self, ds: xr.Dataset, name: str) -> None:
        self.cache.clear()  # R_x against another reference is another number
        self.reference_name = name
        self.reference = ds
        self.reference_message = f"Reference: **{name}**"
        self.results_version += 1

    @property
    def reference_id(self) -> str:
        if self.reference is None:
            return "none"
        h = hashlib.sha256(np.ascontiguousarray(self.reference.g.values).tobytes()).hexdigest()[:16]
        return h

    @property
    def workdir(self) -> Path:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix=f"silica-app-{self.session_id}-"))
        return self._workdir

    # ----------------------------------------------------------------------------- forcefield sets
    def all_sets(self) -> dict[str, ForceField]:
        """Presets first, then this session's sets (saved, fitted, loaded)."""
        return {**PRESETS, **self.sets}

    def get_set(self, name: str) -> ForceField:
        return self.all_sets()[name]

    def add_set(self, ff: ForceField, name: str | None = None) -> str:
        """Add a set under a unique name (never shadowing a preset); returns the name used."""
        base = (name or ff.name).strip() or "custom"
        taken = set(self.all_sets())
        new, k = base, 2
        while new in taken and forcefield_key(self.all_sets()[new]) != forcefield_key(ff):
            new, k = f"{base} ({k})", k + 1
        if new in PRESETS:
            return new
        self.sets = {**self.sets, new: dataclasses.replace(ff, name=new)}
        return new

    # ----------------------------------------------------------------------------- evaluations
    def engine(self, name: str | None = None):
        """An MD engine (``name`` or the session's :attr:`engine_name`); a one-line ValueError when
        it cannot run here (e.g. HOOMD-blue not installed)."""
        from ..engine import get_engine
        return get_engine(name or self.engine_name, threads=self.md_threads)

    def key(self, ff: ForceField, fidelity: str, seed: int, engine: str | None = None) -> tuple:
        return (forcefield_key(ff), str(fidelity), int(seed), self.reference_id, engine or self.engine_name)

    def cached(self, ff: ForceField, fidelity: str, seed: int, engine: str | None = None) -> EvalSummary | None:
        return self.cache.get(self.key(ff, fidelity, seed, engine))

    def evaluate(self, ff: ForceField, fidelity: str, seed: int, job: Job,
                 angles: bool = False, part: tuple[int, int] = (0, 1), engine: str | None = None) -> EvalSummary:
        """Run (or take from the cache) one melt + R_x, and with ``angles`` the bond-angle
        distributions of its stored frames. Called on a worker thread; returns the summary, which the
        UI thread stores with :meth:`store`. ``part = (i, n)``: this is evaluation i of n in the job
        (for the progress bar)."""
        i, n = part

        def progress(done: int, total: int, phase: str) -> None:
            job.progress(i * total + done, n * total, f"{ff.name}: {phase}" if n > 1 else phase)

        engine = engine or self.engine_name
        key = self.key(ff, fidelity, seed, engine)
        hit = self.cache.get(key)
        if hit is None:
            hit = self._run_melt(ff, fidelity, seed, progress, job, key, engine)
        if angles and hit.ok and hit.angles is None and hit.trajectory is not None:
            from ..structure import bond_angle_distributions
            total = get_fidelity(fidelity).total_steps
            progress(total, total, "bond angles")
            hit = dataclasses.replace(hit, angles=bond_angle_distributions(hit.trajectory))
        if hit.forcefield.name != ff.name:  # same parameters under another name
            hit = dataclasses.replace(hit, forcefield=ff)
        return hit

    def _run_melt(self, ff, fidelity, seed, progress, job, key, engine_name=None) -> EvalSummary:
        engine = self.engine(engine_name)
        fid = get_fidelity(fidelity)
        reference = self.reference
        if reference is not None:
            from ..evaluate import Evaluator
            ev = Evaluator(reference, fid, engine=engine)
            res = ev(ff, seed=seed, progress=progress)
            job.check()
            melt, R_x, chi, status, reason = res.melt, res.R_x, res.chi, res.status, res.reason
            record = res.record()
        else:
            melt = engine.melt(ff, fid, seed, progress=progress)
            job.check()
            R_x, chi, status, reason = float("nan"), {}, melt.status, melt.reason
            record = melt.record()
        return EvalSummary(key=key, forcefield=ff, fidelity=fid.name, seed=int(seed), status=status, reason=reason,
                           R_x=float(R_x), chi=dict(chi), pdf=melt.pdf, trajectory=melt.trajectory,
                           wall_time_s=float(melt.wall_time_s), reference_name=self.reference_name or None,
                           record=record)

    def store(self, summary: EvalSummary) -> None:
        """Put a finished evaluation into the session cache (UI thread)."""
        if summary.key[3] != self.reference_id:  # the reference changed while it ran
            return
        old = self.cache.get(summary.key)
        if old is not None and old.angles is not None and summary.angles is None:
            summary = dataclasses.replace(summary, angles=old.angles)
        self.cache[summary.key] = summary
        self.results_version += 1

    # ----------------------------------------------------------------------------- jobs
    def submit(self, label: str, fn: Callable[[Job], Any], uses_md: bool = True) -> Job:
        job = Job(label, fn, uses_md=uses_md)
        self.jobs.append(job)
        return job.start()

    def cancel_all(self) -> None:
        for job in self.jobs:
            job.cancel()

    def close(self) -> None:
        """End of the browser session: stop its jobs (their melts are killed) and remove its temp dir."""
        self.cancel_all()
        for job in self.jobs:
            job.join(10)
        if self._workdir is not None:
            import shutil
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def active_jobs(self) -> list[Job]:
        return [j for j in self.jobs if not j.is_final]


def fidelity_names() -> list[str]:
    return list(FIDELITIES)
