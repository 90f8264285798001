"""The complaint pages' forms: each action's fields, checked before the service sees them."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lifecrm.service.models import Complaint, ComplaintDecision


class StyledForm(forms.Form):
    """Bootstrap's classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionForm(ReasonForm):
    days = forms.IntegerField(label=_("Days"), min_value=1, max_value=30)


class DecisionForm(StyledForm):
    facts = forms.CharField(label=_("Facts"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    decision = forms.CharField(label=_("Decision"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    basis = forms.CharField(label=_("Basis"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class DeliveryForm(StyledForm):
    channel = forms.ChoiceField(label=_("Delivered by"), choices=ComplaintDecision.DeliveryChannel.choices)
    delivered_at = forms.DateTimeField(label=_("Delivered at"),
                                       widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}))
    reference = forms.CharField(label=_("Receipt reference"), max_length=100)


class ReviewRequestForm(StyledForm):
    requested_at = forms.DateTimeField(label=_("Asked for at"),
                                       widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}))
    note = forms.CharField(label=_("What the customer disputes"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class RegisterFilter(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), required=False,
                              choices=[("", _("every stage"))] + list(Complaint.Stage.choices))
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class StatisticsForm(StyledForm):
    jurisdiction = forms.ChoiceField(label=_("Jurisdiction"), choices=[("CN", "CN"), ("HK", "HK"), ("TW", "TW")])
    period_start = forms.DateField(label=_("Received from"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    period_end = forms.DateField(label=_("Received until"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period ends before it starts."))
        return data
