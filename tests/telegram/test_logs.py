"""No message text, name or phone number ever reaches the logs, even at DEBUG level."""

from __future__ import annotations

import logging

from bot.logs import configure
from storage.database import upgrade_async
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import button_update, feed, make_app, make_engine, message_update

SECRET_WORDS = ["Zorblaxine", "Quimperlo", "+39 333 1234567", "Fenwickson"]


async def test_a_whole_conversation_leaves_no_words_in_the_logs(tmp_path, caplog):
    configure(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    url = f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, KeywordUnderstanding({"fiscale": "faq_tax_code"}))
    api = FakeBotAPI()
    app = await make_app(engine, api)
    user = {"first_name": "Fenwickson"}
    await feed(app, message_update(801, "/start centro_impiego", **{}))
    await feed(app, message_update(801, f"I am {SECRET_WORDS[0]} from {SECRET_WORDS[1]}"))
    await feed(app, message_update(801, f"my phone is {SECRET_WORDS[2]}, codice fiscale?"))
    await feed(app, button_update(801, "group:health"))
    await feed(app, message_update(801, "/book"))
    await feed(app, button_update(801, "consent:yes"))
    await feed(app, button_update(801, "need:work"))
    await feed(app, button_update(801, "needs_done"))
    await feed(app, button_update(801, "urg:week"))
    await feed(app, button_update(801, "mlang:en"))
    await feed(app, message_update(801, f"{SECRET_WORDS[0]} needs a job, call {user}"))
    await app.shutdown()
    await db.dispose()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records, "the test must see some logging to mean anything"
    for word in SECRET_WORDS:
        assert word not in logged
    configure(logging.WARNING)


# -- item 12: failures whose text carries personal data ----------------------------------------

STAFF_CHAT = -1001234567890
MEDIATOR = 777001
WORDS = "Zorblaxine Quimperlo"
PHONE = "+39 333 1234567"
SECRET_TOKEN = "987654321:AAHsyntheticTokenForTestsOnly_abcdEFGH12"


def _all_output(caplog, capsys) -> str:
    """Everything the logs printed, formatted as a handler formats it (tracebacks too)."""
    captured = capsys.readouterr()
    return caplog.text + captured.err + captured.out


async def test_a_database_error_leaves_no_parameters_in_the_logs(database_url, caplog, capsys):
    """A mediator's words (with a phone number) fail to be stored: the traceback that
    on_error logs holds the SQL's shape, never its parameters."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    from domain.model import StaffMember
    from storage.database import create_engine

    configure(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    engine, db = make_engine(database_url, KeywordUnderstanding({"persona": "human_handover"}))
    engine.config = type(engine.config)(staff_chat=True)
    async with engine.uow_factory() as uow:
        await uow.staff.add(StaffMember(MEDIATOR, "Mediatrice", "mediator", ("it",)),
                            datetime.now(UTC))
        await uow.commit()
    api = FakeBotAPI()
    app = await make_app(engine, api, STAFF_CHAT)
    try:
        await feed(app, message_update(811, "una persona per favore"))
        thread = api.thread_id
        other = create_engine(database_url)
        async with other.begin() as conn:  # the table is gone: storing the words fails
            await conn.execute(text("DROP TABLE transcript"))
        await other.dispose()
        capsys.readouterr()
        message = message_update(MEDIATOR, f"{WORDS}, call {PHONE}", chat_type="supergroup")
        message["message"]["chat"].update(id=STAFF_CHAT, is_forum=True)
        message["message"]["message_thread_id"] = thread
        message["message"]["is_topic_message"] = True
        await feed(app, message)
    finally:
        await app.shutdown()
        await db.dispose()
    output = _all_output(caplog, capsys)
    configure(logging.WARNING)
    if "put aside" in output:  # PostgreSQL: a permanent error, logged with its traceback
        assert "Traceback" in output
        assert "transcript" in output  # the statement's shape helps whoever reads the log
    else:  # SQLite's "no such table" is an OperationalError, as "locked" is: tried again
        assert "it will come again" in output
    for secret in (WORDS, "Zorblaxine", PHONE, "1234567"):
        assert secret not in output


async def test_libraries_log_no_words_and_exception_messages_are_not_formatted(
        caplog, capsys):
    """Whatever logs later: a library's arguments and any exception's message stay out;
    the bot token is blanked even in our own lines."""
    configure(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    for name in ("telegram.ext.Updater", "httpx", "asyncio", "some.future.library"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        raise ValueError(f"could not parse {WORDS} {PHONE}")
    except ValueError:
        logging.getLogger("some.future.library").exception("parse failed for %s", WORDS)
        logging.getLogger("handlers.telegram").error("failed", exc_info=True)
    try:
        try:
            raise KeyError(PHONE)
        except KeyError as inner:
            raise RuntimeError(WORDS) from inner
    except RuntimeError:
        logging.getLogger("asyncio").error("Task exception was never retrieved\n"
                                           f"future: <Task exception={WORDS!r}>",
                                           exc_info=True)
    logging.getLogger("telegram.ext.Updater").debug(
        "Calling Bot API endpoint `%s` with parameters `%s`", "sendMessage",
        {"chat_id": 811, "text": WORDS})
    logging.getLogger("httpx").info(
        'HTTP Request: POST https://api.telegram.org/bot%s/getMe "200 OK"', SECRET_TOKEN)
    logging.getLogger("bot.run").warning(
        "reaching https://api.telegram.org/bot%s/getMe failed", SECRET_TOKEN)
    output = _all_output(caplog, capsys)
    configure(logging.WARNING)
    assert "ValueError" in output and "RuntimeError" in output and "KeyError" in output
    assert "Traceback" in output and "parse failed" in output
    for secret in (WORDS, "Zorblaxine", PHONE, SECRET_TOKEN, SECRET_TOKEN.split(":")[1]):
        assert secret not in output


def test_a_rejected_token_is_never_printed(tmp_path):
    """``teams-bot run`` with a token the Bot API refuses: a clear message, no token, no
    traceback with it, at DEBUG."""
    import json
    import os
    import subprocess
    import sys
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from pathlib import Path

    class Refuse(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"ok": False, "error_code": 401,
                               "description": "Unauthorized"}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEAMS_")}
    env.update(TEAMS_TELEGRAM_TOKEN=SECRET_TOKEN,
               TEAMS_TELEGRAM_API_URL=f"http://127.0.0.1:{server.server_port}",
               TEAMS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'token.db'}",
               TEAMS_LOG_LEVEL="DEBUG", TEAMS_LISTEN_PORT="0")
    try:
        done = subprocess.run([sys.executable, "-m", "bot.cli", "run", "--demo"], env=env,
                              cwd=Path(__file__).resolve().parents[2], capture_output=True,
                              text=True, timeout=120)
    finally:
        server.shutdown()
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "TEAMS_TELEGRAM_TOKEN" in output  # says which setting to fix
    assert SECRET_TOKEN not in output and SECRET_TOKEN.split(":")[1] not in output


async def test_an_update_ptb_cannot_parse_is_not_logged_whole(tmp_path, caplog, capsys):
    """PTB logs a batch it cannot parse at CRITICAL, with every citizen's words in it."""
    import pytest

    configure(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("telegram").setLevel(logging.DEBUG)  # whatever the level
    api = FakeBotAPI()
    api.updates = [{"update_id": 7001, "message": {
        "message_id": 1, "date": "yesterday", "chat": {"id": 811, "type": "private"},
        "from": {"id": 811, "is_bot": False, "first_name": "Fenwickson"},
        "text": f"{WORDS} {PHONE}"}}]
    engine, db = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'parse.db'}",
                             KeywordUnderstanding({}))
    app = await make_app(engine, api)
    with pytest.raises(Exception):  # noqa: B017 - whichever PTB raises
        await app.bot.get_updates()
    await app.shutdown()
    await db.dispose()
    output = _all_output(caplog, capsys)
    configure(logging.WARNING)
    assert "Error while parsing updates" in output  # it was logged, without the batch
    for secret in (WORDS, PHONE, "Fenwickson"):
        assert secret not in output
