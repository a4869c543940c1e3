"""SHA-256 digests of every silica LAMMPS file the engine writes (melt and quench decks: input script,
start.data, ff.table, for every preset, fidelity / quench protocol and deck), to prove the generic
(any-system) writers leave silica byte-identical. The committed digests in
``tests/data/silica_deck_digests.json`` were taken on the code BEFORE the generic writers existed
(``python tests/silica_deck_digests.py > tests/data/silica_deck_digests.json``)."""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

from silica_explorer.engine.lammps import write_melt_deck
from silica_explorer.engine.lammps_quench import write_quench_deck
from silica_explorer.engine.tables import DECKS, lammps_pair_lines
from silica_explorer.fidelity import FIDELITIES
from silica_explorer.forcefield import PRESETS
from silica_explorer.quench import QUENCH_PROTOCOLS


def digests_of(directory: Path) -> dict[str, str]:
    """File name -> SHA-256 hex digest of every file in ``directory``."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def melt_case(preset: str, fidelity: str, deck: str, seed: int = 3) -> dict[str, str]:
    """Digests of the melt deck of one case (plus the pair lines' text)."""
    with tempfile.TemporaryDirectory() as tmp:
        write_melt_deck(Path(tmp), PRESETS[preset], FIDELITIES[fidelity], seed, deck=deck)
        out = digests_of(Path(tmp))
    text = "\n".join(lammps_pair_lines(PRESETS[preset], "ff.table", FIDELITIES[fidelity].table_points, deck=deck))
    out["pair_lines"] = hashlib.sha256(text.encode()).hexdigest()
    return out


def quench_case(preset: str, protocol: str, deck: str, seed: int = 3) -> dict[str, str]:
    """Digests of the quench deck of one case."""
    with tempfile.TemporaryDirectory() as tmp:
        write_quench_deck(Path(tmp), PRESETS[preset], QUENCH_PROTOCOLS[protocol], seed, deck=deck)
        return digests_of(Path(tmp))


def all_cases() -> dict[str, dict[str, str]]:
    """Every case by ``kind/preset/fidelity-or-protocol/deck``."""
    out = {}
    for preset in PRESETS:
        for deck in DECKS:
            for fid in FIDELITIES:
                out[f"melt/{preset}/{fid}/{deck}"] = melt_case(preset, fid, deck)
            for prot in ("tiny", "quick"):
                out[f"quench/{preset}/{prot}/{deck}"] = quench_case(preset, prot, deck)
    return out


if __name__ == "__main__":
    json.dump(all_cases(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
