"""The storage's public names, re-exported from where each now lives.

Repositories add and get; the unit of work alone commits. Each job has its module:

- ``storage.citizens``: SqlCitizens, SqlConversations, SqlTranscript, SqlUpdateLog
- ``storage.bookings``: SqlBookings, SqlReminders, SqlWaitlist, SqlClosures
- ``storage.handovers``: SqlHandovers (hand-overs, topics, message links), SqlRelayOutbox
- ``storage.staff``: SqlStaff
- ``storage.outbox``: SqlOutbox
- ``storage.tallies``: SqlTallies
- ``storage.dead_letters``: SqlDeadLetters
- ``storage.privacy``: SqlPrivacy (export, erasure, retention)
- ``storage.turnstile``: Turnstile
- ``storage.uow``: SqlUnitOfWork, SqlUnitOfWorkFactory

Nothing in ``storage`` imports this module: it is for callers outside it.
"""

from __future__ import annotations

from storage.bookings import SqlBookings, SqlClosures, SqlReminders, SqlWaitlist
from storage.citizens import SqlCitizens, SqlConversations, SqlTranscript, SqlUpdateLog
from storage.dead_letters import SqlDeadLetters
from storage.handovers import SqlHandovers, SqlRelayOutbox
from storage.outbox import SqlOutbox
from storage.privacy import SqlPrivacy
from storage.staff import SqlStaff
from storage.tallies import SqlTallies
from storage.turnstile import Turnstile
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = [
    "SqlBookings",
    "SqlCitizens",
    "SqlClosures",
    "SqlConversations",
    "SqlDeadLetters",
    "SqlHandovers",
    "SqlOutbox",
    "SqlPrivacy",
    "SqlRelayOutbox",
    "SqlReminders",
    "SqlStaff",
    "SqlTallies",
    "SqlTranscript",
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "SqlUpdateLog",
    "SqlWaitlist",
    "Turnstile",
]
