"""The report as one HTML page: readable on a phone (one column, tables that wrap or scroll),
printable on A4 (print CSS), charts as inline SVG that read in black and white: every bar
carries its number in words, small counts are drawn hatched, never told by colour alone."""

from __future__ import annotations

from html import escape

from babel.dates import format_date

from bot.report.labels import SMALL, TEXT
from bot.report.model import Report, Table

CSS = """
:root{--ink:#1a1a1a;--soft:#555;--line:#bbb}
*{box-sizing:border-box}
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
 margin:0 auto;max-width:62rem;padding:1rem}
h1{font-size:1.5rem;margin:.2rem 0 .4rem}
h2{font-size:1.2rem;margin:1.6rem 0 .4rem;border-bottom:2px solid var(--ink)}
h3{font-size:1rem;margin:.8rem 0 .3rem}
p.note{color:var(--soft);font-size:.9rem;margin:.2rem 0 .6rem}
.meta{color:var(--soft);font-size:.95rem}
.privacy{border-left:4px solid var(--ink);padding:.3rem .7rem;font-size:.9rem;background:#f4f4f4}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92rem;margin:.2rem 0 .6rem}
th,td{padding:.3rem .45rem;border-bottom:1px solid var(--line);text-align:left;
 vertical-align:top}
td.n,th.n{text-align:right;white-space:nowrap}
thead th{border-bottom:2px solid var(--ink);font-size:.85rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(17rem,1fr));gap:.4rem 1.2rem}
.card{break-inside:avoid;page-break-inside:avoid}
svg{display:block;width:100%;height:auto;max-width:30rem;margin:.2rem 0 .4rem}
svg text{font:12.5px system-ui,sans-serif;fill:#1a1a1a}
.key td.n{font-size:1.15rem;font-weight:600}
th[scope=row]{font-weight:600}
@media (max-width:34rem){body{padding:.6rem;font-size:15px}table{font-size:.88rem}
 th,td{padding:.25rem .3rem}
 table.wide thead{display:none}
 table.wide tr{display:block;border-bottom:1px solid var(--line);padding:.25rem 0}
 table.wide th[scope=row]{display:block;border:0;padding:.15rem .3rem}
 table.wide td{display:flex;justify-content:space-between;gap:1rem;border:0;
  padding:.05rem .3rem .05rem 1rem;text-align:right}
 table.wide td::before{content:attr(data-label);color:var(--soft);text-align:left}}
@page{size:A4;margin:14mm 12mm}
@media print{body{max-width:none;padding:0;font-size:10.5pt}
 h2,h3,p.note{break-after:avoid;page-break-after:avoid}
 section{break-inside:auto}.card,table,svg{break-inside:avoid;page-break-inside:avoid}
 .privacy{background:none}.scroll{overflow:visible}
 .s-funnel{break-before:page;page-break-before:always}}
"""

PATTERNS = """<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse"
patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>
<line x1="0" y1="0" x2="0" y2="6" stroke="#1a1a1a" stroke-width="2"/></pattern></defs>"""


def _bars(rows: list[tuple[str, int | None, str]], small: bool) -> str:
    """Horizontal bars: label, length (None: nothing to draw), the figure as written. A small
    count is drawn hatched and always the same length, so the bar tells no more than the
    words "fewer than 5"."""
    if not rows:
        return ""
    width, label_w, row_h, room = 400, 168, 22, 160
    top = (max((n or 0) for _, n, _ in rows) or 1) if small else 100
    height = row_h * len(rows) + 4
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-hidden="true">', PATTERNS]
    for i, (label, n, shown) in enumerate(rows):
        y = 2 + i * row_h
        short = label if len(label) <= 23 else label[:22] + "…"
        parts.append(f'<text x="0" y="{y + 15}">{escape(short)}</text>')
        x = label_w
        if n:
            hidden = small and n < SMALL
            size = round(room * 0.2) if hidden else max(3, round(room * min(n, top) / top))
            fill = "url(#hatch)" if hidden else "#3a3a3a"
            parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{size}" height="{row_h - 7}"'
                         f' fill="{fill}" stroke="#1a1a1a"/>')
            x += size
        parts.append(f'<text x="{x + 4}" y="{y + 15}">{escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _chart(table: Table) -> str:
    if table.chart == "bars":
        return _bars([(r.label, r.bar, " · ".join(c for c in r.cells[:2] if c))
                      for r in table.rows], small=True)
    if table.chart == "percent" and any(r.bar for r in table.rows):
        return _bars([(r.label, r.bar, r.cells[-1]) for r in table.rows], small=False)
    return ""


def _table(table: Table, heading: bool = True) -> str:
    first = table.rows[0].cells if table.rows else []
    numeric = [i > 0 and i <= len(first) and _is_figure(first[i - 1])
               for i in range(len(table.columns))]
    head = "".join(f'<th class="{"n" if numeric[i] else ""}">{escape(c)}</th>'
                   for i, c in enumerate(table.columns))
    body = []
    for row in table.rows:
        cells = "".join(
            f'<td class="{"n" if _is_figure(c) else ""}" data-label="{escape(label)}">'
            f"{escape(c)}</td>" for label, c in zip(table.columns[1:], row.cells, strict=False))
        body.append(f"<tr><th scope='row'>{escape(row.label)}</th>{cells}</tr>")
    wide = ' class="wide"' if len(table.columns) >= 4 else ""
    parts = [f"<h3>{escape(table.title)}</h3>" if heading else ""]
    if table.note and table.group == "":
        parts.append(f'<p class="note">{escape(table.note)}</p>')
    parts.append(_chart(table))
    if table.rows:
        thead = f"<thead><tr>{head}</tr></thead>" if any(table.columns) else ""
        parts.append(f'<div class="scroll"><table{wide}>{thead}'
                     f'<tbody>{"".join(body)}</tbody></table></div>')
    return "".join(parts)


def _is_figure(cell: str) -> bool:
    return bool(cell) and (cell[0].isdigit() or cell in {"–", *_small_words()})


def _small_words() -> set[str]:
    return {w for words in TEXT.values() for w in (words["fewer"], words["na"])}


def to_html(report: Report) -> str:
    words = TEXT[report.lang]
    out = [f'<!doctype html><html lang="{report.lang}"><head><meta charset="utf-8">'
           '<meta name="viewport" content="width=device-width,initial-scale=1">'
           f"<title>{escape(report.title)} · {report.period.label}</title>"
           f"<style>{CSS}</style></head><body>",
           f"<h1>{escape(report.title)}</h1>",
           f'<p class="meta">{escape(words["period"].format(period=_period(report)))} · '
           f'{escape(words["generated"].format(day=_day(report)))}</p>',
           '<div class="privacy">' + "".join(f"<p>{escape(n)}</p>" for n in report.notes)
           + "</div>"]
    for title, tables in report.sections:
        kind = (tables[0].group or tables[0].code) if tables else ""
        out.append(f'<section class="s-{kind}"><h2>{escape(title)}</h2>')
        grouped = bool(tables) and tables[0].group != ""
        if grouped:
            if tables[0].note:
                out.append(f'<p class="note">{escape(tables[0].note)}</p>')
            out.append('<div class="grid">')
        for table in tables:
            body = _table(table, heading=table.title != title)
            if not table.rows:
                body += f'<p class="note">{escape(words["empty"])}</p>'
            out.append(f'<div class="card {"key" if table.code == "key" else ""}">{body}</div>')
        out.append("</div></section>" if grouped else "</section>")
    out.append("</body></html>")
    return "\n".join(out)


def _day(report: Report) -> str:
    return format_date(report.generated, "long", locale=report.lang)


def _period(report: Report) -> str:
    period, lang = report.period, report.lang
    if period.label == period.first.strftime("%Y-%m"):
        return format_date(period.first, "LLLL yyyy", locale=lang)
    return (f"{format_date(period.first, 'long', locale=lang)} – "
            f"{format_date(period.last, 'long', locale=lang)}")
