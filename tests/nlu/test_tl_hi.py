"""Tagalog and Hindi: told apart from the other languages, their dangers never missed."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("text", "hint", "code"), [
    ("Magandang araw po, paano ko ire-renew ang permit ko?", None, "tl"),
    ("paano mag-apply ng codice fiscale para sa anak ko", None, "tl"),
    ("मुझे काम चाहिए, कहाँ जाऊँ", None, "hi"),
    ("mujhe kaam chahiye", "hi", "hi"),  # romanised Hindi: the conversation decides
    ("salamat", "tl", "tl"),
])
def test_tagalog_and_hindi_are_recognised(real_nlu, text, hint, code):
    assert real_nlu.parse(text, hint).language == code


@pytest.mark.parametrize(("text", "hint"), [
    ("binubugbog ako ng asawa ko gabi-gabi", "tl"),
    ("kinuha ng amo ko ang pasaporte ko at ikinulong ako", "tl"),
    ("मेरा पति मुझे रोज़ मारता है", "hi"),
    ("wo mujhe jaan se maar dega", "hi"),
])
def test_their_emergencies_are_not_missed(real_nlu, text, hint):
    assert real_nlu.parse(text, hint).intent == "emergency"


@pytest.mark.parametrize(("text", "hint", "intent"), [
    ("naghahanap ako ng trabaho", "tl", "faq_job_search"),
    ("mujhe kaam chahiye", "hi", "faq_job_search"),
    ("परमिट रिन्यू करना है", "hi", "faq_permit_renewal"),
])
def test_their_questions_reach_the_right_topic(real_nlu, text, hint, intent):
    assert real_nlu.parse(text, hint).intent == intent


def test_romanised_hindi_and_urdu_keep_the_conversation_language():
    from nlu.langid import LanguageIdentifier

    langid = LanguageIdentifier()
    text = "mujhe kaam chahiye jaldi se"
    assert langid.detect(text, {"ur": 0.6, "hi": 0.4}, "hi")[0] == "hi"
    assert langid.detect(text, {"ur": 0.3, "hi": 0.7}, "ur")[0] == "ur"
    assert langid.detect(text, {"ur": 0.6, "hi": 0.4}, "en")[0] == "ur"  # otherwise the head
    assert langid.detect("मुझे काम चाहिए", {}, "ur")[0] == "hi"  # Devanagari is Hindi
