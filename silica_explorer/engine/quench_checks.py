"""Engine-independent checks that decide whether a quench made a usable glass, and the quench thermo record.

Every engine builds its quench thermo with :func:`quench_thermo_dataset` and runs :func:`quench_failure`
on it and :func:`frames_failure` on the production frames, so "failed" means the same for LAMMPS and
HOOMD. A quench **fails** (status ``"failed"``, never an exception) when:

- its thermo output holds NaN/inf (``nan: ...``);
- the box blew up or the glass exploded: the density fell below :data:`DENSITY_WINDOW` [0] (``exploded: ...``);
- the glass collapsed: the density rose above :data:`DENSITY_WINDOW` [1] (``collapse: ...``), or Si-O pairs
  fused (:func:`~silica_explorer.engine.acceptance.structure_check` on the production frames, as for melts,
  with the engine's collapse policy: ``flag`` keeps the glass with a ``flagged collapse`` reason);
- the temperature ran away: any sample above :data:`RUNAWAY_FACTOR` x ``T_start`` (``temperature: ...``), or the
  mean production temperature outside :data:`MEAN_TEMPERATURE_WINDOW` x ``T_end``;
- the engine lost atoms, timed out or stopped with an error (decided by the engine).

Units: temperature K, pressure GPa, density g/cm3, energy eV/atom, time ps, volume A^3.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..configurations import Configuration
from ..quench import QuenchProtocol
from .acceptance import structure_check

#: Densities (g/cm3) outside which a quench failed: below, the box blew up; above, the glass collapsed.
#: Silica polymorphs span 1.9 (tridymite) to 4.3 (stishovite) g/cm3.
DENSITY_WINDOW = (1.0, 4.5)
#: A temperature above this multiple of ``T_start`` anywhere in the run is a runaway.
RUNAWAY_FACTOR = 3.0
#: Window of the mean production temperature, as multiples of ``T_end``.
MEAN_TEMPERATURE_WINDOW = (0.8, 1.2)
#: Stages of a quench with thermo output, in order.
STAGES = ("liquid", "cool", "anneal", "production")
#: Quantities of the quench thermo and their units.
THERMO_UNITS = {"temperature": "K", "pressure": "GPa", "density": "g/cm3", "potential_energy": "eV/atom",
                "volume": "A^3"}


def quench_thermo_dataset(rows, protocol: QuenchProtocol, n_atoms: int) -> xr.Dataset:
    """The thermo of a quench as a Dataset over ``time`` (ps from the start of the NVT liquid), one row per time.

    ``rows``: ``(stage, [step within the stage, temperature K, potential energy eV (total), pressure bar,
    volume A^3, density g/cm3])``; rows of other stages (minimisation) are dropped. Coords ``step`` and
    ``stage``; variables in :data:`THERMO_UNITS` (pressure converted to GPa, energy to eV/atom).
    """
    start = protocol.stage_start_ps()
    kept = [(s, r) for s, r in rows if s in STAGES]
    data = np.array([r for _, r in kept], dtype=float).reshape(-1, 6)
    stages = np.array([s for s, _ in kept], dtype=str)
    time = np.array([start[s] for s in stages], dtype=float) + data[:, 0] * protocol.timestep
    # a stage's step 0 repeats the previous stage's last sample: keep one row per time (the later stage's)
    keep = np.r_[np.diff(time) > 1e-9, True] if time.size else np.zeros(0, bool)
    data, stages, time = data[keep], stages[keep], time[keep]
    values = {"temperature": data[:, 1], "potential_energy": data[:, 2] / n_atoms, "pressure": data[:, 3] * 1e-4,
              "volume": data[:, 4], "density": data[:, 5]}
    ds = xr.Dataset({k: ("time", v, {"units": THERMO_UNITS[k]}) for k, v in values.items()},
                    coords={"time": ("time", time, {"units": "ps", "long_name": "time from the start of the NVT liquid"}),
                            "step": ("time", data[:, 0].astype(int)), "stage": ("time", stages)})
    return ds


def density_failure(density: float, time_ps: float, stage: str) -> str | None:
    """Reason a density (g/cm3) at ``time_ps`` in ``stage`` fails a quench (outside :data:`DENSITY_WINDOW`), or None."""
    if density < DENSITY_WINDOW[0]:
        return (f"exploded: density fell to {density:.3g} g/cm3 (< {DENSITY_WINDOW[0]}) at {time_ps:.2f} ps ({stage}); "
                "the box blew up")
    if density > DENSITY_WINDOW[1]:
        return f"collapse: density rose to {density:.3g} g/cm3 (> {DENSITY_WINDOW[1]}) at {time_ps:.2f} ps ({stage})"
    return None


def quench_failure(thermo: xr.Dataset, protocol: QuenchProtocol) -> str | None:
    """Reason the thermo makes a quench unusable (see module docstring), or None."""
    values = np.column_stack([thermo[v].values for v in THERMO_UNITS])
    if not np.all(np.isfinite(values)):
        return "nan: non-finite temperature, energy, pressure or volume in thermo output"
    rho = thermo.density.values
    for k in (int(np.argmin(rho)), int(np.argmax(rho))) if rho.size else ():
        reason = density_failure(float(rho[k]), float(thermo.time.values[k]), str(thermo.stage.values[k]))
        if reason:
            return reason
    T = thermo.temperature.values
    if T.size and T.max() > RUNAWAY_FACTOR * protocol.T_start:
        return f"temperature: ran away to {T.max():.0f} K (> {RUNAWAY_FACTOR:g} x T_start = {RUNAWAY_FACTOR * protocol.T_start:.0f} K)"
    prod = T[thermo.stage.values == "production"]
    if prod.size == 0:
        return "no production thermo output"
    lo, hi = MEAN_TEMPERATURE_WINDOW
    if not lo * protocol.T_end <= prod.mean() <= hi * protocol.T_end:
        return (f"temperature: mean production T {prod.mean():.0f} K outside "
                f"[{lo * protocol.T_end:.0f}, {hi * protocol.T_end:.0f}] K")
    return None


def frames_failure(frames: list[Configuration], collapse: str = "flag") -> tuple[str, str | None]:
    """``(status, reason)`` from the production frames: none stored fails; fused Si-O pairs are a
    collapse, flagged or failed by ``collapse`` (the melt rule, on the frames' partial PDFs)."""
    from ..structure import partial_pdfs
    if not frames:
        return "failed", "no production frames"
    if not all(np.all(np.isfinite(f.positions)) and np.all(np.isfinite(f.box)) for f in frames):
        return "failed", "nan: non-finite positions or box in the production frames"
    pdf = partial_pdfs(frames, r_max=3.0, dr=0.02, source="quench production frames")
    pdf.attrs["volume"] = float(np.mean([f.volume for f in frames]))
    return structure_check(pdf, collapse)
