"""`{{ code|bank_reason }}`: a bank's status reason code with its label in the page's language."""
from __future__ import annotations

from django import template

from lifecrm.banking.reasons import reason_text

register = template.Library()


@register.filter
def bank_reason(code: str | None) -> str:
    return reason_text(code)
