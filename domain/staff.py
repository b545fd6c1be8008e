"""Staff tools: the agenda with attended / no-show / cancel, closures that may strand booked
citizens, and private calendar feeds. A mixin of :class:`domain.engine.Engine`.

Every entry point checks the staff registry first: anybody else gets nothing about a citizen.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from domain.booking import ACTIVE, NEEDS, ROLE_NAMES, URGENCY, Booking, Slot
from domain.formatting import clock_time, long_day
from domain.messages import Button
from domain.model import OutboundMessage, StaffMember
from domain.parts import EngineParts
from domain.text import Say

if TYPE_CHECKING:

    from domain.directory import Directory
    from domain.ports import UnitOfWork

STATUS_ACTIONS = {"att": "attended", "nos": "no_show", "cxl": "cancelled"}


@dataclass
class StaffView:
    """Messages for a staff member: text with staff buttons (payloads start with ``stf:``)."""

    messages: list[tuple[str, list[list[Button]]]] = field(default_factory=list)

    def add(self, text: str, buttons: list[list[Button]] | None = None) -> None:
        self.messages.append((text, buttons or []))


class StaffTools(EngineParts):

    async def _offer_to_next(self, uow: UnitOfWork, role: str, slot: Slot,
                             now: datetime) -> None: ...

    def _staff_say(self) -> Say:
        return Say(self.translations, self.config.default_language)

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
                 Button("❌ " + say._("Cancel"), f"stf:cxl.{booking.id}")]]
        if thread is not None:
            rows.append([Button("💬 " + say._("Thread"), f"url:thread.{thread}")])
        return rows

    async def staff_button(self, user_id: int, data: str
                           ) -> tuple[str, list[OutboundMessage]] | None:
        """A staff button: mark an appointment, or decide about stranded citizens."""
        action, _, arg = data.removeprefix("stf:").partition(".")
        async with self.uow_factory() as uow:
            member = await uow.staff.get(user_id)
            if member is None:
                return None
            say = self._staff_say()
            now = self.clock.now()
            outbound: list[OutboundMessage] = []
            if action in STATUS_ACTIONS and arg.isdigit():
                text = await self._set_status(uow, member, int(arg), STATUS_ACTIONS[action],
                                              say, now)
            elif action in ("keep", "drop") and arg.isdigit() and len(arg) == 8:
                text = await self._stranded(uow, member, date(int(arg[:4]), int(arg[4:6]),
                                                               int(arg[6:])), action, say, now)
            else:
                text = say._("That button is no longer valid.")
            await uow.commit()
            return text, outbound

    async def _set_status(self, uow: UnitOfWork, member: StaffMember, booking_id: int,
                          status: str, say: Say, now: datetime) -> str:
        booking = await uow.bookings.get(booking_id)
        if booking is None or not (member.sees_everyone
                                   or booking.professional_id == member.professional_id):
            return say._("That appointment is not yours or no longer exists.")
        if status == "cancelled":
            if booking.status != ACTIVE:
                return say._("That appointment is not active.")
            await self._staff_cancel(uow, booking, now)
            return say._("Cancelled; the citizen was told in their language ({code}).",
                         code=booking.case_code)
        booking.status = status
        await uow.bookings.save(booking)
        await uow.tallies.add(booking.start.strftime("%Y-%m"), f"marked.{status}", booking.role)
        return say._("{code}: marked {status}.", code=booking.case_code, status=status)

    async def _staff_cancel(self, uow: UnitOfWork, booking: Booking, now: datetime) -> None:
        booking.status = "cancelled"
        await uow.bookings.save(booking)
        assert booking.id is not None
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

    # -- closures ---------------------------------------------------------------------------

    async def close_day(self, user_id: int, argument: str) -> StaffView | None:
        """``/closed DATE [reason]``: no new bookings that day; booked citizens are listed
        with the choice to keep them or cancel and tell them."""
        async with self.uow_factory() as uow:
            member = await uow.staff.get(user_id)
            if member is None:
                return None
            say = self._staff_say()
            view = StaffView()
            word, _, reason = argument.strip().partition(" ")
            try:
                day = date.fromisoformat(word)
            except ValueError:
                view.add(say._("Write /closed YYYY-MM-DD and, if you want, a reason."))
                return view
            await uow.closures.add(day, reason.strip(), user_id, self.clock.now())
            stranded = await self._booked_on(uow, day)
            await uow.commit()
        text = say._("Closed on {day}: no new appointments.",
                     day=long_day(datetime.combine(day, time(12), tzinfo=self.zone),
                                  say.language, self.zone))
        if not stranded:
            view.add(text)
            return view
        lines = [self._agenda_line(say, b) for b in stranded]
        key = day.strftime("%Y%m%d")
        view.add(text + "\n\n" + say.n_(
            "{n} citizen is booked that day:", "{n} citizens are booked that day:",
            len(stranded)) + "\n\n" + "\n\n".join(lines),
            [[Button(say._("Keep them"), f"stf:keep.{key}"),
              Button(say._("Cancel and tell them"), f"stf:drop.{key}")]])
        return view

    async def _booked_on(self, uow: UnitOfWork, day: date) -> list[Booking]:
        start = datetime.combine(day, time.min, tzinfo=self.zone)
        return [b for b in await uow.bookings.between(start, start + timedelta(days=1))
                if b.status == ACTIVE]

    async def _stranded(self, uow: UnitOfWork, member: StaffMember, day: date, action: str,
                        say: Say, now: datetime) -> str:
        stranded = await self._booked_on(uow, day)
        if action == "keep":
            return say.n_("{n} appointment kept.", "{n} appointments kept.", len(stranded))
        if not (member.sees_everyone or member.role in ("social_worker", "labour_expert",
                                                         "mediator")):
            return say._("That appointment is not yours or no longer exists.")
        for booking in stranded:
            await self._staff_cancel(uow, booking, now)
        return say.n_("{n} appointment cancelled; the citizen was told.",
                      "{n} appointments cancelled; the citizens were told.", len(stranded))

    async def live_directory(self, uow: UnitOfWork) -> Directory:
        """The directory with the closures staff added from Telegram."""
        from domain.directory import Closure

        extra = [Closure(date=d, reason=r) for d, r in await uow.closures.all()]
        if not extra:
            return self.directory
        return self.directory.model_copy(update={"closures": [*self.directory.closures,
                                                              *extra]})

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
