"""A SYNTHETIC reference liquid from a known forcefield, for identifiability tests of the fitting tool.

It is NOT ab initio: it is the classical liquid of a published set (default CHIK) run with this
project's own engine and protocol, averaged over several MD seeds, so a fit against it has a known
answer. Every file it writes says so in ``attrs["name"]``, ``attrs["synthetic"]`` and
``attrs["provenance"]`` (forcefield JSON, fidelity, seeds, engine and version, command).

    python scripts/make_synthetic_reference.py --preset CHIK --fidelity quick --seeds 0,1,2,3,4 \\
        --melt-cache runs/melts --out data/reference/synthetic_chik_quick.nc

``g`` is the seed mean; ``g_err`` its standard error over seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from silica_explorer.engine.lammps import LammpsEngine  # noqa: E402
from silica_explorer.fidelity import get_fidelity  # noqa: E402
from silica_explorer.forcefield import ForceField  # noqa: E402
from silica_explorer.reference import save_reference  # noqa: E402
from silica_explorer.structure import pdf_dataset  # noqa: E402


def synthetic_reference(forcefield: ForceField, fidelity, seeds, engine, command: str = ""):
    """Seed-averaged partial PDFs of ``forcefield``'s classical liquid, labelled synthetic."""
    fidelity = get_fidelity(fidelity)
    pdfs = []
    for seed in seeds:
        res = engine.melt(forcefield, fidelity, int(seed))
        if not res.ok or res.reason:
            raise RuntimeError(f"{forcefield.name} seed {seed}: melt {res.status}: {res.reason}")
        pdfs.append(res.pdf)
    g = np.stack([p.g.values for p in pdfs])  # (seed, pair, r)
    first = pdfs[0]
    mean = {p: g[:, k].mean(axis=0) for k, p in enumerate(first.pair.values)}
    err = {p: g[:, k].std(axis=0, ddof=1) / np.sqrt(len(seeds)) if len(seeds) > 1 else np.zeros_like(mean[p])
           for k, p in enumerate(first.pair.values)}
    name = (f"SYNTHETIC (not ab initio): classical {forcefield.name} liquid, {fidelity.name} fidelity, "
            f"{len(seeds)} MD seeds")
    provenance = {"forcefield": forcefield.as_dict(), "fidelity": fidelity.as_dict(), "seeds": [int(s) for s in seeds],
                  "engine": engine.name, "engine_version": engine.version(), "command": command}
    return pdf_dataset(first.r.values, mean, dr=float(first.attrs["dr"]),
                       n_species={"Si": first.attrs["n_Si"], "O": first.attrs["n_O"]},
                       volume=float(first.attrs["volume"]), g_err=err, name=name, synthetic=1,
                       source=f"silica-explorer synthetic reference ({forcefield.name})",
                       provenance=json.dumps(provenance), temperature_K=float(fidelity.temperature),
                       n_samples=int(first.attrs.get("n_samples", 0)) * len(seeds))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="CHIK")
    ap.add_argument("--fidelity", default="quick")
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--melt-cache", type=Path, default=None)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    engine = LammpsEngine(threads=args.threads)
    if args.melt_cache is not None:
        from silica_explorer.engine.cache import CachingEngine
        engine = CachingEngine(engine, args.melt_cache)
    seeds = [int(s) for s in args.seeds.split(",")]
    ds = synthetic_reference(ForceField.preset(args.preset), args.fidelity, seeds, engine,
                             command="python " + " ".join(sys.argv))
    save_reference(ds, args.out)
    print(f"wrote {args.out}: {ds.attrs['name']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
