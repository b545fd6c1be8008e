"""Logging set-up: our own messages at the chosen level, libraries that could print message
texts (the Bot API client logs request parameters at DEBUG) never below INFO/WARNING."""

from __future__ import annotations

import logging
import sys

#: Libraries whose DEBUG output can contain what citizens wrote, or SQL parameters.
QUIET = {
    "telegram": logging.INFO, "httpx": logging.WARNING, "httpcore": logging.WARNING,
    "aiosqlite": logging.WARNING, "sqlalchemy": logging.WARNING, "asyncpg": logging.WARNING,
    "apscheduler": logging.WARNING, "uvicorn.access": logging.WARNING,
}


def configure(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)
    for name, floor in QUIET.items():
        logging.getLogger(name).setLevel(max(level, floor))
