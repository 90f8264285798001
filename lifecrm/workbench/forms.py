"""Forms of the workbench: the search box and the purpose of an ID-number reveal."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

SEARCH_MIN_LENGTH = 2
SEARCH_MAX_LENGTH = 100
PURPOSE_MIN_LENGTH = 4
PURPOSE_MAX_LENGTH = 200


def _has_han(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in text)


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        max_length=SEARCH_MAX_LENGTH,
        strip=True,
        error_messages={
            "required": _("Type a phone number, a name, an ID number or a policy number."),
            "max_length": _("A search is at most %(limit_value)d characters long."),
        },
    )

    # The page of a result list; beyond the last page the last one is shown (the list may have shrunk).
    page = forms.IntegerField(
        required=False,
        min_value=1,
        error_messages={
            "invalid": _("A page number is a whole number from 1."),
            "min_value": _("A page number is a whole number from 1."),
        },
    )

    def clean_q(self) -> str:
        # One Han character is a surname worth searching; one Latin letter or digit is not.
        query = " ".join(self.cleaned_data["q"].split())
        if len(query) < SEARCH_MIN_LENGTH and not _has_han(query):
            raise forms.ValidationError(
                _("Type at least %(limit)d characters to search."), code="min_length",
                params={"limit": SEARCH_MIN_LENGTH},
            )
        return query


class RevealForm(forms.Form):
    purpose = forms.CharField(
        label=_("Purpose of the reveal"),
        min_length=PURPOSE_MIN_LENGTH,
        max_length=PURPOSE_MAX_LENGTH,
        strip=True,
        help_text=_("Recorded in the audit trail with your name and the time."),
        error_messages={
            "required": _("Say why you need the full ID number: the purpose is recorded."),
            "min_length": _("Describe the purpose in at least %(limit_value)d characters."),
            "max_length": _("The purpose is at most %(limit_value)d characters long."),
        },
    )


class DeliveryForm(forms.Form):
    """The day the owner signed for the policy (its delivery receipt): the cooling-off period runs from it."""

    delivered_on = forms.DateField(
        label=_("Delivered to the owner on"), input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d"),
        error_messages={"required": _("Give the date."), "invalid": _("Give a date, e.g. 2026-12-07.")})
