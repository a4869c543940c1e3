"""Readers of the user inputs every front end takes: a forcefield given as a preset name or a JSON file,
and a list of MD seeds given as text.

Both raise a ValueError (:class:`~silica_explorer.parameters.ParameterError` for forcefields) that names
the input and the forms it accepts. Used by the command line, the app, the scripts and the library
functions that accept either form.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from .forcefield import ForceField
from .parameters import ParameterError


def forcefield_from(spec: ForceField | str | os.PathLike, what: str = "forcefield") -> ForceField:
    """A :class:`ForceField` from ``spec``: a ForceField (returned as is), a path ending in ``.json``
    (any case; :meth:`ForceField.load`), or a preset name (case-insensitive; :meth:`ForceField.preset`).

    ``what`` names the input in the error for any other type (e.g. ``"base"``); an unknown preset raises
    ParameterError listing the available presets, a bad file one naming the file.
    """
    if isinstance(spec, ForceField):
        return spec
    if isinstance(spec, os.PathLike):
        return ForceField.load(spec)
    if not isinstance(spec, str):
        raise ParameterError(f"{what} must be a ForceField, a preset name or a forcefield JSON path, got "
                             f"{type(spec).__name__}")
    if spec.lower().endswith(".json"):
        return ForceField.load(Path(spec))
    return ForceField.preset(spec)


def parse_seeds(seeds: str | Iterable[int]) -> list[int]:
    """``"0,1,2"`` or ``"10-14"`` (ranges inclusive, items comma-separated) or a sequence -> list of
    distinct non-negative ints (ValueError naming ``seeds`` and the allowed forms otherwise)."""
    if isinstance(seeds, str):
        out = []
        for item in (s.strip() for s in seeds.split(",")):
            if not item:
                continue
            try:
                if "-" in item[1:]:
                    lo, hi = item.split("-", 1)
                    out.extend(range(int(lo), int(hi) + 1))
                else:
                    out.append(int(item))
            except ValueError:
                raise ValueError(f"seeds: bad item {item!r}; expected integers like '0,1,2' or '10-14'") from None
    else:
        out = [int(s) for s in seeds]
    if not out:
        raise ValueError("seeds: no MD seed given; need at least one integer >= 0")
    if any(s < 0 for s in out):
        raise ValueError(f"seeds must be integers >= 0, got {out}")
    if len(set(out)) != len(out):
        raise ValueError(f"seeds must be distinct, got {out}")
    return out
