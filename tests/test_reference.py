"""Reference PDFs: loading/validation, table <-> netCDF round trips, PDFs from trajectories.

Fast, and none of it needs torch (generate/run_md are exercised by the shipped files only).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from silica_explorer import structure
from silica_explorer.parameters import PAIRS
from silica_explorer.cli.reference import register_cli
from silica_explorer.reference import ReferenceError, from_trajectory, load_reference, save_reference, summary

DATA = Path(__file__).resolve().parent.parent / "data" / "reference"
BOX = 14.264475  # 64 SiO2 at 2.2 g/cm3


# ------------------------------------------------------------------------------- tables

def write_table(path, header="r,g_SiSi,g_SiO,g_OO", rows=None, comments=("# a test table",)):
    if rows is None:
        r = np.arange(0.01, 6.0, 0.02)
        rows = [f"{float(x)!r},1.0,1.5,0.5" for x in r]
    path.write_text("\n".join(list(comments) + ([header] if header else []) + list(rows)) + "\n")
    return path


def test_load_table_ok(tmp_path):
    ds = load_reference(write_table(tmp_path / "ok.csv"))
    assert list(ds.pair.values) == list(PAIRS)
    assert ds.attrs["dr"] == pytest.approx(0.02)
    assert float(ds.g.sel(pair="SiO").mean()) == 1.5


def test_load_table_whitespace_with_errors_and_attrs(tmp_path):
    r = np.arange(0.01, 5.0, 0.02)
    rows = [f"{x} 1 2 3 0.1 0.2 0.3" for x in r]
    p = write_table(tmp_path / "ws.dat", header="r g_SiSi g_SiO g_OO g_SiSi_err g_SiO_err g_OO_err", rows=rows,
                    comments=("# n_Si = 64", "# n_O = 128", "# volume = 2902.5", "# source = \"my CPMD\""))
    ds = load_reference(p)
    assert "g_err" in ds and float(ds.g_err.sel(pair="OO").max()) == 0.3
    assert ds.attrs["n_Si"] == 64 and ds.attrs["volume"] == 2902.5 and ds.attrs["source"] == "my CPMD"


def test_load_rejects_missing_pair(tmp_path):
    rows = [f"{x},1,1" for x in np.arange(0.01, 6.0, 0.02)]
    p = write_table(tmp_path / "missing.csv", header="r,g_SiSi,g_SiO", rows=rows)
    with pytest.raises(ReferenceError, match=r"missing pair.*OO") as exc:
        load_reference(p)
    assert "missing.csv" in str(exc.value)


def test_load_rejects_non_monotonic_r(tmp_path):
    r = list(np.arange(0.01, 6.0, 0.02))
    r[10], r[11] = r[11], r[10]
    p = write_table(tmp_path / "order.csv", rows=[f"{float(x)!r},1,1,1" for x in r])
    with pytest.raises(ReferenceError, match="r not strictly increasing"):
        load_reference(p)
    r = list(np.arange(0.01, 6.0, 0.02))
    r[5] = r[4]  # duplicate
    p = write_table(tmp_path / "dup.csv", rows=[f"{float(x)!r},1,1,1" for x in r])
    with pytest.raises(ReferenceError, match="r not strictly increasing"):
        load_reference(p)


def test_load_rejects_nan(tmp_path):
    rows = [f"{x},1,{'nan' if k == 7 else 1},1" for k, x in enumerate(np.arange(0.01, 6.0, 0.02))]
    with pytest.raises(ReferenceError, match=r"g_SiO contains NaN"):
        load_reference(write_table(tmp_path / "nan.csv", rows=rows))


def test_load_rejects_negative_g(tmp_path):
    rows = [f"{x},1,1,{-0.25 if k == 3 else 1}" for k, x in enumerate(np.arange(0.01, 6.0, 0.02))]
    with pytest.raises(ReferenceError, match=r"negative g: g_OO"):
        load_reference(write_table(tmp_path / "neg.csv", rows=rows))


def test_load_rejects_empty(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ReferenceError, match="empty"):
        load_reference(tmp_path / "empty.csv")
    with pytest.raises(ReferenceError, match="empty"):
        load_reference(write_table(tmp_path / "header_only.csv", rows=[]))
    with pytest.raises(ReferenceError, match="empty"):
        load_reference(write_table(tmp_path / "comments_only.tsv", header="", rows=[]))


def test_load_rejects_implausible_r_range(tmp_path):
    rows = [f"{x},1,1,1" for x in np.arange(0.001, 0.6, 0.002)]  # nm, not A
    with pytest.raises(ReferenceError, match="implausible r range"):
        load_reference(write_table(tmp_path / "nm.csv", rows=rows))


def test_load_missing_file(tmp_path):
    with pytest.raises(ReferenceError, match="not found"):
        load_reference(tmp_path / "nope.nc")


def random_pdf(rng, with_err=True):
    r = (np.arange(300) + 0.5) * 0.02
    g = {p: rng.uniform(0, 3, r.size) for p in PAIRS}
    err = {p: rng.uniform(0, 0.1, r.size) for p in PAIRS} if with_err else None
    return structure.pdf_dataset(r, g, 0.02, {"Si": 64, "O": 128}, 2902.5386, g_err=err,
                                 source="test", label="machine-learned DFT (PBE) surrogate, not CPMD",
                                 temperature_K=3600.0, n_frames=17, box_A=[14.2644752195, 14.2644752195, 0.1 + 0.2],
                                 history="a | b; c = d")


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".dat"])
def test_table_netcdf_table_round_trip_is_exact(tmp_path, rng, suffix):
    ds = random_pdf(rng)
    t1 = save_reference(ds, tmp_path / f"a{suffix}")
    a = load_reference(t1)
    nc = save_reference(a, tmp_path / "a.nc")
    b = load_reference(nc)
    t2 = save_reference(b, tmp_path / f"b{suffix}")
    assert t1.read_text() == t2.read_text()
    c = load_reference(t2)
    for x in (a, b, c):
        np.testing.assert_array_equal(x.r.values, ds.r.values)
        np.testing.assert_array_equal(x.g.values, ds.g.values)
        np.testing.assert_array_equal(x.g_err.values, ds.g_err.values)
        assert x.attrs["dr"] == 0.02 and x.attrs["n_Si"] == 64 and x.attrs["volume"] == 2902.5386
        assert x.attrs["label"] == ds.attrs["label"] and x.attrs["temperature_K"] == 3600.0
        assert json.loads(x.attrs["box_A"]) == [14.2644752195, 14.2644752195, 0.1 + 0.2]
        assert x.attrs["history"] == "a | b; c = d"


def test_netcdf_validation(tmp_path, rng):
    ds = random_pdf(rng, with_err=False)
    ds["g"][1, 5] = -1.0
    ds.to_netcdf(tmp_path / "bad.nc")
    with pytest.raises(ReferenceError, match="negative g: g_SiO"):
        load_reference(tmp_path / "bad.nc")


# --------------------------------------------------------------------------- trajectories

def cristobalite_frame(n_cells=2, a=7.16):
    """Ideal beta-cristobalite (C9): Si on a diamond lattice, O at the Si-Si midpoints.

    Si-O = a sqrt(3)/8, O-O (edge of the SiO4 tetrahedron) = Si-O sqrt(8/3), Si-Si = a sqrt(3)/4;
    O-Si-O = 109.47 deg, Si-O-Si = 180 deg.
    """
    from ase import Atoms
    fcc = np.array([[0, 0, 0], [0, .5, .5], [.5, 0, .5], [.5, .5, 0]])
    si = np.concatenate([fcc, fcc + 0.25])
    o = np.concatenate([fcc + np.array(s) / 8 for s in ([1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1])])
    pos, sym = [], []
    for cell in np.ndindex(n_cells, n_cells, n_cells):
        pos += list((si + cell) * a) + list((o + cell) * a)
        sym += ["Si"] * len(si) + ["O"] * len(o)
    L = n_cells * a
    return Atoms(symbols=sym, positions=np.mod(pos, L), cell=[L, L, L], pbc=True)


def test_from_trajectory_crystal_peaks(tmp_path):
    import ase.io
    a = 7.16
    atoms = cristobalite_frame(a=a)
    path = tmp_path / "crystal.extxyz"
    ase.io.write(path, [atoms, atoms, atoms], format="extxyz")
    ds = from_trajectory(path, n_blocks=None)  # ideal cristobalite at a = 7.16 A: 2.17 g/cm3
    exact = {"SiO": a * np.sqrt(3) / 8, "OO": a * np.sqrt(3) / 8 * np.sqrt(8 / 3), "SiSi": a * np.sqrt(3) / 4}
    for pair, d in exact.items():
        pos, height = structure.first_peak(ds, pair)
        assert abs(pos - d) <= 0.02, (pair, pos, d)
        g = ds.g.sel(pair=pair)
        assert float(g.where(ds.r < d - 0.02, 0).max()) == 0.0  # nothing below the first neighbour
    assert ds.attrs["r_max"] == pytest.approx(7.16) and ds.r.values[-1] < 7.16
    cn = structure.coordination_numbers(ds)
    assert cn["Si-O"] == pytest.approx(4.0) and cn["O-Si"] == pytest.approx(2.0)
    assert float(ds.Si_coordination.sel(n=4)) == 1.0 and float(ds.O_coordination.sel(n=2)) == 1.0
    assert abs(float(ds.OSiO.angle[int(np.argmax(ds.OSiO.values))]) - 109.47) < 2.0
    assert float(ds.SiOSi.angle[int(np.argmax(ds.SiOSi.values))]) > 176.0
    assert ds.attrs["n_frames"] == 3 and ds.attrs["density_g_cm3"] == pytest.approx(2.172, abs=0.01)


def test_from_trajectory_default_grid_matches_md_grid(tmp_path):
    import ase.io
    atoms = cristobalite_frame(a=BOX / 2)
    ase.io.write(tmp_path / "c.extxyz", atoms, format="extxyz")
    ds = from_trajectory(tmp_path / "c.extxyz", n_blocks=None, angles=False)
    # bins [k dr, (k+1) dr): centres (k + 1/2) dr, r_max = largest multiple of dr <= L/2
    k = np.arange(ds.sizes["r"])
    np.testing.assert_allclose(ds.r.values, (k + 0.5) * 0.02, rtol=0, atol=1e-12)
    assert ds.attrs["r_max"] == pytest.approx(7.12)


def test_from_trajectory_ideal_gas_tends_to_one(tmp_path, rng):
    import ase.io
    from ase import Atoms
    n_si, n_frames = 64, 40
    sym = ["Si"] * n_si + ["O"] * (2 * n_si)
    frames = [Atoms(symbols=sym, positions=rng.uniform(0, BOX, (3 * n_si, 3)), cell=[BOX] * 3, pbc=True)
              for _ in range(n_frames)]
    ase.io.write(tmp_path / "gas.extxyz", frames, format="extxyz")
    ds = from_trajectory(tmp_path / "gas.extxyz", dr=0.1, n_blocks=5, angles=False)
    assert ds.attrs["n_frames"] == n_frames and ds.attrs["n_blocks"] == 5
    assert ds.attrs["density_g_cm3"] == pytest.approx(2.2, rel=1e-4)
    far = ds.sel(r=slice(3.0, None))
    for pair in PAIRS:
        g = far.g.sel(pair=pair).values
        err = far.g_err.sel(pair=pair).values
        # statistical tolerance: the expected standard error of the window mean, from the bin
        # errors (bins of different frames/blocks are nearly independent for an ideal gas)
        sem = np.sqrt(np.sum(err**2)) / g.size
        assert abs(g.mean() - 1.0) < 4 * sem + 1e-3, (pair, g.mean(), sem)
        # and every bin within 5 of its own standard errors (g_err > 0 at these r)
        assert np.all(np.abs(g - 1.0) < 5 * err + 0.05), pair


def test_from_trajectory_skips_and_phase(tmp_path):
    import ase.io
    frames = []
    for k in range(10):
        at = cristobalite_frame()
        at.info = {"time_ps": 0.1 * k, "phase": "relax" if k < 4 else "production"}
        frames.append(at)
    ase.io.write(tmp_path / "t.extxyz", frames, format="extxyz")
    assert from_trajectory(tmp_path / "t.extxyz", phase="production", angles=False).attrs["n_frames"] == 6
    assert from_trajectory(tmp_path / "t.extxyz", skip_ps=0.25, angles=False).attrs["n_frames"] == 7
    assert from_trajectory(tmp_path / "t.extxyz", skip_frames=2, stride=2, angles=False).attrs["n_frames"] == 4
    with pytest.raises(ReferenceError, match="no frames left"):
        from_trajectory(tmp_path / "t.extxyz", skip_frames=10)


def test_from_trajectory_several_replicas(tmp_path, rng):
    import ase.io
    from ase import Atoms
    sym = ["Si"] * 64 + ["O"] * 128
    gas = [Atoms(symbols=sym, positions=rng.uniform(0, BOX, (192, 3)), cell=[BOX] * 3, pbc=True) for _ in range(6)]
    ase.io.write(tmp_path / "a.extxyz", gas[:3], format="extxyz")
    ase.io.write(tmp_path / "b.extxyz", gas[3:], format="extxyz")
    ase.io.write(tmp_path / "ab.extxyz", gas, format="extxyz")
    both = from_trajectory([tmp_path / "a.extxyz", tmp_path / "b.extxyz"], n_blocks=2, angles=False)
    one = from_trajectory(tmp_path / "ab.extxyz", n_blocks=2, angles=False)
    np.testing.assert_allclose(both.g.values, one.g.values, rtol=1e-12)
    np.testing.assert_allclose(both.g_err.values, one.g_err.values, rtol=1e-12)
    assert both.attrs["n_frames"] == 6 and "a.extxyz; " in both.attrs["file"]


def test_from_trajectory_lammps_dump_and_xdatcar(tmp_path):
    import ase.io
    atoms = cristobalite_frame()
    L = float(atoms.cell[0, 0])
    ref = from_trajectory(_write(tmp_path / "c.extxyz", atoms), n_blocks=None, angles=False)
    # LAMMPS dump without element names: types 1 = Si, 2 = O (the project's convention)
    lines = []
    for step in (0, 100):
        lines += ["ITEM: TIMESTEP", str(step), "ITEM: NUMBER OF ATOMS", str(len(atoms)),
                  "ITEM: BOX BOUNDS pp pp pp"] + [f"0 {L!r}"] * 3 + ["ITEM: ATOMS id type x y z"]
        lines += [f"{i + 1} {1 if s == 'Si' else 2} {float(x)!r} {float(y)!r} {float(z)!r}"
                  for i, (s, (x, y, z)) in enumerate(zip(atoms.get_chemical_symbols(), atoms.positions))]
    (tmp_path / "c.dump").write_text("\n".join(lines) + "\n")
    dump = from_trajectory(tmp_path / "c.dump", n_blocks=None, angles=False)
    assert dump.attrs["format"] == "lammps-dump-text" and dump.attrs["n_frames"] == 2
    np.testing.assert_allclose(dump.g.values, ref.g.values, atol=1e-9)
    ase.io.write(tmp_path / "XDATCAR", [atoms, atoms], format="vasp-xdatcar")
    xd = from_trajectory(tmp_path / "XDATCAR", n_blocks=None, angles=False)
    assert xd.attrs["format"] == "vasp-xdatcar"
    np.testing.assert_allclose(xd.g.values, ref.g.values, atol=1e-9)


def _write(path, atoms):
    import ase.io
    ase.io.write(path, atoms, format="extxyz")
    return path


def test_from_trajectory_rejects_other_elements_and_triclinic(tmp_path):
    atoms = cristobalite_frame()
    bad = atoms.copy()
    bad.symbols[0] = "Al"
    with pytest.raises(ReferenceError, match=r"element\(s\) \['Al'\]"):
        from_trajectory(_write(tmp_path / "al.extxyz", bad))
    tri = atoms.copy()
    cell = tri.cell[:].copy()
    cell[1, 0] = 2.0
    tri.set_cell(cell)
    with pytest.raises(ReferenceError, match="not orthorhombic"):
        from_trajectory(_write(tmp_path / "tri.extxyz", tri))
    with pytest.raises(ReferenceError, match="exceeds half"):
        from_trajectory(_write(tmp_path / "c.extxyz", atoms), r_max=8.0)


def test_density_warning(tmp_path):
    atoms = cristobalite_frame(a=6.0)  # 3.7 g/cm3
    with pytest.warns(UserWarning, match="density"):
        ds = from_trajectory(_write(tmp_path / "dense.extxyz", atoms), n_blocks=None, angles=False)
    assert ds.attrs["density_g_cm3"] > 3.5


# -------------------------------------------------------------------------------------- CLI

def test_cli_from_trajectory_and_show(tmp_path, capsys):
    import argparse
    parser = argparse.ArgumentParser()
    register_cli(parser.add_subparsers(dest="command"))
    src = _write(tmp_path / "c.extxyz", cristobalite_frame())
    out = tmp_path / "ref.nc"
    args = parser.parse_args(["reference", "from-trajectory", str(src), "-o", str(out), "--n-blocks", "0"])
    assert args.func(args) == 0 and out.exists()
    args = parser.parse_args(["reference", "show", str(out)])
    assert args.func(args) == 0
    text = capsys.readouterr().out
    assert "first peaks" in text and "SiO" in text and "Si-O" in text


# ------------------------------------------------------------------------- shipped reference

@pytest.mark.parametrize("name", ["sio2_3600K_chgnet.nc", "sio2_3600K_sevennet.nc"])
def test_shipped_reference(name):
    ds = load_reference(DATA / name)
    assert "not CPMD" in ds.attrs["label"]
    assert ds.attrs["dr"] == pytest.approx(0.02)
    k = np.arange(ds.sizes["r"])
    np.testing.assert_allclose(ds.r.values, (k + 0.5) * 0.02, atol=1e-9)  # the MD grid
    assert ds.r.values[-1] >= 6.99  # covers the MD PDFs' 7 A
    pos, _ = structure.first_peak(ds, "SiO")
    assert 1.5 <= pos <= 1.75
    info = summary(ds)
    assert 2.4 <= info["first_peaks"]["OO"]["r"] <= 2.8
    assert 2.9 <= info["first_peaks"]["SiSi"]["r"] <= 3.3
    assert 3.5 <= info["coordination_numbers"]["Si-O"] <= 4.5
    assert "g_err" in ds and float(ds.g_err.max()) < 0.5
