"""The bank's status reason codes as the pages show them: "AC04 — Account closed", in the page's language."""
from __future__ import annotations

from django.utils.text import capfirst
from django.utils.translation import gettext

from lifecrm.banking.rules import REASON_LABELS


def reason_label(code: str | None) -> str:
    """The code's label in the active language ("Insufficient funds"), "" for a code without one."""
    label = REASON_LABELS.get((code or "").strip().upper())
    return capfirst(gettext(label)) if label else ""


def reason_text(code: str | None) -> str:
    """`code — Label` for a code in `rules.REASON_LABELS`, the code alone for any other, "" for none."""
    code = (code or "").strip().upper()
    label = REASON_LABELS.get(code)
    return f"{code} — {capfirst(gettext(label))}" if label else code
