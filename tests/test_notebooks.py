"""Execute every notebook in ``notebooks/`` top to bottom at the cheap fidelity.

Each notebook runs in a fresh kernel of this interpreter (the venv's python) with cwd = ``notebooks/``,
``SILICA_NOTEBOOK_FIDELITY=tiny`` and ``SILICA_NOTEBOOK_OUT`` (where notebooks 3 and 4 keep computed
landscapes and fit stores) in pytest's tmp dir, so every run starts from scratch; any cell error fails
the test. The executed copy of a notebook that ran is written to ``output/notebooks/`` (git-ignored;
``SILICA_NOTEBOOK_EXECUTED`` overrides the folder), which the documentation renders without executing
again (``scripts/build_docs.sh``). A notebook that fails leaves no executed copy there (a stale one is
removed); its failing copy goes to pytest's tmp dir, named in the failure message. The notebooks in the
repository are never modified.

Notebooks that need a library module which is not in this checkout are skipped with the reason below,
never silently passed. Cost at ``tiny`` on 2 cores: see the timings printed with ``pytest -s``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))

#: Library modules each notebook needs beyond the core (forcefield, engine, evaluate, structure, cost).
REQUIRES = {
    "01_forcefield.ipynb": ["holoviews", "silica_explorer.app.plots"],
    "02_table2_pdfs_angles.ipynb": ["holoviews", "silica_explorer.scoring", "silica_explorer.reference",
                                    "silica_explorer.app.plots"],
    "03_landscape_ml_vs_cg.ipynb": ["holoviews", "silica_explorer.landscape", "silica_explorer.parallel",
                                    "silica_explorer.optimize", "silica_explorer.app.plots"],
    "04_full_fit.ipynb": ["holoviews", "silica_explorer.optimize", "silica_explorer.store",
                          "silica_explorer.app.plots"],
    "05_glass_check.ipynb": ["holoviews", "silica_explorer.glass", "silica_explorer.quench"],
}

#: Where executed copies go, for the documentation (git-ignored).
EXECUTED_DIR = Path(os.environ.get("SILICA_NOTEBOOK_EXECUTED", ROOT / "output" / "notebooks"))

#: Per-cell time limit (s); a tiny notebook needs a few seconds per cell.
CELL_TIMEOUT_S = 600


def _missing(modules: list[str]) -> list[str]:
    out = []
    for name in modules:
        try:
            if importlib.util.find_spec(name) is None:
                out.append(name)
        except ModuleNotFoundError:
            out.append(name)
    return out


def test_notebooks_exist():
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"
    for nb in NOTEBOOKS:
        assert nb.name in REQUIRES, f"{nb.name}: add it to REQUIRES in {Path(__file__).name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_parameter_cell(path):
    """The first code cell is the tagged parameter cell and reads SILICA_NOTEBOOK_FIDELITY."""
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "parameters" in first.metadata.get("tags", []), f"{path.name}: first code cell is not tagged 'parameters'"
    assert "SILICA_NOTEBOOK_FIDELITY" in first.source and "FIDELITY" in first.source
    assert path.stat().st_size < 1_000_000, f"{path.name} is {path.stat().st_size} bytes (limit 1 MB)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    missing = _missing(REQUIRES.get(path.name, []))
    if missing:
        pytest.skip(f"{path.name} needs {', '.join(missing)}, which this checkout does not have yet")
    nb = nbformat.read(path, as_version=4)
    monkeypatch.setenv("SILICA_NOTEBOOK_FIDELITY", "tiny")
    monkeypatch.setenv("SILICA_NOTEBOOK_OUT", str(tmp_path / "out"))  # computed landscapes, fit stores
    # the kernel is this interpreter; the checkout is importable even without `pip install -e .`
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    executed = EXECUTED_DIR / path.name
    executed.unlink(missing_ok=True)  # never leave an older run's outputs for the docs
    t0 = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        failed = tmp_path / path.name
        nbformat.write(nb, failed)
        pytest.fail(f"{path.name} failed (executed copy: {failed}):\n{exc}", pytrace=False)
    finally:
        print(f"\n{path.name}: {time.perf_counter() - t0:.1f} s at tiny")
    EXECUTED_DIR.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, executed)
