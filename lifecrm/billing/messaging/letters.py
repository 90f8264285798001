"""Letters as PDF (weasyprint, Noto Sans CJK), written to LIFECRM_LETTER_OUTBOX (default var/outbox/letters/)."""
from __future__ import annotations

from datetime import date

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


def write_letter(*, key: str, message: Message, recipient: str, address: str, postcode: str, posted_on: date,
                 company: str) -> str:
    """Render the letter to `<key>.pdf` in the letter outbox; returns the file name."""
    from weasyprint import HTML  # heavy import (pango); only when a letter is written

    html = letter_html(message=message, recipient=recipient, address=address, postcode=postcode,
                       posted_on=posted_on, company=company)
    pdf = HTML(string=html).write_pdf()
    return write_atomic(outbox_dir("LIFECRM_LETTER_OUTBOX", "letters"), f"{key}.pdf", pdf).name
