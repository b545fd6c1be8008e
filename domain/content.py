"""First-information answers: one YAML file per language and topic group, with sources."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from domain import yamlfile
from domain.languages import LANGUAGES
from domain.text import N_

#: Menu groups, in menu order, with the topics each one holds. ``about`` is built from the
#: service directory rather than from a content file.
GROUPS: dict[str, tuple[str, ...]] = {
    "documents": (
        "faq_residence_permit", "faq_permit_renewal", "faq_tax_code",
        "faq_residence_registration", "faq_citizenship", "faq_international_protection",
        "faq_temporary_protection", "faq_digital_identity", "faq_driving_licence",
    ),
    "health": ("faq_health_care", "faq_emergency_numbers"),
    "work": (
        "faq_job_search", "faq_work_rights", "faq_vocational_training", "faq_italian_courses",
        "faq_qualification_recognition",
    ),
    "family_school": ("faq_family_reunification", "faq_school_enrollment"),
    "housing_money": ("faq_housing", "faq_child_benefit", "faq_economic_support"),
    "about": ("faq_teams_service",),
}
GROUP_LABELS: dict[str, str] = {
    "documents": N_("📄 Documents and permits"),
    "health": N_("🩺 Health"),
    "work": N_("💼 Work and training"),
    "family_school": N_("👪 Family and school"),
    "housing_money": N_("🏠 Housing and money"),
    "about": N_("ℹ️ About TEAMS"),
}
#: The professional each topic usually routes to (``route`` in intents.yml).
TOPIC_ROUTE: dict[str, str | None] = {
    "faq_residence_permit": "mediator", "faq_permit_renewal": "mediator",
    "faq_tax_code": "mediator", "faq_residence_registration": "mediator",
    "faq_health_care": "social_worker", "faq_job_search": "labour_expert",
    "faq_vocational_training": "labour_expert", "faq_italian_courses": "mediator",
    "faq_qualification_recognition": "labour_expert", "faq_family_reunification": "mediator",
    "faq_citizenship": "mediator", "faq_housing": "social_worker",
    "faq_school_enrollment": "social_worker", "faq_economic_support": "social_worker",
    "faq_international_protection": "mediator", "faq_teams_service": None,
    "faq_emergency_numbers": "social_worker", "faq_driving_licence": "mediator",
    "faq_temporary_protection": "mediator", "faq_digital_identity": "mediator",
    "faq_work_rights": "labour_expert", "faq_child_benefit": "social_worker",
}
TOPIC_GROUP: dict[str, str] = {t: g for g, topics in GROUPS.items() for t in topics}
FILE_GROUPS: tuple[str, ...] = tuple(g for g in GROUPS if g != "about")
MAX_ANSWER = 3500  # leaves room for the sources footer under Telegram's 4,096 characters
MAX_TITLE = 32

_PHONE = re.compile(r"(?<![\w/.=?-])\+?\d[\d \-./]{6,}\d(?![\w/])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
#: National free helplines from official sources, the same in every area: not an office's
#: contact, so an answer may name them (the anti-trafficking line, pariopportunita.gov.it).
NATIONAL_HELPLINES: tuple[str, ...] = ("800 290 290",)


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = Field(min_length=3)
    url: HttpUrl


class Topic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = Field(min_length=2, max_length=MAX_TITLE)
    checked: date
    answer: str = Field(min_length=80, max_length=MAX_ANSWER)
    sources: list[Source] = Field(min_length=1)


class TopicFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    language: str
    group: str
    reviewed: bool
    topics: dict[str, Topic]


@dataclass(frozen=True)
class Answer:
    topic: str
    language: str
    title: str
    text: str
    sources: tuple[Source, ...]
    checked: date
    reviewed: bool


class ContentError(yamlfile.FileError):
    pass


class Content:
    """All FAQ answers, by language and topic."""

    def __init__(self, answers: dict[tuple[str, str], Answer], files: dict[tuple[str, str], Path]):
        self.answers = answers
        self.files = files

    def get(self, language: str, topic: str) -> Answer | None:
        return self.answers.get((language, topic)) or self.answers.get(("en", topic))

    def languages(self) -> set[str]:
        return {lang for lang, _ in self.answers}


def _load_file(path: Path) -> TopicFile:
    data, lines = yamlfile.load(path)
    if not isinstance(data, dict):
        raise ContentError(f"{path}, line 1: a content file must be a mapping.")
    try:
        parsed = TopicFile.model_validate(data)
    except ValidationError as exc:
        raise ContentError(yamlfile.describe_validation_error(path, lines, exc.errors())) from None
    expected_lang, expected_group = path.parent.name, path.stem
    for field, expected in (("language", expected_lang), ("group", expected_group)):
        if getattr(parsed, field) != expected:
            raise ContentError(
                f"{path}, line {yamlfile.line_of(lines, (field,))}, field '{field}': "
                f"is '{getattr(parsed, field)}' but the file's place says '{expected}'."
            )
    for topic in parsed.topics:
        if TOPIC_GROUP.get(topic) != parsed.group:
            raise ContentError(
                f"{path}, line {yamlfile.line_of(lines, ('topics', topic))}, field "
                f"'topics.{topic}': not a topic of group '{parsed.group}'."
            )
    return parsed


def load_content(root: Path) -> Content:
    """Load every ``<root>/<lang>/<group>.yml``; malformed files raise :class:`ContentError`."""
    answers: dict[tuple[str, str], Answer] = {}
    files: dict[tuple[str, str], Path] = {}
    for path in sorted(root.glob("*/*.yml")):
        parsed = _load_file(path)
        for name, topic in parsed.topics.items():
            key = (parsed.language, name)
            answers[key] = Answer(
                topic=name, language=parsed.language, title=topic.title,
                text=topic.answer.strip(), sources=tuple(topic.sources), checked=topic.checked,
                reviewed=parsed.reviewed,
            )
            files[key] = path
    return Content(answers, files)


@dataclass(frozen=True)
class CheckReport:
    problems: list[str]
    coverage: dict[str, tuple[int, int, int]]  # lang -> (present, expected, reviewed)


def check_content(content: Content, languages: tuple[str, ...] = LANGUAGES) -> CheckReport:
    """Every topic in every language, the same sources, no contacts outside the directory."""
    problems: list[str] = []
    coverage: dict[str, tuple[int, int, int]] = {}
    file_topics = [t for g in FILE_GROUPS for t in GROUPS[g]]
    for lang in languages:
        present = reviewed = 0
        for topic in file_topics:
            answer = content.answers.get((lang, topic))
            if answer is None:
                problems.append(f"{lang}: topic {topic} is missing.")
                continue
            present += 1
            reviewed += answer.reviewed
            where = f"{content.files[(lang, topic)]}: {topic}"
            reference = content.answers.get(("en", topic)) or content.answers.get(("it", topic))
            if reference is not None:
                ours = sorted(str(s.url) for s in answer.sources)
                theirs = sorted(str(s.url) for s in reference.sources)
                if ours != theirs:
                    problems.append(f"{where}: sources differ from the English file.")
            for pattern, what in ((_PHONE, "a phone number"), (_EMAIL, "an e-mail address")):
                text = answer.text
                for helpline in NATIONAL_HELPLINES:
                    text = text.replace(helpline, "")
                found = pattern.search(text)
                if found:
                    problems.append(
                        f"{where}: contains {what} ('{found.group(0)}'); contacts belong in "
                        "the service directory."
                    )
        coverage[lang] = (present, len(file_topics), reviewed)
    return CheckReport(problems, coverage)
