"""silica-explorer web app.

    panel serve app.py                                   # then open http://localhost:5006/app
    panel serve app.py --args --reference my_pdfs.nc     # another reference liquid

Each browser session gets its own state (runs, caches, loaded files). Environment: SILICA_EXPLORER_REFERENCE
(reference file), SILICA_APP_MD_SLOTS (melts at a time on this server, default 1), SILICA_APP_MD_THREADS
(OpenMP threads per melt, default all cores / slots), SILICA_APP_RUNS_DIR (Fit stores, default runs/app),
SILICA_APP_LANDSCAPE_DIR (landscape files listed, default data/landscapes).
"""

import sys

from silica_explorer.app import create_app, parse_args

_args = parse_args(sys.argv[1:])
create_app(reference=_args.reference if _args.reference is not None else "default").servable()
