"""Input of the servicing pages: recording a request (the fields of its type), the queue's filter, and each action
on a request."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lifecrm.policies.models import PaymentMethod, PremiumMode
from lifecrm.servicing.models import STATUS_CHOICES, Channel

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"required": _("Give the date."), "invalid": _("Give a date, e.g. 2026-12-07.")}

# The fields each request type asks for (the form shows only those of the chosen type).
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "contact_change": ("mobile_phone", "email", "address"),
    "beneficiary_change": ("beneficiaries",),
    "payment_method_change": ("payment_method", "bank_account"),
    "premium_mode_change": ("premium_mode",),
    "sum_assured_decrease": ("sum_assured",),
    "policy_loan": ("amount", "bank_name", "bank_code", "bank_account"),
    "surrender": ("bank_name", "bank_code", "bank_account"),
    "cooling_off_cancellation": ("bank_name", "bank_code", "bank_account"),
    "partial_withdrawal": ("amount", "bank_name", "bank_code", "bank_account"),
    "loan_repayment": ("amount",),
    "owner_change": ("new_owner",),
    "reinstatement": ("health_declaration",),
}
AMOUNT_LABELS = {"partial_withdrawal": _("Amount to withdraw"), "loan_repayment": _("Amount repaid")}


class RequestForm(forms.Form):
    channel = forms.ChoiceField(label=_("Received through"), choices=Channel.choices, initial=Channel.COUNTER)
    received_on = forms.DateField(label=_("Request received on"), widget=DATE, error_messages=DATE_ERRORS)
    mobile_phone = forms.CharField(label=_("New mobile phone"), max_length=20, required=False)
    email = forms.EmailField(label=_("New e-mail"), required=False,
                             error_messages={"invalid": _("Give an e-mail address such as name@example.com.")})
    address = forms.CharField(label=_("New address"), max_length=200, required=False)
    beneficiaries = forms.CharField(
        label=_("New beneficiaries"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One a line: name, relation to the insured, share (50, 33.33 or 1/3), order (1 if left out)."))
    payment_method = forms.ChoiceField(label=_("New payment method"), choices=[("", "—"), *PaymentMethod.choices],
                                       required=False)
    bank_account = forms.CharField(label=_("Bank account number"), max_length=34, required=False)
    bank_name = forms.CharField(label=_("Owner's bank"), max_length=60, required=False)
    bank_code = forms.CharField(label=_("Bank code"), max_length=20, required=False,
                                help_text=_("CNAPS, HK bank code or BIC"))
    premium_mode = forms.ChoiceField(label=_("New premium mode"), choices=[("", "—"), *PremiumMode.choices],
                                     required=False)
    sum_assured = forms.DecimalField(label=_("New sum assured"), max_digits=14, decimal_places=2, min_value=0,
                                     required=False)
    amount = forms.DecimalField(label=_("Loan amount"), max_digits=14, decimal_places=2, min_value=0, required=False)
    new_owner = forms.CharField(label=_("New owner's customer number"), max_length=20, required=False)
    health_declaration = forms.CharField(
        label=_("Insured's health declaration"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the insured declares about their health since the policy was suspended."))
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, request_type: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        wanted = {"channel", "received_on", "note", *TYPE_FIELDS.get(request_type, ())}
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        if "amount" in self.fields and request_type in AMOUNT_LABELS:
            self.fields["amount"].label = AMOUNT_LABELS[request_type]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def payload(self) -> dict:
        """The change as the request service takes it."""
        data = {k: v for k, v in self.cleaned_data.items() if k not in {"channel", "received_on", "note"}}
        if "beneficiaries" in data:
            rows = []
            for line in (data["beneficiaries"] or "").splitlines():
                parts = [p.strip() for p in line.replace("，", ",").split(",")]
                if not any(parts):
                    continue
                parts += [""] * (4 - len(parts))
                rows.append({"name": parts[0], "relation_to_insured": parts[1], "share": parts[2],
                             "order": parts[3] or 1})
            data["beneficiaries"] = rows
        return {k: ("" if v is None else str(v)) if k != "beneficiaries" else v for k, v in data.items()}


class QueueFilter(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("every open status"))])
    request_type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("every type"))])
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, types: list[tuple[str, str]], open_statuses: set[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices += [(v, label) for v, label in STATUS_CHOICES if v in open_statuses]
        self.fields["request_type"].choices += types
        for name in ("status", "request_type"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["overdue"].widget.attrs["class"] = "form-check-input"


class ActionForm(forms.Form):
    """Every action of a request page: which one, its date, and (reject, decline, cancel) the reason."""

    on = forms.DateField(label=_("Date"), widget=DATE, error_messages=DATE_ERRORS, required=False)
    reason = forms.CharField(label=_("Reason (told to the owner)"), max_length=300, required=False)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)
    document = forms.CharField(max_length=32, required=False)
