"""Sphinx configuration of the silica-explorer documentation.

Build with ``bash scripts/build_docs.sh`` (warnings are errors). The notebooks are rendered from the
executed copies that ``tests/test_notebooks.py`` writes to ``output/notebooks/``; nothing is executed
here, and the build stops with a message when those copies are missing or older than the notebooks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

from sphinx.errors import ConfigError

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document this checkout, not whatever is installed

import silica_explorer  # noqa: E402

project = "silica-explorer"
author = "silica-explorer developers"
copyright = "2026, silica-explorer developers"
release = version = silica_explorer.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_nb",  # Markdown pages (MyST) and notebooks
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "screenshots/*.md"]

html_theme = "furo"
html_title = f"silica-explorer {release}"
html_static_path: list[str] = []

# --- API reference: autosummary over the whole package, so the pages follow the modules that exist
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
napoleon_google_docstring = True  # "Args:" / "Returns:" sections
napoleon_numpy_docstring = False  # the underlined sections are read by _underlined_sections below
napoleon_use_ivar = True  # dataclass "Attributes:" sections do not duplicate the fields' own entries

# --- Markdown and notebooks
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # rendered from the executed copies; see _stage_notebooks
nb_output_stderr = "remove"
# HoloViews outputs carry comm metadata (application/vnd.holoviews_*) beside the HTML or JavaScript that
# a page shows; MyST-NB warns about every such bundle entry it does not render, whatever the priorities.
suppress_warnings = ["mystnb.unknown_mime_type"]

# --- the docstrings' own section style
_ENTRY = re.compile(r"^(?P<indent>\s*)(?P<name>[^\s:][^:]*?) : (?P<text>.*)$")
_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")


def _underlined_sections(app, what, name, obj, options, lines: list[str]) -> None:
    """Render the docstrings' underlined sections (``Parameters`` over a dashed line, then one
    ``name : description`` entry a line, continuation lines indented) as a rubric and a definition list.

    These are numpy-like sections without types, which napoleon's numpy reader would read as types.
    A paragraph after a blank line ends the section.
    """
    i = 0
    while i < len(lines) - 1:
        head, under = lines[i], lines[i + 1]
        if not (head.strip() and _UNDERLINE.match(under)):
            i += 1
            continue
        indent = head[: len(head) - len(head.lstrip())]
        lines[i : i + 2] = [f"{indent}.. rubric:: {head.strip()}", ""]
        j, in_entry = i + 2, False
        while j < len(lines):
            line = lines[j]
            at_indent = line.startswith(indent) and not line.startswith(indent + " ")
            nxt = lines[j + 1] if j + 1 < len(lines) else ""
            if not line.strip():
                if not nxt.startswith(indent + " ") and not _ENTRY.match(nxt):
                    break  # a paragraph (or the end) after a blank line ends the section
            elif (m := _ENTRY.match(line)) and m["indent"] == indent:
                lines[j : j + 1] = [f"{indent}{m['name']}", f"{indent}    {m['text']}"]
                j, in_entry = j + 1, True
            elif at_indent and nxt.startswith(indent) and (m := _ENTRY.match(f"{line.rstrip()} {nxt.strip()}")):
                # an entry whose names run over two lines
                lines[j : j + 2] = [f"{indent}{m['name']}", f"{indent}    {m['text']}"]
                j, in_entry = j + 1, True
            elif at_indent and in_entry:  # a description continued without indentation
                lines[j] = f"{indent}    {line.strip()}"
            j += 1
        i = j


_BULLET = re.compile(r"^(\s*)[-*] \S")


def _lists_after_paragraphs(app, what, name, obj, options, lines: list[str]) -> None:
    """Put a blank line between a paragraph and a bullet list that starts on the next line (Markdown
    allows that; reStructuredText reads the list as part of the paragraph)."""
    k = 1
    while k < len(lines):
        m, prev = _BULLET.match(lines[k]), lines[k - 1]
        if (m and prev.strip() and not _BULLET.match(prev)
                and len(prev) - len(prev.lstrip()) == len(m.group(1))):
            lines.insert(k, "")
            k += 1
        k += 1


def setup(app):
    # both before napoleon (priority 500)
    app.connect("autodoc-process-docstring", _underlined_sections, priority=400)
    app.connect("autodoc-process-docstring", _lists_after_paragraphs, priority=410)


# --- the executed notebooks
NOTEBOOK_SOURCES = ROOT / "notebooks"
EXECUTED = Path(os.environ.get("SILICA_NOTEBOOK_EXECUTED", ROOT / "output" / "notebooks"))
STAGED = DOCS / "notebooks"  # git-ignored copy inside the source tree

_RERUN = ("run the notebooks first: `.venv/bin/python -m pytest tests/test_notebooks.py` "
          "writes the executed copies to output/notebooks/")


def _code_sources(nb: dict) -> list[str]:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c["cell_type"] == "code"]


def _notebook_problems() -> list[str]:
    """What keeps the executed notebooks from being rendered: missing, without outputs, or stale."""
    sources = sorted(NOTEBOOK_SOURCES.glob("[0-9][0-9]_*.ipynb"))
    if not sources:
        return [f"no notebooks found in {NOTEBOOK_SOURCES}"]
    problems = []
    for src in sources:
        done = EXECUTED / src.name
        if not done.is_file():
            problems.append(f"{done} is missing")
            continue
        nb = json.loads(done.read_text())
        if _code_sources(nb) != _code_sources(json.loads(src.read_text())):
            problems.append(f"{done} was executed from another version of {src.relative_to(ROOT)}")
        elif not any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"):
            problems.append(f"{done} has no outputs")
    return problems


def _stage_notebooks() -> None:
    """Copy the executed notebooks into the docs source tree (``docs/notebooks/``, git-ignored)."""
    if STAGED.exists():
        shutil.rmtree(STAGED)
    STAGED.mkdir()
    for src in sorted(NOTEBOOK_SOURCES.glob("[0-9][0-9]_*.ipynb")):
        shutil.copy2(EXECUTED / src.name, STAGED / src.name)


_problems = _notebook_problems()
_message = ("The documentation renders the executed notebooks, and\n  " + "\n  ".join(_problems)
            + f"\n{_RERUN}")
if __name__ == "__main__":  # `python docs/conf.py`: the check alone, with a short message (build_docs.sh)
    sys.exit(_message if _problems else 0)
if _problems:
    raise ConfigError(_message)
_stage_notebooks()
