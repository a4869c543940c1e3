"""The landscape as a value: :class:`Axis`, :class:`Window` and :class:`Landscape` (two parameters on a
grid, the others at a base forcefield), and the key of one grid point (:func:`point_key`).

A :class:`Landscape` holds what defines the grid (axes, windows, seeds, base forcefield, fidelity) and
answers questions about it (its points, the forcefield at a point, a point's key, the resume header).
The functions that act on it take it as their first argument:
:func:`~silica_explorer.landscape.compute.compute_windows`, :func:`~silica_explorer.landscape.paths.optimizer_paths`,
:func:`~silica_explorer.landscape.files.to_datatree`.

Units: parameters as in :data:`silica_explorer.parameters.UNITS`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import xarray as xr

from ..engine import check_engine_name
from ..fidelity import Fidelity, get_fidelity
from ..forcefield import ForceField
from ..parameters import FREE_PARAMETERS, ParameterError

#: ``progress(done_points, total_points, text)`` - same shape as the engine's progress callback.
ProgressCallback = Callable[[int, int, str], None]


def format_value(v: float) -> str:
    """A grid value as text with 10 significant digits (as in point keys and forcefield names)."""
    return f"{float(v):.10g}"


def clean_value(v: float) -> float:
    """A grid value rounded to 10 significant digits (so 1.9 from two linspaces is the same float)."""
    return float(format_value(v))


def point_key(x_name: str, x: float, y_name: str, y: float, seed: int) -> str:
    """The key of one grid point and seed, e.g. ``q_Si=1.9,A_SiO=20000,seed=0`` (values with 10
    significant digits, in the parameters' units)."""
    return f"{x_name}={format_value(x)},{y_name}={format_value(y)},seed={int(seed)}"


@dataclasses.dataclass(frozen=True)
class Axis:
    """One grid axis: parameter ``name`` from ``start`` to ``stop`` (inclusive, in the parameter's
    units) in ``n`` evenly spaced points."""

    name: str
    start: float
    stop: float
    n: int

    def __post_init__(self) -> None:
        if self.name not in ForceField.parameter_names():
            raise ParameterError(f"unknown parameter {self.name!r}; allowed: {list(FREE_PARAMETERS)}")
        try:
            start, stop, n = float(self.start), float(self.stop), int(self.n)
        except (TypeError, ValueError):
            raise ValueError(f"axis {self.name}: start, stop must be numbers and n an integer, got "
                             f"{self.start!r}, {self.stop!r}, {self.n!r}") from None
        if not (math.isfinite(start) and math.isfinite(stop)):
            raise ValueError(f"axis {self.name}: start and stop must be finite")
        if n < 1 or (n > 1 and not stop > start) or (n == 1 and stop != start):
            raise ValueError(f"axis {self.name}: need n >= 2 and stop > start (or n = 1 and start = stop), "
                             f"got {start:g}:{stop:g}:{n}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "stop", stop)
        object.__setattr__(self, "n", n)

    @classmethod
    def parse(cls, spec: "Axis | str | Sequence") -> "Axis":
        """From an Axis, a tuple ``(name, start, stop, n)`` or a string ``"name:start:stop:n"``."""
        if isinstance(spec, Axis):
            return spec
        if isinstance(spec, str):
            parts = spec.split(":")
            if len(parts) != 4:
                raise ValueError(f"axis {spec!r} must look like NAME:START:STOP:N, e.g. q_Si:1.6:2.6:21")
            name, start, stop, n = parts
            try:
                return cls(name.strip(), float(start), float(stop), int(n))
            except ValueError as exc:
                if "axis" in str(exc) or "parameter" in str(exc):
                    raise
                raise ValueError(f"axis {spec!r} must look like NAME:START:STOP:N with numbers, "
                                 "e.g. q_Si:1.6:2.6:21") from None
        if len(spec) != 4:
            raise ValueError(f"axis {spec!r} must be (name, start, stop, n)")
        return cls(*spec)

    @property
    def values(self) -> np.ndarray:
        return np.array([clean_value(v) for v in np.linspace(self.start, self.stop, self.n)])

    @property
    def step(self) -> float:
        return (self.stop - self.start) / (self.n - 1) if self.n > 1 else 0.0

    def __str__(self) -> str:
        return f"{self.name}:{self.start:g}:{self.stop:g}:{self.n}"


@dataclasses.dataclass(frozen=True)
class Window:
    """A named rectangular grid over two parameters."""

    name: str
    x: Axis
    y: Axis


class Landscape:
    """The grid of an R_x landscape: two parameters ``x`` and ``y`` with all others fixed at ``base``.

    Parameters: ``x``, ``y`` axes as ``(name, start, stop, n)``, ``"name:start:stop:n"`` or
    :class:`Axis` (units of the parameter, see :data:`~silica_explorer.parameters.UNITS`); ``base`` a
    preset name or :class:`~silica_explorer.forcefield.ForceField`; ``fidelity`` preset name or
    :class:`~silica_explorer.fidelity.Fidelity` of every evaluation; ``seeds`` evaluated at every
    point (their spread measures the noise); ``zoom`` finer sub-windows, each ``(x_axis, y_axis)``
    (also :meth:`zoom`); ``reference`` default reference for
    :func:`~silica_explorer.landscape.compute.compute_windows` without a cost; ``engine`` the MD engine
    of that default cost (``"lammps"`` or ``"hoomd"``).

    Every point of every window is checked to build a valid forcefield before any MD runs. Compute it
    with :func:`~silica_explorer.landscape.compute.compute_windows`, walk optimizers over it with
    :func:`~silica_explorer.landscape.paths.optimizer_paths`.
    """

    def __init__(self, x, y, base: str | ForceField = "BKS", fidelity: str | Fidelity = "quick",
                 seeds: Sequence[int] | int = (0,), zoom: Iterable | None = None,
                 reference: Any = None, engine: str = "lammps"):
        self.engine = check_engine_name(engine)
        self.x = Axis.parse(x)
        self.y = Axis.parse(y)
        if self.x.name == self.y.name:
            raise ValueError(f"x and y are the same parameter {self.x.name!r}")
        if isinstance(base, ForceField):
            self.base, self.base_name = base, base.name
        else:
            self.base, self.base_name = ForceField.preset(base), ForceField.preset(base).name
        self.fidelity = get_fidelity(fidelity)
        seeds = [int(seeds)] if isinstance(seeds, (int, np.integer)) else [int(s) for s in seeds]
        if not seeds or len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be one or more distinct integers, got {seeds}")
        self.seeds = tuple(seeds)
        self.reference = reference
        self.windows: list[Window] = [Window("full", self.x, self.y)]
        for z in zoom or ():
            if isinstance(z, Window):
                self.zoom(z.x, z.y, name=z.name)
            else:
                self.zoom(*z)
        # check every point of every window builds a valid forcefield before any MD runs
        for w in self.windows:
            for xv in (w.x.values[0], w.x.values[-1]):
                for yv in (w.y.values[0], w.y.values[-1]):
                    self.forcefield(xv, yv)

    # ----------------------------------------------------------------------------- windows
    def zoom(self, x, y, name: str | None = None) -> "Landscape":
        """Add a finer sub-window (same two parameters, inside the full window, smaller steps).
        Named ``zoom``, ``zoom2``, ... unless ``name`` is given. Returns ``self``."""
        x, y = Axis.parse(x), Axis.parse(y)
        if (x.name, y.name) == (self.y.name, self.x.name):
            x, y = y, x
        if (x.name, y.name) != (self.x.name, self.y.name):
            raise ValueError(f"zoom axes ({x.name}, {y.name}) must be the landscape's ({self.x.name}, {self.y.name})")
        for z, full in ((x, self.x), (y, self.y)):
            tol = 1e-9 * max(1.0, abs(full.stop - full.start))
            if z.start < full.start - tol or z.stop > full.stop + tol:
                raise ValueError(f"zoom {z} lies outside the full window {full}")
            if z.n > 1 and full.n > 1 and not z.step < full.step * (1 - 1e-9):
                raise ValueError(f"zoom {z} has step {z.step:g}, not finer than the full window's {full.step:g}")
        existing = [w.name for w in self.windows]
        if name is None:
            name = "zoom" if "zoom" not in existing else f"zoom{len(existing)}"
        if name in existing or not name.isidentifier() or name == "paths":
            raise ValueError(f"window name {name!r} is taken or not a valid identifier")
        self.windows.append(Window(name, x, y))
        return self

    def zoom_around(self, full: xr.Dataset, steps: int = 2, refine: int = 2, name: str | None = None,
                    var: str = "R_x_mean") -> "Landscape":
        """Add a zoom window centred on the lowest ``var`` of a computed full window (the paper's
        Fig. 4b): ``steps`` full-grid steps either side (shifted to stay inside the full window),
        ``refine`` times finer, so every ``refine``-th zoom point is a full-grid point (reused, not
        re-run). Returns ``self``; raises ValueError when ``full`` has no finite ``var``."""
        if steps < 1 or refine < 2:
            raise ValueError(f"need steps >= 1 and refine >= 2, got steps={steps}, refine={refine}")
        da = full[var]
        if "seed" in da.dims:
            da = da.mean("seed")
        if not bool(da.notnull().any()):
            raise ValueError("cannot zoom around the minimum: no finite R_x in the full window yet")
        best = da.isel(da.fillna(np.inf).argmin(...))
        axes = []
        for ax in (self.x, self.y):
            c = int(np.argmin(np.abs(ax.values - float(best[ax.name]))))
            lo = min(max(c - steps, 0), max(ax.n - 1 - 2 * steps, 0))
            hi = min(lo + 2 * steps, ax.n - 1)
            axes.append(Axis(ax.name, ax.values[lo], ax.values[hi], (hi - lo) * refine + 1))
        return self.zoom(axes[0], axes[1], name=name)

    def forcefield(self, x: float, y: float) -> ForceField:
        """The forcefield at grid point (x, y): ``base`` with the two parameters replaced."""
        ff = self.base.replace(**{self.x.name: float(x), self.y.name: float(y)})
        return dataclasses.replace(
            ff, name=f"{self.base_name} {self.x.name}={format_value(x)} {self.y.name}={format_value(y)}")

    def key(self, x: float, y: float, seed: int) -> str:
        """The point key of (x, y, seed) (see :func:`point_key`)."""
        return point_key(self.x.name, x, self.y.name, y, seed)

    def points(self) -> list[tuple[str, float, float, int]]:
        """Unique ``(key, x, y, seed)`` of all windows, full window first."""
        seen, out = set(), []
        for w in self.windows:
            for yv in w.y.values:
                for xv in w.x.values:
                    for s in self.seeds:
                        k = self.key(xv, yv, s)
                        if k not in seen:
                            seen.add(k)
                            out.append((k, float(xv), float(yv), s))
        return out

    def header(self, reference_name: str, reference_id: str = "unknown", cost_options: Mapping | None = None) -> dict:
        """The JSON header of this landscape's resume sidecar (what a resumed computation must share
        with it): the two parameter names, the other base parameters, the fidelity, the reference
        (label and content hash ``reference_id``) and the cost options (r range in A, alignment)."""
        base = self.base.as_dict()
        base.pop("name", None)
        base.pop(self.x.name)
        base.pop(self.y.name)
        header = {"x_param": self.x.name, "y_param": self.y.name, "base_parameters": base,
                  "fidelity": self.fidelity.as_dict(), "reference": reference_name, "reference_id": reference_id,
                  "cost_options": dict(cost_options or {})}
        return json.loads(json.dumps(header))  # tuples -> lists, as read back from the sidecar
