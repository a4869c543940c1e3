"""GP slices and length-scale readout of a run's evaluated points (for reading d > 2 fits).

The model is the BO's GP refitted to the run's successful points (:func:`~.surrogate.fit_surrogate`,
unit-box coordinates of the run's search space).

- :func:`gp_slices` - one curve per free parameter through a point (default: the best), with the
  model's mean and standard deviation, as an xarray Dataset (R_x in %, parameter values in their units).
- :func:`length_scales` and :func:`constraint_readout` - which parameters the data constrain (short
  length scale: R_x changes within a fraction of the search range) and which they leave free.
"""

from __future__ import annotations

import json
from typing import Mapping

import numpy as np
import xarray as xr

from ..optimize import gp
from ..optimize.bayes import BayesianOptimizer
from ..parameters import UNITS

#: Unit-box length scales below TIGHT (the search range): "constrained"; above LOOSE: "left free" (in
#: between: "weakly constrained"). For the Matern 5/2 kernel the correlation of R_x across the whole
#: range is 0.52 at a length scale of 1 and 0.97 at 4, i.e. R_x barely changes.
TIGHT = 1.0
LOOSE = 4.0


def length_scales(model: BayesianOptimizer) -> dict[str, float]:
    """Fitted Matern length scale of each free parameter, in unit-box lengths (1 = the search range)."""
    ls = gp.length_scales(model.kernel_, model.space.dim)
    return dict(zip(model.space.names, (float(v) for v in ls)))


def gp_slices(model: BayesianOptimizer, u_center=None, n: int = 41) -> xr.Dataset:
    """Mean and std of the GP along each free parameter through ``u_center`` (unit coordinates; default
    the best successful point the model was fitted to), the other parameters held there.

    Returns a Dataset over (``parameter``, ``t``): ``u`` (unit coordinate along the slice), ``value``
    (the parameter's value; units in the JSON attr ``parameter_units``), ``mean`` and ``std`` (R_x in %), and the
    centre's ``center_u``/``center_value`` per parameter."""
    space = model.space
    X = model.gp_.X_train_
    if u_center is None:
        y = model.gp_.y_train_ * np.atleast_1d(model.gp_._y_train_std)[0] + np.atleast_1d(model.gp_._y_train_mean)[0]
        u_center = X[int(np.argmin(y))]
    c = np.asarray(u_center, dtype=float)
    t = np.linspace(0.0, 1.0, int(n))
    d = space.dim
    mean = np.empty((d, t.size))
    std = np.empty((d, t.size))
    value = np.empty((d, t.size))
    for i in range(d):
        U = np.repeat(c[None, :], t.size, axis=0)
        U[:, i] = t
        m, s = model.predict(U, unit=True)
        mean[i], std[i] = 100 * m, 100 * s
        value[i] = space.from_unit(U)[:, i]
    names = list(space.names)
    ds = xr.Dataset(
        {"u": (("parameter", "t"), np.repeat(t[None, :], d, axis=0)),
         "value": (("parameter", "t"), value),
         "mean": (("parameter", "t"), mean, {"units": "%", "long_name": "GP mean of R_x"}),
         "std": (("parameter", "t"), std, {"units": "%", "long_name": "GP standard deviation of R_x"}),
         "center_u": ("parameter", c),
         "center_value": ("parameter", space.from_unit(c))},
        coords={"parameter": names, "t": t})
    ds.attrs["parameter_units"] = json.dumps({n_: UNITS[n_] for n_ in names})
    return ds


def constraint_readout(scales: Mapping[str, float], tight: float = TIGHT, loose: float = LOOSE) -> list[dict]:
    """Plain-language verdict per parameter from its length scale ``scales[name]`` (unit-box lengths),
    most constrained first: ``{"parameter", "length_scale", "verdict", "text"}`` with verdict
    ``constrained`` (< ``tight``), ``weakly constrained`` or ``free`` (> ``loose``)."""
    out = []
    for name, ls in sorted(scales.items(), key=lambda kv: kv[1]):
        if ls < tight:
            verdict = "constrained"
            text = (f"{name}: constrained - R_x changes within {100 * ls:.0f} % of its search range, so the "
                    "data pin it down")
        elif ls > loose:
            verdict = "free"
            text = (f"{name}: left free - R_x hardly changes across its whole search range (length scale "
                    f"{ls:.1f} x the range); the data do not determine it")
        else:
            verdict = "weakly constrained"
            text = (f"{name}: weakly constrained - R_x changes slowly, over {ls:.1f} x its search range")
        out.append({"parameter": name, "length_scale": float(ls), "verdict": verdict, "text": text})
    return out
