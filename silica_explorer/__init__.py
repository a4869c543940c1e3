"""silica-explorer: machine-learning parameterisation of empirical forcefields for glassy silica.

The data flow one way, and the packages follow it:

1. **Parameters**: :mod:`.parameters` (names, units, bounds), :mod:`.presets` (published and fitted
   sets), :mod:`.forcefield` (:class:`~.forcefield.ForceField`, Eq. (1) with DSF Coulomb);
   :mod:`.fidelity` (MD protocols), :mod:`.quench` (glass-making protocols) and :mod:`.configurations`
   (start configurations).
2. **Engine**: :mod:`.engine` runs a melt or a quench (LAMMPS or HOOMD-blue behind one interface) and
   decides whether it is usable (:mod:`.engine.acceptance`, :mod:`.engine.quench_checks`).
3. **Structure**: :mod:`.structure` (partial PDFs, coordination, bond angles); :mod:`.reference`
   (the ab initio-quality reference liquid) and :mod:`.synthetic` (references from a known set);
   :mod:`.glass` (what glass a set makes: density, structure, neutron S(Q) against experiment; reported,
   never fitted).
4. **Cost**: :mod:`.cost` (R_x), :mod:`.evaluate` (one evaluation as a record), :mod:`.reweight`
   (reweighting gradients), :mod:`.parallel` (serial and Dask executors).
5. **Optimizer**: :mod:`.optimize` (the fit loop: registry, GP, BO, TuRBO, CG, composite BO, driver);
   :mod:`.standins` (analytic stand-in costs for development, never for conclusions).
6. **Store**: :mod:`.store` (the durable SQLite store of every evaluation, read-only reader).
7. **Views**: :mod:`.scoring` (Table II and re-scoring on fresh seeds), :mod:`.landscape` (cost
   landscapes), :mod:`.analysis` (identifiability, GP slices), :mod:`.cli` and :mod:`.app`.

Units throughout: eV, Angstrom (A), ps, elementary charge e, K; R_x and chi are fractions.
"""

__version__ = "0.1.0"
