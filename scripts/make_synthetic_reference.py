"""A SYNTHETIC reference liquid from a known forcefield, for identifiability tests of the fitting tool.

It is NOT ab initio: it is the classical liquid of a published set (default CHIK) run with this
project's own engine and protocol, averaged over several MD seeds, so a fit against it has a known
answer. Every file it writes says so in ``attrs["name"]``, ``attrs["synthetic"]`` and
``attrs["provenance"]`` (forcefield JSON, fidelity, seeds, engine and version, command).
The work is done by :func:`silica_explorer.synthetic.synthetic_reference`; this is its command line.

    python scripts/make_synthetic_reference.py --preset CHIK --fidelity quick --seeds 0,1,2,3,4 \\
        --melt-cache runs/melts --out data/reference/synthetic_chik_quick.nc

``g`` is the seed mean; ``g_err`` its standard error over seeds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from silica_explorer.engine.lammps import LammpsEngine  # noqa: E402
from silica_explorer.inputs import forcefield_from, parse_seeds  # noqa: E402
from silica_explorer.reference import save_reference  # noqa: E402
from silica_explorer.synthetic import synthetic_reference  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="CHIK", help="generating preset, or a forcefield JSON file (default CHIK)")
    ap.add_argument("--fidelity", default="quick")
    ap.add_argument("--seeds", default="0,1,2,3,4", help="MD seeds, e.g. 0,1,2,3,4 or 10-14")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--melt-cache", type=Path, default=None)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    engine = LammpsEngine(threads=args.threads)
    if args.melt_cache is not None:
        from silica_explorer.engine.cache import CachingEngine
        engine = CachingEngine(engine, args.melt_cache)
    ff = forcefield_from(args.preset, "--preset")
    ds = synthetic_reference(ff, args.fidelity, parse_seeds(args.seeds), engine,
                             command="python " + " ".join(sys.argv if argv is None else [__file__, *argv]))
    save_reference(ds, args.out)
    print(f"wrote {args.out}: {ds.attrs['name']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
