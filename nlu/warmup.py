"""The answers' passages not shipped encoded, encoded once at start, in the background.

A question in words is answered with the passages of its answer closest to it. The shipped
answers' passages come encoded (``nlu/passages.npz``, :mod:`nlu.passage_store`); a passage
that is not there (an answer corrected since, in /review or in the files) would otherwise be
encoded the first time its answer is asked for (~80 ms of CPU each), on a citizen's turn. Once
the model is loaded, one low-priority thread encodes those, a small batch at a time; replies
do not wait for it (they encode what they need themselves if it comes first).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from typing import Any

from domain.content import Content
from domain.passages import split_passages

log = logging.getLogger(__name__)
NICENESS = 19  # the lowest priority: replies (the event loop, the NLU pool) come first


def answer_passages(content: Content, first: Iterable[str] = ("it", "en")) -> list[str]:
    """Every passage of every loaded answer, once each; the languages in ``first`` first
    (the most asked), then the others."""
    order = {language: n for n, language in enumerate(first)}
    keys = sorted(content.answers, key=lambda key: (order.get(key[0], len(order)), key))
    passages = (p.text for key in keys for p in split_passages(content.answers[key].text))
    return list(dict.fromkeys(passages))


def _warmable(parser: Any) -> Any:
    """The parser that keeps passages' vectors: through a loading parser (once loaded)
    and a Rasa parser's embedded fallback; None if there is none."""
    for _ in range(4):
        if parser is None or hasattr(parser, "warm_passages"):
            return parser
        wait = getattr(parser, "wait", None)
        parser = wait() if wait is not None else getattr(parser, "fallback", None)
    return None


class PassageWarmup:
    """Encodes ``passages`` with the parser's model in a background thread of the lowest
    priority, after the model has loaded. ``wait`` blocks until it is done (benchmarks)."""

    def __init__(self, parser: Any, passages: list[str], niceness: int = NICENESS) -> None:
        self.parser = parser
        self.passages = passages
        self.niceness = niceness
        self.encoded = 0
        self.seconds: float | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nlu-warm", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            if self.niceness and hasattr(os, "setpriority"):
                try:  # on Linux the "process" priority of a thread id is that thread's own
                    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.niceness)
                except OSError:
                    pass
            parser = _warmable(self.parser)
            if parser is None:
                return
            if hasattr(parser, "one_core_in_this_thread"):
                parser.one_core_in_this_thread()
            start = time.perf_counter()
            self.encoded = parser.warm_passages(self.passages)
            self.seconds = time.perf_counter() - start
            log.info("encoded %d answer passages in the background in %.0f s",
                     self.encoded, self.seconds)
        except Exception:
            log.exception("The answers' passages could not be encoded ahead; they are "
                          "encoded when first asked for")
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the warm-up has ended; whether it has."""
        return self._done.wait(timeout)
