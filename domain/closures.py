"""Closing a day from Telegram (``/closed``), deciding about the citizens booked that day
(keep them, or cancel and tell them), reopening it (``/reopen``). Coordinators only; today or
a later day only."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from domain.agenda import Agenda
from domain.calendar import live_directory
from domain.formatting import long_day
from domain.messages import Button
from domain.model import StaffMember
from domain.ports import UnitOfWork
from domain.staffview import COORDINATORS_ONLY, StaffView, coordinator, staff_say
from domain.text import Say
from domain.turn import Services

log = logging.getLogger(__name__)
CLOSURE_HORIZON = timedelta(days=2 * 366)  # a closure at most two years ahead


class Closures:
    def __init__(self, services: Services, agenda: Agenda) -> None:
        self.s = services
        self.agenda = agenda

    def _staff_day(self, say: Say, word: str, usage: str) -> tuple[date | None, str]:
        """A day for ``/closed`` or ``/reopen``: today or later, within the horizon."""
        today = self.s.clock.now().astimezone(self.s.zone).date()
        try:
            day = date.fromisoformat(word)
        except ValueError:
            return None, usage
        if day < today:
            return None, say._("{day} is past: only today or a later day.",
                               day=day.isoformat())
        if day - today > CLOSURE_HORIZON:
            return None, say._("{day} is too far ahead.", day=day.isoformat())
        return day, ""

    def _day_name(self, say: Say, day: date) -> str:
        return long_day(datetime.combine(day, time(12), tzinfo=self.s.zone), say.language,
                        self.s.zone)

    async def close(self, user_id: int, argument: str) -> StaffView | None:
        """``/closed DATE [reason]``: no new bookings that day; booked citizens are listed
        with the choice to keep them or cancel and tell them. Coordinators only."""
        async with self.s.uow_factory() as uow:
            say = staff_say(self.s, await uow.staff.get(user_id))
            member, view = await coordinator(uow, user_id, "closing a day", say)
            if member is None or view.messages:
                return view if member is not None else None
            word, _, reason = argument.strip().partition(" ")
            day, refusal = self._staff_day(
                say, word, say._("Write /closed YYYY-MM-DD and, if you want, a reason."))
            if day is None:
                view.add(refusal)
                return view
            reason = "".join(c for c in reason if c.isprintable()).strip()[:200]  # no NUL
            await uow.closures.add(day, reason, user_id, self.s.clock.now())
            stranded = await self.agenda.booked_on(uow, day, self.s.clock.now())
            await uow.commit()
        key = day.strftime("%Y%m%d")
        text = say._("Closed on {day}: no new appointments.", day=self._day_name(say, day))
        reopen = [Button("↩️ " + say._("Reopen"), f"stf:open.{key}")]
        if not stranded:
            view.add(text, [reopen])
            return view
        lines = [self.agenda.line(say, b) for b in stranded]
        view.personal = True
        view.add(text + "\n\n" + say.n_(
            "{n} citizen is booked that day:", "{n} citizens are booked that day:",
            len(stranded)) + "\n\n" + "\n\n".join(lines),
            [[Button(say._("Keep them"), f"stf:keep.{key}"),
              Button(say._("Cancel and tell them"), f"stf:drop.{key}")], reopen])
        return view

    async def reopen_command(self, user_id: int, argument: str) -> StaffView | None:
        """``/reopen DATE``: undo a closure made with ``/closed``. Coordinators only."""
        async with self.s.uow_factory() as uow:
            say = staff_say(self.s, await uow.staff.get(user_id))
            member, view = await coordinator(uow, user_id, "reopening a day", say)
            if member is None or view.messages:
                return view if member is not None else None
            day, refusal = self._staff_day(say, argument.strip(),
                                           say._("Write /reopen YYYY-MM-DD."))
            if day is None:
                view.add(refusal)
                return view
            view.add(await self.reopen(uow, member, day, say, self.s.clock.now()))
            await uow.commit()
            return view

    async def reopen(self, uow: UnitOfWork, member: StaffMember, day: date, say: Say,
                      now: datetime) -> str:
        if not member.sees_everyone:
            log.info("staff button refused: reopening a day needs a coordinator")
            return say._(COORDINATORS_ONLY)
        if day < now.astimezone(self.s.zone).date():
            return say._("{day} is past: only today or a later day.", day=day.isoformat())
        if await uow.closures.remove(day):
            return say._("Reopened {day}: appointments can be booked again. Appointments "
                         "already cancelled stay cancelled.", day=self._day_name(say, day))
        if any(c.date <= day <= (c.until or c.date) for c in self.s.directory.closures):
            return say._("{day} is closed in the service directory file: change it there.",
                         day=self._day_name(say, day))
        return say._("{day} was not closed.", day=self._day_name(say, day))

    async def stranded(self, uow: UnitOfWork, member: StaffMember, day: date, action: str,
                        say: Say, now: datetime) -> str:
        if not member.sees_everyone:
            log.info("staff button refused: a closed day's bookings need a coordinator")
            return say._(COORDINATORS_ONLY)
        if day < now.astimezone(self.s.zone).date():
            return say._("{day} is past: only today or a later day.", day=day.isoformat())
        directory = await live_directory(self.s.directory, uow)
        if not any(c.date <= day <= (c.until or c.date) for c in directory.closures):
            log.info("staff button refused: the day is not closed")
            return say._("{day} is not closed: close it first with /closed.",
                         day=self._day_name(say, day))
        stranded = await self.agenda.booked_on(uow, day, now)
        if action == "keep":
            return say.n_("{n} appointment kept.", "{n} appointments kept.", len(stranded))
        cancelled = 0
        for booking in stranded:
            cancelled += await self.agenda.cancel(uow, booking, now)
        return say.n_("{n} appointment cancelled; the citizen was told.",
                      "{n} appointments cancelled; the citizens were told.", cancelled)
