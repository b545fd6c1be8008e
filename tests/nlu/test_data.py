"""The training data and dev set: complete, consistent with the intent catalogue, disjoint."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from domain.languages import LANGUAGES
from nlu.training import (
    DATA_DIR,
    DEV_DIR,
    TrainingDataError,
    emergency_keywords,
    intent_catalogue,
    language_of,
    marker_of,
    read_file,
    training_files,
)

SHARED = Path(__file__).resolve().parents[3] / "shared" / "intents.yml"


def test_the_intent_catalogue_matches_the_shared_contract():
    if not SHARED.exists():
        pytest.skip("../shared/intents.yml is not beside this checkout")
    shared = yaml.safe_load(SHARED.read_text(encoding="utf-8"))
    ours = intent_catalogue()
    # the project's catalogue is the shared `intents`, then any planned ones, in their order
    planned = list(shared.get("planned_intents") or {})
    added = list(ours)[len(shared["intents"]):]
    assert list(ours)[:len(shared["intents"])] == list(shared["intents"])
    assert added == planned[:len(added)]
    every = {**shared["intents"], **(shared.get("planned_intents") or {})}
    assert all(ours[name] == every[name] for name in ours)
    # the languages: the shared launch ones, then planned ones in their order (some may be
    # still to come: Tagalog and Hindi arrive in another branch)
    launch, planned = list(shared["languages"]), list(shared.get("planned_languages") or [])
    assert list(LANGUAGES[:len(launch)]) == launch
    added = list(LANGUAGES[len(launch):])
    assert added == [c for c in planned if c in added], "planned languages, in their order"


def test_the_catalogue_lists_the_languages_the_code_speaks():
    ours = yaml.safe_load((DATA_DIR.parent / "intents.yml").read_text(encoding="utf-8"))
    assert tuple(ours["languages"]) == LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_intent_has_at_least_15_training_examples(language):
    examples = read_file(DATA_DIR / f"{language}.yml")
    counts = Counter(e.intent for e in examples)
    assert set(counts) == set(intent_catalogue())
    assert min(counts.values()) >= 15


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_dev_set_covers_every_intent_and_is_never_trained_on(language):
    dev = read_file(DEV_DIR / f"{language}.yml")
    assert {e.intent for e in dev} == set(intent_catalogue())
    training = {e.text.casefold() for e in read_file(DATA_DIR / f"{language}.yml")}
    overlap = [e.text for e in dev if e.text.casefold() in training]
    assert len(overlap) <= 0.02 * len(dev), overlap


ROMANIZED = ("ar", "ur", "hi", "pa", "bn")  # Arabizi, Roman Urdu, Hindi, Punjabi, Bengali


@pytest.mark.parametrize("language", ROMANIZED)
def test_romanized_writing_is_trained_and_has_its_own_dev_set_of_every_intent(language):
    for folder in (DATA_DIR, DEV_DIR):
        examples = read_file(folder / f"{language}.roman.yml")
        assert {e.intent for e in examples} == set(intent_catalogue())
        assert all(e.text.isascii() for e in examples)  # Latin letters and digits
        assert {e.language for e in examples} == {language if language in LANGUAGES else None}


def test_marked_dev_files_are_never_trained_on():
    training = {e.text.casefold() for path in training_files() for e in read_file(path)}
    marked = [path for path in sorted(DEV_DIR.glob("*.yml")) if marker_of(path)]
    assert {marker_of(path) for path in marked} == {"roman", "mixed"}
    for path in marked:
        overlap = [e.text for e in read_file(path) if e.text.casefold() in training]
        assert overlap == [], (path.name, overlap)


def test_a_marked_file_takes_its_language_from_the_first_part_of_its_name():
    assert language_of(Path("ur.roman.yml")) == "ur" and marker_of(Path("ur.roman.yml")) == "roman"
    assert language_of(Path("it.mixed.yml")) == "it" and marker_of(Path("it.yml")) is None
    assert language_of(Path("extra_phrases.yml")) is None


def test_every_launch_language_has_an_emergency_keyword_list():
    lists = emergency_keywords()
    assert set(lists) == set(LANGUAGES)
    assert all(len(words) >= 20 for words in lists.values())


def test_a_malformed_training_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "it.yml"
    path.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - ciao\n'
                    "- intent: thanks\n  examples: [grazie]\n", encoding="utf-8")
    with pytest.raises(TrainingDataError) as caught:
        read_file(path)
    assert f"{path}, line 7" in str(caught.value)
    path.write_text("nlu:\n- intent: greet\n  examples: |\n  - : [\n", encoding="utf-8")
    with pytest.raises(TrainingDataError) as caught:
        read_file(path)
    assert str(path) in str(caught.value) and "line" in str(caught.value)
