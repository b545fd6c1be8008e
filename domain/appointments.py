"""The booking flows after the intake (:mod:`domain.intake`): day and time, the booking, the
citizen's appointments (cancel, move), the waiting list and its offers, reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain import payloads
from domain.booking import (
    ACTIVE,
    INTENT_NEED,
    ROLE_NAMES,
    Booking,
    Slot,
    SlotTaken,
    free_slots,
    parse_slot_key,
    reminder_times,
    to_ics,
)
from domain.calendar import live_directory
from domain.content import TOPIC_ROUTE
from domain.formatting import clock_time, day_label, long_day
from domain.intake import IntakeFlow
from domain.menus import Menus
from domain.messages import Button, OutFile
from domain.model import ConversationState, OutboundMessage, WaitEntry
from domain.ports import UnitOfWork
from domain.state import Intake
from domain.text import Say
from domain.turn import Services, Turn

OFFER_HOURS = 4
DAYS_SHOWN = 7
TIMES_SHOWN = 12
REMINDER_BATCH = 50

class Appointments:
    """Booking, moving and cancelling; the waiting list; reminders."""

    def __init__(self, services: Services, menus: Menus, intake: IntakeFlow) -> None:
        self.s = services
        self.menus = menus
        self.intake = intake

    # -- entry ------------------------------------------------------------------------------

    async def start_booking(self, turn: Turn, role: str | None = None,
                            need: str | None = None) -> None:
        upcoming = await turn.uow.bookings.for_citizen(turn.citizen.id, turn.now)
        if len(upcoming) >= self.s.directory.booking.max_future_per_citizen:
            turn.reply(turn.say.n_(
                "You already have {n} appointment. To book another one, first cancel or "
                "move it.",
                "You already have {n} appointments. To book another one, first cancel or "
                "move one of them.", len(upcoming)))
            await self.show_appointments(turn)
            return
        self.intake.begin(turn, role, need)

    async def book_topic(self, turn: Turn, topic: str | None) -> None:
        """"Appointment with the ..." under an answer: the professional its topic needs."""
        topic = topic if topic in TOPIC_ROUTE else ""
        await self.start_booking(turn, TOPIC_ROUTE.get(topic), INTENT_NEED.get(topic))

    async def on_consent(self, turn: Turn, agree: bool) -> None:
        if turn.conversation.data.intake is None:
            turn.conversation.data.intake = Intake()
        if self.intake.consent(turn, agree):
            await self.show_days(turn)  # a mediator offered times

    # -- day and time -----------------------------------------------------------------------

    async def _free(self, turn: Turn, role: str) -> list[Slot]:
        rules = self.s.directory.booking
        ids = [p.id for p in self.s.directory.professionals if p.role == role]
        until = turn.now + timedelta(days=rules.horizon_days + 1)
        taken = await turn.uow.bookings.taken(ids, turn.now, until)
        taken |= await self._held_offers(turn)
        language = intake.language if (intake := turn.conversation.data.intake) else None
        directory = await live_directory(self.s.directory, turn.uow)
        return free_slots(directory, role, taken, turn.now, self.s.zone, language)

    async def _held_offers(self, turn: Turn) -> set[tuple[str, datetime]]:
        held = set()
        for key in await turn.uow.waitlist.held_offers(turn.now):
            parsed = parse_slot_key(key)
            if parsed:
                held.add(parsed)
        return held

    async def show_days(self, turn: Turn, text: str | None = None) -> None:
        role = _role(turn)
        if role is None:
            await self.start_booking(turn)
            return
        slots = await self._free(turn, role)
        say = turn.say
        if not slots:
            await self._offer_waitlist(turn, role)
            return
        days: dict[str, Slot] = {}
        for slot in slots:
            days.setdefault(slot.start.astimezone(self.s.zone).strftime("%Y%m%d"), slot)
        buttons = [Button(day_label(s.start, turn.language, self.s.zone), payloads.make("day", d))
                   for d, s in list(days.items())[:DAYS_SHOWN]]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        rows.append(self.menus.home(turn))
        turn.conversation.state = ConversationState.CHOOSING_DAY
        turn.reply(text or say._("Choose a day:"), rows)

    async def show_times(self, turn: Turn, day: str) -> None:
        role = _role(turn)
        if role is None:
            await self.start_booking(turn)
            return
        slots = [s for s in await self._free(turn, role)
                 if s.start.astimezone(self.s.zone).strftime("%Y%m%d") == day]
        if not slots:
            await self.show_days(turn, turn.say._(
                "There is no free time left on that day. Choose another day:"))
            return
        self._times_keyboard(turn, slots[:TIMES_SHOWN], turn.say._("Choose a time, {day}:",
                             day=day_label(slots[0].start, turn.language, self.s.zone)))

    def _times_keyboard(self, turn: Turn, slots: list[Slot], text: str,
                        with_day: bool = False) -> None:
        buttons = []
        for slot in slots:
            label = clock_time(slot.start, turn.language, self.s.zone)
            if with_day:
                label = f"{day_label(slot.start, turn.language, self.s.zone)} {label}"
            buttons.append(Button(label, payloads.make("slot", slot.key)))
        rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
        rows.append([Button("⬅️ " + turn.say._("Other days"), payloads.make("days"))])
        turn.conversation.state = ConversationState.CHOOSING_TIME
        turn.reply(text, rows)

    async def on_slot(self, turn: Turn, key: str) -> None:
        """Book the chosen slot; the database refuses it when someone was faster (then the
        turn is handled again, ``slot_taken``, to answer kindly)."""
        taken = turn.slot_taken
        intake = turn.conversation.data.intake or Intake()
        parsed = parse_slot_key(key)
        role = intake.role
        free = await self._free(turn, role) if role else []
        slot = next((s for s in free if parsed and (s.professional_id, s.start) == parsed), None)
        if taken or (slot is None and parsed and role):
            if not free:
                await self._offer_waitlist(turn, role or "social_worker")
                return
            self._times_keyboard(turn, free[:6], turn.say._(
                "Sorry, that time was just taken by someone else. Here are the next free "
                "times:"), with_day=True)
            return
        if slot is None or role is None:
            self.menus.main_menu(turn, turn.say._(
                "That button is no longer valid. Here is the menu again."))
            return
        await self._book(turn, slot, role, intake)

    async def _book(self, turn: Turn, slot: Slot, role: str, intake: Intake) -> None:
        data = turn.conversation.data
        moving = data.moving
        upcoming = await turn.uow.bookings.for_citizen(turn.citizen.id, turn.now)
        limit = self.s.directory.booking.max_future_per_citizen
        if not moving and len(upcoming) >= limit:
            await self.start_booking(turn)  # explains the limit
            return
        if moving:
            old = await turn.uow.bookings.get(moving)
            if old and old.citizen_id == turn.citizen.id and old.status == ACTIVE:
                await self._cancel(turn, old)
        booking = Booking(
            citizen_id=turn.citizen.id, professional_id=slot.professional_id, role=role,
            start=slot.start, end=slot.end, created_at=turn.now,
            needs=list(intake.needs), urgency=intake.urgency,
            meeting_language=intake.language or turn.language,
            with_mediator=intake.with_mediator, description=intake.description,
        )
        await turn.uow.bookings.add(booking)  # raises SlotTaken
        assert booking.id is not None
        for kind, due in reminder_times(booking.start, self.s.directory, self.s.zone,
                                        turn.now).items():
            await turn.uow.reminders.add(booking.id, kind, due)
        data.intake, data.moving = None, None
        turn.conversation.state = ConversationState.IDLE
        self._confirm(turn, booking)

    def _describe(self, say: Say, booking: Booking, language: str) -> str:
        office = self.s.directory.main_office
        when = say._("{day} at {time}", day=long_day(booking.start, language, self.s.zone),
                     time=clock_time(booking.start, language, self.s.zone))
        lines = [
            "📅 " + when,
            "👤 " + say._(ROLE_NAMES[booking.role]).capitalize(),
            "📍 " + f"{office.name}, {office.address}",
            "🔖 " + say._("Case code: {code}", code=booking.case_code),
        ]
        if booking.with_mediator:
            lines.append("🗣️ " + say._("A linguistic-cultural mediator will be there too."))
        return "\n".join(lines)

    def _confirm(self, turn: Turn, booking: Booking) -> None:
        say = turn.say
        text = ("✅ " + say._("Your appointment is booked.") + "\n\n"
                + self._describe(say, booking, turn.language) + "\n\n"
                + say._("Bring your passport or other identity document and any papers about "
                        "your question. If you cannot come, cancel or move it with "
                        "/appointments. We will remind you the day before."))
        ics = to_ics(booking, self.s.directory, say._("TEAMS appointment"),
                     say._("Case code: {code}", code=booking.case_code))
        turn.reply(text, [[Button("📋 " + say._("My appointments"), payloads.make("appts")),
                           *self.menus.home(turn)]],
                   file=OutFile(f"teams-{booking.case_code}.ics", ics, "text/calendar"))

    # -- managing appointments --------------------------------------------------------------

    async def show_appointments(self, turn: Turn) -> None:
        say = turn.say
        upcoming = await turn.uow.bookings.for_citizen(turn.citizen.id, turn.now)
        if not upcoming:
            turn.reply(say._("You have no appointments."), [
                [Button("📅 " + say._("Book an appointment"), payloads.make("book"))],
                self.menus.home(turn)])
            return
        for booking in upcoming:
            turn.reply(self._describe(say, booking, turn.language), [[
                Button("🔁 " + say._("Move"), payloads.make("move", str(booking.id))),
                Button("❌ " + say._("Cancel"), payloads.make("cancel", str(booking.id))),
            ]])

    async def _own(self, turn: Turn, raw: str | None) -> Booking | None:
        if not raw or not raw.isdigit():
            return None
        booking = await turn.uow.bookings.get(int(raw))
        if (booking is None or booking.citizen_id != turn.citizen.id
                or booking.status != ACTIVE or booking.start <= turn.now):
            return None
        return booking

    async def on_cancel(self, turn: Turn, raw: str | None, confirmed: bool) -> None:
        booking = await self._own(turn, raw)
        say = turn.say
        if booking is None:
            turn.reply(say._("That appointment is no longer active."))
            await self.show_appointments(turn)
            return
        if not confirmed:
            turn.reply(say._("Cancel this appointment?") + "\n\n"
                       + self._describe(say, booking, turn.language),
                       [[Button(say._("Yes, cancel it"), payloads.make("cancelok", raw)),
                         Button(say._("No"), payloads.make("appts"))]])
            return
        await self._cancel(turn, booking)
        turn.reply("✅ " + say._("The appointment is cancelled."), [
            [Button("📅 " + say._("Book an appointment"), payloads.make("book"))],
            self.menus.home(turn)])

    async def on_move(self, turn: Turn, raw: str | None) -> None:
        booking = await self._own(turn, raw)
        if booking is None:
            turn.reply(turn.say._("That appointment is no longer active."))
            await self.show_appointments(turn)
            return
        turn.conversation.data.moving = booking.id
        turn.conversation.data.intake = Intake(
            needs=list(booking.needs), role=booking.role, urgency=booking.urgency,
            language=booking.meeting_language, with_mediator=booking.with_mediator,
            description=booking.description)
        await self.show_days(turn, turn.say._("Choose a new day:"))

    async def _cancel(self, turn: Turn, booking: Booking) -> None:
        booking.status = "cancelled"
        await turn.uow.bookings.save(booking)
        assert booking.id is not None
        await turn.uow.reminders.cancel_for(booking.id)
        await self.offer_to_next(turn.uow, booking.role,
                                  Slot(booking.professional_id, booking.start, booking.end),
                                  turn.now)

    # -- waiting list -----------------------------------------------------------------------

    async def _offer_waitlist(self, turn: Turn, role: str) -> None:
        say = turn.say
        turn.reply(say._(
            "There are no free times with the {role} in the next {days} days. Would you like "
            "to join the waiting list? We will write to you as soon as a time frees up.",
            role=say._(ROLE_NAMES[role]), days=self.s.directory.booking.horizon_days),
            [[Button(say._("Join the waiting list"), payloads.make("wait", role))],
             self.menus.home(turn)])

    async def on_wait(self, turn: Turn, role: str) -> None:
        existing = await turn.uow.waitlist.active_for(turn.citizen.id)
        if existing is None:
            await turn.uow.waitlist.add(WaitEntry(turn.citizen.id, role, turn.now))
        turn.conversation.state = ConversationState.IDLE
        self.menus.main_menu(turn, turn.say._(
            "You are on the waiting list for the {role}. We will write to you here when a "
            "time frees up.", role=turn.say._(ROLE_NAMES[role])))

    async def offer_to_next(self, uow: UnitOfWork, role: str, slot: Slot,
                             now: datetime) -> None:
        """Offer a freed slot to the first person waiting for that role, in their language."""
        entry = await uow.waitlist.first_waiting(role)
        if entry is None or slot.start <= now:
            return
        entry.status, entry.offer = "offered", slot.key
        entry.offer_expires_at = now + timedelta(hours=OFFER_HOURS)
        await uow.waitlist.save(entry)
        citizen = await uow.citizens.get(entry.citizen_id)
        language = (citizen.language if citizen else None) or "it"
        say = Say(self.s.translations, language)
        text = say._(
            "Good news: a time with the {role} has become free: {day} at {time}. Do you want "
            "it? We keep it for you for {hours} hours.", role=say._(ROLE_NAMES[role]),
            day=long_day(slot.start, language, self.s.zone),
            time=clock_time(slot.start, language, self.s.zone), hours=OFFER_HOURS)
        buttons = [[{"label": say._("Yes, book it"), "payload": f"offer:{entry.id}"},
                    {"label": say._("No, thanks"), "payload": f"offerno:{entry.id}"}]]
        await uow.outbox.add(OutboundMessage(entry.citizen_id, text, buttons))

    async def on_offer(self, turn: Turn, raw: str | None, accept: bool) -> None:
        entry = await turn.uow.waitlist.get(int(raw)) if raw and raw.isdigit() else None
        say = turn.say
        if (entry is None or entry.citizen_id != turn.citizen.id or entry.status != "offered"
                or entry.offer_expires_at is None or entry.offer_expires_at <= turn.now):
            self.menus.main_menu(turn, say._("Sorry, this offer has expired."))
            return
        parsed = parse_slot_key(entry.offer or "")
        entry.status = "booked" if accept else "left"
        await turn.uow.waitlist.save(entry)
        if parsed is None:
            return
        slot = self._slot_of(parsed)
        if not accept:
            if slot:
                await self.offer_to_next(turn.uow, entry.role, slot, turn.now)
            self.menus.main_menu(turn, say._("All right. You are no longer on the waiting list."))
            return
        if slot is None:
            self.menus.main_menu(turn, say._("Sorry, this offer has expired."))
            return
        intake = turn.conversation.data.intake or Intake(needs=["other"])
        await self._book(turn, slot, entry.role, intake)

    def _slot_of(self, parsed: tuple[str, datetime]) -> Slot | None:
        length = timedelta(minutes=self.s.directory.booking.slot_minutes)
        professional, start = parsed
        if not any(p.id == professional for p in self.s.directory.professionals):
            return None
        return Slot(professional, start, start + length)

    # -- periodic work ----------------------------------------------------------------------

    async def due_work(self, uow: UnitOfWork, now: datetime, worker: str) -> int:
        """Turn due reminders into messages and pass expired offers on; returns the count."""
        count = 0
        for due in await uow.reminders.claim_due(now, worker, REMINDER_BATCH):
            citizen = await uow.citizens.get(due.citizen_id)
            language = (citizen.language if citizen else None) or "it"
            say = Say(self.s.translations, language)
            booking = await uow.bookings.get(due.booking_id)
            if booking is None:
                continue
            head = (say._("Reminder: your TEAMS appointment is tomorrow.")
                    if due.kind == "day_before"
                    else say._("Reminder: your TEAMS appointment is today."))
            await uow.outbox.add(OutboundMessage(
                due.citizen_id, "⏰ " + head + "\n\n" + self._describe(say, booking, language),
                [[{"label": "📋 " + say._("My appointments"), "payload": "appts"}]]))
            count += 1
        for entry in await uow.waitlist.expired_offers(now):
            parsed = parse_slot_key(entry.offer or "")
            entry.status = "expired"
            await uow.waitlist.save(entry)
            slot = self._slot_of(parsed) if parsed else None
            if slot:
                await self.offer_to_next(uow, entry.role, slot, now)
            count += 1
        return count


def _role(turn: Turn) -> str | None:
    return turn.conversation.data.intake.role if turn.conversation.data.intake else None


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


__all__ = ["Appointments", "SlotTaken"]
