"""Hand-over to a person, the citizen's side: the decision to escalate, what happens while a
person has the conversation (the relay, the alarm), going back to the assistant; and what the
channel reads to open the thread (the summary) and writes after copying (the links).

The relay itself (forum topics, copying messages) is the channel's job; the staff's side is
:mod:`domain.mediation`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from domain import payloads
from domain.booking import REFERRAL_LABELS, ROLE_NAMES, new_case_code
from domain.calendar import is_open_at, next_opening
from domain.events import Alarm, Copies, HandoverClosed, HandoverOpened, RelayToStaff
from domain.formatting import clock_time, long_day
from domain.languages import NATIVE_NAMES
from domain.menus import Menus, in_danger_call
from domain.messages import Button, Reply
from domain.model import Handover, Topic
from domain.needs import NEEDS
from domain.ports import UnitOfWork
from domain.staffview import label
from domain.text import Say
from domain.turn import Services, Turn

EMERGENCY_PRIORITY = 2
SUMMARY_MESSAGES = 8
#: Linked as the "citizen message" of the bot's own messages in a thread (the summary): no
#: citizen message has this id, and the link lets an erasure delete them.
OWN_MESSAGE = 0


async def ensure_topic(uow: UnitOfWork, citizen_id: int) -> Topic:
    topic = await uow.handovers.topic(citizen_id)
    if topic is None:
        topic = Topic(citizen_id, new_case_code(), None)
        await uow.handovers.save_topic(topic)
    return topic


async def set_handover(uow: UnitOfWork, citizen_id: int, on: bool) -> None:
    """Mark whether a person has the conversation (the citizen's messages are relayed)."""
    conversation = await uow.conversations.get(citizen_id)
    if conversation is not None:
        conversation.data.handover = on
        await uow.conversations.save(conversation)


class HandoverFlow:
    def __init__(self, services: Services, menus: Menus) -> None:
        self.s = services
        self.menus = menus

    async def handover_unreachable(self, citizen_id: int) -> tuple[str, list[Reply]]:
        """The staff group refuses a topic for this citizen (the bot may not manage topics):
        the hand-over ends, and the citizen is given the office's contacts instead, so that
        what they write next is answered rather than lost in a thread that cannot exist.
        Returns the case code (for the staff's alert) and the replies for the citizen."""
        async with self.s.uow_factory() as uow:
            handover = await uow.handovers.open_for(citizen_id)
            if handover is not None:
                handover.status, handover.closed_at = "closed", self.s.clock.now()
                await uow.handovers.save(handover)
            await set_handover(uow, citizen_id, False)
            topic = await uow.handovers.topic(citizen_id)
            citizen = await uow.citizens.get(citizen_id)
            await uow.commit()
        their = Say(self.s.translations, (citizen.language if citizen else None)
                    or self.s.config.default_language)
        return (topic.case_code if topic else "-"), [self.menus.office_reply(their, their._(
            "I cannot pass your conversation to a person through this chat right now."))]

    @property
    def handover_enabled(self) -> bool:
        return self.s.config.staff_chat

    # -- the citizen's side -----------------------------------------------------------------

    async def escalate(self, turn: Turn, reason: str) -> None:
        """Open (or keep) a hand-over and tell the citizen what happens now."""
        if not self.handover_enabled:
            turn.replies.append(self.menus.office_reply(turn.say))  # at the office
            return
        say = turn.say
        handover = await turn.uow.handovers.open_for(turn.citizen.id)
        priority = EMERGENCY_PRIORITY if reason == "emergency" else 0
        if handover is None:
            handover = Handover(turn.citizen.id, reason, turn.now, priority=priority)
            await turn.uow.handovers.add(handover)
        elif priority > handover.priority:
            handover.priority, handover.reason = priority, reason
            await turn.uow.handovers.save(handover)
        await ensure_topic(turn.uow, turn.citizen.id)
        turn.conversation.data.handover = True
        text = say._("I am passing your conversation to a person of the TEAMS service. Write "
                     "here: they read everything you send, also photos and voice messages.")
        if reason == "voice":  # a note nobody has heard yet
            text = say._("I can't listen to voice messages myself: I am passing yours to a "
                         "person of the TEAMS service, who will listen to it. You can send "
                         "more voice messages here.")
        if not is_open_at(self.s.directory, turn.now, self.s.zone):
            opening = next_opening(self.s.directory, turn.now, self.s.zone)
            if opening is not None:
                text += "\n\n" + say._(
                    "The office is closed now. A person will answer from {day} at {time}. "
                    "Your messages are kept.", day=long_day(opening, turn.language, self.s.zone),
                    time=clock_time(opening, turn.language, self.s.zone))
            handover.announced = True
            await turn.uow.handovers.save(handover)
        if reason == "voice":  # what it says is unknown: it may be someone in danger
            text += "\n\n🚨 " + in_danger_call(say)
        turn.reply(text, [[Button("↩️ " + say._("Back to the automated assistant"),
                                  payloads.make("endhuman"))]],
                   event=HandoverOpened(reason))  # completed at the end of the turn

    async def relay(self, turn: Turn, handover: Handover) -> None:
        """While a person has the conversation, everything goes to them: the thread is read
        here, in the turn's transaction, for the channel to copy into."""
        topic = await turn.uow.handovers.topic(turn.citizen.id)
        reply_to = turn.inbound.reply_to
        turn.replies.append(Reply("", event=RelayToStaff(
            topic.thread_id if topic is not None else None,
            await turn.uow.handovers.staff_message_of(turn.citizen.id, reply_to)
            if reply_to is not None else None)))
        if not handover.announced and not is_open_at(self.s.directory, turn.now, self.s.zone):
            opening = next_opening(self.s.directory, turn.now, self.s.zone)
            if opening is not None:
                turn.reply(turn.say._(
                    "The office is closed now. A person will answer from {day} at {time}. "
                    "Your messages are kept.",
                    day=long_day(opening, turn.language, self.s.zone),
                    time=clock_time(opening, turn.language, self.s.zone)))
            handover.announced = True
            await turn.uow.handovers.save(handover)

    async def in_danger(self, turn: Turn, handover: Handover | None) -> Reply | None:
        """A person, first in the queue: a hand-over opened (or raised to the top); returns
        the alarm for the thread of a hand-over already open."""
        if handover is None:
            if self.handover_enabled:
                await self.escalate(turn, "emergency")
            return None
        if handover.priority < EMERGENCY_PRIORITY:
            handover.priority, handover.reason = EMERGENCY_PRIORITY, "emergency"
            await turn.uow.handovers.save(handover)
        topic = await turn.uow.handovers.topic(turn.citizen.id)
        return Reply("", event=Alarm(topic.thread_id if topic is not None else None))

    async def end_by_citizen(self, turn: Turn) -> None:
        handover = await turn.uow.handovers.open_for(turn.citizen.id)
        if handover is not None:
            handover.status, handover.closed_at = "closed", turn.now
            await turn.uow.handovers.save(handover)
        turn.conversation.data.handover = False
        self.menus.main_menu(turn, turn.say._(
            "You are talking with the automated assistant again."))
        if handover is not None:
            topic = await turn.uow.handovers.topic(turn.citizen.id)
            turn.replies[-1] = replace(turn.replies[-1], event=HandoverClosed(
                topic.thread_id if topic is not None else None))

    # -- building blocks for the channel ----------------------------------------------------

    async def opened(self, uow: UnitOfWork, citizen_id: int, event: HandoverOpened
                     ) -> HandoverOpened:
        """The hand-over event with all the channel needs to open the thread, read at the
        end of the turn (after its own words are in the transcript)."""
        topic, summary, language = await self._summary_in(uow, citizen_id)
        return replace(event, case_code=topic.case_code, language=language,
                       thread=topic.thread_id, summary=summary)

    async def summary(self, citizen_id: int) -> tuple[Topic, str, str]:
        """The citizen's thread (created in the database if new), its opening summary in the
        staff's language (the default language), and the citizen's language."""
        async with self.s.uow_factory() as uow:
            found = await self._summary_in(uow, citizen_id)
            await uow.commit()
        return found

    async def _summary_in(self, uow: UnitOfWork, citizen_id: int) -> tuple[Topic, str, str]:
        say = Say(self.s.translations, self.s.config.default_language)
        topic = await ensure_topic(uow, citizen_id)
        citizen = await uow.citizens.get(citizen_id)
        conversation = await uow.conversations.get(citizen_id)
        handover = await uow.handovers.open_for(citizen_id)
        bookings = await uow.bookings.for_citizen(citizen_id, self.s.clock.now())
        recent = await uow.transcript.recent(citizen_id, SUMMARY_MESSAGES)
        language = (citizen.language if citizen else None) or "?"
        intake = conversation.data.intake if conversation else None
        needs = list(intake.needs) if intake else []
        for booking in bookings:
            needs += [n for n in booking.needs if n not in needs]
        reason = {"asked": say._("the citizen asked for a person"),
                  "misunderstood": say._("the assistant did not understand twice"),
                  "emergency": say._("🚨 EMERGENCY: the citizen may be in danger"),
                  "voice": say._("🎙️ a voice message nobody has listened to yet: listen to "
                                 "it (the assistant cannot tell whether it says someone is in "
                                 "danger)")}
        lines = [
            f"🔖 {topic.case_code} · {NATIVE_NAMES.get(language, language)} ({language})",
            say._("Why: {reason}", reason=reason.get(handover.reason if handover else "",
                                                     say._("the citizen asked for a person"))),
            say._("Sent by: {referral}", referral=label(
                say, REFERRAL_LABELS, citizen.referral if citizen else None)),
            say._("Needs: {needs}", needs=", ".join(say._(NEEDS[n]) for n in needs if n in NEEDS)
                  or "-"),
        ]
        for booking in bookings:
            lines.append(say._("Appointment: {day} {time}, {role}",
                               day=long_day(booking.start, say.language, self.s.zone),
                               time=clock_time(booking.start, say.language, self.s.zone),
                               role=say._(ROLE_NAMES[booking.role])))
        lines.append(say._("Last messages:"))
        for entry in recent:
            who = "👤" if entry.direction == "in" else "🤖"
            text = entry.text or f"[{entry.kind}]"
            lines.append(f"{who} {text[:300]}")
        return topic, "\n".join(lines), language

    def summary_buttons(self, case_code: str) -> list[list[Button]]:
        """Under the summary: the case view (sent to the staff member who presses it, in
        private, registered staff only: :meth:`domain.staff.StaffDesk.staff_button`)."""
        say = Say(self.s.translations, self.s.config.default_language)
        return [[Button("🗂 " + say._("Case {code}", code=case_code), f"stf:case.{case_code}")]]

    async def topic_of(self, citizen_id: int) -> tuple[Topic, str]:
        """The citizen's thread (created in the database if new) and their language."""
        async with self.s.uow_factory() as uow:
            topic = await ensure_topic(uow, citizen_id)
            citizen = await uow.citizens.get(citizen_id)
            await uow.commit()
        return topic, (citizen.language if citizen else None) or "?"

    async def set_thread(self, citizen_id: int, thread_id: int | None) -> None:
        async with self.s.uow_factory() as uow:
            topic = await ensure_topic(uow, citizen_id)
            await uow.handovers.save_topic(Topic(citizen_id, topic.case_code, thread_id))
            await uow.commit()

    async def thread_opened(self, citizen_id: int, thread_id: int,
                            summary_message: int | None) -> None:
        """The channel opened the citizen's thread and posted the summary: both kept in one
        transaction (the summary linked, so that an erasure deletes it)."""
        async with self.s.uow_factory() as uow:
            topic = await ensure_topic(uow, citizen_id)
            await uow.handovers.save_topic(Topic(citizen_id, topic.case_code, thread_id))
            if summary_message is not None:
                await uow.handovers.link(citizen_id, OWN_MESSAGE, summary_message,
                                         self.s.clock.now())
            await uow.commit()

    async def record_copies(self, copies: Copies, update_id: int | None) -> None:
        """The copies a turn's events made, the thread it opened, and the update's replies
        all sent: one transaction after the sending (a crash before it: the update comes
        again and is carried out again; never a copy without its link)."""
        async with self.s.uow_factory() as uow:
            if copies.thread is not None:
                topic = await ensure_topic(uow, copies.citizen_id)
                await uow.handovers.save_topic(Topic(copies.citizen_id, topic.case_code,
                                                     copies.thread))
            now = self.s.clock.now()
            for citizen_message, staff_message in copies.links:
                await uow.handovers.link(copies.citizen_id, citizen_message, staff_message, now)
            if update_id is not None:
                await uow.updates.mark_sent(update_id, now)
            await uow.commit()

    async def link(self, citizen_id: int, citizen_message: int, staff_message: int) -> None:
        """Remember a message and its copy (``citizen_message`` :data:`OWN_MESSAGE` for a
        message of the bot's own in the thread), for replies, edits and erasure."""
        async with self.s.uow_factory() as uow:
            await uow.handovers.link(citizen_id, citizen_message, staff_message,
                                     self.s.clock.now())
            await uow.commit()

    async def staff_message_of(self, citizen_id: int, citizen_message: int) -> int | None:
        async with self.s.uow_factory() as uow:
            return await uow.handovers.staff_message_of(citizen_id, citizen_message)

    async def citizen_message_of(self, staff_message: int) -> tuple[int, int] | None:
        async with self.s.uow_factory() as uow:
            return await uow.handovers.citizen_message_of(staff_message)

    @staticmethod
    def measured(handover: Handover) -> dict[str, Any]:
        """Time to first human answer and to close, in seconds (for the monthly report)."""
        def seconds(end: datetime | None) -> float | None:
            return (end - handover.opened_at).total_seconds() if end else None

        return {"first_answer_s": seconds(handover.first_human_at),
                "close_s": seconds(handover.closed_at)}
