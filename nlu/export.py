"""Write a Rasa 3.x project from our training data, so a zone can train a real Rasa model."""

from __future__ import annotations

from pathlib import Path

import yaml

from nlu.model import NluConfig
from nlu.training import intent_catalogue, read_all, training_files

RASA_CONFIG = """\
# Written by `teams-bot nlu export-rasa`. Multilingual data in one model: char n-grams carry
# the non-Latin scripts; the fallback threshold matches the embedded model's.
recipe: default.v1
language: xx
assistant_id: teams-bot
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 2
    max_ngram: 4
    max_features: 20000
  - name: DIETClassifier
    epochs: 50
    entity_recognition: false
    constrain_similarities: true
  - name: FallbackClassifier
    threshold: {threshold}
policies: []
"""


class _Literal(str):
    pass


def _literal(dumper: yaml.SafeDumper, data: _Literal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")


def export_rasa(target: Path) -> dict[str, int]:
    """Write config.yml, domain.yml and data/nlu.yml; return counts per intent."""
    examples = read_all(training_files())
    intents = list(intent_catalogue())
    (target / "data").mkdir(parents=True, exist_ok=True)
    threshold = NluConfig.load().fallback_threshold
    (target / "config.yml").write_text(RASA_CONFIG.replace("{threshold}", str(threshold)),
                                       encoding="utf-8")
    domain = {"version": "3.1", "intents": intents}
    (target / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True),
                                       encoding="utf-8")
    blocks = []
    counts: dict[str, int] = {}
    for intent in intents:
        mine = [e for e in examples if e.intent == intent]
        counts[intent] = len(mine)
        blocks.append({
            "intent": intent,
            "examples": [
                {"text": e.text, "metadata": {"language": e.language}} for e in mine
            ],
        })
    dumper = yaml.SafeDumper
    dumper.add_representer(_Literal, _literal)
    text = yaml.dump({"version": "3.1", "nlu": blocks}, Dumper=dumper, allow_unicode=True,
                     sort_keys=False, width=1000)
    (target / "data" / "nlu.yml").write_text(text, encoding="utf-8")
    return counts
