"""What a customer value's, tier's or stage's reasons say to a person: each stored reason is a code with its figures
(`rules.reason`), put in words here in the page's language (PIPL Art. 24: an automated assessment explains itself).
A reason stored before reasons had codes (an English sentence) is shown as it is; an unknown code by its code."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy

from lifecrm.parties.models import CustomerSegment
from lifecrm.policies.models import STATUS_LABELS

LABELS = {
    # current value
    "policy_pvfp": gettext_lazy("policy %(policy)s: profit expected from now on (PVFP) %(amount)s"),
    "policy_not_valued": gettext_lazy("policy %(policy)s: in force but not valued on %(day)s"),
    "no_policy_in_force": gettext_lazy("no policy in force"),
    # historical value
    "premiums_paid": gettext_lazy("premiums paid to date %(amount)s"),
    "margin_earned": gettext_lazy("margin earned to date %(amount)s = %(rate)s of the premiums paid"),
    # potential value
    "protection_gap": gettext_lazy(
        "protection gap: parent of %(children)s child(ren) under %(age_limit)s with death cover %(cover)s, short of "
        "%(needed)s by %(gap)s; %(rate)s of the gap = %(amount)s"),
    "annuity_gap": gettext_lazy(
        "annuity gap: aged %(age)s, within %(years)s years of retirement at %(retirement_age)s, no annuity in force: "
        "%(amount)s"),
    "no_gap": gettext_lazy("no protection or annuity gap found"),
    # network value
    "network_referred": gettext_lazy(
        "%(rate)s of the current value %(base)s of %(customers)s referred customer(s) = %(amount)s"),
    "network_household": gettext_lazy(
        "%(rate)s of the current value %(base)s of %(customers)s household member(s) = %(amount)s"),
    "no_network": gettext_lazy("no referred or household customer with a current value"),
    # tier
    "tier_reached": gettext_lazy("value %(amount)s at or above the %(tier)s threshold %(threshold)s "
                                 "(thresholds version %(version)s)"),
    "tier_below": gettext_lazy("value %(amount)s below the %(tier)s threshold %(threshold)s "
                               "(thresholds version %(version)s)"),
    "no_thresholds": gettext_lazy("no tier thresholds for jurisdiction %(jurisdiction)s"),
    # life-cycle stage
    "no_policy_yet": gettext_lazy("no policy yet"),
    "no_policy_in_force_now": gettext_lazy(
        "no policy in force; had %(policies)s, the last (%(policy)s) %(status)s on %(day)s"),
    "policy_at_risk": gettext_lazy("policy %(policy)s %(status)s since %(day)s"),
    "debits_rejected": gettext_lazy("%(count)s direct debit(s) rejected in the last %(days)s days, the last on %(day)s"),
    "won_back": gettext_lazy("policy %(policy)s issued %(day)s after every earlier policy had ended "
                             "(within %(months)s months)"),
    "first_policy_recent": gettext_lazy("first policy %(policy)s issued %(day)s, less than %(months)s months ago"),
    "policy_added": gettext_lazy("policy %(policy)s added %(day)s, less than %(months)s months ago"),
    "mature": gettext_lazy("customer since %(day)s, no policy added in the last %(months)s months, nothing at risk"),
}
MONEY = frozenset({"amount", "cover", "needed", "gap", "base", "threshold"})


def _money(text) -> str:
    try:
        return f"{Decimal(str(text)):,.2f}"
    except InvalidOperation:
        return str(text)


def reason_text(reason) -> str:
    """One stored reason as a sentence in the active language."""
    if not isinstance(reason, dict):
        return str(reason)
    label = LABELS.get(str(reason.get("code")))
    if label is None:
        return str(reason.get("code", ""))
    tiers, statuses = dict(CustomerSegment.Tier.choices), STATUS_LABELS
    params = {}
    for name, value in reason.items():
        if name in MONEY:
            value = _money(value)
        elif name == "tier":
            value = tiers.get(value, value)
        elif name == "status":
            value = statuses.get(value, value)
        params[name] = value
    return str(label) % params


def reasons_text(reasons: dict) -> dict[str, list[str]]:
    """Stored reasons by component ({"tier": [...], "stage": [...]} or the value's) in words."""
    return {component: [reason_text(r) for r in items] for component, items in (reasons or {}).items()}
