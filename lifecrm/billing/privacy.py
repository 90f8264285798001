"""What billing holds about a customer (`core.privacy`): payments on the policies they own or pay, their
direct-debit mandates (the account masked), reminders and renewal tasks addressed to them. Anonymising
overwrites the account holder, account number and reminder recipients; payments and their amounts stay."""
from __future__ import annotations

from typing import Any

from django.db.models import Q

from lifecrm.billing.models import DebitMandate, Payment, Reminder
from lifecrm.core.privacy import ANONYMISED_NAME, register_anonymiser, register_personal_data
from lifecrm.notifications.models import Letter
from lifecrm.policies.models import Policy


def _policy_ids(customer_id: int) -> list[int]:
    return list(Policy.objects.filter(Q(owner_id=customer_id) | Q(payer_id=customer_id)).values_list("pk", flat=True))


def _paid_policy_ids(customer_id: int) -> list[int]:
    return list(Policy.objects.filter(payer_id=customer_id).values_list("pk", flat=True))


@register_personal_data("payments")
def payments_section(customer_id: int) -> list[dict[str, Any]]:
    return list(Payment.objects.filter(policy_id__in=_policy_ids(customer_id)).order_by("received_on", "pk")
                .values("receipt_no", "policy__number", "amount", "currency", "method", "received_on", "note"))


@register_personal_data("direct_debit_mandates")
def mandates_section(customer_id: int) -> list[dict[str, Any]]:
    return list(DebitMandate.objects.filter(policy_id__in=_paid_policy_ids(customer_id)).order_by("signed_on", "pk")
                .values("reference", "policy__number", "debtor_name", "bank_name", "account_last4", "signed_on",
                        "cancelled_on"))


@register_personal_data("reminders_and_tasks")
def reminders_section(customer_id: int) -> list[dict[str, Any]]:
    return list(Reminder.objects.filter(due_item__policy_id__in=_policy_ids(customer_id))
                .order_by("scheduled_for", "pk")
                .values("due_item__policy__number", "due_item__due_date", "channel", "status", "scheduled_for",
                        "done_on", "recipient", "outcome"))


@register_anonymiser("billing")
def anonymise_billing(customer_id: int, as_of) -> int:
    paid = _paid_policy_ids(customer_id)
    changed = 0
    for mandate in DebitMandate.objects.filter(policy_id__in=paid):
        mandate.debtor_name, mandate.account_number, mandate.account_last4 = ANONYMISED_NAME, "", ""
        mandate.save(update_fields=["debtor_name", "account_number", "account_last4"])
        changed += 1
    reminders = Reminder.objects.filter(due_item__policy_id__in=_policy_ids(customer_id))
    changed += Letter.objects.filter(reminder__in=reminders).update(html="")
    changed += reminders.exclude(recipient="", detail="").update(recipient="", detail="")
    return changed
