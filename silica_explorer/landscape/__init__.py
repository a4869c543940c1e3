"""Cost landscapes: R_x on a grid of two forcefield parameters, the others fixed at a base preset.

A :class:`Landscape` is a value (axes, windows, seeds, base forcefield, fidelity); functions take it:
:func:`compute_windows` computes it, :func:`optimizer_paths` walks optimizers over it, and the file
is read with :func:`open_landscape`.

This is the paper's Fig. 4 (Liu et al. 2019): R_x over (q_Si, A_SiO) with the other 8 parameters at
their BKS values - rough, and rougher when zoomed in (Fig. 4b)::

    ls = Landscape(x=("q_Si", 1.6, 2.6, 21), y=("A_SiO", 12000, 30000, 21), base="BKS",
                   fidelity="quick", seeds=(0,))
    ls.zoom(x=("q_Si", 1.9, 2.1, 11), y=("A_SiO", 17000, 21000, 11))      # finer sub-window
    with DaskExecutor(workers=2) as ex:
        tree = compute_windows(ls, reference="data/reference/sio2_3600K_chgnet.nc", executor=ex,
                               out="landscape.nc", progress=callback)
    tree["full"].ds.R_x.sel(seed=0).plot()       # dims (seed, A_SiO, q_Si)

**File layout** (netCDF4 with groups, read with :func:`open_landscape` or
``xarray.open_datatree``; a single window with ``xarray.open_dataset(path, group="full")``):

- ``/`` attributes only: provenance (base preset and full base parameters JSON, fidelity JSON, seeds,
  reference (label without this machine's absolute path, and content hash ``reference_id``), engine
  version, silica_explorer version, wall times, executor workers/threads/cores). Files written before
  the label became portable carry an absolute path there; they read and resume the same.
- ``/full`` and one group per zoom window (``/zoom``, then ``/zoom2``, ``/zoom3``, ...): a Dataset with
  dims ``seed``, ``<y param>``, ``<x param>`` (e.g. ``A_SiO``, ``q_Si``; coordinates carry ``units``)
  and ``pair`` (SiSi, SiO, OO); variables ``R_x`` (seed, y, x; fraction, NaN unless status is ok),
  ``chi`` (pair, seed, y, x; sqrt(chi2) per pair, fraction), ``status`` ("ok", "failed" or "pending"),
  ``reason`` (why a point failed, "" otherwise), ``wall_time_s`` (s per evaluation), and over seeds
  ``R_x_mean``, ``R_x_std`` (NaN with fewer than 2 ok seeds) and ``n_ok`` (y, x).
- ``/paths/<method>`` (``bo``, ``cg``, ...): optimizer paths from one start over the same 2-D problem,
  dim ``iter`` with the two parameters, ``R_x``, ``status`` and ``best_R_x`` (running minimum) per
  evaluation in order (see :func:`optimizer_paths`).

**Resuming.** Every finished point is appended (and fsync'ed) to a sidecar ``<out>.points.jsonl``
as it completes; the netCDF is rebuilt from it every ``write_every_s`` seconds and at the end
(atomically: written to a temporary file, then renamed). After a crash or ``kill -9`` at most the
evaluations in flight are lost: ``compute_windows(..., resume=True)`` (the default) skips every point in the
sidecar (or, without a sidecar, every finished point in an existing ``out``). Points are keyed by
their two parameter values (10 significant digits) and seed, so a zoom window reuses the full grid's
points where they coincide, and an extended grid reuses the old one. Resuming against a different
base forcefield, fidelity, reference or parameter pair is refused.

Units: parameters as in :data:`silica_explorer.parameters.UNITS`; R_x and chi are fractions (x100
for %); times in s.

Modules, each importing only those before it: :mod:`.landscape` (the value: :class:`Axis`,
:class:`Window`, :class:`Landscape`, :func:`point_key`), :mod:`.files` (Datasets, the DataTree and
netCDF reading/writing), :mod:`.sidecar` (the resume file), :mod:`.compute` (:func:`compute_windows`),
:mod:`.paths` (:func:`optimizer_paths`), :mod:`.roughness` (roughness measures), :mod:`.profile`
(:func:`~silica_explorer.landscape.profile.line_profile`). A point's record is
:func:`silica_explorer.evaluate.point_record`. The synthetic stand-in cost :class:`SyntheticCost`
lives with the other stand-ins in :mod:`silica_explorer.standins` and is re-exported here.
"""

from ..evaluate import point_record
from ..standins import SyntheticCost
from .compute import compute_windows
from .files import atomic_write, open_landscape, paths_dataset, to_datatree, window_dataset
from .landscape import Axis, Landscape, ProgressCallback, Window, point_key
from .paths import optimizer_paths
from .roughness import high_frequency_power, local_minima_fraction, roughness
from .sidecar import portable_label, sidecar_path

__all__ = ["Axis", "Window", "Landscape", "compute_windows", "optimizer_paths", "open_landscape", "to_datatree",
           "window_dataset", "paths_dataset", "atomic_write", "point_record", "SyntheticCost",
           "local_minima_fraction", "high_frequency_power", "roughness", "sidecar_path", "point_key",
           "portable_label", "ProgressCallback"]
