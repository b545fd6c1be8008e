"""The embedded NLU: sentence encoder + linear heads + language identification + safety net."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nlu.encoder import Encoder, load_encoder
from nlu.langid import LanguageIdentifier, head_probabilities
from nlu.model import Heads, NluConfig, load_or_train
from nlu.normalise import fold
from nlu.training import emergency_keywords

log = logging.getLogger(__name__)
FALLBACK = "nlu_fallback"
EMERGENCY = "emergency"
RANKING_SIZE = 10
_NO_SPACES = re.compile(r"[\u4e00-\u9fff\u3040-\u30ff]")


class KeywordNet:
    """Curated emergency keywords of every language, matched at word starts."""

    def __init__(self, keywords: dict[str, list[str]]) -> None:
        spaced, unspaced = set(), set()
        for words in keywords.values():
            for word in words:
                folded = fold(word)
                if len(folded) < 3 and not _NO_SPACES.search(folded):
                    continue
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
        found = self.pattern.search(fold(text))
        return found.group(0) if found else None


class EmbeddedNLU:
    """Parse texts in-process; results are shaped like Rasa's ``/model/parse``."""

    def __init__(
        self,
        cache_dir: Path,
        config: NluConfig | None = None,
        encoder: Encoder | None = None,
        files: list[Path] | None = None,
        progress_factory: Callable[[int], Callable[[int], None]] | None = None,
    ) -> None:
        self.config = config or NluConfig.load()
        self.encoder = encoder or load_encoder()
        self.heads: Heads = load_or_train(
            self.encoder, cache_dir, self.config, files, progress_factory
        )
        self.languages = LanguageIdentifier()
        self.keywords = KeywordNet(emergency_keywords())

    def features(self, texts: list[str]) -> Any:
        return self.encoder.encode(texts)

    def parse(self, text: str, language_hint: str | None = None) -> dict[str, Any]:
        text = text or ""
        features = self.features([text])
        return self.decide(text, features[0:1], language_hint)

    def decide(self, text: str, features: Any, language_hint: str | None) -> dict[str, Any]:
        heads, config = self.heads, self.config
        logits = heads.intent_logits(features)[0]
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        order = np.argsort(-probs)
        ranking = [
            {"name": heads.intent_labels[i], "confidence": float(probs[i])}
            for i in order[:RANKING_SIZE]
        ]
        lang_head = head_probabilities(heads.lang_logits(features)[0], heads.lang_labels)
        code, lang_conf = self.languages.detect(text, lang_head, language_hint)
        top = ranking[0]
        p_emergency = next((r["confidence"] for r in ranking if r["name"] == EMERGENCY), 0.0)
        if p_emergency == 0.0 and EMERGENCY in heads.intent_labels:
            p_emergency = float(probs[heads.intent_labels.index(EMERGENCY)])
        keyword = self.keywords.match(text)
        if keyword or p_emergency >= config.emergency_threshold:
            intent = {"name": EMERGENCY, "confidence": max(p_emergency, 0.95 if keyword else 0)}
        elif top["confidence"] < config.fallback_threshold:
            intent = {"name": FALLBACK, "confidence": config.fallback_threshold}
            ranking = [dict(intent), *ranking]
        else:
            intent = dict(top)
        return {
            "text": text,
            "intent": intent,
            "intent_ranking": ranking,
            "entities": [],
            "language": {"code": code, "confidence": round(float(lang_conf), 4)},
        }
