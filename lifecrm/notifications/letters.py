"""Letters: composed as HTML by the daily batch, printed to PDF (weasyprint, Noto Sans CJK) by the print run.

The sending app saves each letter's HTML, its print file (`notifications.Letter`; billing: with its reminder in
one transaction); the print run (`lifecrm print-letters`, the job `notifications.print_letters`) turns every letter
recorded on a date, whichever app recorded it, into `<key>.pdf` in LIFECRM_LETTER_OUTBOX (default
var/outbox/letters/): about 0.1 s a page, far too slow for the daily batch of a large book, and work that fans out
to Celery workers. The print file fixes what the letter says on the day it was recorded, whenever it is printed.

An app that records letters elsewhere too (billing: a reminder sent by letter) registers a print check
(`register_print_check`): the keys of its letters recorded on a date without their print file, for which the
print run refuses the date.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from django.template import Context

from lifecrm.notifications.content import Message, format_date
from lifecrm.notifications.engine import engine
from lifecrm.notifications.models import Letter
from lifecrm.notifications.outbox import outbox_dir, write_atomic


class MissingPrintFile(LookupError):
    """A letter was recorded without its print file."""


# name → the keys of the letters an app recorded on a date without their print file
PrintCheck = Callable[[date], list[str]]
_print_checks: dict[str, PrintCheck] = {}


def register_print_check(name: str):
    def decorator(func: PrintCheck) -> PrintCheck:
        existing = _print_checks.get(name)
        if existing is not None and existing is not func:
            raise ValueError(f"print check {name!r} is registered twice")
        _print_checks[name] = func
        return func

    return decorator


def print_files_check(as_of: date) -> None:
    """Refuse the date (MissingPrintFile, naming the first letter) when an app recorded a letter without its print
    file on it."""
    for check in _print_checks.values():
        missing = check(as_of)
        if missing:
            raise MissingPrintFile(f"no print file for letter {missing[0]}")


# Debian's fonts-noto-cjk; TC for Traditional, SC for Simplified (and as the CJK fallback in English).
FONT_FAMILIES = {
    "zh-hans": "'Noto Sans CJK SC', sans-serif",
    "zh-hant": "'Noto Sans CJK TC', sans-serif",
    "en": "'Noto Sans CJK SC', sans-serif",
}
HTML_LANG = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "en": "en"}


def letter_html(*, message: Message, recipient: str, address: str, postcode: str, posted_on: date,
                company: str) -> str:
    return engine().get_template("notifications/letters/letter.html").render(Context({
        "message": message, "recipient": recipient, "address": address, "postcode": postcode,
        "company": company, "date": format_date(posted_on, message.language),
        "lang": HTML_LANG[message.language], "font_family": FONT_FAMILIES[message.language],
    }))


def letter_folder() -> Path:
    return outbox_dir("LIFECRM_LETTER_OUTBOX", "letters")


def pdf_name(key: str) -> str:
    return f"{key}.pdf"


def print_letter(key: str, html: str) -> Path:
    """Render a letter's print file to `<key>.pdf`, once: a PDF already there was made of the same print file."""
    from weasyprint import HTML  # heavy import (pango); only when a letter is printed

    folder = letter_folder()
    target = folder / pdf_name(key)
    if target.exists():
        return target
    return write_atomic(folder, pdf_name(key), HTML(string=html).write_pdf())


def letter_ids(as_of: date):
    """The print run's ids: the letters (print files) recorded on `as_of`, by any app."""
    return Letter.objects.filter(recorded_on=as_of).order_by("pk").values_list("pk", flat=True)


def letters_print(*, as_of: date, first_id: int, last_id: int) -> int:
    """Print (PDF) the letters of ids [first_id, last_id] recorded on `as_of`; a PDF already there is kept."""
    rows = Letter.objects.filter(pk__range=(first_id, last_id), recorded_on=as_of).values_list("key", "html")
    for key, html in rows:
        print_letter(key, html)
    return len(rows)
