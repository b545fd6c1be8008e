"""The replies every flow shares: the main menu and its buttons, help, the language menu, the
welcome, the way to a person at the office, the emergency numbers, the answer to what cannot
be read. No flow of its own: each flow is given a :class:`Menus`."""

from __future__ import annotations

from domain import payloads
from domain.content import GROUP_LABELS, GROUPS
from domain.events import Emergency
from domain.formatting import opening_hours
from domain.languages import (
    LANGUAGES,
    NATIVE_NAMES,
    isolate,
    menu_rows,
    normalise_language,
)
from domain.messages import Button, ContentType, Reply
from domain.model import ConversationState, referral_from_payload
from domain.text import GENERAL_INFORMATION, Say
from domain.turn import Services, Turn


def in_danger_call(say: Say) -> str:
    return say._("If you or someone else is in danger now, call {number}. It is free, from any "
                 "phone, day and night.", number="112")


class Menus:
    def __init__(self, services: Services) -> None:
        self.s = services

    def home(self, turn: Turn) -> list[Button]:
        return [Button("🏠 " + turn.say._("Main menu"), payloads.make("menu"))]

    def menu_buttons(self, turn: Turn, language_button: bool = False) -> list[list[Button]]:
        say = turn.say
        groups = [Button(say._(GROUP_LABELS[g]), payloads.make("group", g)) for g in GROUPS]
        rows = [groups[i:i + 2] for i in range(0, len(groups), 2)]
        rows.append([Button("📅 " + say._("Book an appointment"), payloads.make("book")),
                     Button("📋 " + say._("My appointments"), payloads.make("appts"))])
        rows.append([Button(say._("🙋 Talk to a person"), payloads.make("human")),
                     Button("🆘 " + say._("Emergency numbers"),
                            payloads.make("faq", "faq_emergency_numbers"))])
        if language_button:
            rows.append([Button("🌐 " + say._("Change language"), payloads.make("langmenu"))])
        return rows

    def main_menu(self, turn: Turn, text: str | None = None, language_button: bool = False
                  ) -> None:
        turn.conversation.state = ConversationState.IDLE
        turn.reply(text or turn.say._("Main menu. Choose a topic:"),
                   self.menu_buttons(turn, language_button))

    def no_longer_valid(self, turn: Turn) -> None:
        self.main_menu(turn, turn.say._("That button is no longer valid. Here is the menu again."))

    def help(self, turn: Turn) -> None:
        turn.reply(turn.say._(
            "I am an automated assistant, not a person. Write your question in your own words, "
            "in your language, or use the buttons.\n\n/menu – main menu\n/appointments – your "
            "appointments\n/language – change language\n/human – talk to a person\n"
            "/privacy – your data\n/help – this help"
        ) + "\n\n" + turn.say._(GENERAL_INFORMATION),
            self.menu_buttons(turn, language_button=True))

    # -- languages --------------------------------------------------------------------------

    def language_menu(self, turn: Turn) -> None:
        buttons = [Button(NATIVE_NAMES[c], payloads.make("lang", c)) for c in LANGUAGES]
        turn.reply(turn.say._("Choose your language:"), menu_rows(buttons))

    def set_language(self, turn: Turn, language: str) -> None:
        turn.citizen.language = language
        turn.citizen.language_chosen = True
        turn.say = Say(self.s.translations, language)

    def choose_language(self, turn: Turn, language: str) -> None:
        self.set_language(turn, language)
        self.welcome(turn)

    def keep_language(self, turn: Turn, declined: str) -> None:
        turn.conversation.data.declined_languages.append(declined)
        self.main_menu(turn, turn.say._("Fine, we continue in this language."))

    # -- first contact ----------------------------------------------------------------------

    def start(self, turn: Turn, argument: str) -> None:
        referral = referral_from_payload(argument)
        if referral and turn.citizen.referral is None:
            turn.citizen.referral = referral
        hint = normalise_language(turn.inbound.language_hint)
        if turn.citizen.language_chosen or hint:
            self.welcome(turn)
        else:
            self.language_menu(turn)

    def welcome(self, turn: Turn) -> None:
        self.main_menu(turn, turn.say._(
            "Welcome! I am the automated assistant of the TEAMS service: a computer program, "
            "not a person. I answer first questions about documents, health, work, school and "
            "housing, and I help you reach the TEAMS staff. Write your question in your own "
            "words, or choose a topic."
        ), language_button=True)

    # -- a person, and danger ---------------------------------------------------------------

    def office_reply(self, say: Say, lead: str | None = None) -> Reply:
        """How to reach a person at the office: contacts and opening hours."""
        directory = self.s.directory
        return Reply(
            (lead + "\n\n" if lead else "")
            + say._("A person from the TEAMS service can help you. Contact the office:")
            + "\n\n" + directory.contacts_text(say.language) + "\n\n" + say._("Opening hours:")
            + "\n" + opening_hours(directory.main_office, say.language),
            [[Button("🏠 " + say._("Main menu"), payloads.make("menu"))]])

    def emergency_reply(self, say: Say) -> Reply:
        """112, 1522 and the directory's lines: never waits for a person or the database."""
        lines = [
            in_danger_call(say),
            say._("Violence or stalking against women: call {number}, free, day and night, in "
                  "several languages.", number="1522"),
        ]
        for contact in self.s.directory.emergency_contacts:
            details = ", ".join(isolate(x, say.language) for x in (contact.phone, contact.hours)
                                if x)
            lines.append(f"• {isolate(contact.name, say.language)}: {details}")
        return Reply("🚨 " + "\n\n".join(lines),
                     [[Button(say._("🙋 Talk to a person"), payloads.make("human"))]],
                     event=Emergency())

    def media(self, turn: Turn) -> None:
        """What cannot be read: stickers, photos, voice. A voice or a video may be someone
        speaking, and cannot be read for danger: the number goes with the answer."""
        say, kind = turn.say, turn.inbound.content_type
        if kind in (ContentType.VOICE, ContentType.AUDIO):
            text = say._("I can't listen to voice messages yet. Please write your question in "
                         "words, in your language, or choose a topic.")
            text += "\n\n🚨 " + in_danger_call(say)
        elif kind == ContentType.STICKER:
            text = say._("Nice sticker! I understand only written words. Write your question "
                         "or choose a topic.")
        elif kind in (ContentType.PHOTO, ContentType.VIDEO, ContentType.DOCUMENT):
            text = say._("I can't read photos, videos or files. Please don't send documents "
                         "here: write your question in words, or choose a topic.")
            if kind == ContentType.VIDEO:  # a video note may be someone speaking
                text += "\n\n🚨 " + in_danger_call(say)
        else:
            text = say._("I can only read written messages. Write your question or choose "
                         "a topic.")
        self.main_menu(turn, text)
