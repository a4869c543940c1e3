#!/usr/bin/env bash
# One-command set-up: a virtual environment in .venv with silica-explorer and everything the app,
# the parallel runs, the tests and the documentation need. Safe to re-run. Optional: SILICA_EXTRAS to
# change the extras (e.g. SILICA_EXTRAS=all,reference to add the torch-based reference generators, ~1 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
EXTRAS=${SILICA_EXTRAS:-all}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [[ ",$EXTRAS," == *",reference,"* ]]; then
    # the CPU build of torch first: a plain 'torch' requirement would pull several GB of CUDA wheels
    .venv/bin/python -m pip install -q "torch==2.13.0"
fi
.venv/bin/python -m pip install -q -e ".[$EXTRAS]"
# Headless Chromium for the browser test of the app (Debian package; Playwright's own download does
# not work offline). Skipped where apt is unavailable; the browser test then skips with a reason.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/silica-explorer --version
