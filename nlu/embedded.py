"""The embedded NLU: sentence encoder + linear heads + language identification + safety net."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from domain.languages import LANGUAGES, word_count
from domain.parse import Parse
from domain.passages import lexical_similarity
from nlu.encoder import Encoder, load_encoder
from nlu.langid import LanguageIdentifier, head_probabilities
from nlu.model import Model, NluConfig, load_or_train
from nlu.normalise import fold
from nlu.passage_store import PassageStore, load_passage_store
from nlu.static import StaticEmbedding, load_static
from nlu.training import cry_for_help_words, emergency_keywords, service_words

log = logging.getLogger(__name__)
FALLBACK = "nlu_fallback"
EMERGENCY = "emergency"
RANKING_SIZE = 10
EMBEDDING_MEMORY = 4096  # texts whose embeddings are kept in memory (about 6 MB)
GREET = "greet"
#: What a greeting's rest is taken for: a topic asked about, or danger, when the model's top
#: intent for it is one of them at ASKED_CONFIDENCE or more (the rest's parse is taken whole,
#: with any danger it flags). Not small talk or requests to the assistant, which the whole text
#: gets right when they are meant and which after a greeting are mostly more greeting: on dev,
#: "il y a quelqu'un?" read as human_handover, "kaise hain aap" ("how are you") as
#: faq_teams_service (about the service), "scusi il disturbo" as danger at 0.36.
ASKED_CONFIDENCE = 0.6
NOT_A_TOPIC = frozenset({"faq_teams_service"})
#: Where a greeting ends and what is asked begins: "salam, ...", "你好，...", "hello! ...".
_GREETING_END = re.compile(r"[,،，!！.。;；:\n]")
#: A greeting is a few words ("assalam o alaikum"); what follows them must say something.
GREETING_WORDS = 4
ASKED_WORDS = 2
PASSAGE_MEMORY = 8192  # answers' passages kept encoded (all languages' take ~3,100; 5 MB)
PASSAGE_BATCH = 2  # passages encoded at once (a larger batch raises the peak memory)
#: Below this language confidence (or for a language we do not speak) a danger keyword's
#: list names the language of the text, with this confidence.
KEYWORD_LANGUAGE_DOUBT = 0.5
KEYWORD_LANGUAGE_CONFIDENCE = 0.9
LEXICAL_WEIGHT = 0.1  # shared rare words (a form's name, "STP") added to the cosine
_NO_SPACES = re.compile(r"[\u4e00-\u9fff\u3040-\u30ff]")


class KeywordNet:
    """Curated emergency keywords of every language, matched at word starts.

    A text whose only keywords are the services' names (``services``) and that asks for a
    number (``numbers``) is a question ("what is the ambulance number?"), left to the model.
    """

    def __init__(self, keywords: dict[str, list[str]], services: list[str] | None = None,
                 numbers: list[str] | None = None) -> None:
        self.services = {fold(w) for w in services or []}
        self.numbers = _alternation(numbers) if numbers else None
        spaced: set[str] = set()
        unspaced: set[str] = set()
        #: The languages whose list has each (folded) keyword.
        self.languages: dict[str, set[str]] = {}
        for language, words in keywords.items():
            for word in words:
                folded = fold(word)
                if len(folded) < 3 and not _NO_SPACES.search(folded):
                    continue
                self.languages.setdefault(folded, set()).add(language)
                (unspaced if _NO_SPACES.search(folded) else spaced).add(re.escape(folded))
        parts = []
        if spaced:
            parts.append(r"(?<!\w)(?:" + "|".join(sorted(spaced, key=len, reverse=True)) + ")")
        if unspaced:
            parts.append("(?:" + "|".join(sorted(unspaced, key=len, reverse=True)) + ")")
        self.pattern = re.compile("|".join(parts)) if parts else None

    def match(self, text: str) -> str | None:
        if self.pattern is None:
            return None
        folded = fold(text)
        found = [m.group(0) for m in self.pattern.finditer(folded)]
        if not found:
            return None
        if (self.numbers is not None and set(found) <= self.services
                and self.numbers.search(folded)):
            return None
        return found[0]

    def language_of(self, keyword: str) -> str | None:
        """The one language whose list has this matched keyword; None if several do."""
        languages = self.languages.get(keyword, set())
        return next(iter(languages)) if len(languages) == 1 else None


def _alternation(words: list[str]) -> re.Pattern[str]:
    spaced = sorted({re.escape(fold(w)) for w in words if not _NO_SPACES.search(w)},
                    key=len, reverse=True)
    unspaced = sorted({re.escape(fold(w)) for w in words if _NO_SPACES.search(w)},
                      key=len, reverse=True)
    parts = []
    if spaced:
        parts.append(r"(?<!\w)(?:" + "|".join(spaced) + ")")
    if unspaced:
        parts.append("(?:" + "|".join(unspaced) + ")")
    return re.compile("|".join(parts))


class CryForHelp:
    """A word asking for help and a word of urgency in one message, in any language."""

    def __init__(self, help_words: list[str], urgent_words: list[str]) -> None:
        self.help = _alternation(help_words)
        self.urgent = _alternation(urgent_words)

    def match(self, text: str) -> bool:
        folded = fold(text)
        return bool(self.help.search(folded) and self.urgent.search(folded))


def after_greeting(text: str) -> str | None:
    """What follows a greeting of at most GREETING_WORDS words ended by punctuation, when it
    has ASKED_WORDS words or more; else None."""
    found = _GREETING_END.search(text)
    if found is None:
        return None
    head, rest = text[:found.start()], text[found.end():].strip(" ,.!?…،，。！")
    if len(head.split()) > GREETING_WORDS or word_count(rest) < ASKED_WORDS:
        return None
    return rest


class EmbeddedNLU:
    """Parse texts in-process; a typed :class:`Parse`, keeping the result in the shape of
    Rasa's ``/model/parse`` (``Parse.to_dict``)."""

    def __init__(
        self,
        cache_dir: Path,
        config: NluConfig | None = None,
        encoder: Encoder | bool | None = True,
        files: list[Path] | None = None,
        progress_factory: Callable[[int], Callable[[int], None]] | None = None,
    ) -> None:
        self.config = config or NluConfig.load()
        self.encoder: Encoder | None = load_encoder() if encoder is True else (encoder or None)
        self.model: Model = load_or_train(
            self.encoder, cache_dir, self.config, files, progress_factory
        )
        quick = self.model.quick_intents
        #: The static sentence vector the quick intent head was trained on (nlu/static.py).
        self.static: StaticEmbedding | None = (
            load_static() if quick is not None and quick.dense_w is not None else None)
        self.languages = LanguageIdentifier()
        self.keywords = KeywordNet(emergency_keywords(), *service_words())
        self._recent: dict[str, np.ndarray] = {}
        self._passages: dict[str, np.ndarray] = {}
        self._static_passages: dict[str, np.ndarray] = {}
        #: The shipped answers' passages, encoded once (nlu/passage_store.py): looked up
        #: before anything is encoded.
        self.shipped_passages: PassageStore | None = (
            load_passage_store(self.encoder.name) if self.encoder is not None else None)
        self._lock = threading.Lock()
        #: How a text the quick path understood ranks its answer's passages: "encoder"
        #: (encoded anyway: the default), or without it: "lexical", "chars" (char n-gram
        #: TF-IDF cosine), "chars+lexical". benchmarks/answers.py --quick-focus compares
        #: them; none kept the answers right enough (benchmarks/NLU_COST.md).
        self.quick_focus = "encoder"
        help_words, urgent_words = cry_for_help_words()
        self.cry_for_help = CryForHelp(help_words, urgent_words)

    def one_core_in_this_thread(self) -> None:
        """Called once in each thread of a pool that parses side by side."""
        if self.encoder is not None and hasattr(self.encoder, "one_core_in_this_thread"):
            self.encoder.one_core_in_this_thread()

    def parse(self, text: str, language_hint: str | None = None) -> Parse:
        """What ``text`` means. A greeting before a question ("assalam o alaikum, rehne ki
        jagah nahi hai", "你好，我没有地方住") is the question: a text whose whole reads as a
        greeting is read again from where the greeting ends, and what is asked there wins
        (in the language identified on the whole text, the longer evidence)."""
        text = text or ""
        result = self._parse(text, language_hint)
        if result.intent != GREET:
            return result
        rest = after_greeting(text)
        if rest is None:
            return result
        asked = self._parse(rest, language_hint)
        top = asked.ranking[0] if asked.ranking else None  # the model's, danger flagged or not
        if top is None or top.confidence < ASKED_CONFIDENCE or not (
                top.name == EMERGENCY
                or (top.name.startswith("faq_") and top.name not in NOT_A_TOPIC)):
            return result
        return Parse.of({**asked.to_dict(), "text": text,
                         "language": {"code": result.language,
                                      "confidence": result.language_confidence}})

    def _parse(self, text: str, language_hint: str | None) -> Parse:
        char = self.model.chars.transform(text)
        quick = self.quick_logits(text, char)
        if quick is not None:
            return self.decide(text, *quick, language_hint)
        embedding = self._embed(text) if self.encoder is not None else None
        intent_logits = self.model.intents.logits(embedding, char)
        lang_logits = self.model.languages.logits(embedding, char)
        return self.decide(text, intent_logits, lang_logits, language_hint)

    def quick_logits(self, text: str, char: tuple[np.ndarray, np.ndarray]
                     ) -> tuple[np.ndarray, np.ndarray] | None:
        """The cascade's first step: the quick heads' logits when they are sure (and see no
        hint of danger), else None and the sentence encoder decides. The same text always
        takes the same path (a text encoded since for its answer's passages too)."""
        model, config = self.model, self.config
        if model.quick_languages is None or config.quick_threshold >= 1.0:
            return None
        logits = self.quick_intent_logits(text, char)
        if logits is None:
            return None
        assert model.quick_intents is not None
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        labels = model.quick_intents.labels
        p_emergency = float(probs[labels.index(EMERGENCY)]) if EMERGENCY in labels else 0.0
        if probs.max() < config.quick_threshold or p_emergency >= config.quick_emergency_doubt:
            return None
        return logits, model.quick_languages.logits(None, char)

    def quick_intent_logits(self, text: str, char: tuple[np.ndarray, np.ndarray]
                            ) -> np.ndarray | None:
        """The quick intent head's logits: character n-grams and, when it was trained with
        them, the static sentence vector; None when it cannot run (no quick head, or its
        static table is missing)."""
        head = self.model.quick_intents
        if head is None:
            return None
        if head.dense_w is None:
            return head.logits(None, char)
        if self.static is None or self.static.dimensions != head.dense_w.shape[0]:
            return None
        return head.logits(self.static.vector(text), char)

    def _embed(self, text: str) -> np.ndarray:
        """The sentence embedding; frequent short messages ("ok", "grazie") come from memory."""
        cached = self._recent.get(text)
        if cached is None:
            assert self.encoder is not None
            cached = self.encoder.encode([text])[0]
            with self._lock:  # parse runs in worker threads
                if len(self._recent) >= EMBEDDING_MEMORY:
                    self._recent.pop(next(iter(self._recent)), None)
                self._recent[text] = cached
        return cached

    def similarity(self, text: str, passages: list[str]) -> list[float]:
        """How close each passage is to the text: the cosine of the question's embedding
        and the passage's (encoded once, as e5 encodes passages, and kept), plus a little
        for rare words in common."""
        lexical = lexical_similarity(text, passages)
        if self.encoder is None or not passages:
            return lexical
        if self.quick_focus != "encoder" and self.quick_logits(
                text, self.model.chars.transform(text)) is not None:
            cheap = self._cheap_focus(text, passages, lexical)
            if cheap is not None:
                return cheap
        question = self._embed(text)
        matrix = np.stack(self._passage_vectors(passages))
        cosine = matrix @ question / (
            np.linalg.norm(matrix, axis=1) * float(np.linalg.norm(question)) + 1e-9)
        return [float(c) + LEXICAL_WEIGHT * w for c, w in zip(cosine, lexical, strict=True)]

    def _cheap_focus(self, text: str, passages: list[str], lexical: list[float]
                     ) -> list[float] | None:
        """Passage scores without the encoder, by ``quick_focus``; None when the option
        leaves this text to the encoder (a margin it does not reach)."""
        option, _, margin = self.quick_focus.partition(">")
        parts = set(option.split("+"))
        scores = [0.0] * len(passages)
        if "lexical" in parts:
            weight = 1.0 if parts == {"lexical"} else LEXICAL_WEIGHT
            scores = [s + weight * w for s, w in zip(scores, lexical, strict=True)]
        if "chars" in parts:
            scores = [s + c for s, c in zip(scores, self._char_cosine(text, passages),
                                            strict=True)]
        if "static" in parts and self.static is not None:
            scores = [s + c for s, c in zip(scores, self._static_cosine(text, passages),
                                            strict=True)]
        if margin and len(scores) > 2:
            ranked = sorted(scores[1:], reverse=True)  # the introduction is never a lead
            if ranked[0] - ranked[1] < float(margin):
                return None
        return scores

    def _static_cosine(self, text: str, passages: list[str]) -> list[float]:
        assert self.static is not None
        question = self.static.vector(text)
        out = []
        for passage in passages:
            vector = self._static_passages.get(passage)
            if vector is None:
                vector = self.static.vector(passage)
                with self._lock:
                    if len(self._static_passages) >= PASSAGE_MEMORY:
                        self._static_passages.pop(next(iter(self._static_passages)), None)
                    self._static_passages[passage] = vector
            out.append(float(vector @ question))
        return out

    def warm_passages(self, passages: Iterable[str]) -> int:
        """Encode the passages neither kept nor shipped (all the answers' at start, in a background
        thread: ``nlu/warmup.py``), a small batch at a time; how many were encoded. Replies
        are not held up: the lock is taken only to look up and store, never to encode."""
        if self.encoder is None:
            return 0
        shipped = self.shipped_passages
        with self._lock:
            missing = list(dict.fromkeys(
                p for p in passages
                if p not in self._passages and (shipped is None or p not in shipped)))
        for start in range(0, len(missing), PASSAGE_BATCH):
            self._passage_vectors(missing[start:start + PASSAGE_BATCH])
        return len(missing)

    def _char_cosine(self, text: str, passages: list[str]) -> list[float]:
        """The cosine of the text's character n-gram TF-IDF and each passage's."""
        chars = self.model.chars
        indices, values = chars.transform(text)
        query = np.zeros(chars.size, dtype=np.float32)
        query[indices] = values
        out = []
        for passage in passages:
            p_indices, p_values = chars.transform(passage)
            out.append(float(p_values @ query[p_indices]))
        return out

    def _passage_vectors(self, passages: list[str]) -> list[np.ndarray]:
        assert self.encoder is not None
        with self._lock:  # similarity runs in worker threads
            found = {p: self._passages[p] for p in passages if p in self._passages}
        if self.shipped_passages is not None:
            for passage in set(passages) - found.keys():
                vector = self.shipped_passages.get(passage)
                if vector is not None:
                    found[passage] = vector
        missing = sorted(set(passages) - found.keys())
        if missing:
            encode = getattr(self.encoder, "encode_passages", self.encoder.encode)
            for start in range(0, len(missing), PASSAGE_BATCH):  # a small batch: less memory
                chunk = missing[start:start + PASSAGE_BATCH]
                found.update(zip(chunk, encode(chunk), strict=True))
            with self._lock:
                for passage in missing:
                    if len(self._passages) >= PASSAGE_MEMORY:
                        self._passages.pop(next(iter(self._passages)))
                    self._passages[passage] = found[passage]
        return [found[p] for p in passages]

    def decide(self, text: str, intent_logits: np.ndarray, lang_logits: np.ndarray,
               language_hint: str | None) -> Parse:
        model, config = self.model, self.config
        probs = np.exp(intent_logits - intent_logits.max())
        probs /= probs.sum()
        order = np.argsort(-probs)
        labels = model.intents.labels
        ranking = [
            {"name": labels[i], "confidence": float(probs[i])} for i in order[:RANKING_SIZE]
        ]
        lang_head = head_probabilities(lang_logits, model.languages.labels)
        code, lang_conf = self.languages.detect(text, lang_head, language_hint)
        p_emergency = float(probs[labels.index(EMERGENCY)]) if EMERGENCY in labels else 0.0
        keyword = self.keywords.match(text) or self.cry_for_help.match(text)
        if isinstance(keyword, str) and (lang_conf < KEYWORD_LANGUAGE_DOUBT
                                         or code not in LANGUAGES):
            # A few words in Latin letters ("zawji yadribuni"): identification is unsure, or
            # names a language we do not speak; the danger word's own list says which it is,
            # so that the emergency numbers are said in it.
            listed = self.keywords.language_of(keyword)
            if listed in LANGUAGES:
                code, lang_conf = listed, KEYWORD_LANGUAGE_CONFIDENCE
        if keyword or p_emergency >= config.emergency_threshold:
            intent = {"name": EMERGENCY, "confidence": max(p_emergency, 0.95 if keyword else 0)}
        elif ranking[0]["confidence"] < config.fallback_threshold:
            intent = {"name": FALLBACK, "confidence": config.fallback_threshold}
            ranking = [dict(intent), *ranking]
        else:
            intent = dict(ranking[0])
        return Parse.of({
            "text": text,
            "intent": intent,
            "intent_ranking": ranking,
            "entities": [],
            "language": {"code": code, "confidence": round(float(lang_conf), 4)},
        })
