"""The preset catalogue: published parameter sets of Eq. (1) and this project's own fits, with sources.

The values are plain data here (parameter name -> value, in the units of
:data:`silica_explorer.parameters.UNITS`); :data:`silica_explorer.forcefield.PRESETS` holds them as
validated :class:`~silica_explorer.forcefield.ForceField` objects and
:meth:`ForceField.preset(name) <silica_explorer.forcefield.ForceField.preset>` looks one up by name
(case-insensitive, :func:`preset_key`). Si-Si "off" is A = C = 0 with rho = 1 A. All use the paper's
fixed D values (:data:`silica_explorer.parameters.PAPER_D`). See ../shared/science.md section 2.
"""

from __future__ import annotations

from .parameters import ParameterError

#: Parameter values of every preset (q_Si in e, A in eV, rho in A, C in eV A^6); parameters not given
#: take the :class:`~silica_explorer.forcefield.ForceField` defaults (Si-Si off, paper D, alpha 0.25 1/A,
#: r_cut 8 A).
PRESET_PARAMETERS: dict[str, dict[str, float]] = {
    "ML": dict(q_Si=1.955,
               A_SiO=20453.601, rho_SiO=0.191735, C_SiO=93.496,
               A_OO=1003.387, rho_OO=0.356855, C_OO=81.491),
    "BKS": dict(q_Si=2.4,
                A_SiO=18003.7572, rho_SiO=0.205205, C_SiO=133.5381,
                A_OO=1388.7730, rho_OO=0.362319, C_OO=175.0),
    "CHIK": dict(q_Si=1.910418,
                 A_SiO=27029.419922, rho_SiO=1 / 5.158606, C_SiO=148.099091,
                 A_OO=659.595398, rho_OO=1 / 2.590066, C_OO=26.836679,
                 A_SiSi=3150.462646, rho_SiSi=1 / 2.851451, C_SiSi=626.751953),
    "SHIK": dict(q_Si=1.7755,
                 A_SiO=23107.84764, rho_SiO=0.196161, C_SiO=139.6947857,
                 A_OO=1120.528996, rho_OO=0.345693, C_OO=26.13207696,
                 A_SiSi=2797.979165, rho_SiSi=0.226895, C_SiSi=0.0),
    "Teter": dict(q_Si=2.4,
                  A_SiO=13702.905, rho_SiO=0.193817, C_SiO=54.681,
                  A_OO=2029.2204, rho_OO=0.343645, C_OO=192.58),
    "Guillot-Sator": dict(q_Si=1.89,
                          A_SiO=50306.10, rho_SiO=0.161, C_SiO=46.2978,
                          A_OO=9022.79, rho_OO=0.265, C_OO=85.0921),
    # this project's own fits against the shipped CHGNet reference (data/fits/; not the paper's ML set)
    "CHGNet-fit7": dict(q_Si=1.8378311842713155,
                        A_SiO=23422.48262045623, rho_SiO=0.19617659470607468, C_SiO=138.01458918065853,
                        A_OO=900.3706292685622, rho_OO=0.35595046853282863, C_OO=21.401445866815223),
    "CHGNet-fit10": dict(q_Si=1.787575845458571,
                         A_SiO=24080.90213271934, rho_SiO=0.1954969689564352, C_SiO=139.53198244639992,
                         A_OO=1424.3620604560442, rho_OO=0.3385898552907309, C_OO=24.80958716615822,
                         A_SiSi=20831.31015923903, rho_SiSi=0.20747860322329803, C_SiSi=118.56036474140845),
}

#: Where each preset comes from.
PRESET_SOURCES = {
    "ML": "Liu et al., MRS Commun. 9, 593 (2019), Table I",
    "BKS": "van Beest, Kramer, van Santen, PRL 64, 1955 (1990)",
    "CHIK": "Carre, Horbach, Ispas, Kob, EPL 82, 17001 (2008)",
    "SHIK": "Sundararaman et al., J. Chem. Phys. 148, 194504 (2018); Eq. (1) approximation "
            "(paper D values and DSF Coulomb instead of its own D and Wolf sum)",
    "Teter": "Teter potential as used by Du & Cormack",
    "Guillot-Sator": "Guillot & Sator (2007), silica part (q_Si = 1.89)",
    "CHGNet-fit7": "silica-explorer fit against the CHGNet reference liquid (7 parameters, Si-Si off; turbo+cg, "
                   "300 quick melts, MD seed 0): data/fits/fit7. Not the paper's ML set",
    "CHGNet-fit10": "silica-explorer fit against the CHGNet reference liquid (all 10 parameters; turbo+cg, "
                    "250 quick melts, MD seed 0): data/fits/fit10. Not the paper's ML set",
}

#: The published sets among the presets (the others are this project's fits, :data:`FITTED_PRESETS`).
PUBLISHED_PRESETS = ("ML", "BKS", "CHIK", "SHIK", "Teter", "Guillot-Sator")
#: This project's fitted sets among the presets (data/fits/).
FITTED_PRESETS = ("CHGNet-fit7", "CHGNet-fit10")


def preset_key(name: str) -> str:
    """The catalogue's spelling of preset ``name`` (case-insensitive), or ParameterError listing the
    available presets."""
    lookup = {k.lower(): k for k in PRESET_PARAMETERS}
    key = lookup.get(str(name).lower())
    if key is None:
        raise ParameterError(f"unknown preset {name!r}; available: {list(PRESET_PARAMETERS)}")
    return key
