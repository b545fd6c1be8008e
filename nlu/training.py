"""Rasa NLU YAML training data (``version: "3.1"``), one file per language."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from domain import yamlfile
from domain.languages import LANGUAGES

DATA_DIR = Path(__file__).resolve().parent / "data"
DEV_DIR = Path(__file__).resolve().parent / "dev"
SAFETY_DIR = Path(__file__).resolve().parent / "safety"
INTENTS_FILE = Path(__file__).resolve().parent / "intents.yml"
URGENT_HELP_FILE = Path(__file__).resolve().parent / "urgent_help.yml"


class TrainingDataError(yamlfile.FileError):
    pass


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    language: str | None  # None when the file is not named after a language
    source: str


def intent_catalogue() -> dict[str, dict[str, object]]:
    """The intent contract: ``nlu/intents.yml`` (a copy of ``shared/intents.yml``)."""
    data = yaml.safe_load(INTENTS_FILE.read_text(encoding="utf-8"))
    return dict(data["intents"])


def _examples_of(block_text: str) -> list[str]:
    out = []
    for line in block_text.splitlines():
        stripped = line.strip()
        if stripped.startswith("- "):
            text = stripped[2:].strip()
            if text:
                out.append(text)
    return out


def language_of(path: Path) -> str | None:
    """The language a file is named after: ``ur.yml``, or ``ur.roman.yml`` (a marked part)."""
    code = path.stem.split(".", 1)[0]
    return code if code in LANGUAGES else None


def marker_of(path: Path) -> str | None:
    """The part of the data a file holds, after the language: ``roman`` (a language written
    in Latin letters, e.g. Arabizi, Roman Urdu) or ``mixed`` (Italian mixed with another
    language) in ``ur.roman.yml``; None for a plain ``ur.yml``."""
    parts = path.stem.split(".")
    return parts[1] if len(parts) > 1 else None


def read_file(path: Path) -> list[Example]:
    """Read one Rasa NLU YAML file; a malformed one raises with the file and the line."""
    try:
        data, lines = yamlfile.load(path)
    except yamlfile.FileError as exc:
        raise TrainingDataError(str(exc)) from None
    language = language_of(path)
    if not isinstance(data, dict) or not isinstance(data.get("nlu"), list):
        raise TrainingDataError(
            f"{path}, line {yamlfile.line_of(lines, ('nlu',)) or 1}: expected a mapping with "
            "a list under 'nlu' (Rasa NLU YAML)."
        )
    examples: list[Example] = []
    for index, block in enumerate(data["nlu"]):
        line = yamlfile.line_of(lines, ("nlu", index))
        if not isinstance(block, dict):
            raise TrainingDataError(f"{path}, line {line}: each item under 'nlu' is a mapping.")
        if "intent" not in block:
            continue  # synonyms, regexes and lookups are Rasa's; not used here
        intent = block.get("intent")
        raw = block.get("examples")
        if not isinstance(intent, str) or not intent:
            raise TrainingDataError(f"{path}, line {line}: 'intent' must be a name.")
        if not isinstance(raw, str):
            line = yamlfile.line_of(lines, ("nlu", index, "examples")) or line
            raise TrainingDataError(
                f"{path}, line {line}: intent '{intent}' needs 'examples' as a block of "
                "'- text' lines."
            )
        for text in _examples_of(raw):
            examples.append(Example(text, intent, language, path.name))
    return examples


def collect(paths: list[Path]) -> list[Path]:
    """Expand folders into their ``*.yml`` files, sorted."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.yml")) + sorted(path.glob("*.yaml")))
        else:
            files.append(path)
    return files


def read_all(paths: list[Path]) -> list[Example]:
    out: list[Example] = []
    for path in collect(paths):
        out.extend(read_file(path))
    return out


def training_files() -> list[Path]:
    return sorted(DATA_DIR.glob("*.yml"))


def emergency_keywords() -> dict[str, list[str]]:
    """Curated per-language keyword lists that flag an emergency whatever the model says."""
    out: dict[str, list[str]] = {}
    for path in sorted(SAFETY_DIR.glob("*.yml")):
        data, _ = yamlfile.load(path)
        words = data.get("keywords") if isinstance(data, dict) else None
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise TrainingDataError(f"{path}, line 1: expected 'keywords' as a list of strings.")
        out[path.stem] = words
    return out


def service_words() -> tuple[list[str], list[str]]:
    """The emergency services' names and the words asking for a number, of every language
    (``nlu/urgent_help.yml``): "what is the ambulance number?" asks for information."""
    data = yaml.safe_load(URGENT_HELP_FILE.read_text(encoding="utf-8"))
    services = [w for words in data.get("services", {}).values() for w in words]
    numbers = [w for words in data.get("number", {}).values() for w in words]
    return services, numbers


def cry_for_help_words() -> tuple[list[str], list[str]]:
    """Help words and urgency words of every language (``nlu/urgent_help.yml``)."""
    data = yaml.safe_load(URGENT_HELP_FILE.read_text(encoding="utf-8"))
    help_words = [w for words in data["help"].values() for w in words]
    urgent_words = [w for words in data["urgent"].values() for w in words]
    return help_words, urgent_words
