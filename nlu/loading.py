"""The parser while the model loads: buttons, menus and danger words work from the first second.

Loading the shipped (or cached) model takes seconds; a first parse waits for it. Training, when
the data changed since the model was built, takes minutes and runs in the background: free texts
meanwhile get a "still learning" reading (the domain answers it with the menu), while the
curated danger keywords, which need no model, still flag an emergency.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from domain.parse import Parse
from domain.passages import lexical_similarity
from nlu.embedded import CryForHelp, KeywordNet
from nlu.training import cry_for_help_words, emergency_keywords

log = logging.getLogger(__name__)
#: The intent of a free text read while the model is still training.
LOADING = "nlu_loading"
EMERGENCY = "emergency"


class LoadingNLU:
    """A parser that becomes the real one once ``build`` has returned it (in a thread)."""

    def __init__(self, build: Callable[[], Any], quick: bool, wait_seconds: float = 30.0
                 ) -> None:
        self._build = build
        self._parser: Any = None
        self._ready = threading.Event()
        self._wait = wait_seconds if quick else 0.0
        self._configured = threading.local()
        self.keywords = KeywordNet(emergency_keywords())
        self.cry_for_help = CryForHelp(*cry_for_help_words())
        self._thread = threading.Thread(target=self._load, name="nlu-load", daemon=True)
        self._thread.start()

    def _load(self) -> None:
        try:
            self._parser = self._build()
        except Exception:
            log.exception("The language model could not be loaded; free texts get the menu")
        finally:
            self._ready.set()

    def ready(self, timeout: float | None = 0.0) -> Any:
        """The real parser, or None while it is not loaded (after waiting ``timeout``)."""
        if timeout:
            self._ready.wait(timeout)
        parser = self._parser
        if parser is not None and not getattr(self._configured, "done", False):
            self._configured.done = True  # this thread, once: one core per encoding
            if hasattr(parser, "one_core_in_this_thread"):
                parser.one_core_in_this_thread()
        return parser

    def wait(self, timeout: float | None = None) -> Any:
        """Block until loading has ended (tests, benchmarks); the parser or None."""
        self._ready.wait(timeout)
        return self.ready()

    def one_core_in_this_thread(self) -> None:
        """Done on first use in each thread, once the encoder exists (see :meth:`ready`)."""

    def parse(self, text: str, language_hint: str | None = None) -> Parse:
        parser = self.ready(self._wait)
        if parser is not None:
            result: Parse = parser.parse(text, language_hint)
            return result
        danger = bool(self.keywords.match(text or "") or self.cry_for_help.match(text or ""))
        intent = {"name": EMERGENCY if danger else LOADING, "confidence": 0.95 if danger else 0}
        return Parse.of({"text": text, "intent": intent, "intent_ranking": [dict(intent)],
                         "entities": [], "language": {"code": None, "confidence": 0.0},
                         "backend": "loading"})

    def similarity(self, text: str, passages: Sequence[str]) -> list[float]:
        parser = self.ready()
        if parser is None or not hasattr(parser, "similarity"):
            return lexical_similarity(text, passages)
        scores: list[float] = parser.similarity(text, list(passages))
        return scores
