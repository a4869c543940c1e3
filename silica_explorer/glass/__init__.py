"""The glass check: what glass a forcefield makes, reported next to R_x and never fitted.

After the engine has quenched a liquid (:mod:`silica_explorer.quench` protocols, ``Engine.quench``):
:mod:`.scattering` (Faber-Ziman weights, neutron S(Q) and T(r) from partial g(r), the FSDP),
:mod:`.analysis` (one xarray Dataset per quench: density along the cool, the glass's density, energy and
pressure, structure and scattering; the liquid pressure of a melt), :mod:`.anchors` (the experimental
anchors in ``data/glass_anchors.json``), :mod:`.report` (mean +- std over seeds, the markdown table) and
:mod:`.campaign` (sets x seeds, resumable, netCDF files and the table).

Units: temperature K, pressure GPa, density g/cm3, energy eV/atom, lengths A, angles degrees, Q 1/A.
"""

from .analysis import density_vs_temperature, glass_dataset, liquid_pressure, structure_dataset
from .anchors import ANCHORS_PATH, load_anchors
from .campaign import glass_path, run_glass, write_report
from .report import markdown_table, summarize
from .scattering import SCATTERING_LENGTHS_FM, faber_ziman_weights, fsdp, structure_factors, total_correlation

__all__ = ["ANCHORS_PATH", "SCATTERING_LENGTHS_FM", "density_vs_temperature", "faber_ziman_weights", "fsdp",
           "glass_dataset", "glass_path", "liquid_pressure", "load_anchors", "markdown_table", "run_glass",
           "structure_dataset", "structure_factors", "summarize", "total_correlation", "write_report"]
