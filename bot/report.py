"""``teams-bot report --month YYYY-MM``: the monthly figures the zone's social plan reports on.

Numbers only, and no person can be recognised: any count from 1 to 4 is shown as "fewer than 5"
(in the page, the CSV and the charts). Erased citizens still count, through the anonymous
tallies kept when they were erased.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from domain.reporting import MonthRecords, Reports

SMALL = 5
FEWER = "fewer than 5"
ROLES = ("social_worker", "labour_expert", "mediator")


def shown(n: int) -> str:
    return FEWER if 0 < n < SMALL else str(n)


@dataclass
class Report:
    month: str
    sections: dict[str, Counter[str]] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)  # single values, already shown

    def section(self, name: str) -> Counter[str]:
        return self.sections.setdefault(name, Counter())


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    year, number = (int(x) for x in month.split("-"))
    start = datetime.combine(date(year, number, 1), time.min, tzinfo=zone)
    following = date(year + number // 12, number % 12 + 1, 1)
    return start, datetime.combine(following, time.min, tzinfo=zone)


async def build(reports: Reports, month: str, zone: ZoneInfo) -> Report:
    start, end = month_bounds(month, zone)
    records = await reports.month(month, start, end)
    tally: dict[str, Counter[str]] = {}
    for metric, key, n in records.tallies:
        tally.setdefault(metric, Counter())[key] += int(n)
    report = Report(month)
    new_citizens = _new_citizens(report, records, tally)
    _appointments(report, records, tally)
    report.section("questions by topic").update(tally.get("questions.topic", Counter()))
    report.section("answers listened to, by topic").update(
        tally.get("questions.listen", Counter()))
    report.section("not understood, nearest topic").update(
        tally.get("questions.unanswered", Counter()))
    _handovers(report, records, tally)
    report.figures["citizens active this month"] = shown(len(records.active))
    report.figures["new citizens"] = shown(new_citizens)
    return report


def _new_citizens(report: Report, records: MonthRecords,
                  tally: dict[str, Counter[str]]) -> int:
    """New citizens by referral and by language; how many there were."""
    referral, language = report.section("new citizens by referral"), report.section(
        "new citizens by language")
    for ref, lang in records.new_citizens:
        referral[ref or "unknown"] += 1
        language[lang or "unknown"] += 1
    referral.update(tally.get("citizens.referral", Counter()))
    language.update(tally.get("citizens.language", Counter()))
    return sum(referral.values())


def _appointments(report: Report, records: MonthRecords,
                  tally: dict[str, Counter[str]]) -> None:
    """Needs in appointments, appointments by role and outcome, the no-show rates."""
    needs = report.section("needs in appointments")
    per_role = {role: Counter() for role in ROLES}  # type: dict[str, Counter[str]]
    for role, status, booked_needs in records.bookings:
        per_role.setdefault(role, Counter())[status] += 1
        for need in booked_needs or []:
            needs[need] += 1
    needs.update(tally.get("bookings.need", Counter()))
    for metric, counts in tally.items():
        if metric.startswith("bookings.") and metric != "bookings.need":
            status = metric.removeprefix("bookings.")
            for role, n in counts.items():
                per_role.setdefault(role, Counter())[status] += n
    bookings_section = report.section("appointments by role and outcome")
    for role, counts in per_role.items():
        for status, n in counts.items():
            bookings_section[f"{role}: {status}"] += n
        held = counts["attended"] + counts["no_show"]
        if held >= SMALL:
            report.figures[f"no-show rate, {role}"] = f"{counts['no_show'] / held:.0%}"
        elif held:
            report.figures[f"no-show rate, {role}"] = f"{FEWER} appointments held"


def _handovers(report: Report, records: MonthRecords,
               tally: dict[str, Counter[str]]) -> None:
    """Hand-overs by reason, the time to a person's first answer, and how many
    conversations needed no person."""
    reasons = report.section("hand-overs by reason")
    waits = []
    for handover in records.handovers:
        reasons[handover.reason] += 1
        if handover.first_human_at is not None:
            waits.append((handover.first_human_at - handover.opened_at).total_seconds())
    reasons.update(tally.get("handovers", Counter()))
    answered = len(waits) + tally.get("handovers.answered", Counter())["all"]
    if answered >= SMALL:
        if waits:
            report.figures["time to first human answer, median"] = (
                f"{statistics.median(waits) / 60:.0f} min")
        total = sum(waits) + tally.get("handovers.first_answer_s_sum", Counter())["all"]
        report.figures["time to first human answer, mean"] = f"{total / answered / 60:.0f} min"
    handed = {handover.citizen_id for handover in records.handovers}
    active = records.active
    if len(active) >= SMALL:
        report.figures["conversations resolved without a person"] = (
            f"{1 - len(handed & set(active)) / len(active):.0%}")


def _chart(title: str, counts: Counter[str]) -> str:
    """A bar chart as a base64 PNG; small counts are drawn as a hatched 'fewer than 5' bar."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    items = counts.most_common(12)
    labels = [k for k, _ in items]
    values = [v if v >= SMALL else SMALL - 0.5 for _, v in items]
    figure, axis = plt.subplots(figsize=(7, 0.45 * len(items) + 1.2), dpi=100)
    bars = axis.barh(labels[::-1], values[::-1], color="#2b6cb0")
    for bar, (_, value) in zip(bars, items[::-1], strict=True):
        if value < SMALL:
            bar.set_hatch("//")
            bar.set_facecolor("#cbd5e0")
        axis.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {shown(value)}",
                  va="center", fontsize=9)
    axis.set_title(title)
    axis.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["month", "section", "item", "value"])
    for name, counts in report.sections.items():
        for key, n in counts.most_common():
            writer.writerow([report.month, name, key, shown(n)])
    for key, value in report.figures.items():
        writer.writerow([report.month, "figures", key, value])
    return out.getvalue()


def to_html(report: Report, service: str) -> str:
    parts = [f"<!doctype html><html lang='en'><meta charset='utf-8'>"
             f"<title>{html.escape(service)} · {report.month}</title>"
             "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}"
             "td,th{padding:.2rem .6rem;text-align:left}img{max-width:100%}</style>",
             f"<h1>{html.escape(service)}: monthly figures, {report.month}</h1>",
             f"<p>Counts from 1 to 4 are shown as &ldquo;{FEWER}&rdquo;, so that no person "
             "can be recognised. No message text is used.</p><table>"]
    for key, value in report.figures.items():
        parts.append(f"<tr><th>{html.escape(key)}</th><td>{html.escape(value)}</td></tr>")
    parts.append("</table>")
    for name, counts in report.sections.items():
        parts.append(f"<h2>{html.escape(name.capitalize())}</h2>")
        if not counts:
            parts.append("<p>None this month.</p>")
            continue
        parts.append(f"<img alt='{html.escape(name)}' "
                     f"src='data:image/png;base64,{_chart(name, counts)}'><table>")
        for key, n in counts.most_common():
            parts.append(f"<tr><td>{html.escape(key)}</td><td>{shown(n)}</td></tr>")
        parts.append("</table>")
    parts.append("</html>")
    return "\n".join(parts)


def write(report: Report, out: Path, service: str) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    page = out / f"teams-report-{report.month}.html"
    table = out / f"teams-report-{report.month}.csv"
    page.write_text(to_html(report, service), encoding="utf-8")
    table.write_text(to_csv(report), encoding="utf-8")
    return page, table


async def run(settings: Any, month: str, out: Path) -> tuple[Path, Path]:
    from domain.directory import load_directory
    from storage.database import create_engine, is_sqlite, upgrade_async
    from storage.reports import SqlReports

    if is_sqlite(settings.database_url):
        await upgrade_async(settings.database_url)
    db = create_engine(settings.database_url)
    try:
        report = await build(SqlReports(db), month, ZoneInfo(settings.timezone))
    finally:
        await db.dispose()
    return write(report, out, load_directory(settings.service_file).service.name)
