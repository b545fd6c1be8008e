"""An erasure through the engine keeps the report's facts of the citizen, with hand-overs
counted in or out of the office's hours (the directory's opening hours and the days staff
closed), so the zone's figures do not change after it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.content import Content
from domain.directory import Directory
from domain.engine import Engine
from domain.messages import Inbound
from domain.model import Handover
from tests.fakes import EchoTranslations, FakeUowFactory, FixedClock, KeywordUnderstanding

ROME = ZoneInfo("Europe/Rome")


async def test_an_erased_citizens_hand_overs_keep_their_hours(directory: Directory,
                                                              content: Content):
    uow = FakeUowFactory()
    engine = Engine(uow, EchoTranslations(), KeywordUnderstanding({}), FixedClock(),
                    directory, content)
    await engine.handle(Inbound(7, text="/start servizi_sociali", language_hint="en"))
    opened = {  # Thursday morning: open; Saturday: closed; Wednesday: closed by the staff
        datetime(2026, 11, 19, 10, tzinfo=ROME): 7,
        datetime(2026, 11, 21, 10, tzinfo=ROME): 60,
        datetime(2026, 11, 25, 10, tzinfo=ROME): 30,
    }
    async with uow() as work:
        for at, minutes in opened.items():
            await work.handovers.add(Handover(
                7, "asked", at.astimezone(UTC), status="closed",
                first_human_at=(at + timedelta(minutes=minutes)).astimezone(UTC)))
        await work.closures.add(date(2026, 11, 25), "sciopero", 1, at)
        await work.commit()
    await engine.handle(Inbound(7, payload="eraseok", language_hint="en"))
    assert 7 not in uow.store.citizens
    kept = uow.store.tallies
    assert kept[("2026-11", "handovers.answer_min.in", "7")] == 1
    assert kept[("2026-11", "handovers.answer_min.out", "60")] == 1
    assert kept[("2026-11", "handovers.answer_min.out", "30")] == 1
    assert kept[("2026-11", "funnel.contact", "servizi_sociali")] == 1
