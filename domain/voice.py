"""A voice note always reaches a person or an answer.

Without a speech model (or when it heard nothing, the note was too long, or too many notes
were waiting) the voice note goes to a person: a hand-over with the reason "voice", the note
itself copied into the thread, out of hours too (with the office-hours notice). Nobody can
know what an unheard note says, so the emergency number goes with the answer.

With a speech model, the channel puts the words it heard in the inbound message
(:attr:`~domain.messages.Inbound.heard`): Safety has read them for danger before any flow
(danger is answered at once, never after a confirmation). The citizen is shown what was heard
and asked whether it is right; the transcript waits in the conversation
(:attr:`~domain.state.ConversationData.heard`), not in memory. "Yes": handled exactly as if
the citizen had typed it; "no": write it, or a person listens to the note.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from domain import payloads
from domain.events import RelayToStaff
from domain.handover import HandoverFlow
from domain.menus import Menus
from domain.messages import Button, Inbound, Reply
from domain.state import Heard
from domain.turn import Services, Turn

#: How much of a transcript is shown back and kept waiting for the "yes" (a note of two
#: minutes is about 300 words).
MAX_HEARD = 2000
CONFIRM = "yes"

Typed = Callable[[Turn, str], Awaitable[None]]


class VoiceFlow:
    def __init__(self, services: Services, menus: Menus, handover: HandoverFlow,
                 typed: Typed) -> None:
        self.s = services
        self.menus = menus
        self.handover = handover
        self.typed = typed  # the engine's way with a typed text

    async def confirming(self, inbound: Inbound) -> Heard | None:
        """The transcript a "yes" press confirms, read before the turn (so that it is
        understood outside the transaction, like any text); None for anything else."""
        if inbound.payload != payloads.make("heard", CONFIRM):
            return None
        async with self.s.uow_factory() as uow:
            conversation = await uow.conversations.get(inbound.user_id)
        heard = conversation.data.heard if conversation is not None else None
        return heard if heard is not None and heard.text else None

    async def on_voice(self, turn: Turn, danger: bool) -> None:
        """A voice note (or an audio file) outside a hand-over."""
        inbound = turn.inbound
        heard = (inbound.heard or "").strip()
        if danger:
            # Safety gave the numbers and asked for a person: they hear the note itself.
            if self.handover.handover_enabled:
                turn.replies.append(Reply("", event=RelayToStaff()))
            return
        if heard:
            self.ask(turn, heard)
            return
        await self.to_person(turn)

    def ask(self, turn: Turn, heard: str) -> None:
        inbound, say = turn.inbound, turn.say
        heard = heard[:MAX_HEARD]
        turn.conversation.data.heard = Heard(heard, inbound.heard_language, inbound.message_id)
        turn.reply(say._("I understood: «{words}» — is that right?", words=heard),
                   [[Button("✅ " + say._("Yes"), payloads.make("heard", CONFIRM)),
                     Button("❌ " + say._("No"), payloads.make("heard", "no"))]])

    async def to_person(self, turn: Turn, message: int | None = None) -> None:
        """The voice note to a person, who listens to it: this update's note, or
        ``message`` (a note sent before, after "no, that is not what I said")."""
        if not self.handover.handover_enabled:  # no staff group: the office, and 112
            self.menus.media(turn)
            return
        await self.handover.escalate(turn, "voice")
        if message is not None or turn.inbound.payload is None:
            turn.replies.append(Reply("", event=RelayToStaff(message=message)))

    async def on_confirm(self, turn: Turn, answer: str | None) -> None:
        """The citizen's answer to "is that right?": yes, no, or a person after a no."""
        data = turn.conversation.data
        heard = data.heard
        if answer == "person":
            data.heard = None
            await self.to_person(turn, heard.message if heard is not None else None)
            return
        if heard is None or not heard.text:
            self.menus.no_longer_valid(turn)
            return
        if answer == CONFIRM:
            data.heard = None
            await self.typed(turn, heard.text)
            return
        data.heard = Heard("", heard.language, heard.message)  # kept for "a person"
        say = turn.say
        turn.reply(say._("Sorry, I did not understand you well. You can write your question "
                         "in words, or a person of the TEAMS service can listen to your voice "
                         "message."),
                   [[Button(say._("🙋 Talk to a person"), payloads.make("heard", "person"))],
                    self.menus.home(turn)])
