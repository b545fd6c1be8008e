"""The ``teams-bot`` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.cli_args import parser as _parser
from bot.settings import Settings, SettingsError, load_settings
from domain.parse import Parse
from domain.yamlfile import FileError


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
        return await Shell.of(services, args.user, args.lang, args.json).run()
    finally:
        await services.close()


def _encode_passages(output: Path | None) -> int:
    """``teams-bot nlu passages``: the shipped answers' passages, encoded once."""
    from tqdm import tqdm

    from bot.i18n import LOCALES_DIR
    from domain.content import load_content
    from nlu.encoder import E5Encoder
    from nlu.passage_store import PASSAGES_FILE, PassageStore, build_passages
    from nlu.static import encoder_fingerprint
    from nlu.warmup import answer_passages

    path = output or PASSAGES_FILE
    passages = answer_passages(load_content(LOCALES_DIR / "faq"))
    try:
        previous: PassageStore | None = PassageStore.read(path)
    except (OSError, ValueError, KeyError):
        previous = None
    with tqdm(total=len(passages), unit="passage", file=sys.stderr, leave=False) as bar:
        store, figures = build_passages(E5Encoder(), passages, encoder_fingerprint(),
                                        previous, bar.update)
    store.write(path)
    print(f"Wrote {path} ({path.stat().st_size / 1e6:.1f} MB): "
          f"{figures['passages']} passages, {figures['encoded']} encoded "
          f"({figures['cpu_seconds']} s of CPU), {figures['kept']} kept; commit it.")
    return 0


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
    if args.nlu_command == "distil":
        from nlu.static import STATIC_FILE, distil

        figures = distil()
        print(f"Wrote {STATIC_FILE} ({figures['bytes'] / 1e6:.1f} MB, {figures['pieces']} pieces, "
              f"{figures['cpu_seconds']} s of CPU); now run `teams-bot nlu build`.")
        return 0
    if args.nlu_command == "passages":
        return _encode_passages(args.output)
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
    from bot.i18n import LOCALES_DIR, Catalogs
    from domain.content import check_content, load_content

    if args.content_command == "export":
        from bot.content_cli import export

        count = asyncio.run(export(settings.database_url, LOCALES_DIR / "faq", args.target))
        print(f"wrote {count} content files to {args.target}")
        return 0
    report = check_content(load_content(LOCALES_DIR / "faq"))
    catalogs = Catalogs()  # the interface strings' review marks (README)
    print(f"{'language':<9} {'topics':>7} {'reviewed':>9} {'needs review':>13} "
          f"{'interface reviewed':>19} {'facts differ':>13}")
    for lang, (present, expected, reviewed) in report.coverage.items():
        ui_done, ui_total = catalogs.review_progress(lang)
        print(f"{lang:<9} {present:>3}/{expected:<3} {reviewed:>5}/{present:<3} "
              f"{report.needs_review.get(lang, 0):>12} {ui_done:>11}/{ui_total:<3} "
              f"{report.facts_differ.get(lang, 0):>13}")
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
    from bot.report import run
    from bot.report.period import period_of

    period = period_of(args.month, args.first, args.last)
    if isinstance(period, str):
        print(f"teams-bot: {period}", file=sys.stderr)
        return 2
    page, table = asyncio.run(run(settings, period, args.out, args.lang))
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
