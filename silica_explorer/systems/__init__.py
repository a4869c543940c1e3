"""Glass systems as data: which species, in what composition, with which charge rule and which pairs.

Silica is one :class:`System` (:data:`SIO2`: Si, O; pairs SiSi, SiO, OO) and sodium trisilicate another
(:data:`NS3`: Si, Na, O; six pairs). A system states its species (mass in g/mol, charge rule), its
composition in formula units, the charge-neutrality rule (SHIK: free q_Si and q_Na, q_O follows the
composition), its pairs in canonical order and each pair's Eq. (1) parameter names.

Modules: :mod:`.description` (:class:`Species`, :class:`System`, the JSON form and the built-in systems),
:mod:`.presets_ns3` (published NS3 parameter sets with their sources), :mod:`.forcefield`
(:class:`SystemForceField`: one Eq. (1) + DSF parameter set of a system, the preset registry
:data:`SYSTEM_PRESETS`, silica's ForceField viewed as one), :mod:`.configuration` (random starts of any
system) and :mod:`.fidelity` (:class:`SystemFidelity`: the MD protocol of a melt of any system, with its
state point required). The Eq. (1) + DSF energy and
forces of a configuration of any system are in :mod:`silica_explorer.pair_energy`.

Units: masses g/mol, charges e, densities g/cm3, lengths A.
"""

from .description import (ELEMENT_MASS, NS3, SIO2, SYSTEMS, Species, System, SystemDescriptionError, get_system,
                          system_from_dict, system_from_file)
from .configuration import DEFAULT_PAIR_SEPARATION, min_separations, random_system_configuration
from .forcefield import (SYSTEM_PRESETS, SystemForceField, as_system_forcefield, silica_forcefield,
                         system_forcefield, system_preset, system_presets)
from .fidelity import PRESET_UNITS, SystemFidelity, silica_system_fidelity, system_fidelity
from .presets_ns3 import NS3_PRESET_SOURCES, NS3_PRESETS, SHIK_NS3, TETER_NS3, from_lammps_lj

__all__ = ["ELEMENT_MASS", "NS3", "SIO2", "SYSTEMS", "Species", "System", "SystemDescriptionError", "get_system",
           "system_from_dict", "system_from_file", "NS3_PRESETS", "NS3_PRESET_SOURCES", "SHIK_NS3", "TETER_NS3",
           "from_lammps_lj", "SYSTEM_PRESETS", "SystemForceField", "as_system_forcefield", "silica_forcefield",
           "system_forcefield", "system_preset", "system_presets",
           "DEFAULT_PAIR_SEPARATION", "min_separations", "random_system_configuration",
           "PRESET_UNITS", "SystemFidelity", "silica_system_fidelity", "system_fidelity"]
