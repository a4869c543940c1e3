"""Published Eq. (1) parameter sets for sodium trisilicate (NS3, Na2O-3SiO2), with their sources.

Values are plain data (parameter name -> value in the units of
:data:`silica_explorer.systems.description.PAIR_TERMS`: q in e, A in eV, rho in A, C in eV A^6, D in eV A^24)
for the pairs of :data:`~silica_explorer.systems.description.NS3` (SiSi, SiNa, SiO, NaNa, NaO, OO). As for
silica, each set is used in the project's Eq. (1) + DSF Coulomb form (alpha 0.25 1/A, cutoff 8 A), which
approximates the authors' own Coulomb sums.

SHIK (Sundararaman, Huang, Ispas, Kob, J. Chem. Phys. 150, 154505 (2019)):

- Na terms: converted by :func:`from_lammps_lj` from the authors' LAMMPS input
  ``input_SHIK_equil_na2osio2.NVT`` of github.com/compmatscirpi/SHIK-potential (commit
  9a76972d1605826949b035173d153c4a95b3892e; identical numbers at 658161dcc27589009203b8ec3440892a5c40982e),
  transcribed in :data:`SHIK_LJ_PAIR_COEFF` / :data:`SHIK_LJ_CHARGES`. That file is for 0.2Na2O-0.8SiO2 in
  ``units lj`` with energy unit 1 eV and length unit 1 A, so A, C, D are in eV units already, rho = 1 / B,
  and a reduced charge is q* = q sqrt(k_e / (eV A)) (k_e = 14.399645 eV A). Its pair style's smoothing
  lengths (gamma = 0.2 A, short and long range) and Wolf Coulomb sum are not part of Eq. (1).
- The published eV/A values the conversion is tested against (:data:`SHIK_TABLE`, :data:`SHIK_TABLE_CHARGES`)
  are NOT transcribed from the paper itself, which the project's search tools could not reach: they are the
  values tabulated, with the paper cited, in the public package amorphouspy
  (github.com/glasagent/amorphouspy, ``amorphouspy/src/amorphouspy/potentials/shik_potential.py``, commit
  060ed865f36dbf913faa6cbf681791c8b4c44528), 5 significant digits.
- q_Na = 0.6018 e (that table; the file's reduced charge gives 0.601810). q_Si and the silica pairs are the
  project's SHIK silica preset (:data:`silica_explorer.presets.PRESET_PARAMETERS`), with the paper's fixed D
  for the silica pairs as that preset has (:data:`silica_explorer.parameters.PAPER_D`); the Na pairs keep
  SHIK's own D = 16800 eV A^24 (the file), there being no other D for them. q_O follows the composition
  (:meth:`System.charges <silica_explorer.systems.description.System.charges>`: -(3 q_Si + 2 q_Na) / 7).

Teter / Du (:data:`TETER_NA_O`): the silica part is the project's Teter preset; Na-O A = 4383.7555 eV,
rho = 0.243838 A, C = 30.70 eV A^6, q_Na = 0.6 e, from Deng & Du, J. Am. Ceram. Soc. 102, 2482 (2019) as
tabulated in amorphouspy (``potentials/du_teter_potential.py``, ref. [2] there); the same four numbers appear
in several other public repositories, and npj Comput. Mater. 6, 25 (2020), Table 1 lists them rounded
(4383.756, 0.243838, 30.7, +0.6). Cation-cation short-range terms are zero (that table's note) and Teter has
no D: with D_NaO = 0 the Na-O pair energy (Eq. (1) + DSF) has its maximum, 43.9 eV, near 0.87 A, and falls
below it (Du's B/r^n + D r^2 core for r < 1.172 A is not part of Eq. (1)). Fixed charges 2.4 / 0.6 make
q_O = -1.2 for NS3 by neutrality.
"""

from __future__ import annotations

import math
from typing import Mapping

from ..constants import K_E
from ..parameters import PAPER_D
from ..presets import PRESET_PARAMETERS

#: Where the SHIK reduced-unit numbers come from.
SHIK_SOURCE = ("github.com/compmatscirpi/SHIK-potential, input_SHIK_equil_na2osio2.NVT (commit "
               "9a76972d1605826949b035173d153c4a95b3892e), the authors' LAMMPS input for Sundararaman, Huang, "
               "Ispas, Kob, J. Chem. Phys. 150, 154505 (2019)")
#: ``pair_coeff`` lines of that file by pair: A*, B*, C*, D* (its types: 1 O, 2 Si, 3 Na; gamma 0.2 0.2 dropped).
SHIK_LJ_PAIR_COEFF: dict[str, tuple[float, float, float, float]] = {
    "OO": (1120.528996, 2.892741833, 26.13207696, 16800.0),
    "SiO": (23107.84764, 5.097856735, 139.6947857, 66.0),
    "SiSi": (2797.979165, 4.407320018, 0.0, 3423204.0),
    "NaO": (1127566.0, 6.8986, 40.562, 16800.0),
    "SiNa": (495653.0, 5.4151, 0.0, 16800.0),
    "NaNa": (1476.9, 3.4075, 0.0, 16800.0),
}
#: ``set group ... charge`` lines of that file (reduced charges).
SHIK_LJ_CHARGES: dict[str, float] = {"O": -3.501961788, "Si": 6.737574454, "Na": 2.283679136}
#: The file's composition, 0.2Na2O-0.8SiO2, in formula units (its data file: 2400 Si, 1200 Na, 5400 O).
SHIK_LJ_COMPOSITION: dict[str, int] = {"Na2O": 1, "SiO2": 4}

#: SHIK's eV/A values, (A eV, B 1/A, C eV A^6, D eV A^24), as tabulated by amorphouspy (see the module docstring).
SHIK_TABLE: dict[str, tuple[float, float, float, float]] = {
    "OO": (1120.5, 2.8927, 26.132, 16800.0),
    "SiO": (23108.0, 5.0979, 139.70, 66.0),
    "SiSi": (2798.0, 4.4073, 0.0, 3423204.0),
    "NaO": (1127566.0, 6.8986, 40.562, 16800.0),
    "SiNa": (495653.0, 5.4151, 0.0, 16800.0),
    "NaNa": (1476.9, 3.4075, 0.0, 16800.0),
}
#: SHIK's charges (e) in the same table; q_O follows the composition.
SHIK_TABLE_CHARGES: dict[str, float] = {"Si": 1.7755, "Na": 0.6018}

#: Du/Teter Na-O (A eV, rho A, C eV A^6) and q_Na (e); see the module docstring.
TETER_NA_O = {"A": 4383.7555, "rho": 0.243838, "C": 30.70}
TETER_Q_NA = 0.6


def from_lammps_lj(pair_coeff: Mapping[str, tuple[float, float, float, float]],
                   charges: Mapping[str, float]) -> dict[str, float]:
    """Eq. (1) parameters from a SHIK ``units lj`` input with energy unit 1 eV and length unit 1 A.

    ``pair_coeff``: pair name -> (A*, B*, C*, D*); ``charges``: species -> reduced charge q*. Returns
    ``A_<pair>`` (eV) = A*, ``rho_<pair>`` (A) = 1 / B*, ``C_<pair>`` (eV A^6) = C*, ``D_<pair>`` (eV A^24) = D*
    and ``q_<species>`` (e) = q* / sqrt(k_e) with k_e = 14.399645 eV A (LAMMPS lj units take the Coulomb
    energy as q1* q2* / r*, so q* = q sqrt(k_e / (eV A))).
    """
    out: dict[str, float] = {}
    for pair, (a, b, c, d) in pair_coeff.items():
        out.update({f"A_{pair}": float(a), f"rho_{pair}": 1.0 / float(b), f"C_{pair}": float(c), f"D_{pair}": float(d)})
    scale = math.sqrt(K_E)
    out.update({f"q_{s}": float(q) / scale for s, q in charges.items()})
    return out


def _na_terms(values: Mapping[str, float]) -> dict[str, float]:
    return {k: v for k, v in values.items() if k.split("_", 1)[1] in ("NaO", "SiNa", "NaNa")}


#: SHIK for NS3 in the project's Eq. (1) + DSF form (see the module docstring for each value's source).
SHIK_NS3: dict[str, float] = {
    **PRESET_PARAMETERS["SHIK"],
    **{f"D_{p}": d for p, d in PAPER_D.items()},
    "q_Na": SHIK_TABLE_CHARGES["Na"],
    **_na_terms(from_lammps_lj(SHIK_LJ_PAIR_COEFF, {})),
}

#: Teter/Du for NS3: the project's Teter silica set (Si-Si off, paper D) plus Du's Na-O; other Na pairs off.
TETER_NS3: dict[str, float] = {
    **PRESET_PARAMETERS["Teter"],
    "A_SiSi": 0.0, "rho_SiSi": 1.0, "C_SiSi": 0.0,
    **{f"D_{p}": d for p, d in PAPER_D.items()},
    "q_Na": TETER_Q_NA,
    "A_NaO": TETER_NA_O["A"], "rho_NaO": TETER_NA_O["rho"], "C_NaO": TETER_NA_O["C"], "D_NaO": 0.0,
    "A_SiNa": 0.0, "rho_SiNa": 1.0, "C_SiNa": 0.0, "D_SiNa": 0.0,
    "A_NaNa": 0.0, "rho_NaNa": 1.0, "C_NaNa": 0.0, "D_NaNa": 0.0,
}

#: NS3 presets by name.
NS3_PRESETS: dict[str, dict[str, float]] = {"SHIK": SHIK_NS3, "Teter": TETER_NS3}
#: Where each NS3 preset comes from.
NS3_PRESET_SOURCES = {
    "SHIK": "Sundararaman, Huang, Ispas, Kob, J. Chem. Phys. 150, 154505 (2019): Na terms from the authors' "
            "LAMMPS input (compmatscirpi/SHIK-potential) converted from reduced units, q_Na 0.6018; silica terms "
            "the project's SHIK preset; Eq. (1) approximation (paper D for silica pairs, DSF Coulomb)",
    "Teter": "Teter potential as used by Du: Na-O from Deng & Du, J. Am. Ceram. Soc. 102, 2482 (2019) (as "
             "tabulated in amorphouspy); silica terms the project's Teter preset; no D for Na pairs",
}
