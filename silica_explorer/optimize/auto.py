"""Which optimizer ``silica-explorer fit --optimizer auto`` (the default) runs, and why.

:func:`auto_optimizer` picks a name of :mod:`~silica_explorer.optimize.registry` from the number of free
parameters d and the kind of cost:

- **d <= 4 (:data:`AUTO_COMPOSITE_MAX_DIM`) with partial PDFs** (an MD evaluator or the PDF stand-in):
  ``composite`` - BO on a PCA + GP surrogate of the partial PDFs, R_x and EI computed from the
  predicted PDFs. Its proposal refits one GP per PDF component (up to 15), cheap at small d.
- **d >= 5 (:data:`AUTO_TURBO_MIN_DIM`)**: ``turbo+cg`` - trust-region BO (TuRBO-1), then CG from its
  best point. Its local GP never sees more than 256 points, so proposals stay cheap at 600 evaluations.
- **otherwise** (a scalar stand-in cost, or scalar-GP options such as ``--failure-policy constrained``
  or ``--y-transform log`` given): ``bo``, whose start points fill its initial design.

The measured studies behind these rules (real MD at quick fidelity and stand-ins, medians over seeds)
are in ``data/results/optimizer_notes.md`` ("Choosing the optimizer: auto").
"""

from __future__ import annotations

from .registry import canonical_name

#: largest number of free parameters for which ``auto`` picks composite BO
AUTO_COMPOSITE_MAX_DIM = 4
#: smallest number of free parameters for which ``auto`` picks TuRBO + CG
AUTO_TURBO_MIN_DIM = 5
#: the registry names ``auto`` picks from (large d, small d with PDFs, otherwise)
AUTO_LARGE_DIM, AUTO_WITH_PDFS, AUTO_OTHERWISE = (canonical_name(n) for n in ("turbo+cg", "composite", "bo"))


def auto_optimizer(dim: int, has_pdfs: bool, scalar_gp_options: bool = False) -> tuple[str, str]:
    """``(optimizer name, reason)`` for ``dim`` free parameters. ``has_pdfs``: the cost returns partial
    PDFs (an MD :class:`~silica_explorer.evaluate.Evaluator` or the PDF stand-in); ``scalar_gp_options``:
    the user set options that only a scalar GP takes (failure policy, y transform)."""
    if dim < 1:
        raise ValueError(f"auto optimizer: need at least one free parameter, got d = {dim}")
    if dim >= AUTO_TURBO_MIN_DIM:
        return AUTO_LARGE_DIM, (f"d = {dim} >= {AUTO_TURBO_MIN_DIM}: trust-region BO (TuRBO), then CG from its "
                                "best point")
    if has_pdfs and not scalar_gp_options:
        return AUTO_WITH_PDFS, (f"d = {dim} <= {AUTO_COMPOSITE_MAX_DIM} with partial PDFs: composite BO on a "
                                "surrogate of the PDFs")
    why = "scalar-GP options given" if has_pdfs else "the cost gives no PDFs"
    return AUTO_OTHERWISE, f"d = {dim} <= {AUTO_COMPOSITE_MAX_DIM}, {why}: GP + EI on R_x"
