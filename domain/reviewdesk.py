"""/review: staff review and correct the FAQ answers of their languages in Telegram.

- A staff member reviews the languages the staff registry gives them (``languages``); a
  coordinator (or admin) any language, and alone the Italian source (its fact check).
- Each draft is shown beside its Italian source (and what changed in the Italian since the
  last review, when it changed): ✅ approve, ✏️ correct, ⏭ later.
- A correction is the staff member's reply to the prompt (a forced reply): it is checked by
  the rules of ``teams-bot content check`` (length, no contacts, https links, the answer's
  links kept, the Italian source's numbers, phone numbers and links; the sources are not
  touched) and, when it passes, citizens get it from their next question (the overlay is
  read in each citizen's turn). A draft whose facts differ from the Italian is shown with a
  warning saying how.
- ``/review status``: per language, reviewed of total (coordinators).

Button data: ``stf:rvok.LANG.TOPIC`` (approve), ``stf:rved.`` (correct), ``stf:rvnx.`` (later),
parsed strictly by :func:`domain.staff.parse_button`.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import replace
from datetime import datetime

from domain.content import FILE_GROUPS, GROUPS, Answer, Content, text_problems
from domain.facts import compare
from domain.languages import LANGUAGES
from domain.messages import Button
from domain.model import StaffMember
from domain.ports import UnitOfWork
from domain.review import NEEDS_REVIEW, REVIEWED, SOURCE_LANGUAGE, STATE_LABELS, Review
from domain.staffview import COORDINATORS_ONLY, StaffView, staff_say
from domain.text import N_, Say
from domain.turn import Services

log = logging.getLogger(__name__)

ORDER: tuple[str, ...] = tuple(t for g in FILE_GROUPS for t in GROUPS[g])
REVIEW_VERBS = ("rvok", "rved", "rvnx")
PROMPT = re.compile(r"✏️ \[([a-z]{2})/(faq_[a-z_]{1,40})\]", re.ASCII)
NOT_YOURS = N_("You cannot review this language: ask a coordinator to add it to your "
               "languages in the staff registry.")
PROBLEMS = {
    "short": N_("Too short: an answer has at least {detail} characters."),
    "long": N_("Too long: an answer has at most {detail} characters."),
    "phone": N_("Contacts belong in the service directory, not in an answer: {detail}"),
    "email": N_("Contacts belong in the service directory, not in an answer: {detail}"),
    "http": N_("Links must start with https://: {detail}"),
    "link": N_("Keep the link of the answer: {detail}"),
    "facts": N_("Numbers, phone numbers or links differ from the Italian source "
                "(\u2212 missing, + extra): {detail}"),
}


def fact_difference(content: Content, answer: Answer, text: str | None = None) -> str | None:
    """How a translation's text (or ``text``, a correction of it) differs in facts from its
    Italian source, in signs (``domain.facts``); None when it says the same facts."""
    source = content.answers.get((SOURCE_LANGUAGE, answer.topic))
    if answer.language == SOURCE_LANGUAGE or source is None:
        return None
    drift = compare(source.text, answer.text if text is None else text,
                    exceptions=answer.fact_exceptions)
    return drift.short() if drift.differs else None


def correction_target(prompt: str | None) -> tuple[str, str] | None:
    """The language and topic a correction prompt was about (None: not a prompt of ours)."""
    found = PROMPT.match(prompt or "")
    if found is None or found.group(1) not in LANGUAGES or found.group(2) not in ORDER:
        return None
    return found.group(1), found.group(2)


def may_review(member: StaffMember, language: str) -> bool:
    if language == SOURCE_LANGUAGE:
        return member.sees_everyone
    return member.sees_everyone or language in member.languages


class ContentReviews:
    """The staff's review of the FAQ content: each use case a transaction of its own."""

    def __init__(self, services: Services) -> None:
        self.s = services

    async def content(self, uow: UnitOfWork) -> Content:
        return self.s.content.with_overlay(await uow.reviews.all())

    async def command(self, user_id: int, argument: str) -> StaffView | None:
        """``/review [lang|status]``; None for anybody not on the staff registry."""
        async with self.s.uow_factory() as uow:
            member = await uow.staff.get(user_id)
            if member is None:
                return None
            say, word = staff_say(self.s, member), argument.strip().lower()
            content = await self.content(uow)
        view = StaffView()
        if word == "status":
            if not member.sees_everyone:
                view.add(say._(COORDINATORS_ONLY))
                return view
            view.add(self.progress(content, LANGUAGES, say))
            return view
        if not word:
            mine = ([SOURCE_LANGUAGE] if member.sees_everyone else
                    [lang for lang in member.languages if lang != SOURCE_LANGUAGE])
            if len(mine) != 1:
                view.add(say._("Which language? Write /review and its code, e.g. /review "
                               "{example}.", example=(mine or ["ar"])[0]) + "\n\n"
                         + self.progress(content, tuple(mine), say))
                return view
            word = mine[0]
        if word not in LANGUAGES or not may_review(member, word):
            view.add(say._(NOT_YOURS))
            return view
        return self.next_item(content, word, None, say, view)

    def progress(self, content: Content, languages: tuple[str, ...], say: Say) -> str:
        """Per language: answers reviewed of total (🔁 those whose Italian source changed),
        then the interface strings (reviewed in their files: README, "Reviewing the
        interface strings")."""
        lines = [say._("Review progress (reviewed of total):")]
        for lang in languages:
            answers = [content.answers.get((lang, t)) for t in ORDER]
            done = sum(1 for a in answers if a is not None and a.reviewed)
            again = sum(1 for a in answers if a is not None and a.state == NEEDS_REVIEW)
            ui_done, ui_total = self.s.translations.review_progress(lang)
            lines.append(f"{lang}: {done}/{len(ORDER)}" + (f" · {again} 🔁" if again else "")
                         + (" · " + say._("interface {done}/{total}", done=ui_done,
                                          total=ui_total) if ui_total else ""))
        return "\n".join(lines)

    def next_item(self, content: Content, language: str, after: str | None, say: Say,
                  view: StaffView | None = None) -> StaffView:
        """The next answer of the language not reviewed (after ``after``; from the start,
        those whose Italian source changed first)."""
        view = view or StaffView()
        start = ORDER.index(after) + 1 if after in ORDER else 0
        waiting = [a for a in (content.answers.get((language, t)) for t in ORDER[start:])
                   if a is not None and not a.reviewed]
        if after is None:  # those whose Italian source changed first
            waiting.sort(key=lambda a: a.state != NEEDS_REVIEW)
        if waiting:
            self._show(content, waiting[0], say, view)
            return view
        view.add(say._("Nothing more to review in {language} for now.", language=language))
        return view

    def _show(self, content: Content, answer: Answer, say: Say, view: StaffView) -> None:
        lang, topic = answer.language, answer.topic
        source = content.answers.get((SOURCE_LANGUAGE, topic))
        if lang != SOURCE_LANGUAGE and source is not None:
            head = "🇮🇹 " + say._("Italian source") + f" · {source.title}"
            changed = answer.review.source_text
            if answer.state == NEEDS_REVIEW and changed:
                diff = difflib.unified_diff(changed.splitlines(), source.text.splitlines(),
                                            lineterm="", n=0)
                lines = [d for d in diff if d[:1] in "+-" and d[:3] not in ("+++", "---")]
                head = (say._("What changed in the Italian source since the last review:")
                        + "\n" + "\n".join(lines)[:1500] + "\n\n" + head)
            view.add(f"{head}\n\n{source.text}"[:4096])
        sources = "\n".join(f"• {s.url}" for s in answer.sources)
        differs = fact_difference(content, answer)
        warning = "⚠️ " + say._(PROBLEMS["facts"], detail=differs) + "\n\n" if differs else ""
        view.add(f"{warning}{lang} · {answer.title} · {say._(STATE_LABELS[answer.state])}\n\n"
                 f"{answer.text}\n\n{sources}"[:4096],
                 [[Button(say._("✅ Approve"), f"stf:rvok.{lang}.{topic}"),
                   Button(say._("✏️ Correct"), f"stf:rved.{lang}.{topic}"),
                   Button(say._("⏭ Later"), f"stf:rvnx.{lang}.{topic}")]])

    async def on_button(self, uow: UnitOfWork, member: StaffMember, verb: str, language: str,
                        topic: str, say: Say, now: datetime) -> StaffView:
        view = StaffView()
        if not may_review(member, language):
            log.info("review refused: not a language of theirs")
            view.add(say._(NOT_YOURS))
            return view
        content = await self.content(uow)
        answer = content.answers.get((language, topic))
        if answer is None:
            view.add(say._("That button is no longer valid."))
            return view
        if verb == "rved":
            view.add(self.prompt(answer, say))
            view.force_reply = True
            return view
        if verb == "rvok":
            await self._save(uow, content, member, answer, answer.review.text, now)
            content = await self.content(uow)
            view.add("✅ " + say._("Approved: citizens now see it as checked by a mediator."))
        return self.next_item(content, language, topic, say, view)

    @staticmethod
    def prompt(answer: Answer, say: Say) -> str:
        return (f"✏️ [{answer.language}/{answer.topic}] "
                + say._("Send the corrected text as a reply to this message.")
                + f"\n\n{answer.text}")[:4096]

    async def correct(self, user_id: int, language: str, topic: str, text: str
                      ) -> StaffView | None:
        """A correction sent in reply to a prompt; None for anybody not on the registry."""
        async with self.s.uow_factory() as uow:
            member = await uow.staff.get(user_id)
            if member is None:
                return None
            say, view = staff_say(self.s, member), StaffView()
            content = await self.content(uow)
            answer = content.answers.get((language, topic))
            if answer is None or not may_review(member, language):
                view.add(say._(NOT_YOURS))
                return view
            problems = text_problems(text.strip(), before=answer.text)
            differs = fact_difference(content, answer, text.strip())
            if differs:
                problems.append(("facts", differs))
            if problems:
                view.add("❌ " + say._("Not saved:") + "\n" + "\n".join(
                    "• " + say._(PROBLEMS[kind], detail=detail) for kind, detail in problems))
                view.add(self.prompt(answer, say))
                view.force_reply = True
                return view
            await self._save(uow, content, member, answer, text.strip(), self.s.clock.now())
            await uow.commit()
            content = await self.content(uow)
        view.add("✅ " + say._("Saved: citizens see the correction from their next question."))
        return self.next_item(content, language, topic, say, view)

    @staticmethod
    async def _save(uow: UnitOfWork, content: Content, member: StaffMember, answer: Answer,
                    text: str | None, now: datetime) -> None:
        source = content.answers.get((SOURCE_LANGUAGE, answer.topic))
        review = Review(answer.language, answer.topic, REVIEWED, by=member.name,
                        by_id=member.user_id, at=now, text=text)
        if answer.language == SOURCE_LANGUAGE:
            review = replace(review, checked=now.date(), checked_by=member.name)
        elif source is not None:
            review = replace(review, source_version=source.version, source_text=source.text)
        await uow.reviews.save(review)
        log.info("content reviewed (%s)", "corrected" if text else "approved")
