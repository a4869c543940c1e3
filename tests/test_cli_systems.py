"""``--system SiO2|NS3|FILE`` on the command line (in-process through ``main``): NS3 at tiny against a
synthetic NS3 reference made here, and one clear error for each bad input. Silica's default output is
covered by tests/test_cli.py."""

import json

import numpy as np
import pytest
import xarray as xr

from silica_explorer.cli import main
from silica_explorer.reference import load_reference
from silica_explorer.synthetic import generating_forcefield, is_synthetic
from silica_explorer.systems import NS3, SystemForceField

STATE = ["--temperature", "3600", "--density", "2.45"]


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "error" in line]


@pytest.fixture(scope="module")
def ns3_reference(tmp_path_factory):
    """A synthetic NS3 reference from the command line: one SHIK-NS3 tiny melt (seed 11)."""
    path = tmp_path_factory.mktemp("ns3") / "ns3_synthetic.nc"
    rc = main(["reference", "synthetic", "--system", "NS3", "--preset", "SHIK", "--fidelity", "tiny", *STATE,
               "--seeds", "11", "--threads", "1", "-o", str(path)])
    assert rc == 0
    return path


def test_synthetic_ns3_reference_has_six_pairs_and_its_generating_set(ns3_reference):
    ds = load_reference(ns3_reference)
    assert list(ds.pair.values) == list(NS3.pairs) and ds.attrs["system"] == "NS3" and is_synthetic(ds)
    assert {k: ds.attrs[f"n_{k}"] for k in NS3.symbols} == NS3.atom_counts(25)  # tiny: 25 units
    assert ds.attrs["temperature_K"] == 3600.0 and np.all(ds.g_err.values == 0)  # one seed
    assert generating_forcefield(ds) == SystemForceField.preset("SHIK-NS3")
    prov = json.loads(ds.attrs["provenance"])
    assert prov["fidelity"]["system"] == "NS3" and prov["fidelity"]["density"] == 2.45 and prov["seeds"] == [11]


def test_evaluate_ns3_prints_six_chi_and_writes_the_record(ns3_reference, tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["evaluate", "--system", "NS3", "--preset", "Teter-NS3", "--fidelity", "tiny", *STATE, "--seed", "12",
               "--threads", "1", "--reference", str(ns3_reference), "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0, text
    rec = json.loads((out / "record.json").read_text())
    assert rec["status"] == "ok" and rec["forcefield"]["name"] == "Teter-NS3" and rec["forcefield"]["system"] == "NS3"
    assert rec["fidelity"]["name"] == "tiny-NS3" and rec["fidelity"]["n_units"] == 25
    assert list(rec["chi"]) == list(NS3.pairs)
    for pair in NS3.pairs:
        assert f"chi_{pair:5s} = {100 * rec['chi'][pair]:7.2f} %" in text
    assert f"R_x        = {100 * rec['R_x']:7.2f} %" in text and "system: NS3 at 3600 K, 2.45 g/cm3" in text
    # Teter's Na-O differs from the generating SHIK-NS3: a clearly non-zero cost
    assert 0.05 < rec["R_x"] < 1 and rec["chi"]["NaO"] > 0.02
    pdf = xr.open_dataset(out / "pdf.nc")
    assert list(pdf.pair.values) == list(NS3.pairs)


def test_table_ns3_scores_its_presets_over_all_pairs(ns3_reference, tmp_path, capsys):
    out = tmp_path / "table.nc"
    rc = main(["table", "--system", "NS3", "--fidelity", "tiny", *STATE, "--seeds", "12", "--threads", "1",
               "--reference", str(ns3_reference), "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0, text
    ds = xr.open_dataset(out)
    assert list(ds.set.values) == ["SHIK-NS3", "Teter-NS3"] and list(ds.pair.values) == list(NS3.pairs)
    assert np.all(np.isfinite(ds.chi.values)) and ds.R_x.sel(set="SHIK-NS3") < ds.R_x.sel(set="Teter-NS3")
    header = next(line for line in text.splitlines() if line.startswith("set"))
    assert header.split()[1:7] == ["Si-Si", "Si-Na", "Si-O", "Na-Na", "Na-O", "O-O"]
    row = next(line for line in text.splitlines() if line.startswith("SHIK-NS3"))
    assert f"{100 * float(ds.chi.sel(set='SHIK-NS3', pair='NaO').item()):6.2f} +-" in row


@pytest.mark.parametrize("argv, message", [
    (["evaluate", "--system", "NS3", "--preset", "SHIK", "--density", "2.45"],
     "--system NS3 needs --temperature: it has no default state point"),
    (["evaluate", "--system", "NS3", "--preset", "SHIK"], "--system NS3 needs --temperature and --density"),
    (["table", "--system", "NS3", "--temperature", "3600"], "--system NS3 needs --density"),
    (["evaluate", "--system", "NS3", *STATE], "--system NS3 needs --preset"),
    (["evaluate", "--system", "NS3", "--preset", "BKS", *STATE], "--preset: unknown NS3 preset 'BKS'"),
    (["evaluate", "--system", "NS3", "--preset", "SHIK", *STATE],
     "--reference is required for --system NS3: no NS3 reference is shipped yet"),
    (["evaluate", "--system", "NS3", "--preset", "SHIK", *STATE, "--engine", "hoomd"],
     "--engine hoomd: melts of --system NS3 run on the LAMMPS engine only"),
    (["evaluate", "--preset", "BKS", "--temperature", "3000"], "--temperature: only for a non-silica --system"),
    (["reference", "synthetic", "--system", "NS3", *STATE, "-o", "x.nc"], "--system NS3 needs --preset"),
])
def test_bad_system_input_is_one_clear_line_before_any_melt(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err
    assert not (tmp_path / "runs").exists() and not (tmp_path / "x.nc").exists()  # nothing run


def test_a_reference_of_another_system_is_refused_before_any_melt(ns3_reference, tmp_path, capsys):
    rc = main(["evaluate", "--preset", "BKS", "--fidelity", "tiny", "--reference", str(ns3_reference),
               "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert rc == 2 and "--system SiO2 has ['SiSi', 'SiO', 'OO'] (pass the --system of the reference)" in err, err
    assert not (tmp_path / "run").exists()


def test_unknown_system_or_a_system_file_with_a_typo_is_one_argparse_error(tmp_path, capsys):
    typo = tmp_path / "ns3_typo.json"
    data = NS3.as_dict()
    data["compositon"] = data.pop("composition")
    typo.write_text(json.dumps(data))
    cases = [("NS4", "argument --system: unknown system 'NS4'; did you mean 'NS3'?; built-in: ['SiO2', 'NS3'] "
                     "or a JSON file"),
             (str(typo), f"argument --system: {typo}: system: unknown key 'compositon'; did you mean 'composition'?"),
             (str(tmp_path / "absent.json"), "argument --system: ")]
    for command in (["evaluate"], ["table"], ["reference", "synthetic", "-o", "x.nc"]):
        for value, message in cases:
            with pytest.raises(SystemExit) as exc:
                main([*command, "--system", value])
            err = capsys.readouterr().err
            assert exc.value.code == 2 and message in err and len(error_lines(err)) == 1, (command, err)


def test_a_system_file_is_its_own_system(tmp_path, capsys):
    """A valid system file is read (here NS3's species under another name): NS3's presets and forcefields
    are not its own, and without a preset size it asks for its number of units."""
    from silica_explorer.systems import get_system
    path = tmp_path / "my_ns3.json"
    path.write_text(json.dumps({**NS3.as_dict(), "name": "myNS3"}))
    mine = SystemForceField(get_system(path), SystemForceField.preset("SHIK-NS3").values, "mine")
    shik, own = tmp_path / "shik.json", tmp_path / "mine.json"
    SystemForceField.preset("SHIK-NS3").save(shik)
    mine.save(own)
    for extra, message in ((["--preset", "SHIK"], "--preset: unknown myNS3 preset 'SHIK'"),
                           (["--params", str(shik)], f"--params {shik}: a forcefield of NS3, but --system is myNS3"),
                           (["--params", str(own)], "no preset size for myNS3 at 'tiny'; pass n_units")):
        rc = main(["evaluate", "--system", str(path), *extra, *STATE, "--fidelity", "tiny"])
        err = capsys.readouterr().err
        assert rc == 2 and message in err and len(error_lines(err)) == 1, err


def test_silica_only_commands_do_not_take_system(capsys):
    landscape = ["landscape", "--x", "q_Si:1.6:2.6:3", "--y", "A_SiO:12000:30000:3", "--out", "l.nc"]
    for command in (["fit"], landscape, ["glass", "--sets", "BKS"]):
        with pytest.raises(SystemExit) as exc:
            main([*command, "--system", "NS3"])
        err = capsys.readouterr().err
        assert exc.value.code == 2 and "unrecognized arguments: --system NS3" in err, (command, err)


def test_silica_reference_synthetic_is_the_library_synthetic_reference(engine, tmp_path, capsys):
    """Without --system, ``reference synthetic`` makes silica's synthetic reference (default CHIK), the same
    numbers as :func:`silica_explorer.synthetic.synthetic_reference` with the same melt."""
    from silica_explorer.forcefield import ForceField
    from silica_explorer.parameters import PAIRS
    from silica_explorer.synthetic import synthetic_reference
    path = tmp_path / "chik.nc"
    rc = main(["reference", "synthetic", "--fidelity", "tiny", "--seeds", "3", "--threads", "1", "-o", str(path)])
    assert rc == 0
    assert "SYNTHETIC (not ab initio): classical CHIK liquid, tiny fidelity, 1 MD seeds" in capsys.readouterr().out
    ds = load_reference(path)
    lib = synthetic_reference("CHIK", "tiny", [3], engine)
    assert list(ds.pair.values) == list(PAIRS) and "system" not in ds.attrs
    np.testing.assert_array_equal(ds.g.values, lib.g.values)
    assert generating_forcefield(ds) == ForceField.preset("CHIK")


def test_table_columns_silica_as_before_other_systems_every_pair():
    from silica_explorer.scoring import TABLE_II_STATISTICS, column_format, format_summary, table_ii_statistics
    from silica_explorer.parameters import PAIRS
    assert table_ii_statistics(PAIRS) == TABLE_II_STATISTICS
    assert [p for _, p, _ in table_ii_statistics(NS3.pairs)] == [*NS3.pairs, None, None]
    assert column_format("chi_NaO") == ("Na-O", "chi Na-O %", 2) and column_format("chi_SiO")[0] == "Si-O"
    import pandas as pd
    row = {"set": "BKS", "n_ok": 1, "n_seeds": 1}
    for key in ("chi_SiO", "chi_OO", "chi_SiSi", "R_x", "pressure"):
        row.update({key: 1.0, f"{key}_std": 0.0})
    header = format_summary(pd.DataFrame([row]).set_index("set")).splitlines()[0]
    assert header.split() == ["set", "Si-O", "O-O", "Si-Si", "global", "R_x", "P", "liquid", "ok"]


def test_system_presets_by_short_or_registry_name():
    from silica_explorer.systems import SIO2, SystemDescriptionError, system_preset, system_presets
    assert list(system_presets(NS3)) == ["SHIK-NS3", "Teter-NS3"]
    assert system_preset("shik", NS3) is system_preset("SHIK-NS3", NS3) is SystemForceField.preset("SHIK-NS3")
    assert system_preset("BKS", SIO2).name == "BKS"
    with pytest.raises(SystemDescriptionError,
                       match=r"unknown NS3 preset 'BKS-SiO2'.*NS3 presets: \['SHIK-NS3', 'Teter-NS3'\]"):
        system_preset("BKS-SiO2", NS3)
