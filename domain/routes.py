"""One route table: a command, a button and an intent reach the same verb, and each verb says
once which argument it accepts. A new button is one line here (and its label where it is
shown); anything a table does not accept is a stale or forged button, answered kindly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from domain.appointments import Appointments
from domain.booking import INTENT_NEED, ROLE_NAMES
from domain.content import GROUPS, TOPIC_GROUP, TOPIC_ROUTE
from domain.dialogue import Dialogue
from domain.faq import Faq
from domain.handover import HandoverFlow
from domain.intake import IntakeFlow
from domain.languages import LANGUAGES
from domain.menus import Menus
from domain.privacy import Privacy
from domain.turn import Turn

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


def _text(call: Callable[[Turn, str], None]) -> Handler:
    async def handler(turn: Turn, arg: str | None) -> None:
        call(turn, arg or "")
    return handler


def _bare(call: Callable[[Turn], None]) -> Handler:
    async def handler(turn: Turn, arg: str | None) -> None:
        call(turn)
    return handler


def _bare_async(call: Callable[[Turn], Awaitable[None]]) -> Handler:
    async def handler(turn: Turn, arg: str | None) -> None:
        await call(turn)
    return handler


def route_table(m: Menus, faq: Faq, intake: IntakeFlow, appts: Appointments,
                handover: HandoverFlow, privacy: Privacy, talk: Dialogue) -> dict[str, Route]:
    async def book(turn: Turn, arg: str | None) -> None:
        topic = arg if arg in TOPIC_ROUTE else ""
        await appts.start_booking(turn, TOPIC_ROUTE.get(topic), INTENT_NEED.get(topic))

    async def human(turn: Turn, arg: str | None) -> None:
        await handover.escalate(turn, "asked")

    async def skip(turn: Turn, arg: str | None) -> None:
        intake.on_description(turn, None)

    async def consent(turn: Turn, arg: str | None) -> None:
        await appts.on_consent(turn, arg == "yes")

    async def slot(turn: Turn, arg: str | None) -> None:
        await appts.on_slot(turn, arg or "", taken=turn.slot_taken)

    async def day(turn: Turn, arg: str | None) -> None:
        await appts.show_times(turn, arg or "")

    def answer(yes: bool) -> Handler:
        async def handler(turn: Turn, arg: str | None) -> None:
            await talk.yes_no(turn, yes, arg)
        return handler

    def in_words(yes: bool) -> Handler:
        async def handler(turn: Turn, arg: str | None) -> None:
            await talk.affirm_or_deny(turn, yes)
        return handler

    def cancel(confirmed: bool) -> Handler:
        async def handler(turn: Turn, arg: str | None) -> None:
            await appts.on_cancel(turn, arg, confirmed=confirmed)
        return handler

    def offer(accept: bool) -> Handler:
        async def handler(turn: Turn, arg: str | None) -> None:
            await appts.on_offer(turn, arg, accept=accept)
        return handler

    async def move(turn: Turn, arg: str | None) -> None:
        await appts.on_move(turn, arg)

    async def wait(turn: Turn, arg: str | None) -> None:
        await appts.on_wait(turn, arg or "")

    return {
        # first contact, menus, languages, small talk
        "start": Route(_text(m.start), any_argument, button=False),
        "lang": Route(_text(m.choose_language), one_of(LANGUAGES)),
        "keep": Route(_text(m.keep_language), one_of(LANGUAGES)),
        "langmenu": Route(_bare(m.language_menu)),
        "menu": Route(_bare(m.main_menu)),
        "help": Route(_bare(m.help)),
        "greet": Route(_bare(talk.greet), button=False),
        "goodbye": Route(_bare(talk.goodbye), button=False),
        "thanks": Route(_bare(talk.thanks), button=False),
        "affirm": Route(in_words(True), button=False),
        "deny": Route(in_words(False), button=False),
        "yes": Route(answer(True), one_of("human")),
        "no": Route(answer(False), one_of("human")),
        # first information
        "group": Route(_text(faq.group_menu), one_of(GROUPS)),
        "faq": Route(_text(faq.answer), one_of(TOPIC_GROUP)),
        # a person
        "human": Route(human),
        "endhuman": Route(_bare_async(handover.end_by_citizen)),
        # privacy
        "privacy": Route(_bare(privacy.notice), button=False),
        "mydata": Route(_bare_async(privacy.my_data)),
        "erase": Route(_bare(privacy.ask_erase)),
        "eraseok": Route(_bare_async(privacy.erase_now)),
        # booking: the intake
        "book": Route(book, lambda a: a is None or a in TOPIC_ROUTE),
        "consent": Route(consent, one_of("yes", "no")),
        "need": Route(_text(intake.on_need), one_of(INTENT_NEED.values(), "language", "other"),
                      in_intake=True),
        "needs_done": Route(_bare(intake.on_needs_done), in_intake=True),
        "urg": Route(_text(intake.on_urgency), one_of("week", "month", "later"),
                     in_intake=True),
        "ref": Route(_text(intake.on_referral), one_of(REFERRALS), in_intake=True),
        "mlang": Route(_text(intake.on_meeting_language), one_of(LANGUAGES, "more"),
                       in_intake=True),
        "skip": Route(skip, in_intake=True),
        "roles": Route(_bare(intake.show_roles), in_intake=True),
        "role": Route(_text(intake.on_role), one_of(ROLE_NAMES), in_intake=True),
        # booking: day and time
        "days": Route(_bare_async(appts.show_days), in_intake=True),
        "day": Route(day, day_key, in_intake=True),
        "slot": Route(slot, slot_key, in_intake=True),
        # the citizen's appointments, the waiting list
        "appts": Route(_bare_async(appts.show_appointments)),
        "cancel": Route(cancel(False), number),
        "cancelok": Route(cancel(True), number),
        "move": Route(move, number),
        "wait": Route(wait, one_of(ROLE_NAMES)),
        "offer": Route(offer(True), number),
        "offerno": Route(offer(False), number),
    }
