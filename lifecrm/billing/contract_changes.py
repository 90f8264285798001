"""Billing's dues follow the policy's contract changes (issue 17): a new version with another modal premium or
premium mode (servicing's sum-assured decrease or premium mode change) regenerates the unpaid premiums due from
its effective date. Registered with policies (`register_version_listener`), so policies never imports billing;
it runs inside the new version's transaction (a refusal here refuses the change).

- Same mode, new premium: the unpaid open premiums due on or after the effective date take the new amount (their
  instalments and due dates stay); a premium partly or fully paid is untouched.
- A new mode: the premiums not paid yet are counted again in the new mode from the paid-to date. When the paid-to
  date is a due date of the new mode, the next premium is simply the new mode's; otherwise one premium bridges the
  paid-to date to the new mode's next due date (the old mode's premiums falling in between). Refused while
  premiums due before the change are unpaid, or while a premium due after it has a direct debit or a reminder out
  (its notice already quoted it): the owner settles first.
"""
from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils.translation import gettext as _

from lifecrm.billing.models import DueItem
from lifecrm.billing.services import due_items_raise
from lifecrm.core.money import to_cents
from lifecrm.core.services import audit_record
from lifecrm.policies.models import Policy, PolicyVersion
from lifecrm.policies.rules import PREMIUM_PAYING, due_date
from lifecrm.policies.services import policy_record_paid, register_version_listener


class DuesRefused(ValueError):
    """A contract change billing's dues cannot follow now (the message says why and what to do)."""


def first_due_on_or_after(issue_date: date, mode: str, day: date) -> int:
    """The first instalment of `mode` due on or after `day`."""
    n = 0
    while due_date(issue_date, mode, n) < day:
        n += 1
    return n


@register_version_listener
def dues_follow_version(*, actor, policy: Policy, before: PolicyVersion, after: PolicyVersion, as_of: date) -> None:
    same_mode = before.premium_mode == after.premium_mode
    if (same_mode and before.modal_premium == after.modal_premium) or policy.status not in PREMIUM_PAYING:
        return
    premiums = DueItem.objects.filter(policy_id=policy.pk, kind=DueItem.Kind.PREMIUM, status=DueItem.Status.OPEN)
    unpaid_after = premiums.filter(due_date__gte=after.effective_from, paid_amount=0)
    if same_mode:
        changed = list(unpaid_after.values_list("instalment", flat=True))
        unpaid_after.update(amount=after.modal_premium)
        audit_record(actor=actor, action="update", object_type="policies.policy", object_id=policy.pk,
                     before={"premium": str(before.modal_premium)},
                     after={"premium": str(after.modal_premium), "instalments": changed})
        return
    arrears = premiums.filter(Q(due_date__lt=after.effective_from) | Q(paid_amount__gt=0)).order_by("due_date").first()
    if arrears is not None:
        raise DuesRefused(_("the premium due %(day)s is not paid: it is paid before the premium mode changes")
                          % {"day": arrears.due_date.isoformat()})
    out = unpaid_after.filter(Q(collections__isnull=False) | Q(reminders__isnull=False)).order_by("due_date").first()
    if out is not None:
        raise DuesRefused(_("the premium due %(day)s has a direct debit or a reminder out: the mode changes once "
                            "it is paid") % {"day": out.due_date.isoformat()})
    dropped = list(unpaid_after.values_list("instalment", "due_date"))
    unpaid_after.delete()
    policy = Policy.objects.get(pk=policy.pk)
    paid_to = policy.paid_to_date
    issue = policy.issue_date
    n0 = first_due_on_or_after(issue, after.premium_mode, paid_to)
    next_due = due_date(issue, after.premium_mode, n0)
    bridge = None
    if next_due == paid_to:
        paid_instalments = n0
    else:  # the old mode's premiums from the paid-to date up to the new mode's next due date, as one premium
        k = first_due_on_or_after(issue, before.premium_mode, paid_to)
        count = 0
        while due_date(issue, before.premium_mode, k + count) < next_due:
            count += 1
        paid_instalments = n0 - 1
        bridge = DueItem.objects.create(policy_id=policy.pk, kind=DueItem.Kind.PREMIUM, instalment=paid_instalments,
                                        due_date=paid_to, amount=to_cents(before.modal_premium * count),
                                        currency=policy.currency, raised_on=as_of)
    policy_record_paid(policy_id=policy.pk, paid_instalments=paid_instalments, paid_to_date=paid_to)
    audit_record(actor=actor, action="update", object_type="policies.policy", object_id=policy.pk,
                 before={"premium_mode": before.premium_mode, "paid_instalments": policy.paid_instalments,
                         "dropped": [f"{n} {d}" for n, d in dropped]},
                 after={"premium_mode": after.premium_mode, "paid_instalments": paid_instalments,
                        "bridge": None if bridge is None else str(bridge.amount)})
    due_items_raise(as_of=as_of, first_id=policy.pk, last_id=policy.pk, candidates=[policy.pk])
