"""The conversation engine: one inbound message in, replies out, state in one transaction.

The engine decides what to say; channels (Telegram, the terminal) only carry it. Every piece of
state it needs is read from and written to the unit of work inside one transaction per message.
The engine holds the transaction, the safety step and one route table; the flows (menus, FAQ,
intake, appointments, hand-over, privacy, dialogue) are objects it is composed of, and the
staff's use cases are a desk apart (:class:`domain.staff.StaffDesk`).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import replace
from datetime import datetime, timedelta

from domain import payloads
from domain.agenda import Agenda
from domain.appointments import Appointments
from domain.booking import INTENT_NEED, SlotTaken
from domain.closures import Closures
from domain.content import Content
from domain.deadletters import DeadLetters
from domain.dialogue import FALLBACK_INTENTS, Dialogue
from domain.directory import Directory
from domain.events import Copies, HandoverOpened
from domain.faq import Faq
from domain.handover import HandoverFlow
from domain.intake import IntakeFlow
from domain.languages import LANGUAGES, normalise_language
from domain.mediation import Mediation
from domain.menus import Menus
from domain.messages import ContentType, Inbound, Reply, split_command
from domain.model import (
    Citizen,
    Conversation,
    ConversationState,
    Handover,
    OutboundMessage,
    TranscriptEntry,
)
from domain.parse import EMERGENCY, Parse
from domain.passages import Focus
from domain.ports import (
    Clock,
    ConcurrentUpdate,
    HandledElsewhere,
    Translations,
    Understanding,
    UnitOfWorkFactory,
)
from domain.privacy import Privacy
from domain.routes import COMMANDS, route_table, verb_of
from domain.safety import MAX_TEXT, Safety, danger_text, is_emergency
from domain.staff import StaffDesk
from domain.text import Say
from domain.turn import EngineConfig, Services, Turn
from domain.voice import VoiceFlow

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(hours=1)
LAST_SEEN_STEP = timedelta(minutes=10)  # last contact is kept to the nearest ten minutes
ALSO_ANSWER_CONFIDENCE = 0.5  # after an emergency reply, also answer a confident question


class Engine:
    """Handle inbound messages; every dependency is a port."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        translations: Translations,
        understanding: Understanding,
        clock: Clock,
        directory: Directory,
        content: Content,
        config: EngineConfig | None = None,
    ) -> None:
        self.services = s = Services(uow_factory, translations, clock, directory, content,
                                     config or EngineConfig())
        self.understanding = understanding
        self._last_purge: datetime | None = None
        self.menus = Menus(s)
        self.faq = Faq(s, understanding)
        self.intake = IntakeFlow(s, self.menus)
        self.appointments = Appointments(s, self.menus, self.intake)
        self.handover = HandoverFlow(s, self.menus)
        self.privacy = Privacy(s, self.menus)
        self.dialogue = Dialogue(s, self.menus, self.handover)
        self.mediation = Mediation(s, self.intake, self.appointments)
        self.dead_letters = DeadLetters(s)
        agenda = Agenda(s, self.appointments)
        self.desk = StaffDesk(s, agenda, Closures(s, agenda), self.dead_letters)
        self.safety = Safety(understanding, self.menus, self.handover)
        self.voice = VoiceFlow(s, self.menus, self.handover, self._on_text)
        self.routes = route_table(self.menus, self.faq, self.intake, self.appointments,
                                  self.handover, self.privacy, self.dialogue, self.voice)

    # the service's facts, shared with every flow (settings changed here are seen by all)
    uow_factory = property(lambda self: self.services.uow_factory)
    translations = property(lambda self: self.services.translations)
    clock = property(lambda self: self.services.clock)
    content = property(lambda self: self.services.content)
    zone = property(lambda self: self.services.zone)

    @property
    def config(self) -> EngineConfig:
        return self.services.config

    @config.setter
    def config(self, value: EngineConfig) -> None:
        self.services.config = value

    @property
    def directory(self) -> Directory:
        return self.services.directory

    @directory.setter
    def directory(self, value: Directory) -> None:
        self.services.directory = value

    # -- the transaction --------------------------------------------------------------------

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one inbound message; retried when a concurrent update moved the state.

        Every text the citizen wrote (a message, a caption, an edit, a command's words) is
        understood before the transaction opens, so no database lock is held while the model
        runs (the intent does not depend on the conversation's state), and so that danger is
        recognised in every state, also when a person has the conversation.
        """
        heard = await self.voice.confirming(inbound)  # a voice note's words, confirmed
        if heard is None:
            parsed = await self.safety.understand(inbound)
            words, hint = danger_text(inbound), inbound.language_hint
        else:  # as if typed, with the language heard (its danger was answered when heard)
            words, hint = heard.text, heard.language or inbound.language_hint
            parsed = await self.understanding.parse(words[:MAX_TEXT], hint)
        focus = await self.faq.focus(words[:MAX_TEXT], hint,
                                     parsed)  # the part of an answer asked for, if any
        for attempt in range(5):
            try:
                return await self._handle_once(inbound, parsed, focus)
            except ConcurrentUpdate:
                log.info("concurrent update of a conversation, retry %d", attempt + 1)
        raise ConcurrentUpdate("conversation kept changing under five attempts")

    async def _handle_once(self, inbound: Inbound, parsed: Parse | None = None,
                           focus: tuple[Focus, ...] = ()) -> list[Reply]:
        try:
            return await self._transaction(inbound, False, parsed, focus)
        except SlotTaken:
            # The booking lost a race: nothing of that transaction was kept; answer kindly.
            return await self._transaction(inbound, True, parsed, focus)
        except HandledElsewhere:
            # The same update, delivered twice at once, was handled by the other run: this
            # one was rolled back; send what the other kept, if it was not sent yet.
            assert inbound.update_id is not None
            async with self.uow_factory() as uow:
                kept = await uow.updates.unsent_replies(inbound.update_id)
            return [Reply.from_record(r) for r in kept or []]

    async def _transaction(self, inbound: Inbound, slot_taken: bool, parsed: Parse | None,
                           focus: tuple[Focus, ...] = ()) -> list[Reply]:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            start = await uow.citizens.start_turn(inbound.user_id, inbound.update_id)
            if start.handled_before:
                # Redelivered: handled before. Its replies are sent again only if they were
                # never confirmed sent (the process died between the commit and the sending).
                return [Reply.from_record(r) for r in start.unsent or []]
            citizen = start.citizen
            if citizen is None:
                citizen = Citizen(id=inbound.user_id, first_seen=now, last_seen=now)
                await uow.citizens.add(citizen)
            conversation = start.conversation or Conversation(citizen.id)
            before = (replace(citizen), conversation.state, copy.deepcopy(conversation.data))
            language = self._resolve_language(citizen, inbound)
            citizen.language = language
            if now - citizen.last_seen >= LAST_SEEN_STEP:
                citizen.last_seen = now
            turn = Turn(inbound, citizen, conversation, Say(self.translations, language), now, uow,
                        slot_taken=slot_taken, parsed=parsed, focus=focus)
            await self._dispatch(turn)
            if not turn.erased:
                kind = ("button" if inbound.payload is not None else
                        "edit" if inbound.edited else inbound.content_type.value)
                await uow.transcript.add(TranscriptEntry(
                    citizen.id, "in", kind, inbound.text or inbound.caption or inbound.heard,
                    inbound.payload,
                    now))
                for reply in turn.replies:
                    if reply.text or reply.file or reply.voice:
                        kind = "file" if reply.file else "voice" if reply.voice else "text"
                        await uow.transcript.add(TranscriptEntry(
                            citizen.id, "out", kind,
                            reply.voice.caption if reply.voice else reply.text, None, now))
                if citizen != before[0]:  # only what changed is written
                    await uow.citizens.save(citizen)
                if (conversation.version == 0 or conversation.state != before[1]
                        or conversation.data != before[2]):
                    await uow.conversations.save(conversation)
                for metric, key in turn.tallies:
                    await uow.tallies.add(now.strftime("%Y-%m"), metric, key)
                await self._complete_events(turn)
            if inbound.update_id is not None and not await uow.updates.remember(
                    inbound.update_id, now, [r.to_record() for r in turn.replies]):
                raise HandledElsewhere(str(inbound.update_id))
            await uow.commit()
        return turn.replies

    async def _complete_events(self, turn: Turn) -> None:
        """What the channel needs to open a thread is read now, in this transaction, after
        the turn's own words are in the transcript (the summary ends with them)."""
        for index, reply in enumerate(turn.replies):
            if isinstance(reply.event, HandoverOpened):
                turn.replies[index] = replace(reply, event=await self.handover.opened(
                    turn.uow, turn.citizen.id, reply.event))

    async def run_due_work(self, worker: str) -> int:
        """Reminders, expired waiting-list offers, and (hourly) the retention rules; safe to
        run in several workers: every step claims or deletes with one statement."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            count = await self.appointments.due_work(uow, now, worker)
            if self._last_purge is None or now - self._last_purge >= PURGE_EVERY:
                await self.privacy.retention(uow, now)
                self._last_purge = now
            await uow.commit()
        return count

    async def take_outbox(self, worker: str, citizen_id: int | None = None,
                          limit: int = 50) -> list[OutboundMessage]:
        """Claim messages waiting to be delivered (a crashed sender's are claimed again)."""
        async with self.uow_factory() as uow:
            messages = list(await uow.outbox.claim(worker, limit, citizen_id))
            for message in messages:
                await uow.transcript.add(TranscriptEntry(
                    message.citizen_id, "out", "text", message.text, None, self.clock.now()))
            await uow.commit()
        return messages

    async def keep_unsent(self, update_id: int, replies: list[Reply]) -> None:
        """A failure after some replies reached the citizen: only the rest is kept for the
        redelivery, so nobody reads the same message twice."""
        async with self.uow_factory() as uow:
            await uow.updates.keep_unsent(update_id, [r.to_record() for r in replies])
            await uow.commit()

    async def replies_sent(self, update_id: int, copies: Copies | None = None) -> None:
        """The channel delivered every reply of an update: they need not be kept.

        Confirmed at once, not in batches: a duplicate delivery of the update to another
        worker a moment later must find it answered (a batch saved 15% of throughput but
        answered such duplicates twice).
        """
        if copies:  # with the copies made in the staff group, in one transaction
            await self.handover.record_copies(copies, update_id)
            return
        await self.uow_factory.mark_sent([update_id], self.clock.now())

    async def waiting_handovers(self) -> int:
        async with self.uow_factory() as uow:
            return len(await uow.handovers.waiting())

    async def mark_blocked(self, citizen_id: int, blocked: bool = True) -> None:
        """The citizen blocked (or unblocked) the bot: scheduled messages stop for them."""
        async with self.uow_factory() as uow:
            await uow.citizens.set_blocked(citizen_id, self.clock.now() if blocked else None)
            await uow.commit()

    async def delivered(self, message_id: int) -> None:
        async with self.uow_factory() as uow:
            await uow.outbox.delivered(message_id)
            await uow.commit()

    def _resolve_language(self, citizen: Citizen, inbound: Inbound) -> str:
        """Explicit choice, else remembered, else the client's language, else the default."""
        if citizen.language in LANGUAGES:
            return str(citizen.language)
        return normalise_language(inbound.language_hint) or self.config.default_language

    # -- dispatch ---------------------------------------------------------------------------

    async def _dispatch(self, turn: Turn) -> None:
        inbound = turn.inbound
        handover = None
        if turn.conversation.data.handover:
            handover = await turn.uow.handovers.open_for(turn.citizen.id)
            if handover is None:
                turn.conversation.data.handover = False
        # Safety is not a flow: danger is answered first, in every state.
        danger = is_emergency(turn.parsed)
        alarm = await self.safety.answer(turn, handover) if danger else None
        if not inbound.edited:  # an edit is read for danger only; its copy follows it
            await self._route(turn, handover, danger)
        if alarm is not None:
            turn.replies.append(alarm)  # after the relay: the thread shows the words first

    async def _route(self, turn: Turn, handover: Handover | None, danger: bool) -> None:
        inbound = turn.inbound
        if handover is not None and inbound.payload is None:
            await self.handover.relay(turn, handover)
            if not inbound.is_command:
                return  # a person reads it; the bot is silent
            # Commands keep working in a hand-over (the mediator sees them too).
        text = (inbound.text or "").strip()
        if inbound.payload is not None:
            await self._on_button(turn, inbound.payload)
        elif inbound.content_type in (ContentType.VOICE, ContentType.AUDIO):
            await self.voice.on_voice(turn, danger)
        elif inbound.content_type not in (ContentType.TEXT, ContentType.BUTTON):
            if not danger:
                self.menus.media(turn)
        elif not text:
            self.menus.main_menu(turn, turn.say._("Please write your question in words."))
        elif inbound.is_command:
            await self._on_command(turn, text)
        else:
            await self._on_text(turn, text[:MAX_TEXT])

    async def _go(self, turn: Turn, verb: str, arg: str | None = None) -> None:
        await self.routes[verb].handler(turn, arg)

    async def _on_button(self, turn: Turn, raw: str) -> None:
        payload = payloads.parse(raw)
        route = self.routes.get(payload.verb) if payload is not None else None
        if (payload is None or route is None or not route.button
                or not route.accepts(payload.arg)
                or (route.in_intake and turn.conversation.data.intake is None)):
            self.menus.no_longer_valid(turn)
            return
        await route.handler(turn, payload.arg)

    async def _on_command(self, turn: Turn, text: str) -> None:
        command, argument = split_command(text)
        known = COMMANDS.get(command)
        if known is None:
            shown = command if len(command) <= 32 else command[:32] + "…"
            turn.reply(turn.say._("I don't know the command {command}.", command=shown))
            self.menus.help(turn)
            return
        verb, with_argument = known
        await self._go(turn, verb, argument if with_argument else None)

    async def _on_intent(self, turn: Turn, intent: str) -> None:
        verb = verb_of(intent)
        if verb is None:
            self.dialogue.not_understood(turn, "nlu_fallback")
            return
        await self._go(turn, *verb)

    async def _on_text(self, turn: Turn, text: str) -> None:
        state = turn.conversation.state
        result = turn.parsed or await self.understanding.parse(text, turn.language)
        intent = result.intent
        intake = turn.conversation.data.intake is not None
        if state == ConversationState.INTAKE_DESCRIPTION and intake:
            # Kept as written (danger in it was answered before the flow saw it).
            self.intake.on_description(turn, text)
            return
        if result.emergency:
            # Answered already; a false alarm costs little when the question still gets its
            # answer.
            top = result.ranking[0] if result.ranking else None
            if (top is not None and top.name not in (EMERGENCY, *FALLBACK_INTENTS)
                    and top.confidence >= ALSO_ANSWER_CONFIDENCE):
                await self._on_intent(turn, top.name)
            return
        if self.dialogue.unsupported_language(turn, text, result):
            return
        topic = None  # the topic answered (or "book"), done again in the language offered
        if state == ConversationState.INTAKE_NEEDS and intake and (
                intent in INTENT_NEED or intent in FALLBACK_INTENTS):
            self.intake.on_needs_text(turn, text, intent)
        elif intent in FALLBACK_INTENTS:
            self.dialogue.not_understood(turn, intent)
        else:
            turn.conversation.data.misunderstood = 0
            await self._on_intent(turn, intent)
            verb = verb_of(intent)
            topic = (verb[1] if verb is not None and verb[0] == "faq"
                     else "book" if verb == ("book", None) else None)
        self.dialogue.maybe_offer_language(turn, text, result, topic)
