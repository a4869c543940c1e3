"""Reading a finished fit: what the evaluated points say about the parameters, after the optimizer is done.

Every analysis here refits the BO's Gaussian process to a run's stored points (:mod:`.surrogate`) and
reads it; nothing is stored and no MD runs. :mod:`silica_explorer.optimize` does not import this package.

- :mod:`.surrogate` - the points of a store run or of records, and :func:`~.surrogate.fit_surrogate`
  (the BO's GP fitted to them).
- :mod:`.gp_slices` - slices of the GP mean and std through the best point, one per free parameter,
  and a length-scale readout (constrained / weakly constrained / free).
- :mod:`.identifiability` - length scales in physical units and the Hessian eigen-directions of the
  GP mean near the best point (stiff and flat combinations), optionally against a known answer.
"""
