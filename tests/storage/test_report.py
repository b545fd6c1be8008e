"""The zone's report over a synthetic month (November 2026), through the real storage: three
referral sources, bookings attended and missed, outcomes, hand-overs in and out of office
hours, a waiting list, questions not understood. Every figure is checked against the hand
count written next to it; then citizens are erased and every figure must stay the same.

The month, by hand (zone Europe/Rome; directory: bot/service.example.yml):

Centro per l'Impiego (labour expert), 8 first contacts:
  1001 ur  attended, PAP                      wait 2 days
  1002 ur  no-show, then attended, PAP        wait 3
  1003 ur  no-show, then attended, sent: cpia wait 3
  1004 ur  attended, sent on: cpia            wait 5
  1005 pa  attended, sent on: asl (meets in it)  wait 7
  1006 pa  no-show only (meets in it)         wait 10
  1007 ur  needs told, choosing a professional (no booking)
  1008 pa  first contact only
Servizi Sociali (social worker), 6 first contacts:
  2001 ar  attended, PAP                      wait 1
  2002 ar  no-show, then attended, sent on: sportello_immigrazione   wait 4
  2003 ar  attended, information              wait 6
  2004 fr  attended, follow-up                wait 8
  2005 fr  no-show only                       wait 14
  2006 ar  on the waiting list (no booking)
Sportello Immigrazione (mediator), 3 first contacts:
  3001 uk  attended, sent on: questura_prefettura   wait 21
  3002 uk  booked, cancelled
  3003 zh  first contact only
October: 6 first contacts (4001-4006), 5 attended and sent on (cpia).
"""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Catalogs
from bot.report import Period, build, to_csv, to_html, topic_titles, write
from bot.report.figures import protect
from bot.report.period import period_of
from bot.report.screenshot import chromium, shoot
from bot.settings import EXAMPLE_SERVICE_FILE
from domain.booking import Booking
from domain.calendar import is_open_at
from domain.directory import Closure, load_directory
from domain.model import (
    Citizen,
    Conversation,
    ConversationState,
    Handover,
    MeetingOutcome,
    StaffMember,
    WaitEntry,
)
from domain.reporting import Office
from domain.state import ConversationData, Intake
from storage.database import create_engine
from storage.reports import SqlReports

ROME = ZoneInfo("Europe/Rome")
DIRECTORY = load_directory(EXAMPLE_SERVICE_FILE)
CLOSED = date(2026, 11, 18)  # a Wednesday the staff closed from Telegram
NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)
ROLE = {"centro_impiego": ("le1", "labour_expert", "work"),
        "servizi_sociali": ("sw1", "social_worker", "housing"),
        "sportello_immigrazione": ("me1", "mediator", "documents")}


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ROME)


# id: (referral, chat language, meeting language, first contact day, wait days,
#      [statuses in order], outcome kind, service)
PEOPLE = {
    1001: ("centro_impiego", "ur", "ur", 2, 2, ["attended"], "pap", None),
    1002: ("centro_impiego", "ur", "ur", 2, 3, ["no_show", "attended"], "pap", None),
    1003: ("centro_impiego", "ur", "ur", 3, 3, ["no_show", "attended"], "referred", "cpia"),
    1004: ("centro_impiego", "ur", "ur", 3, 5, ["attended"], "referred", "cpia"),
    1005: ("centro_impiego", "pa", "it", 4, 7, ["attended"], "referred", "asl"),
    1006: ("centro_impiego", "pa", "it", 4, 10, ["no_show"], None, None),
    1007: ("centro_impiego", "ur", None, 5, None, [], None, None),
    1008: ("centro_impiego", "pa", None, 5, None, [], None, None),
    2001: ("servizi_sociali", "ar", "ar", 2, 1, ["attended"], "pap", None),
    2002: ("servizi_sociali", "ar", "ar", 2, 4, ["no_show", "attended"], "referred",
           "sportello_immigrazione"),
    2003: ("servizi_sociali", "ar", "ar", 3, 6, ["attended"], "info", None),
    2004: ("servizi_sociali", "fr", "fr", 3, 8, ["attended"], "follow_up", None),
    2005: ("servizi_sociali", "fr", "fr", 4, 14, ["no_show"], None, None),
    2006: ("servizi_sociali", "ar", None, 4, None, [], None, None),
    3001: ("sportello_immigrazione", "uk", "uk", 3, 21, ["attended"], "referred",
           "questura_prefettura"),
    3002: ("sportello_immigrazione", "uk", "uk", 3, 9, ["cancelled"], None, None),
    3003: ("sportello_immigrazione", "zh", None, 6, None, [], None, None),
}
# Hand-overs opened (Rome time), minutes to a person's first answer (None: not answered).
HANDOVERS = [  # in office hours: 3 5 8 10 12 30
    (1001, "asked", at(2, 9, 30), 3), (1002, "asked", at(3, 15), 5),
    (1003, "asked", at(4, 12), 8), (1004, "asked", at(5, 10), 10),
    (2001, "asked", at(6, 11), 12), (2002, "asked", at(9, 9, 10), 30),
    # out of hours: Saturday, Monday afternoon, the closed Wednesday, Tuesday evening, Sunday
    (2003, "misunderstood", at(7, 10), 60), (1003, "misunderstood", at(9, 14), 120),
    (2002, "asked", at(18, 10), 600), (3001, "asked", at(10, 19), 900),
    (1005, "emergency", at(8, 22), 1000),
    (2004, "misunderstood", at(13, 10), None),
]


async def _month(uow) -> None:
    """November's citizens, bookings, outcomes, hand-overs and October's cohort."""
    for cid, (referral, lang, meets, day, wait, statuses, kind, service) in PEOPLE.items():
        first = at(day, 10)
        await uow.citizens.add(Citizen(cid, first.astimezone(UTC), NOW, language=lang,
                                       referral=referral))
        professional, role, need = ROLE[referral]
        for i, status in enumerate(statuses):
            start = (first + timedelta(days=wait + 7 * i)).astimezone(UTC)
            booking = Booking(cid, professional, role, start, start + timedelta(minutes=30),
                              first.astimezone(UTC), needs=[need], meeting_language=meets,
                              status=status)
            await uow.bookings.add(booking)
            if status == "attended" and kind:
                await uow.cases.add_outcome(MeetingOutcome(booking.id, kind, 1, start,
                                                           service))
    for cid in range(4001, 4007):  # October: 5 of 6 sent on
        first = at(cid - 3996, 10, month=10)
        await uow.citizens.add(Citizen(cid, first.astimezone(UTC), NOW, language="en",
                                       referral="other"))
        if cid < 4006:
            start = (first + timedelta(days=3)).astimezone(UTC)
            booking = Booking(cid, "le1", "labour_expert", start,
                              start + timedelta(minutes=30), start, status="attended")
            await uow.bookings.add(booking)
            await uow.cases.add_outcome(MeetingOutcome(booking.id, "referred", 1, start,
                                                       "cpia"))


async def _the_rest(uow) -> None:
    await uow.conversations.save(Conversation(1007, ConversationState.TRIAGE, ConversationData(
        Intake(needs=["work"], role="labour_expert"))))
    await uow.waitlist.add(WaitEntry(2006, "social_worker", at(4, 11).astimezone(UTC)))
    for cid, reason, opened, minutes in HANDOVERS:
        answered = opened + timedelta(minutes=minutes) if minutes is not None else None
        await uow.handovers.add(Handover(
            cid, reason, opened.astimezone(UTC), status="closed",
            first_human_at=answered.astimezone(UTC) if answered else None))
    await uow.closures.add(CLOSED, "sciopero", 1, NOW)
    await uow.staff.add(StaffMember(9001, "Bruno", "labour_expert", ("it", "en")), NOW)
    await uow.staff.add(StaffMember(9002, "Carla", "social_worker", ("it", "fr")), NOW)
    await uow.staff.add(StaffMember(9003, "Dina", "mediator", ("it", "ar", "ur")), NOW)
    for topic, n in (("faq_housing", 6), ("book_appointment", 5), ("faq_tax_code", 2)):
        await uow.tallies.add("2026-11", "questions.unanswered", topic, n)
    await uow.tallies.add("2026-10", "questions.unanswered", "faq_housing", 3)
    await uow.tallies.add("2026-11", "questions.topic", "faq_tax_code", 12)


async def _report(database_url: str, lang: str = "it", period: Period | None = None):
    db = create_engine(database_url)
    try:
        return await build(SqlReports(db), period or Period.month("2026-11"), ROME, DIRECTORY,
                           Catalogs(), lang, topic_titles(lang), today=date(2026, 12, 10))
    finally:
        await db.dispose()


FEW, NA = "meno di 5", "n.d."


def _check_november(report) -> None:
    c = report.cell
    # The path by referral source: count, then share of the step before.
    ci = [(c("funnel.centro_impiego", s), c("funnel.centro_impiego", s, 1)) for s in (
        "contact", "needs", "booked", "attended", "pap", "referred")]
    assert ci == [("8", ""), ("7", "88%"), ("6", "86%"), ("5", "83%"), (FEW, NA), (FEW, NA)]
    ss = [(c("funnel.servizi_sociali", s), c("funnel.servizi_sociali", s, 1)) for s in (
        "contact", "needs", "booked", "attended", "pap", "referred")]
    # 6, 6, 5 withheld: with the total, they would tell the Sportello's 3, 2, 2.
    assert ss == [(NA, ""), (NA, NA), (NA, NA), (FEW, NA), (FEW, NA), (FEW, NA)]
    si = [c("funnel.sportello_immigrazione", s) for s in (
        "contact", "needs", "booked", "attended", "pap", "referred")]
    assert si == [FEW, FEW, FEW, FEW, "0", FEW]
    assert c("funnel.sportello_immigrazione", "needs", 1) == NA  # of 3: not shown
    total = [(c("funnel.total", s), c("funnel.total", s, 1)) for s in (
        "contact", "needs", "booked", "attended", "pap", "referred")]
    assert total == [("17", ""), ("15", "88%"), ("13", "87%"), ("10", "77%"), (FEW, NA),
                     ("5", "50%")]
    # Coverage: (PAP or sent on) / first contacts, by month of first contact.
    assert [(r.code, r.cells) for r in report.table("coverage").rows] == [
        ("2026-10", ["6", "5", "83%"]), ("period", ["17", "8", "47%"])]
    # Waits 1 2 3 3 4 5 6 7 8 10 14 21 days: median 5.5, 90th percentile (rank 11) 14.
    assert [c("wait", r) for r in ("cases", "median", "p90")] == ["12", "5,5", "14"]
    # Attended 10, no-show 5 (labour expert 5/3, social worker 4/2, mediator 1/0).
    assert report.table("noshow").rows[-1].cells == ["10", "5", "33%"]
    assert c("noshow", "labour_expert", 1) == FEW and c("noshow", "mediator", 1) == "0"
    assert c("noshow", "social_worker", 2) == NA
    # First answers: in hours 3 5 8 10 12 30; out 60 120 600 (closed day) 900 1000.
    assert report.table("answer").rows[0].cells == ["6", "9", "30"]
    assert report.table("answer").rows[1].cells == ["5", "600", "1.000"]
    assert c("answer", "all") == "11" and report.table("answer").rows[-1].cells[1:] == [
        "30", "900"]
    lang = {r.code: r.cells for r in report.table("languages").rows}
    assert list(lang) == ["ur", "ar", "fr", "it", "pa", "uk", "zh"]  # small ones by code
    assert lang["ur"] == ["5", "6", "mediatore linguistico-culturale",
                          "sì: solo il mediatore"]
    assert lang["uk"] == [FEW, FEW, "nessuno", "sì: nessuno dello staff"]
    assert lang["pa"][1:] == ["0", "mediatore linguistico-culturale", "sì: solo il mediatore"]
    assert lang["fr"][3] == "no" and lang["zh"][:2] == [FEW, "0"]
    assert [(r.label, r.cells[0]) for r in report.table("unanswered").rows] == [
        ("Casa e case popolari", "6"), ("Prenotare un appuntamento", "5"),
        ("Codice fiscale", FEW)]
    assert c("topics", "faq_tax_code") == "12"
    outcomes = {r.code: r.cells[0] for r in report.table("outcomes").rows}
    assert outcomes == {"referred": "5", "pap": FEW, "follow_up": FEW, "info": FEW}
    assert {r.label for r in report.table("sent_to").rows} == {
        "CPIA", "ASL", "Sportello Immigrazione", "Questura / Prefettura"}
    assert [(r.code, r.cells[0]) for r in report.table("needs").rows] == [
        ("work", "8"), ("housing", "6"), ("documents", FEW)]
    assert [(r.code, r.cells[0]) for r in report.table("handovers").rows] == [
        ("asked", "8"), ("emergency", FEW), ("misunderstood", FEW)]
    assert [r.cells[0] for r in report.table("key").rows] == ["17", "47%", "5,5", "33%", "30"]


async def test_every_figure_of_a_synthetic_month_and_after_erasures(uow_factory,
                                                                      database_url):
    async with uow_factory() as uow:
        await _month(uow)
        await _the_rest(uow)
        await uow.commit()
    report = await _report(database_url)
    _check_november(report)
    before = to_csv(report)
    assert "1001" not in before and "Bruno" not in before  # no person, no message
    directory = DIRECTORY.model_copy(update={"closures": [
        *DIRECTORY.closures, Closure(date=CLOSED, reason="")]})
    office = Office(ROME, lambda when: is_open_at(directory, when, ROME))
    async with uow_factory() as uow:  # each kind of citizen, erased
        for cid in (1002, 1003, 1007, 2002, 2006, 3002, 4001):
            await uow.privacy.erase(cid, NOW, office)
        await uow.commit()
    after = await _report(database_url)
    _check_november(after)
    assert to_csv(after) == before


async def test_the_page_and_the_csv_say_the_same_and_hide_small_counts(uow_factory,
                                                                      database_url):
    async with uow_factory() as uow:
        await _month(uow)
        await _the_rest(uow)
        await uow.commit()
    report = await _report(database_url)
    table = to_csv(report)
    assert table.splitlines()[0] == "month,section,item,value,section_code,item_code"
    assert ("2026-11,Indice di copertura,novembre 2026 · Indice,47%,coverage,period.3"
            in table.splitlines())
    assert ",Centro per l'Impiego,Presa in carico (PAP) · Numero,meno di 5," in table
    for row in list(csv.reader(io.StringIO(table)))[1:]:  # no count from 1 to 4 anywhere
        assert row[3] not in {"1", "2", "3", "4"}, row
    page = to_html(report)
    assert '<html lang="it">' in page and "@media print" in page and "<svg" in page
    assert 'url(#hatch)' in page  # small counts drawn hatched, in black and white
    assert "centro_impiego" not in page and "labour_expert" not in page
    english = await _report(database_url, "en")
    assert english.cell("funnel.total", "booked", 1) == "87%"
    assert english.table("coverage").title == "Coverage index"
    assert english.cell("answer", "out", 2) == "1,000"
    span = await _report(database_url, period=Period(date(2026, 11, 1), date(2026, 11, 4)))
    assert span.cell("funnel.total", "contact") == "14"  # first contacts on Nov 2-4


@pytest.mark.skipif(chromium() is None, reason="no Chromium: apt-get install chromium")
async def test_the_page_in_a_real_browser(uow_factory, database_url, tmp_path):
    """Headless Chromium renders the synthetic month as a phone, as A4 and as a PDF. Set
    TEAMS_REPORT_SHOTS to a folder to keep the images and look at them."""
    if "postgresql" in database_url:
        pytest.skip("the page is the same on either database")
    async with uow_factory() as uow:
        await _month(uow)
        await _the_rest(uow)
        await uow.commit()
    out = Path(os.environ.get("TEAMS_REPORT_SHOTS") or tmp_path / "shots")
    page = write(await _report(database_url), out)[0]
    phone, a4, pdf = shoot(page, out)
    assert phone.read_bytes()[:4] == b"\x89PNG" and a4.stat().st_size > 10_000
    assert pdf.read_bytes()[:4] == b"%PDF"


def test_a_small_count_cannot_be_worked_out_from_the_total():
    assert protect({"ci": 8, "ss": 6, "si": 3}) == {"ss"}  # 17 - 8 - 6 would tell 3
    assert protect({"a": 5, "b": 1, "c": 1}) == {"a"}  # b + c = 2 would tell both
    assert protect({"a": 9, "b": 7, "c": 2, "d": 1}) == {"b"}
    assert protect({"a": 9, "b": 3, "c": 2}) == set()  # 5 between two hidden cells
    assert protect({"a": 3, "b": 0}) == set()  # the total is small: hidden itself
    assert protect({"a": 12, "b": 0}) == set()


def test_the_command_lines_periods():
    assert period_of("2026-11", None, None) == Period(date(2026, 11, 1), date(2026, 11, 30))
    assert period_of(None, "2026-10-15", "2026-11-14") == Period(date(2026, 10, 15),
                                                                 date(2026, 11, 14))
    assert Period(date(2026, 10, 15), date(2026, 12, 31)).whole_months() == ["2026-11",
                                                                            "2026-12"]
    for wrong in (("2026-13", None, None), ("2026-11", None, "2026-11-30"),
                  (None, "2026-11-01", None), (None, "2026-11-30", "2026-11-01"),
                  (None, "1 Nov", "2026-11-30")):
        assert isinstance(period_of(*wrong), str), wrong
