"""Command line: ``silica-explorer evaluate|reference|table|landscape|fit|glass ...``.

One module per subcommand (:mod:`.evaluate`, :mod:`.reference`, :mod:`.table`, :mod:`.landscape`,
:mod:`.fit`, :mod:`.glass`), each with ``register_cli(subparsers)`` that adds its parser and sets ``func`` (``args ->
exit code``); the options they share (engine and melt cache, reference, fidelity, seeds) are in
:mod:`.options`. The library modules know nothing of argparse. This file assembles the parser and runs
it; ``python -m silica_explorer.cli`` and the ``silica-explorer`` console script both call :func:`main`.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading

from .options import existing_path, print_json  # noqa: F401  (re-exported for scripts)

#: Modules that contribute subcommands (each has ``register_cli(subparsers)``).
SUBCOMMAND_MODULES = [
    "silica_explorer.cli.evaluate",
    "silica_explorer.cli.reference",
    "silica_explorer.cli.table",
    "silica_explorer.cli.landscape",
    "silica_explorer.cli.fit",
    "silica_explorer.cli.glass",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="silica-explorer",
        description="Score and fit empirical forcefields for liquid/glassy SiO2 against an ab initio reference.")
    from .. import __version__
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
