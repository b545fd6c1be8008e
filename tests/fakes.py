"""In-memory fakes of the domain's ports, and a Bot API fake for PTB's HTTP layer.

The port fakes behave like storage (``storage/``): every repository of the
:class:`domain.ports.UnitOfWork` protocol has one, writing to a :class:`FakeStore` whose
attributes are the tables. A unit of work is a transaction: one at a time (SQLite's
turnstile), a snapshot of the store taken when it begins, restored when it ends without a
commit (or with an exception). ``tests/storage/test_fakes_contract.py`` runs the same
scenarios against these fakes and against SQLite, so a fake that drifts fails.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from telegram.request import BaseRequest, RequestData

from domain.booking import Booking, SlotTaken
from domain.model import (
    Citizen,
    Conversation,
    ConversationState,
    DeadLetter,
    DueReminder,
    Handover,
    MeetingOutcome,
    OutboundMessage,
    RelayMessage,
    StaffMember,
    StaffRemoval,
    Topic,
    TopicDeletion,
    TranscriptEntry,
    TurnStart,
    WaitEntry,
)
from domain.parse import Parse
from domain.passages import lexical_similarity
from domain.ports import (
    BookingRepository,
    CaseRepository,
    CitizenRepository,
    ClosureRepository,
    ConcurrentUpdate,
    ContentReviewRepository,
    ConversationRepository,
    DeadLetterRepository,
    HandoverRepository,
    OutboxRepository,
    PrivacyRepository,
    RelayOutboxRepository,
    ReminderRepository,
    StaffRepository,
    TallyRepository,
    TranscriptRepository,
    UnitOfWork,
    UnitOfWorkFactory,
    UpdateLog,
    WaitlistRepository,
)
from domain.reporting import CitizenRecord, HandoverTimes, Meeting, Office, citizen_facts
from domain.review import Review
from domain.state import ConversationData
from storage.turnstile import Turnstile

OPEN = ("waiting", "claimed")  # a hand-over's open statuses
STALE_CLAIM = timedelta(minutes=5)  # outbox and relay outbox: a dead worker's claim
DELETION_CLAIM_EXPIRES = timedelta(minutes=10)  # topic deletions (storage.privacy)


class FakeStore:
    """What the database holds: one attribute a table, rows as the domain's dataclasses
    (or small dicts where the domain has no type for the row)."""

    def __init__(self) -> None:
        self.citizens: dict[int, Citizen] = {}
        self.blocked: dict[int, datetime | None] = {}
        self.conversations: dict[int, Conversation] = {}
        self.transcript: list[TranscriptEntry] = []
        self.bookings: dict[int, Booking] = {}
        self.reminders: list[dict[str, Any]] = []
        self.waitlist: dict[int, WaitEntry] = {}
        self.outbox: list[dict[str, Any]] = []
        self.relay: list[dict[str, Any]] = []
        self.staff: dict[int, StaffMember] = {}
        self.removals: dict[int, StaffRemoval] = {}
        self.handovers: dict[int, Handover] = {}
        self.topics: dict[int, Topic] = {}
        self.links: list[dict[str, Any]] = []
        self.topic_deletions: list[dict[str, Any]] = []
        self.updates: set[int] = set()
        self.kept: dict[int, list[dict[str, Any]]] = {}  # replies not confirmed sent
        self.closures: list[tuple[date, str]] = []
        self.tallies: dict[tuple[str, str, str], int] = {}
        self.dead_letters: dict[int, DeadLetter] = {}
        self.content_reviews: dict[tuple[str, str], Review] = {}
        self.outcomes: dict[int, MeetingOutcome] = {}
        self.last_id: dict[str, int] = {}  # each table's autoincrement

    def next_id(self, table: str) -> int:
        self.last_id[table] = self.last_id.get(table, 0) + 1
        return self.last_id[table]

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(vars(self))

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Back to a snapshot, in place: a test holding ``store.bookings`` sees it too."""
        for name, value in copy.deepcopy(snapshot).items():
            current = getattr(self, name)
            if isinstance(current, dict | set):
                current.clear()
                current.update(value)
            else:
                current[:] = value

    def forget_citizen(self, citizen_id: int) -> None:
        """Delete a citizen's row: everything that references it goes too (the foreign
        keys cascade); their dead letters have no key and stay."""
        self.citizens.pop(citizen_id, None)
        self.blocked.pop(citizen_id, None)
        self.conversations.pop(citizen_id, None)
        self.topics.pop(citizen_id, None)
        self.transcript[:] = [e for e in self.transcript if e.citizen_id != citizen_id]
        gone = {k for k, b in self.bookings.items() if b.citizen_id == citizen_id}
        for key in gone:
            del self.bookings[key]
        self.reminders[:] = [r for r in self.reminders if r["booking"] not in gone]
        for key in gone & set(self.outcomes):
            del self.outcomes[key]
        for table in (self.waitlist, self.handovers):
            for key in [k for k, row in table.items() if row.citizen_id == citizen_id]:
                del table[key]
        self.outbox[:] = [r for r in self.outbox if r["message"].citizen_id != citizen_id]
        for rows in (self.relay, self.links):
            rows[:] = [r for r in rows if r["citizen_id"] != citizen_id]


class FakeUpdateLog:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def remember(self, update_id: int, now: datetime,
                       replies: list[dict[str, Any]]) -> bool:
        if update_id in self.store.updates:
            return False
        self.store.updates.add(update_id)
        self.store.kept[update_id] = copy.deepcopy(replies)
        return True

    async def unsent_replies(self, update_id: int) -> list[dict[str, Any]] | None:
        return copy.deepcopy(self.store.kept.get(update_id))

    async def keep_unsent(self, update_id: int, replies: list[dict[str, Any]]) -> None:
        if self.store.kept.get(update_id) is not None:
            self.store.kept[update_id] = copy.deepcopy(replies)

    async def mark_sent(self, update_id: int, now: datetime) -> None:
        self.store.kept.pop(update_id, None)


class FakeBookings:
    """Bookings with the database's rule: one active booking per professional and start."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, booking: Booking) -> None:
        if any(b.status == "active" and b.professional_id == booking.professional_id
               and b.start == booking.start for b in self.store.bookings.values()):
            raise SlotTaken(booking.professional_id)
        booking.id = self.store.next_id("bookings")
        self.store.bookings[booking.id] = copy.deepcopy(booking)

    async def get(self, booking_id: int) -> Booking | None:
        found = self.store.bookings.get(booking_id)
        return copy.deepcopy(found) if found else None

    async def save(self, booking: Booking) -> None:
        if booking.id in self.store.bookings:
            self.store.bookings[booking.id] = copy.deepcopy(booking)

    async def change_status(self, booking_id: int, old: str, new: str) -> bool:
        found = self.store.bookings.get(booking_id)
        if found is None or found.status != old:
            return False
        found.status = new
        return True

    async def for_citizen(self, citizen_id: int, after: datetime) -> list[Booking]:
        return sorted((copy.deepcopy(b) for b in self.store.bookings.values()
                       if b.citizen_id == citizen_id and b.status == "active"
                       and b.start > after), key=lambda b: b.start)

    async def taken(self, professional_ids: Sequence[str], start: datetime,
                    end: datetime) -> set[tuple[str, datetime]]:
        return {(b.professional_id, b.start) for b in self.store.bookings.values()
                if b.status == "active" and b.professional_id in professional_ids
                and start <= b.start <= end}

    async def between(self, start: datetime, end: datetime) -> list[Booking]:
        return sorted((copy.deepcopy(b) for b in self.store.bookings.values()
                       if start <= b.start < end),
                      key=lambda b: (b.start, b.professional_id))


class FakeReminders:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, booking_id: int, kind: str, due_at: datetime) -> None:
        self.store.reminders.append({"id": self.store.next_id("reminders"),
                                     "booking": booking_id, "kind": kind, "due": due_at,
                                     "sent": None})

    async def cancel_for(self, booking_id: int) -> None:
        self.store.reminders[:] = [r for r in self.store.reminders
                                   if r["booking"] != booking_id or r["sent"]]

    async def claim_due(self, now: datetime, worker: str, limit: int) -> list[DueReminder]:
        due = sorted((r for r in self.store.reminders
                      if r["sent"] is None and r["due"] <= now), key=lambda r: r["due"])
        out = []
        for r in due[:limit]:
            r["sent"] = now
            b = self.store.bookings.get(r["booking"])
            if b is None or b.status != "active":
                continue
            if b.citizen_id not in self.store.citizens or self.store.blocked.get(b.citizen_id):
                continue  # blocked the bot: not retried forever
            out.append(DueReminder(r["id"], r["booking"], r["kind"], b.citizen_id,
                                   b.start, b.professional_id, b.role, b.case_code))
        return out


class FakeWaitlist:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, entry: WaitEntry) -> None:
        entry.id = self.store.next_id("waitlist")
        self.store.waitlist[entry.id] = copy.deepcopy(entry)

    async def get(self, entry_id: int) -> WaitEntry | None:
        found = self.store.waitlist.get(entry_id)
        return copy.deepcopy(found) if found else None

    async def save(self, entry: WaitEntry) -> None:
        if entry.id in self.store.waitlist:
            self.store.waitlist[entry.id] = copy.deepcopy(entry)

    async def first_waiting(self, role: str) -> WaitEntry | None:
        waiting = [e for e in self.store.waitlist.values()
                   if e.role == role and e.status == "waiting"]
        return copy.deepcopy(min(waiting, key=lambda e: (e.created_at, e.id or 0))
                             ) if waiting else None

    async def active_for(self, citizen_id: int) -> WaitEntry | None:
        return next((copy.deepcopy(e) for e in self.store.waitlist.values()
                     if e.citizen_id == citizen_id and e.status in ("waiting", "offered")),
                    None)

    async def expired_offers(self, now: datetime) -> list[WaitEntry]:
        return [copy.deepcopy(e) for e in self.store.waitlist.values()
                if e.status == "offered" and e.offer_expires_at and e.offer_expires_at <= now]

    async def held_offers(self, now: datetime) -> list[str]:
        return [e.offer for e in self.store.waitlist.values() if e.status == "offered"
                and e.offer and e.offer_expires_at and e.offer_expires_at > now]


class FakeOutbox:
    """Claims expire like storage's, by the wall clock (storage.outbox reads it too)."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, message: OutboundMessage) -> None:
        self.store.outbox.append({"id": self.store.next_id("outbox"), "message": message,
                                  "claimed_at": None, "sent_at": None})

    async def claim(self, worker: str, limit: int, citizen_id: int | None = None
                    ) -> list[OutboundMessage]:
        now = datetime.now(UTC)
        free = [row for row in self.store.outbox if row["sent_at"] is None
                and (row["claimed_at"] is None or row["claimed_at"] < now - STALE_CLAIM)
                and citizen_id in (None, row["message"].citizen_id)]
        out = []
        for row in free[:limit]:
            row["claimed_at"] = now
            m = row["message"]
            out.append(OutboundMessage(m.citizen_id, m.text, list(m.buttons), row["id"]))
        return out

    async def delivered(self, message_id: int) -> None:
        for row in self.store.outbox:
            if row["id"] == message_id:
                row["sent_at"] = datetime.now(UTC)


class FakeRelayOutbox:
    """The first waiting message of each citizen, when due and free; in order."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, message: RelayMessage, now: datetime) -> None:
        self.store.relay.append({
            "id": self.store.next_id("relay"), "citizen_id": message.citizen_id,
            "message": replace(message, attempts=0, created_at=now),
            "next_attempt_at": None, "claimed_by": None, "claimed_at": None})

    async def claim(self, worker: str, now: datetime, limit: int,
                    citizen_id: int | None = None) -> list[RelayMessage]:
        heads: dict[int, dict[str, Any]] = {}
        for row in sorted(self.store.relay, key=lambda r: r["id"]):
            if citizen_id in (None, row["citizen_id"]):
                heads.setdefault(row["citizen_id"], row)
        out = []
        for row in sorted(heads.values(), key=lambda r: r["id"])[:limit]:
            due = row["next_attempt_at"] is None or row["next_attempt_at"] <= now
            free = row["claimed_at"] is None or row["claimed_at"] < now - STALE_CLAIM
            if due and free:
                row["claimed_by"], row["claimed_at"] = worker, now
                out.append(replace(row["message"], id=row["id"]))
        return out

    async def done(self, message_id: int) -> None:
        self.store.relay[:] = [r for r in self.store.relay if r["id"] != message_id]

    async def retry_at(self, message_id: int, when: datetime) -> None:
        for row in self.store.relay:
            if row["id"] == message_id:
                row["message"] = replace(row["message"], attempts=row["message"].attempts + 1)
                row["next_attempt_at"], row["claimed_by"], row["claimed_at"] = when, None, None


class FakeCitizens:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def get(self, citizen_id: int) -> Citizen | None:
        found = self.store.citizens.get(citizen_id)
        return copy.deepcopy(found) if found else None

    async def start_turn(self, citizen_id: int, update_id: int | None) -> TurnStart:
        conversation = self.store.conversations.get(citizen_id)
        handled = update_id is not None and update_id in self.store.updates
        return TurnStart(await self.get(citizen_id),
                         copy.deepcopy(conversation) if conversation else None,
                         handled, copy.deepcopy(self.store.kept.get(update_id or 0))
                         if handled else None)

    async def add(self, citizen: Citizen) -> None:
        if citizen.id in self.store.citizens:  # the same citizen's first message, twice
            raise ConcurrentUpdate(str(citizen.id))
        # Inserted without consent, as storage does: consent is saved, never inserted.
        self.store.citizens[citizen.id] = replace(copy.deepcopy(citizen), consent_at=None)

    async def set_blocked(self, citizen_id: int, when: datetime | None) -> None:
        if citizen_id in self.store.citizens:
            self.store.blocked[citizen_id] = when

    async def save(self, citizen: Citizen) -> None:
        found = self.store.citizens.get(citizen.id)
        if found is not None:  # every column but first_seen
            self.store.citizens[citizen.id] = replace(copy.deepcopy(citizen),
                                                      first_seen=found.first_seen)


class FakeConversations:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def get(self, citizen_id: int) -> Conversation | None:
        found = self.store.conversations.get(citizen_id)
        return copy.deepcopy(found) if found else None

    async def save(self, conversation: Conversation) -> None:
        current = self.store.conversations.get(conversation.citizen_id)
        if (current.version if current else 0) != conversation.version:
            raise ConcurrentUpdate(str(conversation.citizen_id))
        conversation.version += 1
        self.store.conversations[conversation.citizen_id] = copy.deepcopy(conversation)


class FakeTranscript:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, entry: TranscriptEntry) -> None:
        self.store.transcript.append(entry)

    async def recent(self, citizen_id: int, limit: int) -> Sequence[TranscriptEntry]:
        return [e for e in self.store.transcript if e.citizen_id == citizen_id][-limit:]


#: What an export calls each field (as ``storage.privacy`` names it): key -> attribute.
CITIZEN_EXPORT = {"telegram_user_id": "id", "language": "language",
                  "language_chosen": "language_chosen", "referral": "referral",
                  "first_seen": "first_seen", "last_seen": "last_seen",
                  "consent_at": "consent_at"}
MESSAGE_EXPORT = {"at": "at", "direction": "direction", "kind": "kind", "text": "text",
                  "button": "payload"}
BOOKING_EXPORT = {key: key for key in ("start", "role", "status", "needs", "urgency",
                                       "meeting_language", "description", "case_code")}


def _pick(row: Any, fields: dict[str, str]) -> dict[str, Any]:
    """Some attributes of a row under an export's names, times in ISO format."""
    values = {key: getattr(row, name) for key, name in fields.items()}
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


def _outcome(store: FakeStore, booking_id: int | None) -> dict[str, Any] | None:
    found = store.outcomes.get(booking_id) if booking_id is not None else None
    if found is None:
        return None
    return {"kind": found.kind, "service": found.service, "recorded_at": found.at.isoformat(),
            "referral_code": found.code}


def _theirs(citizen_id: int) -> Any:
    """A filter of rows to those of one citizen."""
    def rows(items: Any) -> list[Any]:
        return [row for row in items if row.citizen_id == citizen_id]
    return rows


PAST_NEEDS = frozenset({"intake_urgency", "intake_referral", "intake_language",
                        "intake_description", "triage", "choosing_day", "choosing_time"})


def _record(store: FakeStore, citizen: Citizen, now: datetime) -> CitizenRecord:
    """What storage's ``citizen_records`` reads of one citizen (an erasure cancels the
    active appointments still to come)."""
    meetings = []
    for b in sorted(store.bookings.values(), key=lambda b: (b.start, b.id)):
        if b.citizen_id != citizen.id:
            continue
        status = "cancelled" if b.status == "active" and b.start > now else b.status
        outcome = store.outcomes.get(b.id) if b.id is not None else None
        meetings.append(Meeting(b.start, b.role, status, b.meeting_language, tuple(b.needs),
                                outcome.kind if outcome else None,
                                outcome.service if outcome else None))
    handovers = [HandoverTimes(h.citizen_id, h.reason, h.opened_at, h.first_human_at,
                               h.closed_at)
                 for _, h in sorted(store.handovers.items()) if h.citizen_id == citizen.id]
    conversation = store.conversations.get(citizen.id)
    told = (conversation is not None and conversation.state in PAST_NEEDS
            and conversation.data.intake is not None and bool(conversation.data.intake.needs))
    waiting = any(e.citizen_id == citizen.id for e in store.waitlist.values())
    return CitizenRecord(citizen.first_seen, citizen.referral, citizen.language,
                         needs_collected=told or waiting, meetings=tuple(meetings),
                         handovers=tuple(handovers))


class FakePrivacy:
    """Export, erasure, retention and the queue of staff copies to delete, as storage."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def export(self, citizen_id: int) -> dict[str, Any] | None:
        """The same keys as storage's export (``storage.privacy``), read from the store."""
        store = self.store
        citizen = store.citizens.get(citizen_id)
        if citizen is None:
            return None
        conversation = store.conversations.get(citizen_id)
        topic = store.topics.get(citizen_id)
        theirs = _theirs(citizen_id)
        return {
            "citizen": _pick(citizen, CITIZEN_EXPORT),
            "conversation": None if conversation is None else _pick(
                conversation, {"state": "state", "data": "data"}),
            "case_code": topic.case_code if topic else None,
            "messages": [_pick(e, MESSAGE_EXPORT) for e in theirs(store.transcript)
                         if e.direction != "note"],
            "appointments": [{**_pick(b, BOOKING_EXPORT), "outcome": _outcome(store, b.id)}
                             for b in sorted(theirs(store.bookings.values()),
                                             key=lambda b: b.start)],
            "waiting_list": [_pick(e, {"role": "role", "since": "created_at",
                                       "status": "status"})
                             for e in theirs(store.waitlist.values())],
            "messages_put_aside": [_pick(d, {"at": "at", "stage": "stage"})
                                   for d in theirs(store.dead_letters.values())],
            "conversations_with_staff": [_pick(h, {"opened": "opened_at",
                                                   "closed": "closed_at", "reason": "reason"})
                                         for h in theirs(store.handovers.values())],
        }

    def _tally(self, month: str, metric: str, key: str | None, n: int = 1) -> None:
        slot = (month, metric, key or "-")
        self.store.tallies[slot] = self.store.tallies.get(slot, 0) + n

    async def tallies(self, month: str) -> dict[tuple[str, str], int]:
        return {(metric, key): n for (m, metric, key), n in self.store.tallies.items()
                if m == month}

    async def erase(self, citizen_id: int, now: datetime, office: Office | None = None
                    ) -> list[dict[str, Any]]:
        store = self.store
        citizen = store.citizens.get(citizen_id)
        if citizen is None:
            return []
        for fact in citizen_facts(_record(store, citizen, now),
                                  office or Office(ZoneInfo("UTC"))):
            self._tally(fact.month, fact.metric, fact.key, fact.n)
        cancelled = [{"case_code": b.case_code, "role": b.role, "start": b.start,
                      "professional": b.professional_id}
                     for b in sorted(store.bookings.values(), key=lambda b: (b.start, b.id))
                     if b.citizen_id == citizen_id and b.status == "active" and b.start > now]
        self._queue_topic_deletion(citizen_id, now)
        store.forget_citizen(citizen_id)
        for key in [k for k, d in store.dead_letters.items() if d.citizen_id == citizen_id]:
            del store.dead_letters[key]
        return cancelled

    def _queue_topic_deletion(self, citizen_id: int, now: datetime) -> bool:
        store = self.store
        copies = [r["staff_message_id"] for r in store.links if r["citizen_id"] == citizen_id]
        store.links[:] = [r for r in store.links if r["citizen_id"] != citizen_id]
        topic = store.topics.get(citizen_id)
        thread = topic.thread_id if topic is not None else None
        if topic is not None:
            store.topics[citizen_id] = replace(topic, thread_id=None)
        if thread is None and not copies:
            return False
        self._queue(thread, copies, None, now)
        return True

    def _queue(self, thread: int | None, copies: list[int], notice: str | None,
               now: datetime) -> None:
        self.store.topic_deletions.append({
            "id": self.store.next_id("topic_deletions"), "thread_id": thread,
            "message_ids": copies, "notice": notice, "created_at": now, "claimed_at": None})

    async def purge(self, now: datetime, transcript_before: datetime,
                    anonymise_before: datetime, office: Office | None = None
                    ) -> dict[str, int]:
        store = self.store
        stale = {c.id for c in store.citizens.values() if c.last_seen < transcript_before}
        removed = [e for e in store.transcript if e.citizen_id in stale]
        store.transcript[:] = [e for e in store.transcript if e.citizen_id not in stale]
        described = [b for b in store.bookings.values()
                     if b.citizen_id in stale and b.description is not None]
        for b in described:
            b.description = None
        closed = [h for h in store.handovers.values()
                  if h.citizen_id in stale and h.status in OPEN]
        for h in closed:
            h.status, h.closed_at = "closed", now
        forgotten = [c for c in store.conversations.values() if c.citizen_id in stale
                     and (c.state != ConversationState.IDLE or c.data != ConversationData())]
        for c in forgotten:
            c.state, c.data = ConversationState.IDLE, ConversationData()
            c.version += 1
        topics = sum(self._queue_topic_deletion(t.citizen_id, now)
                     for t in list(store.topics.values())
                     if t.citizen_id in stale and t.thread_id is not None)
        store.links[:] = [r for r in store.links if r["citizen_id"] not in stale]
        store.outbox[:] = [r for r in store.outbox
                           if r["sent_at"] is None or r["sent_at"] >= transcript_before]
        # processed updates carry no time here: kept (storage drops those over two days)
        for key in [k for k, d in store.dead_letters.items() if d.at < transcript_before]:
            del store.dead_letters[key]
        busy = {b.citizen_id for b in store.bookings.values()
                if b.status == "active" and b.start > now}
        busy |= {h.citizen_id for h in store.handovers.values() if h.status in OPEN}
        old = [c.id for c in store.citizens.values()
               if c.last_seen < anonymise_before and c.id not in busy]
        for citizen_id in old:
            await self.erase(citizen_id, now, office)
        return {"transcript_messages": len(removed), "descriptions": len(described),
                "conversations_cleared": len(forgotten), "handovers_closed": len(closed),
                "staff_topics_deleted": topics, "citizens_anonymised": len(old)}

    async def queue_staff_notice(self, notice: str, now: datetime) -> None:
        self._queue(None, [], notice, now)

    async def claim_topic_deletions(self, worker: str, now: datetime, limit: int
                                    ) -> list[TopicDeletion]:
        free = [r for r in self.store.topic_deletions if r["claimed_at"] is None
                or r["claimed_at"] < now - DELETION_CLAIM_EXPIRES][:limit]
        for row in free:
            row["claimed_at"] = now
        return [TopicDeletion(r["id"], r["thread_id"], tuple(r["message_ids"]), r["notice"])
                for r in free]

    async def topic_deleted(self, deletion_id: int) -> None:
        self.store.topic_deletions[:] = [r for r in self.store.topic_deletions
                                         if r["id"] != deletion_id]


class FakeHandovers:
    """Hand-overs, the citizen's staff topic, and the links between a citizen's messages
    and their copies in the staff group."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def open_for(self, citizen_id: int) -> Handover | None:
        found = [h for h in self.store.handovers.values()
                 if h.citizen_id == citizen_id and h.status in OPEN]
        return copy.deepcopy(max(found, key=lambda h: h.id or 0)) if found else None

    async def add(self, handover: Handover) -> None:
        handover.id = self.store.next_id("handovers")
        self.store.handovers[handover.id] = copy.deepcopy(handover)

    async def save(self, handover: Handover) -> None:
        found = self.store.handovers.get(handover.id or 0)
        if found is not None:  # every column but who and since when
            self.store.handovers[found.id or 0] = replace(
                copy.deepcopy(handover), citizen_id=found.citizen_id,
                opened_at=found.opened_at)

    async def waiting(self) -> list[Handover]:
        return [copy.deepcopy(h) for h in sorted(
            (h for h in self.store.handovers.values() if h.status == "waiting"),
            key=lambda h: (-h.priority, h.opened_at, h.id or 0))]

    async def topic(self, citizen_id: int) -> Topic | None:
        return self.store.topics.get(citizen_id)

    async def save_topic(self, topic: Topic) -> None:
        found = self.store.topics.get(topic.citizen_id)
        # Once given, a case code stays: only the thread changes.
        self.store.topics[topic.citizen_id] = (
            topic if found is None else replace(found, thread_id=topic.thread_id))

    async def citizen_of_thread(self, thread_id: int) -> int | None:
        return next((t.citizen_id for t in self.store.topics.values()
                     if t.thread_id == thread_id), None)

    async def link(self, citizen_id: int, citizen_message: int, staff_message: int,
                   now: datetime) -> None:
        self.store.links.append({"id": self.store.next_id("links"), "citizen_id": citizen_id,
                                 "citizen_message_id": citizen_message,
                                 "staff_message_id": staff_message, "created_at": now})

    async def staff_message_of(self, citizen_id: int, citizen_message: int) -> int | None:
        return next((r["staff_message_id"] for r in self.store.links
                     if r["citizen_id"] == citizen_id
                     and r["citizen_message_id"] == citizen_message), None)

    async def citizen_message_of(self, staff_message: int) -> tuple[int, int] | None:
        return next(((r["citizen_id"], r["citizen_message_id"]) for r in self.store.links
                     if r["staff_message_id"] == staff_message
                     and r["citizen_message_id"] != 0), None)  # 0: the bot's own


class FakeStaff:
    """The staff registry, and the record of removed members (told, then done)."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def get(self, user_id: int) -> StaffMember | None:
        return self.store.staff.get(user_id)

    async def add(self, member: StaffMember, now: datetime) -> None:
        found = self.store.staff.get(member.user_id)
        # A member added again keeps their calendar feed.
        self.store.staff[member.user_id] = replace(
            member, languages=tuple(member.languages),
            feed_token=found.feed_token if found else None)

    async def remove(self, user_id: int, now: datetime) -> bool:
        member = self.store.staff.pop(user_id, None)
        if member is None:
            return False
        removal_id = self.store.next_id("staff_removals")
        self.store.removals[removal_id] = StaffRemoval(user_id, member.name, member.role, now,
                                                       id=removal_id)
        return True

    async def all(self) -> list[StaffMember]:
        return sorted(self.store.staff.values(), key=lambda m: (m.role, m.name))

    async def by_feed_token(self, token: str) -> StaffMember | None:
        return next((m for m in self.store.staff.values() if m.feed_token == token), None)

    async def set_feed_token(self, user_id: int, token: str | None) -> None:
        found = self.store.staff.get(user_id)
        if found is not None:
            self.store.staff[user_id] = replace(found, feed_token=token)

    async def removals_to_tell(self) -> list[StaffRemoval]:
        return sorted((r for r in self.store.removals.values() if r.told_at is None),
                      key=lambda r: r.id or 0)

    async def removal_told(self, removal_id: int, at: datetime | None) -> bool:
        found = self.store.removals.get(removal_id)
        if found is None or (at is not None and found.told_at is not None):
            return False  # claimed: only one worker tells
        self.store.removals[removal_id] = replace(found, told_at=at)
        return True

    async def last_removal(self, user_id: int) -> StaffRemoval | None:
        found = [r for r in self.store.removals.values() if r.user_id == user_id]
        return max(found, key=lambda r: r.id or 0) if found else None

    async def removal_done(self, removal_id: int, at: datetime) -> None:
        found = self.store.removals.get(removal_id)
        if found is not None:
            self.store.removals[removal_id] = replace(found, done_at=at)


class FakeDeadLetters:
    """Updates put aside: metadata only, cut to the columns' lengths as storage does."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, letter: DeadLetter) -> None:
        letter_id = self.store.next_id("dead_letters")
        self.store.dead_letters[letter_id] = replace(
            letter, stage=letter.stage[:8], error=letter.error[:64],
            kind=letter.kind[:32] if letter.kind else None, id=letter_id)

    async def count(self, since: datetime | None = None) -> int:
        return sum(1 for d in self.store.dead_letters.values() if since is None or d.at >= since)

    async def latest(self, limit: int) -> list[DeadLetter]:
        return sorted(self.store.dead_letters.values(),
                      key=lambda d: (d.at, d.id or 0), reverse=True)[:limit]

    async def clear(self, before: datetime | None = None) -> int:
        gone = [k for k, d in self.store.dead_letters.items() if before is None or d.at < before]
        for key in gone:
            del self.store.dead_letters[key]
        return len(gone)


class FakeClosures:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, day: date, reason: str, by: int, now: datetime) -> None:
        if all(d != day for d, _ in self.store.closures):  # one closure a day
            self.store.closures.append((day, reason))

    async def remove(self, day: date) -> bool:
        kept = [c for c in self.store.closures if c[0] != day]
        removed = len(kept) != len(self.store.closures)
        self.store.closures[:] = kept
        return removed

    async def all(self) -> list[tuple[date, str]]:
        return list(self.store.closures)


class FakeTallies:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, month: str, metric: str, key: str, n: int = 1) -> None:
        self.store.tallies[(month, metric, key)] = self.store.tallies.get(
            (month, metric, key), 0) + n


class FakeContentReviews:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def get_many(self, keys: Sequence[tuple[str, str]]) -> list[Review]:
        return [self.store.content_reviews[k] for k in keys if k in self.store.content_reviews]

    async def all(self) -> list[Review]:
        return list(self.store.content_reviews.values())

    async def save(self, review: Review) -> None:
        self.store.content_reviews[review.key] = review


class FakeCases:
    """Meeting outcomes (one a booking) and the case view's reads."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add_outcome(self, outcome: MeetingOutcome) -> bool:
        if outcome.booking_id in self.store.outcomes or (
                outcome.code is not None and await self.referral(outcome.code) is not None):
            return False
        self.store.outcomes[outcome.booking_id] = outcome
        return True

    async def outcomes(self, booking_ids: Sequence[int]) -> list[MeetingOutcome]:
        return [self.store.outcomes[i] for i in booking_ids if i in self.store.outcomes]

    async def citizen_of_code(self, case_code: str) -> int | None:
        for topic in self.store.topics.values():
            if topic.case_code == case_code:
                return topic.citizen_id
        found = next((b.citizen_id for b in self.store.bookings.values()
                      if b.case_code == case_code), None)
        referral = await self.referral(case_code)
        if found is None and referral is not None:
            found = self.store.bookings[referral.booking_id].citizen_id
        return found

    async def referral(self, code: str) -> MeetingOutcome | None:
        return next((o for o in self.store.outcomes.values() if o.code == code), None)

    async def bookings(self, citizen_id: int) -> list[Booking]:
        return [copy.deepcopy(b) for b in sorted(
            (b for b in self.store.bookings.values() if b.citizen_id == citizen_id),
            key=lambda b: (b.start, b.id or 0))]

    async def handovers(self, citizen_id: int) -> list[Handover]:
        return [copy.deepcopy(h) for h in sorted(
            (h for h in self.store.handovers.values() if h.citizen_id == citizen_id),
            key=lambda h: (h.opened_at, h.id or 0))]


class FakeUnitOfWork:
    """A transaction over the store: one at a time, as SQLite's (the same turnstile), what
    it wrote undone when it ends without a commit or with an exception, in every
    repository alike."""

    def __init__(self, store: FakeStore, turnstile: Turnstile | None = None) -> None:
        self.store = store
        self.turnstile = turnstile
        self.committed = False
        self._entered = False
        self.citizens: CitizenRepository = FakeCitizens(store)
        self.conversations: ConversationRepository = FakeConversations(store)
        self.transcript: TranscriptRepository = FakeTranscript(store)
        self.bookings: BookingRepository = FakeBookings(store)
        self.reminders: ReminderRepository = FakeReminders(store)
        self.waitlist: WaitlistRepository = FakeWaitlist(store)
        self.outbox: OutboxRepository = FakeOutbox(store)
        self.relay: RelayOutboxRepository = FakeRelayOutbox(store)
        self.staff: StaffRepository = FakeStaff(store)
        self.handovers: HandoverRepository = FakeHandovers(store)
        self.privacy: PrivacyRepository = FakePrivacy(store)
        self.updates: UpdateLog = FakeUpdateLog(store)
        self.closures: ClosureRepository = FakeClosures(store)
        self.tallies: TallyRepository = FakeTallies(store)
        self.dead_letters: DeadLetterRepository = FakeDeadLetters(store)
        self.reviews: ContentReviewRepository = FakeContentReviews(store)
        self.cases: CaseRepository = FakeCases(store)

    async def __aenter__(self) -> FakeUnitOfWork:
        if self.turnstile is not None:
            self._entered = await self.turnstile.enter()
        self._snapshot = self.store.snapshot()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            await self.rollback()  # after a commit: nothing to undo
        finally:
            if self.turnstile is not None:
                self.turnstile.leave(self._entered)

    async def commit(self) -> None:
        self._snapshot = self.store.snapshot()
        self.committed = True

    async def rollback(self) -> None:
        self.store.restore(self._snapshot)


class FakeUowFactory:
    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store or FakeStore()
        self.turnstile = Turnstile()

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store, self.turnstile)

    async def mark_sent(self, update_ids: Sequence[int], now: datetime) -> None:
        async with self() as uow:
            for update_id in update_ids:
                self.store.kept.pop(update_id, None)
            await uow.commit()


class EchoTranslations:
    """Source strings, marked with the language so a test sees which language was used."""

    def __init__(self, mark: bool = True) -> None:
        self.mark = mark

    def gettext(self, language: str, message: str) -> str:
        return f"[{language}] {message}" if self.mark and language != "en" else message

    def ngettext(self, language: str, singular: str, plural: str, n: int) -> str:
        return self.gettext(language, singular if n == 1 else plural)

    def review_progress(self, language: str) -> tuple[int, int]:
        return (0, 0)


class KeywordUnderstanding:
    """A fake NLU: the first listed keyword found in the text decides the intent."""

    def __init__(self, table: dict[str, str], language: dict[str, str] | None = None) -> None:
        self.table = table
        self.language = language or {}
        self.calls: list[tuple[str, str | None]] = []

    async def parse(self, text: str, language_hint: str | None = None) -> Parse:
        self.calls.append((text, language_hint))
        name = next((i for k, i in self.table.items() if k in text.lower()), "nlu_fallback")
        code = next((c for k, c in self.language.items() if k in text.lower()), language_hint)
        return Parse.of({"text": text, "intent": {"name": name, "confidence": 0.9},
                         "intent_ranking": [], "entities": [],
                         "language": {"code": code, "confidence": 0.95}})

    async def similarity(self, text: str, passages: Sequence[str]) -> list[float]:
        return lexical_similarity(text, passages)


class FixedClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kw: float) -> None:
        self.current += timedelta(**kw)


def decode_params(params: dict[str, Any]) -> dict[str, Any]:
    """Bot API parameters arrive as strings; JSON-encoded ones (keyboards) are decoded."""
    for key, value in list(params.items()):
        if isinstance(value, str) and value[:1] in "[{":
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass
    return params


class FakeBotAPI(BaseRequest):
    """Answers like the Bot API and records every call, so no test touches the network."""

    BOT: ClassVar[dict[str, Any]] = {
        "id": 999000, "is_bot": True, "first_name": "TEAMS", "username": "teams_test_bot",
        "can_join_groups": True, "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.message_id = 1000
        self.blocked: set[int] = set()
        self.thread_id = 500
        self.deleted_threads: set[int] = set()
        self.failing = 0  # the next N sends fail like a broken network
        # Injected answers: (method, chat id or None for any, HTTP status, description,
        # retry_after or None); each is used once, in order. See :meth:`fail`.
        self.injected: list[tuple[str, int | None, int, str, int | None]] = []
        self.refused: list[tuple[str, dict[str, Any]]] = []  # calls answered by an injection
        self.refusing: dict[str, tuple[int, str]] = {}  # method -> (status, description)
        self.failing_chats: set[int] = set()  # every send to these chats meets a 502
        self.updates: list[dict[str, Any]] = []  # what getUpdates hands out, until acked
        self.offsets: list[int] = []  # the offset of every getUpdates call
        self.files: dict[str, bytes] = {}  # file_id -> content: getFile and the file's URL

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def fail(self, method: str, status: int, description: str, chat_id: int | None = None,
             times: int = 1, retry_after: int | None = None) -> None:
        """The next ``times`` calls of ``method`` (to ``chat_id``, if given) get this error:
        400 a permanent refusal, 403 blocked, 429 with ``retry_after``, 5xx a broken server."""
        self.injected += [(method, chat_id, status, description, retry_after)] * times

    def _injected(self, name: str, params: dict[str, Any]) -> tuple[int, bytes] | None:
        for index, (method, chat, status, description, retry_after) in enumerate(
                self.injected):
            if method == name and (chat is None or str(chat) == str(params.get("chat_id"))):
                del self.injected[index]
                self.refused.append((name, params))
                body: dict[str, Any] = {"ok": False, "error_code": status,
                                        "description": description}
                if retry_after is not None:
                    body["parameters"] = {"retry_after": retry_after}
                return status, json.dumps(body).encode()
        return None

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def clear(self) -> None:
        self.calls.clear()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None,
                         connect_timeout: Any = None, pool_timeout: Any = None
                         ) -> tuple[int, bytes]:
        if "/file/bot" in url:  # a file's download URL, as getFile made it
            self.calls.append(("download", {"url": url}))
            content = self.files.get(url.rsplit("/", 1)[-1].partition(".")[0])
            return (200, content) if content is not None else (404, b"Not Found")
        name, _, query = url.rsplit("/", 1)[-1].partition("?")
        params = decode_params({**dict(parse_qsl(query)),
                                **(request_data.parameters if request_data else {})})
        for field, (_, upload, _) in ((request_data.multipart_data or {}).items()
                                      if request_data else ()):
            params.setdefault(f"{field}:bytes", upload)  # an uploaded file's bytes
        if self.failing and name.startswith("send"):
            self.failing -= 1
            return 502, b'{"ok": false, "error_code": 502, "description": "Bad Gateway"}'
        injected = self._injected(name, params)
        if injected is not None:
            return injected
        if name in self.refusing:
            status, description = self.refusing[name]
            self.calls.append((name + ":refused", params))
            return status, json.dumps({"ok": False, "error_code": status,
                                       "description": description}).encode()
        if name.startswith("send") and int(params.get("chat_id") or 0) in self.failing_chats:
            return 502, b'{"ok": false, "error_code": 502, "description": "Bad Gateway"}'
        self.calls.append((name, params))
        chat_id = params.get("chat_id")
        if chat_id is not None and int(chat_id) in self.blocked:
            return 403, json.dumps({"ok": False, "error_code": 403,
                                    "description": "Forbidden: bot was blocked by the user"}
                                   ).encode()
        thread = params.get("message_thread_id")
        if thread is not None and int(thread) in self.deleted_threads:
            return 400, json.dumps({"ok": False, "error_code": 400,
                                    "description": "Bad Request: message thread not found"}
                                   ).encode()
        result = self._result(name, params)
        if name == "getUpdates" and not result:
            await asyncio.sleep(0.01)  # a long poll with nothing to give
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return self.BOT
        if name == "getUpdates":
            # Asking with an offset acknowledges every update below it, as Telegram does.
            offset = int(params.get("offset") or 0)
            self.offsets.append(offset)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            return self.updates[: int(params.get("limit") or 100)]
        if name == "getFile":
            file_id = str(params.get("file_id"))
            return {"file_id": file_id, "file_unique_id": file_id,
                    "file_size": len(self.files.get(file_id, b"")),
                    "file_path": f"voice/{file_id}.oga"}
        if name == "deleteForumTopic":  # its messages go with it, as on Telegram
            self.deleted_threads.add(int(params["message_thread_id"]))
            return True
        if name == "createForumTopic":
            self.thread_id += 1
            return {"message_thread_id": self.thread_id, "name": params["name"],
                    "icon_color": 7322096}
        if name in ("sendMessage", "sendDocument", "copyMessage", "sendVoice"):
            self.message_id += 1
            chat_id = int(params.get("chat_id", 0))
            message: dict[str, Any] = {
                "message_id": self.message_id, "date": 1764147600,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": {k: self.BOT[k] for k in ("id", "is_bot", "first_name", "username")},
            }
            if name == "sendMessage":
                message["text"] = params.get("text", "")
            if name == "sendDocument":
                message["document"] = {"file_id": "f1", "file_unique_id": "u1",
                                       "file_name": "x.ics"}
            if name == "sendVoice":  # a file id Telegram would give: the same sound, same id
                voice = params.get("voice") or params.get("voice:bytes") or b""
                tag = hashlib.sha256(str(voice).encode() if isinstance(voice, str)
                                     else voice).hexdigest()[:12]
                message["voice"] = {"file_id": voice if isinstance(voice, str) else f"v-{tag}",
                                    "file_unique_id": tag, "duration": int(params.get(
                                        "duration") or 1), "mime_type": "audio/ogg"}
            if name == "copyMessage":
                return {"message_id": self.message_id}
            if params.get("message_thread_id"):
                message["message_thread_id"] = int(params["message_thread_id"])
                message["is_topic_message"] = True
            return message
        if name == "copyMessages":
            ids = []
            for _ in params.get("message_ids") or []:
                self.message_id += 1
                ids.append({"message_id": self.message_id})
            return ids
        if name == "editMessageText":
            return {"message_id": int(params.get("message_id", 0)), "date": 1764147600,
                    "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                    "text": params.get("text", "")}
        return True


def _the_fakes_are_the_ports(store: FakeStore) -> tuple[UnitOfWork, UnitOfWorkFactory]:
    """For mypy (``tests.fakes`` is among its modules): a fake that does not match its
    port, or a port that gains a repository without a fake, fails the type check."""
    uow: UnitOfWork = FakeUnitOfWork(store)
    factory: UnitOfWorkFactory = FakeUowFactory(store)
    return uow, factory
