"""Generating a reference liquid with a machine-learned potential: NVT Langevin MD with CHGNet 0.3.0 or
SevenNet-0 through ASE (:func:`run_md`), then its PDFs (:func:`generate`, :func:`analyze_run`). The
result is a *machine-learned DFT (PBE) surrogate, not CPMD*, and every file says so. torch, chgnet and
sevenn (the ``[reference]`` extra) are imported only here, and only when a run starts.

Units: temperature K, density g/cm3, times ps (timestep fs), friction 1/fs.
"""

from __future__ import annotations

import datetime as _dt
import time as _time
import warnings
from pathlib import Path

import numpy as np

from ..constants import cubic_box_length
from .load import LABEL, ReferenceError, save_reference
from .trajectory import from_trajectory

CALCULATORS = {
    "chgnet": {"model": "CHGNet 0.3.0", "package": "chgnet",
               "note": "CHGNet 0.3.0 pretrained weights shipped in the chgnet wheel (MPtrj, PBE/PBE+U)"},
    "sevennet": {"model": "SevenNet-0 (11Jul2024)", "package": "sevenn",
                 "note": "SevenNet-0 11Jul2024 checkpoint shipped in the sevenn wheel (MPtrj, PBE/PBE+U)"},
}


# ----------------------------------------------------------------------------------- generation

def _package_version(name: str) -> str:
    """The installed version of distribution ``name``, or "not installed"."""
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:  # pragma: no cover - not installed
        return "not installed"


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
        from ..configurations import random_configuration
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

    L = cubic_box_length(n_SiO2, density)
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
