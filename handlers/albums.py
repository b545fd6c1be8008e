"""A citizen's album, sent as one message per part (one update each), gathered again into one
``copyMessages`` for their thread, which keeps it one album, in order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Message

ALBUM_WAIT = 1.0  # an album's parts come as separate updates within this of each other


@dataclass
class Album:
    group: str
    citizen_id: int
    thread: int | None
    reply_to: int | None
    ids: list[int]
    done: asyncio.Future[None]
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task[None] | None = None


@dataclass
class Albums:
    """The parts of a citizen's album (one update each) gathered into one ``copyMessages``,
    which keeps them one album, in order. A part's update is confirmed only once the album
    was copied, so a crash in between has the parts delivered again."""

    wait: float = ALBUM_WAIT
    open: dict[int, Album] = field(default_factory=dict)
    sending: dict[int, Album] = field(default_factory=dict)

    def add(self, message: Message, thread: int | None, reply_to: int | None,
            copy: Callable[[Album], Awaitable[None]]) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        citizen_id = message.chat_id
        album = self.open.get(citizen_id)
        if album is None:
            album = Album(str(message.media_group_id), citizen_id, thread, reply_to, [],
                           loop.create_future())
            self.open[citizen_id] = album
        album.ids.append(message.message_id)
        if album.timer is not None:  # complete once no part came for a moment
            album.timer.cancel()
        album.timer = loop.call_later(self.wait, self._complete, album, copy)
        return album.done

    def _complete(self, album: Album, copy: Callable[[Album], Awaitable[None]]) -> None:
        album.task = asyncio.get_running_loop().create_task(self._send_quietly(album, copy))

    async def settle(self, citizen_id: int,
                     copy: Callable[[Album], Awaitable[None]]) -> None:
        """Before anything else of this citizen is relayed, their album goes first."""
        album = self.open.get(citizen_id)
        if album is not None:
            if album.timer is not None:
                album.timer.cancel()
            await self._send(album, copy)
        sending = self.sending.get(citizen_id)
        if sending is not None:
            await asyncio.wait([sending.done])  # its failure is its parts' to handle

    async def _send_quietly(self, album: Album,
                            copy: Callable[[Album], Awaitable[None]]) -> None:
        try:
            await self._send(album, copy)
        except Exception:
            pass  # handed to the parts through ``done``

    async def _send(self, album: Album, copy: Callable[[Album], Awaitable[None]]) -> None:
        if self.open.get(album.citizen_id) is not album:
            return
        del self.open[album.citizen_id]
        self.sending[album.citizen_id] = album
        try:
            await copy(album)
        except BaseException as exc:
            if not album.done.done():
                album.done.set_exception(exc)
            raise
        else:
            album.done.set_result(None)
        finally:
            if self.sending.get(album.citizen_id) is album:
                del self.sending[album.citizen_id]
