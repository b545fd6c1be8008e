"""Updates put aside: one that fails for good (or keeps failing) is recorded without its text,
so that it is not tried again and the citizens behind it are served; staff see how many, and
when, in ``/metrics``."""

from __future__ import annotations

from datetime import timedelta

from domain.formatting import clock_time, long_day
from domain.model import DeadLetter
from domain.staffview import StaffView, staff_say
from domain.text import N_
from domain.turn import Services

SHOWN = 5
RECENT = timedelta(days=7)
PUT_ASIDE = N_("Updates put aside because they could not be handled: {total} ({recent} in the "
               "last 7 days). Their text is not kept; details: teams-bot deadletters list")


class DeadLetters:
    def __init__(self, services: Services) -> None:
        self.s = services

    async def put_aside(self, letter: DeadLetter) -> str | None:
        """Record the update as put aside and as handled (a redelivery is then a no-op and
        nobody is answered twice); returns the citizen's language when they are known."""
        async with self.s.uow_factory() as uow:
            await uow.dead_letters.add(letter)
            if letter.update_id is not None:
                await uow.updates.remember(letter.update_id, letter.at, [])
            citizen = (await uow.citizens.get(letter.citizen_id)
                       if letter.citizen_id is not None else None)
            await uow.commit()
        return citizen.language if citizen is not None else None

    async def view(self, user_id: int) -> StaffView | None:
        """``/metrics`` for registered staff: how many updates were put aside, and the latest
        few (when, where it failed, the error's type, the case code); None for others."""
        now = self.s.clock.now()
        async with self.s.uow_factory() as uow:
            member = await uow.staff.get(user_id)
            if member is None:
                return None
            say = staff_say(self.s, member)
            total = await uow.dead_letters.count()
            recent = await uow.dead_letters.count(now - RECENT)
            lines = []
            for letter in await uow.dead_letters.latest(SHOWN):
                topic = (await uow.handovers.topic(letter.citizen_id)
                         if letter.citizen_id is not None else None)
                lines.append(
                    f"• {long_day(letter.at, say.language, self.s.zone)} "
                    f"{clock_time(letter.at, say.language, self.s.zone)} · {letter.stage} · "
                    f"{letter.error} · ×{letter.attempts}"
                    + (f" · {topic.case_code}" if topic is not None else ""))
        view = StaffView()
        view.add("\n".join([say._(PUT_ASIDE, total=total, recent=recent), *lines]))
        return view
