"""Command line: ``silica-explorer evaluate|reference|fit|landscape ...``.

Each subcommand lives with the module it drives: that module exposes ``register_cli(subparsers)``
which adds its parser and sets ``func`` (``args -> exit code``). This file only assembles them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
import threading
from pathlib import Path

#: Modules that contribute subcommands (each has ``register_cli(subparsers)``).
SUBCOMMAND_MODULES = [
    "silica_explorer.cli_evaluate",
    "silica_explorer.cli_reference",
    "silica_explorer.scores",
    "silica_explorer.cli_landscape",
    "silica_explorer.cli_fit",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="silica-explorer",
        description="Score and fit empirical forcefields for liquid/glassy SiO2 against an ab initio reference.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"silica-explorer {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register_cli(sub)
    return parser


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # SIGTERM (kill, a batch system's time limit) cleans up like Ctrl-C: child MD processes are
    # stopped and finished evaluations are already on disk.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError) as exc:  # user errors: one clear line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2


def print_json(obj) -> None:
    print(json.dumps(obj, indent=2, default=str))


def existing_path(text: str) -> Path:
    p = Path(text)
    if not p.exists():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return p


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
