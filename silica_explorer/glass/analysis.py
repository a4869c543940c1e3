"""What a quench made, as one xarray Dataset: the glass's density, energy, pressure and structure.

:func:`glass_dataset` turns a :class:`~silica_explorer.engine.base.QuenchResult` into a Dataset with

- ``density_cool`` against ``T_bin`` (K): the density along the linear cool, in temperature bins (the
  glass transition and any density maximum show up here), and the quench thermo along ``time`` (ps)
  as ``thermo_temperature``, ``thermo_density``, ``thermo_pressure``, ``thermo_potential_energy``;
- means over production at ``T_end``: ``density`` (g/cm3), ``pressure`` (GPa), ``potential_energy``
  (eV/atom), ``temperature`` (K), each with ``*_std`` (the standard deviation of the samples);
- ``liquid_pressure`` (GPa): the mean pressure of the NVT liquid at ``T_start`` and the start density (the
  fitting state point, 3600 K and 2.2 g/cm3, for the presets), over the second half of that stage;
- structure of the production frames: partial ``g`` (``pair``, ``r``), first peaks (``SiO_bond_length``
  etc., A), ``SiO_coordination``/``OSi_coordination`` and their distributions (``n``), the ``OSiO`` and
  ``SiOSi`` angle distributions (``angle``, degrees) with means and peaks;
- neutron scattering: the Faber-Ziman total ``S`` and partial ``S_partial`` (``Q``, 1/A, Lorch window),
  ``T`` and ``D`` (``r``, 1/A^2), ``FSDP_position`` (1/A) and ``FSDP_height``.

Attrs: ``status``, ``reason``, set name, seed, engine and version, protocol and forcefield (JSON), wall
time. A failed quench gives the attrs and whatever thermo it has, and no structure.
:func:`liquid_pressure` gives the same liquid pressure from a melt's thermo.

Units are in each variable's ``units`` attr: K, GPa, g/cm3, eV/atom, A, degrees, 1/A.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from ..engine.base import MeltResult, QuenchResult
from ..structure import bond_angle_distributions, coordination_distribution, coordination_numbers, first_peak, partial_pdfs
from .scattering import DEFAULT_Q, fsdp, peak_position, structure_factors, total_correlation

#: Width (K) of the temperature bins of the density along the cool.
T_BIN_K = 50.0
#: Si-O distance (A) below which Si and O are bonded (coordination, angles): the project's default.
BOND_CUTOFF = 2.3
#: g(r) bin width (A) of the glass.
GLASS_DR = 0.02


def density_vs_temperature(thermo: xr.Dataset, T_start: float, T_end: float, bin_K: float = T_BIN_K) -> xr.Dataset:
    """Mean density (g/cm3) of the ``cool`` samples of a quench thermo in temperature bins of ``bin_K`` K
    from ``T_end`` to ``T_start`` (samples outside that range, thermostat overshoots, are left out);
    ``n_samples_cool`` per bin (bins without samples are NaN)."""
    cool = thermo.isel(time=thermo.stage.values == "cool")
    edges = np.arange(T_end, T_start + bin_K, bin_K)
    T = cool.temperature.values
    n = len(edges) - 1
    idx = np.where(T == edges[-1], n - 1, np.digitize(T, edges) - 1)  # bins [lo, hi), the last one closed
    counts = np.bincount(idx[(idx >= 0) & (idx < n)], minlength=n)
    sums = np.bincount(idx[(idx >= 0) & (idx < n)], weights=cool.density.values[(idx >= 0) & (idx < n)], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    centres = 0.5 * (edges[1:] + edges[:-1])
    return xr.Dataset({"density_cool": ("T_bin", mean, {"units": "g/cm3", "long_name": "density along the cool"}),
                       "n_samples_cool": ("T_bin", counts, {"units": "1"})},
                      coords={"T_bin": ("T_bin", centres, {"units": "K", "bin_width_K": bin_K})})


def liquid_pressure(melt: MeltResult) -> dict:
    """Mean production pressure (GPa) of a melt and its state point (the fitting state point for the
    project's fidelities: 3600 K, 2.2 g/cm3), from ``melt.thermo`` (pressure in bar); standard error from
    10 blocks. ValueError for a failed melt or one without production thermo."""
    if not melt.ok or melt.thermo is None:
        raise ValueError(f"melt of {melt.forcefield.name!r} has no usable thermo (status {melt.status}: {melt.reason})")
    prod = melt.thermo.pressure.values[melt.thermo.phase.values == "production"] * 1e-4
    if prod.size == 0:
        raise ValueError(f"melt of {melt.forcefield.name!r} has no production thermo")
    blocks = [b.mean() for b in np.array_split(prod, min(10, prod.size)) if b.size]
    sem = float(np.std(blocks, ddof=1) / np.sqrt(len(blocks))) if len(blocks) > 1 else float("nan")
    return {"pressure_GPa": float(prod.mean()), "sem_GPa": sem, "temperature_K": melt.fidelity.temperature,
            "density_g_cm3": melt.fidelity.density, "n_samples": int(prod.size)}


def _scalar(value: float, units: str, long_name: str) -> xr.Variable:
    return xr.Variable((), float(value), {"units": units, "long_name": long_name})


def _attrs(result: QuenchResult, set_name: str | None) -> dict:
    return {"set": set_name or result.forcefield.name, "status": result.status, "reason": result.reason or "",
            "seed": int(result.seed), "engine": result.engine, "engine_version": result.engine_version,
            "protocol": result.protocol.name, "protocol_json": json.dumps(result.protocol.as_dict()),
            "rate_K_per_ps": float(result.protocol.rate_K_per_ps),
            "forcefield_json": result.forcefield.to_json(), "wall_time_s": float(result.wall_time_s),
            "engine_options_json": json.dumps(result.engine_options or {}, default=str)}


def glass_dataset(result: QuenchResult, set_name: str | None = None, q=DEFAULT_Q, dr: float = GLASS_DR,
                  bin_K: float = T_BIN_K) -> xr.Dataset:
    """The Dataset of one quench (see module docstring)."""
    p = result.protocol
    ds = xr.Dataset(attrs=_attrs(result, set_name))
    if result.thermo is not None and result.thermo.sizes.get("time", 0):
        th = result.thermo
        for name in ("temperature", "density", "pressure", "potential_energy"):
            ds[f"thermo_{name}"] = ("time", th[name].values, dict(th[name].attrs))
        ds = ds.assign_coords(time=th.time, stage=("time", th.stage.values))
    if not result.ok:
        return ds
    th = result.thermo
    ds = ds.merge(density_vs_temperature(th, p.T_start, p.T_end, bin_K))
    prod = th.isel(time=th.stage.values == "production")
    for name, long in (("density", "density"), ("pressure", "pressure"), ("potential_energy", "potential energy"),
                       ("temperature", "temperature")):
        units = th[name].attrs["units"]
        ds[name] = _scalar(prod[name].mean(), units, f"mean {long} over production at {p.T_end:g} K")
        ds[f"{name}_std"] = _scalar(prod[name].std(), units, f"standard deviation of the {long} samples")
    liquid = th.isel(time=th.stage.values == "liquid")
    liquid = liquid.isel(time=slice(liquid.sizes["time"] // 2, None))
    ds["liquid_pressure"] = _scalar(liquid.pressure.mean() if liquid.sizes["time"] else np.nan, "GPa",
                                    f"mean pressure of the NVT liquid at {p.T_start:g} K and {p.density:g} g/cm3 "
                                    "(second half of the stage)")
    return ds.merge(structure_dataset(result.frames, q=q, dr=dr))


def structure_dataset(frames, q=DEFAULT_Q, dr: float = GLASS_DR) -> xr.Dataset:
    """Structure and neutron scattering of glass ``frames`` (each with its own box; see module docstring).
    g(r) reaches half the smallest box edge (rounded down to whole bins)."""
    frames = list(frames)
    half = 0.5 * min(float(f.box.min()) for f in frames)
    r_max = np.floor(half / dr + 1e-9) * dr
    pdf = partial_pdfs(frames, r_max=round(r_max, 10), dr=dr, source="quench production frames")
    pdf.attrs["volume"] = float(np.mean([f.volume for f in frames]))
    ds = xr.Dataset({"g": pdf.g})
    for pair, name in (("SiO", "SiO_bond_length"), ("OO", "OO_first_peak"), ("SiSi", "SiSi_first_peak")):
        ds[name] = _scalar(first_peak(pdf, pair)[0], "A", f"first peak of g_{pair}")
    cn = coordination_numbers(pdf, {"SiO": BOND_CUTOFF})
    ds["SiO_coordination"] = _scalar(cn["Si-O"], "1", f"mean O around Si within {BOND_CUTOFF} A")
    ds["OSi_coordination"] = _scalar(cn["O-Si"], "1", f"mean Si around O within {BOND_CUTOFF} A")
    si = coordination_distribution(frames, "Si", "O", BOND_CUTOFF)
    o = coordination_distribution(frames, "O", "Si", BOND_CUTOFF)
    n = max(si.sizes["n"], o.sizes["n"])
    ds["SiO_coordination_fraction"] = ("n", np.pad(si.values, (0, n - si.sizes["n"])),
                                       {"units": "1", "long_name": f"fraction of Si with n O within {BOND_CUTOFF} A"})
    ds["OSi_coordination_fraction"] = ("n", np.pad(o.values, (0, n - o.sizes["n"])),
                                       {"units": "1", "long_name": f"fraction of O with n Si within {BOND_CUTOFF} A"})
    ds = ds.assign_coords(n=np.arange(n))
    angles = bond_angle_distributions(frames, cutoff=BOND_CUTOFF)
    theta = angles.angle.values
    d_theta = float(angles.attrs["d_theta"])
    for name, label in (("OSiO", "O-Si-O"), ("SiOSi", "Si-O-Si")):
        dist = angles[name].values
        ds[name] = ("angle", dist, {"units": "1/degree", "long_name": f"{label} bond-angle distribution"})
        ds[f"{name}_mean"] = _scalar(np.sum(theta * dist) * d_theta, "degree", f"mean {label} angle")
        smooth = np.convolve(dist, np.ones(3) / 3, mode="same")
        ds[f"{name}_peak"] = _scalar(peak_position(theta, smooth, (90.0, 180.0), 3 * d_theta)[0], "degree",
                                     f"most probable {label} angle")
    ds = ds.assign_coords(angle=angles.angle)
    sq = structure_factors(pdf, q)
    ds["S"], ds["S_partial"] = sq.S, sq.S_partial
    tr = total_correlation(pdf)
    ds["T"], ds["D"], ds["G_total"] = tr["T"], tr["D"], tr["G_total"]
    pos, height = fsdp(sq)
    ds["FSDP_position"] = _scalar(pos, "1/A", "position of the first sharp diffraction peak of S(Q)")
    ds["FSDP_height"] = _scalar(height, "1", "height of the FSDP")
    ds.attrs.update({"n_frames": len(frames), "bond_cutoff_A": BOND_CUTOFF, "window": sq.attrs["window"],
                     "number_density_per_A3": sq.attrs["number_density_per_A3"], "g_r_max_A": float(r_max),
                     **{k: v for k, v in sq.attrs.items() if k.startswith("weight_")}})
    return ds
