"""``/case CODE``: one citizen's case for staff, readable in ten seconds and in the staff
member's language (Italian by default): needs, language, referral source, appointments with
their status and outcome, hand-overs (opened, claimed, closed). Found by a booking's or a staff
topic's case code; registered staff only, shown in private; no transcript text, no name."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from domain.booking import REFERRAL_LABELS, ROLE_NAMES, Booking
from domain.model import Handover, MeetingOutcome
from domain.needs import NEEDS
from domain.outcomes import outcome_text, staff_say
from domain.ports import UnitOfWork
from domain.staffview import STATUS_LABELS, StaffView, label, language_label
from domain.text import N_, Say
from domain.turn import Services

log = logging.getLogger(__name__)

REASON_LABELS = {"asked": N_("asked for a person"), "misunderstood": N_("not understood"),
                 "emergency": N_("emergency"), "voice": N_("voice message")}
MAX_CODE = 16
Finder = Callable[[UnitOfWork, Say, str], Awaitable[StaffView]]


class CaseFile:
    def __init__(self, services: Services) -> None:
        self.s = services

    def _when(self, value: datetime) -> str:
        return value.astimezone(self.s.zone).strftime("%d/%m/%Y %H:%M")

    async def referral(self, user_id: int, argument: str) -> StaffView | None:
        """``/referral CODE``: where a referral code sent the citizen, then their case; None
        for anybody not on the staff registry."""
        return await self._lookup(user_id, argument, self._by_referral, say_example=N_(
            "Write /referral and a referral code, e.g. /referral R-7KQ2M."))

    async def command(self, user_id: int, argument: str) -> StaffView | None:
        """The case of a code; None for anybody not on the staff registry."""
        return await self._lookup(user_id, argument, self._by_case_code, say_example=N_(
            "Write /case and a case code, e.g. /case T-7KQ2M."))

    async def _lookup(self, user_id: int, argument: str, find: Finder,
                      say_example: str) -> StaffView | None:
        """Registered staff only; the code read strictly; ``find`` shows what it names."""
        async with self.s.uow_factory() as uow:
            member = await uow.staff.get(user_id)
            if member is None:
                return None
            say = staff_say(self.s, member)
            code = argument.strip().upper()[:MAX_CODE]
            if not code:
                view = StaffView()
                view.add(say._(say_example))
                return view
            return await find(uow, say, code)

    async def _by_referral(self, uow: UnitOfWork, say: Say, code: str) -> StaffView:
        view = StaffView()
        outcome = await uow.cases.referral(code)
        booking = await uow.bookings.get(outcome.booking_id) if outcome else None
        if outcome is None or booking is None:
            log.info("referral view: no referral for that code")
            view.add(say._("No referral with the code {code}.", code=code))
            return view
        service = self.s.directory.referral_service(outcome.service or "")
        head = "➡️ " + say._("Referral {code}: sent on to {service} on {day}, after the "
                             "appointment {case}.", code=code, service=service.name
                             if service else outcome.service, day=self._when(outcome.at),
                             case=booking.case_code)
        return await self._case(uow, say, booking.citizen_id, code, view, head)

    async def _by_case_code(self, uow: UnitOfWork, say: Say, code: str) -> StaffView:
        view = StaffView()
        citizen_id = await uow.cases.citizen_of_code(code)
        if citizen_id is None:
            log.info("case view: no case for that code")
            view.add(say._("No case with the code {code}.", code=code))
            return view
        return await self._case(uow, say, citizen_id, code, view)

    async def _case(self, uow: UnitOfWork, say: Say, citizen_id: int, code: str,
                    view: StaffView, head: str | None = None) -> StaffView:
        """One citizen's case, read in the caller's transaction, added to ``view``."""
        citizen = await uow.citizens.get(citizen_id)
        conversation = await uow.conversations.get(citizen_id)
        bookings = await uow.cases.bookings(citizen_id)
        outcomes = {o.booking_id: o for o in await uow.cases.outcomes(
            [b.id for b in bookings if b.id is not None])}
        handovers = await uow.cases.handovers(citizen_id)
        topic = await uow.handovers.topic(citizen_id)
        names = {o.by: m.name for o in outcomes.values() if o.kind == "pap"
                 if (m := await uow.staff.get(o.by)) is not None}
        needs: list[str] = []
        intake = conversation.data.intake if conversation is not None else None
        for need in [n for b in bookings for n in b.needs] + (intake.needs if intake else []):
            if need in NEEDS and need not in needs:
                needs.append(need)
        referral = citizen.referral if citizen else None
        lines = [head, ""] if head else []
        lines += [
            "🗂 " + say._("Case {code}", code=topic.case_code if topic else code),
            say._("Language: {language}", language=language_label(
                say, citizen.language if citizen else None)),
            say._("Sent by: {source}", source=say._(REFERRAL_LABELS[referral])
                  if referral in REFERRAL_LABELS else "-"),
            say._("Needs: {needs}", needs=", ".join(say._(NEEDS[n]) for n in needs) or "-"),
            "", "📅 " + say._("Appointments:")]
        lines += [self._booking(say, b, outcomes.get(b.id or 0), names)
                  for b in bookings] or ["-"]
        lines += ["", "🙋 " + say._("Hand-overs to a person:")]
        lines += [self._handover(say, h) for h in handovers] or ["-"]
        view.personal = True
        view.add("\n".join(lines))
        return view

    def _booking(self, say: Say, booking: Booking, outcome: MeetingOutcome | None,
                 names: dict[int, str]) -> str:
        line = (f"• {self._when(booking.start)} · {booking.case_code} · "
                f"{label(say, ROLE_NAMES, booking.role)} · "
                f"{label(say, STATUS_LABELS, booking.status)}")
        if outcome is not None:
            line += " → " + outcome_text(say, outcome, self.s)
            if outcome.by in names:  # who takes the citizen in charge
                line += f" ({names[outcome.by]})"
        return line

    def _handover(self, say: Say, handover: Handover) -> str:
        reason = REASON_LABELS.get(handover.reason)
        parts = [say._("opened {when}", when=self._when(handover.opened_at))
                 + f" ({say._(reason) if reason else handover.reason})"]
        if handover.claimed_at is not None:
            parts.append(say._("claimed {when}", when=self._when(handover.claimed_at)))
        if handover.closed_at is not None:
            parts.append(say._("closed {when}", when=self._when(handover.closed_at)))
        elif handover.open:
            parts.append(say._("still open"))
        return "• " + " · ".join(parts)
