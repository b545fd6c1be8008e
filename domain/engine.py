"""The conversation engine: one inbound message in, replies out, state in one transaction.

The engine decides what to say; channels (Telegram, the terminal) only carry it. Every piece of
state it needs is read from and written to the unit of work inside one transaction per message.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain import payloads
from domain.appointments import AppointmentFlows
from domain.booking import INTENT_NEED, ROLE_NAMES, SlotTaken
from domain.content import GROUP_LABELS, GROUPS, TOPIC_GROUP, TOPIC_ROUTE, Content
from domain.deadletters import DeadLetters
from domain.directory import Directory
from domain.formatting import clock_time, long_date, long_day, opening_hours
from domain.handover import EMERGENCY_PRIORITY, HandoverFlows, is_open_at, next_opening
from domain.languages import LANGUAGES, NATIVE_NAMES, normalise_language
from domain.messages import Button, ContentType, Inbound, Reply, split_command
from domain.model import (
    Citizen,
    Conversation,
    ConversationState,
    Handover,
    OutboundMessage,
    TranscriptEntry,
    referral_from_payload,
)
from domain.parse import EMERGENCY, Parse
from domain.ports import (
    Clock,
    ConcurrentUpdate,
    HandledElsewhere,
    Translations,
    Understanding,
    UnitOfWorkFactory,
)
from domain.privacy import PrivacyFlows
from domain.staff import StaffTools
from domain.text import Say
from domain.turn import EngineConfig, Turn

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(hours=1)
LAST_SEEN_STEP = timedelta(minutes=10)  # last contact is kept to the nearest ten minutes
MAX_TEXT = 1000  # longer texts are cut before understanding (latency); the transcript keeps all
DANGER_OVERLAP = 100  # a longer text is read for danger in pieces that overlap this much
SWITCH_CONFIDENCE = 0.9  # language identification needed before offering to switch language
UNSUPPORTED_CONFIDENCE = 0.9  # ... and before saying a language is not spoken here
SWITCH_MIN_WORDS = 3
ALSO_ANSWER_CONFIDENCE = 0.5  # after an emergency reply, also answer a confident question
_DIGITS = str.isdigit


def _is_digits(arg: str | None) -> bool:
    return bool(arg) and _DIGITS(arg or "")


_BOOKING_ARGS: dict[str, Any] = {
    "book": lambda a: a is None or a in TOPIC_ROUTE,
    "consent": lambda a: a in ("yes", "no"),
    "need": lambda a: a in INTENT_NEED.values() or a in ("language", "other"),
    "urg": lambda a: a in ("week", "month", "later"),
    "ref": lambda a: a in ("servizi_sociali", "centro_impiego", "sportello_immigrazione",
                           "other"),
    "mlang": lambda a: a in LANGUAGES or a == "more",
    "role": lambda a: a in ROLE_NAMES,
    "wait": lambda a: a in ROLE_NAMES,
    "day": lambda a: _is_digits(a) and len(a or "") == 8,
    "slot": lambda a: bool(a) and "." in (a or ""),
    "cancel": _is_digits, "cancelok": _is_digits, "move": _is_digits,
    "offer": _is_digits, "offerno": _is_digits,
}
FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})


def danger_text(inbound: Inbound) -> str:
    """What the citizen wrote in an inbound message, to be read for danger (and understood):
    a text or an edit, a photo's caption, the words after a command (not /start's deep link).
    Empty for a button press."""
    if inbound.payload is not None:
        return ""
    command, words = split_command(inbound.text or inbound.caption)
    return "" if command == "/start" else words


def _in_danger_call(say: Say) -> str:
    return say._("If you or someone else is in danger now, call {number}. It is free, from any "
                 "phone, day and night.", number="112")


def is_emergency(parsed: Parse | None) -> bool:
    return parsed is not None and parsed.emergency


class Engine(AppointmentFlows, HandoverFlows, PrivacyFlows, StaffTools, DeadLetters):
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
        self.uow_factory = uow_factory
        self.translations = translations
        self.understanding = understanding
        self.clock = clock
        self.directory = directory
        self.content = content
        self.config = config or EngineConfig()
        self.zone = ZoneInfo(self.config.timezone)
        self._last_purge: datetime | None = None

    # -- the transaction --------------------------------------------------------------------

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one inbound message; retried when a concurrent update moved the state.

        Every text the citizen wrote (a message, a caption, an edit, a command's words) is
        understood before the transaction opens, so no database lock is held while the model
        runs (the intent does not depend on the conversation's state), and so that danger is
        recognised in every state, also when a person has the conversation.
        """
        parsed = await self._understand(inbound)
        for attempt in range(5):
            try:
                return await self._handle_once(inbound, parsed)
            except ConcurrentUpdate:
                log.info("concurrent update of a conversation, retry %d", attempt + 1)
        raise ConcurrentUpdate("conversation kept changing under five attempts")

    async def _understand(self, inbound: Inbound) -> Parse | None:
        """The meaning of the first MAX_TEXT characters; danger is looked for in all of it
        (someone may write a long story and say what is happening at its end)."""
        text = danger_text(inbound)
        if not text:
            return None
        parsed = await self.understanding.parse(text[:MAX_TEXT], inbound.language_hint)
        step = MAX_TEXT - DANGER_OVERLAP  # pieces overlap: a word cut at a boundary is whole
        for start in range(step, len(text) - DANGER_OVERLAP, step):
            if is_emergency(parsed):
                break
            piece = text[start:start + MAX_TEXT]
            rest = await self.understanding.parse(piece, inbound.language_hint)
            if rest.emergency:
                parsed = parsed.in_danger()
        return parsed

    async def danger_replies(self, inbound: Inbound) -> list[Reply]:
        """The emergency answer to a text, without the database: for when storage is away
        (the answer to someone in danger never waits for the database, or for a person)."""
        parsed = await self._understand(inbound)
        if not is_emergency(parsed):
            return []
        language = normalise_language(inbound.language_hint) or self.config.default_language
        return [self.emergency_reply(Say(self.translations, language))]

    async def _handle_once(self, inbound: Inbound, parsed: Parse | None = None
                           ) -> list[Reply]:
        try:
            return await self._transaction(inbound, False, parsed)
        except SlotTaken:
            # The booking lost a race: nothing of that transaction was kept; answer kindly.
            return await self._transaction(inbound, True, parsed)
        except HandledElsewhere:
            # The same update, delivered twice at once, was handled by the other run: this
            # one was rolled back; send what the other kept, if it was not sent yet.
            assert inbound.update_id is not None
            async with self.uow_factory() as uow:
                kept = await uow.updates.unsent_replies(inbound.update_id)
            return [Reply.from_record(r) for r in kept or []]

    async def _transaction(self, inbound: Inbound, slot_taken: bool,
                           parsed: Parse | None) -> list[Reply]:
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
                        slot_taken=slot_taken, parsed=parsed)
            await self._dispatch(turn)
            if not turn.erased:
                kind = ("button" if inbound.payload is not None else
                        "edit" if inbound.edited else inbound.content_type.value)
                await uow.transcript.add(TranscriptEntry(
                    citizen.id, "in", kind, inbound.text or inbound.caption, inbound.payload,
                    now))
                for reply in turn.replies:
                    if reply.text or reply.file:
                        await uow.transcript.add(TranscriptEntry(
                            citizen.id, "out", "file" if reply.file else "text", reply.text,
                            None, now))
                if citizen != before[0]:  # only what changed is written
                    await uow.citizens.save(citizen)
                if (conversation.version == 0 or conversation.state != before[1]
                        or conversation.data != before[2]):
                    await uow.conversations.save(conversation)
                for metric, key in turn.tallies:
                    await uow.tallies.add(now.strftime("%Y-%m"), metric, key)
            if inbound.update_id is not None and not await uow.updates.remember(
                    inbound.update_id, now, [r.to_record() for r in turn.replies]):
                raise HandledElsewhere(str(inbound.update_id))
            await uow.commit()
        return turn.replies

    async def run_due_work(self, worker: str) -> int:
        """Reminders, expired waiting-list offers, and (hourly) the retention rules; safe to
        run in several workers: every step claims or deletes with one statement."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            count = await self._due_work(uow, now, worker)
            if self._last_purge is None or now - self._last_purge >= PURGE_EVERY:
                await self._retention(uow, now)
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

    async def replies_sent(self, update_id: int) -> None:
        """The channel delivered every reply of an update: they need not be kept.

        Confirmed at once, not in batches: a duplicate delivery of the update to another
        worker a moment later must find it answered (a batch saved 15% of throughput but
        answered such duplicates twice).
        """
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

    def _set_language(self, turn: Turn, language: str) -> None:
        turn.citizen.language = language
        turn.citizen.language_chosen = True
        turn.say = Say(self.translations, language)

    # -- dispatch ---------------------------------------------------------------------------

    async def _dispatch(self, turn: Turn) -> None:
        inbound = turn.inbound
        handover = None
        if turn.conversation.data.get("handover"):
            handover = await turn.uow.handovers.open_for(turn.citizen.id)
            if handover is None:
                turn.conversation.data.pop("handover", None)
        # Safety is not a flow: danger is answered first, in every state.
        danger = is_emergency(turn.parsed)
        alarm = await self._in_danger(turn, handover) if danger else None
        if not inbound.edited:  # an edit is read for danger only; its copy follows it
            await self._route(turn, handover, danger)
        if alarm is not None:
            turn.replies.append(alarm)  # after the relay: the thread shows the words first

    async def _route(self, turn: Turn, handover: Handover | None, danger: bool) -> None:
        inbound = turn.inbound
        if handover is not None and inbound.payload is None:
            await self._relay(turn, handover)
            if not inbound.is_command:
                return  # a person reads it; the bot is silent
            # Commands keep working in a hand-over (the mediator sees them too).
        if inbound.payload is not None:
            await self._on_payload(turn, inbound.payload)
        elif inbound.content_type not in (ContentType.TEXT, ContentType.BUTTON):
            if not danger:
                self._on_media(turn)
        elif not (inbound.text or "").strip():
            self._main_menu(turn, turn.say._("Please write your question in words."))
        elif inbound.is_command:
            await self._on_command(turn, (inbound.text or "").strip())
        else:
            await self._on_text(turn, (inbound.text or "").strip()[:MAX_TEXT])

    async def _in_danger(self, turn: Turn, handover: Handover | None) -> Reply | None:
        """The emergency numbers at once; then a person, first in the queue. Returns the
        alarm for the thread of a hand-over already open."""
        self._emergency(turn)
        turn.count("safety.emergency", turn.conversation.state or ConversationState.IDLE)
        if handover is None:
            if self.handover_enabled:
                await self.escalate(turn, "emergency")
            return None
        if handover.priority < EMERGENCY_PRIORITY:
            handover.priority, handover.reason = EMERGENCY_PRIORITY, "emergency"
            await turn.uow.handovers.save(handover)
        topic = await turn.uow.handovers.topic(turn.citizen.id)
        return Reply("", event="alarm", meta={
            "thread": topic.thread_id if topic is not None else None})

    async def _relay(self, turn: Turn, handover: Handover) -> None:
        """While a person has the conversation, everything goes to them."""
        # The thread the person reads, when it exists, read here rather than in a
        # transaction of its own after this one.
        topic = await turn.uow.handovers.topic(turn.citizen.id)
        thread = topic.thread_id if topic is not None else None
        turn.replies.append(Reply("", event="relay",
                                  meta={"thread": thread} if thread is not None else {}))
        if not handover.announced and not is_open_at(self.directory, turn.now, self.zone):
            opening = next_opening(self.directory, turn.now, self.zone)
            if opening is not None:
                turn.reply(turn.say._(
                    "The office is closed now. A person will answer from {day} at {time}. "
                    "Your messages are kept.", day=long_day(opening, turn.language, self.zone),
                    time=clock_time(opening, turn.language, self.zone)))
            handover.announced = True
            await turn.uow.handovers.save(handover)

    async def _on_command(self, turn: Turn, text: str) -> None:
        command, argument = split_command(text)
        if command == "/start":
            self._start(turn, argument)
        elif command == "/language":
            self._language_menu(turn)
        elif command == "/menu":
            self._main_menu(turn)
        elif command == "/help":
            self._help(turn)
        elif command in ("/human", "/operator"):
            await self.escalate(turn, "asked")
        elif command == "/privacy":
            self._privacy(turn)
        elif command == "/mydata":
            await self.my_data(turn)
        elif command == "/delete":
            self.ask_erase(turn)
        elif command in ("/appointments", "/book"):
            if command == "/book":
                await self.start_booking(turn)
            else:
                await self.show_appointments(turn)
        else:
            shown = command if len(command) <= 32 else command[:32] + "…"
            turn.reply(turn.say._("I don't know the command {command}.", command=shown))
            self._help(turn)

    async def _on_payload(self, turn: Turn, raw: str) -> None:
        payload = payloads.parse(raw)
        if payload is None or not self._payload_is_valid(payload):
            self._main_menu(turn, turn.say._(
                "That button is no longer valid. Here is the menu again."
            ))
            return
        verb, arg = payload.verb, payload.arg
        if verb == "lang":
            self._set_language(turn, arg or self.config.default_language)
            self._welcome(turn)
        elif verb == "keep":
            turn.conversation.data.setdefault("declined_languages", []).append(arg)
            self._main_menu(turn, turn.say._("Fine, we continue in this language."))
        elif verb == "langmenu":
            self._language_menu(turn)
        elif verb == "menu":
            self._main_menu(turn)
        elif verb == "help":
            self._help(turn)
        elif verb == "group":
            self._group_menu(turn, arg or "")
        elif verb == "faq":
            self._answer(turn, arg or "")
        elif verb == "human":
            await self.escalate(turn, "asked")
        elif verb == "endhuman":
            await self.end_by_citizen(turn)
        elif verb == "mydata":
            await self.my_data(turn)
        elif verb == "erase":
            self.ask_erase(turn)
        elif verb == "eraseok":
            await self.erase_now(turn)
        elif verb in ("yes", "no"):
            await self._on_yes_no(turn, verb == "yes", arg)
        else:
            await self._on_booking_payload(turn, verb, arg)

    async def _on_booking_payload(self, turn: Turn, verb: str, arg: str | None) -> None:
        if verb == "book":
            topic = arg if arg in TOPIC_ROUTE else None
            await self.start_booking(turn, TOPIC_ROUTE.get(topic or ""),
                                     INTENT_NEED.get(topic or ""))
            return
        if verb in ("appts", "cancel", "cancelok", "move", "wait", "offer", "offerno",
                    "consent"):
            await self._on_management_payload(turn, verb, arg)
            return
        if "intake" not in turn.conversation.data:
            self._main_menu(turn, turn.say._(
                "That button is no longer valid. Here is the menu again."))
            return
        if verb == "need":
            self.on_need(turn, arg or "")
        elif verb == "needs_done":
            self.on_needs_done(turn)
        elif verb == "urg":
            self.on_urgency(turn, arg or "")
        elif verb == "ref":
            self.on_referral(turn, arg or "")
        elif verb == "mlang":
            self.on_meeting_language(turn, arg or "")
        elif verb == "skip":
            self.on_description(turn, None)
        elif verb == "roles":
            self.show_roles(turn)
        elif verb == "role":
            self.on_role(turn, arg or "")
        elif verb == "days":
            await self.show_days(turn)
        elif verb == "day":
            await self.show_times(turn, arg or "")
        elif verb == "slot":
            await self.on_slot(turn, arg or "", taken=turn.slot_taken)

    async def _on_management_payload(self, turn: Turn, verb: str, arg: str | None) -> None:
        if verb == "appts":
            await self.show_appointments(turn)
        elif verb in ("cancel", "cancelok"):
            await self.on_cancel(turn, arg, confirmed=verb == "cancelok")
        elif verb == "move":
            await self.on_move(turn, arg)
        elif verb == "wait":
            await self.on_wait(turn, arg or "")
        elif verb in ("offer", "offerno"):
            await self.on_offer(turn, arg, accept=verb == "offer")
        elif verb == "consent":
            if "intake" not in turn.conversation.data:
                turn.conversation.data["intake"] = {"needs": [], "role": None}
            await self.on_consent(turn, arg == "yes")

    def _payload_is_valid(self, payload: payloads.Payload) -> bool:
        arg = payload.arg
        if payload.verb in ("lang", "keep"):
            return arg in LANGUAGES
        if payload.verb == "group":
            return arg in GROUPS
        if payload.verb == "faq":
            return arg in TOPIC_GROUP
        if payload.verb in ("yes", "no"):
            return arg == "human"
        return _BOOKING_ARGS.get(payload.verb, lambda a: a is None)(arg)

    async def _on_text(self, turn: Turn, text: str) -> None:
        state = turn.conversation.state
        result = turn.parsed or await self.understanding.parse(text, turn.language)
        intent = result.intent
        if state == ConversationState.INTAKE_DESCRIPTION and "intake" in turn.conversation.data:
            # Kept as written (danger in it was answered before the flow saw it).
            self.on_description(turn, text)
            return
        if result.emergency:
            # Answered already; a false alarm costs little when the question still gets its
            # answer.
            top = result.ranking[0] if result.ranking else None
            if (top is not None and top.name not in (EMERGENCY, *FALLBACK_INTENTS)
                    and top.confidence >= ALSO_ANSWER_CONFIDENCE):
                await self._on_intent(turn, top.name)
            return
        if self._unsupported_language(turn, text, result):
            return
        if state == ConversationState.INTAKE_NEEDS and "intake" in turn.conversation.data and (
                intent in INTENT_NEED or intent in FALLBACK_INTENTS):
            self.on_needs_text(turn, text, intent)
        elif intent in FALLBACK_INTENTS:
            self._not_understood(turn, intent)
        else:
            turn.conversation.data["misunderstood"] = 0
            await self._on_intent(turn, intent)
        self._maybe_offer_language(turn, text, result)

    # -- intents ----------------------------------------------------------------------------

    async def _on_intent(self, turn: Turn, intent: str) -> None:
        say = turn.say
        if intent in TOPIC_GROUP:
            self._answer(turn, intent)
        elif intent == "greet":
            self._main_menu(turn, say._(
                "Hello! I am the TEAMS automated assistant. How can I help you? Write your "
                "question or choose a topic."
            ))
        elif intent == "goodbye":
            turn.reply(say._("Goodbye! Write to me whenever you need."))
        elif intent == "thanks":
            self._main_menu(turn, say._("You're welcome! Can I help with anything else?"))
        elif intent in ("affirm", "deny"):
            pending = turn.conversation.data.pop("pending", None)
            if pending == "offer_human":
                await self._on_yes_no(turn, intent == "affirm", "human")
            else:
                self._main_menu(turn, say._("All right. What would you like to do?"))
        elif intent == "help_menu":
            self._help(turn)
        elif intent == "change_language":
            self._language_menu(turn)
        elif intent == "human_handover":
            await self.escalate(turn, "asked")
        elif intent == "book_appointment":
            await self.start_booking(turn)
        elif intent == "my_appointments":
            await self.show_appointments(turn)
        elif intent == "privacy_data":
            self._privacy(turn)
        else:
            self._not_understood(turn, "nlu_fallback")

    def _not_understood(self, turn: Turn, intent: str) -> None:
        data = turn.conversation.data
        ranking = turn.parsed.ranking if turn.parsed is not None else ()
        guess = next((r.name for r in ranking if r.name not in FALLBACK_INTENTS),
                     intent)
        turn.count("questions.unanswered", str(guess))  # the topic it was near, never text
        data["misunderstood"] = int(data.get("misunderstood", 0)) + 1
        say = turn.say
        if data["misunderstood"] >= 2:
            data["pending"] = "offer_human"
            turn.reply(
                say._("I still don't understand, sorry. Would you like to reach a person from "
                      "the TEAMS service?"),
                [[Button(say._("Yes, a person"), payloads.make("yes", "human")),
                  Button(say._("No, show the menu"), payloads.make("no", "human"))]],
            )
        elif intent == "out_of_scope":
            self._main_menu(turn, say._(
                "I can only help with the TEAMS service and first steps in Italy: documents, "
                "health, work, school, housing. Choose a topic or ask again:"
            ))
        else:
            self._main_menu(turn, say._(
                "Sorry, I did not understand. Try with other words, or choose a topic:"
            ))

    async def _on_yes_no(self, turn: Turn, yes: bool, subject: str | None) -> None:
        turn.conversation.data.pop("pending", None)
        turn.conversation.data["misunderstood"] = 0
        if yes and subject == "human":
            await self.escalate(turn, "misunderstood")
        else:
            self._main_menu(turn)

    # -- flows ------------------------------------------------------------------------------

    def _start(self, turn: Turn, argument: str) -> None:
        referral = referral_from_payload(argument)
        if referral and turn.citizen.referral is None:
            turn.citizen.referral = referral
        hint = normalise_language(turn.inbound.language_hint)
        if turn.citizen.language_chosen or hint:
            self._welcome(turn)
        else:
            self._language_menu(turn)

    def _welcome(self, turn: Turn) -> None:
        self._main_menu(turn, turn.say._(
            "Welcome! I am the automated assistant of the TEAMS service: a computer program, "
            "not a person. I answer first questions about documents, health, work, school and "
            "housing, and I help you reach the TEAMS staff. Write your question in your own "
            "words, or choose a topic."
        ), language_button=True)

    def _language_menu(self, turn: Turn) -> None:
        buttons = [Button(NATIVE_NAMES[c], payloads.make("lang", c)) for c in LANGUAGES]
        rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
        turn.reply(turn.say._("Choose your language:"), rows)

    def _menu_buttons(self, turn: Turn, language_button: bool = False) -> list[list[Button]]:
        say = turn.say
        groups = [Button(say._(GROUP_LABELS[g]), payloads.make("group", g)) for g in GROUPS]
        rows = [groups[i:i + 2] for i in range(0, len(groups), 2)]
        rows.append([Button("📅 " + say._("Book an appointment"), payloads.make("book")),
                     Button("📋 " + say._("My appointments"), payloads.make("appts"))])
        rows.append([Button(say._("🙋 Talk to a person"), payloads.make("human"))])
        if language_button:
            rows.append([Button("🌐 " + say._("Change language"), payloads.make("langmenu"))])
        return rows

    def _main_menu(self, turn: Turn, text: str | None = None, language_button: bool = False
                   ) -> None:
        turn.conversation.state = ConversationState.IDLE
        turn.reply(text or turn.say._("Main menu. Choose a topic:"),
                   self._menu_buttons(turn, language_button))

    def _help(self, turn: Turn) -> None:
        turn.reply(turn.say._(
            "I am an automated assistant, not a person. Write your question in your own words, "
            "in your language, or use the buttons.\n\n/menu – main menu\n/appointments – your "
            "appointments\n/language – change language\n/human – talk to a person\n"
            "/privacy – your data\n/help – this help"
        ), self._menu_buttons(turn, language_button=True))

    def _group_menu(self, turn: Turn, group: str) -> None:
        say = turn.say
        rows = []
        for topic in GROUPS[group]:
            label = self._topic_title(turn, topic)
            rows.append([Button(label, payloads.make("faq", topic))])
        rows.append([Button("🏠 " + say._("Main menu"), payloads.make("menu"))])
        turn.reply(say._(GROUP_LABELS[group]), rows)

    def _topic_title(self, turn: Turn, topic: str) -> str:
        if topic == "faq_teams_service":
            return turn.say._("What TEAMS is, where, when")
        answer = self.content.get(turn.language, topic)
        return answer.title if answer else topic

    def _answer_buttons(self, turn: Turn, topic: str) -> list[list[Button]]:
        say = turn.say
        rows = []
        route = TOPIC_ROUTE.get(topic)
        if route:
            rows.append([Button("📅 " + say._("Appointment with the {role}",
                                              role=say._(ROLE_NAMES[route])),
                                payloads.make("book", topic))])
        return [
            *rows,
            [Button(say._("🙋 Talk to a person"), payloads.make("human"))],
            [Button("⬅️ " + say._("Back"), payloads.make("group", TOPIC_GROUP[topic])),
             Button("🏠 " + say._("Main menu"), payloads.make("menu"))],
        ]

    def _answer(self, turn: Turn, topic: str) -> None:
        say = turn.say
        turn.count("questions.topic", topic)
        if topic == "faq_teams_service":
            turn.reply(self._about_text(turn), self._answer_buttons(turn, topic))
            return
        answer = self.content.get(turn.language, topic)
        if answer is None:
            turn.reply(say._(
                "I don't have an answer on this topic yet. A person from the TEAMS service can "
                "help you:"
            ) + "\n\n" + self.directory.contacts_text(), self._answer_buttons(turn, topic))
            return
        sources = "\n".join(f"• {s.title}: {s.url}" for s in answer.sources)
        footer = say._("Official sources:") + "\n" + sources + "\n" + say._(
            "Last checked: {date}", date=long_date(answer.checked, turn.language)
        )
        turn.reply(f"{answer.title}\n\n{say.content(answer.text)}\n\n{footer}",
                   self._answer_buttons(turn, topic))

    def _about_text(self, turn: Turn) -> str:
        say, office = turn.say, self.directory.main_office
        parts = [
            say._("{service} is the orientation service for foreign citizens. A social worker, "
                  "an expert in work and job policies and a linguistic-cultural mediator work "
                  "there. The service is free.", service=self.directory.service.name),
            say._("Where:") + f"\n{office.name}\n{office.address}",
        ]
        if office.how_to_reach:
            parts.append(say._("How to get there:") + f"\n{office.how_to_reach}")
        parts.append(say._("Opening hours:") + "\n" + opening_hours(office, turn.language))
        contacts = "\n".join(x for x in (office.phone, office.email) if x)
        if contacts:
            parts.append(say._("Contacts:") + f"\n{contacts}")
        return "\n\n".join(parts)

    def _human_by_office(self, turn: Turn) -> None:
        """Without a staff group, a person is reached at the office."""
        turn.replies.append(self.office_reply(turn.say))

    def _emergency(self, turn: Turn) -> None:
        turn.replies.append(self.emergency_reply(turn.say))

    def emergency_reply(self, say: Say) -> Reply:
        """112, 1522 and the directory's lines: never waits for a person or the database."""
        lines = [
            _in_danger_call(say),
            say._("Violence or stalking against women: call {number}, free, day and night, in "
                  "several languages.", number="1522"),
        ]
        for contact in self.directory.emergency_contacts:
            details = ", ".join(x for x in (contact.phone, contact.hours) if x)
            lines.append(f"• {contact.name}: {details}")
        return Reply("🚨 " + "\n\n".join(lines),
                     [[Button(say._("🙋 Talk to a person"), payloads.make("human"))]],
                     event="emergency")

    def _on_media(self, turn: Turn) -> None:
        say, kind = turn.say, turn.inbound.content_type
        if kind in (ContentType.VOICE, ContentType.AUDIO):
            # What was said cannot be read for danger: the number goes with the answer.
            text = say._("I can't listen to voice messages yet. Please write your question in "
                         "words, in your language, or choose a topic.")
            text += "\n\n🚨 " + _in_danger_call(say)
        elif kind == ContentType.STICKER:
            text = say._("Nice sticker! I understand only written words. Write your question "
                         "or choose a topic.")
        elif kind in (ContentType.PHOTO, ContentType.VIDEO, ContentType.DOCUMENT):
            text = say._("I can't read photos, videos or files. Please don't send documents "
                         "here: write your question in words, or choose a topic.")
            if kind == ContentType.VIDEO:  # a video note may be someone speaking
                text += "\n\n🚨 " + _in_danger_call(say)
        else:
            text = say._("I can only read written messages. Write your question or choose "
                         "a topic.")
        self._main_menu(turn, text)

    # -- languages --------------------------------------------------------------------------

    def _unsupported_language(self, turn: Turn, text: str, parsed: Parse) -> bool:
        code = parsed.language
        if (code and code not in LANGUAGES
                and parsed.language_confidence >= UNSUPPORTED_CONFIDENCE
                and len(text.split()) >= SWITCH_MIN_WORDS):
            turn.reply(
                "Sorry, I can't speak this language yet. Please choose one of these languages.\n"
                "Mi dispiace, non parlo ancora questa lingua. Scegli una di queste lingue."
            )
            self._language_menu(turn)
            return True
        return False

    def _maybe_offer_language(self, turn: Turn, text: str, parsed: Parse) -> None:
        code = parsed.language
        declined = turn.conversation.data.get("declined_languages", [])
        if (code is not None and code in LANGUAGES and code != turn.language
                and code not in declined and parsed.language_confidence >= SWITCH_CONFIDENCE
                and len(text.split()) >= SWITCH_MIN_WORDS):
            theirs = Say(self.translations, code)
            turn.reply(
                theirs._("It looks like you write in {language}. Shall we continue in "
                         "{language}?", language=NATIVE_NAMES[code]),
                [[Button(theirs._("Yes"), payloads.make("lang", code)),
                  Button(theirs._("No"), payloads.make("keep", code))]],
            )
