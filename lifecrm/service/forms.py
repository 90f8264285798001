"""Input of the service desk's pages: the call-logging panel of the customer 360, the case lists' filter,
opening a case, and each action on a case."""
from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from lifecrm.org.rules import DataScope
from lifecrm.service.models import (
    CHANNEL_CHOICES,
    DIRECTION_CHOICES,
    PRIORITY_CHOICES,
    STATUS_CHOICES,
    CaseCategory,
    CaseType,
    Interaction,
)
from lifecrm.service.rules import ATTACHMENT_MAX_BYTES, Channel, Direction
from lifecrm.service.selectors import CaseFilter, customer_policy_choices

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


def interaction_form_for(*, scope: DataScope, customer_id: int, now: datetime, data=None,
                         policies: list[tuple[int, str]] | None = None) -> InteractionForm:
    """The panel's form for the customer (the 360 page and the panel's own view): one query, for the policies,
    none when the caller has already read them all (`policies`: (id, number) of every in-scope policy of the
    customer, newest first, as `customer_policy_choices` gives them)."""
    if policies is None:
        policies = customer_policy_choices(scope=scope, customer_id=customer_id)
    return InteractionForm(data, policies=policies, now=now)

ANY = [("", _("any"))]


class StyledForm(forms.Form):
    """Bootstrap classes on every widget (small, as in the workbench's filters)."""

    small = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if self.small:
                css += " form-select-sm" if isinstance(widget, forms.Select) else " form-control-sm"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"
                self.fields[name].widget.attrs["aria-invalid"] = "true"


def local_name(obj) -> str:
    """A case type's, category's or queue's English name on English pages, else its own (as the workbench's)."""
    english = (translation.get_language() or "").startswith("en")
    return obj.name_en if english and obj.name_en else obj.name


def type_choices() -> list[tuple[str, str]]:
    return [(t.code, local_name(t)) for t in CaseType.objects.filter(is_active=True).order_by("code")]


class CaseFilterForm(StyledForm):
    small = True
    status = forms.ChoiceField(label=_("Status"), required=False, choices=ANY + STATUS_CHOICES)
    case_type = forms.ChoiceField(label=_("Type"), required=False)
    priority = forms.TypedChoiceField(label=_("Priority"), required=False, coerce=int, empty_value=None,
                                      choices=ANY + PRIORITY_CHOICES)
    queue = forms.ChoiceField(label=_("Queue"), required=False)

    def __init__(self, *args, queues, type_names, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case_type"].choices = ANY + type_names
        self.fields["queue"].choices = ANY + [(q.code, local_name(q)) for q in queues]

    def case_filter(self, view: str) -> CaseFilter:
        data = self.cleaned_data
        return CaseFilter(view=view, status=data["status"], case_type=data["case_type"], priority=data["priority"],
                          queue=data["queue"])


class CaseOpenForm(StyledForm):
    case_type = forms.ChoiceField(label=_("Type"))
    category = forms.ChoiceField(label=_("Category"), required=False)
    priority = forms.TypedChoiceField(label=_("Priority"), required=False, coerce=int, empty_value=None,
                                      choices=[("", _("the type's usual priority"))] + PRIORITY_CHOICES)
    channel = forms.ChoiceField(label=_("Received through"), choices=CHANNEL_CHOICES, initial="call")
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    policy = forms.TypedChoiceField(label=_("Policy"), required=False, coerce=int, empty_value=None)
    about_staff = forms.TypedChoiceField(label=_("Staff member complained about"), required=False, coerce=int,
                                         empty_value=None,
                                         help_text=_("For a complaint about a person: they will never handle it."))

    def __init__(self, *args, type_names, policies, staff, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case_type"].choices = type_names
        self.fields["policy"].choices = [("", _("none"))] + [(p.pk, p.number) for p in policies]
        self.fields["about_staff"].choices = [("", _("nobody"))] + [(s.pk, f"{s.name} ({s.employee_no})")
                                                                    for s in staff]
        chosen = self.data.get("case_type") or self.initial.get("case_type") or (type_names[0][0] if type_names
                                                                                  else "")
        self.fields["category"].choices = [("", _("none"))] + category_choices(chosen)

    def clean(self):
        data = super().clean()
        if data.get("about_staff") and data.get("case_type") != "complaint":
            self.add_error("about_staff", _("Only a complaint names a staff member."))
        return data


def category_choices(case_type: str) -> list[tuple[str, str]]:
    return [(c.code, local_name(c)) for c in CaseCategory.objects.filter(case_type_id=case_type, is_active=True)]


class NoteForm(StyledForm):
    note = forms.CharField(label=_("Text"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class OptionalNoteForm(StyledForm):
    note = forms.CharField(label=_("Note"), max_length=5000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class PriorityForm(StyledForm):
    priority = forms.TypedChoiceField(label=_("Priority"), coerce=int, choices=PRIORITY_CHOICES)
    note = forms.CharField(label=_("Why"), max_length=500, required=False)


class AssignForm(StyledForm):
    assignee = forms.TypedChoiceField(label=_("Handler"), coerce=int)

    def __init__(self, *args, staff, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [(s.pk, f"{s.name} · {s.get_role_display()}") for s in staff]


class AttachmentForm(StyledForm):
    file = forms.FileField(label=_("File"), help_text=_("PDF, JPEG or PNG, at most 10 MB."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than %(limit)s MB."),
                                        params={"limit": ATTACHMENT_MAX_BYTES // 2**20})
        return upload
