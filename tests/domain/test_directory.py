"""The service directory loader: what an operator writes is read as meant, or refused with the
file, the line and the field of every mistake at once."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

import pytest

from bot.settings import EXAMPLE_SERVICE_FILE
from domain.directory import DirectoryError, load_directory

EXAMPLE = EXAMPLE_SERVICE_FILE.read_text(encoding="utf-8")


def edited(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    """The example directory with each (old, new) text replaced once; the copy is not marked
    as the example, as an operator's own file would not be."""
    text = EXAMPLE.replace("example: true\n", "")
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "service.yml"
    path.write_text(text, encoding="utf-8")
    return path


def line_with(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [n for n, line in enumerate(lines, 1) if needle in line]
    assert len(found) == 1, needle
    return found[0]


def problems(path: Path) -> str:
    with pytest.raises(DirectoryError) as caught:
        load_directory(path)
    return str(caught.value)


def test_times_written_without_quotes_are_the_times_the_operator_meant(tmp_path):
    path = edited(tmp_path, ('reminder_day_before: "18:00"', "reminder_day_before: 18:00"),
                  ('reminder_same_day: "08:00"', "reminder_same_day: 07:45"))
    booking = load_directory(path).booking
    # YAML 1.1 reads a plain 18:00 as the base-60 number 1080 (which became 00:18)
    assert (booking.reminder_day_before, booking.reminder_same_day) == (time(18), time(7, 45))


def test_a_time_written_as_a_bare_number_is_refused(tmp_path):
    path = edited(tmp_path, ('reminder_day_before: "18:00"', "reminder_day_before: 18"))
    message = problems(path)
    line = line_with(path, "reminder_day_before")
    assert f"{path}, line {line}, field 'booking.reminder_day_before'" in message
    assert '"18:00"' in message


MISTAKES = [
    pytest.param([("  slot_minutes: 30\n", "  slot_minutes: 30\n  slot_minutes: 45\n")],
                 "slot_minutes: 45", "booking.slot_minutes", "twice", id="duplicate key"),
    pytest.param([("id: le1", "id: sw1 # again")], "id: sw1 # again",
                 "professionals.1.id", "sw1", id="duplicate professional id"),
    pytest.param([("{need: training, role: labour_expert}",
                   "{need: trainig, role: labour_expert}")],
                 "need: trainig", "triage.2.need", "trainig", id="unknown need"),
    pytest.param([("{need: other, role: social_worker}", "{need: work, role: social_worker}")],
                 "{need: work, role: social_worker}", "triage.8.need", "work",
                 id="need with two rules"),
    pytest.param([("languages: [it, en, fr]", "languages: [it, en, fre]")],
                 "languages: [it, en, fre]", "professionals.1.languages.2", "fre",
                 id="unknown language code"),
    pytest.param([("until: 2026-12-26", "until: 2026-12-20")], "until: 2026-12-20",
                 "closures.0.until", "2026-12-20", id="closure ending before it starts"),
    pytest.param([('tue: ["09:00-12:00", "14:30-17:00"]', 'tue: ["09:00-12:00", "11:30-12:30"]')],
                 '"11:30-12:30"', "professionals.0.windows.tue.1", "overlaps",
                 id="overlapping professional windows"),
    pytest.param([('tue: ["09:00-13:00", "14:30-17:30"]', 'tue: ["09:00-13:00", "12:00-17:30"]')],
                 '"12:00-17:30"', "offices.0.opening_hours.tue.1", "overlaps",
                 id="overlapping opening hours"),
    pytest.param([('fri: ["09:00-13:00"]\n\nbooking', 'fri: ["09:00-14:00"]\n\nbooking')],
                 '"09:00-14:00"', "professionals.2.windows.fri.0", "opening hours",
                 id="window past closing time"),
    pytest.param([('      wed: ["09:00-12:30"]', '      sat: ["09:00-12:30"]')],
                 'sat: ["09:00-12:30"]', "professionals.1.windows.sat.0", "closed",
                 id="window on a day the office is closed"),
    pytest.param([("    office: main\n    languages: [it, en, fr]",
                   "    office: annex\n    languages: [it, en, fr]")],
                 "office: annex", "professionals.1.office", "annex", id="unknown office"),
]


@pytest.mark.parametrize(("changes", "where", "field", "words"), MISTAKES)
def test_a_silent_mistake_is_refused_naming_file_line_and_field(tmp_path, changes, where,
                                                                field, words):
    path = edited(tmp_path, *changes)
    message = problems(path)
    assert f"{path}, line {line_with(path, where)}, field '{field}'" in message, message
    assert words in message


def test_every_mistake_is_reported_at_once(tmp_path):
    path = edited(tmp_path, ("  slot_minutes: 30\n", "  slot_minutes: 30\n  slot_minutes: 45\n"),
                  ("id: le1", "id: sw1"), ("until: 2026-12-26", "until: 2026-12-20"),
                  ("{need: training, role: labour_expert}", "{need: trainig, role: mediator}"),
                  ("languages: [it, en, fr]", "languages: [it, en, fre]"))
    message = problems(path)
    for field in ("booking.slot_minutes", "professionals.1.id", "closures.0.until",
                  "triage.2.need", "professionals.1.languages.2"):
        assert f"field '{field}'" in message, message


def test_a_type_mistake_and_a_repeated_key_are_reported_together(tmp_path):
    path = edited(tmp_path, ("  slot_minutes: 30\n",
                             "  slot_minutes: thirty\n  buffer_minutes: 5\n"))
    message = problems(path)
    assert "field 'booking.slot_minutes'" in message
    assert "field 'booking.buffer_minutes'" in message


def test_the_shipped_example_is_valid_and_says_it_is_the_example():
    assert load_directory(EXAMPLE_SERVICE_FILE).example is True


def test_content_files_refuse_a_repeated_key_too(tmp_path):
    from domain.yamlfile import FileError, load

    path = tmp_path / "faq.yml"
    path.write_text("faq_tax_code:\n  text: one\n  text: two\n", encoding="utf-8")
    with pytest.raises(FileError, match=r"line 3, field 'faq_tax_code.text'.*first on line 2"):
        load(path)


def test_the_referral_services_are_optional_and_their_ids_unique(tmp_path):
    example = load_directory(EXAMPLE_SERVICE_FILE)
    assert [s.id for s in example.referral_services][:2] == ["centro_impiego",
                                                            "servizi_sociali"]
    assert example.referral_service("cpia") is not None
    without = edited(tmp_path, ("referral_services:\n", "unused_referral_services:\n"))
    with pytest.raises(DirectoryError):  # an unknown key is still refused
        load_directory(without)
    cut = EXAMPLE.replace("example: true\n", "").split("\n# EXAMPLE referral network")[0]
    path = tmp_path / "service.yml"
    path.write_text(cut, encoding="utf-8")
    assert "Sportello Immigrazione" in [s.name for s in load_directory(path).referral_services]
    twice = edited(tmp_path, ("{id: cpia,", "{id: asl,"))
    assert "'asl' is used twice" in problems(twice)


def test_a_referral_service_says_what_to_bring_with_known_documents_only(tmp_path):
    example = load_directory(EXAMPLE_SERVICE_FILE)
    job = example.referral_service("centro_impiego")
    assert job is not None and "cv" in job.bring and job.opening_hours["mon"]
    path = edited(tmp_path, ("bring: [identity_document, qualifications]",
                             "bring: [identity_document, passport_photo, identity_document]"),
                  ('fri: ["09:00-12:00"]\n    bring', 'fri: ["09:00-12:00", "11:00-13:00"]\n'
                                                      '    bring'))
    found = problems(path)
    assert "'passport_photo' is not a document" in found
    assert "'identity_document' is listed twice" in found
    assert "'11:00-13:00' overlaps" in found
    assert f"line {line_with(path, 'passport_photo')}" in found
    hours = edited(tmp_path, ('wed: ["09:00-12:00", "14:30-16:30"]', 'wed: ["9-12"]'))
    assert "not a time window" in problems(hours)


def test_staff_texts_are_in_italian_unless_the_registry_says_otherwise():
    from domain.model import StaffMember
    from domain.outcomes import staff_say
    from domain.turn import EngineConfig

    class Services:  # what staff_say reads
        config = EngineConfig()

        def say(self, language):
            return language

    s: Any = Services()
    assert staff_say(s, StaffMember(1, "A", "mediator")) == "it"
    assert staff_say(s, StaffMember(1, "A", "mediator", ("ar", "it"))) == "it"
    assert staff_say(s, StaffMember(1, "A", "mediator", ("xx", "ar", "fr"))) == "ar"
