"""Issue 15: a translation that states other facts than its Italian source (a number of days,
an age, a phone number, a web address, a source) fails ``teams-bot content check``, in every
script's digits, unless the difference is declared with its reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from domain.content import ContentError, check_content, load_content
from domain.facts import FactException, compare

ROOT = Path(__file__).resolve().parents[1]
FAQ = ROOT / "locales" / "faq"
ITALIAN = "Entro 8 giorni. Costa 1.000 euro, poi 2,50 euro. Chiama 800 290 290 o vedi inps.it."


@pytest.mark.parametrize("translation", [
    "Within 8 days. It costs 1,000 euros, then 2.5 euros. Call 800-290-290 or see inps.it.",
    "خلال ٨ أيام. التكلفة ١٬٠٠٠ يورو، ثم ٢٫٥ يورو. اتصل بـ ٨٠٠ ٢٩٠ ٢٩٠ أو inps.it.",
    "ظرف ۸ روز. هزینه ۱۰۰۰ یورو، سپس ۲٫۵۰ یورو. با ۸۰۰ ۲۹۰ ۲۹۰ تماس بگیرید یا inps.it.",
    "८ दिनों में। कीमत 1 000 यूरो, फिर २.५ यूरो। ८०० २९० २९० पर कॉल करें या inps.it देखें।",
    "৮ দিনের মধ্যে। খরচ ১,০০০ ইউরো, তারপর ২.৫০ ইউরো। ৮০০ ২৯০ ২৯০ নম্বরে, বা inps.it-এ।",
    "੮ ਦਿਨਾਂ ਵਿੱਚ। ਖਰਚਾ ੧,੦੦੦ ਯੂਰੋ, ਫਿਰ ੨.੫ ਯੂਰੋ। ੮੦੦ ੨੯੦ ੨੯੦ 'ਤੇ ਕਾਲ ਕਰੋ ਜਾਂ inps.it।",
    "８天内。费用１，０００欧元，然后２．５欧元。拨打８００ ２９０ ２９０或看inps.it。",
])
def test_the_same_facts_in_any_script_and_spelling_are_the_same(translation):
    assert not compare(ITALIAN, translation)


def test_a_changed_number_phone_or_lost_link_is_reported_as_missing_and_extra():
    drift = compare(ITALIAN, "Within 30 days. It costs 1,000 euros, then 2.5 euros. "
                             "Call 800 290 209.")
    assert drift.missing == {"number: 8": 1, "phone: 800290290": 1, "link: inps.it": 1}
    assert drift.extra == {"number: 30": 1, "phone: 800290209": 1}
    said = drift.describe()
    assert "in the Italian, not in this translation: 8, phone number 800 290 290, " \
           "web address inps.it" in said
    assert "in this translation, not in the Italian: 30, phone number 800 290 209" in said


def test_numbered_steps_are_layout_only_when_numbered_as_in_the_italian():
    italian = "Cosa fare\n1. Vai al Comune.\n2. Porta 2 foto.\n"
    assert not compare(italian, "What to do\n1. Go to the Comune.\n2. Bring 2 photos.\n")
    drift = compare(italian, "What to do: go to the Comune and bring 2 photos.")
    assert drift and drift.steps == ((1, 2), ())
    assert "the Italian numbers its steps 1. 2., this translation not at all" in drift.describe()
    assert not drift.missing and not drift.extra


def test_a_declared_exception_covers_one_difference_and_an_unused_one_is_reported():
    words = FactException(missing="8", reason="written in words: 'eight days'")
    assert not compare(ITALIAN, ITALIAN.replace("8 giorni", "otto giorni"), exceptions=[words])
    drift = compare(ITALIAN, ITALIAN, exceptions=[words])
    assert drift and "the exception for missing '8' matches no difference" in drift.describe()
    with pytest.raises(ValueError):
        FactException(missing="8", extra="9", reason="both sides at once")
    with pytest.raises(ValueError):
        FactException(extra="eight", reason="not a number in digits")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_translation_with_another_number_fails_the_check_until_corrected(faq):
    # the Italian: the STP code "Vale 6 mesi"
    fr = faq / "fr" / "health.yml"
    _edit(fr, "6 mois", "3 mois")
    report = check_content(load_content(faq))
    drift = [p for p in report.problems if "facts differ from the Italian" in p]
    assert len(drift) == 1 and "fr/health.yml: faq_health_care" in drift[0]
    assert "in the Italian, not in this translation: 6" in drift[0]
    assert "in this translation, not in the Italian: 3" in drift[0]
    assert report.facts_differ["fr"] == 1 and report.facts_differ["en"] == 0
    _edit(fr, "3 mois", "6 mois")
    assert check_content(load_content(faq)).problems == []


def test_a_source_or_link_the_translation_lost_fails_the_check(faq):
    en = faq / "en" / "housing_money.yml"
    _edit(en, "check on inps.it", "check on the INPS website")
    problems = check_content(load_content(faq)).problems
    assert any("faq_economic_support: facts differ from the Italian: in the Italian, not in "
               "this translation: web address inps.it" in p for p in problems), problems


def test_a_declared_exception_passes_and_needs_its_reason(faq):
    fr = faq / "fr" / "health.yml"
    _edit(fr, "6 mois", "six mois")
    assert any("faq_health_care: facts differ" in p
               for p in check_content(load_content(faq)).problems)
    exception = ("    fact_exceptions:\n      - missing: '6'\n"
                 "        reason: \"'six mois' : le nombre en lettres\"\n")
    _edit(fr, "  faq_emergency_numbers:", exception + "\n  faq_emergency_numbers:")
    assert check_content(load_content(faq)).problems == []
    _edit(fr, "        reason: \"'six mois' : le nombre en lettres\"\n", "")
    with pytest.raises(ContentError, match="fact_exceptions"):
        load_content(faq)


def test_the_check_command_adds_a_facts_column():
    result = subprocess.run([sys.executable, "-m", "bot.cli", "content", "check"],
                            capture_output=True, text=True, cwd=ROOT)
    header = result.stdout.splitlines()[0].split()
    assert header[:4] == ["language", "topics", "reviewed", "needs"] and header[-2:] == [
        "facts", "differ"]
