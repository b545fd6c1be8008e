"""A citizen sent on to another service: the referral code they show there, and what they are
told, in their language, from the service directory only (where, when, how to contact it,
what to bring). What the directory does not say is not made up: the citizen is pointed to the
TEAMS desk for it.

The code (``R-`` and five letters or digits, e.g. ``R-7KQ2M``) names no person: the staff of
the receiving service cannot use the assistant, so they give it back to TEAMS staff, who look
it up with ``/referral CODE`` (or ``/case CODE``)."""

from __future__ import annotations

import secrets

from domain.directory import Directory, ReferralService
from domain.documents import DOCUMENTS
from domain.formatting import week_hours
from domain.languages import isolate
from domain.text import Say

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud at a desk


def new_referral_code() -> str:
    return "R-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(5))


def referral_message(say: Say, service: ReferralService, code: str,
                     directory: Directory) -> str:
    """What a citizen sent on to ``service`` is told, in ``say``'s language."""
    lines = ["➡️ " + say._("The TEAMS service has sent you on to another service: {service}.",
                           service=service.name),
             "🔖 " + say._("Show this code there: {code}", code=code)]
    where = [isolate(x, say.language) for x in (service.address, service.phone, service.email)
             if x]
    if where:
        lines += ["", "📍 " + isolate(service.name, say.language), *where]
    if service.opening_hours:
        lines += ["", "🕘 " + say._("Opening hours:"),
                  week_hours(service.opening_hours, say.language)]
    if not service.address or not service.opening_hours:
        lines += ["", "ℹ️ " + say._("Ask the TEAMS desk where it is and when it is open:"),
                  directory.contacts_text(say.language)]
    if service.bring:
        lines += ["", "🎒 " + say._("What to bring:")]
        lines += ["• " + say._(DOCUMENTS[key]) for key in service.bring if key in DOCUMENTS]
    return "\n".join(lines)
