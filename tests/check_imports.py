"""``python -m tests.check_imports``: the project's import graph has no circle, and the layers
point inward (DESIGN.md): ``domain`` imports none of telegram, sqlalchemy, nlu, bot, handlers,
storage. Exit 1, naming what is wrong.

Every import counts, wherever it is written: at the top, under ``TYPE_CHECKING``, or inside a
function (an import moved into a function to dodge a circle is still a circle).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "domain", "nlu", "storage", "locales")
#: What the heart may not know about (DESIGN.md, "Imports point inward").
FORBIDDEN = {"domain": ("telegram", "sqlalchemy", "nlu", "bot", "handlers", "storage")}


def modules(root: Path = ROOT) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imported(path: Path) -> Iterator[str]:
    """Every module name an import in the file names (and, for ``from x import y``, x.y)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    known = modules(root)
    return {name: {m for m in imported(path) if m in known and m != name}
            for name, path in known.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def outward(root: Path = ROOT) -> list[str]:
    """Imports that point the wrong way, as 'module imports name'."""
    wrong = []
    for name, path in modules(root).items():
        layer = name.split(".", 1)[0]
        for target in set(imported(path)):
            top = target.split(".", 1)[0]
            if top in FORBIDDEN.get(layer, ()):
                wrong.append(f"{name} imports {target}")
    return sorted(wrong)


def main() -> int:
    problems = [f"import circle: {' <-> '.join(group)}" for group in circles(graph())]
    problems += [f"layer rule broken: {line}" for line in outward()]
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{len(modules())} modules: no import circle, domain imports nothing outward")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
