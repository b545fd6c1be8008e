"""The report as figures already written out (counts hidden where small): tables of rows, each
with its chart's bars. The page and the CSV are both written from it, so they say the same."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.report.period import Period


@dataclass
class Row:
    code: str
    label: str
    cells: list[str]
    bar: int | None = None  # the count the chart draws, if any


@dataclass
class Table:
    code: str
    title: str
    columns: list[str]  # the first names the rows' labels
    rows: list[Row] = field(default_factory=list)
    note: str = ""
    group: str = ""  # tables shown side by side under one heading (the funnel's sources)
    chart: str = ""  # "bars": the rows' counts; "percent": the rows' last cell as a bar

    def add(self, code: str, label: str, *cells: str, bar: int | None = None) -> None:
        self.rows.append(Row(code, label, list(cells), bar))


@dataclass
class Report:
    period: Period
    title: str
    lang: str
    generated: date
    notes: list[str] = field(default_factory=list)
    sections: list[tuple[str, list[Table]]] = field(default_factory=list)

    def section(self, title: str, *tables: Table) -> None:
        self.sections.append((title, list(tables)))

    def tables(self) -> Iterable[Table]:
        for _, tables in self.sections:
            yield from tables

    def table(self, code: str) -> Table:
        return next(t for t in self.tables() if t.code == code)

    def cell(self, table: str, row: str, column: int = 0) -> str:
        """One figure as shown: the ``column``-th value of a row (tests read them so)."""
        found = next(r for r in self.table(table).rows if r.code == row)
        return found.cells[column]


def expand(counts: Counter[str]) -> list[int]:
    """Whole-number keys and their counts, as the list of values."""
    values: list[int] = []
    for key, n in counts.items():
        values += [int(key)] * n
    return sorted(values)


def median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if len(values) >= 5 else None


def p90(values: Sequence[int]) -> float | None:
    """The 90th percentile, nearest rank: the value at or below which 90% of them are."""
    if len(values) < 5:
        return None
    ordered = sorted(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])
