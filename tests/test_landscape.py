"""Landscapes: grid spec, netCDF round trip, resume, failures, zoom, roughness (cheap stand-in costs),
and one tiny real-MD grid."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import xarray as xr

from silica_explorer.forcefield import ForceField
from silica_explorer.landscape import (Axis, Landscape, SyntheticCost, compute_windows, high_frequency_power,
                                       local_minima_fraction, open_landscape, optimizer_paths, point_record, roughness,
                                       sidecar_path)
from silica_explorer.parameters import ParameterError
from silica_explorer.parallel import SerialExecutor


def small(**kw) -> Landscape:
    kw.setdefault("seeds", (0, 1))
    return Landscape(x=("q_Si", 1.6, 2.6, 6), y=("A_SiO", 12000, 30000, 5), base="BKS", fidelity="tiny", **kw)


class Counting:
    """Wraps a cost and counts calls (in-process: serial executor)."""

    def __init__(self, cost, stop_after: int | None = None):
        self.cost, self.calls, self.stop_after = cost, 0, stop_after

    def __call__(self, ff, seed=0):
        if self.stop_after is not None and self.calls >= self.stop_after:
            raise KeyboardInterrupt  # simulates Ctrl-C in the middle of the grid
        self.calls += 1
        return self.cost(ff, seed=seed)


# ----------------------------------------------------------------------------------------- spec
def test_axis_parsing_and_errors():
    a = Axis.parse("q_Si:1.6:2.6:21")
    assert (a.name, a.start, a.stop, a.n) == ("q_Si", 1.6, 2.6, 21)
    assert a.values[0] == 1.6 and a.values[-1] == 2.6 and a.values[4] == 1.8  # rounded grid values
    assert Axis.parse(("A_SiO", 12000, 30000, 4)).step == 6000
    with pytest.raises(ParameterError, match="unknown parameter"):
        Axis.parse("q_Xx:1:2:3")
    with pytest.raises(ValueError, match="NAME:START:STOP:N"):
        Axis.parse("q_Si:1.6:2.6")
    with pytest.raises(ValueError, match="stop > start"):
        Axis.parse("q_Si:2.6:1.6:5")
    with pytest.raises(ParameterError, match="outside its allowed range"):
        Landscape(("q_Si", 0.0, 2.0, 3), ("A_SiO", 1e4, 2e4, 3))


def test_zoom_validation_and_shared_points():
    ls = small(seeds=(0,))
    ls.zoom(("A_SiO", 16500, 21000, 4), ("q_Si", 1.8, 2.0, 5))  # axes in either order
    assert [w.name for w in ls.windows] == ["full", "zoom"]
    # 30 full + 20 zoom points, 4 coincide (q_Si 1.8/2.0 x A_SiO 16500/21000)
    assert len(ls.points()) == 30 + 20 - 4
    with pytest.raises(ValueError, match="outside the full window"):
        ls.zoom(("q_Si", 1.5, 2.0, 11), ("A_SiO", 16500, 21000, 11))
    with pytest.raises(ValueError, match="not finer"):
        ls.zoom(("q_Si", 1.8, 2.4, 3), ("A_SiO", 16500, 21000, 11))
    with pytest.raises(ValueError, match="must be the landscape's"):
        ls.zoom(("C_SiO", 100, 120, 3), ("A_SiO", 16500, 21000, 11))
    ff = ls.forcefield(2.0, 21000)
    assert ff.q_Si == 2.0 and ff.A_SiO == 21000 and ff.C_OO == ForceField.preset("BKS").C_OO


# ----------------------------------------------------------------------------------------- compute
def test_grid_round_trips_through_netcdf_exactly(tmp_path):
    ls = small()
    ls.zoom(("q_Si", 1.8, 2.0, 5), ("A_SiO", 16500, 21000, 4))
    cost = SyntheticCost(ripple=0.02, noise=0.003, fail_param="q_Si", fail_above=2.5)
    out = tmp_path / "ls.nc"
    tree = compute_windows(ls, cost, out=out, note="synthetic stand-in")
    back = open_landscape(out)
    xr.testing.assert_identical(tree, back)
    full = back["full"].ds
    assert full.R_x.dims == ("seed", "A_SiO", "q_Si")
    assert full.chi.dims == ("pair", "seed", "A_SiO", "q_Si")
    assert full.q_Si.attrs["units"] == "e" and full.A_SiO.attrs["units"] == "eV"
    np.testing.assert_array_equal(full.q_Si.values, [1.6, 1.8, 2.0, 2.2, 2.4, 2.6])
    # provenance
    assert back.attrs["base_preset"] == "BKS"
    assert ForceField.from_json(back.attrs["base_parameters"]) == ForceField.preset("BKS")
    assert json.loads(back.attrs["fidelity"])["n_SiO2"] == 64
    assert json.loads(back.attrs["seeds"]) == [0, 1]
    assert back.attrs["reference"] == "synthetic stand-in cost (no MD)"
    assert back.attrs["note"] == "synthetic stand-in"
    for key in ("silica_explorer_version", "engine_version", "wall_time_s", "workers", "md_threads", "cores"):
        assert key in back.attrs
    # values agree with the cost, and the zoom reuses coinciding points
    p = full.sel(seed=1, q_Si=2.0, A_SiO=21000)
    assert float(p.R_x) == cost(ls.forcefield(2.0, 21000), seed=1)["R_x"]
    z = back["zoom"].ds.sel(seed=1, q_Si=2.0, A_SiO=21000)
    assert float(z.R_x) == float(p.R_x)
    assert back["zoom"].ds.attrs["complete"] == 1
    # mean/std over seeds
    ok = full.status == "ok"
    np.testing.assert_allclose(full.R_x_mean, full.R_x.where(ok).mean("seed"))
    np.testing.assert_allclose(full.R_x_std, full.R_x.where(ok).std("seed", ddof=1))
    # a single window opens with plain xarray too
    with xr.open_dataset(out, group="full") as ds:
        assert float(ds.R_x.sel(seed=0, q_Si=1.6, A_SiO=12000)) == float(full.R_x.sel(seed=0, q_Si=1.6, A_SiO=12000))


def test_failing_points_are_recorded_and_grid_completes(tmp_path):
    base = SyntheticCost(fail_param="q_Si", fail_above=2.5)

    def cost(ff, seed=0):
        if ff.q_Si == 1.8 and ff.A_SiO == 16500:
            raise ZeroDivisionError("deliberate")
        if ff.q_Si == 2.0 and ff.A_SiO == 16500:
            return float("nan")
        return base(ff, seed=seed)

    tree = compute_windows(small(seeds=(0,)), cost, out=tmp_path / "f.nc")
    full = open_landscape(tmp_path / "f.nc")["full"].ds
    assert full.attrs["n_pending"] == 0 and full.attrs["complete"] == 1
    assert full.attrs["n_failed"] == 5 + 2  # q_Si = 2.6 column plus the two bad points
    pt = full.sel(seed=0, q_Si=1.8, A_SiO=16500)
    assert str(pt.status.values) == "failed" and "ZeroDivisionError: deliberate" in str(pt.reason.values)
    assert math.isnan(float(pt.R_x))
    assert "non-finite" in str(full.reason.sel(seed=0, q_Si=2.0, A_SiO=16500).values)
    col = full.sel(q_Si=2.6)
    assert set(col.status.values.ravel()) == {"failed"}
    assert set(col.reason.values.ravel()) == {"overlap: synthetic failure"}
    assert int(tree["full"].ds.n_ok.sum()) == 30 - 7


def test_resume_skips_finished_points(tmp_path):
    out = tmp_path / "r.nc"
    ls = small()  # 60 evaluations
    first = Counting(SyntheticCost(noise=0.01), stop_after=25)
    with pytest.raises(KeyboardInterrupt):
        compute_windows(ls, first, out=out)
    assert first.calls == 25
    partial = open_landscape(out)["full"].ds  # written on the way out
    assert partial.attrs["n_pending"] == 60 - 25
    # a kill -9 may leave a torn last line: it is ignored
    with open(sidecar_path(out), "a") as fh:
        fh.write('{"key": "q_Si=2.6,A_SiO=3')
    second = Counting(SyntheticCost(noise=0.01))
    done = []
    tree = compute_windows(ls, second, out=out, progress=lambda d, t, s: done.append((d, t)))
    assert second.calls == 60 - 25
    assert done[0] == (25, 60) and done[-1] == (60, 60)
    # identical to a run in one go
    fresh = compute_windows(small(), SyntheticCost(noise=0.01))
    for v in ("R_x", "chi", "status", "reason"):
        xr.testing.assert_identical(tree["full"].ds[v], fresh["full"].ds[v])
    # nothing left: no calls; resume=False recomputes everything
    third = Counting(SyntheticCost(noise=0.01))
    compute_windows(ls, third, out=out)
    assert third.calls == 0
    fourth = Counting(SyntheticCost(noise=0.01))
    compute_windows(ls, fourth, out=out, resume=False)
    assert fourth.calls == 60


def test_resume_from_netcdf_without_sidecar_and_refuses_other_base(tmp_path):
    out = tmp_path / "n.nc"
    compute_windows(small(seeds=(0,)), SyntheticCost(), out=out)
    sidecar_path(out).unlink()
    ls = small(seeds=(0,))
    ls.zoom(("q_Si", 1.8, 2.0, 5), ("A_SiO", 16500, 21000, 4))
    c = Counting(SyntheticCost())
    compute_windows(ls, c, out=out)
    assert c.calls == 20 - 4  # only the zoom points not on the full grid
    other = Landscape(x=("q_Si", 1.6, 2.6, 6), y=("A_SiO", 12000, 30000, 5), base="CHIK", fidelity="tiny")
    with pytest.raises(ValueError, match="base_parameters"):
        compute_windows(other, SyntheticCost(), out=out)
    narrow = SyntheticCost()
    narrow.r_range = (1.0, 5.0)  # a cost over another r window gives other R_x values
    with pytest.raises(ValueError, match="cost_options"):
        compute_windows(ls, narrow, out=out)


def test_reference_label_is_stored_without_the_absolute_path_and_old_absolute_files_resume(tmp_path):
    from pathlib import Path

    from silica_explorer.landscape import portable_label
    project = Path(__file__).resolve().parent.parent
    inside = project / "data" / "reference" / "sio2_3600K_chgnet.nc"
    assert portable_label(f"{inside} (CHGNet liquid)") == "data/reference/sio2_3600K_chgnet.nc (CHGNet liquid)"
    assert portable_label("/somewhere/else/ref.nc") == "ref.nc"
    assert portable_label("classical CHIK liquid, stand-in") == "classical CHIK liquid, stand-in"
    cost = SyntheticCost()
    cost.reference_name = f"{inside} (stand-in)"
    out = tmp_path / "p.nc"
    compute_windows(small(seeds=(0,)), cost, out=out)
    assert open_landscape(out).attrs["reference"] == "data/reference/sio2_3600K_chgnet.nc (stand-in)"
    # a file written before (absolute path of another machine in the header and attrs) still resumes
    side = sidecar_path(out)
    lines = side.read_text().splitlines()
    header = json.loads(lines[0])
    header["reference"] = "/home/someone/project/data/reference/sio2_3600K_chgnet.nc (stand-in)"
    side.write_text("\n".join([json.dumps(header)] + lines[1:]) + "\n")
    again = Counting(SyntheticCost())
    tree = compute_windows(small(seeds=(0,)), again, out=out)
    assert again.calls == 0 and tree["full"].ds.attrs["n_pending"] == 0


def test_fidelity_mismatch_is_refused():
    class Cost(SyntheticCost):
        fidelity = "quick"
    with pytest.raises(ValueError, match="fidelity"):
        compute_windows(small(), Cost())


def test_point_record_accepts_the_result_kinds():
    assert point_record(0.12)["R_x"] == 0.12
    assert point_record(float("inf"))["status"] == "failed"
    r = point_record({"status": "failed", "reason": "lost atoms", "R_x": 0.3})
    assert r["status"] == "failed" and math.isnan(r["R_x"]) and r["reason"] == "lost atoms"

    class Ev:
        status, reason, R_x, chi = "ok", None, 0.2, {"SiO": 0.1}
    assert point_record(Ev())["chi"] == {"SiO": 0.1}


# ----------------------------------------------------------------------------------------- roughness
def test_roughness_figures_of_merit():
    ls = Landscape(x=("q_Si", 1.6, 2.6, 21), y=("A_SiO", 12000, 30000, 21), fidelity="tiny")
    smooth = compute_windows(ls, SyntheticCost())["full"].ds
    rough = compute_windows(ls, SyntheticCost(ripple=0.03, freq=4.0, noise=0.01))["full"].ds
    rs, rr = roughness(smooth), roughness(rough)
    assert rs["local_minima_fraction"] <= 1 / 19**2 + 1e-12  # one minimum at most
    assert rs["rms_residual"] < 1e-12 and rs["residual_fraction"] < 1e-12  # a quadratic bowl is exact
    assert rr["local_minima_fraction"] > 10 * rs["local_minima_fraction"] + 0.01
    assert rr["residual_fraction"] > 0.05
    z = xr.DataArray(np.random.default_rng(0).standard_normal((15, 15)))
    assert 0.05 < local_minima_fraction(z) < 0.3  # white noise: ~1/9
    assert high_frequency_power(z)["hf_power_fraction"] > 0.5


# ----------------------------------------------------------------------------------------- real MD
@pytest.fixture(scope="module")
def standin_reference():
    from silica_explorer.engine.lammps import LammpsEngine
    from silica_explorer.fidelity import FIDELITIES
    pdf = LammpsEngine(threads=1).melt(ForceField.preset("CHIK"), FIDELITIES["tiny"], seed=3).pdf
    pdf.attrs["name"] = "classical CHIK liquid, stand-in"
    return pdf


def test_real_tiny_grid_end_to_end(tmp_path, standin_reference):
    from silica_explorer.engine.lammps import LammpsEngine
    from silica_explorer.evaluate import Evaluator
    ls = Landscape(x=("q_Si", 1.9, 2.4, 2), y=("A_SiO", 18003.7572, 18003.7572, 1), base="BKS", fidelity="tiny")
    ev = Evaluator(standin_reference, "tiny", engine=LammpsEngine())
    ex = SerialExecutor(md_threads=1)
    tree = compute_windows(ls, ev, executor=ex, out=tmp_path / "real.nc")
    back = open_landscape(tmp_path / "real.nc")
    xr.testing.assert_identical(tree, back)
    full = back["full"].ds
    assert back.attrs["reference"] == "classical CHIK liquid, stand-in"
    assert back.attrs["engine_version"].startswith("LAMMPS")
    assert full.attrs["n_pending"] == 0
    assert set(full.status.values.ravel()) <= {"ok", "failed"}
    ok = full.status == "ok"
    assert ok.any()
    assert np.all((full.R_x.where(ok) > 0) | ~ok)
    assert np.all(full.wall_time_s > 0)


# ----------------------------------------------------------------------------------------- paths
def test_optimizer_paths_are_stored_with_the_landscape_and_resume(tmp_path):
    pytest.importorskip("silica_explorer.optimize")
    out = tmp_path / "p.nc"
    ls = Landscape(x=("q_Si", 1.6, 2.6, 5), y=("A_SiO", 12000, 30000, 5), base="BKS", fidelity="tiny")
    cost = SyntheticCost(ripple=0.02, noise=0.002)
    compute_windows(ls, cost, out=out, note="synthetic stand-in")
    before = open_landscape(out)["full"].ds
    paths = optimizer_paths(ls, cost, methods=("bo", "cg"), n_iter=8, out=out)
    tree = open_landscape(out)
    xr.testing.assert_identical(tree["full"].ds, before)  # the grid is kept
    assert tree.attrs["note"] == "synthetic stand-in"
    for m in ("bo", "cg"):
        ds = tree[f"paths/{m}"].to_dataset()
        xr.testing.assert_identical(ds, paths[m])
        assert ds.sizes["iter"] == 8
        # same start: the base preset's (q_Si, A_SiO) = BKS
        assert (float(ds.q_Si[0]), float(ds.A_SiO[0])) == (2.4, 18003.7572)
        assert json.loads(ds.attrs["start"]) == [2.4, 18003.7572]
        assert ds.attrs["starts"] == {"bo": "the start point (2.4, 1.8e+04), then a space-filling design; no preset "
                                            "starts", "cg": "the start point (2.4, 1.8e+04) only"}[m]
        i = 3
        ff = ls.base.replace(q_Si=float(ds.q_Si[i]), A_SiO=float(ds.A_SiO[i]))
        assert float(ds.R_x[i]) == pytest.approx(cost(ff, seed=0)["R_x"], rel=1e-9)
        np.testing.assert_array_equal(ds.best_R_x, np.fmin.accumulate(ds.R_x.values))
        assert np.all((ds.q_Si >= 1.6) & (ds.q_Si <= 2.6) & (ds.A_SiO >= 12000) & (ds.A_SiO <= 30000))
    assert set(tree["paths/cg"].ds.kind.values) <= {"cg-point", "cg-fd"}
    # a second call re-plays from the point cache: no new evaluations, same paths
    again = Counting(SyntheticCost(ripple=0.02, noise=0.002))
    paths2 = optimizer_paths(ls, again, methods=("bo", "cg"), n_iter=8, out=out)
    assert again.calls == 0
    for m in ("bo", "cg"):
        np.testing.assert_array_equal(paths2[m].R_x, paths[m].R_x)
    # and recomputing the grid keeps the paths
    compute_windows(ls, cost, out=out)
    assert "paths" in open_landscape(out).children
    # paths on a copied file without its sidecar (what the app does) keep the grid and the note
    import shutil
    copy = tmp_path / "copy.nc"
    shutil.copy(out, copy)
    counted = Counting(SyntheticCost(ripple=0.02, noise=0.002))
    optimizer_paths(ls, counted, methods=("cg",), n_iter=5, start=(2.0, 21000.0), out=copy)
    t2 = open_landscape(copy)
    xr.testing.assert_identical(t2["full"].ds, before)
    assert t2.attrs["note"] == "synthetic stand-in"
    assert json.loads(t2["paths/cg"].ds.attrs["start"]) == [2.0, 21000.0]
    xr.testing.assert_identical(t2["paths/bo"].to_dataset(), paths["bo"])  # the other path is kept
    assert counted.calls <= 5


def test_reference_on_another_grid_is_refused_before_any_md():
    from silica_explorer.cost import GridMismatchError
    from silica_explorer.evaluate import Evaluator

    class NoEngine:
        threads = 1

        def version(self):
            return "none"

        def melt(self, *a, **k):
            raise AssertionError("no MD may run")

    r = (np.arange(200) + 0.5) * 0.03  # 0.03 A bins; tiny fidelity uses 0.02 A
    ref = xr.Dataset({"g": (("pair", "r"), np.ones((3, 200)))}, coords={"pair": ["SiSi", "SiO", "OO"], "r": r})
    ev = Evaluator(ref, "tiny", engine=NoEngine())
    with pytest.raises(GridMismatchError):
        compute_windows(small(), ev)


# ----------------------------------------------------------------------------------------- CLI
def test_cli_landscape_end_to_end(tmp_path, standin_reference, capsys):
    from silica_explorer.cli import main
    ref = tmp_path / "ref.nc"
    standin_reference.to_netcdf(ref)
    out = tmp_path / "cli.nc"
    argv = ["landscape", "--x", "q_Si:2.3:2.4:2", "--y", "A_SiO:18003.7572:18003.7572:1", "--fidelity", "tiny",
            "--workers", "1", "--threads", "1", "--reference", str(ref), "--out", str(out)]
    assert main(argv + ["--zoom", "auto:1:2"]) == 0
    tree = open_landscape(out)
    assert tree["full"].ds.attrs["n_pending"] == 0 and "stand-in" in tree.attrs["reference"]
    if tree["full"].ds.attrs["n_ok"]:  # auto zoom: q_Si 2.3, 2.35, 2.4 (one new melt)
        np.testing.assert_allclose(tree["zoom"].ds.q_Si.values, [2.3, 2.35, 2.4])
    assert "min R_x" in capsys.readouterr().out or tree["full"].ds.attrs["n_ok"] == 0
    assert main(argv) == 2  # exists: needs --resume or --overwrite
    assert "--resume" in capsys.readouterr().err
    assert main(argv + ["--resume"]) == 0  # nothing left to do
    with pytest.raises(SystemExit):
        main(["landscape", "--x", "q_Si:1.6:2.6", "--y", "A_SiO:1:2:3", "--out", str(out)])


def test_zoom_around_the_minimum_reuses_full_grid_points(tmp_path):
    ls = Landscape(x=("q_Si", 1.6, 2.6, 11), y=("A_SiO", 12000, 30000, 11), fidelity="tiny")
    cost = Counting(SyntheticCost(center=(2.42, 13000.0)))  # minimum near the lower edge in A_SiO
    tree = compute_windows(ls, cost, out=tmp_path / "z.nc")
    assert cost.calls == 121
    ls.zoom_around(tree["full"].to_dataset(), steps=2, refine=2)
    w = ls.windows[-1]
    assert (w.x.n, w.y.n) == (9, 9)
    assert w.x.start == 2.2 and w.x.stop == 2.6  # centred on 2.4, shifted to stay inside
    assert w.y.start == 12000 and w.y.stop == 19200  # clipped at the edge: 4 full steps up
    assert w.x.step == pytest.approx(0.05) and w.y.step == pytest.approx(900)
    tree = compute_windows(ls, cost, out=tmp_path / "z.nc")
    assert cost.calls == 121 + 81 - 25
    zoom = tree["zoom"].ds
    assert zoom.attrs["complete"] == 1
    best = zoom.R_x_mean.where(zoom.R_x_mean == zoom.R_x_mean.min(), drop=True)
    assert float(best.q_Si[0]) == pytest.approx(2.4) and float(best.A_SiO[0]) == pytest.approx(12900)
