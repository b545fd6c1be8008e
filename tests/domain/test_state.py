"""The conversation's named state reads what the conversations table has always held, and
writes it back in the same shape."""

from __future__ import annotations

import json

from domain.state import ConversationData, Intake

STORED = [
    {},
    {"misunderstood": 1, "pending": "offer_human"},
    {"handover": True, "declined_languages": ["fr", "ar"]},
    {"intake": {"needs": ["documents", "work"], "role": "social_worker", "urgency": "week",
                "language": "bn", "description": "synthetic words", "with_mediator": True},
     "moving": 17},
    {"intake": {"needs": [], "role": None}, "after_consent": "days"},
]


def test_what_was_stored_reads_and_writes_back_the_same():
    for raw in STORED:
        assert ConversationData.load(json.loads(json.dumps(raw))).dump() == raw


def test_what_cannot_be_read_is_left_at_its_default():
    data = ConversationData.load({"intake": {"needs": "documents", "role": 3},
                                  "misunderstood": "two", "moving": True, "handover": 1,
                                  "unknown": "kept nowhere"})
    assert data == ConversationData(intake=Intake())
    assert ConversationData.load(None) == ConversationData()
    assert ConversationData.load(["not", "a", "mapping"]) == ConversationData()
