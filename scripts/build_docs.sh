#!/usr/bin/env bash
# Build the documentation site into docs/_build/html with warnings as errors. The notebooks are
# rendered from the executed copies in output/notebooks/ (written by tests/test_notebooks.py);
# the build stops with a message when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
"$PY" docs/conf.py  # the executed notebooks are there and current, else a message and exit 1
rm -rf docs/api docs/notebooks  # generated: API pages follow the modules that exist now
"$PY" -m sphinx -W --keep-going -b html docs docs/_build/html "$@"
echo "docs: $(pwd)/docs/_build/html/index.html"
