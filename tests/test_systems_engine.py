"""Forcefields, LAMMPS tables/decks and random starts for any glass system (issue 27, step 2), and the
proof that silica's are unchanged."""

import json
from pathlib import Path

import pytest

from silica_deck_digests import all_cases

DIGESTS = Path(__file__).parent / "data" / "silica_deck_digests.json"


def test_silica_decks_tables_and_starts_are_byte_identical_to_before_the_generic_writers():
    """Every silica melt and quench deck (input, start.data, ff.table, pair lines) for every preset,
    fidelity / protocol and deck hashes to the digests committed before the generic writers existed."""
    before = json.loads(DIGESTS.read_text())
    now = all_cases()
    assert sorted(now) == sorted(before)
    changed = [(case, name) for case in before for name in before[case] if now[case][name] != before[case][name]]
    assert not changed, changed[:10]
