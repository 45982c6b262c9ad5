"""The layers of DESIGN §3, read from the package's own imports (every import, in functions too).

Each module belongs to a layer; a module may import its own layer and the layers below it, never
one above it, and no two modules may import each other, directly or round a longer cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "src" / "programma"

LAYERS = {
    # utilities every layer may use: the exceptions, plain-text formatting, atomic writing
    "programma._errors": 0,
    "programma._text": 0,
    "programma._atomic": 0,
    "programma.model": 1,
    "programma.periods": 2,
    "programma.uncertainty": 3,
    "programma.finance": 3,  # pure maths, below the engine
    "programma.engine": 4,
    "programma.analysis": 5,
    "programma.files": 6,
    "programma.report": 6,
    "programma.export": 6,
    "programma.plot": 6,
    "programma.examples": 6,
    "programma.cli": 6,
    "programma.__main__": 6,
    "programma": 6,  # the public API: re-exports every layer, and holds __version__
}
"""The layer of each package or module, lowest first (DESIGN §3)."""


def module_name(path: Path) -> str:
    parts = ["programma", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Each module's imports of other programma modules, wherever in the module they stand."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    found: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")
                if node.level:
                    base = base[: len(base) - node.level + 1]
                    stem = ".".join([*base, node.module] if node.module else base)
                else:
                    stem = node.module or ""
                targets = [f"{stem}.{alias.name}" for alias in node.names] + [stem]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target.startswith("programma"):
                    found[name].add(target)
    return found


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of a module except those in ``if TYPE_CHECKING:`` blocks, which never run."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for child in node.body for inner in ast.walk(child))
    return [node for node in ast.walk(tree) if id(node) not in skipped]


def layer(module: str) -> int:
    while module not in LAYERS:
        module = module.rpartition(".")[0]
    return LAYERS[module]


def upward() -> set[tuple[str, str]]:
    return {
        (name, target)
        for name, targets in imports().items()
        for target in targets
        if layer(target) > layer(name) and not target.startswith(name + ".")
    }


def cycles() -> set[frozenset[str]]:
    """The sets of modules that import each other round a cycle (Tarjan's components)."""
    graph = imports()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    # a package's __init__ importing its own modules is not a cycle between modules
    return {c for c in found if not any(a.startswith(b + ".") for a in c for b in c if a != b)}


class TestLayers:
    def test_every_module_has_a_layer(self) -> None:
        """Each module of the package falls in one of the layers."""
        assert [] == [name for name in imports() if not _placed(name)]

    def test_no_upward_import(self) -> None:
        """No module imports a layer above its own (DESIGN §3's nevers)."""
        assert set() == upward()

    def test_no_cycle(self) -> None:
        """No two modules import each other, directly or round a longer cycle."""
        assert set() == cycles()

    def test_the_check_reads_functions_not_type_hints(self) -> None:
        """Imports inside functions count; imports made only for type checkers do not."""

        def imported(source: str) -> list[str | None]:
            nodes = _runtime_nodes(ast.parse(source))
            return [n.module for n in nodes if isinstance(n, ast.ImportFrom) and n.level]

        assert ["analysis"] == imported("def f():\n    from ..analysis import summary\n")
        typed = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..cli import main\n"
        assert [] == imported(typed)


def _placed(name: str) -> bool:
    while name:
        if name in LAYERS:
            return True
        name = name.rpartition(".")[0]
    return False
