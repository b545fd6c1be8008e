"""Export, erasure and retention: everything the service holds about one citizen, or none.

Erasure keeps only anonymous monthly counts (``tallies``) for the report; the citizen's row and
everything linked to it are deleted (foreign keys cascade).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Text, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import TopicDeletion
from domain.reporting import Office, citizen_facts
from storage.reports import citizen_records
from storage.tables import (
    BookingRow,
    CitizenRow,
    CitizenTopicRow,
    ConversationRow,
    DeadLetterRow,
    HandoverRow,
    MeetingOutcomeRow,
    MessageLinkRow,
    OutboxRow,
    ProcessedUpdateRow,
    TallyRow,
    TopicDeletionRow,
    TranscriptRow,
    WaitlistRow,
)
from storage.tallies import SqlTallies

#: A worker that claimed a topic deletion and did not finish it (it died, or the Bot API
#: refused): another worker tries again after this long.
CLAIM_EXPIRES = timedelta(minutes=10)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class SqlPrivacy:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _outcomes(self, booking_ids: list[int]) -> dict[int, dict[str, Any]]:
        """What came of each attended meeting (not who recorded it: the staff's id)."""
        if not booking_ids:
            return {}
        found = await self.session.execute(select(MeetingOutcomeRow).where(
            MeetingOutcomeRow.booking_id.in_(booking_ids)))
        return {o.booking_id: {"kind": o.kind, "service": o.service,
                               "recorded_at": _iso(o.recorded_at),
                               "referral_code": o.referral_code}
                for o in found.scalars()}

    async def export(self, citizen_id: int) -> dict[str, Any] | None:
        citizen = await self.session.get(CitizenRow, citizen_id)
        if citizen is None:
            return None
        conversation = await self.session.get(ConversationRow, citizen_id)
        topic = await self.session.get(CitizenTopicRow, citizen_id)

        async def rows(model: Any, order: Any) -> list[Any]:
            result = await self.session.execute(
                select(model).where(model.citizen_id == citizen_id).order_by(order))
            return list(result.scalars())

        bookings = await rows(BookingRow, BookingRow.start_at)
        outcomes = await self._outcomes([r.id for r in bookings])
        return {
            "citizen": {"telegram_user_id": citizen.id, "language": citizen.language,
                        "language_chosen": citizen.language_chosen,
                        "referral": citizen.referral, "first_seen": _iso(citizen.first_seen),
                        "last_seen": _iso(citizen.last_seen),
                        "consent_at": _iso(citizen.consent_at)},
            "conversation": {"state": conversation.state, "data": conversation.data}
            if conversation else None,
            "case_code": topic.case_code if topic else None,
            "messages": [{"at": _iso(r.created_at), "direction": r.direction, "kind": r.kind,
                          "text": r.text, "button": r.payload}
                         for r in await rows(TranscriptRow, TranscriptRow.id)
                         if r.direction != "note"],
            "appointments": [{"start": _iso(r.start_at), "role": r.role, "status": r.status,
                              "needs": r.needs, "urgency": r.urgency,
                              "meeting_language": r.meeting_language,
                              "description": r.description, "case_code": r.case_code,
                              "outcome": outcomes.get(r.id)}
                             for r in bookings],
            "waiting_list": [{"role": r.role, "since": _iso(r.created_at), "status": r.status}
                             for r in await rows(WaitlistRow, WaitlistRow.id)],
            "messages_put_aside": [
                {"at": _iso(r.created_at), "stage": r.stage}
                for r in await rows(DeadLetterRow, DeadLetterRow.id)],
            "conversations_with_staff": [
                {"opened": _iso(r.opened_at), "closed": _iso(r.closed_at), "reason": r.reason}
                for r in await rows(HandoverRow, HandoverRow.id)],
        }

    async def _tally(self, month: str, metric: str, key: str | None, n: int = 1) -> None:
        await SqlTallies(self.session).add(month, metric, key or "-", n)

    async def erase(self, citizen_id: int, now: datetime, office: Office | None = None
                    ) -> list[dict[str, Any]]:
        """Delete the citizen and all linked data, keeping anonymous counts (the report's own
        facts of them, ``domain.reporting.citizen_facts``); returns the future appointments
        that were cancelled (case code, role, start), for the staff."""
        citizen = await self.session.get(CitizenRow, citizen_id)
        if citizen is None:
            return []
        await self.session.flush()
        conn = await self.session.connection()
        (record,) = await citizen_records(
            conn, select(CitizenRow.id).where(CitizenRow.id == citizen_id), cancel_after=now)
        for fact in citizen_facts(record, office or Office(ZoneInfo("UTC"))):
            await self._tally(fact.month, fact.metric, fact.key, fact.n)
        cancelled = [{"case_code": booking.case_code, "role": booking.role,
                      "start": booking.start_at, "professional": booking.professional_id}
                     for booking in (await self.session.execute(
                         select(BookingRow).where(BookingRow.citizen_id == citizen_id,
                                                  BookingRow.status == "active",
                                                  BookingRow.start_at > now)
                         .order_by(BookingRow.start_at, BookingRow.id))).scalars()]
        await self._queue_topic_deletion(citizen_id, now)
        await self.session.execute(delete(CitizenRow).where(CitizenRow.id == citizen_id))
        await self.session.execute(  # no foreign key: the citizen may never have been stored
            delete(DeadLetterRow).where(DeadLetterRow.citizen_id == citizen_id))
        return cancelled

    async def _queue_topic_deletion(self, citizen_id: int, now: datetime) -> bool:
        """Keep what the staff group holds of the citizen (their thread, the bot's messages
        there: copies both ways and summaries) in a row until the channel deleted it; the
        citizen's topic row forgets the thread and their message links go."""
        topic = await self.session.get(CitizenTopicRow, citizen_id)
        copies = list((await self.session.execute(
            select(MessageLinkRow.staff_message_id).where(
                MessageLinkRow.citizen_id == citizen_id)
            .order_by(MessageLinkRow.id))).scalars())
        await self.session.execute(
            delete(MessageLinkRow).where(MessageLinkRow.citizen_id == citizen_id))
        thread = topic.thread_id if topic is not None else None
        if topic is not None:
            topic.thread_id = None
        if thread is None and not copies:
            return False
        self.session.add(TopicDeletionRow(thread_id=thread, message_ids=copies, notice=None,
                                          created_at=now))
        await self.session.flush()
        return True

    async def queue_staff_notice(self, notice: str, now: datetime) -> None:
        self.session.add(TopicDeletionRow(thread_id=None, message_ids=[], notice=notice,
                                          created_at=now))
        await self.session.flush()

    async def claim_topic_deletions(self, worker: str, now: datetime, limit: int
                                    ) -> Sequence[TopicDeletion]:
        row = TopicDeletionRow
        pending = select(row.id).where(
            or_(row.claimed_at.is_(None), row.claimed_at < now - CLAIM_EXPIRES)
        ).order_by(row.id).limit(limit).scalar_subquery()
        result = await self.session.execute(
            update(row).where(row.id.in_(pending)).values(claimed_by=worker, claimed_at=now)
            .returning(row.id, row.thread_id, row.message_ids, row.notice))
        return [TopicDeletion(i, t, tuple(int(m) for m in ids or ()), n)
                for i, t, ids, n in sorted(result.all(), key=lambda r: r[0])]

    async def topic_deleted(self, deletion_id: int) -> None:
        await self.session.execute(
            delete(TopicDeletionRow).where(TopicDeletionRow.id == deletion_id))

    async def purge(self, now: datetime, transcript_before: datetime,
                    anonymise_before: datetime, office: Office | None = None
                    ) -> dict[str, int]:
        """Retention: for citizens quiet since ``transcript_before``, transcripts,
        free-text descriptions and what an unfinished conversation collected go, a
        hand-over nobody closed is closed, and their staff thread is queued for deletion;
        long-quiet cases are anonymised (erased, keeping counts)."""
        stale = select(CitizenRow.id).where(CitizenRow.last_seen < transcript_before)
        removed = await self.session.execute(
            delete(TranscriptRow).where(TranscriptRow.citizen_id.in_(stale)))
        cleared = await self.session.execute(
            update(BookingRow).where(BookingRow.citizen_id.in_(stale),
                                     BookingRow.description.is_not(None))
            .values(description=None))
        closed = await self.session.execute(
            update(HandoverRow).where(HandoverRow.citizen_id.in_(stale),
                                      HandoverRow.status.in_(("waiting", "claimed")))
            .values(status="closed", closed_at=now))
        # The version moves, so a turn that read the conversation before starts again.
        forgotten = await self.session.execute(
            update(ConversationRow).where(
                ConversationRow.citizen_id.in_(stale),
                or_(ConversationRow.state != "idle",
                    cast(ConversationRow.data, Text).not_in(("{}", "null"))))
            .values(state="idle", data={}, version=ConversationRow.version + 1))
        with_thread = (await self.session.execute(
            select(CitizenTopicRow.citizen_id).where(
                CitizenTopicRow.citizen_id.in_(stale),
                CitizenTopicRow.thread_id.is_not(None)))).scalars().all()
        topics = 0
        for citizen_id in with_thread:
            topics += await self._queue_topic_deletion(citizen_id, now)
        await self.session.execute(  # links of quiet citizens without a thread any more
            delete(MessageLinkRow).where(MessageLinkRow.citizen_id.in_(stale)))
        await self.session.execute(
            delete(OutboxRow).where(OutboxRow.sent_at.is_not(None),
                                    OutboxRow.sent_at < transcript_before))
        await self.session.execute(  # redeliveries come within hours, not days
            delete(ProcessedUpdateRow).where(
                ProcessedUpdateRow.processed_at < now - timedelta(days=2)))
        await self.session.execute(  # metadata only, but about a person: kept no longer
            delete(DeadLetterRow).where(DeadLetterRow.created_at < transcript_before))
        busy = select(BookingRow.citizen_id).where(BookingRow.status == "active",
                                                   BookingRow.start_at > now)
        open_cases = select(HandoverRow.citizen_id).where(
            HandoverRow.status.in_(("waiting", "claimed")))
        old = (await self.session.execute(
            select(CitizenRow.id).where(CitizenRow.last_seen < anonymise_before,
                                        CitizenRow.id.not_in(busy),
                                        CitizenRow.id.not_in(open_cases)))).scalars().all()
        for citizen_id in old:
            await self.erase(citizen_id, now, office)
        return {"transcript_messages": removed.rowcount or 0,  # type: ignore[attr-defined]
                "descriptions": cleared.rowcount or 0,  # type: ignore[attr-defined]
                "conversations_cleared": forgotten.rowcount or 0,  # type: ignore[attr-defined]
                "handovers_closed": closed.rowcount or 0,  # type: ignore[attr-defined]
                "staff_topics_deleted": topics,
                "citizens_anonymised": len(old)}

    async def tallies(self, month: str) -> dict[tuple[str, str], int]:
        result = await self.session.execute(
            select(TallyRow.metric, TallyRow.key, func.sum(TallyRow.n))
            .where(TallyRow.month == month).group_by(TallyRow.metric, TallyRow.key))
        return {(m, k): int(n) for m, k, n in result.all()}
