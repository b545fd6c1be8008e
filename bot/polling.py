"""Long polling that loses nothing across a crash.

PTB's own ``Updater`` asks Telegram for the next updates as soon as it has queued the
previous ones, and asking with a higher ``offset`` is what tells Telegram they were
received: a process killed while handling them loses them for good. Here a batch is
acknowledged only after every update in it was handled (committed, replies sent and
confirmed), so after a crash Telegram delivers the batch again; the update log makes the
handled ones no-ops and re-sends replies that were kept but never confirmed sent, as in
webhook mode.

One citizen's updates in a batch are handled one after another, in Telegram's order;
different citizens' at once (an album's parts are started together, so that they are copied
to the staff as one album; they still take their turns in order). A batch waits at most
``LINGER_SECONDS`` for a citizen whose messages are slow to handle (a flood being slowed
down): their queue goes on in the background, unacknowledged, while the next batch brings
everybody else's messages; updates still being handled are not dispatched twice.

One update never holds the others (handlers/failures.py): a permanent failure is put aside at
once (a dead letter, one kind answer); a transient one is tried again, and given up on (put
aside the same way) after ``GIVE_UP_TRIES`` tries over ``GIVE_UP_SECONDS``, provided the
dead letter can be written: while the database is away nothing is put aside, everything
waits. Updates are fetched raw and parsed one by one, so one that PTB cannot parse (a Bot
API server of another version) is put aside alone; the raw batch is never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import warnings
from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from telegram import Update
from telegram.error import (
    Conflict,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from handlers.failures import Attempts, raw_origin, retry_seconds
from handlers.telegram import give_up, put_aside

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 25
MAX_BACKOFF_SECONDS = 30.0
RETRY_PAUSE_SECONDS = 5.0
LINGER_SECONDS = 2.0
#: A getUpdates answer that is not JSON is fetched again (a truncated response); the same
#: this many times in a row, its update ids are read from it and put aside.
MALFORMED_TRIES = 3
_UPDATE_ID = re.compile(rb'(?<!\\)"update_id"\s*:\s*(\d+)')


def _query(values: dict[str, Any]) -> str:
    """Parameters in the URL's query string, JSON-encoded, as the Bot API takes them."""
    return urlencode({k: v if isinstance(v, str) else json.dumps(v)
                      for k, v in values.items() if v is not None})


class _Malformed(NetworkError):
    def __init__(self, update_ids: list[int]) -> None:
        super().__init__("getUpdates answered something that is not JSON")
        self.update_ids = update_ids


def _answer(code: int, payload: bytes) -> list[Any]:
    """The result of a raw getUpdates call; errors raised as PTB raises them, and nothing of
    the payload is ever logged (it holds citizens' messages)."""
    try:
        body = json.loads(payload.decode("utf-8", "replace"))
    except ValueError:
        body = None
    if 200 <= code <= 299:
        if isinstance(body, dict) and isinstance(body.get("result"), list):
            return list(body["result"])
        raise _Malformed([int(n) for n in _UPDATE_ID.findall(payload)])
    description = body.get("description") if isinstance(body, dict) else None
    parameters = body.get("parameters") if isinstance(body, dict) else None
    if isinstance(parameters, dict) and parameters.get("retry_after"):
        with warnings.catch_warnings():  # PTB warns about retry_after's future type
            warnings.simplefilter("ignore")
            raise RetryAfter(int(parameters["retry_after"]))
    message = f"{description or 'HTTP error'} ({code})"
    if code in (401, 404):
        raise InvalidToken(message)
    if code == 409:
        raise Conflict(message)
    raise NetworkError(message)


def _album_at(queue: list[Update], index: int) -> list[Update]:
    """The updates from ``index`` that are parts of one album (or the one update there)."""
    first = queue[index].effective_message
    group_id = first.media_group_id if first is not None else None
    if group_id is None:
        return [queue[index]]
    end = index + 1
    while end < len(queue):
        message = queue[end].effective_message
        if message is None or message.media_group_id != group_id:
            break
        end += 1
    return queue[index:end]


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
        self.attempts = Attempts()  # transient failures per update
        self.retry_pause = RETRY_PAUSE_SECONDS
        self.linger = LINGER_SECONDS
        self._malformed = 0
        self.in_flight: set[int] = set()  # updates being handled (some from earlier batches)
        self._queues: set[asyncio.Task[None]] = set()

    def stop(self) -> None:
        self.stopping.set()

    async def run(self) -> None:
        """Fetch, handle, acknowledge, until :meth:`stop`. A batch being handled when the
        stop comes is finished first; a pending long poll is abandoned."""
        bot = self.application.bot
        await self._call(lambda: bot.delete_webhook(drop_pending_updates=False))
        while not self.stopping.is_set():
            items = await self._call(self._fetch)
            if items:
                await self.handle_raw(items)
        if self._queues:  # what was begun is finished before the process goes
            await asyncio.gather(*self._queues, return_exceptions=True)

    async def _fetch(self) -> list[Any]:
        """getUpdates, raw: PTB's ``get_updates`` parses the whole batch at once (one bad
        update fails them all) and logs the raw batch when it cannot."""
        bot = self.application.bot
        request = self.application.bot_data.updates_request or bot.request
        query = _query({"offset": self.offset, "timeout": self.poll_seconds,
                        "allowed_updates": self.allowed_updates})
        try:
            code, payload = await request.do_request(
                f"{bot.base_url}/getUpdates?{query}", "POST",
                read_timeout=self.poll_seconds + 10)
        except TelegramError:
            raise
        except Exception as exc:
            raise NetworkError(f"getUpdates failed: {type(exc).__name__}") from None
        try:
            items = _answer(code, payload)
        except _Malformed as exc:
            self._malformed += 1
            if self._malformed < MALFORMED_TRIES or not exc.update_ids:
                raise
            self._malformed = 0
            return [{"update_id": n, "malformed": True} for n in exc.update_ids]
        self._malformed = 0
        return items

    async def handle_raw(self, items: Sequence[Any]) -> None:
        """Parse each update alone; one that cannot be parsed is put aside by itself."""
        bot = self.application.bot
        updates: list[Update] = []
        aside: list[int] = []
        held: list[int] = []
        for item in items:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                update_id = None
            try:
                if update_id is None or item.get("malformed"):
                    raise ValueError("not an update")
                updates.append(Update.de_json(item, bot))
                continue
            except Exception as exc:
                error: BaseException = exc
            kind, user, chat, language = raw_origin(item)
            recorded = await put_aside(bot, self.application.bot_data, update_id, "parse",
                                       error, citizen=user, chat_id=chat,
                                       language_hint=language, kind=kind)
            if update_id is not None:
                (aside if recorded else held).append(update_id)
        await self.handle_batch(updates, aside, held)

    async def handle_batch(self, updates: Sequence[Update], aside: Sequence[int] = (),
                           held: Sequence[int] = ()) -> None:
        """Handle a batch and move the offset past what may be acknowledged: everything
        before the first update that must be tried again (storage away, network down).
        ``aside`` were put aside already; ``held`` could not be parsed nor put aside."""
        queues: dict[int | None, list[Update]] = defaultdict(list)
        for update in updates:
            if update.update_id not in self.in_flight:  # not still being handled
                queues[_sender(update)].append(update)
        waiting: set[int] = set()
        for queue in queues.values():
            self.in_flight.update(u.update_id for u in queue)
            task = asyncio.ensure_future(self._in_order(queue, waiting))
            self._queues.add(task)
            task.add_done_callback(self._queues.discard)
        if self._queues:
            await asyncio.wait(set(self._queues), timeout=self.linger)
        await self._acknowledge(updates, aside, held, waiting)

    async def _in_order(self, queue: list[Update], waiting: set[int]) -> None:
        """One sender's updates, one after the other; after a failure the rest wait (their
        ids are added to ``waiting``)."""
        failed = self.application.bot_data.failed
        try:
            index = 0
            while index < len(queue):
                group = _album_at(queue, index)
                for update in group:
                    failed.discard(update.update_id)  # an earlier try's failure is old
                # An album's parts together: each waits for the whole album's copy.
                await asyncio.gather(*(self.application.process_update(update)
                                       for update in group))
                for update in group:
                    self.in_flight.discard(update.update_id)
                index += len(group)
                if any(update.update_id in failed for update in group):
                    # this citizen's later updates wait for it
                    waiting.update(u.update_id for u in queue[index:])
                    return
        finally:
            self.in_flight.difference_update(u.update_id for u in queue)

    async def _acknowledge(self, updates: Sequence[Update], aside: Sequence[int],
                           held: Sequence[int], waiting: set[int]) -> None:
        """Move the offset: up to the first update to try again or still being handled,
        else past the whole batch. One that failed too often is given up on."""
        bot_data = self.application.bot_data
        failed = bot_data.failed
        retry = set(held) | waiting
        lingering = {u.update_id for u in updates if u.update_id in self.in_flight}
        for update in updates:
            update_id = update.update_id
            if update_id in lingering:
                continue  # still being handled: not acknowledged, not a failure
            if update_id not in failed:
                if update_id not in waiting:
                    self.attempts.forget(update_id)
                continue
            failed.discard(update_id)
            failure = bot_data.failures.pop(update_id, None)
            tries = self.attempts.failed(update_id)
            if self.attempts.exhausted(update_id) and await give_up(
                    self.application.bot, bot_data, update, failure, tries):
                self.attempts.forget(update_id)
                continue
            retry.add(update_id)
        known = [u.update_id for u in updates] + list(aside) + list(held)
        if retry or lingering:
            # handled ones after it come again and are skipped
            self.offset = min(retry | lingering)
            if retry:
                await self._pause(self.retry_pause)
        elif known:
            self.offset = max(known) + 1

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
                await self._pause(retry_seconds(exc))
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
