"""Hand-over to a person, the staff's side: a mediator's messages and commands in a citizen's
thread (/claim, /note, /say, /book, /close, /queue), and the relay outbox that carries what
they write to the citizen, delivered once, in order, across crashes and Telegram's refusals.
Only registered staff are heard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain import payloads
from domain.appointments import Appointments
from domain.booking import ROLE_NAMES
from domain.handover import EMERGENCY_PRIORITY, set_handover
from domain.intake import IntakeFlow
from domain.messages import Button, Reply, split_command
from domain.model import Handover, RelayMessage, StaffMember, TranscriptEntry
from domain.ports import ConcurrentUpdate, UnitOfWork
from domain.staffview import language_label
from domain.state import DAYS, Intake
from domain.text import N_, Say
from domain.turn import Services, Turn

RELAY_BACKOFF_MAX = timedelta(minutes=5)  # between tries of a staff message to a citizen
RELAY_GIVE_UP = timedelta(days=1)  # a staff message not deliverable for a day is reported
NOT_DELIVERED = N_("⚠️ Not delivered to the citizen: Telegram refused this message.")
NOT_DELIVERED_IN_TIME = N_("⚠️ Not delivered to the citizen: Telegram could not be reached "
                           "for a day.")

#: Canned replies for ``/say KEY``, sent in the citizen's language.
CANNED: dict[str, str] = {
    "wait": N_("Thank you for waiting. I am reading your messages and I will answer you soon."),
    "documents": N_("Please bring your passport or identity document, your residence permit "
                    "or its receipt if you have them, and any letter you received."),
    "photo": N_("You can send a photo of the document here, if you want. Cover any number "
                "you do not want to share."),
    "appointment": N_("I will send you some times for an appointment: choose the one that "
                      "suits you."),
    "thanks": N_("Thank you. If you need anything else, write here."),
}
STAFF_HELP = N_(
    "Commands in a citizen's thread: /claim – I take it; /note TEXT – internal note, never sent; "
    "/book [role] – offer appointment times; /say KEY – canned reply ({keys}); /close – end the "
    "conversation. Anywhere: /queue – waiting conversations. Anything else you write here is "
    "sent to the citizen."
)


@dataclass
class StaffOutcome:
    """What the channel does after a staff message: replies in the thread, then delivering
    the relay outbox (where the staff message to copy, ``relay``, and the messages for the
    citizen, ``to_citizen``, were put in the same transaction), closing the thread."""

    citizen_id: int | None = None
    to_thread: list[str] = field(default_factory=list)
    to_citizen: list[Reply] = field(default_factory=list)
    relay: bool = False
    close_thread: bool = False
    reply_to_citizen_message: int | None = None


#: The staff's commands in a citizen's thread (``/queue`` works anywhere in the staff group);
#: those outside a thread are :data:`domain.staff.DESK_COMMANDS`.
THREAD_COMMANDS = ("/claim", "/note", "/say", "/book", "/close", "/queue")


@dataclass
class InThread:
    """A staff command in a citizen's thread: who, about whom, in which transaction."""

    uow: UnitOfWork
    member: StaffMember
    argument: str
    handover: Handover | None
    citizen_id: int
    say: Say  # the staff's language
    their: Say  # the citizen's
    outcome: StaffOutcome
    now: datetime


class Mediation:
    def __init__(self, services: Services, intake: IntakeFlow,
                 appointments: Appointments) -> None:
        self.s = services
        self.intake = intake
        self.appointments = appointments

    async def is_staff(self, user_id: int) -> StaffMember | None:
        async with self.s.uow_factory() as uow:
            return await uow.staff.get(user_id)

    async def staff_input(self, user_id: int, thread_id: int | None, text: str | None,
                          kind: str = "text", reply_to_staff_message: int | None = None,
                          message_id: int | None = None, update_id: int | None = None
                          ) -> StaffOutcome | None:
        """A message or command from the staff group (``message_id``: the staff message,
        copied to the citizen through the relay outbox); None when it is to be ignored, or
        was handled before (``update_id`` delivered again after a failure: what it wrote for
        the citizen is in the relay outbox already, so nothing is written twice)."""
        for _ in range(5):
            try:
                return await self._staff_input_once(user_id, thread_id, text, kind,
                                                    reply_to_staff_message, message_id,
                                                    update_id)
            except ConcurrentUpdate:
                continue  # the citizen wrote at the same moment: read again
        raise ConcurrentUpdate("staff input kept colliding")

    async def _staff_input_once(self, user_id: int, thread_id: int | None, text: str | None,
                                kind: str, reply_to_staff_message: int | None,
                                message_id: int | None = None,
                                update_id: int | None = None) -> StaffOutcome | None:
        now = self.s.clock.now()
        async with self.s.uow_factory() as uow:
            member = await uow.staff.get(user_id)
            if member is None:
                return None  # only registered staff; anybody else gets nothing
            say = Say(self.s.translations, self.s.config.default_language)
            command, argument = split_command(text)
            if command == "/queue":
                outcome = StaffOutcome(to_thread=[await self._queue_text(uow, say, now)])
                await uow.commit()
                return outcome
            citizen_id = await uow.handovers.citizen_of_thread(thread_id) if thread_id else None
            if citizen_id is None:
                return None
            outcome = StaffOutcome(citizen_id=citizen_id)
            handover = await uow.handovers.open_for(citizen_id)
            citizen = await uow.citizens.get(citizen_id)
            their = Say(self.s.translations, (citizen.language if citizen else None)
                        or self.s.config.default_language)
            if command:
                await self._staff_command(uow, member, command, argument.strip(), handover,
                                          citizen_id, say, their, outcome, now)
            else:
                if handover is None:  # a mediator writes first: the thread opens again
                    handover = Handover(citizen_id, "staff", now, status="claimed",
                                        claimed_by=member.user_id, claimed_at=now)
                    await uow.handovers.add(handover)
                    await set_handover(uow, citizen_id, True)
                if handover.first_human_at is None:
                    handover.first_human_at = now
                await uow.handovers.save(handover)
                outcome.relay = True
                if reply_to_staff_message is not None:
                    found = await uow.handovers.citizen_message_of(reply_to_staff_message)
                    outcome.reply_to_citizen_message = found[1] if found else None
                # Kept in the transcript once delivered (the outbox says so), not before.
                await uow.relay.add(RelayMessage(
                    citizen_id, staff_message_id=message_id, copy=True,
                    reply_to=outcome.reply_to_citizen_message, thread_id=thread_id,
                    record_kind=f"staff_{kind}", text=text), now)
            for reply in outcome.to_citizen:
                canned = reply.meta.get("record")
                await uow.relay.add(RelayMessage(
                    citizen_id, staff_message_id=message_id, reply=reply.to_record(),
                    thread_id=thread_id, record_kind=canned, text=reply.text if canned
                    else None), now)
            if update_id is not None and not await uow.updates.remember(update_id, now, []):
                return None  # handled before: rolled back, nothing written twice
            await uow.commit()
        return outcome

    async def _staff_command(self, uow: UnitOfWork, member: StaffMember, command: str,
                             argument: str, handover: Handover | None, citizen_id: int,
                             say: Say, their: Say, outcome: StaffOutcome, now: datetime
                             ) -> None:
        """A command in a citizen's thread, routed by :data:`THREAD_COMMANDS`; anything else
        gets the help."""
        asked = InThread(uow, member, argument, handover, citizen_id, say, their, outcome,
                         now)
        handler = {"/claim": self._claim, "/note": self._note, "/say": self._say,
                   "/book": self._book, "/close": self._close}.get(command)
        if handler is None:
            outcome.to_thread.append(say._(STAFF_HELP, keys=", ".join(CANNED)))
            return
        await handler(asked)

    async def _claim(self, c: InThread) -> None:
        handover = c.handover
        if handover is None:
            handover = Handover(c.citizen_id, "staff", c.now)
            await c.uow.handovers.add(handover)
            await set_handover(c.uow, c.citizen_id, True)
        handover.status, handover.claimed_by, handover.claimed_at = (
            "claimed", c.member.user_id, c.now)
        if handover.first_human_at is None:
            handover.first_human_at = c.now
        await c.uow.handovers.save(handover)
        c.outcome.to_citizen.append(Reply(c.their._(
            "A person of the TEAMS service is here now: {name}. Write your message.",
            name=c.member.name)))
        c.outcome.to_thread.append(c.say._("Claimed by {name}.", name=c.member.name))

    async def _note(self, c: InThread) -> None:
        await c.uow.transcript.add(TranscriptEntry(c.citizen_id, "note", "note", c.argument,
                                                   None, c.now))
        c.outcome.to_thread.append(c.say._("Note saved (not sent to the citizen)."))

    async def _say(self, c: InThread) -> None:
        key = c.argument.split(" ", 1)[0].lower()
        if key not in CANNED:
            c.outcome.to_thread.append(c.say._("Unknown key. Keys: {keys}",
                                               keys=", ".join(CANNED)))
            return
        message = c.their._(CANNED[key])
        if c.handover is not None and c.handover.first_human_at is None:
            c.handover.first_human_at = c.now
            await c.uow.handovers.save(c.handover)
        # in the transcript as the mediator's words once delivered
        c.outcome.to_citizen.append(Reply(message, meta={"record": "staff_text"}))
        c.outcome.to_thread.append(f"→ {message}")

    async def _book(self, c: InThread) -> None:
        role = c.argument if c.argument in ROLE_NAMES else "mediator"
        c.outcome.to_citizen.extend(await self._offer_times(c.uow, c.citizen_id, role, c.their,
                                                            c.now))
        c.outcome.to_thread.append(c.say._("Times offered to the citizen ({role}).",
                                           role=c.say._(ROLE_NAMES[role])))

    async def _close(self, c: InThread) -> None:
        if c.handover is not None:
            c.handover.status, c.handover.closed_at = "closed", c.now
            await c.uow.handovers.save(c.handover)
        await set_handover(c.uow, c.citizen_id, False)
        c.outcome.to_citizen.append(Reply(
            c.their._("The conversation with the person of the TEAMS service is closed. You "
                      "are talking with the automated assistant again."),
            [[Button("🏠 " + c.their._("Main menu"), payloads.make("menu"))]]))
        c.outcome.to_thread.append(c.say._("Closed. The assistant answers the citizen again."))
        c.outcome.close_thread = True

    async def _offer_times(self, uow: UnitOfWork, citizen_id: int, role: str, their: Say,
                           now: datetime) -> list[Reply]:
        """The booking flow's day choice, sent to the citizen on a mediator's /book."""
        citizen = await uow.citizens.get(citizen_id)
        conversation = await uow.conversations.get(citizen_id)
        if citizen is None or conversation is None:
            return []
        intake = conversation.data.intake or Intake()
        conversation.data.intake = Intake(
            needs=intake.needs or ["other"], role=role,
            language=intake.language or citizen.language, urgency=intake.urgency,
            description=intake.description)
        turn = Turn.by_staff(citizen, conversation, their, now, uow)
        if citizen.consent_at is None:
            self.intake.privacy_notice(turn)
            turn.conversation.data.after_consent = DAYS
        else:
            await self.appointments.show_days(turn)
        await uow.conversations.save(conversation)
        return turn.replies

    async def _queue_text(self, uow: UnitOfWork, say: Say, now: datetime) -> str:
        waiting = await uow.handovers.waiting()
        if not waiting:
            return say._("Nobody is waiting.")
        lines = [say._("Waiting conversations (most urgent and oldest first):")]
        for handover in waiting:
            topic = await uow.handovers.topic(handover.citizen_id)
            citizen = await uow.citizens.get(handover.citizen_id)
            minutes = int((now - handover.opened_at).total_seconds() // 60)
            flag = "🚨 " if handover.priority >= EMERGENCY_PRIORITY else ""
            lines.append(f"{flag}{topic.case_code if topic else '?'} · "
                         f"{language_label(say, citizen.language if citizen else None)} · "
                         + say._("waiting {minutes} min", minutes=minutes))
        return "\n".join(lines)

    # -- the relay outbox: staff -> citizen ------------------------------------------------

    async def take_relay(self, worker: str, citizen_id: int | None = None,
                         limit: int = 50) -> list[RelayMessage]:
        """Claim the next staff message of each citizen (or of one) that is due."""
        async with self.s.uow_factory() as uow:
            messages = list(await uow.relay.claim(worker, self.s.clock.now(), limit,
                                                  citizen_id))
            await uow.commit()
        return messages

    async def relay_delivered(self, message: RelayMessage,
                              citizen_message: int | None) -> None:
        """Delivered: out of the outbox, into the transcript, the copy linked to the staff
        message (replies and edits follow), in one transaction."""
        assert message.id is not None
        now = self.s.clock.now()
        async with self.s.uow_factory() as uow:
            await self._out_of_relay(uow, message, message.record_kind, now)
            if message.copy and citizen_message is not None and message.staff_message_id:
                await uow.handovers.link(message.citizen_id, citizen_message,
                                         message.staff_message_id, now)
            await uow.commit()

    @staticmethod
    async def _out_of_relay(uow: UnitOfWork, message: RelayMessage, kind: str | None,
                            now: datetime) -> None:
        """The message leaves the outbox; the transcript says what became of it."""
        assert message.id is not None
        await uow.relay.done(message.id)
        if message.record_kind:
            await uow.transcript.add(TranscriptEntry(
                message.citizen_id, "out", kind or message.record_kind, message.text, None,
                now))

    async def relay_retry(self, message: RelayMessage, wait: float | None = None) -> bool:
        """A transient failure: try again later (``wait`` seconds, as Telegram asked, else a
        growing back-off). False when it has failed for too long: give it up."""
        assert message.id is not None
        now = self.s.clock.now()
        if message.created_at is not None and now - message.created_at > RELAY_GIVE_UP:
            return False
        delay = (timedelta(seconds=wait) if wait is not None
                 else min(timedelta(seconds=5 * 2 ** message.attempts), RELAY_BACKOFF_MAX))
        async with self.s.uow_factory() as uow:
            await uow.relay.retry_at(message.id, now + delay)
            await uow.commit()
        return True

    async def relay_failed(self, message: RelayMessage, blocked: bool = False,
                           in_time: bool = True) -> str:
        """Not delivered, for good: out of the outbox, marked undelivered in the transcript;
        returns what to tell the thread (in the staff's language)."""
        assert message.id is not None
        now = self.s.clock.now()
        async with self.s.uow_factory() as uow:
            await self._out_of_relay(uow, message, "undelivered", now)
            if blocked:
                await uow.citizens.set_blocked(message.citizen_id, now)
            await uow.commit()
        if blocked:
            return await self.citizen_blocked(message.citizen_id)
        return self.s.translations.gettext(self.s.config.default_language,
                                         NOT_DELIVERED if in_time else NOT_DELIVERED_IN_TIME)

    async def citizen_blocked(self, citizen_id: int) -> str:
        say = Say(self.s.translations, self.s.config.default_language)
        return say._("⚠️ The citizen has blocked the bot: messages cannot be delivered.")
