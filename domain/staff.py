"""Staff tools: the agenda with attended / no-show / cancel, closures that may strand booked
citizens, and private calendar feeds. A mixin of :class:`domain.engine.Engine`.

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

Button data is parsed strictly (``stf:VERB.NUMBER``, ASCII digits, bounded); anything else is
"no longer valid". Log lines carry a reason, never a name, a text or an id.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from domain.booking import ACTIVE, ROLE_NAMES, URGENCY, Booking, Slot
from domain.formatting import clock_time, long_day
from domain.messages import Button
from domain.model import OutboundMessage, StaffMember
from domain.needs import NEEDS
from domain.parts import EngineParts
from domain.text import N_, Say

if TYPE_CHECKING:

    from domain.directory import Directory
    from domain.ports import UnitOfWork

log = logging.getLogger(__name__)

STATUS_ACTIONS = {"att": "attended", "nos": "no_show", "cxl": "cancelled"}
DAY_ACTIONS = ("keep", "drop", "open")
#: ``stf:VERB.ARG``: a booking id, a day (YYYYMMDD) or a Telegram user id; nothing else.
BUTTON = re.compile(r"stf:(att|nos|cxl|keep|drop|open|kick)\.([0-9]{1,15})", re.ASCII)
MAX_BOOKING_ID = 2**31 - 1  # the bookings table's integer key
CLOSURE_HORIZON = timedelta(days=2 * 366)  # a closure at most two years ahead
AGENDA_HORIZON = timedelta(days=10 * 366)  # an agenda date within ten years of today
COORDINATORS_ONLY = N_("Only a coordinator can do this.")


def parse_button(data: str) -> tuple[str, int | date] | None:
    """A staff button's verb and argument, or None when the data is not one we make."""
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


@dataclass
class StaffAnswer:
    """The answer to a staff button; ``remove_from_group``: the channel removes this user
    from the staff group, then confirms with :meth:`StaffTools.removed_from_group`."""

    text: str
    outbound: list[OutboundMessage] = field(default_factory=list)
    remove_from_group: int | None = None


@dataclass
class StaffView:
    """Messages for a staff member: text with staff buttons (payloads start with ``stf:``)."""

    messages: list[tuple[str, list[list[Button]]]] = field(default_factory=list)
    personal: bool = False  # it names citizens (or a private address): private chats only

    def add(self, text: str, buttons: list[list[Button]] | None = None) -> None:
        self.messages.append((text, buttons or []))


class StaffTools(EngineParts):

    async def _offer_to_next(self, uow: UnitOfWork, role: str, slot: Slot,
                             now: datetime) -> None: ...

    def _staff_say(self) -> Say:
        return Say(self.translations, self.config.default_language)

    async def _coordinator(self, uow: UnitOfWork, user_id: int, doing: str
                           ) -> tuple[StaffMember | None, Say, StaffView]:
        """Who asks, for a coordinators-only command: None when they are not staff; the
        view holds the refusal when they are staff but not a coordinator."""
        member = await uow.staff.get(user_id)
        say, view = self._staff_say(), StaffView()
        if member is not None and not member.sees_everyone:
            log.info("staff command refused: %s needs a coordinator", doing)
            view.add(say._(COORDINATORS_ONLY))
        return member, say, view

    # -- the agenda -------------------------------------------------------------------------

    def _period(self, word: str, today: date) -> tuple[date, date] | None:
        word = (word or "today").strip().lower()
        if word in ("today", "oggi"):
            return today, today
        if word in ("tomorrow", "domani"):
            return today + timedelta(days=1), today + timedelta(days=1)
        if word in ("week", "settimana"):
            return today, today + timedelta(days=6)
        try:
            day = date.fromisoformat(word)
        except ValueError:
            return None
        return day, day

    async def agenda(self, user_id: int, word: str = "today") -> StaffView | None:
        """A professional's appointments (a coordinator's: everyone's); None for non-staff."""
        async with self.uow_factory() as uow:
            member = await uow.staff.get(user_id)
            if member is None:
                return None
            say = self._staff_say()
            view = StaffView()
            today = self.clock.now().astimezone(self.zone).date()
            period = self._period(word, today)
            if period is not None and (abs(period[0] - today) > AGENDA_HORIZON
                                       or abs(period[1] - today) > AGENDA_HORIZON):
                period = None
            if period is None:
                view.add(say._("Write /agenda today, tomorrow, week or a date like {example}.",
                               example=today.isoformat()))
                return view
            start = datetime.combine(period[0], time.min, tzinfo=self.zone)
            end = datetime.combine(period[1] + timedelta(days=1), time.min, tzinfo=self.zone)
            bookings = [b for b in await uow.bookings.between(start, end)
                        if b.status != "cancelled"
                        and (member.sees_everyone or b.professional_id == member.professional_id)]
            if not member.sees_everyone and member.professional_id is None:
                view.add(say._("Your staff record is not linked to a professional of the "
                               "service directory; ask an administrator."))
                return view
            if not bookings:
                view.add(say._("No appointments from {start} to {end}.",
                               start=long_day(start, say.language, self.zone),
                               end=long_day(end - timedelta(days=1), say.language, self.zone)))
                return view
            view.personal = True
            for booking in bookings:
                topic = await uow.handovers.topic(booking.citizen_id)
                view.add(self._agenda_line(say, booking), self._agenda_buttons(
                    say, booking, topic.thread_id if topic else None))
            return view

    def _agenda_line(self, say: Say, booking: Booking) -> str:
        needs = ", ".join(say._(NEEDS[n]) for n in booking.needs if n in NEEDS) or "-"
        parts = [
            f"📅 {long_day(booking.start, say.language, self.zone)} "
            f"{clock_time(booking.start, say.language, self.zone)} · {booking.case_code}",
            f"👤 {say._(ROLE_NAMES[booking.role])} ({booking.professional_id})",
            say._("Needs: {needs}", needs=needs),
            say._("Language: {language}", language=booking.meeting_language or "-"),
        ]
        if booking.urgency in URGENCY:
            parts.append(say._("Urgency: {urgency}", urgency=say._(URGENCY[booking.urgency])))
        if booking.with_mediator:
            parts.append("🗣️ " + say._("with a linguistic-cultural mediator"))
        if booking.description:
            parts.append(f"✍️ {booking.description}")
        if booking.status != ACTIVE:
            parts.append(say._("Status: {status}", status=booking.status))
        return "\n".join(parts)

    def _agenda_buttons(self, say: Say, booking: Booking, thread: int | None
                        ) -> list[list[Button]]:
        rows = [[Button("✅ " + say._("Attended"), f"stf:att.{booking.id}"),
                 Button("🚫 " + say._("No-show"), f"stf:nos.{booking.id}"),
                 Button("❌ " + say._("Cancel"), f"stf:cxl.{booking.id}")]
                ] if booking.status == ACTIVE else []
        if thread is not None:
            rows.append([Button("💬 " + say._("Thread"), f"url:thread.{thread}")])
        return rows

    async def staff_button(self, user_id: int, data: str) -> StaffAnswer | None:
        """A staff button: mark an appointment, decide about a closed day's citizens, reopen
        a day, remove a former staff member from the group. None for non-staff (nothing)."""
        parsed = parse_button(data)
        async with self.uow_factory() as uow:
            member = await uow.staff.get(user_id)
            if member is None:
                return None
            say = self._staff_say()
            now = self.clock.now()
            if parsed is None:
                log.info("staff button refused: not a button of ours")
                return StaffAnswer(say._("That button is no longer valid."))
            verb, arg = parsed
            if isinstance(arg, int) and verb in STATUS_ACTIONS:
                answer = StaffAnswer(await self._set_status(uow, member, arg,
                                                            STATUS_ACTIONS[verb], say, now))
            elif isinstance(arg, int):  # kick
                answer = await self._remove_from_group(uow, member, arg, say)
            elif verb == "open":
                answer = StaffAnswer(await self._reopen(uow, member, arg, say, now))
            else:
                answer = StaffAnswer(await self._stranded(uow, member, arg, verb, say, now))
            await uow.commit()
            return answer

    async def _set_status(self, uow: UnitOfWork, member: StaffMember, booking_id: int,
                          status: str, say: Say, now: datetime) -> str:
        booking = await uow.bookings.get(booking_id)
        if booking is None or not (member.sees_everyone
                                   or booking.professional_id == member.professional_id):
            log.info("staff button refused: not their booking")
            return say._("That appointment is not yours or no longer exists.")
        assert booking.id is not None
        if booking.status != ACTIVE:
            log.info("staff button refused: booking not active")
            return say._("{code} is already {status}: nothing changed.",
                         code=booking.case_code, status=booking.status)
        if status == "cancelled":
            if booking.start <= now:
                log.info("staff button refused: cancelling a begun booking")
                return say._("{code} has already begun: mark it attended or no-show.",
                             code=booking.case_code)
            if not await self._staff_cancel(uow, booking, now):
                return say._("{code} is already {status}: nothing changed.",
                             code=booking.case_code, status="cancelled")
            return say._("Cancelled; the citizen was told in their language ({code}).",
                         code=booking.case_code)
        if booking.start > now:
            log.info("staff button refused: marking a booking not begun")
            return say._("{code} has not begun yet: it can be marked attended or no-show "
                         "once it has begun. To call it off, use Cancel: the citizen is "
                         "told.", code=booking.case_code)
        if not await uow.bookings.change_status(booking.id, ACTIVE, status):
            return say._("{code} is already {status}: nothing changed.",
                         code=booking.case_code, status="marked")
        await uow.tallies.add(booking.start.strftime("%Y-%m"), f"marked.{status}", booking.role)
        return say._("{code}: marked {status}.", code=booking.case_code, status=status)

    async def _staff_cancel(self, uow: UnitOfWork, booking: Booking, now: datetime) -> bool:
        """Cancel an active booking and tell the citizen; False when it was not active."""
        assert booking.id is not None
        if not await uow.bookings.change_status(booking.id, ACTIVE, "cancelled"):
            return False
        booking.status = "cancelled"
        await uow.reminders.cancel_for(booking.id)
        citizen = await uow.citizens.get(booking.citizen_id)
        language = (citizen.language if citizen else None) or self.config.default_language
        their = Say(self.translations, language)
        await uow.outbox.add(OutboundMessage(booking.citizen_id, "❗ " + their._(
            "We are sorry: the TEAMS service had to cancel your appointment of {day} at "
            "{time}. Please book another time.",
            day=long_day(booking.start, language, self.zone),
            time=clock_time(booking.start, language, self.zone)),
            [[{"label": "📅 " + their._("Book an appointment"), "payload": "book"}]]))
        await self._offer_to_next(uow, booking.role,
                                  Slot(booking.professional_id, booking.start, booking.end),
                                  now)
        return True

    # -- closures ---------------------------------------------------------------------------

    def _staff_day(self, say: Say, word: str, usage: str) -> tuple[date | None, str]:
        """A day for ``/closed`` or ``/reopen``: today or later, within the horizon."""
        today = self.clock.now().astimezone(self.zone).date()
        try:
            day = date.fromisoformat(word)
        except ValueError:
            return None, usage
        if day < today:
            return None, say._("{day} is past: only today or a later day.",
                               day=day.isoformat())
        if day - today > CLOSURE_HORIZON:
            return None, say._("{day} is too far ahead.", day=day.isoformat())
        return day, ""

    def _day_name(self, say: Say, day: date) -> str:
        return long_day(datetime.combine(day, time(12), tzinfo=self.zone), say.language,
                        self.zone)

    async def close_day(self, user_id: int, argument: str) -> StaffView | None:
        """``/closed DATE [reason]``: no new bookings that day; booked citizens are listed
        with the choice to keep them or cancel and tell them. Coordinators only."""
        async with self.uow_factory() as uow:
            member, say, view = await self._coordinator(uow, user_id, "closing a day")
            if member is None or view.messages:
                return view if member is not None else None
            word, _, reason = argument.strip().partition(" ")
            day, refusal = self._staff_day(
                say, word, say._("Write /closed YYYY-MM-DD and, if you want, a reason."))
            if day is None:
                view.add(refusal)
                return view
            reason = "".join(c for c in reason if c.isprintable()).strip()[:200]  # no NUL
            await uow.closures.add(day, reason, user_id, self.clock.now())
            stranded = await self._booked_on(uow, day, self.clock.now())
            await uow.commit()
        key = day.strftime("%Y%m%d")
        text = say._("Closed on {day}: no new appointments.", day=self._day_name(say, day))
        reopen = [Button("↩️ " + say._("Reopen"), f"stf:open.{key}")]
        if not stranded:
            view.add(text, [reopen])
            return view
        lines = [self._agenda_line(say, b) for b in stranded]
        view.personal = True
        view.add(text + "\n\n" + say.n_(
            "{n} citizen is booked that day:", "{n} citizens are booked that day:",
            len(stranded)) + "\n\n" + "\n\n".join(lines),
            [[Button(say._("Keep them"), f"stf:keep.{key}"),
              Button(say._("Cancel and tell them"), f"stf:drop.{key}")], reopen])
        return view

    async def reopen_day(self, user_id: int, argument: str) -> StaffView | None:
        """``/reopen DATE``: undo a closure made with ``/closed``. Coordinators only."""
        async with self.uow_factory() as uow:
            member, say, view = await self._coordinator(uow, user_id, "reopening a day")
            if member is None or view.messages:
                return view if member is not None else None
            day, refusal = self._staff_day(say, argument.strip(),
                                           say._("Write /reopen YYYY-MM-DD."))
            if day is None:
                view.add(refusal)
                return view
            view.add(await self._reopen(uow, member, day, say, self.clock.now()))
            await uow.commit()
            return view

    async def _reopen(self, uow: UnitOfWork, member: StaffMember, day: date, say: Say,
                      now: datetime) -> str:
        if not member.sees_everyone:
            log.info("staff button refused: reopening a day needs a coordinator")
            return say._(COORDINATORS_ONLY)
        if day < now.astimezone(self.zone).date():
            return say._("{day} is past: only today or a later day.", day=day.isoformat())
        if await uow.closures.remove(day):
            return say._("Reopened {day}: appointments can be booked again. Appointments "
                         "already cancelled stay cancelled.", day=self._day_name(say, day))
        if any(c.date <= day <= (c.until or c.date) for c in self.directory.closures):
            return say._("{day} is closed in the service directory file: change it there.",
                         day=self._day_name(say, day))
        return say._("{day} was not closed.", day=self._day_name(say, day))

    async def _booked_on(self, uow: UnitOfWork, day: date, now: datetime) -> list[Booking]:
        """The active bookings of a day that have not begun."""
        start = datetime.combine(day, time.min, tzinfo=self.zone)
        return [b for b in await uow.bookings.between(start, start + timedelta(days=1))
                if b.status == ACTIVE and b.start > now]

    async def _stranded(self, uow: UnitOfWork, member: StaffMember, day: date, action: str,
                        say: Say, now: datetime) -> str:
        if not member.sees_everyone:
            log.info("staff button refused: a closed day's bookings need a coordinator")
            return say._(COORDINATORS_ONLY)
        if day < now.astimezone(self.zone).date():
            return say._("{day} is past: only today or a later day.", day=day.isoformat())
        directory = await self.live_directory(uow)
        if not any(c.date <= day <= (c.until or c.date) for c in directory.closures):
            log.info("staff button refused: the day is not closed")
            return say._("{day} is not closed: close it first with /closed.",
                         day=self._day_name(say, day))
        stranded = await self._booked_on(uow, day, now)
        if action == "keep":
            return say.n_("{n} appointment kept.", "{n} appointments kept.", len(stranded))
        cancelled = 0
        for booking in stranded:
            cancelled += await self._staff_cancel(uow, booking, now)
        return say.n_("{n} appointment cancelled; the citizen was told.",
                      "{n} appointments cancelled; the citizens were told.", cancelled)

    async def live_directory(self, uow: UnitOfWork) -> Directory:
        """The directory with the closures staff added from Telegram."""
        from domain.directory import Closure

        extra = [Closure(date=d, reason=r) for d, r in await uow.closures.all()]
        if not extra:
            return self.directory
        return self.directory.model_copy(update={"closures": [*self.directory.closures,
                                                              *extra]})

    # -- removed staff ----------------------------------------------------------------------

    async def removals_to_tell(self) -> list[tuple[int, str, list[list[Button]], list[int]]]:
        """Staff taken off the registry whom the coordinators have not been told about yet:
        ``(removal id, notice, buttons, coordinators' ids)``, each claimed once. The channel
        calls :meth:`removal_not_told` when the notice reached nobody."""
        async with self.uow_factory() as uow:
            removals = await uow.staff.removals_to_tell()
            if not removals:
                return []
            coordinators = [m.user_id for m in await uow.staff.all() if m.sees_everyone]
            say = self._staff_say()
            now = self.clock.now()
            out = []
            for removal in removals:
                assert removal.id is not None
                if not await uow.staff.removal_told(removal.id, now):
                    continue  # another worker tells
                out.append((removal.id, "⚠️ " + say._(
                    "{name} ({role}) is no longer TEAMS staff, but may still be in the staff "
                    "group, where every conversation can be read. Remove them from the group? "
                    "They can be invited again later.", name=removal.name, role=removal.role),
                    [[Button("🚪 " + say._("Remove from the staff group"),
                             f"stf:kick.{removal.user_id}")]], coordinators))
            await uow.commit()
            return out

    async def removal_not_told(self, removal_id: int) -> None:
        async with self.uow_factory() as uow:
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

    async def removed_from_group(self, user_id: int) -> str:
        """The channel removed a former staff member from the group: note it, say so."""
        async with self.uow_factory() as uow:
            removal = await uow.staff.last_removal(user_id)
            name = removal.name if removal else str(user_id)
            if removal is not None and removal.id is not None:
                await uow.staff.removal_done(removal.id, self.clock.now())
                await uow.commit()
        return self._staff_say()._(
            "{name} was removed from the staff group; they can be invited again later.",
            name=name)

    # -- calendar feeds ---------------------------------------------------------------------

    async def feed_token(self, user_id: int, renew: bool = False) -> str | None:
        """The private token of a professional's calendar feed (a new one revokes the old)."""
        async with self.uow_factory() as uow:
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

        async with self.uow_factory() as uow:
            member = await uow.staff.by_feed_token(token) if token else None
            if member is None:
                return None
            now = self.clock.now()
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
