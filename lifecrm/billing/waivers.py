"""Billing follows a waiver of premium: a policy put into `premium_waived` (claims, for a waiver-of-premium rider)
keeps no premium open that falls due on or after the waiver's effective date.

Registered with policies (`register_transition_listener`), so policies never imports billing; it runs inside the
status change's transaction. The premiums cancelled are the open ones not paid at all (a premium partly paid keeps
its money and stays for the desk to refund or settle) and not in a direct debit in flight (a collection sent to the
bank, not yet answered: its result decides it). Their SMS and e-mail reminders the outbox has not sent yet are
withdrawn; the reminder ladder looks at open premiums only.
"""
from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef

from lifecrm.billing.models import Collection, DueItem
from lifecrm.billing.services import reminder_messages_withdraw
from lifecrm.core.services import audit_record
from lifecrm.policies.rules import Status
from lifecrm.policies.services import StatusChange, register_transition_listener


@register_transition_listener
def dues_cancel_on_waiver(*, actor, changes: list[StatusChange], as_of: date) -> None:
    for change in changes:
        if change.to_status != Status.PREMIUM_WAIVED:
            continue
        in_flight = Collection.objects.filter(due_item=OuterRef("pk"), status=Collection.Status.SENT)
        items = list(DueItem.objects.select_for_update().filter(
            policy_id=change.policy_id, kind=DueItem.Kind.PREMIUM, status=DueItem.Status.OPEN, paid_amount=0,
            due_date__gte=change.effective_date,
        ).exclude(Exists(in_flight)).order_by("due_date").values_list("pk", "instalment", "due_date"))
        if not items:
            continue
        DueItem.objects.filter(pk__in=[pk for pk, _n, _d in items]).update(status=DueItem.Status.CANCELLED)
        reminder_messages_withdraw([pk for pk, _n, _d in items],
                                   reason=f"premium waived from {change.effective_date}")
        audit_record(actor=actor, action="update", object_type="policies.policy", object_id=change.policy_id,
                     purpose="premiums cancelled: premium waived",
                     before={"open premiums": [f"{n} {d}" for _pk, n, d in items]},
                     after={"cancelled": len(items), "waived from": str(change.effective_date)})
