"""First information: the topic menus and the sourced answers (from the content files), and
what TEAMS is, where and when (from the service directory)."""

from __future__ import annotations

from domain import payloads
from domain.booking import ROLE_NAMES
from domain.content import GROUP_LABELS, GROUPS, TOPIC_GROUP, TOPIC_ROUTE, Answer
from domain.formatting import long_date, opening_hours
from domain.languages import LANGUAGES, normalise_language
from domain.messages import Button, Speech
from domain.parse import Parse
from domain.passages import (
    Focus,
    Passage,
    choose_lead,
    is_general,
    lexical_similarity,
    split_passages,
)
from domain.ports import Understanding
from domain.review import SOURCE_LANGUAGE
from domain.speech import spoken_parts, spoken_text
from domain.turn import Services, Turn

ABOUT = "faq_teams_service"  # answered from the directory, not from a content file


def topic_asked(parsed: Parse | None) -> str | None:
    """The FAQ topic a text will be answered with: its intent's, or after an emergency reply
    the topic it also asked about (see the engine's ``_on_text``)."""
    if parsed is None:
        return None
    name = parsed.ranking[0].name if parsed.emergency and parsed.ranking else parsed.intent
    return name if name in TOPIC_GROUP and name != ABOUT else None


class Faq:
    def __init__(self, services: Services, understanding: Understanding) -> None:
        self.s = services
        self.understanding = understanding

    async def focus(self, question: str, language_hint: str | None,
                    parsed: Parse | None) -> tuple[Focus, ...]:
        """Before the transaction: how close each passage of the answer the question will
        get is to it, in the languages the reply is likely in (the client's, the text's)."""
        topic = topic_asked(parsed)
        if topic is None or is_general(question):
            return ()
        languages = {normalise_language(language_hint) or self.s.config.default_language}
        if parsed is not None and parsed.language in LANGUAGES:
            languages.add(parsed.language)
        found = []
        for language in sorted(languages):
            answer = self.s.content.get(language, topic)
            if answer is not None:
                passages = [p.text for p in split_passages(answer.text)]
                scores = await self.understanding.similarity(question, passages)
                found.append(Focus(topic, language, question, tuple(scores)))
        return tuple(found)

    def lead(self, turn: Turn, answer: Answer) -> list[Passage] | None:
        """The passages of the answer a question in words asked for, best first; None for
        the whole answer (a button, a general question). In a language not foreseen before
        the transaction, the wording alone decides (no model work in the transaction)."""
        asked = [f for f in turn.focus if f.topic == answer.topic]
        if turn.inbound.payload is not None or not asked:
            return None
        passages = split_passages(answer.text)
        focus = next((f for f in asked if f.language == turn.language), None)
        scores = focus.scores if focus else lexical_similarity(
            asked[0].question, [p.text for p in passages])
        return choose_lead(passages, scores) or None

    def group_menu(self, turn: Turn, group: str) -> None:
        say = turn.say
        rows = [[Button(self.topic_title(turn, topic), payloads.make("faq", topic))]
                for topic in GROUPS[group]]
        rows.append([Button("🏠 " + say._("Main menu"), payloads.make("menu"))])
        turn.reply(say._(GROUP_LABELS[group]), rows)

    def topic_title(self, turn: Turn, topic: str) -> str:
        if topic == ABOUT:
            return turn.say._("What TEAMS is, where, when")
        answer = self.s.content.get(turn.language, topic)
        return answer.title if answer else topic

    def answer_buttons(self, turn: Turn, topic: str) -> list[list[Button]]:
        say = turn.say
        rows = []
        route = TOPIC_ROUTE.get(topic)
        if route:
            rows.append([Button("📅 " + say._("Appointment with the {role}",
                                              role=say._(ROLE_NAMES[route])),
                                payloads.make("book", topic))])
        return [
            *rows,
            [Button(say._("🙋 Talk to a person"), payloads.make("human"))],
            [Button("⬅️ " + say._("Back"), payloads.make("group", TOPIC_GROUP[topic])),
             Button("🏠 " + say._("Main menu"), payloads.make("menu"))],
        ]

    async def current(self, turn: Turn, topic: str) -> Answer | None:
        """The answer as it stands now: the shipped one with staff's approvals and
        corrections (read in this turn's transaction, so the next citizen sees them)."""
        keys = [(turn.language, topic), ("en", topic), (SOURCE_LANGUAGE, topic)]
        reviews = await turn.uow.reviews.get_many(keys)
        content = self.s.content.with_overlay(reviews) if reviews else self.s.content
        return content.get(turn.language, topic)

    def review_line(self, turn: Turn, answer: Answer) -> str:
        """What the citizen is told about who stands behind the answer."""
        say, language = turn.say, turn.language
        if answer.language == SOURCE_LANGUAGE:
            return say._("Information checked against the official sources on {date}.",
                         date=long_date(answer.checked, language))
        if answer.reviewed and answer.review.at is not None:
            return say._("Checked by a mediator on {date}.",
                         date=long_date(answer.review.at.date(), language))
        return say._("Translated automatically and not yet checked by a mediator: for your "
                     "case, ask TEAMS.")

    async def answer(self, turn: Turn, topic: str) -> None:
        say = turn.say
        turn.count("questions.topic", topic)
        if topic == ABOUT:
            buttons = self.answer_buttons(turn, topic)
            buttons[:0] = self.listen_button(turn, turn.language, topic)
            turn.reply(self.about_text(turn), buttons)
            return
        answer = await self.current(turn, topic)
        if answer is None:
            turn.reply(say._(
                "I don't have an answer on this topic yet. A person from the TEAMS service can "
                "help you:"
            ) + "\n\n" + self.s.directory.contacts_text(say.language),
                self.answer_buttons(turn, topic))
            return
        sources = "\n".join(f"• {s.title}: {s.url}" for s in answer.sources)
        footer = (say._("Official sources:") + "\n" + sources + "\n\n"
                  + self.review_line(turn, answer))
        lead = self.lead(turn, answer)
        buttons = self.answer_buttons(turn, topic)
        if lead is not None:  # the whole answer is a button away
            buttons.insert(0, [Button("📖 " + say._("More about this topic"),
                                      payloads.make("faq", topic))])
        buttons[:0] = self.listen_button(turn, answer.language, topic, lead)
        shown = "\n\n".join(p.text for p in lead) if lead else answer.text
        turn.reply(f"{answer.title}\n\n{say.content(shown)}\n\n{footer}", buttons)

    def listen_button(self, turn: Turn, language: str, topic: str,
                      shown: list[Passage] | None = None) -> list[list[Button]]:
        """"🔊 Listen" (the topic and the passages shown: ``listen:<topic>[.<i>...]``), where
        there is a voice for the answer's language; no row where there is none."""
        if language not in self.s.config.spoken_languages:
            return []
        key = ".".join([topic, *(str(p.index) for p in shown or ())])
        return [[Button("🔊 " + turn.say._("Listen"), payloads.make("listen", key))]]

    async def listen(self, turn: Turn, key: str | None) -> None:
        """The answer (or the part of it shown) as a voice message, in the answer's
        language; when it cannot be made sound, the channel sends the kind text instead."""
        say = turn.say
        topic, *shown = (key or "").split(".")
        turn.count("questions.listen", topic)
        if topic == ABOUT:
            title, body, language = (say._("What TEAMS is, where, when"),
                                     self.about_text(turn), turn.language)
        else:
            answer = await self.current(turn, topic)
            if answer is None:
                await self.answer(turn, topic)  # "no answer yet", with the contacts
                return
            passages = split_passages(answer.text)
            indexes = [int(i) for i in shown]
            if indexes and all(i < len(passages) for i in indexes):
                body = "\n\n".join(passages[i].text for i in indexes)
            else:  # the whole answer (or the answer changed since: all of it)
                body = answer.text
            title, language = answer.title, answer.language
        person = [[Button(say._("🙋 Talk to a person"), payloads.make("human"))]]
        if language not in self.s.config.spoken_languages:
            turn.reply(say._("I can't read answers aloud in this language yet. A person "
                             "from TEAMS can help you."), person)
            return
        parts = spoken_parts(spoken_text(title, body))
        for n, part in enumerate(parts):  # Telegram plays them one after the other
            caption = "🔊 " + title + (f" ({n + 1}/{len(parts)})" if len(parts) > 1 else "")
            if n == 0:  # what is read when it cannot be heard
                turn.reply(say._("Sorry, I could not read this answer aloud just now. The "
                                 "written answer is above, and a person from TEAMS can help "
                                 "you."), person, voice=Speech(part, language, caption))
            else:
                turn.reply("", voice=Speech(part, language, caption))

    def about_text(self, turn: Turn) -> str:
        say, directory = turn.say, self.s.directory
        office = directory.main_office
        parts = [
            say._("{service} is the orientation service for foreign citizens. A social worker, "
                  "an expert in work and job policies and a linguistic-cultural mediator work "
                  "there. The service is free.", service=directory.service.name),
            say._("Where:") + f"\n{office.name}\n{office.address}",
        ]
        if office.how_to_reach:
            parts.append(say._("How to get there:") + f"\n{office.how_to_reach}")
        parts.append(say._("Opening hours:") + "\n" + opening_hours(office, turn.language))
        contacts = "\n".join(x for x in (office.phone, office.email) if x)
        if contacts:
            parts.append(say._("Contacts:") + f"\n{contacts}")
        return "\n\n".join(parts)
