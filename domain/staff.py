"""Staff tools: the agenda with attended / no-show / cancel, closures that may strand booked
citizens, and private calendar feeds.

Every entry point checks the staff registry first: anybody else gets nothing about a citizen.
Then every action checks role, ownership and the booking's state, and a refusal is answered
(in the staff's language), never silently ignored:

- Attended / no-show: the professional of that booking, or a coordinator (or admin); only for
  an active booking whose start has passed; once (one atomic change from ``active``).
- Cancel: the professional of that booking, or a coordinator; only an active booking that has
  not begun (the citizen is told in their language and the slot is offered to the waiting list).
- Closing a day (``/closed``), keeping or cancelling its bookings, reopening it (``/reopen``
  or the button under the closure): a coordinator (or admin) only; today or a later day only;
  cancelling only the active bookings of a closed day that have not begun. A day closed in the
  service directory file is reopened by editing the file.
- Removing a person from the staff group after they were taken off the registry: a coordinator
  only, and only someone who is no longer staff.

- The outcome of an attended meeting (:mod:`domain.outcomes`): the rules of attended, once.
- ``/case CODE`` (:mod:`domain.casefile`): any registered staff member, in private; also
  the button under the summary that opens a citizen's thread (``stf:case.CODE``).
- ``/referral CODE``: where a referral code sent a citizen, and their case (the same).

Button data is parsed strictly (``stf:VERB.NUMBER``, ASCII digits, bounded; the content
review's ``stf:VERB.LANG.TOPIC``, a launch language and a known topic; a meeting's outcome,
``stf:VERB.NUMBER`` or ``stf:osv.NUMBER.SERVICE``); anything else is "no longer valid".
Log lines carry a reason, never a name, a text or an id.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import date, datetime, timedelta

from domain.agenda import Agenda
from domain.booking import ACTIVE
from domain.casefile import CaseFile
from domain.closures import Closures
from domain.deadletters import DeadLetters
from domain.languages import LANGUAGES
from domain.messages import Button
from domain.model import StaffMember
from domain.outcomes import OutcomeChoice, Outcomes, parse_outcome
from domain.ports import UnitOfWork
from domain.reviewdesk import ORDER, ContentReviews
from domain.staffview import (
    COORDINATORS_ONLY,
    STAFF_ROLE_LABELS,
    StaffAnswer,
    StaffView,
    label,
    staff_say,
)
from domain.text import Say
from domain.turn import Services

__all__ = ["DESK_COMMANDS", "StaffAnswer", "StaffDesk", "StaffView", "parse_button"]

#: The staff's commands outside a citizen's thread (in a private chat or the staff group);
#: those inside a thread are :data:`domain.mediation.THREAD_COMMANDS`.
DESK_COMMANDS = ("/agenda", "/closed", "/reopen", "/feed", "/metrics", "/review", "/case",
                 "/referral")

log = logging.getLogger(__name__)

STATUS_ACTIONS = {"att": "attended", "nos": "no_show", "cxl": "cancelled"}
DAY_ACTIONS = ("keep", "drop", "open")
#: ``stf:VERB.ARG``: a booking id, a day (YYYYMMDD) or a Telegram user id; nothing else.
BUTTON = re.compile(r"stf:(att|nos|cxl|keep|drop|open|kick)\.([0-9]{1,15})", re.ASCII)
REVIEW_BUTTON = re.compile(r"stf:(rvok|rved|rvnx)\.([a-z]{2})\.(faq_[a-z_]{1,40})", re.ASCII)
#: the case view's button under a thread's summary: ``stf:case.`` and a case code
CASE_BUTTON = re.compile(r"stf:case\.(T-[2-9A-HJKMNP-Z]{5})", re.ASCII)
MAX_BOOKING_ID = 2**31 - 1  # the bookings table's integer key


def parse_button(data: str
                 ) -> tuple[str, int | date | str | tuple[str, str] | OutcomeChoice] | None:
    """A staff button's verb and argument, or None when the data is not one we make."""
    case = CASE_BUTTON.fullmatch(data)
    if case is not None:
        return "case", case.group(1)
    outcome = parse_outcome(data)
    if outcome is not None:
        return "outcome", outcome
    review = REVIEW_BUTTON.fullmatch(data)
    if review is not None:
        verb, lang, topic = review.groups()
        return (verb, (lang, topic)) if lang in LANGUAGES and topic in ORDER else None
    found = BUTTON.fullmatch(data)
    if found is None:
        return None
    verb, arg = found.groups()
    if verb in STATUS_ACTIONS:
        number = int(arg)
        return (verb, number) if 0 < number <= MAX_BOOKING_ID else None
    if verb == "kick":
        return verb, int(arg)
    if len(arg) != 8:
        return None
    try:
        return verb, date(int(arg[:4]), int(arg[4:6]), int(arg[6:]))
    except ValueError:
        return None


class StaffDesk:
    """The staff's use cases, apart from the citizen's turn: each one is a transaction of
    its own, and begins by asking who asks."""

    def __init__(self, services: Services, agenda: Agenda, closures: Closures,
                 dead_letters: DeadLetters, reviews: ContentReviews | None = None) -> None:
        self.s = services
        self.agenda_tool = agenda
        self.closures = closures
        self.dead_letters = dead_letters
        self.reviews = reviews or ContentReviews(services)
        self.outcomes = Outcomes(services)
        self.cases = CaseFile(services)

    async def command(self, user_id: int, command: str, argument: str,
                      public_url: str | None = None) -> StaffView | None:
        """A staff command (:data:`DESK_COMMANDS`); None for someone who is not staff, or a
        command that is not one of these (nothing is revealed)."""
        argument = argument.strip()
        if command == "/feed":
            return await self._feed_view(user_id, argument in ("new", "revoke"), public_url)
        desk = {"/agenda": lambda: self.agenda(user_id, argument or "today"),
                "/closed": lambda: self.close_day(user_id, argument),
                "/reopen": lambda: self.reopen_day(user_id, argument),
                "/metrics": lambda: self.dead_letters_view(user_id),
                "/review": lambda: self.reviews.command(user_id, argument),
                "/case": lambda: self.cases.command(user_id, argument),
                "/referral": lambda: self.cases.referral(user_id, argument)}
        run = desk.get(command)
        return await run() if run is not None else None

    async def _feed_view(self, user_id: int, renew: bool, public_url: str | None
                         ) -> StaffView | None:
        token = await self.feed_token(user_id, renew=renew)
        member = await self.is_staff(user_id) if token is not None else None
        if token is None or member is None:
            return None
        say = staff_say(self.s, member)
        view = StaffView(personal=True)
        if public_url:
            view.add(f"{public_url}/calendar/{token}.ics\n\n"
                     + say._("(/feed new: a new address; the old one stops working)"))
        else:
            view.add(say._("TEAMS_WEBHOOK_URL is not set: the calendar feed has no public "
                           "address."))
        return view

    async def agenda(self, user_id: int, word: str = "today") -> StaffView | None:
        return await self.agenda_tool.show(user_id, word)

    async def close_day(self, user_id: int, argument: str) -> StaffView | None:
        return await self.closures.close(user_id, argument)

    async def reopen_day(self, user_id: int, argument: str) -> StaffView | None:
        return await self.closures.reopen_command(user_id, argument)

    async def dead_letters_view(self, user_id: int) -> StaffView | None:
        return await self.dead_letters.view(user_id)

    async def is_staff(self, user_id: int) -> StaffMember | None:
        async with self.s.uow_factory() as uow:
            return await uow.staff.get(user_id)

    async def staff_button(self, user_id: int, data: str) -> StaffAnswer | None:
        """A staff button: mark an appointment, decide about a closed day's citizens, reopen
        a day, remove a former staff member from the group, show a case. None for non-staff
        (nothing)."""
        parsed = parse_button(data)
        if parsed is not None and parsed[0] == "case":  # a reading of its own
            view = await self.cases.command(user_id, str(parsed[1]))
            return StaffAnswer("", view=view) if view is not None else None
        async with self.s.uow_factory() as uow:
            member = await uow.staff.get(user_id)
            if member is None:
                return None
            say = staff_say(self.s, member)
            now = self.s.clock.now()
            if parsed is None:
                log.info("staff button refused: not a button of ours")
                return StaffAnswer(say._("That button is no longer valid."))
            verb, arg = parsed
            if isinstance(arg, OutcomeChoice):
                answer = await self.outcomes.on_button(uow, member, arg, now)
            elif isinstance(arg, tuple):  # the content review
                answer = StaffAnswer("", view=await self.reviews.on_button(
                    uow, member, verb, *arg, say, now))
            elif isinstance(arg, int) and verb in STATUS_ACTIONS:
                answer = await self._mark(uow, member, verb, arg, say, now)
            elif isinstance(arg, int):  # kick
                answer = await self._remove_from_group(uow, member, arg, say)
            elif verb == "open" and isinstance(arg, date):
                answer = StaffAnswer(await self.closures.reopen(uow, member, arg, say, now))
            else:
                assert isinstance(arg, date)
                answer = StaffAnswer(await self.closures.stranded(uow, member, arg, verb, say,
                                                                  now))
            await uow.commit()
            return answer

    async def _mark(self, uow: UnitOfWork, member: StaffMember, verb: str, booking_id: int,
                    say: Say, now: datetime) -> StaffAnswer:
        """Attended, no-show or cancel; after attended, the outcome buttons (until one is
        recorded)."""
        text = await self.agenda_tool.set_status(uow, member, booking_id,
                                                 STATUS_ACTIONS[verb], say, now)
        if verb != "att":
            return StaffAnswer(text)
        booking = await uow.bookings.get(booking_id)
        if (booking is None or booking.status != "attended"
                or await uow.cases.outcomes([booking_id])
                or not (member.sees_everyone
                        or booking.professional_id == member.professional_id)):
            return StaffAnswer(text)
        return StaffAnswer(text, view=self.outcomes.after_attended(member, booking_id, text))

    # -- removed staff ----------------------------------------------------------------------

    async def removals_to_tell(self) -> list[tuple[int, str, list[list[Button]], list[int]]]:
        """Staff taken off the registry whom the coordinators have not been told about yet:
        ``(removal id, notice, buttons, coordinators' ids)``, each claimed once. The channel
        calls :meth:`removal_not_told` when the notice reached nobody."""
        async with self.s.uow_factory() as uow:
            removals = await uow.staff.removals_to_tell()
            if not removals:
                return []
            coordinators = [m.user_id for m in await uow.staff.all() if m.sees_everyone]
            say = self.s.say()
            now = self.s.clock.now()
            out = []
            for removal in removals:
                assert removal.id is not None
                if not await uow.staff.removal_told(removal.id, now):
                    continue  # another worker tells
                out.append((removal.id, "⚠️ " + say._(
                    "{name} ({role}) is no longer TEAMS staff, but may still be in the staff "
                    "group, where every conversation can be read. Remove them from the group? "
                    "They can be invited again later.", name=removal.name,
                    role=label(say, STAFF_ROLE_LABELS, removal.role)),
                    [[Button("🚪 " + say._("Remove from the staff group"),
                             f"stf:kick.{removal.user_id}")]], coordinators))
            await uow.commit()
            return out

    async def removal_not_told(self, removal_id: int) -> None:
        async with self.s.uow_factory() as uow:
            await uow.staff.removal_told(removal_id, None)
            await uow.commit()

    async def _remove_from_group(self, uow: UnitOfWork, member: StaffMember, user_id: int,
                                 say: Say) -> StaffAnswer:
        if not member.sees_everyone:
            log.info("staff button refused: removing from the group needs a coordinator")
            return StaffAnswer(say._(COORDINATORS_ONLY))
        removal = await uow.staff.last_removal(user_id)
        if removal is None or await uow.staff.get(user_id) is not None:
            log.info("staff button refused: not a removed staff member")
            return StaffAnswer(say._("That button is no longer valid."))
        return StaffAnswer("", remove_from_group=user_id)

    async def removed_from_group(self, user_id: int, by: int | None = None) -> str:
        """The channel removed a former staff member from the group: note it, say so (in the
        language of the coordinator who asked, ``by``)."""
        async with self.s.uow_factory() as uow:
            removal = await uow.staff.last_removal(user_id)
            name = removal.name if removal else str(user_id)
            say = staff_say(self.s, await uow.staff.get(by) if by is not None else None)
            if removal is not None and removal.id is not None:
                await uow.staff.removal_done(removal.id, self.s.clock.now())
                await uow.commit()
        return say._(
            "{name} was removed from the staff group; they can be invited again later.",
            name=name)

    # -- calendar feeds ---------------------------------------------------------------------

    async def feed_token(self, user_id: int, renew: bool = False) -> str | None:
        """The private token of a professional's calendar feed (a new one revokes the old)."""
        async with self.s.uow_factory() as uow:
            member = await uow.staff.get(user_id)
            if member is None:
                return None
            token = member.feed_token
            if token is None or renew:
                token = secrets.token_urlsafe(24)
                await uow.staff.set_feed_token(user_id, token)
                await uow.commit()
            return token

    async def feed(self, token: str) -> bytes | None:
        """The iCalendar feed of a token: case codes and needs, nothing else about anyone."""
        from icalendar import Calendar, Event

        async with self.s.uow_factory() as uow:
            member = await uow.staff.by_feed_token(token) if token else None
            if member is None:
                return None
            now = self.s.clock.now()
            bookings = [b for b in await uow.bookings.between(now - timedelta(days=30),
                                                              now + timedelta(days=180))
                        if b.status == ACTIVE and (member.sees_everyone
                                                   or b.professional_id == member.professional_id)]
        calendar = Calendar()
        calendar.add("prodid", "-//TEAMS assistant//staff feed//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", f"TEAMS · {member.name}")
        for booking in bookings:
            event = Event()
            event.add("uid", f"{booking.case_code}-{int(booking.start.timestamp())}@teams")
            event.add("dtstamp", now)
            event.add("dtstart", booking.start)
            event.add("dtend", booking.end)
            event.add("summary", f"TEAMS {booking.case_code}")
            event.add("description", ", ".join(booking.needs))
            calendar.add_component(event)
        return calendar.to_ical()
