"""Read a YAML file and remember the line of every value, for error messages that point.

Two YAML 1.1 surprises are taken away: a plain ``18:00`` is the text "18:00" (YAML 1.1 reads it
as the base-60 number 1080; YAML 1.2 dropped that), and a key written twice in one mapping is
reported instead of the last one silently winning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

Loc = tuple[str | int, ...]
# libyaml's parser where PyYAML was built with it (its wheels are), 10 times faster than the
# pure-Python one: content files are read at every start.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NUMBERS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class _Loader(_SafeLoader):
    """The safe loader, with plain scalars holding ``:`` read as text (YAML 1.2), never as
    base-60 numbers: ``reminder_day_before: 18:00`` is 18:00, as the operator meant."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)
        if tag in _NUMBERS and ":" in value:
            return "tag:yaml.org,2002:str"
        return tag


class FileError(Exception):
    """A content or settings file is malformed: the message names the file, line and field."""


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int],
          repeated: list[tuple[Loc, int, int]]) -> None:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if isinstance(key, str):  # a scalar key (complex keys are not compared)
                if key in seen:
                    repeated.append(((*loc, key), line, seen[key]))
                seen.setdefault(key, line)
            lines[(*loc, key)] = line
            _walk(value_node, (*loc, key), lines, repeated)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*loc, index), lines, repeated)


def field_name(loc: Loc) -> str:
    return ".".join(str(x) for x in loc) or "(top level)"


def problem(path: Path, lines: dict[Loc, int], loc: Loc, message: str) -> str:
    """One sentence naming the file, the line and the field of a problem."""
    line = line_of(lines, loc)
    where = f"{path}, line {line}" if line else str(path)
    return f"{where}, field '{field_name(loc)}': {message}."


def load(path: Path) -> tuple[Any, dict[Loc, int]]:
    """Return the data of a YAML file and a map from each value's location to its line;
    a key written twice in one mapping is an error."""
    data, lines, repeated = load_with_repeats(path)
    if repeated:
        raise FileError(" ".join(repeated))
    return data, lines


def load_with_repeats(path: Path) -> tuple[Any, dict[Loc, int], list[str]]:
    """Like :func:`load`, but a key written twice is returned as a problem (one sentence each),
    for callers that report every problem of a file at once."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileError(f"{path}: cannot be read ({exc.strerror}).") from None
    loader = _Loader(text)
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
    repeated: list[tuple[Loc, int, int]] = []
    if node is not None:
        _walk(node, (), lines, repeated)
    return data, lines, [
        f"{path}, line {line}, field '{field_name(loc)}': the key '{loc[-1]}' is written "
        f"twice in the same place (first on line {first}), and YAML would silently keep only "
        "the last one: remove or rename one of them." for loc, line, first in repeated]


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """The line of ``loc`` or of its nearest enclosing value."""
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def validation_problems(path: Path, lines: dict[Loc, int], errors: list[Any]) -> list[str]:
    """One sentence per pydantic error: file, line, field and what is wrong."""
    return [problem(path, lines, tuple(x for x in err["loc"]
                                       if not (isinstance(x, str) and "[" in x)),
                    err["msg"].removeprefix("Value error, "))
            for err in errors]


def describe_validation_error(path: Path, lines: dict[Loc, int], errors: list[Any]) -> str:
    """One sentence per pydantic error (the first five): file, line, field and what is wrong."""
    return " ".join(validation_problems(path, lines, errors[:5]))
