"""Per-citizen flood control: someone sending dozens of messages a second is slowed, politely,
without affecting anybody else. Kept in memory: it protects this process, not state."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class FloodGuard:
    """A token bucket per citizen: ``burst`` messages at once, then ``rate`` per second."""

    def __init__(self, burst: int = 15, rate: float = 1.0, clock: object = time.monotonic
                 ) -> None:
        self.burst, self.rate, self.clock = burst, rate, clock
        self.buckets: dict[int, _Bucket] = {}

    def check(self, citizen_id: int) -> str:
        """``ok``, ``warn`` (first message over the limit: say so) or ``drop``."""
        now = self.clock()  # type: ignore[operator]
        bucket = self.buckets.get(citizen_id)
        if bucket is None:
            if len(self.buckets) > 50_000:
                self.buckets.clear()  # bounded memory
            bucket = self.buckets[citizen_id] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return "ok"
        if not bucket.warned:
            bucket.warned = True
            return "warn"
        return "drop"
