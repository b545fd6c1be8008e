"""The conversation's state, as the domain sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

REFERRALS: frozenset[str] = frozenset(
    {"servizi_sociali", "centro_impiego", "sportello_immigrazione"}
)


def referral_from_payload(payload: str | None) -> str | None:
    """Map a ``/start`` deep-link payload to a referral source (anything unknown is ``other``)."""
    if not payload:
        return None
    key = payload.strip().lower()
    return key if key in REFERRALS else "other"


@dataclass
class Citizen:
    id: int
    first_seen: datetime
    last_seen: datetime
    language: str | None = None
    language_chosen: bool = False
    referral: str | None = None


@dataclass
class Conversation:
    """Where a citizen is in a flow and what has been collected; ``version`` guards updates."""

    citizen_id: int
    state: str = "idle"
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0


@dataclass(frozen=True)
class TranscriptEntry:
    citizen_id: int
    direction: str  # "in" or "out"
    kind: str  # content type for "in"; "text" or "file" for "out"
    text: str | None
    payload: str | None
    at: datetime
