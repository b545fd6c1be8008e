"""What the monthly report reads: the records of one month, through the ``Reports`` port.

Plain data only (no text anybody wrote): the referral and language of new citizens, who was
active, appointments' role, outcome and needs, hand-overs' times, and the anonymous tallies
kept when citizens were erased.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, Protocol


class NewCitizen(NamedTuple):
    referral: str | None
    language: str | None


class BookedSlot(NamedTuple):
    role: str
    status: str
    needs: Sequence[str] | None


class HandoverTimes(NamedTuple):
    citizen_id: int
    reason: str
    opened_at: datetime
    first_human_at: datetime | None
    closed_at: datetime | None


class Tally(NamedTuple):
    metric: str
    key: str
    n: int


@dataclass(frozen=True)
class MonthRecords:
    """Everything of one month the report counts."""

    new_citizens: Sequence[NewCitizen] = field(default_factory=tuple)  # first seen in it
    active: Sequence[int] = field(default_factory=tuple)  # ids of citizens active in it
    bookings: Sequence[BookedSlot] = field(default_factory=tuple)  # starting in it
    handovers: Sequence[HandoverTimes] = field(default_factory=tuple)  # opened in it
    tallies: Sequence[Tally] = field(default_factory=tuple)  # of the month, anonymous


class Reports(Protocol):
    async def month(self, month: str, start: datetime, end: datetime) -> MonthRecords:
        """The records of ``month`` (``YYYY-MM``), which runs from ``start`` to ``end``."""
        ...
