"""What came of a meeting, recorded by the professional in two taps after "attended":
information given; sent on to another service (which one: the service directory's
``referral_services``); taken in charge with an individual plan (PAP); a follow-up meeting
needed. Recorded once, only for an attended booking, by that booking's professional or a
coordinator (the rules of attended), and counted anonymously by month: ``outcome.<kind>`` by
role, and ``outcome.referred_to`` by the service's id.

Button data: ``stf:oinf.ID`` ``stf:oref.ID`` ``stf:opap.ID`` ``stf:ofup.ID`` (the first tap;
``oref`` shows the services) and ``stf:osv.ID.SERVICE`` (the service), parsed strictly by
:func:`parse_outcome` (through :func:`domain.staff.parse_button`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime

from domain.agenda import invite_to_book
from domain.booking import Booking
from domain.directory import ReferralService
from domain.messages import Button
from domain.model import MeetingOutcome, OutboundMessage, StaffMember
from domain.ports import UnitOfWork
from domain.referrals import new_referral_code, referral_message
from domain.staffview import StaffAnswer, StaffView, staff_say
from domain.text import N_, Say
from domain.turn import Services

__all__ = ["OUTCOME_LABELS", "OutcomeChoice", "Outcomes", "outcome_text", "parse_outcome",
           "staff_say"]

log = logging.getLogger(__name__)

OUTCOME_VERBS = {"oinf": "info", "oref": "referred", "opap": "pap", "ofup": "follow_up"}
OUTCOME_LABELS = {
    "info": N_("Information given"),
    "referred": N_("Sent on to another service"),
    "pap": N_("Taken in charge with an individual plan (PAP)"),
    "follow_up": N_("Follow-up meeting needed"),
}
OUTCOME_ICONS = {"info": "ℹ️", "referred": "➡️", "pap": "📋", "follow_up": "🔁"}
OUTCOME_BUTTON = re.compile(
    r"stf:(oinf|oref|opap|ofup)\.([0-9]{1,15})|stf:osv\.([0-9]{1,15})\.([a-z0-9_]{1,32})",
    re.ASCII)
MAX_BOOKING_ID = 2**31 - 1  # the bookings table's integer key


@dataclass(frozen=True)
class OutcomeChoice:
    """An outcome button: the booking, the kind, and the service a citizen is sent on to
    (None: not chosen yet)."""

    booking_id: int
    kind: str
    service: str | None = None


def parse_outcome(data: str) -> OutcomeChoice | None:
    found = OUTCOME_BUTTON.fullmatch(data)
    if found is None:
        return None
    verb, first, second, service = found.groups()
    number = int(first or second)
    if not 0 < number <= MAX_BOOKING_ID:
        return None
    return OutcomeChoice(number, OUTCOME_VERBS[verb] if verb else "referred", service)


class Outcomes:
    def __init__(self, services: Services) -> None:
        self.s = services

    @staticmethod
    def buttons(say: Say, booking_id: int) -> list[list[Button]]:
        return [[Button(f"{OUTCOME_ICONS[kind]} {say._(OUTCOME_LABELS[kind])}",
                        f"stf:{verb}.{booking_id}")]
                for verb, kind in OUTCOME_VERBS.items()]

    def after_attended(self, member: StaffMember, booking_id: int, text: str) -> StaffView:
        say = staff_say(self.s, member)
        view = StaffView()
        view.add(text + "\n\n" + say._("What came of the meeting?"),
                 self.buttons(say, booking_id))
        return view

    async def on_button(self, uow: UnitOfWork, member: StaffMember, choice: OutcomeChoice,
                        now: datetime) -> StaffAnswer:
        say = staff_say(self.s, member)
        booking = await uow.bookings.get(choice.booking_id)
        if booking is None or not (member.sees_everyone
                                   or booking.professional_id == member.professional_id):
            log.info("outcome refused: not their booking")
            return StaffAnswer(say._("That appointment is not yours or no longer exists."))
        if booking.status != "attended":
            log.info("outcome refused: booking not attended")
            return StaffAnswer(say._("An outcome is recorded only for an attended "
                                     "appointment ({code}).", code=booking.case_code))
        services = self.s.directory.referral_services
        if choice.kind == "referred" and choice.service is None and services:
            view = StaffView()
            view.add(say._("{code}: sent on to which service?", code=booking.case_code),
                     [[Button(s.name, f"stf:osv.{choice.booking_id}.{s.id}")]
                      for s in services])
            return StaffAnswer("", view=view)
        service = None
        if choice.service is not None:
            service = self.s.directory.referral_service(choice.service)
            if service is None:
                log.info("outcome refused: unknown referral service")
                return StaffAnswer(say._("That button is no longer valid."))
        outcome = await self._record(uow, MeetingOutcome(
            choice.booking_id, choice.kind, member.user_id, now, choice.service))
        if outcome is None:
            log.info("outcome refused: already recorded")
            return StaffAnswer(say._("{code}: the outcome was already recorded; nothing "
                                     "changed.", code=booking.case_code))
        month = booking.start.strftime("%Y-%m")
        await uow.tallies.add(month, f"outcome.{choice.kind}", booking.role)
        if service is not None:
            await uow.tallies.add(month, "outcome.referred_to", service.id)
        if choice.kind == "follow_up":
            await self._offer_follow_up(uow, booking.citizen_id)
        label = say._(OUTCOME_LABELS[choice.kind]) + (f": {service.name}" if service else "")
        text = say._("{code}: outcome recorded ({outcome}).", code=booking.case_code,
                     outcome=label)
        if service is not None and outcome.code is not None:
            await self._tell_referred(uow, booking, service, outcome.code)
            text += "\n" + say._("Referral code {referral}: the citizen was told in their "
                                 "language where to go and what to bring.",
                                 referral=outcome.code)
        return StaffAnswer(text)

    @staticmethod
    async def _record(uow: UnitOfWork, outcome: MeetingOutcome) -> MeetingOutcome | None:
        """Record the outcome once (None: it had one already); a referral gets a code of its
        own (drawn again in the rare case it was given before)."""
        if outcome.service is None:
            return outcome if await uow.cases.add_outcome(outcome) else None
        for _ in range(5):
            code = new_referral_code()
            if await uow.cases.referral(code) is None:
                coded = replace(outcome, code=code)
                return coded if await uow.cases.add_outcome(coded) else None
        raise RuntimeError("no free referral code after five draws")

    async def _tell_referred(self, uow: UnitOfWork, booking: Booking,
                             service: ReferralService, code: str) -> None:
        """The citizen sent on is told, in their language, where to go, what to bring and
        the code to show: through the outbox (kept until delivered)."""
        citizen = await uow.citizens.get(booking.citizen_id)
        language = (citizen.language if citizen else None) or self.s.config.default_language
        text = referral_message(self.s.say(language), service, code, self.s.directory)
        await uow.outbox.add(OutboundMessage(booking.citizen_id, text, []))

    async def _offer_follow_up(self, uow: UnitOfWork, citizen_id: int) -> None:
        """A follow-up meeting is needed: the citizen is offered to book it, in their
        language."""
        await invite_to_book(uow, self.s, citizen_id, "📅", N_(
            "The TEAMS service would like to see you again: book your next appointment "
            "when it suits you."))


def outcome_text(say: Say, outcome: MeetingOutcome, services: Services) -> str:
    """One outcome, for the case view."""
    text = say._(OUTCOME_LABELS.get(outcome.kind, outcome.kind))
    if outcome.service:
        found = services.directory.referral_service(outcome.service)
        text += f": {found.name if found else outcome.service}"
    if outcome.code:
        text += " · " + say._("referral code {code}", code=outcome.code)
    return text
