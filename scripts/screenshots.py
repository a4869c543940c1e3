"""Refresh the README screenshots of the web app.

    python scripts/screenshots.py            # run the browser test, then copy its screenshots
    python scripts/screenshots.py --copy     # only copy output/screenshots/*.png -> docs/screenshots/

The browser test (tests/test_app_browser.py) drives `panel serve app.py` with Playwright + Chromium and
saves output/screenshots/<view>.png (git-ignored); this script copies them to docs/screenshots/ (tracked).
Screenshots of a landscape are copied only when it is a shipped one (data/landscapes/), never a
development stand-in selected with SILICA_APP_LANDSCAPE_DIR.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "output" / "screenshots"
DST = ROOT / "docs" / "screenshots"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--copy", action="store_true", help="only copy existing screenshots, do not run the test")
    args = p.parse_args(argv)
    if not args.copy:
        env = dict(os.environ)
        env.pop("SILICA_APP_LANDSCAPE_DIR", None)  # README shows shipped data only
        rc = subprocess.call([sys.executable, "-m", "pytest", "-q", str(ROOT / "tests" / "test_app_browser.py")],
                             cwd=ROOT, env=env)
        if rc != 0:
            print(f"browser test failed (exit {rc}); copying whatever screenshots exist", file=sys.stderr)
    shots = [f for f in sorted(SRC.glob("*.png")) if "devdata" not in f.name]
    if not shots:
        print(f"no screenshots in {SRC}", file=sys.stderr)
        return 1
    DST.mkdir(parents=True, exist_ok=True)
    for f in shots:
        shutil.copy2(f, DST / f.name)
        print(f"{f.relative_to(ROOT)} -> {(DST / f.name).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
