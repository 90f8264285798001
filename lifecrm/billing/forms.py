"""Input of the renewal collection pages and API: the forms, and the counter payment booking.

`counter_payment_book` is shared by the counter page and `POST /api/v1/payments/`: it finds the policy in
the caller's scope, checks what the collection rules would refuse, and books through
`services.payment_record`, turning every refusal into a `PaymentInputError` that names the field and
says why in the staff member's language. Nothing is written when it refuses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lifecrm.billing.models import Payment
from lifecrm.billing.persistency import WINDOW_MONTHS
from lifecrm.billing.rules import TAKES_PREMIUMS
from lifecrm.billing.selectors import Refundable, to_recover_from_payer
from lifecrm.billing.services import (
    REFUND_METHODS,
    ConfirmationNeeded,
    DuplicatePayment,
    PaymentRefused,
    payment_record,
    suspense_refund,
)
from lifecrm.billing.supervision import DONE, OPEN, QUEUE, TaskFilter
from lifecrm.billing.worklists import OUTCOMES, promise_problem
from lifecrm.core.money import MAX_AMOUNT, AmountInvalid, parse_amount
from lifecrm.core.rules import add_months
from lifecrm.org.models import OrgUnit, Staff
from lifecrm.org.rules import DataScope
from lifecrm.org.selectors import staff_for_user
from lifecrm.policies.models import Policy
from lifecrm.policies.selectors import policies_in_scope

# -- Bootstrap styling -------------------------------------------------------------------------------------

class StyledForm(forms.Form):
    """Bootstrap classes on every widget; `is-invalid` and `aria-describedby` on the fields with errors."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for bound in self.fields.values():
            widget = bound.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields and "is-invalid" not in self.fields[name].widget.attrs.get("class", ""):
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-describedby"] = f"{self[name].auto_id}-errors"
                attrs["aria-invalid"] = "true"


# -- the counter payment -------------------------------------------------------------------------------

COUNTER_METHODS = (
    (Payment.Method.CASH, Payment.Method.CASH.label),
    (Payment.Method.CARD, Payment.Method.CARD.label),
    (Payment.Method.CHEQUE, Payment.Method.CHEQUE.label),
    (Payment.Method.BANK_TRANSFER, Payment.Method.BANK_TRANSFER.label),
)
ISO_DATE = ["%Y-%m-%d"]  # what <input type="date"> sends; 10/11/2026 would be ambiguous
SLIP_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/]{0,39}")
AMOUNT_ERRORS = {
    "invalid": _("Type the amount as digits with at most two decimals, e.g. 241.00."),
    "min_value": _("The amount must be more than zero."),
    "max_decimal_places": _("An amount has at most 2 decimal places."),
    "max_value": lazy(lambda: gettext("An amount is at most %(max)s.") % {"max": f"{MAX_AMOUNT:,}"}, str)(),
}
"""The messages of `core.money.parse_amount`'s refusals, by code: the pages' and the API's."""


class AmountField(forms.CharField):
    """An amount of money as `core.money.parse_amount` reads it (no exponent, sign or separators), typed in a text
    box that brings up a decimal keypad; a number box would let a browser send "1e5"."""

    def __init__(self, **kwargs) -> None:
        kwargs["error_messages"] = AMOUNT_ERRORS | kwargs.get("error_messages", {})
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value) -> Decimal | None:
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_amount(value)
        except AmountInvalid as exc:
            raise forms.ValidationError(self.error_messages[exc.code], code=exc.code) from None


def counter_natural_key(branch_code: str, slip: str) -> str:
    """What makes a counter payment unique: the slip number in its branch, `counter:<branch code>:<slip no>`."""
    return f"counter:{branch_code}:{slip.strip().upper()}"


def branch_code_of(staff: Staff) -> str:
    """The code of the staff member's branch (the unit itself at HQ or when it is a branch; else its branch)."""
    unit = staff.org_unit
    if unit.kind != OrgUnit.Kind.TEAM:
        return unit.code
    ids = [int(p) for p in unit.path.split("/") if p]
    branch = OrgUnit.objects.filter(pk__in=ids, kind=OrgUnit.Kind.BRANCH).values_list("code", flat=True).first()
    return branch or unit.code


class PaymentInputError(ValueError):
    """A counter payment refused before anything was written: which field, why (translated), a stable code."""

    def __init__(self, field: str, message, code: str) -> None:
        super().__init__(str(message))
        self.field, self.message, self.code = field, message, code


NO_SUCH_POLICY = _("No such policy: check the number (policies outside your scope are not shown).")
SLIP_ALREADY_BOOKED = _("This slip is already booked.")
NOT_TAKING_PREMIUMS = _("Policy %(number)s is %(status)s: it takes no premium.")
ONLY_TO_RECOVER = _("Policy %(number)s is %(status)s: it takes no premium, only the %(owed)s to recover from the payer.")
AMOUNT_NOT_POSITIVE = AMOUNT_ERRORS["min_value"]
RECEIVED_IN_FUTURE = _("The money cannot be received after today (%(today)s).")
RECEIVED_BEFORE_ISSUE = _("The money cannot be received before the policy's issue date (%(issue_date)s).")
NEEDS_CONFIRMATION = _("%(amount)s is more than the policy owes plus %(premiums)s premiums (%(limit)s): a branch "
                       "manager or head office confirms it with their own login.")


@dataclass(frozen=True)
class CounterPayment:
    """A counter payment as the page or the API received it, already parsed."""

    amount: Decimal
    method: str
    received_on: date
    slip: str
    note: str = ""
    confirmed_by: Staff | None = None  # the senior colleague who confirmed a payment far above what is owed


def policy_for_payment(*, scope: DataScope, policy_id: int | None = None, number: str = "") -> Policy:
    """The policy in scope by id or number, or PaymentInputError("policy", no such policy)."""
    policies = policies_in_scope(scope)
    if policy_id is not None:
        found = policies.filter(pk=policy_id).first()
    else:
        found = policies.filter(number=number.strip().upper()).first() if number.strip() else None
    if found is None:
        raise PaymentInputError("policy", NO_SUCH_POLICY, "no_such_policy")
    return found


def counter_payment_check(*, policy: Policy, payment: CounterPayment, branch_code: str, as_of: date) -> str:
    """Everything payment_record would refuse, as a PaymentInputError; returns the natural key."""
    if payment.amount <= 0:
        raise PaymentInputError("amount", AMOUNT_NOT_POSITIVE, "min_value")
    if payment.received_on > as_of:
        raise PaymentInputError("received_on", RECEIVED_IN_FUTURE % {"today": as_of.isoformat()}, "future")
    if payment.received_on < policy.issue_date:
        raise PaymentInputError("received_on", RECEIVED_BEFORE_ISSUE % {"issue_date": policy.issue_date.isoformat()},
                                "before_issue")
    if policy.status not in TAKES_PREMIUMS:
        owed = to_recover_from_payer(policy_id=policy.pk)
        values = {"number": policy.number, "status": policy.get_status_display(), "owed": owed}
        if not owed:
            raise PaymentInputError("policy", NOT_TAKING_PREMIUMS % values, "not_taking_premiums")
        if payment.amount > owed:  # the payer owes money back: the counter takes that, and no more
            raise PaymentInputError("amount", ONLY_TO_RECOVER % values, "more_than_owed")
    natural_key = counter_natural_key(branch_code, payment.slip)
    if Payment.objects.filter(natural_key=natural_key).exists():
        raise PaymentInputError("slip", SLIP_ALREADY_BOOKED, "duplicate")
    return natural_key


def counter_payment_book(*, actor, staff: Staff, policy: Policy, payment: CounterPayment, as_of: date) -> Payment:
    """Book a counter payment for a policy already found in the caller's scope, or raise PaymentInputError."""
    natural_key = counter_payment_check(policy=policy, payment=payment, branch_code=branch_code_of(staff),
                                        as_of=as_of)
    try:
        return payment_record(actor=actor, policy_id=policy.pk, amount=payment.amount, method=payment.method,
                              received_on=payment.received_on, natural_key=natural_key, as_of=as_of,
                              booked_by=staff, note=payment.note, confirmed_by=payment.confirmed_by)
    except DuplicatePayment:  # booked by someone else between the check and the insert
        raise PaymentInputError("slip", SLIP_ALREADY_BOOKED, "duplicate") from None
    except ConfirmationNeeded as exc:
        raise PaymentInputError("confirmation", NEEDS_CONFIRMATION % {
            "amount": f"{payment.amount:,}", "premiums": settings.LIFECRM_PAYMENT_AHEAD_PREMIUMS,
            "limit": f"{exc.currency} {exc.limit:,}"}, "needs_confirmation") from None
    except PaymentRefused as exc:  # a rule the checks above do not know (yet): say it as it is
        raise PaymentInputError("__all__", str(exc), "refused") from None


class CounterPaymentForm(StyledForm):
    policy_number = forms.CharField(
        label=_("Policy number"), max_length=20, strip=True,
        error_messages={"required": _("Type the policy number from the customer's slip or policy document.")},
    )
    amount = AmountField(label=_("Amount"), error_messages={"required": _("Type the amount received.")})
    method = forms.ChoiceField(label=_("Payment method"), choices=COUNTER_METHODS, initial=Payment.Method.CASH)
    received_on = forms.DateField(
        label=_("Received on"), input_formats=ISO_DATE, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Type the date as YYYY-MM-DD.")},
    )
    slip = forms.CharField(
        label=_("Slip or reference number"), max_length=40, strip=True,
        help_text=_("The number printed on the counter slip (for a card or a transfer: its reference)."),
        error_messages={"required": _("Type the slip number: it stops the same money being booked twice.")},
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False, strip=True)
    senior_username = forms.CharField(label=_("Confirming colleague's login"), max_length=150, required=False,
                                      widget=forms.TextInput(attrs={"autocomplete": "off"}))
    senior_password = forms.CharField(label=_("Their password"), max_length=128, required=False, strip=False,
                                      widget=forms.PasswordInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, as_of: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.as_of = as_of
        self.fields["received_on"].widget.attrs["max"] = as_of.isoformat()
        self.needs_confirmation = False

    def confirming_staff(self, request) -> Staff | None:
        """The senior colleague whose login and password were typed in to confirm a large payment (checked like a
        login), None when none was typed; a wrong one is a field error."""
        username, password = self.cleaned_data["senior_username"], self.cleaned_data["senior_password"]
        if not username and not password:
            return None
        user = authenticate(request, username=username, password=password) if username and password else None
        staff = staff_for_user(user) if user is not None else None
        if staff is None:
            self.needs_confirmation = True
            self.add_error("senior_password", forms.ValidationError(
                _("The confirming colleague's login or password is wrong."), code="wrong_confirmation"))
        return staff

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError(AMOUNT_NOT_POSITIVE, code="min_value")
        return amount

    def clean_received_on(self) -> date:
        received_on = self.cleaned_data["received_on"]
        if received_on > self.as_of:
            raise forms.ValidationError(RECEIVED_IN_FUTURE, code="future", params={"today": self.as_of.isoformat()})
        return received_on

    def clean_slip(self) -> str:
        slip = self.cleaned_data["slip"]
        if not SLIP_PATTERN.fullmatch(slip):
            raise forms.ValidationError(_("A slip number is letters, digits, “-” and “/”, at most 40."),
                                        code="invalid")
        return slip.upper()

    def payment(self, confirmed_by: Staff | None = None) -> CounterPayment:
        data = self.cleaned_data
        return CounterPayment(amount=data["amount"], method=data["method"], received_on=data["received_on"],
                              slip=data["slip"], note=data["note"], confirmed_by=confirmed_by)

    def add_input_error(self, error: PaymentInputError) -> None:
        self.needs_confirmation |= error.field == "confirmation" or bool(self.data.get("senior_username"))
        field = {"policy": "policy_number", "confirmation": "senior_username", "__all__": None}.get(
            error.field, error.field)
        self.add_error(field, forms.ValidationError(error.message, code=error.code))


# -- refunds of suspense ---------------------------------------------------------------------------------

REFUND_METHOD_CHOICES = [(m.value, m.label) for m in REFUND_METHODS]
REFUND_TOO_MUCH = _("Only %(balance)s is in suspense: a refund cannot be more.")
REFUND_HELD = _("Only %(refundable)s can be refunded now: %(held)s is direct-debit money the payer's bank can "
                "still claim back until %(until)s.")
REFUND_ALREADY_BOOKED = _("A refund with this reference is already booked.")


class RefundForm(StyledForm):
    amount = AmountField(label=_("Amount to refund"), error_messages={"required": _("Type the amount to refund.")})
    method = forms.ChoiceField(label=_("Paid back by"), choices=REFUND_METHOD_CHOICES,
                               initial=Payment.Method.BANK_TRANSFER)
    reference = forms.CharField(
        label=_("Transfer or cheque reference"), max_length=40, strip=True,
        error_messages={"required": _("Type the reference of the transfer or cheque: it stops the same refund "
                                      "being booked twice.")},
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=200, strip=True,
        error_messages={"required": _("Say why the money is paid back.")},
    )

    def __init__(self, *args, refundable: Refundable, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.refundable = refundable

    def clean_amount(self) -> Decimal:
        amount, refundable = self.cleaned_data["amount"], self.refundable
        if amount <= 0:
            raise forms.ValidationError(AMOUNT_NOT_POSITIVE, code="min_value")
        if amount > refundable.balance:
            raise forms.ValidationError(REFUND_TOO_MUCH, code="max_value", params={"balance": refundable.balance})
        if amount > refundable.now:
            raise forms.ValidationError(REFUND_HELD, code="held", params={
                "refundable": refundable.now, "held": refundable.held, "until": refundable.held_until.isoformat()})
        return amount

    def clean_reference(self) -> str:
        reference = self.cleaned_data["reference"]
        if not SLIP_PATTERN.fullmatch(reference):
            raise forms.ValidationError(_("A reference is letters, digits, “-” and “/”, at most 40."), code="invalid")
        return reference.upper()

    def refund(self, *, actor, staff: Staff, policy: Policy, as_of: date) -> Payment | None:
        """Book the refund; None (with the error on the form) when the services refuse it."""
        data = self.cleaned_data
        try:
            return suspense_refund(actor=actor, policy_id=policy.pk, amount=data["amount"], method=data["method"],
                                   reference=data["reference"], reason=data["reason"], as_of=as_of, booked_by=staff)
        except DuplicatePayment:
            self.add_error("reference", forms.ValidationError(REFUND_ALREADY_BOOKED, code="duplicate"))
        except PaymentRefused as exc:  # the balance changed since the page was opened, say
            self.add_error(None, forms.ValidationError(str(exc), code="refused"))
        return None


# -- call outcomes ---------------------------------------------------------------------------------------

class CallOutcomeForm(StyledForm):
    outcome = forms.ChoiceField(
        label=_("Outcome of the call"), choices=[("", "—")] + list(OUTCOMES.items()),
        error_messages={"required": _("Choose what came of the call.")},
    )
    promised_on = forms.DateField(
        label=_("Promised to pay by"), required=False, input_formats=ISO_DATE, widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Type the date as YYYY-MM-DD.")},
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False, strip=True,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, as_of: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.as_of = as_of
        self.fields["promised_on"].widget.attrs["min"] = as_of.isoformat()

    def clean(self):
        data = super().clean()
        if data.get("outcome") and "promised_on" not in self.errors:
            problem = promise_problem(outcome=data["outcome"], promised_on=data.get("promised_on"), as_of=self.as_of)
            if problem is not None:
                self.add_error("promised_on", forms.ValidationError(problem[1], code=problem[0]))
        return data


class TaskFilterForm(StyledForm):
    """A manager's filter of the renewal calls of their scope (on the query string; every field optional)."""

    holder = forms.ChoiceField(label=_("Held by"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)
    status = forms.ChoiceField(label=_("Task status"), required=False,
                               choices=[(OPEN, _("open tasks")), (DONE, _("closed tasks"))])

    def __init__(self, *args, holders: list[Staff], teams: list[OrgUnit], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.teams = {str(unit.pk): unit for unit in teams}
        self.fields["holder"].choices = [("", _("anyone")), (QUEUE, _("nobody: the call-centre queue"))] + [
            (str(s.pk), f"{s.name} · {s.get_role_display()}") for s in holders]
        self.fields["team"].choices = [("", _("every team"))] + [(k, u.local_name()) for k, u in self.teams.items()]

    def task_filter(self) -> TaskFilter:
        data = self.cleaned_data
        holder = data.get("holder") or None
        return TaskFilter(holder=holder if holder in (None, QUEUE) else int(holder),
                          team=self.teams.get(data.get("team") or ""), status=data.get("status") or OPEN)


class ReassignForm(StyledForm):
    holder = forms.ChoiceField(label=_("Hand the call to"),
                               error_messages={"required": _("Choose who makes the call."),
                                               "invalid_choice": _("Choose who makes the call from the list.")})

    def __init__(self, *args, holders: list[Staff], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["holder"].choices = [("", "—"), (QUEUE, _("the call-centre queue"))] + [
            (str(s.pk), f"{s.name} · {s.get_role_display()} · {s.org_unit.local_name()}") for s in holders]

    def holder_id(self) -> int | None:
        holder = self.cleaned_data["holder"]
        return None if holder == QUEUE else int(holder)


# -- persistency and bank files ------------------------------------------------------------------------

MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")
GROUP_BY_CHOICES = (
    ("branch", _("branch")), ("team", _("team")), ("agent", _("agent")), ("product", _("product")),
    ("channel", _("channel")),
)
MAX_PERIOD_MONTHS = 36


class MonthField(forms.CharField):
    """A calendar month typed as YYYY-MM (an <input type="month">), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}", "placeholder": "YYYY-MM"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = MONTH_PATTERN.fullmatch(value.strip())
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
            raise forms.ValidationError(_("Type a month as YYYY-MM."), code="invalid")
        return date(int(match[1]), int(match[2]), 1)

    def prepare_value(self, value):
        return f"{value:%Y-%m}" if isinstance(value, date) else value


# Lazy: `_("…") % {…}` in a class body is translated once, at import, in whatever language is active then.
_month_label = lazy(lambda month: gettext("%(month)sth month") % {"month": month}, str)


class PersistencyForm(StyledForm):
    month = forms.TypedChoiceField(label=_("Persistency of month"), coerce=int,
                                   choices=[(m, _month_label(m)) for m in WINDOW_MONTHS])
    period_start = MonthField(label=_("Reporting months from"))
    period_end = MonthField(label=pgettext_lazy("the end of a period", "to"))  # plain "to" is a status change
    group_by = forms.ChoiceField(label=_("Group by"), choices=GROUP_BY_CHOICES)

    def __init__(self, data=None, *, as_of: date) -> None:
        self.as_of = as_of
        end = (as_of.replace(day=1) - timedelta(days=1)).replace(day=1)  # the last month already over
        start = add_months(end, -11)  # twelve reporting months
        self.defaults = {"month": 13, "period_start": start, "period_end": end, "group_by": "branch"}
        bound = {**{k: (f"{v:%Y-%m}" if isinstance(v, date) else v) for k, v in self.defaults.items()},
                 **{k: v for k, v in (data or {}).items() if k in self.defaults}}
        super().__init__(bound)

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end:
            if end < start:
                self.add_error("period_end", forms.ValidationError(
                    _("The period ends before it starts."), code="order"))
            elif (end.year - start.year) * 12 + end.month - start.month + 1 > MAX_PERIOD_MONTHS:
                self.add_error("period_end", forms.ValidationError(
                    _("Choose at most %(limit)s months."), code="too_long", params={"limit": MAX_PERIOD_MONTHS}))
            elif end > self.as_of.replace(day=1):
                self.add_error("period_end", forms.ValidationError(
                    _("The period cannot end after this month."), code="future"))
        return data


class NotCollectedForm(StyledForm):
    """The bank's confirmation that it did not collect a file's unanswered debits (billing.debits.unanswered)."""

    reference = forms.CharField(
        label=_("The bank's confirmation"), max_length=100, strip=True,
        help_text=_("Its ticket number, or the date and sender of its letter or e-mail."),
        error_messages={"required": _("Say where the bank confirmed it: its ticket, letter or e-mail reference."),
                        "max_length": _("The bank's reference is at most %(limit_value)s characters long.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
