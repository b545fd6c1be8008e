"""``teams-bot content export DIR``: the effective FAQ content (the shipped files with the
approvals and corrections staff made in Telegram) written back as content files, for the
repository: ``DIR/<lang>/<group>.yml`` and ``DIR/<lang>/_review.yml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from domain.content import FILE_GROUPS, GROUPS, REVIEW_FILE, Answer, Content
from domain.review import Review


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _topic(answer: Answer) -> dict[str, Any]:
    topic: dict[str, Any] = {
        "title": answer.title,
        "checked": answer.checked,
        "answer": answer.text + "\n",
        "sources": [{"title": s.title, "url": str(s.url)} for s in answer.sources],
    }
    if answer.fact_exceptions:
        topic["fact_exceptions"] = [e.model_dump(exclude_none=True)
                                    for e in answer.fact_exceptions]
    return topic


def _review(answer: Answer) -> dict[str, Any]:
    review: Review = answer.review
    entry: dict[str, Any] = {
        "state": answer.state,  # reviewed against an older source: written needs_review
        "reviewed_by": review.by,
        "reviewed_at": review.at.date() if review.at else None,
        "source_version": review.source_version,
        "checked_by": review.checked_by,
    }
    return {k: v for k, v in entry.items() if v is not None}


def content_files(content: Content) -> dict[Path, dict[str, Any]]:
    """Every file of the content, by its path under the content folder."""
    files: dict[Path, dict[str, Any]] = {}
    for language in sorted(content.languages()):
        reviews: dict[str, Any] = {}
        for group in FILE_GROUPS:
            topics = {}
            for topic in GROUPS[group]:
                answer = content.answers.get((language, topic))
                if answer is not None:
                    topics[topic] = _topic(answer)
                    reviews[topic] = _review(answer)
            if topics:
                files[Path(language) / f"{group}.yml"] = {
                    "language": language, "group": group, "topics": topics}
        files[Path(language) / REVIEW_FILE] = {"language": language, "topics": reviews}
    return files


def write_content(content: Content, target: Path) -> int:
    """Write the content under ``target``; how many files."""
    files = content_files(content)
    for path, data in files.items():
        out = target / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                                 width=10_000), encoding="utf-8")
    return len(files)


async def export(database_url: str, source: Path, target: Path) -> int:
    """The shipped content under ``source`` with the database's overlay, written to
    ``target``."""
    from domain.content import load_content
    from storage.database import create_engine, is_sqlite, session_factory, upgrade_async
    from storage.repositories import SqlUnitOfWorkFactory

    content = load_content(source)
    if is_sqlite(database_url):
        await upgrade_async(database_url)
    db = create_engine(database_url)
    try:
        async with SqlUnitOfWorkFactory(session_factory(db))() as uow:
            reviews = await uow.reviews.all()
    finally:
        await db.dispose()
    return write_content(content.with_overlay(reviews), target)
