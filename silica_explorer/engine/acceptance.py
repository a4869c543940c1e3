"""Engine-independent checks that decide whether a melt is usable, failed, or flagged.

Every engine runs the same checks on its thermo output and its partial PDFs, so "failed" means the
same thing whichever engine ran the melt:

- **failed** (no usable R_x): NaN/inf in the thermo output, the production temperature outside its
  windows (:data:`TEMPERATURE_WINDOW` instantaneous, :data:`MEAN_TEMPERATURE_WINDOW` mean), non-finite
  g(r). Lost atoms, a time-out or a pair closer than the table start are decided by the engine itself.
- **collapsed** (Si-O pairs fused towards 1 A): measured as the time-averaged number of O atoms closer
  than :data:`CLOSE_CONTACT_DISTANCE` to a Si atom, ``n_close = 4 pi rho_O int_0^rc g_SiO(r) r^2 dr``
  (from the PDF, so it is an intensive quantity: it does not grow with system size or run length, unlike
  "any sampled pair below 1.2 A"). A melt is collapsed when ``n_close`` exceeds
  :data:`COLLAPSE_CONTACTS_PER_SI`; the threshold and its justification (the measured distribution in
  known-good liquids at tiny, quick and paper sizes) are in ``data/results/close_contacts.txt``.
  Policy ``collapse="flag"`` keeps its PDFs and R_x (status ``"ok"``, reason ``"flagged collapse: ..."``);
  ``collapse="fail"`` makes it a failed evaluation.

Units: distances in A, temperatures in K.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..fidelity import Fidelity

#: Window of instantaneous production temperatures, as multiples of the target, outside which a run fails.
TEMPERATURE_WINDOW = (0.3, 3.0)
#: Window of the mean production temperature, as multiples of the target.
MEAN_TEMPERATURE_WINDOW = (0.85, 1.15)
#: Si-O distance (A) below which an O counts as a close contact of a Si (the 3600 K liquid's g_SiO
#: onset is ~1.35 A; fused Si-O pairs sit at ~1.0 A, inside the D/r^24 barrier).
CLOSE_CONTACT_DISTANCE = 1.2
#: Mean close contacts per Si above which a melt is "collapsed" (see module docstring).
COLLAPSE_CONTACTS_PER_SI = 0.01
#: What a collapsed melt becomes.
COLLAPSE_POLICIES = ("flag", "fail")
#: Prefix of the reason of a melt that is usable but flagged.
FLAG_PREFIX = "flagged"


def check_collapse_policy(policy: str) -> str:
    if policy not in COLLAPSE_POLICIES:
        raise ValueError(f"collapse = {policy!r} must be one of {list(COLLAPSE_POLICIES)}")
    return policy


def is_flagged(reason: str | None) -> bool:
    """True for the reason of a usable but flagged melt (status "ok")."""
    return bool(reason) and str(reason).startswith(FLAG_PREFIX)


def thermo_dataset(rows) -> xr.Dataset:
    """The thermo output of a melt as a Dataset over ``sample`` (coords ``step``, ``phase``) from rows
    ``(phase, [step, temperature K, potential energy eV, kinetic energy eV, total energy eV, pressure bar])``."""
    names = ["temperature", "potential_energy", "kinetic_energy", "total_energy", "pressure"]
    units = ["K", "eV", "eV", "eV", "bar"]
    if rows:
        phases = np.array([p for p, _ in rows])
        data = np.array([r for _, r in rows])
    else:
        phases, data = np.array([], dtype=str), np.zeros((0, 6))
    return xr.Dataset(
        {n: ("sample", data[:, k + 1], {"units": u}) for k, (n, u) in enumerate(zip(names, units))},
        coords={"step": ("sample", data[:, 0].astype(int)), "phase": ("sample", phases)},
    )


def thermo_failure(thermo: xr.Dataset, fidelity: Fidelity) -> str | None:
    """Reason the thermo output makes a melt unusable (non-finite values, temperature windows), or None."""
    values = np.column_stack([thermo[v].values for v in ("temperature", "potential_energy", "pressure")])
    if not np.all(np.isfinite(values)):
        return "nan: non-finite temperature, energy or pressure in thermo output"
    prod = thermo.temperature.values[thermo.phase.values == "production"]
    if prod.size == 0:
        return "no production thermo output"
    T = fidelity.temperature
    lo, hi = TEMPERATURE_WINDOW
    if prod.min() < lo * T or prod.max() > hi * T:
        return (f"temperature: production T ranged {prod.min():.0f}-{prod.max():.0f} K, "
                f"outside [{lo * T:.0f}, {hi * T:.0f}] K")
    mlo, mhi = MEAN_TEMPERATURE_WINDOW
    if not mlo * T <= prod.mean() <= mhi * T:
        return f"temperature: mean production T {prod.mean():.0f} K outside [{mlo * T:.0f}, {mhi * T:.0f}] K"
    return None


def close_contacts(pdf: xr.Dataset, r_close: float = CLOSE_CONTACT_DISTANCE) -> float:
    """Time-averaged number of O atoms closer than ``r_close`` (A) to a Si atom, from g_SiO."""
    from ..structure import coordination_numbers
    return float(coordination_numbers(pdf, {"SiO": r_close})["Si-O"])


def structure_check(pdf: xr.Dataset, collapse: str = "flag") -> tuple[str, str | None]:
    """``(status, reason)`` of a melt from its partial PDFs: non-finite g(r) fails; a collapse
    (:func:`close_contacts` > :data:`COLLAPSE_CONTACTS_PER_SI`) is flagged or failed by ``collapse``."""
    check_collapse_policy(collapse)
    if not np.all(np.isfinite(pdf.g.values)):
        return "failed", "nan: non-finite g(r)"
    n_close = close_contacts(pdf)
    if n_close > COLLAPSE_CONTACTS_PER_SI:
        what = (f"collapse: {n_close:.3g} O per Si closer than {CLOSE_CONTACT_DISTANCE} A "
                f"(threshold {COLLAPSE_CONTACTS_PER_SI})")
        return ("ok", f"{FLAG_PREFIX} {what}") if collapse == "flag" else ("failed", what)
    return "ok", None
