"""Identifiability at tiny fidelity: can the project's BO recover two parameters that are known?

Truth: CHIK. Synthetic reference: its tiny liquid averaged over MD seeds 0 and 1
(:func:`silica_explorer.synthetic.synthetic_reference`). Free: q_Si and A_SiO (box 1.7-2.3 e x
24000-34000 eV), the other 8 parameters fixed at the truth; the BO (no preset starts: CHIK itself is a
preset) starts from q_Si 2.15 e, A_SiO 31000 eV (+13 % and +15 % off) and has 20 melts at MD seed 5
(not a reference seed). Same configuration as ``benchmarks/identifiability_tiny.py``.

Measured at tiny (``nice -n 19 python benchmarks/identifiability_tiny.py``, 2026-12-02; percentages are
R_x in %):

- seed-to-seed noise: R_x of the truth against the reference on MD seeds 2-9 is 7.66 +- 0.47 (std;
  range 7.03-8.22). That is the floor a fit can reach; at seed 5 it is 8.22, the start's 28.05.
- 1-D scans through the truth (seed 5): q_Si x0.95 / x1.05 -> 9.80 / 9.33 (+1.6 / +1.1), x0.9 / x1.1 ->
  12.89 / 13.89; A_SiO x0.9 / x1.1 -> 42.8 / 27.2, x0.75 -> melt collapses. So a rise of R_x by 2 std
  (0.94) takes about 4 % of q_Si but only 2 % of A_SiO: A_SiO (at fixed rho_SiO) is stiff, q_Si soft.
- BO fits (this test's configuration) at MD seeds 5, 6, 7: relative errors q_Si +7.2, +3.1, +4.9 %,
  A_SiO +2.2, +0.8, +1.6 %; best R_x 7.41, 7.31, 6.70 against the truth's 8.22, 8.05, 7.27 at the same
  seed. The fixed-seed minimum is not the truth: the fit finds sets that match the reference better
  than the truth does on that seed's liquid (by 0.6-0.8, more than one std), and on all three seeds it
  errs the same way (q_Si and A_SiO both high, along the correlated q_Si-A_SiO valley), so at tiny
  the recovery error is a bias of a few % in q_Si, not only symmetric noise.

Tolerances from those numbers: A_SiO within TOL_A = 4 % (about twice both its 2-std resolution of
2 % and the largest error seen, 2.2 %); q_Si within TOL_Q = 10 % (about twice its 2-std 1-D resolution
of 4 %; largest error seen 7.2 %; a tighter bound would test the seed, not the tool). Both stay well
inside the start's offsets (+13 %, +15 %), and each coordinate must end closer to the truth than the
start. The best R_x must be within 2 std (0.94) of the truth's at the fit's seed: the fit reached the
valley floor, not merely improved.
"""

import numpy as np
import pytest

from silica_explorer.evaluate import Evaluator
from silica_explorer.forcefield import ForceField
from silica_explorer.optimize import SearchSpace, fit
from silica_explorer.synthetic import synthetic_reference

TRUTH = ForceField.preset("CHIK")
FREE = ("q_Si", "A_SiO")
BOUNDS = {"q_Si": (1.7, 2.3), "A_SiO": (24000.0, 34000.0)}
START = TRUTH.replace(q_Si=2.15, A_SiO=31000.0, name="CHIK with q_Si 2.15, A_SiO 31000")
MD_SEED, BUDGET = 5, 20
NOISE_STD = 0.0047  # seed-to-seed std of R_x at the truth (fraction), measured above
TOL_Q, TOL_A = 0.10, 0.04  # relative errors (see the docstring)


def test_bo_recovers_known_parameters_at_tiny(engine):
    ref = synthetic_reference(TRUTH, "tiny", (0, 1), engine)
    ev = Evaluator(ref, "tiny", engine=engine)
    r_truth = ev(TRUTH, seed=MD_SEED).R_x
    r_start = ev(START, seed=MD_SEED).R_x
    assert r_truth < r_start - 10 * NOISE_STD  # the reference tells the truth from the start
    space = SearchSpace(FREE, BOUNDS, base=START, coords="box")
    # the design the tolerances were measured with: BKS, then 5 Sobol points
    res = fit(ev, space, "bo", BUDGET, seed=0, md_seed=MD_SEED,
              options={"preset_starts": False, "n_initial": 5, "starts_fill_design": False})
    assert res.objective.entries[0]["params"] == pytest.approx({n: getattr(START, n) for n in FREE})
    best = res.best_params
    err = {n: (best[n] - getattr(TRUTH, n)) / getattr(TRUTH, n) for n in FREE}
    start_err = {n: (getattr(START, n) - getattr(TRUTH, n)) / getattr(TRUTH, n) for n in FREE}
    assert res.best_R_x <= r_truth + 2 * NOISE_STD, (res.best_R_x, r_truth)
    for n in FREE:
        assert abs(err[n]) < abs(start_err[n]), (n, err, start_err)
    assert abs(err["A_SiO"]) < TOL_A, err
    assert abs(err["q_Si"]) < TOL_Q, err
    assert np.isfinite(res.best_R_x)
