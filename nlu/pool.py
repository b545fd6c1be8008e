"""The ``Understanding`` port over a synchronous parser: its own threads, off the event loop."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from prometheus_client import Histogram

from domain.parse import Parse
from domain.passages import lexical_similarity

#: Served at /metrics with the Telegram side's (handlers/metrics.py).
NLU_LATENCY = Histogram("teams_nlu_latency_seconds", "Time to understand one text",
                        buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1))


def _nlu_thread(parser: Any, niceness: int) -> None:
    """Prepare a thread of the NLU pool: lower CPU priority, and one core per encoding."""
    if niceness and hasattr(os, "setpriority"):
        try:  # on Linux the "process" priority of a thread id is that thread's own
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
        except OSError:
            pass
    if hasattr(parser, "one_core_in_this_thread"):
        parser.one_core_in_this_thread()


class AsyncUnderstanding:
    """Runs a synchronous parser off the event loop, in its own threads.

    The sentence encoder is the heaviest work an update brings (about 20 ms of CPU for a
    sentence never seen), and it releases the GIL. It runs in ``threads`` threads of lower
    priority (``niceness``), so when the machine is busy the event loop, which answers the
    buttons and commits every turn, gets the CPU first instead of a share of it. Each
    thread encodes on one core: the threads already run side by side.
    """

    def __init__(self, parser: Any, threads: int = 2, niceness: int = 10) -> None:
        self.parser = parser
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="nlu",
                                        initializer=_nlu_thread, initargs=(parser, niceness))

    async def parse(self, text: str, language_hint: str | None = None) -> Parse:
        with NLU_LATENCY.time():
            result: Parse = await asyncio.get_running_loop().run_in_executor(
                self._pool, self.parser.parse, text, language_hint)
            return result

    async def similarity(self, text: str, passages: Sequence[str]) -> list[float]:
        """The parser's similarity (in the same threads), or shared words when it has none."""
        score = getattr(self.parser, "similarity", None)
        if score is None:
            return lexical_similarity(text, passages)
        with NLU_LATENCY.time():
            result: list[float] = await asyncio.get_running_loop().run_in_executor(
                self._pool, score, text, list(passages))
            return result
