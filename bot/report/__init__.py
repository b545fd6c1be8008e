"""``teams-bot report``: the zone's figures for a month (``--month YYYY-MM``) or any span of
days (``--from/--to``), in Italian by default (``--lang``): an HTML page (phone and A4) and a
CSV with the same figures.

No person can be recognised: counts from 1 to 4 are written "meno di 5", and no percentage,
median or percentile of fewer than 5 cases is shown. Erased citizens still count, through the
anonymous tallies kept when they were erased (the same facts, ``domain.reporting``).

Modules: ``period`` (the days covered), ``figures`` (every figure counted), ``labels`` (words
and human names), ``model`` (the tables), ``page`` (HTML, SVG charts), ``table`` (CSV),
``screenshot`` (a look at the page in headless Chromium).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.report.figures import build_report
from bot.report.labels import TEXT, Labels
from bot.report.model import Report
from bot.report.page import to_html
from bot.report.period import Period
from bot.report.table import to_csv
from domain.calendar import is_open_at
from domain.directory import Closure, Directory
from domain.reporting import Fact, Office, Reports, citizen_facts
from domain.text import Translations

FEWER = TEXT["en"]["fewer"]
__all__ = ["FEWER", "Period", "Report", "build", "run", "to_csv", "to_html", "write"]


async def build(reports: Reports, period: Period, zone: ZoneInfo, directory: Directory,
                translations: Translations, lang: str = "it",
                titles: dict[str, str] | None = None, today: date | None = None) -> Report:
    """Read and count: the report of ``period``."""
    first = min(period.trend()[0].first, period.first).strftime("%Y-%m")
    data = await reports.read(first, period.last.strftime("%Y-%m"), period.end(zone))
    if data.closures:
        directory = directory.model_copy(update={"closures": [
            *directory.closures, *[Closure(date=d, reason="") for d in data.closures]]})
    office = Office(zone, lambda when: is_open_at(directory, when, zone))
    facts: list[Fact] = []
    for record in data.citizens:
        facts += citizen_facts(record, office)
    words = Labels(lang, directory, translations, titles)
    return build_report(data, facts, period, words, directory.service.name,
                        today or datetime.now(zone).date())


def write(report: Report, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    page = out / f"teams-report-{report.period.label}.html"
    table = out / f"teams-report-{report.period.label}.csv"
    page.write_text(to_html(report), encoding="utf-8")
    table.write_text(to_csv(report), encoding="utf-8")
    return page, table


def topic_titles(lang: str) -> dict[str, str]:
    """The FAQ topics' titles in ``lang`` (Italian where a title is missing)."""
    from bot.i18n import LOCALES_DIR
    from domain.content import load_content

    content = load_content(LOCALES_DIR / "faq")
    titles: dict[str, str] = {}
    for (language, topic), answer in content.answers.items():
        if language in (lang, "it") and (language == lang or topic not in titles):
            titles[topic] = answer.title
    return titles


async def run(settings: Any, period: Period, out: Path, lang: str = "it"
              ) -> tuple[Path, Path]:
    from bot.i18n import Catalogs
    from domain.directory import load_directory
    from storage.database import create_engine, is_sqlite, upgrade_async
    from storage.reports import SqlReports

    if is_sqlite(settings.database_url):
        await upgrade_async(settings.database_url)
    db = create_engine(settings.database_url)
    try:
        report = await build(SqlReports(db), period, ZoneInfo(settings.timezone),
                             load_directory(settings.service_file), Catalogs(), lang,
                             topic_titles(lang))
    finally:
        await db.dispose()
    return write(report, out)
