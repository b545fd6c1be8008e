"""The NLU runs in its own threads: below the event loop's CPU priority, one core each."""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from domain.parse import Parse
from nlu.pool import AsyncUnderstanding


class RecordingParser:
    """Notes, for each parse, its thread's CPU priority and whether that thread was told
    to encode on one core."""

    def __init__(self) -> None:
        self.one_core: set[int] = set()
        self.seen: list[tuple[int, int, bool]] = []

    def one_core_in_this_thread(self) -> None:
        self.one_core.add(threading.get_ident())

    def parse(self, text: str, language_hint: str | None = None) -> Parse:
        niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        self.seen.append((threading.get_ident(), niceness,
                          threading.get_ident() in self.one_core))
        return Parse.of({"text": text, "intent": {"name": "greet", "confidence": 1.0}})


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority: Linux")
async def test_parses_run_off_the_loop_at_lower_priority_on_one_core_each():
    parser = RecordingParser()
    understanding = AsyncUnderstanding(parser, threads=2, niceness=10)
    loop_niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    for text in ("ciao", "salve", "buongiorno"):
        assert (await understanding.parse(text)).to_dict()["text"] == text
    assert threading.get_ident() not in {ident for ident, _, _ in parser.seen}
    assert all(niceness == min(19, loop_niceness + 10) for _, niceness, _ in parser.seen)
    assert all(one_core for _, _, one_core in parser.seen)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == loop_niceness


def test_the_sentence_encoder_uses_one_core_in_a_thread_told_so():
    from nlu.encoder import E5Encoder

    encoder = E5Encoder()
    threads = encoder.model._lib.omp_get_max_threads

    def told() -> int:
        encoder.one_core_in_this_thread()
        encoder.encode(["dove si fa il codice fiscale?"])
        return int(threads())

    before = int(threads())
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(told).result() == 1
    assert int(threads()) == before  # other threads (training, evaluation) keep theirs
