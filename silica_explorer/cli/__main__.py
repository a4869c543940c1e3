"""``python -m silica_explorer.cli ...``: the same as the ``silica-explorer`` console script."""

import sys

from . import main

if __name__ == "__main__":  # importing the module (e.g. for the API docs) runs nothing
    sys.exit(main())
