"""Physical constants and the cubic-box arithmetic every part of silica-explorer shares.

Units: energies in eV, distances in A, masses in g/mol, densities in g/cm3 (LAMMPS ``units metal``).
"""

from __future__ import annotations

#: Coulomb constant e^2 / (4 pi eps0) in eV A (the value LAMMPS ``units metal`` uses).
K_E = 14.399645
#: Avogadro's number in 1/mol.
AVOGADRO = 6.02214076e23
#: Atomic masses in g/mol.
MASS = {"Si": 28.0855, "O": 15.9994}
#: Standard atomic weights (g/mol) of the elements a glass system may contain. Si and O are :data:`MASS`;
#: the others are IUPAC standard atomic weights (conventional values for Li and Mg).
ELEMENT_MASS: dict[str, float] = {
    "Si": MASS["Si"], "O": MASS["O"],
    "Li": 6.94, "B": 10.81, "Na": 22.98976928, "Mg": 24.305, "Al": 26.9815385, "K": 39.0983, "Ca": 40.078,
}
#: Mass of one SiO2 formula unit in g/mol.
MASS_SIO2 = MASS["Si"] + 2 * MASS["O"]


def cubic_box_length(n_SiO2: int, density: float) -> float:
    """Edge (A) of the cubic box holding ``n_SiO2`` formula units at ``density`` g/cm3."""
    mass_g = n_SiO2 * MASS_SIO2 / AVOGADRO
    return (mass_g / density * 1e24) ** (1.0 / 3.0)
