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

#: Start of ``attrs["name"]`` of every synthetic reference.
SYNTHETIC_LABEL = "SYNTHETIC (not ab initio)"


def synthetic_reference(forcefield: ForceField | str, fidelity: str | Fidelity, seeds, engine,
                        command: str = "") -> xr.Dataset:
    """Seed-averaged partial PDFs of ``forcefield``'s classical liquid, labelled synthetic.

    Parameters
    ----------
    forcefield : the generating set (a :class:`ForceField` or a preset name).
    fidelity : MD protocol (name or :class:`Fidelity`).
    seeds : MD seeds (``"10-14"``, ``"0,1"`` or a sequence of ints); one melt each.
    engine : an engine (``melt(forcefield, fidelity, seed) -> MeltResult``), e.g. a
        :class:`~silica_explorer.engine.lammps.LammpsEngine` or a caching wrapper.
    command : the command line that made it (recorded in the provenance).

    Raises RuntimeError naming the set and seed if any melt fails or is flagged (a synthetic reference
    must come from clean liquids only).
    """
    ff = forcefield_from(forcefield)
    fidelity = get_fidelity(fidelity)
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
    g = np.stack([p.g.sel(pair=list(PAIRS)).values for p in pdfs])  # (seed, pair, r)
    mean = {p: g[:, k].mean(axis=0) for k, p in enumerate(PAIRS)}
    if len(seeds) > 1:
        err = {p: g[:, k].std(axis=0, ddof=1) / np.sqrt(len(seeds)) for k, p in enumerate(PAIRS)}
    else:
        err = {p: np.zeros_like(mean[p]) for p in PAIRS}
    name = (f"{SYNTHETIC_LABEL}: classical {ff.name} liquid, {fidelity.name} fidelity, "
            f"{len(seeds)} MD seeds")
    provenance = {"synthetic": True, "forcefield": ff.as_dict(), "fidelity": fidelity.as_dict(),
                  "seeds": [int(s) for s in seeds], "engine": engine.name, "engine_version": engine.version(),
                  "silica_explorer_version": __version__, "command": command}
    return pdf_dataset(first.r.values, mean, dr=float(first.attrs["dr"]),
                       n_species={"Si": first.attrs["n_Si"], "O": first.attrs["n_O"]},
                       volume=float(first.attrs["volume"]), g_err=err, name=name, synthetic=1,
                       source=f"silica-explorer synthetic reference ({ff.name}; not ab initio)",
                       provenance=json.dumps(provenance), temperature_K=float(fidelity.temperature),
                       n_samples=int(first.attrs.get("n_samples", 0)) * len(seeds))


def is_synthetic(ds: xr.Dataset) -> bool:
    """Whether a PDF dataset is labelled synthetic (``attrs["synthetic"]`` true)."""
    return bool(int(ds.attrs.get("synthetic", 0)))


def generating_forcefield(ds: xr.Dataset) -> ForceField:
    """The forcefield a synthetic reference was made from (from its provenance); ValueError if the
    dataset is not synthetic."""
    if not is_synthetic(ds):
        raise ValueError("reference is not labelled synthetic (attrs['synthetic'] missing or 0); it has no "
                         "known generating forcefield")
    return ForceField.from_dict(json.loads(ds.attrs["provenance"])["forcefield"])
