"""How many transactions and statements a citizen's message costs, counted on a real SQLite
database through the real PTB application: a relayed message is handled in its turn's
transaction and confirmed (with the link to its copy) in one more; asking for a person
likewise (the thread, the summary and its link are read or recorded in those two)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from domain.model import StaffMember
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import feed, make_app, message_update, staffed

STAFF_CHAT = -1001234567890
MEDIATOR, CITIZEN = 777001, 4242
TABLE = {"persona": "human_handover"}


class Counter:
    """Transactions begun and statements run on one database engine."""

    def __init__(self, db: Any) -> None:
        self.transactions = self.statements = 0
        event.listen(db.sync_engine, "begin", self._begin)
        event.listen(db.sync_engine, "before_cursor_execute", self._statement)

    def _begin(self, conn: Any) -> None:
        self.transactions += 1

    def _statement(self, *args: Any) -> None:
        self.statements += 1

    def take(self) -> tuple[int, int]:
        counted = (self.transactions, self.statements)
        self.transactions = self.statements = 0
        return counted


@pytest.fixture
async def world(tmp_path):
    engine, db = await staffed(f"sqlite+aiosqlite:///{tmp_path / 'count.db'}",
                               KeywordUnderstanding(TABLE),
                               [StaffMember(MEDIATOR, "Mediator", "mediator", ("it",))])
    api = FakeBotAPI()
    app = await make_app(engine, api, STAFF_CHAT)
    yield app, api, Counter(db)
    await app.shutdown()
    await db.dispose()


async def test_a_relayed_message_costs_its_turn_and_one_confirmation(world):
    app, api, counter = world
    await feed(app, message_update(CITIZEN, "ciao"))  # a first message: the citizen exists
    counter.take()
    await feed(app, message_update(CITIZEN, "/human"))
    human = counter.take()
    assert api.sent("createForumTopic") and api.sent("copyMessage") == []
    for text in ("the first words for the mediator", "and more words"):
        await feed(app, message_update(CITIZEN, text))
    relay = counter.take()
    assert len(api.sent("copyMessage")) == 2  # both copied into the thread
    print({"human": {"transactions": human[0], "statements": human[1]},
           "two relays": {"transactions": relay[0], "statements": relay[1]}})
    # /human: the turn (which reads the summary) and the confirmation (thread, summary link)
    assert human[0] == 2, human
    # each relayed message: its turn (which reads the thread) and its confirmation + link
    assert relay[0] == 2 * 2, relay
    # statements (BEGIN and COMMIT included), as measured: before the typed events, /human
    # took 5 transactions and 25 statements, a relayed message 3 and 10
    assert human[1] <= 22, human
    assert relay[1] <= 2 * 9, relay
