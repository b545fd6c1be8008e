"""What staff are shown (:class:`StaffView`, :class:`StaffAnswer`) and the first rule of every
staff tool: who asks. The rules themselves are listed in :mod:`domain.staff`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domain.booking import ROLE_NAMES
from domain.languages import LANGUAGES
from domain.messages import Button
from domain.model import OutboundMessage, StaffMember
from domain.ports import UnitOfWork
from domain.text import N_, Say

if TYPE_CHECKING:
    from domain.turn import Services

log = logging.getLogger(__name__)
COORDINATORS_ONLY = N_("Only a coordinator can do this.")
#: Human labels for staff, instead of the stored words.
STATUS_LABELS = {"active": N_("booked"), "attended": N_("attended"),
                 "no_show": N_("did not come"), "cancelled": N_("cancelled")}
STAFF_ROLE_LABELS = {**ROLE_NAMES, "coordinator": N_("coordinator"),
                     "admin": N_("administrator")}


@dataclass
class StaffAnswer:
    """The answer to a staff button; ``remove_from_group``: the channel removes this user
    from the staff group, then confirms with :meth:`StaffDesk.removed_from_group`."""

    text: str
    outbound: list[OutboundMessage] = field(default_factory=list)
    remove_from_group: int | None = None
    view: StaffView | None = None  # messages with buttons, shown instead of ``text``


@dataclass
class StaffView:
    """Messages for a staff member: text with staff buttons (payloads start with ``stf:``)."""

    messages: list[tuple[str, list[list[Button]]]] = field(default_factory=list)
    personal: bool = False  # it names citizens (or a private address): private chats only
    force_reply: bool = False  # the last message asks for a reply (a correction's prompt)

    def add(self, text: str, buttons: list[list[Button]] | None = None) -> None:
        self.messages.append((text, buttons or []))


async def coordinator(uow: UnitOfWork, user_id: int, doing: str, say: Say
                      ) -> tuple[StaffMember | None, StaffView]:
    """Who asks, for a coordinators-only command: None when they are not staff; the
    view holds the refusal when they are staff but not a coordinator."""
    member = await uow.staff.get(user_id)
    view = StaffView()
    if member is not None and not member.sees_everyone:
        log.info("staff command refused: %s needs a coordinator", doing)
        view.add(say._(COORDINATORS_ONLY))
    return member, view


def staff_say(services: Services, member: StaffMember | None) -> Say:
    """A staff member's language: Italian (the service's) by default, or the first language
    of theirs in the registry when they do not list the service's."""
    default = services.config.default_language
    known = [lang for lang in member.languages if lang in LANGUAGES] if member else []
    return services.say(default if not known or default in known else known[0])


def label(say: Say, labels: dict[str, str], word: str | None) -> str:
    """The human label of a stored word (a status, a role) in ``say``'s language; the word
    itself when it has none (``-`` for nothing)."""
    if not word:
        return "-"
    return say._(labels[word]) if word in labels else word


def language_label(say: Say, code: str | None) -> str:
    """A citizen's language for staff, named in the staff's language: ``francese (fr)``."""
    if not code:
        return "-"
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(say.language).languages.get(code)
    except (UnknownLocaleError, ValueError):
        name = None
    return f"{name} ({code})" if name else code
