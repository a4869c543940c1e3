"""Which optimizer ``silica-explorer fit --optimizer auto`` (the default) runs, and why.

The choice follows the measured studies of issue #12 (``data/results/README.md``, "Choosing the
optimizer"), all with real MD at quick fidelity next to the same baseline:

- **d <= 4 with an MD evaluator** (the partial PDFs are available): ``composite`` - BO on a PCA + GP
  surrogate of the partial PDFs, R_x and EI computed from the predicted PDFs. In the 2-parameter study
  (5 seeds, 20 melts, the valley floor near 10.4-10.5 %) its median best R_x is 10.70 % (every seed
  below 11 %, each below 11.5 % after 13-15 melts), against 11.73 % for scalar BO with its
  earlier design (2 of 5 seeds below 11.5 %). Its proposal refits one GP per PDF component (up to 15), which stays cheap at the budgets
  of small d; no study above d = 2 backs the bound 4.
- **d >= 5**: ``turbo+cg`` - trust-region BO (TuRBO-1), then CG from its best point. It produced both
  shipped fits (7 and 10 parameters), and on the 7-D stand-in it beats global BO (median 14.2 % against
  25.2 %). Its local GP never sees more than 256 points, so proposals stay cheap at 600 evaluations.
- **otherwise** (a scalar stand-in cost, or scalar-GP options such as ``--failure-policy constrained``
  or ``--y-transform log`` given): ``bo``, whose start points fill its initial design (10.85 % in the
  same 2-parameter study).
"""

from __future__ import annotations

#: largest number of free parameters for which ``auto`` picks composite BO
AUTO_COMPOSITE_MAX_DIM = 4
#: smallest number of free parameters for which ``auto`` picks TuRBO + CG
AUTO_TURBO_MIN_DIM = 5


def auto_optimizer(dim: int, has_pdfs: bool, scalar_gp_options: bool = False) -> tuple[str, str]:
    """``(optimizer name, reason)`` for ``dim`` free parameters. ``has_pdfs``: the cost returns partial
    PDFs (an MD :class:`~silica_explorer.evaluate.Evaluator` or the PDF stand-in); ``scalar_gp_options``:
    the user set options that only a scalar GP takes (failure policy, y transform)."""
    if dim < 1:
        raise ValueError(f"auto optimizer: need at least one free parameter, got d = {dim}")
    if dim >= AUTO_TURBO_MIN_DIM:
        return "turbo+cg", (f"d = {dim} >= {AUTO_TURBO_MIN_DIM}: trust-region BO (TuRBO), then CG from its best "
                            "point")
    if has_pdfs and not scalar_gp_options:
        return "composite", (f"d = {dim} <= {AUTO_COMPOSITE_MAX_DIM} with partial PDFs: composite BO on a "
                             "surrogate of the PDFs")
    why = "scalar-GP options given" if has_pdfs else "the cost gives no PDFs"
    return "bo", f"d = {dim} <= {AUTO_COMPOSITE_MAX_DIM}, {why}: GP + EI on R_x"
