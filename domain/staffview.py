"""What staff are shown (:class:`StaffView`, :class:`StaffAnswer`) and the first rule of every
staff tool: who asks. The rules themselves are listed in :mod:`domain.staff`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from domain.messages import Button
from domain.model import OutboundMessage, StaffMember
from domain.ports import UnitOfWork
from domain.text import N_, Say

log = logging.getLogger(__name__)
COORDINATORS_ONLY = N_("Only a coordinator can do this.")


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
