"""One route table: a command, a button and an intent reach the same verb, and each verb says
once which argument it accepts. A new button is one line here (and its label where it is
shown); anything a table does not accept is a stale or forged button, answered kindly."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from domain.appointments import Appointments
from domain.booking import INTENT_NEED, ROLE_NAMES, URGENCY
from domain.content import GROUPS, TOPIC_GROUP, TOPIC_ROUTE
from domain.dialogue import Dialogue
from domain.faq import Faq
from domain.handover import HandoverFlow
from domain.intake import IntakeFlow
from domain.languages import LANGUAGES
from domain.menus import Menus
from domain.privacy import Privacy
from domain.turn import Turn
from domain.voice import VoiceFlow

Handler = Callable[[Turn, str | None], Awaitable[None]]
Accepts = Callable[[str | None], bool]


def no_argument(arg: str | None) -> bool:
    return arg is None


def any_argument(arg: str | None) -> bool:
    return True


def one_of(*groups: object) -> Accepts:
    """An argument from these collections (or equal to one of these strings)."""
    allowed: set[object] = set()
    for group in groups:
        allowed |= {group} if isinstance(group, str) else set(group)  # type: ignore[call-overload]
    return lambda arg: arg in allowed


def number(arg: str | None) -> bool:
    return bool(arg) and (arg or "").isascii() and (arg or "").isdigit()


def day_key(arg: str | None) -> bool:
    return number(arg) and len(arg or "") == 8


def slot_key(arg: str | None) -> bool:
    return bool(arg) and "." in (arg or "")


#: What the citizen asked for, done again in the language they accept: an FAQ topic's answer,
#: or ``book`` (the booking started in words: "بدي موعد").
AGAIN_IN_LANGUAGE = ("book",)


def language_key(arg: str | None) -> bool:
    """A language, and what to do again in it, if anything: ``uk``, ``uk.faq_tax_code`` or
    ``ar.book``."""
    code, dot, then = (arg or "").partition(".")
    return code in LANGUAGES and (not dot or then in TOPIC_GROUP or then in AGAIN_IN_LANGUAGE)


def _switch_language(m: Menus, faq: Faq, appts: Appointments) -> Handler:
    """A language chosen: the welcome in it, or what was just asked for done again in it
    (the topic answered, the booking started)."""
    async def handler(turn: Turn, arg: str | None) -> None:
        code, _, then = (arg or "").partition(".")
        if then == "book":
            m.set_language(turn, code)
            await appts.book_topic(turn, None)
        elif then:
            m.set_language(turn, code)
            await faq.answer(turn, then)
        else:
            m.choose_language(turn, code)
    return handler


def listen_key(arg: str | None) -> bool:
    """An FAQ topic, then the passages shown, if a part was: ``faq_health_care.5.7``."""
    topic, *part = (arg or "").split(".")
    return topic in TOPIC_GROUP and len(part) <= 8 and all(
        p.isascii() and p.isdigit() and len(p) <= 2 for p in part)


@dataclass(frozen=True)
class Route:
    """A verb: what handles it, which argument it accepts, whether it belongs to an intake in
    progress, and whether a button may ask for it (some are reached only by a command or an
    intent)."""

    handler: Handler
    accepts: Accepts = no_argument
    in_intake: bool = False
    button: bool = True


#: ``/command`` -> (verb, whether the command's words are its argument)
COMMANDS: dict[str, tuple[str, bool]] = {
    "/start": ("start", True), "/language": ("langmenu", False), "/menu": ("menu", False),
    "/help": ("help", False), "/human": ("human", False), "/operator": ("human", False),
    "/privacy": ("privacy", False), "/mydata": ("mydata", False), "/delete": ("erase", False),
    "/book": ("book", False), "/appointments": ("appts", False),
}
#: intent -> verb; an FAQ topic's intent is the verb ``faq`` with the topic (:func:`verb_of`)
INTENTS: dict[str, str] = {
    "greet": "greet", "goodbye": "goodbye", "thanks": "thanks", "affirm": "affirm",
    "deny": "deny", "help_menu": "help", "change_language": "langmenu",
    "human_handover": "human", "book_appointment": "book", "my_appointments": "appts",
    "privacy_data": "privacy",
}
REFERRALS = ("servizi_sociali", "centro_impiego", "sportello_immigrazione", "other")


def verb_of(intent: str) -> tuple[str, str | None] | None:
    """The verb (and argument) an intent asks for; None when it has none."""
    if intent in TOPIC_GROUP:
        return "faq", intent
    verb = INTENTS.get(intent)
    return (verb, None) if verb is not None else None


def _turn(call: Callable[..., Any], *args: Any) -> Handler:
    """A handler that calls ``call(turn, *args)`` (the verb's argument is not used)."""
    async def handler(turn: Turn, arg: str | None) -> None:
        result = call(turn, *args)
        if inspect.isawaitable(result):
            await result
    return handler


def _arg(call: Callable[..., Any], **kw: Any) -> Handler:
    """A handler that calls ``call(turn, argument, **kw)`` (an accepted argument; None when
    the verb takes none)."""
    async def handler(turn: Turn, arg: str | None) -> None:
        result = call(turn, arg, **kw)
        if inspect.isawaitable(result):
            await result
    return handler


def _choice(call: Callable[[Turn, bool], Awaitable[None]]) -> Handler:
    """A handler for a yes/no argument: ``call(turn, argument == "yes")``."""
    async def handler(turn: Turn, arg: str | None) -> None:
        await call(turn, arg == "yes")
    return handler


def route_table(m: Menus, faq: Faq, intake: IntakeFlow, appts: Appointments,
                handover: HandoverFlow, privacy: Privacy, talk: Dialogue, voice: VoiceFlow
                ) -> dict[str, Route]:
    return {
        # first contact, menus, languages, small talk
        "start": Route(_arg(m.start), any_argument, button=False),
        "lang": Route(_switch_language(m, faq, appts), language_key),
        "keep": Route(_arg(m.keep_language), one_of(LANGUAGES)),
        "langmenu": Route(_turn(m.language_menu)),
        "menu": Route(_turn(m.main_menu)),
        "help": Route(_turn(m.help)),
        "greet": Route(_turn(talk.greet), button=False),
        "goodbye": Route(_turn(talk.goodbye), button=False),
        "thanks": Route(_turn(talk.thanks), button=False),
        "affirm": Route(_turn(talk.affirm_or_deny, True), button=False),
        "deny": Route(_turn(talk.affirm_or_deny, False), button=False),
        "yes": Route(_arg(talk.answered, yes=True), one_of("human")),
        "no": Route(_arg(talk.answered, yes=False), one_of("human")),
        # first information
        "group": Route(_arg(faq.group_menu), one_of(GROUPS)),
        "faq": Route(_arg(faq.answer), one_of(TOPIC_GROUP)),
        "listen": Route(_arg(faq.listen), listen_key),
        # a person
        "human": Route(_turn(handover.escalate, "asked")),
        "endhuman": Route(_turn(handover.end_by_citizen)),
        # a voice note's transcript: right, wrong, a person listens
        "heard": Route(_arg(voice.on_confirm), one_of("yes", "no", "person")),
        # privacy
        "privacy": Route(_turn(privacy.notice), button=False),
        "mydata": Route(_turn(privacy.my_data)),
        "erase": Route(_turn(privacy.ask_erase)),
        "eraseok": Route(_turn(privacy.erase_now)),
        # booking: the intake
        "book": Route(_arg(appts.book_topic), lambda a: a is None or a in TOPIC_ROUTE),
        "consent": Route(_choice(appts.on_consent), one_of("yes", "no")),
        "need": Route(_arg(intake.on_need), one_of(INTENT_NEED.values(), "language", "other"),
                      in_intake=True),
        "needs_done": Route(_turn(intake.on_needs_done), in_intake=True),
        "urg": Route(_arg(intake.on_urgency), one_of(URGENCY), in_intake=True),
        "ref": Route(_arg(intake.on_referral), one_of(REFERRALS), in_intake=True),
        "mlang": Route(_arg(intake.on_meeting_language), one_of(LANGUAGES, "more"),
                       in_intake=True),
        "skip": Route(_turn(intake.on_description, None), in_intake=True),
        "roles": Route(_turn(intake.show_roles), in_intake=True),
        "role": Route(_arg(intake.on_role), one_of(ROLE_NAMES), in_intake=True),
        # booking: day and time
        "days": Route(_turn(appts.show_days), in_intake=True),
        "day": Route(_arg(appts.show_times), day_key, in_intake=True),
        "slot": Route(_arg(appts.on_slot), slot_key, in_intake=True),
        # the citizen's appointments, the waiting list
        "appts": Route(_turn(appts.show_appointments)),
        "cancel": Route(_arg(appts.on_cancel, confirmed=False), number),
        "cancelok": Route(_arg(appts.on_cancel, confirmed=True), number),
        "move": Route(_arg(appts.on_move), number),
        "wait": Route(_arg(appts.on_wait), one_of(ROLE_NAMES)),
        "offer": Route(_arg(appts.on_offer, accept=True), number),
        "offerno": Route(_arg(appts.on_offer, accept=False), number),
    }
