"""What every part of the engine (the flow mixins) can rely on the engine to hold."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from domain.directory import Directory
    from domain.ports import Clock, Translations, UnitOfWorkFactory
    from domain.turn import EngineConfig


class EngineParts:
    directory: Directory
    translations: Translations
    zone: ZoneInfo
    config: EngineConfig
    uow_factory: UnitOfWorkFactory
    clock: Clock
