"""Per-citizen flood control: someone sending dozens of messages a second is slowed, politely,
without affecting anybody else, and without losing anything they sent. Kept in memory: it
protects this process, not state."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class FloodGuard:
    """A token bucket per citizen: ``burst`` messages at once, then ``rate`` per second.

    Over the limit a message is not dropped: it waits its turn (see :meth:`reserve`), and
    the citizen is told once per flood to wait a moment.
    """

    def __init__(self, burst: int = 15, rate: float = 1.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.burst, self.rate, self.clock, self.sleep = burst, rate, clock, sleep
        self.buckets: dict[int, _Bucket] = {}
        self.counted: dict[int, None] = {}  # update ids counted already (a redelivery is not
        # the citizen writing again)

    def reserve(self, citizen_id: int, update_id: int | None = None) -> tuple[float, bool]:
        """Take a place for one message: the seconds to wait before handling it (0: at
        once), and whether to say "please wait" (the first message of a flood only). An
        update delivered again after a failure takes no second place."""
        if update_id is not None:
            if update_id in self.counted:
                return 0.0, False
            if len(self.counted) >= 10_000:
                self.counted.pop(next(iter(self.counted)))
            self.counted[update_id] = None
        now = self.clock()
        bucket = self.buckets.get(citizen_id)
        if bucket is None:
            if len(self.buckets) > 50_000:
                self.buckets.clear()  # bounded memory
            bucket = self.buckets[citizen_id] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= self.burst:
            bucket.warned = False  # the flood is over: a next one is told again
        bucket.tokens -= 1  # below zero: places taken in the queue
        if bucket.tokens >= 0:
            return 0.0, False
        warn, bucket.warned = not bucket.warned, True
        return -bucket.tokens / self.rate, warn


class CitizenTurns:
    """One update at a time per citizen, in the order they arrived (``asyncio.Lock`` wakes
    its waiters first come, first served): a citizen's messages are recorded and relayed in
    the order they were sent, while other citizens go on."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    @asynccontextmanager
    async def of(self, citizen_id: int) -> AsyncIterator[None]:
        entry = self._locks.get(citizen_id)
        if entry is None:
            entry = self._locks[citizen_id] = (asyncio.Lock(), [0])
        lock, users = entry
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                self._locks.pop(citizen_id, None)
