"""The package imports cleanly, module by module, and no module imports itself back through others:
every import statement counts, a function's own as much as the file's."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import restitution

PACKAGE = Path(restitution.__file__).parent


def _file(name: str) -> Path | None:
    """The source file of module `name` of the package, or None when `name` is no module."""
    relative = Path(*name.split(".")[1:])
    for candidate in (PACKAGE / relative / "__init__.py", (PACKAGE / relative).with_suffix(".py")):
        if name.startswith("restitution") and candidate.is_file():
            return candidate
    return None


def module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ["restitution", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        if parts[-1] != "__main__":  # `python -m restitution` runs it; importing it runs the CLI
            names.append(".".join(parts))
    return names


def imports_of(name: str) -> set[str]:
    """The package's modules that `name`'s import statements name."""
    source_file = _file(name)
    assert source_file is not None, name
    is_package = source_file.name == "__init__.py"
    tree = ast.parse(source_file.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from pkg import x` names the module pkg.x when there is one, else pkg itself.
            targets = [f"{source}.{a.name}" if _file(f"{source}.{a.name}") else source for a in node.names]
        else:
            continue
        found.update(t for t in targets if t == "restitution" or t.startswith("restitution."))
    found.discard(name)
    return found


@pytest.mark.parametrize("name", module_names())
def test_every_module_imports(name: str) -> None:
    importlib.import_module(name)


def test_no_import_cycle() -> None:
    graph = {name: imports_of(name) for name in module_names()}
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycle = path[path.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for name in graph:
        if name not in state:
            visit(name)


def test_the_walk_sees_lazy_imports_too() -> None:
    # A cycle hidden in a function (worker importing pipeline inside `process`) is still one.
    assert "restitution.pipeline" in imports_of("restitution.worker")
    assert "restitution.index" in imports_of("restitution.batch")
