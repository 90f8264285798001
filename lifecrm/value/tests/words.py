"""Stored reasons put in words, in a language (English unless told), for assertions a reader can check."""
from django.utils import translation

from lifecrm.value.reasons import reason_text


def words(reasons, language="en"):
    with translation.override(language):
        return [reason_text(r) for r in reasons]
