"""The report's figures as CSV for the zone's spreadsheets: the same cells as the page (small
counts hidden the same way). The first four columns are the ones the report always had;
``section_code`` and ``item_code`` name the figure in codes that do not change with the
language."""

from __future__ import annotations

import csv
import io

from bot.report.model import Report

HEADER = ["month", "section", "item", "value", "section_code", "item_code"]


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for table in report.tables():
        for row in table.rows:
            single = len(row.cells) == 1
            for i, (column, value) in enumerate(zip(table.columns[1:], row.cells,
                                                    strict=False), start=1):
                if value == "":
                    continue  # no figure there (the first step has no share)
                item = f"{row.label} · {column}" if column and not single else row.label
                code = row.code if single else f"{row.code}.{i}"
                writer.writerow([report.period.label, table.title, item, value, table.code,
                                 code])
    return out.getvalue()

