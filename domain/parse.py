"""What a text means, typed: read once from the ``Understanding`` port's answer (shaped like
Rasa's ``/model/parse``), so that no flow reads raw keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

EMERGENCY = "emergency"
FALLBACK = "nlu_fallback"


@dataclass(frozen=True)
class Ranked:
    name: str
    confidence: float


@dataclass(frozen=True)
class Parse:
    intent: str
    confidence: float = 0.0
    ranking: tuple[Ranked, ...] = ()
    language: str | None = None  # the language identified, if any
    language_confidence: float = 0.0

    @classmethod
    def of(cls, result: Mapping[str, Any]) -> Parse:
        intent = result.get("intent") or {}
        language = result.get("language") or {}
        return cls(
            intent=str(intent.get("name") or FALLBACK),
            confidence=float(intent.get("confidence") or 0.0),
            ranking=tuple(Ranked(str(r.get("name")), float(r.get("confidence") or 0.0))
                          for r in result.get("intent_ranking") or () if r.get("name")),
            language=language.get("code") or None,
            language_confidence=float(language.get("confidence") or 0.0),
        )

    @property
    def emergency(self) -> bool:
        return self.intent == EMERGENCY

    def in_danger(self) -> Parse:
        """The same reading, with danger found elsewhere in the text."""
        return replace(self, intent=EMERGENCY)
