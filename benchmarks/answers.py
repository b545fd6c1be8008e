"""Answers that answer the question: for specific questions (``benchmarks/answers.yml``, five
languages), the share whose reply shows the fact asked for in its first 400 characters.

Each question goes through the engine as a citizen's message (the real embedded NLU, the
in-memory fakes for storage, the real content and catalogs). Prints JSON. Run:
    python benchmarks/answers.py [--show-misses]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTIONS = ROOT / "benchmarks" / "answers.yml"
WINDOW = 400  # characters of the reply a reader sees first
#: Invisible direction marks around Latin words and numbers in right-to-left replies
#: (``domain.languages.isolate_latin_runs``): not characters a reader sees, so not counted.
MARKS = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069\u200e\u200f"))


def questions(path: Path = QUESTIONS) -> list[dict[str, str]]:
    import yaml

    with path.open(encoding="utf-8") as handle:
        return list(yaml.safe_load(handle)["questions"])


class _Counting:
    """The encoder, noting the texts it encodes as questions (not passages)."""

    def __init__(self, encoder: Any, seen: set[str]) -> None:
        self.encoder, self.seen, self.name = encoder, seen, encoder.name

    def encode(self, texts: Any) -> Any:
        self.seen.update(texts)
        return self.encoder.encode(texts)

    def encode_passages(self, texts: Any) -> Any:
        return self.encoder.encode_passages(texts)


async def run(show_misses: bool, quick_focus: str = "encoder",
              path: Path = QUESTIONS) -> dict[str, Any]:
    from bot.i18n import LOCALES_DIR, Catalogs
    from bot.settings import load_settings
    from domain.content import load_content
    from domain.directory import load_directory
    from domain.engine import Engine
    from domain.messages import Inbound
    from domain.turn import EngineConfig
    from nlu.embedded import EmbeddedNLU
    from nlu.pool import AsyncUnderstanding
    from tests.conftest import EXAMPLE_SERVICE_FILE
    from tests.fakes import FakeUowFactory, FixedClock

    content = load_content(LOCALES_DIR / "faq")
    embedded = EmbeddedNLU(load_settings().nlu_cache_dir)
    embedded.quick_focus = quick_focus
    encoded: set[str] = set()  # the questions the sentence encoder was asked to encode
    if embedded.encoder is not None:
        embedded.encoder = _Counting(embedded.encoder, encoded)
    nlu = AsyncUnderstanding(embedded)
    engine = Engine(FakeUowFactory(), Catalogs(LOCALES_DIR), nlu, FixedClock(),
                    load_directory(EXAMPLE_SERVICE_FILE), content,
                    EngineConfig(staff_chat=True))
    routed = 0  # replies from the topic whose answer holds the fact (the intent was right)
    found: collections.Counter[str] = collections.Counter()
    asked: collections.Counter[str] = collections.Counter()
    misses, lengths, times, again = [], [], [], []
    for user, item in enumerate(questions(path), 7000):  # synthetic citizens, one per question
        await engine.handle(Inbound(user, payload=f"lang:{item['lang']}"))
        start = time.perf_counter()
        replies = await engine.handle(Inbound(user, text=item["q"],
                                              language_hint=item["lang"]))
        times.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()  # the same question again: what the caches answer
        await engine.handle(Inbound(user, text=item["q"], language_hint=item["lang"]))
        again.append((time.perf_counter() - start) * 1000)
        text = "\n\n".join(r.text for r in replies if r.text).translate(MARKS)
        lengths.append(len(text))
        asked[item["lang"]] += 1
        titles = {a.title for (lang, _), a in content.answers.items()
                  if lang == item["lang"] and item["fact"] in a.text}
        routed += any(text.startswith(title) for title in titles)
        if item["fact"] in text[:WINDOW]:
            found[item["lang"]] += 1
        else:
            misses.append({**item, "reply": text[:WINDOW]})
    total = sum(asked.values())
    result: dict[str, Any] = {
        "questions": total,
        "quick_focus": quick_focus,
        "understood_without_encoder": sum(
            embedded.quick_logits(q["q"], embedded.model.chars.transform(q["q"])) is not None
            for q in questions(path)),
        "questions_encoded": sum(q["q"] in encoded for q in questions(path)),
        "fact_in_first_400_chars": sum(found.values()),
        "share": round(sum(found.values()) / total, 3),
        "reached_the_topic_holding_the_fact": routed,
        "by_language": {lang: f"{found[lang]}/{n}" for lang, n in sorted(asked.items())},
        "reply_chars_mean": round(sum(lengths) / total),
        "turn_ms_mean_first": round(sum(times) / total, 1),
        "turn_ms_max_first": round(max(times), 1),
        "turn_ms_mean_again": round(sum(again) / total, 1),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if show_misses:
        result["misses"] = misses
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--quick-focus", default="encoder",
                        help="how texts understood without the encoder rank passages: "
                        "'encoder', or cheap scores added up ('lexical', 'chars', 'static', "
                        "e.g. 'chars+static+lexical'), optionally '>M': the encoder when the "
                        "best two passages are closer than M")
    parser.add_argument("--questions", type=Path, default=QUESTIONS,
                        help="the questions (default: the acceptance set, answers.yml)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.show_misses, args.quick_focus, args.questions)),
                     ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
