"""The engine's replies as Bot API calls: the one button renderer (:func:`keyboard`), long
texts split where Telegram accepts them, documents, answers read aloud (voice messages), and
a pressed keyboard edited in place."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.constants import ChatAction, MessageLimit
from telegram.error import BadRequest, Forbidden, TelegramError

from domain.messages import Button, Reply
from domain.payloads import MAX_BYTES
from domain.speech import Speaker, SpeechFailed

log = logging.getLogger(__name__)

THREAD_LINK = "url:thread."  # a staff button opening a citizen's thread in the staff group


def thread_link(staff_chat: int | None, thread: str) -> str | None:
    """``https://t.me/c/<chat>/<thread>``: opens the citizen's thread for group members."""
    if staff_chat is None or not str(staff_chat).startswith("-100"):
        return None
    return f"https://t.me/c/{str(staff_chat)[4:]}/{thread}"


def keyboard(rows: Sequence[Sequence[Button]],
             staff_chat: int | None = None) -> InlineKeyboardMarkup | None:
    """The inline keyboard of domain buttons (None without any): a button's payload is its
    callback data; a ``url:thread.<id>`` payload is a link to that thread of the staff group
    (left out when the group has no link). A payload longer than Telegram allows is a bug."""
    out = []
    for row in rows:
        cells = []
        for button in row:
            if button.payload.startswith(THREAD_LINK):
                link = thread_link(staff_chat, button.payload.removeprefix(THREAD_LINK))
                if link:
                    cells.append(InlineKeyboardButton(button.label, url=link))
                continue
            if len(button.payload.encode()) > MAX_BYTES:
                raise ValueError("button payload longer than Telegram allows")
            cells.append(InlineKeyboardButton(button.label, callback_data=button.payload))
        if cells:
            out.append(cells)
    return InlineKeyboardMarkup(out) if out else None


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split a long text at line breaks (or spaces) into pieces Telegram accepts."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n ")
    pieces.append(text)
    return pieces


async def send_replies(bot: Any, chat_id: int, replies: list[Reply],
                       pressed: Message | None = None, blocked: Any = None,
                       speaker: Speaker | None = None) -> None:
    """Render the engine's replies as Bot API calls; ``pressed`` is the message whose button
    was pressed, which an ``edit`` reply replaces (a toggled keyboard)."""
    for reply in replies:
        try:
            await send_reply(bot, chat_id, reply, pressed, speaker)
        except Forbidden:
            log.info("a citizen blocked the bot; reply not delivered")
            if blocked is not None:
                await blocked(chat_id)
            return


async def send_reply(bot: Any, chat_id: int, reply: Reply, pressed: Message | None = None,
                     speaker: Speaker | None = None) -> int | None:
    """Send one reply (errors are the caller's); the id of the (last) message sent. A reply
    read aloud is a voice message; its text is sent instead when it cannot be."""
    if reply.voice is not None:
        sent = await send_voice(bot, chat_id, reply, speaker)
        if sent is not None:
            return sent
    if not reply.text and reply.file is None:
        return None  # an event only (relay to a person), or a voice that could not be
    if reply.edit and pressed is not None and reply.file is None:
        try:
            await bot.edit_message_text(
                reply.text[: MessageLimit.MAX_TEXT_LENGTH], chat_id=chat_id,
                message_id=pressed.message_id, reply_markup=keyboard(reply.buttons))
            return pressed.message_id
        except BadRequest:
            pass  # too old to edit, or unchanged: send it instead
    if reply.file is not None:
        sent = await bot.send_document(
            chat_id, InputFile(reply.file.content, filename=reply.file.filename),
            caption=reply.text[: MessageLimit.CAPTION_LENGTH] or None,
            reply_markup=keyboard(reply.buttons),
        )
        return int(sent.message_id)
    pieces = split_text(reply.text)
    last_id = None
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        sent = await bot.send_message(
            chat_id, piece, reply_markup=keyboard(reply.buttons) if last else None,
            link_preview_options=None,
        )
        last_id = int(sent.message_id)
    return last_id


async def send_voice(bot: Any, chat_id: int, reply: Reply,
                     speaker: Speaker | None) -> int | None:
    """The reply's :class:`~domain.messages.Speech` as a voice message (sendVoice, OGG/Opus):
    by Telegram's id when this sound was uploaded before, else made (off the event loop,
    kept) and uploaded. None when it cannot be (no speaker or voice, the synthesis failed,
    Telegram refused it: a citizen may refuse voice messages): the caller sends the text.
    Other Bot API errors are the caller's, as for any reply."""
    voice = reply.voice
    if voice is None or speaker is None or voice.language not in speaker.languages:
        return None
    markup = keyboard(reply.buttons)
    caption = voice.caption[: MessageLimit.CAPTION_LENGTH] or None
    key = speaker.key(voice.text, voice.language)
    known = speaker.file_id(key)
    if known:
        try:
            sent = await bot.send_voice(chat_id, known, caption=caption, reply_markup=markup)
            return int(sent.message_id)
        except BadRequest:  # another bot's id, or gone: upload it again
            speaker.remember(key, None)
    try:
        await bot.send_chat_action(chat_id, ChatAction.RECORD_VOICE)
    except TelegramError:
        pass  # only a courtesy while the sound is made
    try:
        spoken = await speaker.speak(voice.text, voice.language)
    except SpeechFailed as exc:
        log.warning("an answer could not be read aloud (%s)", exc)
        return None
    try:
        sent = await bot.send_voice(
            chat_id, InputFile(spoken.audio, filename="answer.ogg"), caption=caption,
            duration=max(1, math.ceil(spoken.seconds)), reply_markup=markup)
    except BadRequest as exc:
        log.info("a voice message was refused (%s); the text instead", exc.message)
        return None
    if sent.voice is not None:
        speaker.remember(key, sent.voice.file_id)
    return int(sent.message_id)
