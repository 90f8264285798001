"""Input of the service desk's pages: the call-logging panel of the customer 360."""
from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lifecrm.org.rules import DataScope
from lifecrm.service.models import CHANNEL_CHOICES, DIRECTION_CHOICES, Interaction
from lifecrm.service.rules import Channel, Direction
from lifecrm.service.selectors import customer_policy_choices

# What customers call about most: one click (or Tab and Enter) puts it in the subject, which can still be typed on.
QUICK_SUBJECTS = (
    _("Premium payment"),
    _("Policy status"),
    _("Change of contact details"),
    _("Claim status"),
    _("Copy of a document"),
    _("Complaint"),
)
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


class InteractionForm(forms.Form):
    """One contact with the customer: a phone call received unless said otherwise, now, answered."""

    channel = forms.ChoiceField(label=_("Channel"), choices=CHANNEL_CHOICES, initial=Channel.CALL.value)
    direction = forms.ChoiceField(label=_("Direction"), choices=DIRECTION_CHOICES, initial=Direction.INBOUND.value,
                                  widget=forms.RadioSelect)
    subject = forms.CharField(label=_("Subject"), max_length=200,
                              error_messages={"required": _("Say what the contact was about.")})
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Interaction.Outcome.choices,
                                initial=Interaction.Outcome.ANSWERED.value, widget=forms.RadioSelect)
    occurred_at = forms.DateTimeField(
        label=_("When"), input_formats=[LOCAL_MINUTE, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE),
        error_messages={"required": _("Say when the contact took place."),
                        "invalid": _("Give the date and time of the contact, e.g. 2026-12-07 14:30.")})
    policy = forms.TypedChoiceField(label=_("Policy"), required=False, coerce=int, empty_value=None,
                                    error_messages={"invalid_choice": _("This policy is not one of the customer's.")})
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, policies: list[tuple[int, str]], now: datetime, **kwargs) -> None:
        """`policies`: (id, number) of the customer's policies the contact may be about; `now`: the time the form
        offers (the view's clock, in the staff member's time zone)."""
        kwargs.setdefault("initial", {}).setdefault("occurred_at", timezone.localtime(now).replace(second=0,
                                                                                                   microsecond=0))
        super().__init__(*args, **kwargs)
        self.fields["policy"].choices = [("", _("none"))] + [(pk, number) for pk, number in policies]

    @property
    def occurred_at_text(self) -> str:
        """The time as the datetime-local input shows it: the offered one, or what was sent back."""
        value = self["occurred_at"].value()  # the offered time comes back naive, in the current time zone
        if isinstance(value, datetime):
            return (timezone.localtime(value) if timezone.is_aware(value) else value).strftime(LOCAL_MINUTE)
        return value or ""

    @property
    def quick_subjects(self) -> list[str]:
        return [str(subject) for subject in QUICK_SUBJECTS]

    def service_arguments(self) -> dict:
        """What `services.interaction_log` takes, from a valid form."""
        data = self.cleaned_data
        return {"channel": data["channel"], "direction": data["direction"], "subject": data["subject"],
                "outcome": data["outcome"], "occurred_at": data["occurred_at"], "note": data["note"],
                "policy_id": data["policy"]}


def interaction_form_for(*, scope: DataScope, customer_id: int, now: datetime, data=None) -> InteractionForm:
    """The panel's form for the customer (the 360 page and the panel's own view): one query, for the policies."""
    return InteractionForm(data, policies=customer_policy_choices(scope=scope, customer_id=customer_id), now=now)
