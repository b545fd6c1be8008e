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
from dataclasses import dataclass
from datetime import datetime

from domain.agenda import invite_to_book
from domain.languages import LANGUAGES
from domain.messages import Button
from domain.model import MeetingOutcome, StaffMember
from domain.ports import UnitOfWork
from domain.staffview import StaffAnswer, StaffView
from domain.text import N_, Say
from domain.turn import Services

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


def staff_say(services: Services, member: StaffMember) -> Say:
    """A staff member's language: Italian (the service's) by default, or the first language
    of theirs in the registry when they do not list the service's."""
    default = services.config.default_language
    known = [lang for lang in member.languages if lang in LANGUAGES]
    return services.say(default if not known or default in known else known[0])


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
            found = self.s.directory.referral_service(choice.service)
            if found is None:
                log.info("outcome refused: unknown referral service")
                return StaffAnswer(say._("That button is no longer valid."))
            service = found.name
        outcome = MeetingOutcome(choice.booking_id, choice.kind, member.user_id, now,
                                 choice.service)
        if not await uow.cases.add_outcome(outcome):
            log.info("outcome refused: already recorded")
            return StaffAnswer(say._("{code}: the outcome was already recorded; nothing "
                                     "changed.", code=booking.case_code))
        month = booking.start.strftime("%Y-%m")
        await uow.tallies.add(month, f"outcome.{choice.kind}", booking.role)
        if choice.service is not None:
            await uow.tallies.add(month, "outcome.referred_to", choice.service)
        if choice.kind == "follow_up":
            await self._offer_follow_up(uow, booking.citizen_id)
        label = say._(OUTCOME_LABELS[choice.kind]) + (f": {service}" if service else "")
        return StaffAnswer(say._("{code}: outcome recorded ({outcome}).",
                                 code=booking.case_code, outcome=label))

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
    return text
