"""The bot's commands: the menu published in every language, and reading a command's name."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand
from telegram.error import TelegramError
from telegram.ext import Application

from domain.languages import LANGUAGES
from domain.ports import Translations
from domain.text import N_

log = logging.getLogger(__name__)

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Start again")),
    ("menu", N_("Main menu")),
    ("appointments", N_("My appointments")),
    ("language", N_("Change language")),
    ("human", N_("Talk to a person")),
    ("privacy", N_("Your data")),
    ("help", N_("Help")),
)
DESCRIPTION = N_(
    "Automated assistant of TEAMS, the orientation service for foreign citizens. Ask about "
    "documents, health, work, school and housing in your language, or reach a person."
)
SHORT_DESCRIPTION = N_("TEAMS orientation service: answers in your language.")


def parse_command(text: str) -> tuple[str, str]:
    """A message's first word, lower case and without ``@botname`` (``/agenda@TeamsBot``
    is ``/agenda``), and the rest after the first space."""
    command, _, argument = text.strip().partition(" ")
    return command.split("@", 1)[0].lower(), argument


async def publish_commands(application: Application[Any, Any, Any, Any, Any, Any],
                           translations: Translations, default_language: str) -> None:
    """Set the command menu and descriptions in every launch language."""
    bot = application.bot
    for language in (None, *LANGUAGES):
        lang = language or default_language
        commands = [BotCommand(name, translations.gettext(lang, text))
                    for name, text in COMMANDS]
        try:
            await bot.set_my_commands(commands, language_code=language)
            await bot.set_my_description(translations.gettext(lang, DESCRIPTION),
                                         language_code=language)
            await bot.set_my_short_description(translations.gettext(lang, SHORT_DESCRIPTION),
                                               language_code=language)
        except TelegramError as exc:
            log.warning("could not set commands for %s: %s", language or "default",
                        type(exc).__name__)
