"""The print run of every letter: `lifecrm print-letters` prints each letter recorded on the date, whichever app
recorded it (servicing's and claims' notices here, as their print files), once."""
from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lifecrm.core.models import JobRun
from lifecrm.notifications import letters
from lifecrm.notifications.content import Message
from lifecrm.notifications.models import Letter

pytestmark = pytest.mark.django_db
DAY = date(2026, 10, 12)


def record(key: str, recorded_on: date = DAY) -> Letter:
    message = Message(language="en", subject="Notice", body=f"Notice {key}", sms="")
    return Letter.objects.create(key=key, recorded_on=recorded_on, html=letters.letter_html(
        message=message, recipient="Dear Ms Chan", address="1 Queen's Road Central", postcode="",
        posted_on=recorded_on, company="LifeCRM Life"))


def print_letters(day: date = DAY) -> str:
    out = StringIO()
    call_command("print-letters", as_of=str(day), no_progress=True, stdout=out)
    return out.getvalue()


def pdfs(settings) -> dict[str, int]:
    folder = settings.LIFECRM_LETTER_OUTBOX
    return {path.name: path.stat().st_mtime_ns for path in folder.glob("*.pdf")} if folder.exists() else {}


def test_servicing_and_claims_letters_of_the_day_are_printed_once(settings):
    record("SV2026000001-documents-missing-letter")
    record("CL2026000001-decision-letter")
    record("CL2026000002-decision-letter", recorded_on=date(2026, 10, 9))  # another day's: not this run's
    assert print_letters() == f"{DAY}: 2 letters printed to {settings.LIFECRM_LETTER_OUTBOX}\n"
    printed = pdfs(settings)
    assert set(printed) == {"SV2026000001-documents-missing-letter.pdf", "CL2026000001-decision-letter.pdf"}
    # a rerun prints nothing twice
    assert print_letters().startswith(f"{DAY}: 2 letters printed")
    assert pdfs(settings) == printed
    # a letter recorded after the run is printed by the next; the ones printed before are kept as they were
    record("SV2026000002-documents-missing-letter")
    assert print_letters().startswith(f"{DAY}: 3 letters printed")
    again = pdfs(settings)
    assert set(again) - set(printed) == {"SV2026000002-documents-missing-letter.pdf"}
    assert {name: again[name] for name in printed} == printed
    assert set(JobRun.objects.filter(as_of=DAY).values_list("step", flat=True)) == {"notifications.print_letters"}


def test_a_day_without_letters_prints_none(settings):
    assert print_letters() == f"{DAY}: 0 letters printed to {settings.LIFECRM_LETTER_OUTBOX}\n"


def test_an_app_s_letter_without_its_print_file_refuses_the_date(settings, monkeypatch):
    record("SV2026000001-documents-missing-letter")
    monkeypatch.setitem(letters._print_checks, "test", lambda as_of: ["K-1"] if as_of == DAY else [])
    with pytest.raises(CommandError, match=rf"^{DAY}: no print file for letter K-1$"):
        print_letters()
    assert pdfs(settings) == {}
