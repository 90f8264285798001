"""What a lapse score's reasons say to a person: each stored reason is a feature's code with the policy's value
(`model.LapseModel.reasons`), shown here in the page's language (PIPL Art. 24: an automated assessment explains
itself). A feature without a label of its own is shown by its code, never dropped."""
from __future__ import annotations

from django.utils.translation import gettext_lazy

from lifecrm.policies.models import PaymentMethod
from lifecrm.products.models import Product

LABELS = {
    "in_grace": gettext_lazy("a premium is unpaid and the policy is in its grace period"),
    "days_in_grace": gettext_lazy("days in the grace period so far: %(value)s"),
    "overdue_premiums": gettext_lazy("premiums overdue: %(value)s"),
    "grace_periods_last_year": gettext_lazy("grace periods in the last year: %(value)s"),
    "grace_periods_recent": gettext_lazy("grace periods recently: %(value)s"),
    "grace_periods_ever": gettext_lazy("grace periods since issue: %(value)s"),
    "ever_suspended": gettext_lazy("the policy was suspended before"),
    "reinstated": gettext_lazy("the policy was reinstated before"),
    "late_payments_last_year": gettext_lazy("late payments in the last year: %(value)s"),
    "days_paid_early": gettext_lazy("days paid before the due date, on average: %(value)s"),
    "rejected_debits_recent": gettext_lazy("direct debits rejected recently: %(value)s"),
    "rejected_debits_last_year": gettext_lazy("direct debits rejected in the last year: %(value)s"),
    "premiums_due_next_90_days": gettext_lazy("premiums due in the next 90 days: %(value)s"),
    "payments_per_year": gettext_lazy("premiums a year: %(value)s"),
    "log_annual_premium": gettext_lazy("the size of the annual premium"),
    "log_payer_premium": gettext_lazy("the payer's total annual premium"),
    "payer_policies": gettext_lazy("policies the payer pays: %(value)s"),
    "tenure_years": gettext_lazy("years since issue: %(value)s"),
    "owner_age": gettext_lazy("the owner's age: %(value)s"),
    "customer_years": gettext_lazy("years as a customer: %(value)s"),
    "occupation_unknown": gettext_lazy("the insured's occupation is not known"),
    "agent_not_servicing_agent": gettext_lazy("the selling agent no longer serves the customer"),
}
PREFIXED = {
    "method_": (gettext_lazy("pays by %(what)s"), dict(PaymentMethod.choices)),
    "kind_": (gettext_lazy("product kind: %(what)s"), dict(Product.Kind.choices)),
    "policy_year_": (gettext_lazy("in policy year %(what)s"), {}),
    "occupation_class_": (gettext_lazy("occupation class %(what)s"), {}),
}


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def reason_text(reason: dict) -> str:
    """One stored reason ({"feature", "value", "contribution"}) as a sentence in the active language."""
    feature = str(reason.get("feature", ""))
    label = LABELS.get(feature)
    if label is not None:
        return str(label) % {"value": _number(reason.get("value"))} if "%(value)s" in str(label) else str(label)
    for prefix, (text, names) in PREFIXED.items():
        if feature.startswith(prefix):
            code = feature.removeprefix(prefix)
            return str(text) % {"what": names.get(code, code.replace("_", "–"))}
    return feature
