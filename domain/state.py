"""What a conversation has collected, by name: the intake before a booking, whether a person
has the conversation, the question asked last. Serialised in one place (:meth:`dump`,
:meth:`load`) to the same JSON the conversations table has always held, so stored
conversations read as before and a misspelt key is a type error, not a silent new key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _texts(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


@dataclass
class Intake:
    """What the citizen told before a booking (or what a booking being moved had)."""

    needs: list[str] = field(default_factory=list)
    role: str | None = None
    urgency: str | None = None
    language: str | None = None  # the meeting's
    description: str | None = None  # a few words of their own, cut at 500 characters
    with_mediator: bool = False

    def dump(self) -> dict[str, Any]:
        raw: dict[str, Any] = {"needs": list(self.needs), "role": self.role}
        for key in ("urgency", "language", "description"):
            if getattr(self, key) is not None:
                raw[key] = getattr(self, key)
        if self.with_mediator:
            raw["with_mediator"] = True
        return raw

    @classmethod
    def load(cls, raw: Any) -> Intake | None:
        if not isinstance(raw, dict):
            return None
        return cls(_texts(raw.get("needs")), _text(raw.get("role")), _text(raw.get("urgency")),
                   _text(raw.get("language")), _text(raw.get("description")),
                   bool(raw.get("with_mediator")))


@dataclass
class Heard:
    """A voice note's transcript waiting for the citizen's "yes, that is right": the words,
    the language heard, and the voice note's message (copied to a person on a "no")."""

    text: str
    language: str | None = None
    message: int | None = None

    def dump(self) -> dict[str, Any]:
        return {"text": self.text, "language": self.language, "message": self.message}

    @classmethod
    def load(cls, raw: Any) -> Heard | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
            return None
        message = raw.get("message")
        return cls(raw["text"], _text(raw.get("language")),
                   message if isinstance(message, int) and not isinstance(message, bool)
                   else None)


#: What ``pending`` may be: the question whose "yes" or "no" in words is awaited.
OFFER_HUMAN = "offer_human"
#: What ``after_consent`` may be: the step after the privacy notice is agreed to.
DAYS = "days"


@dataclass
class ConversationData:
    intake: Intake | None = None
    handover: bool = False  # a person has the conversation: the citizen's words are relayed
    misunderstood: int = 0  # not understood in a row; a person is offered at the second
    pending: str | None = None  # OFFER_HUMAN
    moving: int | None = None  # the booking being moved
    after_consent: str | None = None  # DAYS: a mediator offered times before the consent
    declined_languages: list[str] = field(default_factory=list)
    heard: Heard | None = None  # a voice note's transcript, to be confirmed

    def dump(self) -> dict[str, Any]:
        """The stored form: only what is set (an idle conversation is ``{}``)."""
        raw: dict[str, Any] = {}
        if self.intake is not None:
            raw["intake"] = self.intake.dump()
        if self.handover:
            raw["handover"] = True
        if self.misunderstood:
            raw["misunderstood"] = self.misunderstood
        for key in ("pending", "moving", "after_consent"):
            if getattr(self, key) is not None:
                raw[key] = getattr(self, key)
        if self.declined_languages:
            raw["declined_languages"] = list(self.declined_languages)
        if self.heard is not None:
            raw["heard"] = self.heard.dump()
        return raw

    @classmethod
    def load(cls, raw: Any) -> ConversationData:
        """Read the stored form; what cannot be read is left at its default."""
        if not isinstance(raw, dict):
            return cls()
        misunderstood, moving = raw.get("misunderstood"), raw.get("moving")
        return cls(
            intake=Intake.load(raw.get("intake")),
            handover=raw.get("handover") is True,
            misunderstood=misunderstood if isinstance(misunderstood, int) else 0,
            pending=_text(raw.get("pending")),
            moving=moving if isinstance(moving, int) and not isinstance(moving, bool) else None,
            after_consent=_text(raw.get("after_consent")),
            declined_languages=_texts(raw.get("declined_languages")),
            heard=Heard.load(raw.get("heard")),
        )
