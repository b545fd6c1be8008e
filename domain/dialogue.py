"""Free text that is not a question with an answer: small talk, yes and no, what was not
understood (a person offered after the second time), and the language the citizen writes
in (an offer to switch, or the menu when it is not spoken here)."""

from __future__ import annotations

from domain import payloads
from domain.handover import HandoverFlow
from domain.languages import LANGUAGES, NATIVE_NAMES, REFERRED, word_count, words_to_tell
from domain.menus import Menus
from domain.messages import Button
from domain.parse import Parse
from domain.state import OFFER_HUMAN
from domain.text import Say
from domain.turn import Services, Turn

SWITCH_CONFIDENCE = 0.9  # language identification needed before offering to switch language
UNSUPPORTED_CONFIDENCE = 0.9  # ... and before saying a language is not spoken here
SWITCH_MIN_WORDS = 3  # before saying a language is not spoken here (the offer: words_to_tell)
FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})


class Dialogue:
    def __init__(self, services: Services, menus: Menus, handover: HandoverFlow) -> None:
        self.s = services
        self.menus = menus
        self.handover = handover

    def greet(self, turn: Turn) -> None:
        self.menus.main_menu(turn, turn.say._(
            "Hello! I am the TEAMS automated assistant. How can I help you? Write your "
            "question or choose a topic."
        ))

    def goodbye(self, turn: Turn) -> None:
        turn.reply(turn.say._("Goodbye! Write to me whenever you need."))

    def thanks(self, turn: Turn) -> None:
        self.menus.main_menu(turn, turn.say._("You're welcome! Can I help with anything else?"))

    async def affirm_or_deny(self, turn: Turn, yes: bool) -> None:
        """"Yes" or "no" in words: the answer to the question asked last, if any."""
        pending, turn.conversation.data.pending = turn.conversation.data.pending, None
        if pending == OFFER_HUMAN:
            await self.answered(turn, "human", yes)
        else:
            self.menus.main_menu(turn, turn.say._("All right. What would you like to do?"))

    async def answered(self, turn: Turn, subject: str | None, yes: bool) -> None:
        """A "yes" or "no" button under a question about ``subject``."""
        turn.conversation.data.pending = None
        turn.conversation.data.misunderstood = 0
        if yes and subject == "human":
            await self.handover.escalate(turn, "misunderstood")
        else:
            self.menus.main_menu(turn)

    def not_understood(self, turn: Turn, intent: str) -> None:
        data = turn.conversation.data
        ranking = turn.parsed.ranking if turn.parsed is not None else ()
        guess = next((r.name for r in ranking if r.name not in FALLBACK_INTENTS), intent)
        turn.count("questions.unanswered", str(guess))  # the topic it was near, never text
        data.misunderstood += 1
        say = turn.say
        if data.misunderstood >= 2:
            data.pending = OFFER_HUMAN
            turn.reply(
                say._("I still don't understand, sorry. Would you like to reach a person from "
                      "the TEAMS service?"),
                [[Button(say._("Yes, a person"), payloads.make("yes", "human")),
                  Button(say._("No, show the menu"), payloads.make("no", "human"))]],
            )
        elif intent == "out_of_scope":
            self.menus.main_menu(turn, say._(
                "I can only help with the TEAMS service and first steps in Italy: documents, "
                "health, work, school, housing. Choose a topic or ask again:"
            ))
        else:
            self.menus.main_menu(turn, say._(
                "Sorry, I did not understand. Try with other words, or choose a topic:"
            ))

    # -- languages --------------------------------------------------------------------------

    def unsupported_language(self, turn: Turn, text: str, parsed: Parse) -> bool:
        code = parsed.language
        if (not code or code in LANGUAGES
                or parsed.language_confidence < UNSUPPORTED_CONFIDENCE):
            return False
        if code in REFERRED:  # told by its script or its own words: a word or two suffice
            self._referred_language(turn, REFERRED[code])
            return True
        if word_count(text) < SWITCH_MIN_WORDS:
            return False
        turn.reply(
            "Sorry, I can't speak this language yet. Please choose one of these languages.\n"
            "Mi dispiace, non parlo ancora questa lingua. Scegli una di queste lingue."
        )
        self.menus.language_menu(turn)
        return True

    def _referred_language(self, turn: Turn, languages: tuple[str, str]) -> None:
        """A community language we do not speak: kindly, in two languages its speakers often
        read, those two languages, a person of the service (a mediator), or any language."""
        says = [Say(self.s.translations, code) for code in languages]
        text = "\n\n".join(say._(
            "Sorry, I can't write in your language yet. You can continue in one of these "
            "languages, or talk to a person of the TEAMS service: a cultural mediator can help "
            "you.") for say in says)
        turn.reply(text, [
            [Button(NATIVE_NAMES[code], payloads.make("lang", code)) for code in languages],
            [Button("🤝 " + " / ".join(say._("Talk to a person") for say in says),
                    payloads.make("human"))],
            [Button("🌐 " + " / ".join(say._("Another language") for say in says),
                    payloads.make("langmenu"))],
        ])

    def maybe_offer_language(self, turn: Turn, text: str, parsed: Parse,
                             topic: str | None = None) -> None:
        """Offer to switch to the language the citizen writes in; "Yes" does again in that
        language what was just asked for (``topic``: an FAQ topic answered, or ``book``, a
        booking started), else welcomes them in it."""
        code = parsed.language
        declined = turn.conversation.data.declined_languages
        if (code is not None and code in LANGUAGES and code != turn.language
                and code not in declined and parsed.language_confidence >= SWITCH_CONFIDENCE
                and word_count(text) >= words_to_tell(text, code)):
            theirs = Say(self.s.translations, code)
            turn.reply(
                theirs._("It looks like you write in {language}. Shall we continue in "
                         "{language}?", language=NATIVE_NAMES[code]),
                [[Button(theirs._("Yes"), payloads.make(
                    "lang", f"{code}.{topic}" if topic else code)),
                  Button(theirs._("No"), payloads.make("keep", code))]],
            )
