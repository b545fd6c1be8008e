"""Build everything once at start-up: database, NLU, content, directory, the engine."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.i18n import LOCALES_DIR, Catalogs
from bot.settings import Settings
from domain.content import Content, load_content
from domain.directory import Directory, load_directory
from domain.engine import Engine, EngineConfig
from domain.formatting import compact_locale_data
from domain.languages import LANGUAGES
from domain.speech import Speaker
from nlu.pool import AsyncUnderstanding
from nlu.progress import tqdm_progress
from storage.database import create_engine, is_sqlite, session_factory, upgrade_async
from storage.repositories import SqlUnitOfWorkFactory

log = logging.getLogger(__name__)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def build_parser(settings: Settings, progress: bool = True, background: bool = False) -> Any:
    """The embedded NLU; with ``background`` it loads (or trains) in a thread, and the
    assistant answers buttons, menus and danger words meanwhile (nlu/loading.py)."""
    from nlu.embedded import EmbeddedNLU

    def build() -> EmbeddedNLU:
        return EmbeddedNLU(settings.nlu_cache_dir,
                           progress_factory=tqdm_progress if progress else None)

    if background:
        from nlu.encoder import E5Encoder
        from nlu.loading import LoadingNLU
        from nlu.model import NluConfig, is_ready

        quick = is_ready(E5Encoder.name, settings.nlu_cache_dir, NluConfig.load())
        if not quick:
            log.warning("The language model is training for the current data (a few minutes, "
                        "once); until then free texts are answered with the menu.")
        embedded: Any = LoadingNLU(build, quick)
    else:
        embedded = build()
    if settings.nlu_backend == "rasa":
        from nlu.rasa import RasaNLU

        token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
        return RasaNLU(settings.rasa_url or "", embedded, token=token,
                       timeout=settings.rasa_timeout)
    return embedded


@dataclass
class Services:
    settings: Settings
    db: AsyncEngine
    engine: Engine
    directory: Directory
    content: Content
    parser: Any
    speaker: Speaker | None = None  # answers read aloud; None: no "Listen" button
    warmup: Any = None  # the answers' passages being encoded in the background (nlu/warmup.py)

    async def close(self) -> None:
        close = getattr(self.speaker, "close", None)
        if close is not None:
            close()
        await self.db.dispose()


def settle_heap() -> None:
    """After start-up: collect once, then move everything alive (content, catalogs, model,
    libraries: about 120,000 objects) out of the collector's reach. A full collection of
    that heap took 96 ms here, a pause for every message in flight whenever it ran under
    load; afterwards it scans only what was made since."""
    import gc

    gc.collect()
    gc.freeze()


async def build_services(
    settings: Settings,
    parser: Any = None,
    migrate: bool | None = None,
    locales_dir: Path = LOCALES_DIR,
    background: bool = False,
) -> Services:
    """Wire the engine; SQLite databases are migrated automatically."""
    from bot.tts import load_speaker

    compact_locale_data(LANGUAGES)  # before any thread formats a date
    if migrate if migrate is not None else is_sqlite(settings.database_url):
        await upgrade_async(settings.database_url)
    db = create_engine(settings.database_url)
    directory = load_directory(settings.service_file)
    content = load_content(locales_dir / "faq")
    parser = parser if parser is not None else build_parser(settings, background=background)
    speaker = load_speaker(settings.tts_cache_dir, enabled=settings.tts != "off")
    engine = Engine(
        SqlUnitOfWorkFactory(session_factory(db)),
        Catalogs(locales_dir),
        AsyncUnderstanding(parser),
        SystemClock(),
        directory,
        content,
        EngineConfig(default_language=settings.default_language, timezone=settings.timezone,
                     staff_chat=settings.staff_chat_id is not None,
                     spoken_languages=speaker.languages if speaker else frozenset()),
    )
    warmup = None
    if background:  # once the model is loaded, the answers' passages: not on a citizen's turn
        from nlu.warmup import PassageWarmup, answer_passages

        warmup = PassageWarmup(parser, answer_passages(content, (settings.default_language,
                                                                 "en")))
    return Services(settings, db, engine, directory, content, parser, speaker, warmup)
