"""The bank files page's upload: a bank's result file and its format (recognised from the content by default)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

RESULT_FILE_FORMATS = (
    ("auto", _("recognise it from the content")),
    ("pain.002", _("ISO 20022 pain.002 payment status report")),
    ("camt.054", _("ISO 20022 camt.054 debit/credit notification")),
    ("csv", _("bank CSV result file")),
)
MAX_BANK_FILE_BYTES = 20 * 1024 * 1024


class BankFileForm(forms.Form):
    file = forms.FileField(label=_("Result file from the bank"),
                           error_messages={"required": _("Choose the file the bank sent."),
                                           "empty": _("The file is empty.")})
    file_format = forms.ChoiceField(label=_("Format"), choices=RESULT_FILE_FORMATS, initial="auto")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["class"] = "form-control"
        self.fields["file_format"].widget.attrs["class"] = "form-select"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BANK_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than %(limit)s MB."), code="too_large",
                                        params={"limit": MAX_BANK_FILE_BYTES // (1024 * 1024)})
        return upload

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs['class']} is-invalid"
                attrs["aria-describedby"] = f"{self[name].auto_id}-errors"
                attrs["aria-invalid"] = "true"
