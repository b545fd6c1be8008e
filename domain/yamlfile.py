"""Read a YAML file and remember the line of every value, for error messages that point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

Loc = tuple[str | int, ...]
# libyaml's parser where PyYAML was built with it (its wheels are), 10 times faster than the
# pure-Python one: content files are read at every start.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FileError(Exception):
    """A content or settings file is malformed: the message names the file, line and field."""


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*loc, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*loc, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*loc, index), lines)


def load(path: Path) -> tuple[Any, dict[Loc, int]]:
    """Return the data of a YAML file and a map from each value's location to its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileError(f"{path}: cannot be read ({exc.strerror}).") from None
    loader = _SafeLoader(text)
    try:  # parsed once: the nodes (with their lines), then the data built from them
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise FileError(f"{path}{where}: not valid YAML ({problem}).") from None
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """The line of ``loc`` or of its nearest enclosing value."""
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def describe_validation_error(path: Path, lines: dict[Loc, int], errors: list[Any]) -> str:
    """One sentence per pydantic error: file, line, field and what is wrong."""
    parts = []
    for err in errors[:5]:
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and "[" in x))
        line = line_of(lines, loc)
        field = ".".join(str(x) for x in loc) or "(top level)"
        where = f"{path}, line {line}" if line else str(path)
        parts.append(f"{where}, field '{field}': {err['msg']}.")
    return " ".join(parts)
