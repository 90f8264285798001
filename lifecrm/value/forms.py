"""Forms of the value pages: head office's tier thresholds (preview, then apply)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lifecrm.core.money import AMOUNT_HTML_PATTERN


def _amount_field(label):
    return forms.CharField(label=label, max_length=20, widget=forms.TextInput(attrs={
        "inputmode": "decimal", "pattern": AMOUNT_HTML_PATTERN, "class": "form-control text-end"}))


class ThresholdsForm(forms.Form):
    """The value from which each tier starts in a jurisdiction; the amounts are checked by the service."""

    jurisdiction = forms.ChoiceField(label=_("Jurisdiction"), widget=forms.Select(attrs={"class": "form-select"}))
    diamond = _amount_field(_("diamond from"))
    gold = _amount_field(_("gold from"))
    silver = _amount_field(_("silver from"))
    note = forms.CharField(label=_("Why (kept with the new version)"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"class": "form-control"}))

    def __init__(self, *args, jurisdictions: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].choices = jurisdictions
