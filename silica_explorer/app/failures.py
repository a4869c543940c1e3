"""Failed evaluations grouped by kind, for people: "80 failed: 80 overlap (pair closer than 0.5 A)".

Every engine writes a failure reason as ``"<kind>: <details>"`` (``overlap``, ``lost atoms``, ``setup``,
``engine error``, ``nan``, a thermo or temperature check, ...). The views show one line of counts per
kind and keep the raw engine text (LAMMPS error lines with source locations) for whoever asks for it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Iterable

#: Plain-language names of the kinds the engines report (others are shown as written).
KIND_LABELS = {
    "overlap": "overlap (pair closer than {r} A)",
    "lost atoms": "lost atoms (the system blew up)",
    "setup": "setup error",
    "engine error": "engine error",
    "nan": "non-finite cost",
    "timeout": "time limit",
}
_CLOSER = re.compile(r"closer than ([0-9.]+) ?A")


def failure_kind(reason: str | None) -> str:
    """The kind of a failure reason: the text before its first ``:`` (short words only), else
    ``"other"``; ``None``/empty -> ``"no reason recorded"``."""
    if not reason:
        return "no reason recorded"
    known = next((k for k in KIND_LABELS if reason.lower().startswith(k)), None)
    if known is not None:
        return known
    head = reason.split(":", 1)[0].strip()
    return head if ":" in reason and 0 < len(head) <= 24 and not head[0].isdigit() else "other"


def kind_label(kind: str, reasons: Iterable[str]) -> str:
    """The plain-language label of ``kind`` (``overlap`` names the distance its reasons give)."""
    label = KIND_LABELS.get(kind, kind)
    if "{r}" in label:
        found = {m.group(1) for r in reasons if r for m in [_CLOSER.search(r)] if m}
        label = label.format(r=found.pop()) if len(found) == 1 else "overlap (pair closer than the table start)"
    return label


def failure_summary(failed: list[tuple[int, str | None]]) -> str:
    """``failed``: (evaluation number, reason) pairs -> ``"80 failed: 80 overlap (pair closer than 0.5 A)"``
    (kinds by count, most first); empty string when nothing failed."""
    if not failed:
        return ""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for _, reason in failed:
        by_kind[failure_kind(reason)].append(reason or "")
    parts = [f"{len(rs)} {kind_label(k, rs)}" for k, rs in sorted(by_kind.items(), key=lambda kv: -len(kv[1]))]
    return f"{len(failed)} failed: " + ", ".join(parts)


def raw_messages(failed: list[tuple[int, str | None]], max_numbers: int = 12) -> str:
    """Markdown list of the distinct raw reasons with their counts and evaluation numbers (the engine's
    own text, on demand)."""
    count = Counter(r or "no reason recorded" for _, r in failed)
    where: dict[str, list[int]] = defaultdict(list)
    for i, r in failed:
        where[r or "no reason recorded"].append(i)
    lines = []
    for reason, n in count.most_common():
        nums = where[reason]
        shown = ", ".join(f"#{i}" for i in nums[:max_numbers]) + (", ..." if len(nums) > max_numbers else "")
        lines.append(f"- {n} x `{reason}` ({shown})")
    return "\n".join(lines)
