"""Letters: composed as HTML by the daily batch, printed to PDF (weasyprint, Noto Sans CJK) by the print run.

The daily batch writes `<key>.html` to LIFECRM_LETTER_OUTBOX (default var/outbox/letters/) in the
transaction that records the reminder; `lifecrm print-letters` turns each recorded letter into
`<key>.pdf` beside it (about 0.1 s a page: far too slow for the daily batch of a large book, and
work that fans out to Celery workers). The HTML is the print file: it fixes what the letter says on
the day it was recorded, whenever it is printed.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from django.template.loader import render_to_string

from lifecrm.billing.messaging.content import Message, format_date
from lifecrm.billing.messaging.outbox import outbox_dir, write_atomic

# Debian's fonts-noto-cjk; TC for Traditional, SC for Simplified (and as the CJK fallback in English).
FONT_FAMILIES = {
    "zh-hans": "'Noto Sans CJK SC', sans-serif",
    "zh-hant": "'Noto Sans CJK TC', sans-serif",
    "en": "'Noto Sans CJK SC', sans-serif",
}
HTML_LANG = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "en": "en"}


def letter_html(*, message: Message, recipient: str, address: str, postcode: str, posted_on: date,
                company: str) -> str:
    return render_to_string("billing/letters/letter.html", {
        "message": message, "recipient": recipient, "address": address, "postcode": postcode,
        "company": company, "date": format_date(posted_on, message.language),
        "lang": HTML_LANG[message.language], "font_family": FONT_FAMILIES[message.language],
    })


def letter_folder() -> Path:
    return outbox_dir("LIFECRM_LETTER_OUTBOX", "letters")


def pdf_name(key: str) -> str:
    return f"{key}.pdf"


def compose_letter(*, key: str, message: Message, recipient: str, address: str, postcode: str, posted_on: date,
                   company: str, sync: bool = True) -> str:
    """Write the letter's print file `<key>.html`; returns the name of the PDF the print run makes of it."""
    html = letter_html(message=message, recipient=recipient, address=address, postcode=postcode,
                       posted_on=posted_on, company=company)
    write_atomic(letter_folder(), f"{key}.html", html.encode("utf-8"), sync=sync)
    return pdf_name(key)


def print_letter(key: str) -> Path:
    """Render `<key>.html` to `<key>.pdf` (again if the PDF is older than its print file)."""
    from weasyprint import HTML  # heavy import (pango); only when a letter is printed

    folder = letter_folder()
    source, target = folder / f"{key}.html", folder / pdf_name(key)
    if not source.exists():
        raise FileNotFoundError(f"no print file {source.name} in {folder}")
    if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    pdf = HTML(string=source.read_text(encoding="utf-8")).write_pdf()
    return write_atomic(folder, pdf_name(key), pdf)
