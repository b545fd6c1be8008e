"""Settings from ``TEAMS_*`` environment variables (a ``.env`` file works too).

Built once at start-up and passed down; a wrong value stops the program with one sentence that
names the variable and says what to put in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.languages import LANGUAGES

EXAMPLE_SERVICE_FILE = Path(__file__).resolve().parent / "service.example.yml"


def _default_cache_dir() -> Path:
    import os

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "teams-bot"


HINTS: dict[str, str] = {
    "telegram_token": "the bot token that @BotFather gave you, like 123456:ABC-DEF...",
    "telegram_api_url": "the Bot API base URL, like https://api.telegram.org",
    "database_url": "a SQLAlchemy URL, like sqlite+aiosqlite:///teams.db or "
    "postgresql+asyncpg://user@host/db",
    "default_language": f"one of the launch languages: {', '.join(LANGUAGES)}",
    "timezone": "an IANA time zone, like Europe/Rome",
    "staff_chat_id": "the numeric id of the staff supergroup, like -1001234567890",
    "service_file": "the path of an existing service directory YAML file",
    "nlu_backend": "embedded or rasa",
    "rasa_url": "the Rasa server's base URL, like http://127.0.0.1:5005",
    "nlu_cache_dir": "a folder where the trained NLU model may be cached",
    "tts": "espeak (answers read aloud with espeak-ng) or off",
    "tts_cache_dir": "a folder where the answers read aloud may be kept",
    "log_level": "DEBUG, INFO, WARNING or ERROR",
    "webhook_url": "the public HTTPS address of this server, like https://teams.example.org",
    "webhook_secret": "a random string of 1-256 letters, digits, _ or -",
    "listen_port": "a TCP port number, like 8080",
    "speech_model": "a folder holding a Whisper model in CTranslate2 format (model.bin, "
    "config.json, tokenizer.json), or nothing: then a person listens to voice notes",
    "speech_max_seconds": "the longest voice note transcribed, in seconds, like 120",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TEAMS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///teams.db"
    default_language: str = "it"
    timezone: str = "Europe/Rome"
    staff_chat_id: int | None = None
    service_file: Path = EXAMPLE_SERVICE_FILE
    nlu_backend: Literal["embedded", "rasa"] = "embedded"
    rasa_url: str | None = None
    rasa_token: SecretStr | None = None
    rasa_timeout: float = 2.0
    nlu_cache_dir: Path = _default_cache_dir() / "nlu"
    tts: Literal["espeak", "off"] = "espeak"  # the "🔊 Listen" button under each answer
    tts_cache_dir: Path = _default_cache_dir() / "tts"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    webhook_url: str | None = None  # public HTTPS base URL Telegram posts to
    webhook_secret: SecretStr | None = None
    webhook_path: str = "/telegram"
    listen_host: str = "127.0.0.1"
    listen_port: int = 8080
    speech_model: Path | None = None  # a Whisper model folder; unset: a person listens
    speech_max_seconds: float = 120.0  # longer voice notes go to a person

    @field_validator("speech_model")
    @classmethod
    def _speech_model(cls, value: Path | None) -> Path | None:
        if value is not None and not (value / "model.bin").is_file():
            raise ValueError("is not a folder with a model.bin")
        return value

    @field_validator("speech_max_seconds")
    @classmethod
    def _speech_seconds(cls, value: float) -> float:
        if not 1 <= value <= 600:
            raise ValueError("must be between 1 and 600 seconds")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        import re

        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}",
                                                  value.get_secret_value()):
            raise ValueError("may hold only letters, digits, _ and -")
        return value

    @field_validator("telegram_api_url", "rasa_url", "webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("is not a database URL") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("only SQLite and PostgreSQL are supported")
        if url.get_backend_name() == "sqlite" and url.get_driver_name() != "aiosqlite":
            url = url.set(drivername="sqlite+aiosqlite")
        if url.get_backend_name() == "postgresql" and url.get_driver_name() != "asyncpg":
            url = url.set(drivername="postgresql+asyncpg")
        return url.render_as_string(hide_password=False)

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError("is not a launch language")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not a known time zone") from None
        return value

    @field_validator("service_file")
    @classmethod
    def _service_file(cls, value: Path) -> Path:
        if not value.is_file():
            raise ValueError("does not exist")
        return value

    @property
    def bot_api_base_url(self) -> str:
        return f"{self.telegram_api_url}/bot"

    @property
    def bot_file_base_url(self) -> str:
        return f"{self.telegram_api_url}/file/bot"


class SettingsError(Exception):
    """A setting is wrong; the message is one sentence for the person starting the program."""


def load_settings(**overrides: object) -> Settings:
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        name = f"TEAMS_{field.upper()}"
        hint = HINTS.get(field, "a valid value")
        raise SettingsError(
            f"The setting {name} is wrong ({err['msg'].removeprefix('Value error, ')}): "
            f"set it to {hint}."
        ) from None
    if settings.nlu_backend == "rasa" and not settings.rasa_url:
        raise SettingsError(
            "The setting TEAMS_RASA_URL is missing: with TEAMS_NLU_BACKEND=rasa, set it to "
            f"{HINTS['rasa_url']}."
        )
    return settings
