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
