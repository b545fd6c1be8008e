"""A long message is encoded up to a bounded number of tokens; a short one whole."""

from __future__ import annotations

from nlu.encoder import MAX_QUERY_TOKENS

STORY = ("Buongiorno, sono arrivato in Italia da poco con mia moglie e due figli, e vorrei "
         "sapere come si fa il codice fiscale. ")


def test_a_short_text_is_encoded_whole(real_nlu):
    encoder = real_nlu.encoder
    assert encoder.cut("dove si fa il codice fiscale?") == "dove si fa il codice fiscale?"
    assert encoder.cut(STORY) == STORY  # 30 tokens


def test_a_long_message_is_cut_at_a_word_to_the_bound(real_nlu):
    encoder = real_nlu.encoder
    chinese = "我刚和妻子孩子来到意大利，想知道怎么办税号。" * 200
    for text in ((STORY * 40)[:4000], chinese[:4000]):
        cut = encoder.cut(text)
        assert text.startswith(cut) and len(cut) > 100
        assert MAX_QUERY_TOKENS - 20 <= encoder.model.token_count(cut, True) <= MAX_QUERY_TOKENS
    cut = encoder.cut((STORY * 40)[:4000])
    assert (STORY * 40)[len(cut)] == " "  # a whole word


def test_the_embedding_of_a_long_message_is_that_of_its_start(real_nlu):
    encoder = real_nlu.encoder
    text = (STORY * 40)[:4000]
    assert (encoder.encode([text]) == encoder.encode([encoder.cut(text)])).all()
