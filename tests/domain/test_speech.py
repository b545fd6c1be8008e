"""What an answer read aloud says ("🔊 Listen"): no links, sources, markup or symbols; in parts
that Telegram plays one after the other, a short one first."""

from __future__ import annotations

from domain.content import Content
from domain.speech import FIRST_PART, PART, spoken_parts, spoken_text


def test_links_addresses_markup_and_symbols_are_not_read():
    body = ("Call 112 📞, free. Chat on 1522.eu or see https://www.example.org/a?b=c and "
            "<b>write</b> to **info@example.org**.\n"
            "Read [the official page](https://example.org/page) (www.example.org).\n"
            "• passport 🛂\n- tax code (codice fiscale)\n"
            "1. Go to the ASL\n\u2068Questura\u2069 ➡️ ✅")
    spoken = spoken_text("📅 Health card", body)
    assert spoken == ("Health card.\n"
                      "Call 112, free. Chat on or see and write to.\n"
                      "Read the official page.\n"
                      "passport.\ntax code (codice fiscale).\n"
                      "1. Go to the ASL.\nQuestura.")
    for gone in ("http", "www", "@", "example", ".eu", "<", "*", "•", "📞", "\u2068"):
        assert gone not in spoken


def test_every_answer_reads_without_its_links_in_every_language(content: Content):
    for (language, topic), answer in content.answers.items():
        spoken = spoken_text(answer.title, answer.text)
        assert spoken.startswith(spoken_text(answer.title, "")), (language, topic)
        assert "http" not in spoken and "www." not in spoken, (language, topic)
        for source in answer.sources:
            assert str(source.url) not in spoken and source.title not in spoken
        assert spoken.strip(), (language, topic)


def test_parts_keep_every_line_in_order_the_first_short(content: Content):
    answer = content.get("it", "faq_health_care")
    assert answer is not None
    spoken = spoken_text(answer.title, answer.text)
    parts = spoken_parts(spoken)
    assert len(parts) > 1
    assert "\n".join(parts) == spoken
    assert len(parts[0]) <= FIRST_PART
    assert all(len(p) <= PART for p in parts[1:])
    assert spoken_parts("Title.\nShort.") == ["Title.\nShort."]


def test_a_chinese_character_counts_as_a_syllable(content: Content):
    answer = content.get("zh", "faq_health_care")
    assert answer is not None and answer.language == "zh"
    parts = spoken_parts(spoken_text(answer.title, answer.text))
    assert len(parts) > 1 and len(parts[0]) <= FIRST_PART // 2
