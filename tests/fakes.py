"""In-memory fakes of the domain's ports, and a Bot API fake for PTB's HTTP layer."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from telegram.request import BaseRequest, RequestData

from domain.booking import Booking, SlotTaken
from domain.model import (
    Citizen,
    Conversation,
    DueReminder,
    OutboundMessage,
    TranscriptEntry,
    TurnStart,
    WaitEntry,
)
from domain.parse import Parse
from domain.ports import ConcurrentUpdate


class FakeStore:
    def __init__(self) -> None:
        self.citizens: dict[int, Citizen] = {}
        self.conversations: dict[int, Conversation] = {}
        self.transcript: list[TranscriptEntry] = []
        self.bookings: dict[int, Booking] = {}
        self.reminders: list[dict[str, Any]] = []
        self.waitlist: dict[int, WaitEntry] = {}
        self.outbox: list[dict[str, Any]] = []
        self.blocked: dict[int, datetime | None] = {}
        self.updates: set[int] = set()
        self.kept: dict[int, list[dict[str, Any]]] = {}
        self.closures: list[tuple[Any, str]] = []
        self.tallies: dict[tuple[str, str, str], int] = {}
        self.staff_notices: list[str] = []


class FakeUpdateLog:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def remember(self, update_id: int, now: datetime,
                       replies: list[dict[str, Any]]) -> bool:
        if update_id in self.store.updates:
            return False
        self.store.updates.add(update_id)
        self.store.kept[update_id] = replies
        return True

    async def unsent_replies(self, update_id: int) -> list[dict[str, Any]] | None:
        return self.store.kept.get(update_id)

    async def keep_unsent(self, update_id: int, replies: list[dict[str, Any]]) -> None:
        if self.store.kept.get(update_id) is not None:
            self.store.kept[update_id] = replies



class FakeBookings:
    """Bookings with the database's rule: one active booking per professional and start."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, booking: Booking) -> None:
        if any(b.status == "active" and b.professional_id == booking.professional_id
               and b.start == booking.start for b in self.store.bookings.values()):
            raise SlotTaken(booking.professional_id)
        booking.id = len(self.store.bookings) + 1
        self.store.bookings[booking.id] = copy.deepcopy(booking)

    async def get(self, booking_id: int) -> Booking | None:
        found = self.store.bookings.get(booking_id)
        return copy.deepcopy(found) if found else None

    async def save(self, booking: Booking) -> None:
        assert booking.id is not None
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
        return [b for b in self.store.bookings.values() if start <= b.start < end]


class FakeReminders:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, booking_id: int, kind: str, due_at: datetime) -> None:
        self.store.reminders.append({"id": len(self.store.reminders) + 1, "booking": booking_id,
                                     "kind": kind, "due": due_at, "sent": None})

    async def cancel_for(self, booking_id: int) -> None:
        self.store.reminders = [r for r in self.store.reminders
                                if r["booking"] != booking_id or r["sent"]]

    async def claim_due(self, now: datetime, worker: str, limit: int) -> list[DueReminder]:
        out = []
        for r in self.store.reminders:
            if r["sent"] is None and r["due"] <= now and len(out) < limit:
                r["sent"] = now
                b = self.store.bookings[r["booking"]]
                if b.status == "active":
                    out.append(DueReminder(r["id"], r["booking"], r["kind"], b.citizen_id,
                                           b.start, b.professional_id, b.role, b.case_code))
        return out


class FakeWaitlist:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, entry: WaitEntry) -> None:
        entry.id = len(self.store.waitlist) + 1
        self.store.waitlist[entry.id] = copy.deepcopy(entry)

    async def get(self, entry_id: int) -> WaitEntry | None:
        found = self.store.waitlist.get(entry_id)
        return copy.deepcopy(found) if found else None

    async def save(self, entry: WaitEntry) -> None:
        assert entry.id is not None
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
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, message: OutboundMessage) -> None:
        self.store.outbox.append({"id": len(self.store.outbox) + 1, "message": message,
                                  "claimed": False, "sent": False})

    async def claim(self, worker: str, limit: int, citizen_id: int | None = None
                    ) -> list[OutboundMessage]:
        out = []
        for row in self.store.outbox:
            m = row["message"]
            if not row["claimed"] and (citizen_id is None or m.citizen_id == citizen_id):
                row["claimed"] = True
                out.append(OutboundMessage(m.citizen_id, m.text, m.buttons, row["id"]))
        return out[:limit]

    async def delivered(self, message_id: int) -> None:
        self.store.outbox[message_id - 1]["sent"] = True


class FakeCitizens:
    def __init__(self, pending: dict[int, Citizen], store: FakeStore) -> None:
        self.pending, self.store = pending, store

    async def get(self, citizen_id: int) -> Citizen | None:
        found = self.store.citizens.get(citizen_id)
        return copy.deepcopy(found) if found else None

    async def start_turn(self, citizen_id: int, update_id: int | None) -> TurnStart:
        conversation = self.store.conversations.get(citizen_id)
        return TurnStart(await self.get(citizen_id),
                         copy.deepcopy(conversation) if conversation else None,
                         update_id in self.store.updates, self.store.kept.get(update_id or 0))

    async def add(self, citizen: Citizen) -> None:
        self.pending[citizen.id] = citizen

    async def set_blocked(self, citizen_id: int, when: datetime | None) -> None:
        self.store.blocked[citizen_id] = when

    async def save(self, citizen: Citizen) -> None:
        self.pending[citizen.id] = citizen


class FakeConversations:
    def __init__(self, pending: dict[int, Conversation], store: FakeStore) -> None:
        self.pending, self.store = pending, store

    async def get(self, citizen_id: int) -> Conversation | None:
        found = self.store.conversations.get(citizen_id)
        return copy.deepcopy(found) if found else None

    async def save(self, conversation: Conversation) -> None:
        current = self.store.conversations.get(conversation.citizen_id)
        if (current.version if current else 0) != conversation.version:
            raise ConcurrentUpdate(str(conversation.citizen_id))
        conversation.version += 1
        self.pending[conversation.citizen_id] = copy.deepcopy(conversation)


class FakeTranscript:
    def __init__(self, pending: list[TranscriptEntry], store: FakeStore) -> None:
        self.pending, self.store = pending, store

    async def add(self, entry: TranscriptEntry) -> None:
        self.pending.append(entry)

    async def recent(self, citizen_id: int, limit: int) -> Sequence[TranscriptEntry]:
        return [e for e in self.store.transcript if e.citizen_id == citizen_id][-limit:]


class FakePrivacy:
    """Export and erase over the in-memory store (counts are not kept here)."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def export(self, citizen_id: int) -> dict[str, Any] | None:
        if citizen_id not in self.store.citizens:
            return None
        return {"citizen": {"referral": self.store.citizens[citizen_id].referral},
                "messages": [e for e in self.store.transcript if e.citizen_id == citizen_id],
                "appointments": [b for b in self.store.bookings.values()
                                 if b.citizen_id == citizen_id]}

    async def erase(self, citizen_id: int, now: datetime) -> list[dict[str, Any]]:
        cancelled = [{"case_code": b.case_code, "role": b.role, "start": b.start}
                     for b in self.store.bookings.values()
                     if b.citizen_id == citizen_id and b.status == "active" and b.start > now]
        self.store.citizens.pop(citizen_id, None)
        self.store.conversations.pop(citizen_id, None)
        self.store.transcript = [e for e in self.store.transcript if e.citizen_id != citizen_id]
        self.store.bookings = {k: b for k, b in self.store.bookings.items()
                               if b.citizen_id != citizen_id}
        return cancelled

    async def purge(self, now: datetime, transcript_before: datetime,
                    anonymise_before: datetime) -> dict[str, int]:
        return {"transcript_messages": 0, "descriptions": 0, "citizens_anonymised": 0}

    async def queue_staff_notice(self, notice: str, now: datetime) -> None:
        self.store.staff_notices.append(notice)

    async def claim_topic_deletions(self, worker: str, now: datetime, limit: int
                                    ) -> list[Any]:
        return []

    async def topic_deleted(self, deletion_id: int) -> None:
        pass


class FakeHandovers:
    async def topic(self, citizen_id: int) -> None:
        return None

    async def open_for(self, citizen_id: int) -> None:
        return None


class FakeClosures:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, day: Any, reason: str, by: int, now: datetime) -> None:
        self.store.closures.append((day, reason))

    async def remove(self, day: Any) -> bool:
        kept = [c for c in self.store.closures if c[0] != day]
        removed = len(kept) != len(self.store.closures)
        self.store.closures[:] = kept
        return removed

    async def all(self) -> list[tuple[Any, str]]:
        return list(self.store.closures)


class FakeTallies:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, month: str, metric: str, key: str, n: int = 1) -> None:
        self.store.tallies[(month, metric, key)] = self.store.tallies.get(
            (month, metric, key), 0) + n


class FakeUnitOfWork:
    """Changes become visible in the store only on commit, like a transaction."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.committed = False

    async def __aenter__(self) -> FakeUnitOfWork:
        self._citizens: dict[int, Citizen] = {}
        self._conversations: dict[int, Conversation] = {}
        self._transcript: list[TranscriptEntry] = []
        self.citizens = FakeCitizens(self._citizens, self.store)
        self.conversations = FakeConversations(self._conversations, self.store)
        self.transcript = FakeTranscript(self._transcript, self.store)
        self.bookings = FakeBookings(self.store)
        self.reminders = FakeReminders(self.store)
        self.waitlist = FakeWaitlist(self.store)
        self.outbox = FakeOutbox(self.store)
        self.privacy = FakePrivacy(self.store)
        self.updates = FakeUpdateLog(self.store)
        self.closures = FakeClosures(self.store)
        self.tallies = FakeTallies(self.store)
        self.handovers = FakeHandovers()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        pass

    async def commit(self) -> None:
        self.store.citizens.update(copy.deepcopy(self._citizens))
        self.store.conversations.update(copy.deepcopy(self._conversations))
        self.store.transcript.extend(self._transcript)
        self.committed = True

    async def rollback(self) -> None:
        self._citizens.clear()


class FakeUowFactory:
    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store or FakeStore()

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)

    async def mark_sent(self, update_ids: Sequence[int], now: datetime) -> None:
        for update_id in update_ids:
            self.store.kept.pop(update_id, None)


class EchoTranslations:
    """Source strings, marked with the language so a test sees which language was used."""

    def __init__(self, mark: bool = True) -> None:
        self.mark = mark

    def gettext(self, language: str, message: str) -> str:
        return f"[{language}] {message}" if self.mark and language != "en" else message

    def ngettext(self, language: str, singular: str, plural: str, n: int) -> str:
        return self.gettext(language, singular if n == 1 else plural)


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
        name, _, query = url.rsplit("/", 1)[-1].partition("?")
        params = decode_params({**dict(parse_qsl(query)),
                                **(request_data.parameters if request_data else {})})
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
        if name == "deleteForumTopic":  # its messages go with it, as on Telegram
            self.deleted_threads.add(int(params["message_thread_id"]))
            return True
        if name == "createForumTopic":
            self.thread_id += 1
            return {"message_thread_id": self.thread_id, "name": params["name"],
                    "icon_color": 7322096}
        if name in ("sendMessage", "sendDocument", "copyMessage"):
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
