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

Modules: :mod:`.load` (loading, validating and saving tables and netCDF; :func:`summary`),
:mod:`.trajectory` (PDFs from extxyz, LAMMPS dump and XDATCAR trajectories), :mod:`.generate` (the
machine-learned-potential liquid; the only place torch is imported). The command line lives in
:mod:`silica_explorer.cli`.
"""

from .generate import CALCULATORS, analyze_run, generate, run_md
from .load import (DEFAULT_REFERENCE, LABEL, NETCDF_SUFFIXES, PROJECT_DENSITY, R_MAX_MAX,
                   R_MAX_MIN, TABLE_SUFFIXES, ReferenceError, default_reference, density_of, load_reference,
                   pdf_pairs, save_reference, summary, validate_pdf)
from .trajectory import default_r_max, from_trajectory, read_frames

__all__ = ["ReferenceError", "load_reference", "save_reference", "validate_pdf", "pdf_pairs", "from_trajectory",
           "read_frames", "generate", "run_md", "analyze_run", "summary", "density_of",
           "default_r_max", "CALCULATORS", "LABEL", "PROJECT_DENSITY", "R_MAX_MIN",
           "R_MAX_MAX", "TABLE_SUFFIXES", "NETCDF_SUFFIXES", "DEFAULT_REFERENCE", "default_reference"]
