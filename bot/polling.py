"""Long polling that loses nothing across a crash.

PTB's own ``Updater`` asks Telegram for the next updates as soon as it has queued the
previous ones, and asking with a higher ``offset`` is what tells Telegram they were
received: a process killed while handling them loses them for good. Here a batch is
acknowledged only after every update in it was handled (committed, replies sent and
confirmed), so after a crash Telegram delivers the batch again; the update log makes the
handled ones no-ops and re-sends replies that were kept but never confirmed sent, as in
webhook mode.

One citizen's updates in a batch are handled one after another, in Telegram's order;
different citizens' at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 25
MAX_BACKOFF_SECONDS = 30.0


def _sender(update: Update) -> int | None:
    user = update.effective_user
    if user is not None:
        return user.id
    chat = update.effective_chat
    return chat.id if chat is not None else None


class DurablePolling:
    def __init__(self, application: Any, allowed_updates: Sequence[str] | None = None,
                 poll_seconds: int = LONG_POLL_SECONDS) -> None:
        self.application = application
        self.allowed_updates = list(allowed_updates) if allowed_updates else None
        self.poll_seconds = poll_seconds
        self.offset: int | None = None
        self.stopping = asyncio.Event()

    def stop(self) -> None:
        self.stopping.set()

    async def run(self) -> None:
        """Fetch, handle, acknowledge, until :meth:`stop`. A batch being handled when the
        stop comes is finished first; a pending long poll is abandoned."""
        bot = self.application.bot
        await self._call(lambda: bot.delete_webhook(drop_pending_updates=False))
        while not self.stopping.is_set():
            updates = await self._call(lambda: bot.get_updates(
                offset=self.offset, timeout=self.poll_seconds,
                read_timeout=self.poll_seconds + 10, allowed_updates=self.allowed_updates))
            if updates:
                await self.handle_batch(updates)

    async def handle_batch(self, updates: Sequence[Update]) -> None:
        """Handle a batch and move the offset past what may be acknowledged: everything
        before the first update that must be tried again (storage away, network down)."""
        queues: dict[int | None, list[Update]] = defaultdict(list)
        for update in updates:
            queues[_sender(update)].append(update)
        failed = self.application.bot_data.failed

        async def in_order(queue: list[Update]) -> None:
            for update in queue:
                await self.application.process_update(update)
                if update.update_id in failed:
                    return  # this citizen's later updates wait for it

        await asyncio.gather(*(in_order(queue) for queue in queues.values()))
        retry = sorted(u.update_id for u in updates if u.update_id in failed)
        failed.difference_update(u.update_id for u in updates)
        if retry:
            self.offset = retry[0]  # handled ones after it come again and are skipped
            await self._pause(5.0)
        else:
            self.offset = updates[-1].update_id + 1

    async def _call(self, request: Any) -> Any:
        """A Bot API call, retried with back-off until it succeeds or we stop."""
        delay = 1.0
        while not self.stopping.is_set():
            call = asyncio.ensure_future(request())
            stop = asyncio.ensure_future(self.stopping.wait())
            done, _ = await asyncio.wait({call, stop}, return_when=asyncio.FIRST_COMPLETED)
            if call not in done:
                call.cancel()
                await asyncio.gather(call, return_exceptions=True)
                return None
            stop.cancel()
            try:
                return call.result()
            except InvalidToken:
                raise
            except RetryAfter as exc:
                wait = exc.retry_after
                await self._pause(wait if isinstance(wait, int | float) else
                                  wait.total_seconds())
            except Conflict:
                log.error("another process is polling with this token (or a webhook is "
                          "set); retrying")
                await self._pause(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
            except (NetworkError, TimedOut) as exc:
                log.warning("Bot API unreachable (%s); retrying in %.0f s",
                            type(exc).__name__, delay)
                await self._pause(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
        return None

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass
