"""line_profile against values known on synthetic windows (no MD)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from silica_explorer.landscape.profile import line_profile


def window(seeds=2, fail=None):
    x = np.linspace(1.6, 2.6, 11)
    y = np.linspace(12000.0, 30000.0, 7)
    X, Y = np.meshgrid(x, y)  # (y, x)
    plane = 0.1 + 0.2 * (X - 1.6) + 1e-6 * (Y - 12000.0)  # R_x fraction, linear: bilinear is exact
    per_seed = np.stack([plane + 0.01 * k for k in range(seeds)])
    if fail is not None:
        per_seed[:, fail[0], fail[1]] = np.nan
    ds = xr.Dataset({"R_x": (("seed", "A_SiO", "q_Si"), per_seed)},
                    coords={"seed": np.arange(seeds), "A_SiO": y, "q_Si": x},
                    attrs={"x_param": "q_Si", "y_param": "A_SiO"})
    ds["R_x_mean"] = ds.R_x.mean("seed", skipna=False)
    ds["R_x_std"] = ds.R_x.std("seed", ddof=1) if seeds > 1 else ds.R_x_mean * np.nan
    ds["n_ok"] = np.isfinite(ds.R_x).sum("seed")
    return ds


def test_profile_of_a_plane_is_exact_and_has_seed_errors():
    ds = window()
    p = line_profile(ds, (1.6, 12000.0), (2.6, 30000.0), n=21)
    truth = 100 * (0.1 + 0.2 * (p.x - 1.6) + 1e-6 * (p.y - 12000.0) + 0.005)  # mean of seeds 0, 1
    assert np.allclose(p.R_x, truth)
    assert np.allclose(p.R_x_err, 100 * 0.01 / np.sqrt(2))  # std (ddof 1) of two values 0.01 apart
    assert not p.failed.any()
    one = line_profile(window(seeds=1), (1.6, 12000.0), (2.6, 30000.0), n=5)
    assert np.isnan(one.R_x_err).all()
    seed1 = line_profile(ds, (1.6, 12000.0), (2.6, 12000.0), n=11, var="R_x", seed=1)
    assert np.allclose(seed1.R_x, 100 * ds.R_x.sel(seed=1, A_SiO=12000.0).values)  # on nodes: the grid values


def test_failed_cells_are_marked_not_interpolated():
    ds = window(fail=(3, 5))  # node A_SiO = 21000, q_Si = 2.1
    p = line_profile(ds, (1.6, 21000.0), (2.6, 21000.0), n=41)
    near = np.isclose(p.x, 2.1, atol=0.0125)
    assert p.failed.values[near].all() and not p.failed.values[~np.isclose(p.x, 2.1, atol=0.06)].any()
    assert np.isnan(p.R_x.values[(p.x > 2.0) & (p.x < 2.2)]).all()  # no value invented across the failure
    assert np.isfinite(p.R_x.values[p.x < 1.99]).all()


def test_line_is_clipped_and_n_checked():
    p = line_profile(window(), (0.0, 0.0), (9.0, 99999.0), n=3)
    assert p.x.min() >= 1.6 and p.x.max() <= 2.6 and p.y.max() <= 30000.0
    with pytest.raises(ValueError, match="n \\(points along the line\\)"):
        line_profile(window(), (1.6, 12000.0), (2.6, 30000.0), n=1)
