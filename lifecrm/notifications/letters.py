"""Letters: composed as HTML by the daily batch, printed to PDF (weasyprint, Noto Sans CJK) by the print run.

The sending app saves each letter's HTML, its print file (`notifications.Letter`; billing: with its reminder in
one transaction); `lifecrm print-letters` turns each recorded letter into `<key>.pdf` in LIFECRM_LETTER_OUTBOX
(default var/outbox/letters/): about 0.1 s a page, far too slow for the daily batch of a large book, and
work that fans out to Celery workers. The print file fixes what the letter says on the day it was
recorded, whenever it is printed.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from django.template import Context

from lifecrm.notifications.content import Message, format_date
from lifecrm.notifications.engine import engine
from lifecrm.notifications.outbox import outbox_dir, write_atomic


class MissingPrintFile(LookupError):
    """A letter was recorded without its print file."""


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
