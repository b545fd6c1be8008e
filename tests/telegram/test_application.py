"""The Telegram side through a real PTB Application whose HTTP layer is a fake Bot API."""

from __future__ import annotations

import pytest

from bot.i18n import Catalogs
from domain.languages import LANGUAGES
from handlers.telegram import publish_commands, split_text
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import button_update, feed, make_app, make_engine, message_update

TABLE = {"fiscale": "faq_tax_code", "aiuto subito": "emergency"}


@pytest.fixture
async def setup(tmp_path):
    from storage.database import upgrade_async

    url = f"sqlite+aiosqlite:///{tmp_path / 'tg.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, KeywordUnderstanding(TABLE))
    api = FakeBotAPI()
    app = await make_app(engine, api)
    api.clear()
    yield app, api, url
    await app.shutdown()
    await db.dispose()


def keyboard_data(params: dict) -> list[str]:
    markup = params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_start_without_client_language_shows_the_language_keyboard(setup):
    app, api, _ = setup
    await feed(app, message_update(501, "/start centro_impiego", language=None))
    sent = api.sent()
    assert len(sent) == 1 and sent[0]["chat_id"] == 501
    assert keyboard_data(sent[0]) == [f"lang:{c}" for c in LANGUAGES]


async def test_pressing_a_language_button_answers_the_query_and_welcomes(setup):
    app, api, _ = setup
    await feed(app, button_update(502, "lang:en"))
    assert api.sent("answerCallbackQuery")
    welcome = api.sent()[0]
    assert "automated assistant of the TEAMS service" in welcome["text"]
    assert "group:documents" in keyboard_data(welcome)
    assert all(len(d.encode()) <= 64 for d in keyboard_data(welcome))


async def test_the_reply_to_a_press_does_not_wait_for_the_spinner_to_stop(setup):
    """answerCallbackQuery is one more round trip to Telegram: it runs beside the handling,
    so the reply leaves while it is still on its way."""
    import asyncio

    app, api, _ = setup
    events: list[str] = []
    real = api.do_request

    async def slow_answers(url, method, request_data=None, **kwargs):
        name = url.rsplit("/", 1)[-1]
        events.append(f"start {name}")
        if name == "answerCallbackQuery":
            await asyncio.sleep(0.3)  # a slow network to Telegram
        result = await real(url, method, request_data, **kwargs)
        events.append(f"end {name}")
        return result

    api.do_request = slow_answers  # type: ignore[method-assign]
    await feed(app, button_update(503, "menu"))
    assert events.index("start sendMessage") < events.index("end answerCallbackQuery")


async def test_a_faq_by_buttons_in_three_taps(setup):
    app, api, _ = setup
    await feed(app, message_update(503, "/menu"))
    await feed(app, button_update(503, "group:documents"))
    assert "faq:faq_tax_code" in keyboard_data(api.sent()[-1])
    await feed(app, button_update(503, "faq:faq_tax_code"))
    answer = api.sent()[-1]
    assert "agenziaentrate.gov.it" in answer["text"]
    assert keyboard_data(answer) == ["book:faq_tax_code", "human", "group:documents", "menu"]


async def test_free_text_is_understood_through_telegram(setup):
    app, api, _ = setup
    await feed(app, message_update(504, "codice fiscale??"))
    assert "agenziaentrate.gov.it" in api.sent()[-1]["text"]


async def test_forged_callback_data_gets_a_friendly_answer(setup):
    app, api, _ = setup
    await feed(app, button_update(505, "faq:../../../etc/passwd"))
    assert "no longer valid" in api.sent()[-1]["text"]


@pytest.mark.parametrize("extra", [
    {"sticker": {"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1,
                 "is_animated": False, "is_video": False, "type": "regular"}},
    {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
    {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]},
    {"location": {"latitude": 43.7, "longitude": 11.2}},
])
async def test_media_gets_a_kind_answer(setup, extra):
    app, api, _ = setup
    await feed(app, message_update(506, None, **extra))
    assert len(api.sent()) == 1
    assert "group:documents" in keyboard_data(api.sent()[0])


async def test_group_messages_are_ignored(setup):
    app, api, _ = setup
    await feed(app, message_update(507, "codice fiscale", chat_type="supergroup"))
    assert api.sent() == []


async def test_a_citizen_who_blocked_the_bot_does_not_break_the_handler(setup):
    app, api, _ = setup
    api.blocked.add(508)
    await feed(app, message_update(508, "/menu"))
    await feed(app, message_update(509, "/menu"))
    assert api.sent()[-1]["chat_id"] == 509


def test_long_texts_are_split_under_telegram_limit():
    text = ("parola " * 50 + "\n") * 40
    pieces = split_text(text)
    assert len(pieces) > 1 and all(len(p) <= 4096 for p in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == text.replace(
        "\n", "").replace(" ", "")


async def test_commands_and_descriptions_are_set_in_every_language(setup):
    app, api, _ = setup
    await publish_commands(app, Catalogs(), "it")
    codes = [p.get("language_code") for p in api.sent("setMyCommands")]
    assert codes == [None, *LANGUAGES]
    assert len(api.sent("setMyDescription")) == len(LANGUAGES) + 1
    commands = [c["command"] for c in api.sent("setMyCommands")[0]["commands"]]
    assert commands == ["start", "menu", "appointments", "language", "human", "privacy",
                        "help"]


async def test_a_toggled_needs_keyboard_edits_the_message_in_place(setup):
    app, api, _ = setup
    await feed(app, message_update(510, "/book"))
    await feed(app, button_update(510, "consent:yes"))
    api.clear()
    await feed(app, button_update(510, "need:work"))
    edits = api.sent("editMessageText")
    assert len(edits) == 1 and "✅" in str(edits[0]["reply_markup"])


async def test_scheduled_messages_are_delivered_once_by_the_job(setup):
    from domain.model import OutboundMessage
    from handlers.telegram import deliver_due
    from tests.telegram.helpers import feed as _feed

    app, api, _ = setup
    await _feed(app, message_update(511, "/menu"))
    engine = app.bot_data.engine
    async with engine.uow_factory() as uow:
        await uow.outbox.add(OutboundMessage(511, "⏰ reminder", [[{"label": "ok",
                                                                    "payload": "appts"}]]))
        await uow.commit()
    api.clear()

    class Ctx:
        bot = app.bot
        bot_data = app.bot_data

    await deliver_due(Ctx())  # type: ignore[arg-type]
    await deliver_due(Ctx())  # type: ignore[arg-type]
    sent = api.sent()
    assert [m["text"] for m in sent] == ["⏰ reminder"]
    assert sent[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "appts"


async def test_a_scheduled_message_telegram_refuses_is_not_tried_for_ever(setup):
    """A 400 on a reminder (a chat Telegram no longer knows) is the same on every try: it is
    dropped, not claimed again and again in front of the others."""
    from domain.model import OutboundMessage
    from handlers.telegram import deliver_due
    from tests.telegram.helpers import feed as _feed

    app, api, url = setup
    await _feed(app, message_update(512, "/menu"))
    engine = app.bot_data.engine
    async with engine.uow_factory() as uow:
        await uow.outbox.add(OutboundMessage(512, "⏰ reminder", []))
        await uow.commit()
    api.fail("sendMessage", 400, "Bad Request: chat not found", chat_id=512)

    class Ctx:
        bot = app.bot
        bot_data = app.bot_data

    await deliver_due(Ctx())  # type: ignore[arg-type]
    assert api.refused  # it was tried, and refused
    from sqlalchemy import update

    from storage.database import create_engine
    from storage.tables import OutboxRow

    db = create_engine(url)
    async with db.begin() as conn:  # an hour later: any claim of it is long stale
        await conn.execute(update(OutboxRow).values(claimed_at=None))
    await db.dispose()
    api.clear()
    await deliver_due(Ctx())  # type: ignore[arg-type]
    assert api.sent() == []
