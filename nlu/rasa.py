"""Rasa backend: intents from a Rasa server's ``POST /model/parse``, languages from us.

When the server fails or is slow the embedded model answers, so a citizen never waits on it.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import httpx

from domain.parse import Parse
from domain.passages import lexical_similarity

log = logging.getLogger(__name__)


class Parser(Protocol):
    def parse(self, text: str, language_hint: str | None = None) -> Parse: ...


class RasaNLU:
    def __init__(
        self,
        url: str,
        fallback: Any,
        token: str | None = None,
        timeout: float = 2.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.fallback = fallback
        params = {"token": token} if token else None
        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout, params=params,
                                   transport=transport)
        self.failures = 0

    def one_core_in_this_thread(self) -> None:
        if hasattr(self.fallback, "one_core_in_this_thread"):
            self.fallback.one_core_in_this_thread()

    def parse(self, text: str, language_hint: str | None = None) -> Parse:
        local: Parse = self.fallback.parse(text, language_hint)
        mine = local.to_dict()
        try:
            response = self.client.post("/model/parse", json={"text": text})
            response.raise_for_status()
            remote = response.json()
            intent = remote["intent"]
            _ = intent["name"], intent["confidence"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            self.failures += 1
            log.warning("Rasa server failed (%s); the embedded model answered",
                        type(exc).__name__)
            return Parse.of(mine | {"backend": "embedded"})
        result = {
            "text": text,
            "intent": intent,
            "intent_ranking": remote.get("intent_ranking") or [intent],
            "entities": remote.get("entities") or [],
            "language": mine["language"],
            "backend": "rasa",
        }
        if local.emergency:  # the safety net stays local
            result["intent"] = mine["intent"]
        return Parse.of(result)

    def similarity(self, text: str, passages: list[str]) -> list[float]:
        """Rasa ranks intents only: the embedded model (or shared words) ranks passages."""
        score = getattr(self.fallback, "similarity", None)
        return score(text, passages) if score else lexical_similarity(text, passages)

    def close(self) -> None:
        self.client.close()
