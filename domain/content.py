"""First-information answers: one YAML file per language and topic group, with sources."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from domain import yamlfile
from domain.facts import FactException, compare
from domain.languages import LANGUAGES
from domain.review import (
    NEEDS_REVIEW,
    REVIEWED,
    SOURCE_LANGUAGE,
    Review,
    effective_state,
    links_in,
    version_of,
)
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
    #: Facts this translation may lack or add against its Italian source, each with its
    #: reason (a number written in words, an EU rule the Romanian answer puts first).
    fact_exceptions: list[FactException] = Field(default_factory=list)


class TopicFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    language: str
    group: str
    reviewed: bool = False  # superseded by the per-topic review state in _review.yml
    topics: dict[str, Topic]


class ReviewEntry(BaseModel):
    """One topic's review state in ``<lang>/_review.yml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    state: Literal["draft", "reviewed", "needs_review"] = "draft"
    reviewed_by: str | None = None
    reviewed_at: date | None = None
    source_version: str | None = None  # the Italian source's version it was reviewed against
    checked_by: str | None = None  # Italian: who checked the source against the law


class ReviewFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    language: str
    topics: dict[str, ReviewEntry] = Field(default_factory=dict)


REVIEW_FILE = "_review.yml"


@dataclass(frozen=True)
class Answer:
    topic: str
    language: str
    title: str
    text: str
    sources: tuple[Source, ...]
    checked: date
    review: Review
    source_version: str | None = None  # the Italian source's version now
    fact_exceptions: tuple[FactException, ...] = ()

    @property
    def state(self) -> str:
        """The effective state: reviewed against an older source is ``needs_review``."""
        return effective_state(self.review, self.source_version)

    @property
    def reviewed(self) -> bool:
        return self.state == REVIEWED

    @property
    def stale(self) -> bool:
        """Marked reviewed, but against an older version of its Italian source."""
        return self.review.state == REVIEWED and self.state == NEEDS_REVIEW

    @property
    def version(self) -> str:
        """This text's version (of interest for the Italian source)."""
        return version_of(self.text, [str(s.url) for s in self.sources])


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

    def with_overlay(self, reviews: Iterable[Review]) -> Content:
        """The content with approvals and corrections made in Telegram laid over the
        shipped files; a translation's state follows its Italian source's version."""
        answers = dict(self.answers)
        topics: set[str] = set()
        for review in reviews:
            base = answers.get(review.key)
            if base is None:
                continue
            checked = review.checked or base.checked
            answers[review.key] = replace(base, text=review.text or base.text,
                                          checked=checked, review=review)
            topics.add(review.topic)
        return Content(_settled(answers, topics), self.files)


def _settled(answers: dict[tuple[str, str], Answer], topics: set[str]
             ) -> dict[tuple[str, str], Answer]:
    """Each translation of these topics knows its Italian source's version now."""
    versions = {}
    for topic in topics:
        source = answers.get((SOURCE_LANGUAGE, topic))
        versions[topic] = source.version if source is not None else None
    for key, answer in answers.items():
        if key[1] in versions and answer.source_version != versions[key[1]]:
            answers[key] = replace(answer, source_version=versions[key[1]])
    return answers


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


def _load_reviews(path: Path) -> ReviewFile:
    data, lines = yamlfile.load(path)
    try:
        parsed = ReviewFile.model_validate(data if isinstance(data, dict) else {})
    except ValidationError as exc:
        raise ContentError(yamlfile.describe_validation_error(path, lines, exc.errors())) from None
    if parsed.language != path.parent.name:
        raise ContentError(f"{path}, line {yamlfile.line_of(lines, ('language',))}, field "
                           f"'language': is '{parsed.language}' but the file's place says "
                           f"'{path.parent.name}'.")
    return parsed


def _review_of(language: str, topic: str, entry: ReviewEntry | None) -> Review:
    if entry is None:
        return Review(language, topic)
    at = (datetime(entry.reviewed_at.year, entry.reviewed_at.month, entry.reviewed_at.day,
                   tzinfo=UTC) if entry.reviewed_at else None)
    return Review(language, topic, entry.state, by=entry.reviewed_by, at=at,
                  source_version=entry.source_version, checked_by=entry.checked_by)


def load_content(root: Path) -> Content:
    """Load every ``<root>/<lang>/<group>.yml`` and the review state beside them
    (``<lang>/_review.yml``); malformed files raise :class:`ContentError`."""
    answers: dict[tuple[str, str], Answer] = {}
    files: dict[tuple[str, str], Path] = {}
    reviews = {path.parent.name: _load_reviews(path) for path in root.glob(f"*/{REVIEW_FILE}")}
    for path in sorted(root.glob("*/*.yml")):
        if path.name.startswith("_"):
            continue
        parsed = _load_file(path)
        entries = reviews[parsed.language].topics if parsed.language in reviews else {}
        for name, topic in parsed.topics.items():
            key = (parsed.language, name)
            answers[key] = Answer(
                topic=name, language=parsed.language, title=topic.title,
                text=topic.answer.strip(), sources=tuple(topic.sources), checked=topic.checked,
                review=_review_of(parsed.language, name, entries.get(name)),
                fact_exceptions=tuple(topic.fact_exceptions),
            )
            files[key] = path
    return Content(_settled(answers, {t for _, t in answers}), files)


MIN_ANSWER = 80


def text_problems(text: str, before: str | None = None) -> list[tuple[str, str]]:
    """What an answer's text breaks, as ``(kind, detail)``: ``short``, ``long`` (its
    length), ``phone``, ``email`` (a contact outside the directory), ``http`` (a link not
    https), ``link`` (a link of the text ``before`` it that it lost)."""
    found: list[tuple[str, str]] = []
    if len(text.strip()) < MIN_ANSWER:
        found.append(("short", str(MIN_ANSWER)))
    if len(text) > MAX_ANSWER:
        found.append(("long", str(MAX_ANSWER)))
    without_helplines = text
    for helpline in NATIONAL_HELPLINES:
        without_helplines = without_helplines.replace(helpline, "")
    for pattern, kind in ((_PHONE, "phone"), (_EMAIL, "email")):
        match = pattern.search(without_helplines)
        if match:
            found.append((kind, match.group(0)))
    links = links_in(text)
    found.extend(("http", url) for url in links if not url.startswith("https://"))
    if before is not None:
        found.extend(("link", url) for url in links_in(before) if url not in links)
    return found


@dataclass(frozen=True)
class CheckReport:
    problems: list[str]
    coverage: dict[str, tuple[int, int, int]]  # lang -> (present, expected, reviewed)
    needs_review: dict[str, int] = dc_field(default_factory=dict)  # lang -> how many
    facts_differ: dict[str, int] = dc_field(default_factory=dict)  # lang -> topics


def _fact_problem(content: Content, answer: Answer) -> str | None:
    """The facts (numbers, phone numbers, web addresses, sources) in which a translation
    says something other than its Italian source, as a mediator reads it."""
    where = f"{content.files[(answer.language, answer.topic)]}: {answer.topic}"
    if answer.language == SOURCE_LANGUAGE:
        if answer.fact_exceptions:
            return f"{where}: the Italian source has fact_exceptions; only translations may."
        return None
    source = content.answers.get((SOURCE_LANGUAGE, answer.topic))
    if source is None:
        return None
    drift = compare(source.text, answer.text, [str(s.url) for s in source.sources],
                    [str(s.url) for s in answer.sources], answer.fact_exceptions)
    if not drift:
        return None
    return (f"{where}: facts differ from the Italian: {drift.describe()}. Correct the "
            "translation from the Italian; if it is right as it is (a number written in "
            "words, an EU rule put first), list it under fact_exceptions with the reason.")


def _answer_problems(content: Content, answer: Answer) -> list[str]:
    problems: list[str] = []
    lang, topic = answer.language, answer.topic
    where = f"{content.files[(lang, topic)]}: {topic}"
    reference = content.answers.get(("en", topic)) or content.answers.get(("it", topic))
    if reference is not None:
        ours = sorted(str(s.url) for s in answer.sources)
        theirs = sorted(str(s.url) for s in reference.sources)
        if ours != theirs:
            problems.append(f"{where}: sources differ from the English file.")
    for source in answer.sources:
        if source.url.scheme != "https":
            problems.append(f"{where}: source '{source.url}' is not https.")
    for kind, detail in text_problems(answer.text):
        what = {"phone": "a phone number", "email": "an e-mail address"}.get(kind)
        if what:
            problems.append(f"{where}: contains {what} ('{detail}'); contacts belong in "
                            "the service directory.")
        elif kind == "http":
            problems.append(f"{where}: link '{detail}' is not https.")
    review = answer.review
    if review.state == REVIEWED and (review.by is None or review.at is None):
        problems.append(f"{where}: marked reviewed without reviewed_by and reviewed_at.")
    if answer.stale:
        problems.append(f"{where}: reviewed against an older version of its Italian source; "
                        "mark it needs_review (or review it again).")
    return problems


def check_content(content: Content, languages: tuple[str, ...] = LANGUAGES) -> CheckReport:
    """Every topic in every language, the same https sources, no contacts outside the
    directory, no translation passed off as reviewed against an older Italian source, and
    no translation stating other facts than its Italian source (:mod:`domain.facts`)."""
    problems: list[str] = []
    coverage: dict[str, tuple[int, int, int]] = {}
    needs_review: dict[str, int] = {}
    facts_differ: dict[str, int] = {}
    file_topics = [t for g in FILE_GROUPS for t in GROUPS[g]]
    for lang in languages:
        present = reviewed = stale = differ = 0
        for topic in file_topics:
            answer = content.answers.get((lang, topic))
            if answer is None:
                problems.append(f"{lang}: topic {topic} is missing.")
                continue
            present += 1
            reviewed += answer.reviewed
            stale += answer.state == NEEDS_REVIEW
            problems.extend(_answer_problems(content, answer))
            drift = _fact_problem(content, answer)
            if drift is not None:
                problems.append(drift)
                differ += 1
        coverage[lang] = (present, len(file_topics), reviewed)
        needs_review[lang] = stale
        facts_differ[lang] = differ
    return CheckReport(problems, coverage, needs_review, facts_differ)
