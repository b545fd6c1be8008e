"""Safety is not a flow: every text a citizen writes (a message, a caption, an edit, a
command's words; a long text to its end) is read for danger before any flow sees it, in every
state, also while a person has the conversation; danger is answered with the emergency
numbers at once, then a person, first in the queue. Also when storage is away."""

from __future__ import annotations

from domain.handover import HandoverFlow
from domain.languages import LANGUAGES, normalise_language
from domain.menus import Menus
from domain.messages import Inbound, Reply, split_command
from domain.model import ConversationState, Handover
from domain.parse import Parse
from domain.ports import Understanding
from domain.turn import Turn

#: Danger written in another language than the conversation's, identified at least this
#: surely, is answered in that language first, then in the conversation's.
DANGER_LANGUAGE_CONFIDENCE = 0.9
MAX_TEXT = 1000  # longer texts are cut before understanding (latency); the transcript keeps all
DANGER_OVERLAP = 100  # a longer text is read for danger in pieces that overlap this much


def danger_text(inbound: Inbound) -> str:
    """What the citizen wrote in an inbound message, to be read for danger (and understood):
    a text or an edit, a photo's caption, the words after a command (not /start's deep link),
    what a speech model heard in a voice note. Empty for a button press."""
    if inbound.payload is not None:
        return ""
    if inbound.heard is not None and not (inbound.text or inbound.caption):
        return inbound.heard
    command, words = split_command(inbound.text or inbound.caption)
    return "" if command == "/start" else words


def is_emergency(parsed: Parse | None) -> bool:
    return parsed is not None and parsed.emergency


def danger_languages(parsed: Parse | None, conversation: str) -> list[str]:
    """The languages the emergency numbers are said in: the one the danger was written in
    when it is another spoken language identified surely (someone who has just arrived and
    not chosen one, or who writes in their own under stress), then the conversation's (what
    they chose, or what the people beside them read)."""
    written = parsed.language if parsed is not None else None
    if (written in LANGUAGES and written != conversation and parsed is not None
            and parsed.language_confidence >= DANGER_LANGUAGE_CONFIDENCE):
        return [str(written), conversation]
    return [conversation]


class Safety:
    def __init__(self, understanding: Understanding, menus: Menus,
                 handover: HandoverFlow) -> None:
        self.understanding = understanding
        self.menus = menus
        self.handover = handover

    async def understand(self, inbound: Inbound) -> Parse | None:
        """The meaning of the first MAX_TEXT characters; danger is looked for in all of it
        (someone may write a long story and say what is happening at its end)."""
        text = danger_text(inbound)
        if not text:
            return None
        hint = inbound.language_hint
        if inbound.heard is not None and text == inbound.heard:  # the language heard, first
            hint = inbound.heard_language or hint
        parsed = await self.understanding.parse(text[:MAX_TEXT], hint)
        step = MAX_TEXT - DANGER_OVERLAP  # pieces overlap: a word cut at a boundary is whole
        for start in range(step, len(text) - DANGER_OVERLAP, step):
            if is_emergency(parsed):
                break
            piece = text[start:start + MAX_TEXT]
            rest = await self.understanding.parse(piece, hint)
            if rest.emergency:
                parsed = parsed.in_danger()
        return parsed

    async def danger_replies(self, inbound: Inbound) -> list[Reply]:
        """The emergency answer to a text, without the database: for when storage is away
        (the answer to someone in danger never waits for the database, or for a person)."""
        parsed = await self.understand(inbound)
        if not is_emergency(parsed):
            return []
        conversation = self.menus.s.say(normalise_language(inbound.language_hint)).language
        return [self.menus.emergency_reply(self.menus.s.say(language))
                for language in danger_languages(parsed, conversation)]

    async def answer(self, turn: Turn, handover: Handover | None) -> Reply | None:
        """The emergency numbers at once; then a person, first in the queue. Returns the
        alarm for the thread of a hand-over already open."""
        for language in danger_languages(turn.parsed, turn.language):
            say = turn.say if language == turn.language else self.menus.s.say(language)
            turn.replies.append(self.menus.emergency_reply(say))
        turn.count("safety.emergency", turn.conversation.state or ConversationState.IDLE)
        return await self.handover.in_danger(turn, handover)
