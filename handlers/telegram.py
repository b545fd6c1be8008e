"""The Telegram adapter's public names, kept here for bot/ and the tests; each lives in a
module of one job:

- handlers/application.py: ``build_application`` (which update goes to which handler),
  ``on_staff`` (the staff group), ``on_member``, ``on_error``, ``BOT_API_CONNECTIONS``.
- handlers/context.py: ``BotData`` (the typed ``bot_data``), ``Context``, ``WORKER``.
- handlers/citizen.py: a citizen's update as one turn: ``on_message``, ``on_button``,
  ``on_edited``, ``content_type``, ``SLOW_DOWN``, ``SORRY``,
  ``is_stale_connection``.
- handlers/render.py: replies as Bot API calls, the one button renderer: ``keyboard``,
  ``split_text``, ``send_reply``, ``send_replies``.
- handlers/delivery.py: the outbox job: ``deliver_due``, ``deliver_due_now``.
- handlers/deadletters.py: updates given up on: ``retry_later``, ``put_aside``, ``give_up``,
  ``sorry_for_good``, ``SORRY_FOR_GOOD``, ``MENU_BUTTON``, ``PERSON_BUTTON``.
- handlers/commands.py: the command menu and a command's name: ``COMMANDS``,
  ``DESCRIPTION``, ``SHORT_DESCRIPTION``, ``publish_commands``, ``parse_command``.

The hand-over relay is handlers/handover.py (citizen -> staff), handlers/staff_relay.py
(staff -> citizen), handlers/topics.py (the citizen's forum topic), handlers/albums.py; staff
tools are handlers/staff.py.
"""

from __future__ import annotations

from handlers.application import (
    BOT_API_CONNECTIONS,
    build_application,
    on_error,
    on_member,
    on_staff,
)
from handlers.citizen import (
    SLOW_DOWN,
    SORRY,
    content_type,
    is_stale_connection,
    on_button,
    on_edited,
    on_message,
)
from handlers.commands import (
    COMMANDS,
    DESCRIPTION,
    SHORT_DESCRIPTION,
    parse_command,
    publish_commands,
)
from handlers.context import WORKER, BotData, Context
from handlers.deadletters import (
    MENU_BUTTON,
    PERSON_BUTTON,
    SORRY_FOR_GOOD,
    give_up,
    put_aside,
    retry_later,
    sorry_for_good,
)
from handlers.delivery import deliver_due, deliver_due_now
from handlers.render import keyboard, send_replies, send_reply, split_text

__all__ = [
    "BOT_API_CONNECTIONS", "COMMANDS", "DESCRIPTION", "MENU_BUTTON", "PERSON_BUTTON",
    "SHORT_DESCRIPTION", "SLOW_DOWN", "SORRY", "SORRY_FOR_GOOD", "WORKER",
    "BotData", "Context", "build_application", "content_type", "deliver_due",
    "deliver_due_now", "give_up", "is_stale_connection", "keyboard", "on_button",
    "on_edited", "on_error", "on_member", "on_message", "on_staff", "parse_command",
    "publish_commands", "put_aside", "retry_later", "send_replies", "send_reply",
    "sorry_for_good", "split_text",
]
