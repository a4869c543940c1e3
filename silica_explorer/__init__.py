"""silica-explorer: machine-learning parameterisation of empirical forcefields for glassy silica.

Data flow: :mod:`forcefield` (parameters) -> :mod:`engine` (MD melt) -> :mod:`structure` (PDFs) ->
:mod:`cost` (R_x) -> optimizers -> store -> views. Units: eV, A, ps, e, K.
"""

__version__ = "0.1.0"
