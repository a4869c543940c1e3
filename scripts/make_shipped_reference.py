"""Build data/reference/*.nc (+ compressed production frames) from the production trajectories."""
import gzip, json, shutil, sys
from pathlib import Path
import numpy as np
import ase.io
from silica_explorer import reference

dest = Path("data/reference"); dest.mkdir(parents=True, exist_ok=True)
which = sys.argv[1:] or ["chgnet", "sevennet"]
runs = {
    "chgnet": [("output/reference/prod/chgnet_info.json", "replica 1"),
               ("output/reference/prod_r2/chgnet_replica2_info.json", "replica 2")],
    "sevennet": [("output/reference/prod/sevennet_info.json", "run 1")],
}
hist = {
    "replica 1": ("start: classical CHIK liquid (LAMMPS, 64 SiO2, 3600 K, 3 ps, seed 7) -> CHGNet NVT 1.02 ps "
                  "(part 1, 2 torch threads, stopped because the shared CPU stalled it at 3-7 s/step) -> restart "
                  "from its last frame with fresh Maxwell-Boltzmann velocities (seed 21, 1 torch thread): 2 ps "
                  "relaxation + production"),
    "replica 2": ("start: same part-1 frame (1.02 ps CHGNet), fresh velocities and Langevin noise (seed 31, "
                  "1 torch thread): 1.5 ps relaxation + production"),
    "run 1": ("start: final frame of CHGNet replica 1, fresh Maxwell-Boltzmann velocities (seed 22, 1 torch "
              "thread): 0.5 ps relaxation + production"),
}
out = {}
for name in which:
    infos = [(json.load(open(f)), label) for f, label in runs[name] if Path(f).exists()]
    attrs = dict(infos[0][0]["attrs"])
    for k in ("wall_s", "s_per_step", "date_utc", "seed", "relax_ps", "production_ps", "production_ps_requested",
              "stopped_at_deadline", "start", "torch_threads"):
        vals = [i["attrs"][k] for i, _ in infos]
        attrs[k] = vals[0] if len(vals) == 1 else vals
    attrs["production_ps_total"] = float(sum(i["attrs"]["production_ps"] for i, _ in infos))
    attrs["n_replicas"] = len(infos)
    attrs["history"] = " | ".join(f"{label}: {hist[label]}" for _, label in infos)
    attrs["thermostat"] = ("Langevin NVT (ase.md.langevin), friction 0.01 1/fs, fixcm=True (legacy ASE option: "
                           "centre-of-mass motion removed)")
    attrs["grid_note"] = ("bins [k dr, (k+1) dr), dr = 0.02 A, r_max = 7.0 A (L/2 = 7.132 A): the grid of the MD "
                          "PDFs, so cost.rx aligns exactly")
    attrs["name"] = f"SiO2 3600 K 2.2 g/cm3, {attrs['model']}, 192 atoms ({reference.LABEL})"
    trajs = [i["trajectory"] for i, _ in infos]
    bpr = 5 if len(trajs) == 1 else 3  # blocks per replica; blocks never straddle two replicas
    frames, tmp = [], []
    for k, t in enumerate(trajs):
        prod = [a for a in ase.io.read(t, index=":") if a.info.get("phase") == "production"]
        prod = prod[len(prod) % bpr:]  # equal blocks: drop the remainder at the start of the replica
        frames += prod
        tp = Path(f"output/reference/_prod_{name}_{k}.extxyz"); ase.io.write(tp, prod, format="extxyz"); tmp.append(tp)
    attrs["blocks"] = f"{bpr} contiguous equal blocks per replica (earliest remainder frames dropped)"
    ds = reference.from_trajectory(tmp, format="extxyz", r_max=7.0, dr=0.02, n_blocks=bpr * len(trajs),
                                   phase="production", extra_attrs=attrs)
    ds.attrs["file"] = "; ".join(Path(t).name for t in trajs)
    gz = dest / f"sio2_3600K_{name}_production.extxyz.gz"
    with gzip.open(gz, "wt", compresslevel=9) as fh:
        ase.io.write(fh, frames, format="extxyz")
    size = gz.stat().st_size / 1e6
    if size > 5.0:
        gz.unlink(); ds.attrs["frames_file"] = f"not shipped ({size:.1f} MB > 5 MB)"
    else:
        ds.attrs["frames_file"] = gz.name
    path = reference.save_reference(ds, dest / f"sio2_3600K_{name}.nc")
    out[name] = ds
    T = np.array([a.info["T_K"] for a in frames]); E = np.array([a.info["epot_eV"] for a in frames])
    print(name, path, ds.attrs["n_frames"], "frames", attrs["production_ps"], "ps; frames file", f"{size:.2f} MB")
    print(f"  T mean {T.mean():.1f} K (sd {T.std():.1f}); Epot {E.mean() / 192:.5f} eV/atom")
    print(json.dumps(reference.summary(ds), indent=1))
if len(out) < 2:
    for name in ("chgnet", "sevennet"):
        p = dest / f"sio2_3600K_{name}.nc"
        if name not in out and p.exists():
            out[name] = reference.load_reference(p)
if len(out) == 2:
    from silica_explorer.cost import rx
    print("R_x(ref CHGNet, SevenNet):", json.dumps(rx(out["chgnet"], out["sevennet"]).as_dict()))
