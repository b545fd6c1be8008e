"""The citizen's data rights in the chat: the notice, a copy of their data, erasure; and the
retention rules."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from domain import payloads
from domain.booking import ROLE_NAMES
from domain.calendar import is_open_at, live_directory
from domain.events import Erased
from domain.formatting import clock_time, long_day
from domain.menus import Menus
from domain.messages import Button, OutFile, Reply
from domain.model import TopicDeletion
from domain.ports import UnitOfWork
from domain.reporting import Office
from domain.text import GENERAL_INFORMATION, N_, Say
from domain.turn import Services, Turn

ANONYMISE_AFTER_DAYS = 365
STAFF_ERASED = N_("Case {code}: the citizen erased their data. Cancelled appointments: "
                  "{appointments}")
STAFF_COPIES = N_(
    "When a person of the service talks with you here, your messages are also copied to the "
    "staff's private group. They are deleted there too when you delete your data, or {days} "
    "days after your last message. Copies a staff member made outside this chat (a message "
    "forwarded elsewhere, notes taken during the conversation) are not deleted "
    "automatically: ask the office to delete them.")


class Privacy:
    def __init__(self, services: Services, menus: Menus) -> None:
        self.s = services
        self.menus = menus

    def notice(self, turn: Turn) -> None:
        service = self.s.directory.service
        say = turn.say
        turn.reply(say._(
            "This chat is an automated assistant of {service}. The data controller is "
            "{controller} (data protection officer: {dpo}). We use what you write only to answer "
            "you and to help the TEAMS staff help you. We keep your messages for {days} days "
            "after your last message. You can ask to see or to delete your data at any time. "
            "Full notice: {url}",
            service=service.name, controller=service.controller, dpo=service.dpo_contact,
            days=service.retention_days, url=service.privacy_notice_url,
        ) + "\n\n" + say._(STAFF_COPIES, days=service.retention_days)
            + "\n\n" + say._("Telegram chats are not end-to-end encrypted: for very personal "
                           "matters you can also come to the office.")
            + "\n\n" + say._(GENERAL_INFORMATION),
            [[Button("📄 " + say._("My data"), payloads.make("mydata")),
              Button("🗑️ " + say._("Delete my data"), payloads.make("erase"))],
             self.menus.home(turn)])

    async def my_data(self, turn: Turn) -> None:
        say = turn.say
        data = await turn.uow.privacy.export(turn.citizen.id)
        if data is None:
            turn.reply(say._("We hold no data about you."))
            return
        summary = [say._("This is everything the TEAMS service holds about you:"),
                   "• " + say.n_("{n} message in this chat", "{n} messages in this chat",
                                 len(data["messages"])),
                   "• " + say.n_("{n} appointment", "{n} appointments",
                                 len(data["appointments"]))]
        if data["citizen"]["referral"]:
            summary.append("• " + say._("Sent by: {referral}",
                                        referral=data["citizen"]["referral"]))
        summary.append(say._("The attached file has all of it, in a format any computer can "
                             "read."))
        content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
        turn.reply("\n".join(summary), [[Button("🗑️ " + say._("Delete my data"),
                                                payloads.make("erase"))], self.menus.home(turn)],
                   file=OutFile("teams-my-data.json", content, "application/json"))

    def ask_erase(self, turn: Turn) -> None:
        say = turn.say
        turn.reply(say._("Delete everything the service holds about you: messages, what you "
                         "told us, your appointments and waiting-list places? This cannot be "
                         "undone. Future appointments will be cancelled and the staff told."),
                   [[Button(say._("Yes, delete everything"), payloads.make("eraseok")),
                     Button(say._("No"), payloads.make("menu"))]])

    async def erase_now(self, turn: Turn) -> None:
        """Erase within this transaction; the engine then writes nothing back. The staff
        thread's deletion and the note for the staff wait in rows until the channel did
        them; the "erased" event asks it to do them now."""
        await self._erase(turn.uow, turn.citizen.id, turn.now)
        turn.erased = True
        say = turn.say
        turn.replies.append(Reply(
            "✅ " + say._("Your data has been deleted. If you write again, we start from "
                          "the beginning."),
            event=Erased() if self.s.config.staff_chat else None))

    async def _erase(self, uow: UnitOfWork, citizen_id: int, now: datetime
                     ) -> list[dict[str, Any]]:
        topic = await uow.handovers.topic(citizen_id)
        cancelled = await uow.privacy.erase(citizen_id, now, await self._office(uow))
        if self.s.config.staff_chat and (cancelled or topic):
            await uow.privacy.queue_staff_notice(self._staff_erased_notice(
                topic.case_code if topic else "-", cancelled), now)
        return cancelled

    def _staff_erased_notice(self, code: str, cancelled: list[dict[str, Any]]) -> str:
        say = Say(self.s.translations, self.s.config.default_language)
        items = ", ".join(
            f"{c['case_code']} {long_day(c['start'], say.language, self.s.zone)} "
            f"{clock_time(c['start'], say.language, self.s.zone)} "
            f"({say._(ROLE_NAMES.get(c['role'], c['role']))})" for c in cancelled) or "-"
        return say._(STAFF_ERASED, code=code, appointments=items)

    async def retention(self, uow: UnitOfWork, now: datetime) -> dict[str, int]:
        days = self.s.directory.service.retention_days
        return await uow.privacy.purge(now, now - timedelta(days=days),
                                       now - timedelta(days=ANONYMISE_AFTER_DAYS),
                                       await self._office(uow))

    async def _office(self, uow: UnitOfWork) -> Office:
        """The zone and the opening hours (with the days staff closed) an erasure's counts
        are kept in, as the report counts them."""
        directory = await live_directory(self.s.directory, uow)
        return Office(self.s.zone, lambda when: is_open_at(directory, when, self.s.zone))

    async def purge(self) -> dict[str, int]:
        """Apply the retention rules now (also run by the periodic job)."""
        async with self.s.uow_factory() as uow:
            counts = await self.retention(uow, self.s.clock.now())
            await uow.commit()
        return counts

    async def export_citizen(self, citizen_id: int) -> dict[str, Any] | None:
        async with self.s.uow_factory() as uow:
            return await uow.privacy.export(citizen_id)

    async def erase_citizen(self, citizen_id: int) -> list[dict[str, Any]]:
        """Staff at the desk erase a citizen's data on their request."""
        async with self.s.uow_factory() as uow:
            cancelled = await self._erase(uow, citizen_id, self.s.clock.now())
            await uow.commit()
        return cancelled

    async def take_topic_deletions(self, worker: str, limit: int = 20
                                   ) -> Sequence[TopicDeletion]:
        """Claim the staff copies waiting to be deleted (after erasures and retention)."""
        async with self.s.uow_factory() as uow:
            jobs = await uow.privacy.claim_topic_deletions(worker, self.s.clock.now(), limit)
            await uow.commit()
        return jobs

    async def topic_deleted(self, deletion_id: int) -> None:
        """The channel deleted them (or found them gone)."""
        async with self.s.uow_factory() as uow:
            await uow.privacy.topic_deleted(deletion_id)
            await uow.commit()
