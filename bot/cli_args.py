"""The ``teams-bot`` command line's arguments: every command, sub-command and flag."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

Commands = Any  # argparse's sub-parsers action (its class is private)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="teams-bot", description=(
        "Multilingual assistant of the TEAMS orientation service for foreign citizens."))
    sub = parser.add_subparsers(dest="command", required=True)
    _assistant_commands(sub)
    _nlu_commands(sub)
    _bookings_commands(sub)
    _staff_commands(sub)
    _privacy_commands(sub)
    _deadletters_commands(sub)
    _report_and_content_commands(sub)
    return parser


def _assistant_commands(sub: Commands) -> None:
    shell = sub.add_parser("shell", help="talk to the assistant in this terminal")
    shell.add_argument("--lang", help="the client's language code (like Telegram's)")
    shell.add_argument("--user", type=int, default=1, help="citizen id (default 1)")
    shell.add_argument("--json", action="store_true", help="one JSON line per reply")

    run = sub.add_parser("run", help="run the Telegram bot (long polling, or --webhook)")
    run.add_argument("--webhook", action="store_true",
                     help="serve the Bot API webhook, /healthz and /metrics (uvicorn)")
    run.add_argument("--demo", action="store_true",
                     help="allow the invented example service directory (its contacts are not "
                     "real): for trying the bot, never for citizens")

    db = sub.add_parser("db", help="database")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply the database migrations")


def _nlu_commands(sub: Commands) -> None:
    nlu = sub.add_parser("nlu", help="language understanding")
    nlu_sub = nlu.add_subparsers(dest="nlu_command", required=True)
    parse = nlu_sub.add_parser("parse", help="print the parse result of a text as JSON")
    parse.add_argument("text")
    parse.add_argument("--lang", help="the conversation's language, a hint for short texts")
    evaluate = nlu_sub.add_parser("evaluate", help="score Rasa NLU YAML files named <lang>.yml")
    evaluate.add_argument("paths", nargs="+", type=Path)
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--no-hint", action="store_true",
                          help="do not pass each file's language as the conversation language")
    evaluate.add_argument("--errors", action="store_true", help="list every wrong example")
    nlu_sub.add_parser("train", help="train the embedded model now (otherwise on first start)")
    nlu_sub.add_parser("build", help="train the model of the package's data and write it as "
                       "the shipped model nlu/trained.npz (commit it)")
    nlu_sub.add_parser("distil", help="distil the static token embeddings nlu/static.npz from "
                       "the installed encoder (once, ~5 min; then `nlu build`; commit both)")
    passages = nlu_sub.add_parser(
        "passages", help="encode the FAQ answers' passages once and write nlu/passages.npz "
        "(commit it); unchanged passages are kept, so after an edit only the changed ones "
        "are encoded")
    passages.add_argument("--output", type=Path, help="write here instead (it is read first)")
    export = nlu_sub.add_parser("export-rasa", help="write a Rasa 3.x project")
    export.add_argument("target", type=Path)


def _bookings_commands(sub: Commands) -> None:
    bookings = sub.add_parser("bookings", help="booked appointments (staff)")
    bookings_sub = bookings.add_subparsers(dest="bookings_command", required=True)
    listing = bookings_sub.add_parser("list", help="list appointments")
    export = bookings_sub.add_parser("export", help="export appointments as CSV or iCalendar")
    export.add_argument("--format", choices=("csv", "ics"), required=True)
    export.add_argument("--out", type=Path, help="write to this file instead of the screen")
    for command in (listing, export):
        command.add_argument("--from", dest="start", type=date.fromisoformat,
                             help="first day, YYYY-MM-DD (default: today)")
        command.add_argument("--to", dest="end", type=date.fromisoformat,
                             help="last day, YYYY-MM-DD (default: a year on)")
    listing.add_argument("--json", action="store_true")


def _staff_commands(sub: Commands) -> None:
    staff = sub.add_parser("staff", help="the staff registry")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="register or update a staff member")
    add.add_argument("user_id", type=int, help="Telegram user id")
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--role", required=True,
                     help="social_worker, labour_expert, mediator, coordinator or admin")
    add.add_argument("--languages", default="it", help="comma-separated codes, e.g. it,ar,fr")
    add.add_argument("--professional", help="their id in the service directory (agenda)")
    remove = staff_sub.add_parser("remove", help="remove a staff member")
    remove.add_argument("user_id", type=int)
    staff_sub.add_parser("list", help="list staff members")


def _privacy_commands(sub: Commands) -> None:
    privacy = sub.add_parser("privacy", help="a citizen's data rights, and retention")
    privacy_sub = privacy.add_subparsers(dest="privacy_command", required=True)
    for name, text in (("export", "print everything held about a citizen, as JSON"),
                       ("erase", "erase a citizen's data (future appointments cancelled)")):
        command = privacy_sub.add_parser(name, help=text)
        command.add_argument("--citizen", type=int, required=True, help="Telegram user id")
    privacy_sub.add_parser("purge", help="apply the retention rules now")


def _deadletters_commands(sub: Commands) -> None:
    dead = sub.add_parser("deadletters",
                          help="updates put aside because they could not be handled")
    dead_sub = dead.add_subparsers(dest="deadletters_command", required=True)
    dead_list = dead_sub.add_parser("list", help="list them, newest first (no text is kept)")
    dead_list.add_argument("--json", action="store_true")
    dead_list.add_argument("--limit", type=int, default=100)
    dead_clear = dead_sub.add_parser("clear", help="delete them (all, or older ones)")
    dead_clear.add_argument("--before", type=date.fromisoformat,
                            help="only those recorded before this day, YYYY-MM-DD")


def _report_and_content_commands(sub: Commands) -> None:
    report = sub.add_parser("report", help="the zone's figures (HTML with charts, and CSV)")
    span = report.add_mutually_exclusive_group(required=True)
    span.add_argument("--month", metavar="YYYY-MM", help="a month")
    span.add_argument("--from", dest="first", metavar="YYYY-MM-DD",
                      help="first day (with --to)")
    report.add_argument("--to", dest="last", metavar="YYYY-MM-DD",
                        help="last day (with --from)")
    report.add_argument("--lang", default="it", choices=("it", "en"),
                        help="the report's language (default: it)")
    report.add_argument("--out", type=Path, default=Path("reports"), help="folder to write")

    content = sub.add_parser("content", help="FAQ content")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    content_sub.add_parser("check", help="check every answer in every language, and report "
                           "the review coverage")
    export = content_sub.add_parser("export", help="write the effective content (the files "
                                    "with the approvals and corrections made in Telegram)")
    export.add_argument("target", type=Path, help="folder to write <lang>/<group>.yml into")
