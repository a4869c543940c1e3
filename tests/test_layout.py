"""The package's layout rules, checked on the source with ``ast`` (nothing is imported).

The import graph has one node per module of ``silica_explorer`` (a package is its ``__init__``) and an
edge for every import statement anywhere in a module: top level, inside functions, under
``if TYPE_CHECKING:``. Relative imports are resolved; ``from pkg import name`` is an import of the
module ``pkg.name`` when that module exists, else of ``pkg``. On that graph:

- no cycle between modules (the failure names each cycle's modules);
- no module imports another module's private name (``_x``; dunders such as ``__version__`` are
  public), neither with ``from mod import _x`` nor as ``mod._x`` on an imported module;
- ``silica_explorer.optimize`` imports nothing from ``analysis``, ``landscape`` or ``app``;
- the Matern kernel is constructed (a ``Matern(...)`` call) in exactly one module;
- every module is under ``MAX_LINES`` lines, and every package ``__init__`` has a docstring.

The self-tests at the end plant a cycle and a private import in a small package under ``tmp_path``
and check that the same detectors find them.
"""

from __future__ import annotations

import ast
import collections
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "silica_explorer"

#: Upper bound on a module's length (lines, ``wc -l``): one module per idea, under about 500 lines.
MAX_LINES = 500

#: Packages that the optimizers must not import: analysis and views sit downstream of optimize.
OPTIMIZE_MUST_NOT_IMPORT = ("analysis", "landscape", "app")


@dataclass
class ImportGraph:
    """Modules of one package tree and the imports between them.

    Attributes:
        modules: dotted module name -> source file.
        edges: module -> set of modules it imports (within the package tree only).
        private: ``(importer, "module.name")`` for every private name taken from another module.
    """

    modules: dict[str, Path]
    edges: dict[str, set[str]] = field(default_factory=lambda: collections.defaultdict(set))
    private: list[tuple[str, str]] = field(default_factory=list)


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Dotted name -> file for every ``.py`` file of ``root/package`` (``a/__init__.py`` is ``a``)."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _resolve_from(module: str, path: Path, node: ast.ImportFrom) -> str | None:
    """The absolute module named by a ``from X import ...`` statement inside ``module``."""
    if not node.level:
        return node.module
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def build_graph(root: Path, package: str) -> ImportGraph:
    """Parse every module of ``root/package`` and collect its imports of the same package."""
    graph = ImportGraph(module_names(root, package))
    mods = graph.modules

    def inside(name: str | None) -> bool:
        return bool(name) and (name == package or name.startswith(package + "."))

    for mod, path in mods.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        module_aliases: dict[str, str] = {}  # local name -> module it is bound to
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _resolve_from(mod, path, node)
                if not inside(target):
                    continue
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    dest = full if full in mods else target
                    if dest != mod:
                        graph.edges[mod].add(dest)
                    if full in mods:
                        module_aliases[alias.asname or alias.name] = full
                    elif _is_private(alias.name) and target != mod:
                        graph.private.append((mod, full))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if inside(alias.name):
                        if alias.name != mod:
                            graph.edges[mod].add(alias.name if alias.name in mods else alias.name.rsplit(".", 1)[0])
                        if alias.asname:
                            module_aliases[alias.asname] = alias.name
        # `mod._x` on a module bound by an import is a private import too
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and _is_private(node.attr) and isinstance(node.value, ast.Name)
                    and node.value.id in module_aliases and module_aliases[node.value.id] != mod):
                graph.private.append((mod, f"{module_aliases[node.value.id]}.{node.attr}"))
    return graph


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The modules of each import cycle: every strongly connected component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    nodes = set(edges) | {w for ws in edges.values() for w in ws}

    for start in sorted(nodes):  # iterative Tarjan, so deep graphs need no recursion limit
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        components.append(sorted(comp))
    return sorted(components)


def cycle_path(edges: dict[str, set[str]], comp: list[str]) -> list[str]:
    """One concrete cycle ``[a, b, ..., a]`` inside a component: the shortest from its first module."""
    members, first = set(comp), comp[0]
    prev: dict[str, str] = {}
    queue = collections.deque([first])
    while queue:
        v = queue.popleft()
        for w in sorted(edges.get(v, ())):
            if w not in members or w in prev:
                continue
            prev[w] = v
            if w == first:
                queue.clear()
                break
            queue.append(w)
    path = [first]
    while True:
        path.append(prev[path[-1]])
        if path[-1] == first:
            break
    return path[::-1]


def _cycle_report(edges: dict[str, set[str]], cycles: list[list[str]]) -> str:
    return "\n".join(f"{', '.join(c)} (e.g. {' -> '.join(cycle_path(edges, c))})" for c in cycles)


# ---------------------------------------------------------------------------------------------------
# the rules, on silica_explorer

GRAPH = build_graph(ROOT, PACKAGE)


def test_package_found():
    assert f"{PACKAGE}.optimize" in GRAPH.modules and len(GRAPH.modules) > 20
    assert sum(len(v) for v in GRAPH.edges.values()) > 50


def test_no_import_cycles():
    cycles = find_cycles(GRAPH.edges)
    assert not cycles, f"{len(cycles)} import cycle(s) among {PACKAGE} modules:\n{_cycle_report(GRAPH.edges, cycles)}"


def test_no_private_imports_across_modules():
    lines = sorted(f"{importer} imports {name}" for importer, name in GRAPH.private)
    assert not lines, f"{len(lines)} private name(s) imported from another module:\n" + "\n".join(lines)


def test_optimize_imports_no_analysis_landscape_or_app():
    banned = tuple(f"{PACKAGE}.{p}" for p in OPTIMIZE_MUST_NOT_IMPORT)
    bad = sorted(f"{m} imports {t}" for m, ts in GRAPH.edges.items()
                 if m == f"{PACKAGE}.optimize" or m.startswith(f"{PACKAGE}.optimize.")
                 for t in ts if any(t == b or t.startswith(b + ".") for b in banned))
    assert not bad, "optimize/ must not import analysis/, landscape/ or app/:\n" + "\n".join(bad)


def _matern_modules(modules: dict[str, Path]) -> list[str]:
    out = []
    for mod, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
                if name == "Matern":
                    out.append(mod)
                    break
    return sorted(out)


def test_matern_kernel_built_in_one_module():
    mods = _matern_modules(GRAPH.modules)
    assert len(mods) == 1, f"Matern(...) is constructed in {len(mods)} modules (want exactly 1): {mods}"


def test_modules_are_short():
    long = sorted((n, mod) for mod, path in GRAPH.modules.items()
                  if (n := len(path.read_text().splitlines())) >= MAX_LINES)
    assert not long, f"modules of {MAX_LINES} lines or more:\n" + "\n".join(f"{m}: {n}" for n, m in long)


def test_package_inits_have_docstrings():
    missing = sorted(mod for mod, path in GRAPH.modules.items()
                     if path.name == "__init__.py" and not (ast.get_docstring(ast.parse(path.read_text())) or "").strip())
    assert not missing, "package __init__ without a docstring: " + ", ".join(missing)


# ---------------------------------------------------------------------------------------------------
# the detectors find what is planted in a synthetic package

def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_detectors_find_planted_cycle_and_private_imports(tmp_path):
    _write(tmp_path, {
        "pkg/__init__.py": '"""Planted."""\n__version__ = "1"\n',
        "pkg/sub/__init__.py": "from .a import run\n",
        # a -> b at top level, b -> c inside a function, c -> a under TYPE_CHECKING (relative, two levels)
        "pkg/sub/a.py": "from pkg.sub import b\ndef run():\n    return b.go()\n",
        "pkg/sub/b.py": "def go():\n    from .c import helper\n    return helper()\n",
        "pkg/sub/c.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..sub.a import run\n"
                         "def helper():\n    return 1\ndef _hidden():\n    return 2\n"),
        # private imports: a name, an attribute of an imported module; a dunder and an own name are fine
        "pkg/d.py": ("from pkg.sub.c import _hidden\nfrom pkg.sub import c as cc\nfrom pkg import __version__\n"
                     "def _mine():\n    return cc._hidden()\n"),
        "pkg/e.py": "import pkg.d\nfrom .d import _mine\n",
    })
    graph = build_graph(tmp_path, "pkg")
    assert graph.edges["pkg.sub.a"] == {"pkg.sub.b"}
    assert graph.edges["pkg.sub.b"] == {"pkg.sub.c"}
    assert graph.edges["pkg.sub.c"] == {"pkg.sub.a"}
    assert graph.edges["pkg.sub"] == {"pkg.sub.a"}
    assert graph.edges["pkg.d"] == {"pkg.sub.c", "pkg"}
    cycles = find_cycles(graph.edges)
    assert cycles == [["pkg.sub.a", "pkg.sub.b", "pkg.sub.c"]]
    assert cycle_path(graph.edges, cycles[0]) == ["pkg.sub.a", "pkg.sub.b", "pkg.sub.c", "pkg.sub.a"]
    assert "pkg.sub.a -> pkg.sub.b -> pkg.sub.c -> pkg.sub.a" in _cycle_report(graph.edges, cycles)
    assert sorted(graph.private) == [("pkg.d", "pkg.sub.c._hidden"), ("pkg.d", "pkg.sub.c._hidden"),
                                     ("pkg.e", "pkg.d._mine")]


def test_detectors_pass_a_clean_package(tmp_path):
    _write(tmp_path, {
        "pkg/__init__.py": '"""Clean."""\nfrom .a import f\n',
        "pkg/a.py": "from .b import g\ndef f():\n    return g()\n",
        "pkg/b.py": "from sklearn.gaussian_process.kernels import Matern\ndef g():\n    return Matern(nu=2.5)\n",
    })
    graph = build_graph(tmp_path, "pkg")
    assert find_cycles(graph.edges) == [] and graph.private == []
    assert _matern_modules(graph.modules) == ["pkg.b"]
