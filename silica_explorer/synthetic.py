"""SYNTHETIC reference liquids: the classical liquid of a known forcefield, for identifiability tests.

A synthetic reference is NOT ab initio. It is the liquid of a given parameter set (e.g. CHIK) run with
this project's own engine and protocol, with its partial PDFs averaged over several MD seeds. A fit
against it has a known answer (the generating set), so it tests whether the fitting tool can find
parameters at all, and which of them the PDFs pin down.

Every dataset :func:`synthetic_reference` returns says so in three places:

- ``attrs["name"]`` starts with ``"SYNTHETIC (not ab initio)"``;
- ``attrs["synthetic"] = 1``;
- ``attrs["provenance"]``: JSON with the forcefield (all parameters), the fidelity (all fields), the MD
  seeds, the engine and its version string, the silica-explorer version and the command line.

``g`` is the seed mean; ``g_err`` its standard error over seeds (zero with one seed). Units as in
:mod:`silica_explorer.structure` (r in A, g dimensionless); ``temperature_K`` in K.

Any glass system: a :class:`~silica_explorer.systems.SystemForceField` under a
:class:`~silica_explorer.systems.SystemFidelity` gives the PDFs of all the system's pairs, with
``attrs["system"]`` and an ``n_<symbol>`` per species (so an NS3 fit can be tested for identifiability
before an ab initio NS3 reference exists). Silica references are as they always were.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from . import __version__
from .fidelity import Fidelity, get_fidelity
from .forcefield import ForceField
from .inputs import forcefield_from, parse_seeds
from .parameters import PAIRS
from .structure import pdf_dataset
from .systems.fidelity import SystemFidelity
from .systems.forcefield import SystemForceField

#: Start of ``attrs["name"]`` of every synthetic reference.
SYNTHETIC_LABEL = "SYNTHETIC (not ab initio)"


def synthetic_reference(forcefield: ForceField | SystemForceField | str, fidelity: str | Fidelity | SystemFidelity,
                        seeds, engine, command: str = "") -> xr.Dataset:
    """Seed-averaged partial PDFs of ``forcefield``'s classical liquid, labelled synthetic.

    Parameters
    ----------
    forcefield : the generating set (a :class:`ForceField` or a preset name; a :class:`SystemForceField`
        of the fidelity's system under a :class:`SystemFidelity`).
    fidelity : MD protocol (name or :class:`Fidelity`, or a :class:`SystemFidelity` of any system).
    seeds : MD seeds (``"10-14"``, ``"0,1"`` or a sequence of ints); one melt each.
    engine : an engine (``melt(forcefield, fidelity, seed) -> MeltResult``), e.g. a
        :class:`~silica_explorer.engine.lammps.LammpsEngine` or a caching wrapper.
    command : the command line that made it (recorded in the provenance).

    Raises RuntimeError naming the set and seed if any melt fails or is flagged (a synthetic reference
    must come from clean liquids only).
    """
    if isinstance(fidelity, SystemFidelity):
        if not isinstance(forcefield, SystemForceField) or forcefield.system != fidelity.system:
            raise TypeError(f"a synthetic {fidelity.system.name} reference needs a SystemForceField of "
                            f"{fidelity.system.name}, got {forcefield!r}")
        ff, pairs, system_attrs = forcefield, fidelity.system.pairs, {"system": fidelity.system.name}
    else:
        ff, fidelity, pairs, system_attrs = forcefield_from(forcefield), get_fidelity(fidelity), PAIRS, {}
    seeds = parse_seeds(seeds)
    pdfs = []
    for seed in seeds:
        res = engine.melt(ff, fidelity, int(seed))
        if not res.ok or res.reason:
            raise RuntimeError(f"synthetic reference of {ff.name}: seed {seed} melt {res.status}: {res.reason}")
        pdfs.append(res.pdf)
    first = pdfs[0]
    for seed, p in zip(seeds, pdfs):
        if p.r.size != first.r.size or not np.allclose(p.r.values, first.r.values):
            raise RuntimeError(f"synthetic reference: seed {seed} has a different r grid from seed {seeds[0]}")
    g = np.stack([p.g.sel(pair=list(pairs)).values for p in pdfs])  # (seed, pair, r)
    mean = {p: g[:, k].mean(axis=0) for k, p in enumerate(pairs)}
    if len(seeds) > 1:
        err = {p: g[:, k].std(axis=0, ddof=1) / np.sqrt(len(seeds)) for k, p in enumerate(pairs)}
    else:
        err = {p: np.zeros_like(mean[p]) for p in pairs}
    symbols = ("Si", "O") if pairs == PAIRS else fidelity.system.symbols
    name = (f"{SYNTHETIC_LABEL}: classical {ff.name} liquid, {fidelity.name} fidelity, "
            f"{len(seeds)} MD seeds")
    provenance = {"synthetic": True, "forcefield": ff.as_dict(), "fidelity": fidelity.as_dict(),
                  "seeds": [int(s) for s in seeds], "engine": engine.name, "engine_version": engine.version(),
                  "silica_explorer_version": __version__, "command": command}
    return pdf_dataset(first.r.values, mean, dr=float(first.attrs["dr"]),
                       n_species={s: first.attrs[f"n_{s}"] for s in symbols}, pairs=pairs, **system_attrs,
                       volume=float(first.attrs["volume"]), g_err=err, name=name, synthetic=1,
                       source=f"silica-explorer synthetic reference ({ff.name}; not ab initio)",
                       provenance=json.dumps(provenance), temperature_K=float(fidelity.temperature),
                       n_samples=int(first.attrs.get("n_samples", 0)) * len(seeds))


def is_synthetic(ds: xr.Dataset) -> bool:
    """Whether a PDF dataset is labelled synthetic (``attrs["synthetic"]`` true)."""
    return bool(int(ds.attrs.get("synthetic", 0)))


def generating_forcefield(ds: xr.Dataset) -> ForceField | SystemForceField:
    """The forcefield a synthetic reference was made from (from its provenance): a ForceField for silica,
    a SystemForceField for a reference of another system; ValueError if the dataset is not synthetic."""
    if not is_synthetic(ds):
        raise ValueError("reference is not labelled synthetic (attrs['synthetic'] missing or 0); it has no "
                         "known generating forcefield")
    data = json.loads(ds.attrs["provenance"])["forcefield"]
    if "system" in ds.attrs:
        return SystemForceField.from_dict(data)
    return ForceField.from_dict(data)
