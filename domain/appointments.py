"""The booking flows: privacy consent, needs intake, triage, day and time, appointments,
waiting list, reminders. A mixin of :class:`domain.engine.Engine`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain import payloads
from domain.booking import (
    ACTIVE,
    INTENT_NEED,
    REFERRAL_LABELS,
    ROLE_NAMES,
    URGENCY,
    Booking,
    Slot,
    SlotTaken,
    free_slots,
    parse_slot_key,
    reminder_times,
    to_ics,
    triage,
)
from domain.formatting import clock_time, day_label, long_day
from domain.languages import LANGUAGES, NATIVE_NAMES
from domain.messages import Button, OutFile, Reply
from domain.model import ConversationState, OutboundMessage, WaitEntry
from domain.needs import NEEDS
from domain.parts import EngineParts
from domain.text import Say

if TYPE_CHECKING:
    from domain.ports import UnitOfWork
    from domain.turn import Turn

MAX_DESCRIPTION = 500
OFFER_HOURS = 4
DAYS_SHOWN = 7
TIMES_SHOWN = 12
REMINDER_BATCH = 50


class AppointmentFlows(EngineParts):
    """Booking flows; relies on the engine's directory, translations and helpers."""

    # helpers the engine provides
    def _main_menu(self, turn: Turn, text: str | None = None,
                   language_button: bool = False) -> None: ...

    def _home(self, turn: Turn) -> list[Button]:
        return [Button("🏠 " + turn.say._("Main menu"), payloads.make("menu"))]

    # -- entry ------------------------------------------------------------------------------

    async def start_booking(self, turn: Turn, role: str | None = None,
                            need: str | None = None) -> None:
        data = turn.conversation.data
        upcoming = await turn.uow.bookings.for_citizen(turn.citizen.id, turn.now)
        if len(upcoming) >= self.directory.booking.max_future_per_citizen:
            turn.reply(turn.say.n_(
                "You already have {n} appointment. To book another one, first cancel or "
                "move it.",
                "You already have {n} appointments. To book another one, first cancel or "
                "move one of them.", len(upcoming)))
            await self.show_appointments(turn)
            return
        data.pop("moving", None)
        data["intake"] = {"needs": [need] if need else [], "role": role}
        if turn.citizen.consent_at is None:
            self._privacy_notice(turn)
            return
        self._ask_needs(turn)

    def _privacy_notice(self, turn: Turn) -> None:
        service = self.directory.service
        turn.conversation.state = ConversationState.CONSENT
        turn.reply(turn.say._(
            "Before we start: this is an automated assistant of {service}. To book an "
            "appointment we keep what you tell us (what you need, the language, the time) so "
            "that the professional can help you. The data controller is {controller}. We keep "
            "it for {days} days after your last contact, and you can see or delete it at any "
            "time with /privacy. Full notice: {url}\n\nDo you agree?",
            service=service.name, controller=service.controller,
            days=service.retention_days, url=service.privacy_notice_url,
        ), [[Button("✅ " + turn.say._("I agree"), payloads.make("consent", "yes")),
             Button(turn.say._("No, thanks"), payloads.make("consent", "no"))]])

    async def on_consent(self, turn: Turn, agree: bool) -> None:
        if not agree:
            turn.conversation.data.pop("intake", None)
            self._main_menu(turn, turn.say._(
                "All right, we keep nothing. You can still read all the information and write "
                "to a person."))
            return
        turn.citizen.consent_at = turn.now
        if turn.conversation.data.pop("after_consent", None) == "days":
            await self.show_days(turn)  # a mediator offered times
            return
        self._ask_needs(turn)

    # -- intake -----------------------------------------------------------------------------

    def _ask_needs(self, turn: Turn, edit: bool = False) -> None:
        turn.conversation.state = ConversationState.INTAKE_NEEDS
        chosen = set(turn.conversation.data["intake"]["needs"])
        say = turn.say
        buttons = [Button(("✅ " if key in chosen else "") + say._(label),
                          payloads.make("need", key)) for key, label in NEEDS.items()]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        rows.append([Button("✔️ " + say._("Done"), payloads.make("needs_done"))])
        turn.replies.append(Reply(say._(
            "What do you need help with? Choose one or more, then press Done. You can also "
            "write it in your own words."), rows, edit=edit))

    def on_need(self, turn: Turn, key: str) -> None:
        intake = turn.conversation.data.setdefault("intake", {"needs": [], "role": None})
        needs = intake["needs"]
        if key in needs:
            needs.remove(key)
        else:
            needs.append(key)
        self._ask_needs(turn, edit=True)

    def on_needs_text(self, turn: Turn, text: str, intent: str) -> None:
        intake = turn.conversation.data["intake"]
        need = INTENT_NEED.get(intent)
        if need is None:
            need = "other"
            intake["description"] = text[:MAX_DESCRIPTION]
        if need not in intake["needs"]:
            intake["needs"].append(need)
        self._ask_needs(turn)

    def on_needs_done(self, turn: Turn) -> None:
        if not turn.conversation.data["intake"]["needs"]:
            turn.reply(turn.say._("Please choose at least one thing, or \"Something else\"."))
            self._ask_needs(turn)
            return
        self._ask_urgency(turn)

    def _ask_urgency(self, turn: Turn) -> None:
        turn.conversation.state = ConversationState.INTAKE_URGENCY
        turn.reply(turn.say._("How urgent is it?"), [[
            Button(turn.say._(label), payloads.make("urg", key)) for key, label in URGENCY.items()
        ]])

    def on_urgency(self, turn: Turn, key: str) -> None:
        turn.conversation.data["intake"]["urgency"] = key
        if turn.citizen.referral is None:
            turn.conversation.state = ConversationState.INTAKE_REFERRAL
            rows = [[Button(turn.say._(label), payloads.make("ref", key))]
                    for key, label in REFERRAL_LABELS.items()]
            turn.reply(turn.say._("Who sent you to TEAMS?"), rows)
            return
        self._ask_meeting_language(turn)

    def on_referral(self, turn: Turn, key: str) -> None:
        turn.citizen.referral = key
        self._ask_meeting_language(turn)

    def _ask_meeting_language(self, turn: Turn, everything: bool = False) -> None:
        turn.conversation.state = ConversationState.INTAKE_LANGUAGE
        codes = list(LANGUAGES) if everything else list(dict.fromkeys([turn.language, "it"]))
        buttons = [Button(NATIVE_NAMES[c], payloads.make("mlang", c)) for c in codes]
        rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
        if not everything:
            rows.append([Button("🌐 " + turn.say._("Another language"),
                                payloads.make("mlang", "more"))])
        turn.reply(turn.say._("In which language would you like to talk at the meeting?"), rows)

    def on_meeting_language(self, turn: Turn, code: str) -> None:
        if code == "more":
            self._ask_meeting_language(turn, everything=True)
            return
        turn.conversation.data["intake"]["language"] = code
        turn.conversation.state = ConversationState.INTAKE_DESCRIPTION
        turn.reply(turn.say._(
            "If you want, write in a few words what you need (no names and no document "
            "numbers, please). Or press Skip."),
            [[Button("⏭️ " + turn.say._("Skip"), payloads.make("skip"))]])

    def on_description(self, turn: Turn, text: str | None) -> None:
        if text:
            turn.conversation.data["intake"]["description"] = text[:MAX_DESCRIPTION]
        self._show_triage(turn)

    # -- triage -----------------------------------------------------------------------------

    def _show_triage(self, turn: Turn) -> None:
        intake = turn.conversation.data["intake"]
        result = triage(self.directory, intake["needs"], intake.get("language"),
                        intake.get("role"))
        intake["role"] = result.role
        intake["with_mediator"] = result.with_mediator
        turn.conversation.state = ConversationState.TRIAGE
        say = turn.say
        role = say._(ROLE_NAMES[result.role])
        if result.reasons:
            needs = ", ".join(say._(NEEDS[n]) for n in result.reasons)
            text = say._("You will meet the {role}, who helps with: {needs}.", role=role,
                         needs=needs)
        else:
            text = say._("You will meet the {role}.", role=role)
        if result.with_mediator:
            text += "\n" + say._("A linguistic-cultural mediator will also be there, to help "
                                 "with the language.")
        turn.reply(text, [
            [Button("📅 " + say._("Choose a day"), payloads.make("days"))],
            [Button(say._("Another professional"), payloads.make("roles"))],
        ])

    def show_roles(self, turn: Turn) -> None:
        rows = [[Button(turn.say._(label), payloads.make("role", key))]
                for key, label in ROLE_NAMES.items()]
        turn.reply(turn.say._("Whom would you like to meet?"), rows)

    def on_role(self, turn: Turn, role: str) -> None:
        intake = turn.conversation.data.setdefault("intake", {"needs": ["other"]})
        intake["role"] = role
        self._show_triage(turn)

    # -- day and time -----------------------------------------------------------------------

    async def _free(self, turn: Turn, role: str) -> list[Slot]:
        rules = self.directory.booking
        ids = [p.id for p in self.directory.professionals if p.role == role]
        until = turn.now + timedelta(days=rules.horizon_days + 1)
        taken = await turn.uow.bookings.taken(ids, turn.now, until)
        taken |= await self._held_offers(turn)
        language = turn.conversation.data.get("intake", {}).get("language")
        directory = await self.live_directory(turn.uow)  # type: ignore[attr-defined]
        return free_slots(directory, role, taken, turn.now, self.zone, language)

    async def _held_offers(self, turn: Turn) -> set[tuple[str, datetime]]:
        held = set()
        for key in await turn.uow.waitlist.held_offers(turn.now):
            parsed = parse_slot_key(key)
            if parsed:
                held.add(parsed)
        return held

    async def show_days(self, turn: Turn, text: str | None = None) -> None:
        intake = turn.conversation.data.get("intake") or {}
        role = intake.get("role")
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
            days.setdefault(slot.start.astimezone(self.zone).strftime("%Y%m%d"), slot)
        buttons = [Button(day_label(s.start, turn.language, self.zone), payloads.make("day", d))
                   for d, s in list(days.items())[:DAYS_SHOWN]]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        rows.append(self._home(turn))
        turn.conversation.state = ConversationState.CHOOSING_DAY
        turn.reply(text or say._("Choose a day:"), rows)

    async def show_times(self, turn: Turn, day: str) -> None:
        role = (turn.conversation.data.get("intake") or {}).get("role")
        if role is None:
            await self.start_booking(turn)
            return
        slots = [s for s in await self._free(turn, role)
                 if s.start.astimezone(self.zone).strftime("%Y%m%d") == day]
        if not slots:
            await self.show_days(turn, turn.say._(
                "There is no free time left on that day. Choose another day:"))
            return
        self._times_keyboard(turn, slots[:TIMES_SHOWN], turn.say._("Choose a time, {day}:",
                             day=day_label(slots[0].start, turn.language, self.zone)))

    def _times_keyboard(self, turn: Turn, slots: list[Slot], text: str,
                        with_day: bool = False) -> None:
        buttons = []
        for slot in slots:
            label = clock_time(slot.start, turn.language, self.zone)
            if with_day:
                label = f"{day_label(slot.start, turn.language, self.zone)} {label}"
            buttons.append(Button(label, payloads.make("slot", slot.key)))
        rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
        rows.append([Button("⬅️ " + turn.say._("Other days"), payloads.make("days"))])
        turn.conversation.state = ConversationState.CHOOSING_TIME
        turn.reply(text, rows)

    async def on_slot(self, turn: Turn, key: str, taken: bool = False) -> None:
        """Book the chosen slot; the database refuses it when someone was faster."""
        intake = turn.conversation.data.get("intake") or {}
        parsed = parse_slot_key(key)
        role = intake.get("role")
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
            self._main_menu(turn, turn.say._(
                "That button is no longer valid. Here is the menu again."))
            return
        await self._book(turn, slot, role, intake)

    async def _book(self, turn: Turn, slot: Slot, role: str, intake: dict[str, Any]) -> None:
        data = turn.conversation.data
        moving = data.get("moving")
        upcoming = await turn.uow.bookings.for_citizen(turn.citizen.id, turn.now)
        limit = self.directory.booking.max_future_per_citizen
        if not moving and len(upcoming) >= limit:
            await self.start_booking(turn)  # explains the limit
            return
        if moving:
            old = await turn.uow.bookings.get(int(moving))
            if old and old.citizen_id == turn.citizen.id and old.status == ACTIVE:
                await self._cancel(turn, old)
        booking = Booking(
            citizen_id=turn.citizen.id, professional_id=slot.professional_id, role=role,
            start=slot.start, end=slot.end, created_at=turn.now,
            needs=list(intake.get("needs") or []), urgency=intake.get("urgency"),
            meeting_language=intake.get("language") or turn.language,
            with_mediator=bool(intake.get("with_mediator")),
            description=intake.get("description"),
        )
        await turn.uow.bookings.add(booking)  # raises SlotTaken
        assert booking.id is not None
        for kind, due in reminder_times(booking.start, self.directory, self.zone,
                                        turn.now).items():
            await turn.uow.reminders.add(booking.id, kind, due)
        data.pop("intake", None)
        data.pop("moving", None)
        turn.conversation.state = ConversationState.IDLE
        self._confirm(turn, booking)

    def _describe(self, say: Say, booking: Booking, language: str) -> str:
        office = self.directory.main_office
        when = say._("{day} at {time}", day=long_day(booking.start, language, self.zone),
                     time=clock_time(booking.start, language, self.zone))
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
        ics = to_ics(booking, self.directory, say._("TEAMS appointment"),
                     say._("Case code: {code}", code=booking.case_code))
        turn.reply(text, [[Button("📋 " + say._("My appointments"), payloads.make("appts")),
                           *self._home(turn)]],
                   file=OutFile(f"teams-{booking.case_code}.ics", ics, "text/calendar"))

    # -- managing appointments --------------------------------------------------------------

    async def show_appointments(self, turn: Turn) -> None:
        say = turn.say
        upcoming = await turn.uow.bookings.for_citizen(turn.citizen.id, turn.now)
        if not upcoming:
            turn.reply(say._("You have no appointments."), [
                [Button("📅 " + say._("Book an appointment"), payloads.make("book"))],
                self._home(turn)])
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
            self._home(turn)])

    async def on_move(self, turn: Turn, raw: str | None) -> None:
        booking = await self._own(turn, raw)
        if booking is None:
            turn.reply(turn.say._("That appointment is no longer active."))
            await self.show_appointments(turn)
            return
        turn.conversation.data["moving"] = booking.id
        turn.conversation.data["intake"] = {
            "needs": booking.needs, "role": booking.role, "urgency": booking.urgency,
            "language": booking.meeting_language, "with_mediator": booking.with_mediator,
            "description": booking.description,
        }
        await self.show_days(turn, turn.say._("Choose a new day:"))

    async def _cancel(self, turn: Turn, booking: Booking) -> None:
        booking.status = "cancelled"
        await turn.uow.bookings.save(booking)
        assert booking.id is not None
        await turn.uow.reminders.cancel_for(booking.id)
        await self._offer_to_next(turn.uow, booking.role,
                                  Slot(booking.professional_id, booking.start, booking.end),
                                  turn.now)

    # -- waiting list -----------------------------------------------------------------------

    async def _offer_waitlist(self, turn: Turn, role: str) -> None:
        say = turn.say
        turn.reply(say._(
            "There are no free times with the {role} in the next {days} days. Would you like "
            "to join the waiting list? We will write to you as soon as a time frees up.",
            role=say._(ROLE_NAMES[role]), days=self.directory.booking.horizon_days),
            [[Button(say._("Join the waiting list"), payloads.make("wait", role))],
             self._home(turn)])

    async def on_wait(self, turn: Turn, role: str) -> None:
        existing = await turn.uow.waitlist.active_for(turn.citizen.id)
        if existing is None:
            await turn.uow.waitlist.add(WaitEntry(turn.citizen.id, role, turn.now))
        turn.conversation.state = ConversationState.IDLE
        self._main_menu(turn, turn.say._(
            "You are on the waiting list for the {role}. We will write to you here when a "
            "time frees up.", role=turn.say._(ROLE_NAMES[role])))

    async def _offer_to_next(self, uow: UnitOfWork, role: str, slot: Slot,
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
        say = Say(self.translations, language)
        text = say._(
            "Good news: a time with the {role} has become free: {day} at {time}. Do you want "
            "it? We keep it for you for {hours} hours.", role=say._(ROLE_NAMES[role]),
            day=long_day(slot.start, language, self.zone),
            time=clock_time(slot.start, language, self.zone), hours=OFFER_HOURS)
        buttons = [[{"label": say._("Yes, book it"), "payload": f"offer:{entry.id}"},
                    {"label": say._("No, thanks"), "payload": f"offerno:{entry.id}"}]]
        await uow.outbox.add(OutboundMessage(entry.citizen_id, text, buttons))

    async def on_offer(self, turn: Turn, raw: str | None, accept: bool) -> None:
        entry = await turn.uow.waitlist.get(int(raw)) if raw and raw.isdigit() else None
        say = turn.say
        if (entry is None or entry.citizen_id != turn.citizen.id or entry.status != "offered"
                or entry.offer_expires_at is None or entry.offer_expires_at <= turn.now):
            self._main_menu(turn, say._("Sorry, this offer has expired."))
            return
        parsed = parse_slot_key(entry.offer or "")
        entry.status = "booked" if accept else "left"
        await turn.uow.waitlist.save(entry)
        if parsed is None:
            return
        slot = self._slot_of(parsed)
        if not accept:
            if slot:
                await self._offer_to_next(turn.uow, entry.role, slot, turn.now)
            self._main_menu(turn, say._("All right. You are no longer on the waiting list."))
            return
        if slot is None:
            self._main_menu(turn, say._("Sorry, this offer has expired."))
            return
        intake = turn.conversation.data.get("intake") or {"needs": ["other"]}
        await self._book(turn, slot, entry.role, intake)

    def _slot_of(self, parsed: tuple[str, datetime]) -> Slot | None:
        length = timedelta(minutes=self.directory.booking.slot_minutes)
        professional, start = parsed
        if not any(p.id == professional for p in self.directory.professionals):
            return None
        return Slot(professional, start, start + length)

    # -- periodic work ----------------------------------------------------------------------

    async def _due_work(self, uow: UnitOfWork, now: datetime, worker: str) -> int:
        """Turn due reminders into messages and pass expired offers on; returns the count."""
        count = 0
        for due in await uow.reminders.claim_due(now, worker, REMINDER_BATCH):
            citizen = await uow.citizens.get(due.citizen_id)
            language = (citizen.language if citizen else None) or "it"
            say = Say(self.translations, language)
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
                await self._offer_to_next(uow, entry.role, slot, now)
            count += 1
        return count


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


__all__ = ["AppointmentFlows", "SlotTaken"]
