"""``python -m silica_explorer.cli ...``: the same as the ``silica-explorer`` console script."""

import sys

from . import main

sys.exit(main())
