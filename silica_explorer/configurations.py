"""Starting and sampled configurations: the random start, frames of a trajectory, LAMMPS file I/O.

Units: positions and box lengths in A, velocities in A/ps (LAMMPS ``units metal``).
Species are given as element symbols (``"Si"``, ``"O"``, ``"Na"``, ...; keys of
:data:`~silica_explorer.constants.ELEMENT_MASS`) in ``species`` (one per atom). The LAMMPS readers and
writers default to silica's atom types (:data:`TYPE_OF`); another system passes its own
(:func:`silica_explorer.engine.tables.lammps_types`). The random start of any system is
:func:`silica_explorer.systems.configuration.random_system_configuration`, on the same insertion as
silica's (:func:`random_insertion`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from .constants import ELEMENT_MASS

#: LAMMPS atom type of each species.
TYPE_OF = {"Si": 1, "O": 2}
#: Species of each LAMMPS atom type.
SPECIES_OF_TYPE = {v: k for k, v in TYPE_OF.items()}


@dataclasses.dataclass
class Configuration:
    """One frame: ``positions`` (N, 3) A, ``species`` (N,) str, cubic or orthorhombic ``box`` (3,) A
    with the origin at 0, optional ``velocities`` (N, 3) A/ps."""

    positions: np.ndarray
    species: np.ndarray
    box: np.ndarray
    velocities: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.positions = np.asarray(self.positions, dtype=float)
        self.species = np.asarray(self.species, dtype=str)
        self.box = np.broadcast_to(np.asarray(self.box, dtype=float), (3,)).copy()
        if self.positions.ndim != 2 or self.positions.shape[1] != 3:
            raise ValueError(f"positions must have shape (N, 3), got {self.positions.shape}")
        if self.species.shape != (len(self.positions),):
            raise ValueError(f"species must have shape ({len(self.positions)},), got {self.species.shape}")
        bad = set(self.species) - set(ELEMENT_MASS)
        if bad:
            raise ValueError(f"unknown species {sorted(bad)}; allowed: {sorted(ELEMENT_MASS)}")
        if np.any(self.box <= 0):
            raise ValueError(f"box lengths must be > 0 A, got {self.box}")

    @property
    def n_atoms(self) -> int:
        return len(self.positions)

    @property
    def volume(self) -> float:
        return float(np.prod(self.box))

    def wrapped(self) -> np.ndarray:
        return np.mod(self.positions, self.box)

    def count(self, species: str) -> int:
        return int(np.sum(self.species == species))


#: Default minimum separations (A) of the random start per pair, in PAIRS order (SiSi, SiO, OO). O-O
#: pairs closer than ~1.4 A fall into the spurious short-range well of BKS-like sets; 2.2 A keeps the
#: start out of it while remaining far below the liquid's first O-O peak (2.6 A).
DEFAULT_MIN_SEPARATION = (2.5, 1.5, 2.2)


#: Version of the random-start algorithm below; part of the engine's version string (and so of every
#: cache key), since the same seed gives other positions when it changes.
RANDOM_START_VERSION = 2


def random_configuration(n_SiO2: int, box_length: float, seed: int,
                         min_separation=DEFAULT_MIN_SEPARATION, max_tries: int = 1000) -> Configuration:
    """``n_SiO2`` Si and ``2 n_SiO2`` O placed uniformly at random in a cubic box of edge
    ``box_length`` A with every pair at least ``min_separation`` A apart (minimum image).

    ``min_separation`` is one distance for all pairs or three, for (SiSi, SiO, OO). Random sequential
    insertion in random species order with a cell list (each trial is checked against the atoms of
    the 27 surrounding cells at once); raises RuntimeError when an atom cannot be placed in
    ``max_tries`` attempts (the density is too high for those separations).
    """
    seps = np.broadcast_to(np.asarray(min_separation, dtype=float), (3,))
    # minimum distance by (species_i, species_j) with Si = 0, O = 1
    separation = np.array([[seps[0], seps[1]], [seps[1], seps[2]]])
    return random_insertion({"Si": n_SiO2, "O": 2 * n_SiO2}, box_length, seed, separation,
                            f"min_separation={tuple(float(x) for x in seps)}", max_tries)


def random_insertion(counts: dict[str, int], box_length: float, seed: int, separation: np.ndarray,
                     label: str, max_tries: int = 1000) -> Configuration:
    """``counts[s]`` atoms of each species ``s`` placed uniformly at random in a cubic box of edge
    ``box_length`` A with atoms of species k and l at least ``separation[k, l]`` A apart (minimum image; k, l
    in the order of ``counts``). The algorithm of :func:`random_configuration` (which calls it with Si, O):
    random sequential insertion in random species order with a cell list; RuntimeError naming ``label``
    (the separations, as the caller states them) when an atom cannot be placed in ``max_tries`` attempts."""
    min2 = np.asarray(separation, dtype=float) ** 2
    rng = np.random.default_rng(seed)
    n = sum(counts.values())
    species = np.array([s for s, c in counts.items() for _ in range(c)])
    species = species[rng.permutation(n)]
    kind = np.array([list(counts).index(s) for s in species], dtype=int)
    box = np.full(3, float(box_length))
    n_cell = max(1, int(box_length // np.asarray(separation, dtype=float).max()))
    cell_edge = box_length / n_cell
    cells: dict[tuple[int, int, int], list[int]] = {}
    offsets = [(dx, dy, dz) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dz in (-1, 0, 1)]
    if n_cell < 3:  # every cell neighbours every other: visit each once
        offsets = sorted({(dx % n_cell, dy % n_cell, dz % n_cell) for dx, dy, dz in offsets})
    pos = np.empty((n, 3))
    for i in range(n):
        for _ in range(max_tries):
            trial = rng.uniform(0.0, box_length, 3)
            cx, cy, cz = (trial // cell_edge).astype(int) % n_cell
            near = [j for dx, dy, dz in offsets
                    for j in cells.get(((cx + dx) % n_cell, (cy + dy) % n_cell, (cz + dz) % n_cell), ())]
            if near:
                d = pos[near] - trial
                d -= box_length * np.round(d / box_length)
                if np.any(np.einsum("ij,ij->i", d, d) < min2[kind[i], kind[near]]):
                    continue
            pos[i] = trial
            cells.setdefault((cx, cy, cz), []).append(i)
            break
        else:
            raise RuntimeError(
                f"could not place atom {i} of {n} with {label} A "
                f"in a {box_length:.3f} A box after {max_tries} tries; lower min_separation")
    return Configuration(pos, species, box)


def min_distance(config: Configuration) -> float:
    """Smallest interatomic distance in A (minimum image, orthorhombic box)."""
    tree = cKDTree(config.wrapped(), boxsize=config.box)
    d, _ = tree.query(config.wrapped(), k=2)
    return float(d[:, 1].min())


def write_lammps_data(config: Configuration, path: str | Path, charges: dict[str, float],
                      types: dict[str, int] = TYPE_OF) -> Path:
    """Write ``config`` as a LAMMPS data file for ``atom_style charge``: atom types ``types`` (default
    silica's, Si=1, O=2), charges (e) by species."""
    path = Path(path)
    lines = ["silica-explorer configuration", "",
             f"{config.n_atoms} atoms", f"{len(types)} atom types", "",
             f"0.0 {config.box[0]:.12g} xlo xhi",
             f"0.0 {config.box[1]:.12g} ylo yhi",
             f"0.0 {config.box[2]:.12g} zlo zhi", "", "Atoms # charge", ""]
    wrapped = config.wrapped()
    for i, (s, x) in enumerate(zip(config.species, wrapped)):
        lines.append(f"{i + 1} {types[s]} {charges[s]:.12g} {x[0]:.12g} {x[1]:.12g} {x[2]:.12g}")
    if config.velocities is not None:
        lines += ["", "Velocities", ""]
        lines += [f"{i + 1} {v[0]:.12g} {v[1]:.12g} {v[2]:.12g}" for i, v in enumerate(config.velocities)]
    path.write_text("\n".join(lines) + "\n")
    return path


def read_lammps_data(path: str | Path, species_of_type: dict[int, str] = SPECIES_OF_TYPE) -> Configuration:
    """Read a LAMMPS data file (``atom_style charge``, orthorhombic box at origin), velocities if present;
    ``species_of_type`` names the atom types (default silica's)."""
    text = Path(path).read_text().splitlines()
    box = np.zeros(3)
    n_atoms = None
    sections: dict[str, list[str]] = {}
    current = None
    for line in text[1:]:
        s = line.split("#")[0].strip()
        if not s:
            continue
        words = s.split()
        if current is None and len(words) == 2 and words[1] == "atoms":
            n_atoms = int(words[0])
        elif len(words) == 4 and words[2:] in (["xlo", "xhi"], ["ylo", "yhi"], ["zlo", "zhi"]):
            k = "xyz".index(words[2][0])
            if abs(float(words[0])) > 1e-9 and k >= 0:
                # shift to origin
                box[k] = float(words[1]) - float(words[0])
            else:
                box[k] = float(words[1])
        elif words[0] in ("Atoms", "Velocities", "Masses"):
            current = words[0]
            sections[current] = []
        elif current is not None:
            sections[current].append(s)
    if n_atoms is None or "Atoms" not in sections:
        raise ValueError(f"{path}: not a LAMMPS data file with an Atoms section")
    atoms = np.array([[float(w) for w in row.split()[:6]] for row in sections["Atoms"]])
    order = np.argsort(atoms[:, 0])
    atoms = atoms[order]
    species = np.array([species_of_type[int(t)] for t in atoms[:, 1]])
    velocities = None
    if "Velocities" in sections:
        v = np.array([[float(w) for w in row.split()[:4]] for row in sections["Velocities"]])
        velocities = v[np.argsort(v[:, 0])][:, 1:4]
    return Configuration(atoms[:, 3:6], species, box, velocities)


@dataclasses.dataclass
class Trajectory:
    """Stored frames of one run: ``positions`` (n_frames, N, 3) A, ``species`` (N,), ``box`` (3,) A
    (constant volume), ``steps`` (n_frames,) MD step of each frame."""

    positions: np.ndarray
    species: np.ndarray
    box: np.ndarray
    steps: np.ndarray

    @property
    def n_frames(self) -> int:
        return len(self.positions)

    def frame(self, k: int) -> Configuration:
        return Configuration(self.positions[k], self.species, self.box)

    def __iter__(self):
        return (self.frame(k) for k in range(self.n_frames))


def read_lammps_dump(path: str | Path, species_of_type: dict[int, str] = SPECIES_OF_TYPE) -> Trajectory:
    """Read a LAMMPS ``dump custom`` file with columns ``id type x y z`` (any order, sorted by id);
    ``species_of_type`` names the atom types (default silica's)."""
    lines = Path(path).read_text().splitlines()
    frames, steps = [], []
    species = None
    box = None
    i = 0
    while i < len(lines):
        if lines[i].startswith("ITEM: TIMESTEP"):
            steps.append(int(lines[i + 1]))
            n = int(lines[i + 3])
            bounds = np.array([[float(w) for w in lines[i + 5 + k].split()[:2]] for k in range(3)])
            cols = lines[i + 8].split()[2:]
            data = np.array([[float(w) for w in row.split()] for row in lines[i + 9:i + 9 + n]])
            data = data[np.argsort(data[:, cols.index("id")])]
            xyz = data[:, [cols.index("x"), cols.index("y"), cols.index("z")]] - bounds[:, 0]
            if species is None:
                species = np.array([species_of_type[int(t)] for t in data[:, cols.index("type")]])
                box = bounds[:, 1] - bounds[:, 0]
            frames.append(xyz)
            i += 9 + n
        else:
            i += 1
    if not frames:
        raise ValueError(f"{path}: no frames found")
    return Trajectory(np.array(frames), species, box, np.array(steps))


def read_lammps_dump_frames(path: str | Path) -> list[Configuration]:
    """Read a LAMMPS ``dump custom`` file (columns ``id type x y z``, any order) whose box changes from
    frame to frame (NPT): one :class:`Configuration` per frame, sorted by id, each with its own box (A)
    and the origin moved to 0."""
    lines = Path(path).read_text().splitlines()
    frames = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("ITEM: TIMESTEP"):
            i += 1
            continue
        n = int(lines[i + 3])
        bounds = np.array([[float(w) for w in lines[i + 5 + k].split()[:2]] for k in range(3)])
        cols = lines[i + 8].split()[2:]
        data = np.array([[float(w) for w in ln.split()] for ln in lines[i + 9:i + 9 + n]]).reshape(n, len(cols))
        data = data[np.argsort(data[:, cols.index("id")])]
        xyz = data[:, [cols.index("x"), cols.index("y"), cols.index("z")]] - bounds[:, 0]
        species = np.array([SPECIES_OF_TYPE[int(t)] for t in data[:, cols.index("type")]])
        frames.append(Configuration(xyz, species, bounds[:, 1] - bounds[:, 0]))
        i += 9 + n
    if not frames:
        raise ValueError(f"{path}: no frames found")
    return frames
