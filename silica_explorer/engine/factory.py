"""Engines by name: the table of known engines (:data:`ENGINES`) and :func:`get_engine`, the one place
that imports the engine modules."""

from __future__ import annotations

from .base import Engine


#: Engine names :func:`get_engine` knows.
ENGINES: tuple[str, ...] = ("lammps", "hoomd")


def check_engine_name(name: str) -> str:
    """``name`` if it is one of :data:`ENGINES`, else ValueError naming the available engines."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; available: {list(ENGINES)}")
    return name


def get_engine(name: str = "lammps", **options) -> Engine:
    """An engine by name; options go to its constructor (LAMMPS: ``threads``, ``mpi_ranks``, ...;
    HOOMD: ``device``, ``threads``, ...). ``"hoomd"`` raises a one-line ValueError when HOOMD-blue is
    not importable, older than 4, or a requested GPU is missing."""
    check_engine_name(name)
    if name == "lammps":
        from .lammps import LammpsEngine
        return LammpsEngine(**options)
    from .hoomd import HoomdEngine
    return HoomdEngine(**options)
