"""The import graph has no circle and the domain imports nothing outward (tests/check_imports);
no module is over 400 lines and no function over 60 (issue 14)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.check_imports import circles, graph, outward

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "domain", "nlu", "storage")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
#: Being split into composed flow classes (another engineer's work, in parallel): not held to
#: the limits until then. Empty this when they are split.
NOT_YET_SPLIT: frozenset[str] = frozenset()  # every module is within the limits


def test_no_import_circle():
    assert circles(graph()) == []


def test_the_domain_imports_nothing_outward():
    assert outward() == []


def test_the_checker_sees_a_circle_and_a_wrong_import(tmp_path: Path):
    for package in ("domain", "storage"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "domain" / "a.py").write_text("from domain import b\n")
    (tmp_path / "domain" / "b.py").write_text(
        "def later():\n    from domain.a import x\n    import sqlalchemy\n")
    assert circles(graph(tmp_path)) == [["domain.a", "domain.b"]]
    assert outward(tmp_path) == ["domain.b imports sqlalchemy"]


def too_long(root: Path = ROOT) -> list[str]:
    """Modules over :data:`MAX_MODULE_LINES` lines and functions (methods, nested ones too)
    over :data:`MAX_FUNCTION_LINES`, from ``def`` to their last line, as
    ``path: what (n lines)``."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            name = path.relative_to(root).as_posix()
            source = path.read_text(encoding="utf-8")
            lines = len(source.splitlines())
            if lines > MAX_MODULE_LINES:
                found.append(f"{name}: module ({lines} lines)")
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > MAX_FUNCTION_LINES:
                        found.append(f"{name}: {node.name} ({length} lines)")
    return found


def test_no_module_over_400_lines_and_no_function_over_60():
    assert [f for f in too_long() if f.split(":")[0] not in NOT_YET_SPLIT] == []


def test_the_length_check_sees_a_long_function_and_a_long_module(tmp_path: Path):
    (tmp_path / "bot").mkdir()
    body = "".join(f"    x{i} = {i}\n" for i in range(60))
    (tmp_path / "bot" / "long.py").write_text(f"def short():\n    pass\n\n\n"
                                              f"async def long():\n{body}")
    (tmp_path / "bot" / "big.py").write_text("x = 1\n" * 401)
    assert too_long(tmp_path) == ["bot/big.py: module (401 lines)",
                                  "bot/long.py: long (61 lines)"]
