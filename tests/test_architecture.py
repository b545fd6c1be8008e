"""The import graph has no circle and the domain imports nothing outward (tests/check_imports)."""

from __future__ import annotations

from pathlib import Path

from tests.check_imports import circles, graph, outward


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
