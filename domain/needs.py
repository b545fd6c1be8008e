"""What a citizen can need help with: the keys the intake, the triage rules of the service
directory and the staff summaries share (a module of its own, so that the directory can check
its triage rules without importing the booking rules built on it)."""

from __future__ import annotations

from domain.text import N_

NEEDS: dict[str, str] = {
    "documents": N_("📄 Documents and permits"),
    "work": N_("💼 Work"),
    "training": N_("🎓 Training and courses"),
    "health": N_("🩺 Health"),
    "housing": N_("🏠 Housing"),
    "money": N_("💶 Money and benefits"),
    "family_school": N_("👪 Family and school"),
    "language": N_("🗣️ Language, understanding the services"),
    "other": N_("❓ Something else"),
}
