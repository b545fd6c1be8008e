"""What a text means, typed: the ``Understanding`` port's answer, read once from the NLU's
result (shaped like Rasa's ``/model/parse``), so that no flow reads raw keys. The result
itself is kept beside, for what prints it (``teams-bot nlu parse``: a contract)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
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
    #: The NLU's result as it answered (Rasa's shape, and what else it said, e.g. its
    #: ``backend``); read by nothing but :meth:`to_dict`.
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

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
            raw=result,
        )

    def to_dict(self) -> dict[str, Any]:
        """Rasa's ``/model/parse`` shape: the NLU's own result when there is one."""
        if self.raw:
            return dict(self.raw)
        return {
            "intent": {"name": self.intent, "confidence": self.confidence},
            "intent_ranking": [{"name": r.name, "confidence": r.confidence}
                               for r in self.ranking],
            "entities": [],
            "language": {"code": self.language, "confidence": self.language_confidence},
        }

    @property
    def emergency(self) -> bool:
        return self.intent == EMERGENCY

    def in_danger(self) -> Parse:
        """The same reading, with danger found elsewhere in the text."""
        raw = ({**self.raw, "intent": {"name": EMERGENCY, "confidence": self.confidence}}
               if self.raw else self.raw)
        return replace(self, intent=EMERGENCY, raw=raw)
