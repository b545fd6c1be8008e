"""A professional's agenda (a coordinator's: everyone's), marking an appointment attended,
no-show or cancelled, and the cancellation the citizen is told about in their language."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from domain.appointments import Appointments
from domain.booking import ACTIVE, ROLE_NAMES, URGENCY, Booking, Slot
from domain.formatting import clock_time, long_day
from domain.messages import Button
from domain.model import OutboundMessage, StaffMember
from domain.needs import NEEDS
from domain.ports import UnitOfWork
from domain.staffview import STATUS_LABELS, StaffView, label, language_label, staff_say
from domain.text import N_, Say
from domain.turn import Services

log = logging.getLogger(__name__)
AGENDA_HORIZON = timedelta(days=10 * 366)  # an agenda date within ten years of today


async def invite_to_book(uow: UnitOfWork, s: Services, citizen_id: int, icon: str,
                         message: str, when: datetime | None = None) -> None:
    """Write to a citizen, in their language, with a button to book (after staff cancelled,
    a no-show, a follow-up needed); ``message`` (marked with ``N_``) may name ``when`` as
    ``{day}`` and ``{time}``."""
    citizen = await uow.citizens.get(citizen_id)
    language = (citizen.language if citizen else None) or s.config.default_language
    their = Say(s.translations, language)
    dated = {} if when is None else {"day": long_day(when, language, s.zone),
                                     "time": clock_time(when, language, s.zone)}
    await uow.outbox.add(OutboundMessage(citizen_id, icon + " " + their._(message, **dated),
        [[{"label": "📅 " + their._("Book an appointment"), "payload": "book"}]]))



class Agenda:
    def __init__(self, services: Services, appointments: Appointments) -> None:
        self.s = services
        self.appointments = appointments

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

    async def show(self, user_id: int, word: str = "today") -> StaffView | None:
        """A professional's appointments (a coordinator's: everyone's); None for non-staff."""
        async with self.s.uow_factory() as uow:
            member = await uow.staff.get(user_id)
            if member is None:
                return None
            say = staff_say(self.s, member)
            view = StaffView()
            today = self.s.clock.now().astimezone(self.s.zone).date()
            period = self._period(word, today)
            if period is not None and (abs(period[0] - today) > AGENDA_HORIZON
                                       or abs(period[1] - today) > AGENDA_HORIZON):
                period = None
            if period is None:
                view.add(say._("Write /agenda today, tomorrow, week or a date like {example}.",
                               example=today.isoformat()))
                return view
            start = datetime.combine(period[0], time.min, tzinfo=self.s.zone)
            end = datetime.combine(period[1] + timedelta(days=1), time.min, tzinfo=self.s.zone)
            bookings = [b for b in await uow.bookings.between(start, end)
                        if b.status != "cancelled"
                        and (member.sees_everyone or b.professional_id == member.professional_id)]
            if not member.sees_everyone and member.professional_id is None:
                view.add(say._("Your staff record is not linked to a professional of the "
                               "service directory; ask an administrator."))
                return view
            if not bookings:
                view.add(say._("No appointments from {start} to {end}.",
                               start=long_day(start, say.language, self.s.zone),
                               end=long_day(end - timedelta(days=1), say.language, self.s.zone)))
                return view
            view.personal = True
            for booking in bookings:
                topic = await uow.handovers.topic(booking.citizen_id)
                view.add(self.line(say, booking), self.buttons(
                    say, booking, topic.thread_id if topic else None))
            return view

    def line(self, say: Say, booking: Booking) -> str:
        needs = ", ".join(say._(NEEDS[n]) for n in booking.needs if n in NEEDS) or "-"
        parts = [
            f"📅 {long_day(booking.start, say.language, self.s.zone)} "
            f"{clock_time(booking.start, say.language, self.s.zone)} · {booking.case_code}",
            f"👤 {label(say, ROLE_NAMES, booking.role)} ({self._professional(booking)})",
            say._("Needs: {needs}", needs=needs),
            say._("Language: {language}",
                  language=language_label(say, booking.meeting_language)),
        ]
        if booking.urgency in URGENCY:
            parts.append(say._("Urgency: {urgency}", urgency=say._(URGENCY[booking.urgency])))
        if booking.with_mediator:
            parts.append("🗣️ " + say._("with a linguistic-cultural mediator"))
        if booking.description:
            parts.append(f"✍️ {booking.description}")
        if booking.status != ACTIVE:
            parts.append(say._("Status: {status}",
                               status=label(say, STATUS_LABELS, booking.status)))
        return "\n".join(parts)

    def _professional(self, booking: Booking) -> str:
        """The professional's name in the directory (their id when no longer there)."""
        return next((p.name for p in self.s.directory.professionals
                     if p.id == booking.professional_id), booking.professional_id)

    def buttons(self, say: Say, booking: Booking, thread: int | None
                        ) -> list[list[Button]]:
        rows = [[Button("✅ " + say._("Attended"), f"stf:att.{booking.id}"),
                 Button("🚫 " + say._("No-show"), f"stf:nos.{booking.id}"),
                 Button("❌ " + say._("Cancel"), f"stf:cxl.{booking.id}")]
                ] if booking.status == ACTIVE else []
        if thread is not None:
            rows.append([Button("💬 " + say._("Thread"), f"url:thread.{thread}")])
        return rows

    async def set_status(self, uow: UnitOfWork, member: StaffMember, booking_id: int,
                          status: str, say: Say, now: datetime) -> str:
        booking = await uow.bookings.get(booking_id)
        if booking is None or not (member.sees_everyone
                                   or booking.professional_id == member.professional_id):
            log.info("staff button refused: not their booking")
            return say._("That appointment is not yours or no longer exists.")
        assert booking.id is not None
        if booking.status != ACTIVE:
            log.info("staff button refused: booking not active")
            return self._already(say, booking)
        if status == "cancelled":
            if booking.start <= now:
                log.info("staff button refused: cancelling a begun booking")
                return say._("{code} has already begun: mark it attended or no-show.",
                             code=booking.case_code)
            if not await self.cancel(uow, booking, now):
                return self._already(say, await uow.bookings.get(booking.id) or booking)
            return say._("Cancelled; the citizen was told in their language ({code}).",
                         code=booking.case_code)
        if booking.start > now:
            log.info("staff button refused: marking a booking not begun")
            return say._("{code} has not begun yet: it can be marked attended or no-show "
                         "once it has begun. To call it off, use Cancel: the citizen is "
                         "told.", code=booking.case_code)
        if not await uow.bookings.change_status(booking.id, ACTIVE, status):
            return self._already(say, await uow.bookings.get(booking.id) or booking)
        await uow.tallies.add(booking.start.strftime("%Y-%m"), f"marked.{status}", booking.role)
        if status == "no_show":
            await self.offer_after_no_show(uow, booking)
        return say._("{code}: marked {status}.", code=booking.case_code,
                     status=label(say, STATUS_LABELS, status))

    @staticmethod
    def _already(say: Say, booking: Booking) -> str:
        return say._("{code} is already {status}: nothing changed.", code=booking.case_code,
                     status=label(say, STATUS_LABELS, booking.status))

    async def offer_after_no_show(self, uow: UnitOfWork, booking: Booking) -> None:
        """The citizen missed the appointment: a new one is offered, in their language."""
        await invite_to_book(uow, self.s, booking.citizen_id, "📅", N_(
            "We missed you at your appointment of {day} at {time}. If you still need it, "
            "you can book a new time."), booking.start)

    async def cancel(self, uow: UnitOfWork, booking: Booking, now: datetime) -> bool:
        """Cancel an active booking and tell the citizen; False when it was not active."""
        assert booking.id is not None
        if not await uow.bookings.change_status(booking.id, ACTIVE, "cancelled"):
            return False
        booking.status = "cancelled"
        await uow.reminders.cancel_for(booking.id)
        await invite_to_book(uow, self.s, booking.citizen_id, "❗", N_(
            "We are sorry: the TEAMS service had to cancel your appointment of {day} at "
            "{time}. Please book another time."), booking.start)
        await self.appointments.offer_to_next(uow, booking.role,
                                  Slot(booking.professional_id, booking.start, booking.end),
                                  now)
        return True

    async def booked_on(self, uow: UnitOfWork, day: date, now: datetime) -> list[Booking]:
        """The active bookings of a day that have not begun."""
        start = datetime.combine(day, time.min, tzinfo=self.s.zone)
        return [b for b in await uow.bookings.between(start, start + timedelta(days=1))
                if b.status == ACTIVE and b.start > now]
