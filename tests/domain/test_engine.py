"""The engine with in-memory fakes: dialogue tables in several languages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from domain import payloads
from domain.content import GROUPS, Content
from domain.directory import Directory
from domain.engine import Engine
from domain.events import Emergency
from domain.languages import FSI, LANGUAGES, NATIVE_NAMES, PDI, menu_rows
from domain.messages import ContentType, Inbound, Reply
from tests.fakes import EchoTranslations, FakeUowFactory, FixedClock, KeywordUnderstanding

INTENTS = {
    "fiscale": "faq_tax_code", "emergenza": "emergency", "ciao": "greet", "calcio": "out_of_scope",
    "persona": "human_handover", "lingua": "change_language", "si": "affirm",
    "appuntamento": "book_appointment", "dati": "privacy_data", "grazie": "thanks",
}


@pytest.fixture
def uow() -> FakeUowFactory:
    return FakeUowFactory()


@pytest.fixture
def understanding() -> KeywordUnderstanding:
    return KeywordUnderstanding(INTENTS, language={"hello there friend": "en",
                                                   "привіт друже як справи": "uk",
                                                   "здравствуйте как дела друг": "ru",
                                                   "wie geht es dir heute": "de",
                                                   "nanga def": "wo", "ሰላም": "ti"})


@pytest.fixture
def engine(uow: FakeUowFactory, understanding: KeywordUnderstanding, directory: Directory,
           content: Content) -> Engine:
    return Engine(uow, EchoTranslations(), understanding, FixedClock(), directory, content)


def payloads_of(replies: list[Reply]) -> list[str]:
    return [b.payload for r in replies for row in r.buttons for b in row]


async def say(engine: Engine, text: str | None = None, payload: str | None = None,
              user: int = 7, hint: str | None = None,
              kind: ContentType = ContentType.TEXT) -> list[Reply]:
    return await engine.handle(Inbound(user, text=text, payload=payload, language_hint=hint,
                                       content_type=kind))


def test_the_language_menu_fits_a_phone_with_every_planned_language():
    # all 16 names (the spoken ones and those planned): rows of 3 at most, evened out, each
    # native name short enough to stay whole in a third of a 360-pixel screen
    rows = menu_rows(list(NATIVE_NAMES))
    assert len(NATIVE_NAMES) == 16
    assert [len(r) for r in rows] == [3, 3, 3, 3, 2, 2]
    assert all(len(name) <= 12 for name in NATIVE_NAMES.values())
    assert [len(r) for r in menu_rows(LANGUAGES)][-1] >= 2


async def test_start_without_a_known_client_language_shows_the_language_menu(engine):
    replies = await say(engine, "/start")
    labels = [b.label for r in replies for row in r.buttons for b in row]
    assert labels == [NATIVE_NAMES[c] for c in LANGUAGES]
    assert payloads_of(replies) == [f"lang:{c}" for c in LANGUAGES]


async def test_choosing_a_language_welcomes_as_an_automated_assistant(engine, uow):
    replies = await say(engine, payload="lang:ar")
    assert replies[0].text.startswith("[ar] Welcome! I am the automated assistant")
    assert "group:documents" in payloads_of(replies)
    citizen = uow.store.citizens[7]
    assert (citizen.language, citizen.language_chosen) == ("ar", True)


@pytest.mark.parametrize(("payload", "referral"), [
    ("servizi_sociali", "servizi_sociali"), ("centro_impiego", "centro_impiego"),
    ("sportello_immigrazione", "sportello_immigrazione"), ("flyer-2026", "other"),
    ("", None),
])
async def test_start_records_the_deep_link_as_referral_source(engine, uow, payload, referral):
    await say(engine, f"/start {payload}".strip(), hint="fr")
    assert uow.store.citizens[7].referral == referral


async def test_a_later_start_does_not_overwrite_the_first_referral(engine, uow):
    await say(engine, "/start centro_impiego", hint="en")
    await say(engine, "/start servizi_sociali", hint="en")
    assert uow.store.citizens[7].referral == "centro_impiego"


async def test_language_is_choice_then_remembered_then_client_then_default(engine, uow):
    replies = await say(engine, "/menu", user=1)
    assert replies[0].text.startswith("[it]")  # nothing known: the default
    replies = await say(engine, "/menu", user=2, hint="uk-UA")
    assert replies[0].text.startswith("[uk]")  # the client's language
    replies = await say(engine, "/menu", user=2, hint="fr")
    assert replies[0].text.startswith("[uk]")  # remembered beats a new client hint
    await say(engine, payload="lang:bn", user=2)
    replies = await say(engine, "/menu", user=2, hint="fr")
    assert replies[0].text.startswith("[bn]")  # the explicit choice
    replies = await say(engine, "/menu", user=3, hint="de")
    assert replies[0].text.startswith("[it]")  # not a launch language: the default


async def test_every_faq_answer_is_reachable_in_three_taps_with_back_and_home(engine):
    for group, topics in GROUPS.items():
        first = await say(engine, "/menu", hint="en")
        assert f"group:{group}" in payloads_of(first)
        second = await say(engine, payload=f"group:{group}")
        for topic in topics:
            assert f"faq:{topic}" in payloads_of(second)
            third = await say(engine, payload=f"faq:{topic}")
            buttons = payloads_of(third)
            assert {"human", f"group:{group}", "menu"} <= set(buttons)
            assert len(third[0].text) <= 4096


async def test_the_emergency_numbers_are_one_tap_from_every_main_menu(engine):
    for text, payload in (("/menu", None), ("/help", None), (None, "menu")):
        replies = await say(engine, text, payload=payload, hint="ar")
        assert "faq:faq_emergency_numbers" in payloads_of(replies)
    answer = await say(engine, payload="faq:faq_emergency_numbers")
    assert "112" in answer[0].text


async def test_faq_answer_carries_its_official_sources_and_what_it_is(engine):
    reply = (await say(engine, payload="faq:faq_tax_code", hint="en"))[0]
    assert "Official sources:" in reply.text
    assert "https://www.agenziaentrate.gov.it" in reply.text
    # a machine draft says so (not "Last checked", which sounds like a person checked it)
    assert "not yet checked by a mediator" in reply.text
    assert "Last checked:" not in reply.text


async def test_about_teams_comes_from_the_service_directory(engine, directory):
    reply = (await say(engine, payload="faq:faq_teams_service", hint="en"))[0]
    assert directory.main_office.address in reply.text
    assert "EXAMPLE" in reply.text


async def test_free_text_reaches_the_faq_answer(engine, understanding):
    replies = await say(engine, "codice fiscale??", hint="en")
    assert replies[0].text.startswith("Tax code") or "codice fiscale" in replies[0].text.lower()
    assert understanding.calls[-1] == ("codice fiscale??", "en")


@pytest.mark.parametrize("rtl", ["ur", "fa"])
async def test_emergency_answers_at_once_with_112_and_1522(engine, rtl):
    replies = await say(engine, "emergenza aiuto", hint=rtl)
    assert isinstance(replies[0].event, Emergency)
    assert "112" in replies[0].text and "1522" in replies[0].text
    assert f"{FSI}112{PDI}" in replies[0].text  # numbers isolated inside right-to-left text


@pytest.mark.parametrize("rtl", ["ar", "ur"])
async def test_the_service_phones_are_isolated_inside_right_to_left_text(engine, directory, rtl):
    """A phone number ("+39 055 000 0000") laid out right to left has its groups reversed:
    the directory's lines are isolated like every other inserted value."""
    line = directory.emergency_contacts[0]
    danger = (await say(engine, "emergenza aiuto", hint=rtl))[0].text
    assert f"{FSI}{line.phone}{PDI}" in danger and f"{FSI}{line.name}{PDI}" in danger
    office = directory.main_office
    person = (await say(engine, "persona", hint=rtl))[0].text
    assert f"{FSI}{office.phone}{PDI}" in person and f"{FSI}{office.address}{PDI}" in person
    assert directory.contacts_text("en") == directory.contacts_text()  # left to right: as is


async def test_two_misunderstandings_in_a_row_offer_a_person(engine):
    first = await say(engine, "qwerty", hint="en")
    assert "human" not in [p for p in payloads_of(first) if p.startswith("yes")]
    second = await say(engine, "asdfgh", hint="en")
    assert "yes:human" in payloads_of(second)
    accepted = await say(engine, "si", hint="en")  # "yes" in words accepts the offer
    assert "Contact the office" in accepted[0].text


async def test_an_understood_message_resets_the_misunderstanding_count(engine):
    await say(engine, "qwerty", hint="en")
    await say(engine, "ciao", hint="en")
    replies = await say(engine, "asdfgh", hint="en")
    assert "yes:human" not in payloads_of(replies)


@pytest.mark.parametrize("raw", [
    "faq:faq_nonexistent", "lang:xx", "group:../../etc", "drop table", "x" * 65, "",
    "menu:extra", "yes:bomb", "\u202eevil",
])
async def test_stale_or_forged_button_data_gets_a_kind_answer(engine, raw):
    replies = await say(engine, payload=raw, hint="es", kind=ContentType.BUTTON)
    assert replies[0].text == "[es] That button is no longer valid. Here is the menu again."
    assert "group:documents" in payloads_of(replies)


@pytest.mark.parametrize("kind", [ContentType.STICKER, ContentType.VOICE, ContentType.PHOTO,
                                  ContentType.DOCUMENT, ContentType.LOCATION])
async def test_media_gets_a_kind_answer_in_the_citizens_language(engine, kind):
    replies = await say(engine, None, hint="sq", kind=kind)
    assert replies[0].text.startswith("[sq] ")
    assert "group:documents" in payloads_of(replies)


async def test_unknown_command_says_so_and_shows_help(engine):
    replies = await say(engine, "/frobnicate now", hint="en")
    assert replies[0].text == "I don't know the command /frobnicate."
    assert "/menu" in replies[1].text


async def test_a_four_thousand_character_message_is_understood_and_kept(engine, uow,
                                                                         understanding):
    text = "codice fiscale " + "a" * 4500
    await say(engine, text, hint="en")
    assert len(understanding.calls[-1][0]) <= 4000
    assert uow.store.transcript[0].text == text  # the transcript keeps all of it


async def test_confident_other_language_is_offered_not_imposed(engine, uow):
    await say(engine, payload="lang:it")
    replies = await say(engine, "привіт друже як справи")
    offer = replies[-1]
    assert offer.text.startswith("[uk] It looks like you write in Українська")
    assert payloads_of([offer]) == ["lang:uk", "keep:uk"]
    assert uow.store.citizens[7].language == "it"
    await say(engine, payload="keep:uk")
    replies = await say(engine, "привіт друже як справи")
    assert not any(r.text.startswith("[uk] It looks like") for r in replies)


async def test_the_question_that_offered_a_language_is_answered_again_in_it(
        uow, directory, content):
    """Someone who writes their first question in Ukrainian gets the Italian answer and the
    offer; "Yes" answers that question again in Ukrainian (not a welcome that makes them write
    it again)."""
    understanding = KeywordUnderstanding(INTENTS, language={"де зробити": "uk"})
    engine = Engine(uow, EchoTranslations(), understanding, FixedClock(), directory, content)
    await say(engine, payload="lang:it")
    replies = await say(engine, "де зробити codice fiscale для дитини")
    assert "book:faq_tax_code" in payloads_of(replies)
    assert payloads_of([replies[-1]]) == ["lang:uk.faq_tax_code", "keep:uk"]
    replies = await say(engine, payload="lang:uk.faq_tax_code")
    answer = content.get("uk", "faq_tax_code")
    assert answer is not None and replies[0].text.startswith(answer.title)
    assert "book:faq_tax_code" in payloads_of(replies)
    assert (uow.store.citizens[7].language, uow.store.citizens[7].language_chosen) == ("uk", True)
    replies = await say(engine, "привіт друже як справи")  # chosen: no offer again
    assert not any("It looks like" in r.text for r in replies)


async def test_an_unsupported_language_is_answered_in_english_and_italian(engine):
    replies = await say(engine, "wie geht es dir heute", hint="it")
    assert "Sorry, I can't speak this language yet" in replies[0].text
    assert "Mi dispiace" in replies[0].text
    assert payloads_of(replies)[:1] == ["lang:it"]


async def test_russian_and_persian_are_spoken_now(engine, uow):
    await say(engine, payload="lang:it")
    replies = await say(engine, "здравствуйте как дела друг")
    assert replies[-1].text.startswith("[ru] It looks like you write in Русский")
    assert payloads_of([replies[-1]]) == ["lang:ru", "keep:ru"]
    replies = await say(engine, payload="lang:fa")
    assert replies[0].text.startswith("[fa]")
    assert uow.store.citizens[7].language == "fa"


@pytest.mark.parametrize(("text", "first", "second"), [
    ("nanga def", "fr", "en"),  # Wolof: French and English
    ("ሰላም", "en", "it"),  # Tigrinya: English and Italian
])
async def test_wolof_and_tigrinya_speakers_get_two_languages_they_read_or_a_person(
        engine, uow, text, first, second):
    replies = await say(engine, text, hint="wo-SN")
    kind = replies[0]
    first_text, second_text = kind.text.split("\n\n")
    sorry = "Sorry, I can't write in your language yet"
    assert first_text.startswith(f"[{first}] " * (first != "en") + sorry)  # EchoTranslations
    assert second_text.startswith(f"[{second}] " * (second != "en") + sorry)
    assert payloads_of([kind]) == [f"lang:{first}", f"lang:{second}", "human", "langmenu"]
    assert uow.store.citizens[7].language == "it"  # nothing imposed before they choose
    replies = await say(engine, payload="human")  # no staff chat here: the office's contacts
    assert "A person from the TEAMS service can help you" in replies[0].text


async def test_every_message_and_reply_is_in_the_transcript_in_order(engine, uow):
    await say(engine, "/start", hint="en")
    await say(engine, payload=payloads.make("group", "health"))
    directions = [(e.direction, e.kind) for e in uow.store.transcript]
    assert directions == [("in", "text"), ("out", "text"), ("in", "button"), ("out", "text")]


def test_importing_the_domain_imports_neither_telegram_nor_sqlalchemy():
    code = (
        "import sys, domain.engine, domain.content, domain.directory, domain.ports, "
        "domain.formatting, domain.payloads\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('telegram', 'sqlalchemy')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_privacy_notice_offers_a_copy_and_erasure(engine):
    replies = await say(engine, "/privacy", hint="en")
    assert {"mydata", "erase"} <= set(payloads_of(replies))
    assert "data controller" in replies[0].text


async def test_my_data_comes_as_a_file_with_a_readable_summary(engine):
    await say(engine, "/start", hint="en")
    replies = await say(engine, "/mydata", hint="en")
    assert replies[0].file is not None and replies[0].file.filename.endswith(".json")
    assert "messages in this chat" in replies[0].text


async def test_erasure_is_confirmed_then_leaves_nothing(engine, uow):
    await say(engine, "/start servizi_sociali", hint="en")
    replies = await say(engine, "/delete", hint="en")
    assert "eraseok" in payloads_of(replies)
    replies = await say(engine, payload="eraseok", hint="en")
    assert "deleted" in replies[0].text
    assert 7 not in uow.store.citizens and 7 not in uow.store.conversations
    assert not [e for e in uow.store.transcript if e.citizen_id == 7]


async def test_danger_is_answered_in_the_language_it_is_written_in_and_the_conversations(
        uow, directory, content):
    understanding = KeywordUnderstanding(INTENTS, language={"mon mari": "fr"})
    engine = Engine(uow, EchoTranslations(), understanding, FixedClock(), directory, content)
    replies = await say(engine, "emergenza mon mari me frappe", hint="it")
    danger = [r for r in replies if isinstance(r.event, Emergency)]
    assert [r.text[:6] for r in danger] == ["🚨 [fr]", "🚨 [it]"]  # theirs first
    assert all("112" in r.text and "1522" in r.text for r in danger)
    # written in the conversation's language: once
    replies = await say(engine, "emergenza aiuto", hint="it", user=8)
    assert [r.text[:6] for r in replies if isinstance(r.event, Emergency)] == ["🚨 [it]"]


async def test_danger_when_storage_is_away_is_answered_in_the_language_written_too(
        uow, directory, content):
    understanding = KeywordUnderstanding(INTENTS, language={"mon mari": "fr"})
    engine = Engine(uow, EchoTranslations(), understanding, FixedClock(), directory, content)
    replies = await engine.safety.danger_replies(
        Inbound(7, text="emergenza mon mari me frappe", language_hint=None))
    assert [r.text[:6] for r in replies] == ["🚨 [fr]", "🚨 [it]"]


async def test_a_chinese_sentence_without_spaces_gets_the_offer_to_continue_in_chinese(
        uow, directory, content):
    """Chinese is written without spaces: a whole question is one "word" to str.split, and
    the offer (three words at least) never came. Its characters count, two to a word."""
    understanding = KeywordUnderstanding(INTENTS, language={"我想学意大利语": "zh", "你好": "zh"})
    engine = Engine(uow, EchoTranslations(), understanding, FixedClock(), directory, content)
    assert "lang:zh" in payloads_of(await say(engine, "我想学意大利语", hint="it"))


async def test_a_word_or_two_in_a_script_not_latin_is_enough_for_the_offer(
        uow, directory, content):
    """Three words were needed before the offer, so someone writing "بدي موعد" ("I want an
    appointment") or "你好" first went on in Italian. Latin letters are shared by many
    languages ("ok", "ciao"); Arabic letters by Arabic, Urdu and Persian (two words); Bengali,
    Gurmukhi, Devanagari and Chinese characters by one language we speak each (one word)."""
    understanding = KeywordUnderstanding({**INTENTS, "موعد": "book_appointment"}, language={
        "بدي موعد": "ar", "مرحبا": "ar", "你好": "zh", "নমস্কার": "bn", "ok grazie": "en",
        "👍 👍 👍": "en"})
    engine = Engine(uow, EchoTranslations(), understanding, FixedClock(), directory, content)
    assert payloads_of([(await say(engine, "بدي موعد", hint="it"))[-1]]) == [
        "lang:ar.book", "keep:ar"]
    assert "lang:ar" not in payloads_of(await say(engine, "مرحبا", hint="it", user=8))
    assert "lang:zh" in payloads_of(await say(engine, "你好", hint="it", user=9))
    assert "lang:bn" in payloads_of(await say(engine, "নমস্কার", hint="it", user=10))
    assert "lang:en" not in payloads_of(await say(engine, "ok grazie", hint="it", user=11))
    assert "lang:en" not in payloads_of(await say(engine, "👍 👍 👍", hint="it", user=12))


async def test_a_booking_asked_for_in_another_language_starts_again_in_it(
        uow, directory, content):
    """"بدي موعد" ("I want an appointment") as a first message: the booking starts in Italian
    with the offer; "Yes" asks for the consent again, in Arabic, instead of a welcome that
    leaves them to find the booking button."""
    understanding = KeywordUnderstanding({**INTENTS, "موعد": "book_appointment"},
                                         language={"بدي موعد": "ar"})
    engine = Engine(uow, EchoTranslations(), understanding, FixedClock(), directory, content)
    first = await say(engine, "بدي موعد", hint="it")
    assert "consent:yes" in payloads_of(first) and "lang:ar.book" in payloads_of(first)
    again = await say(engine, payload="lang:ar.book")
    assert "consent:yes" in payloads_of(again)
    assert all(r.text.startswith("[ar]") for r in again)
    assert (uow.store.citizens[7].language, uow.store.citizens[7].language_chosen) == ("ar", True)
    for forged in ("lang:zz.book", "lang:ar.cancel"):
        replies = await say(engine, payload=forged)
        assert replies[0].text == "[ar] That button is no longer valid. Here is the menu again."
