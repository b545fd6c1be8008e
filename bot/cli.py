"""The ``teams-bot`` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from bot.settings import Settings, SettingsError, load_settings
from domain.parse import Parse
from domain.yamlfile import FileError

Commands = Any  # argparse's sub-parsers action (its class is private)


def _parser() -> argparse.ArgumentParser:
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
    report = sub.add_parser("report", help="the monthly figures (HTML with charts, and CSV)")
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument("--out", type=Path, default=Path("reports"), help="folder to write")

    content = sub.add_parser("content", help="FAQ content")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    content_sub.add_parser("check", help="check every answer in every language, and report "
                           "the review coverage")
    export = content_sub.add_parser("export", help="write the effective content (the files "
                                    "with the approvals and corrections made in Telegram)")
    export.add_argument("target", type=Path, help="folder to write <lang>/<group>.yml into")


def _setup_logging(settings: Settings, quiet: bool = False) -> None:
    from bot.logs import configure

    token = settings.telegram_token.get_secret_value() if settings.telegram_token else None
    configure(logging.WARNING if quiet else getattr(logging, settings.log_level),
              secrets=(token,))


async def _shell(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import build_services
    from bot.shell import Shell

    services = await build_services(settings, background=True)
    if services.directory.example:
        print("teams-bot: example directory: contacts are not real (set TEAMS_SERVICE_FILE to "
              "your zone's service directory)", file=sys.stderr)
    try:
        return await Shell(services.engine, args.user, args.lang, args.json).run()
    finally:
        await services.close()


def _nlu(settings: Settings, args: argparse.Namespace) -> int:
    if args.nlu_command == "export-rasa":
        from nlu.export import export_rasa

        counts = export_rasa(args.target)
        print(f"Wrote a Rasa project to {args.target} ({sum(counts.values())} examples, "
              f"{len(counts)} intents). Train it with: rasa train nlu")
        return 0
    from bot.services import build_parser

    if args.nlu_command == "train":
        from nlu.encoder import load_encoder
        from nlu.model import NluConfig, load_or_train
        from nlu.progress import tqdm_progress

        load_or_train(load_encoder(), settings.nlu_cache_dir, NluConfig.load(),
                      progress_factory=tqdm_progress, force=True)
        print(f"Trained; cached in {settings.nlu_cache_dir}")
        return 0
    if args.nlu_command == "build":
        from nlu.encoder import E5Encoder
        from nlu.model import NluConfig, build
        from nlu.progress import tqdm_progress

        path = build(E5Encoder(), settings.nlu_cache_dir, NluConfig.load(), tqdm_progress)
        print(f"Wrote {path} ({path.stat().st_size / 1e6:.1f} MB); commit it with the data.")
        return 0
    parser = build_parser(settings)
    if args.nlu_command == "parse":
        print(json.dumps(parser.parse(args.text, args.lang).to_dict(), ensure_ascii=False,
                         indent=2))
        return 0
    from nlu.evaluate import evaluate, format_report

    report = evaluate(args.paths, parser.parse, use_hint=not args.no_hint)
    if not args.errors:
        report.pop("errors")
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(format_report(report))
        for err in report.get("errors", []):
            print(f"  {err['file']}: {err['gold']} -> {err['predicted']}: {err['text']}")
    return 0


def _content(settings: Settings, args: argparse.Namespace) -> int:
    from bot.i18n import LOCALES_DIR
    from domain.content import check_content, load_content

    if args.content_command == "export":
        from bot.content_cli import export

        count = asyncio.run(export(settings.database_url, LOCALES_DIR / "faq", args.target))
        print(f"wrote {count} content files to {args.target}")
        return 0
    report = check_content(load_content(LOCALES_DIR / "faq"))
    print(f"{'language':<9} {'topics':>7} {'reviewed':>9} {'needs review':>13}")
    for lang, (present, expected, reviewed) in report.coverage.items():
        print(f"{lang:<9} {present:>3}/{expected:<3} {reviewed:>5}/{present:<3} "
              f"{report.needs_review.get(lang, 0):>12}")
    for problem in report.problems:
        print(f"problem: {problem}")
    print("content check: " + ("ok" if not report.problems else
                               f"{len(report.problems)} problem(s)"))
    return 0 if not report.problems else 1


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.run import run_polling, run_webhook

    if settings.telegram_token is None:
        raise SettingsError(
            "The setting TEAMS_TELEGRAM_TOKEN is missing: set it to the bot token that "
            "@BotFather gave you (or try the assistant without one: teams-bot shell)."
        )
    _refuse_the_example_directory(settings, args.demo)
    if args.webhook:
        if settings.webhook_secret is None:
            raise SettingsError(
                "The setting TEAMS_WEBHOOK_SECRET is missing: with --webhook, set it to a "
                "random string of letters, digits, _ or - (Telegram sends it back with every "
                "update).")
        return run_webhook(settings)
    return run_polling(settings)


def _refuse_the_example_directory(settings: Settings, demo: bool) -> None:
    """On Telegram, the invented example directory would give a citizen in danger invented
    emergency numbers: only ``--demo`` runs it (and says so)."""
    from bot.settings import EXAMPLE_SERVICE_FILE
    from domain.directory import load_directory

    if not load_directory(settings.service_file).example:
        return
    if not demo:
        raise SettingsError(
            f"The setting TEAMS_SERVICE_FILE points at an example service directory "
            f"({settings.service_file}, marked 'example: true'), whose contacts and emergency "
            f"lines are invented: copy {EXAMPLE_SERVICE_FILE} to a file of your own, put your "
            "zone's real offices, contacts and professionals in it, delete the line "
            "'example: true', and set TEAMS_SERVICE_FILE to its path (to try the bot with the "
            "example anyway: teams-bot run --demo).")
    logging.getLogger("bot.cli").warning(
        "Running on Telegram with the example service directory (--demo): its contacts and "
        "emergency lines are not real.")


def _bookings(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bookings_cli import fetch, render

    found = asyncio.run(fetch(settings, args.start, args.end))
    if args.bookings_command == "list":
        print(render(found, settings, "json" if args.json else "table"))
        return 0
    text = render(found, settings, args.format)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {len(found)} appointments to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def _staff(settings: Settings, args: argparse.Namespace) -> int:
    from bot.staff_cli import StaffInputError, run

    try:
        print(asyncio.run(run(settings, args.staff_command, getattr(args, "user_id", None),
                              getattr(args, "name", None), getattr(args, "role", None),
                              getattr(args, "languages", None),
                              getattr(args, "professional", None))))
    except StaffInputError as exc:
        print(f"teams-bot: {exc}", file=sys.stderr)
        return 2
    return 0


def _privacy(settings: Settings, args: argparse.Namespace) -> int:
    async def run() -> int:
        from bot.services import build_services

        services = await build_services(settings, parser=_NoParser())
        engine = services.engine
        try:
            if args.privacy_command == "export":
                data = await engine.privacy.export_citizen(args.citizen)
                if data is None:
                    print(f"no data about citizen {args.citizen}", file=sys.stderr)
                    return 1
                print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
            elif args.privacy_command == "erase":
                cancelled = await engine.privacy.erase_citizen(args.citizen)
                print(f"erased citizen {args.citizen}; future appointments cancelled: "
                      f"{', '.join(c['case_code'] for c in cancelled) or 'none'}")
            else:
                print(json.dumps(await engine.privacy.purge()))
            return 0
        finally:
            await services.close()

    return asyncio.run(run())


class _NoParser:
    """Commands that never read free text do not load the language model."""

    def parse(self, text: str, language_hint: str | None = None) -> Parse:
        raise RuntimeError("no language model in this command")


def _report(settings: Settings, args: argparse.Namespace) -> int:
    import re

    from bot.report import run

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        print("teams-bot: --month must look like 2026-11", file=sys.stderr)
        return 2
    page, table = asyncio.run(run(settings, args.month, args.out))
    print(f"wrote {page} and {table}")
    return 0


def _deadletters(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deadletters_cli import clear, listing

    if args.deadletters_command == "list":
        print(asyncio.run(listing(settings, args.limit, args.json)))
    else:
        print(asyncio.run(clear(settings, args.before)))
    return 0


def _db(settings: Settings, args: argparse.Namespace) -> int:
    from storage.database import upgrade

    upgrade(settings.database_url)
    print("database is up to date")
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Any]] = {
    "nlu": _nlu, "content": _content, "run": _run, "db": _db, "bookings": _bookings,
    "staff": _staff, "privacy": _privacy, "report": _report, "deadletters": _deadletters,
}


def _is_invalid_token(exc: BaseException) -> bool:
    from telegram.error import InvalidToken

    return isinstance(exc, InvalidToken)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        _setup_logging(settings, quiet=args.command in ("shell", "nlu", "content", "bookings",
                                                         "staff", "privacy", "report",
                                                         "deadletters"))
        if args.command == "shell":
            return asyncio.run(_shell(settings, args))
        return int(COMMANDS[args.command](settings, args))
    except (SettingsError, FileError) as exc:
        print(f"teams-bot: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if _is_invalid_token(exc):  # its message holds the whole token: never printed
            print("teams-bot: the Bot API refused the token in TEAMS_TELEGRAM_TOKEN: check "
                  "it with @BotFather (and TEAMS_TELEGRAM_API_URL, if you set it).",
                  file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
