"""``fit --optimizer auto`` (the CLI default): the rule, what the run prints and what its config records."""

import pytest

from silica_explorer.cli import main
from silica_explorer.optimize.auto import AUTO_COMPOSITE_MAX_DIM, AUTO_TURBO_MIN_DIM, auto_optimizer
from silica_explorer.store import Store

SEVEN = "q_Si,A_SiO,rho_SiO,C_SiO,A_OO,rho_OO,C_OO"


def test_auto_rule():
    assert AUTO_COMPOSITE_MAX_DIM + 1 == AUTO_TURBO_MIN_DIM
    for d in range(1, AUTO_COMPOSITE_MAX_DIM + 1):
        assert auto_optimizer(d, has_pdfs=True)[0] == "composite"
        assert auto_optimizer(d, has_pdfs=False)[0] == "bo"
        assert auto_optimizer(d, has_pdfs=True, scalar_gp_options=True)[0] == "bo"
    for d in (AUTO_TURBO_MIN_DIM, 7, 10):
        assert auto_optimizer(d, has_pdfs=True)[0] == "turbo+cg"
        assert auto_optimizer(d, has_pdfs=False)[0] == "turbo+cg"
    with pytest.raises(ValueError, match="need at least one free parameter, got d = 0"):
        auto_optimizer(0, has_pdfs=True)


@pytest.mark.parametrize("argv, chosen", [
    (["--stand-in", "sphere"], "bo"),
    (["--stand-in", "pdf_peaks"], "composite"),
    (["--stand-in", "pdf_peaks", "--failure-policy", "constrained"], "bo"),
    (["--stand-in", "sphere", "--free", SEVEN], "turbo+cg"),
])
def test_cli_default_is_auto_and_says_what_it_chose(tmp_path, capsys, argv, chosen):
    assert main(["fit", *argv, "--budget", "2", "--store", str(tmp_path), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert f"optimizer auto -> {chosen}: " in err, err
    (run,) = Store(tmp_path).runs()
    assert run["optimizer"] == chosen
    assert run["config"]["optimizer_auto"].startswith(f"auto -> {chosen}: ")
    # an explicit optimizer is not 'auto' and says nothing about it
    assert main(["fit", *argv, "--optimizer", "random", "--budget", "2", "--store", str(tmp_path / "r"),
                 "--quiet"]) == 0
    assert "optimizer auto" not in capsys.readouterr().err
    assert Store(tmp_path / "r").runs()[0]["config"]["optimizer_auto"] is None
