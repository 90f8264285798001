"""Writes of renewal collection: raise due items, take payments (allocation, suspense), reverse them."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from lifecrm.billing import rules
from lifecrm.billing.models import Allocation, DueItem, Payment
from lifecrm.billing.selectors import open_due_items, suspense_balance
from lifecrm.core.money import to_cents
from lifecrm.core.services import audit_record
from lifecrm.policies.models import Policy, PolicyVersion
from lifecrm.policies.rules import PREMIUM_PAYING, Status, due_date
from lifecrm.policies.services import policy_transition

# Due items are raised this many days before they fall due, so reminders can go out ahead.
DUE_ITEM_LEAD_DAYS = 45


class PaymentRefused(ValueError):
    pass


class DuplicatePayment(PaymentRefused):
    pass


def due_items_raise(*, as_of: date, first_id: int, last_id: int) -> int:
    """Raise every instalment falling due up to as_of + lead for premium-paying policies in [first_id, last_id].

    Idempotent: (policy, instalment) is unique and existing items are skipped.
    """
    horizon = date.fromordinal(as_of.toordinal() + DUE_ITEM_LEAD_DAYS)
    policies = list(
        Policy.objects.filter(pk__range=(first_id, last_id), status__in=PREMIUM_PAYING)
        .values_list("pk", "issue_date", "premium_term_years", "paid_instalments", "currency")
    )
    if not policies:
        return 0
    ids = [p[0] for p in policies]
    versions = {
        v.policy_id: v
        for v in PolicyVersion.objects.filter(policy_id__in=ids, effective_to__isnull=True).only(
            "policy_id", "premium_mode", "modal_premium"
        )
    }
    highest = dict(
        DueItem.objects.filter(policy_id__in=ids).values_list("policy_id").annotate(m=Max("instalment"))
    )
    new_items = []
    for pk, issue_date, premium_term_years, paid_instalments, currency in policies:
        version = versions[pk]
        start = max(paid_instalments, (highest.get(pk, -1) + 1))
        for item in rules.premium_schedule(
            issue_date=issue_date, mode=version.premium_mode, premium_term_years=premium_term_years,
            start=due_date(issue_date, version.premium_mode, start), end=horizon,
        ):
            new_items.append(DueItem(policy_id=pk, instalment=item.instalment, due_date=item.due_date,
                                     amount=version.modal_premium, currency=currency, raised_on=as_of))
    DueItem.objects.bulk_create(new_items, batch_size=2000)
    return len(new_items)


def _next_receipt_no(received_on: date) -> str:
    last = Payment.objects.filter(receipt_no__startswith=f"R{received_on:%Y%m%d}").order_by("-receipt_no").first()
    serial = int(last.receipt_no[9:]) + 1 if last else 1
    return f"R{received_on:%Y%m%d}{serial:07d}"


def _allocate(payment: Payment, policy: Policy, as_of: date) -> Decimal:
    """Apply the policy's suspense to its open items, oldest first. Returns what stays in suspense."""
    available = suspense_balance(policy_id=policy.pk)
    now = timezone.now()
    for item in open_due_items(policy_id=policy.pk).select_for_update():
        if available <= 0 or item.due_date > date.fromordinal(as_of.toordinal() + DUE_ITEM_LEAD_DAYS):
            break
        applied = min(available, item.outstanding)
        Allocation.objects.create(payment=payment, due_item=item, amount=applied, booked_at=now)
        available -= applied
        item.paid_amount += applied
        if item.paid_amount >= item.amount:
            item.status, item.paid_on = DueItem.Status.PAID, payment.received_on
            Policy.objects.filter(pk=policy.pk, paid_instalments=item.instalment).update(
                paid_instalments=F("paid_instalments") + 1, paid_to_date=_paid_to(policy, item.instalment + 1),
            )
        item.save(update_fields=["paid_amount", "status", "paid_on"])
    return available


def _paid_to(policy: Policy, paid_instalments: int) -> date:
    mode = policy.versions.get(effective_to__isnull=True).premium_mode
    return due_date(policy.issue_date, mode, paid_instalments)


def payment_record(*, actor, policy_id: int, amount: Decimal, method: str, received_on: date, natural_key: str,
                   as_of: date, booked_by=None, note: str = "") -> Payment:
    """Book a payment, apply it to the oldest open premiums, keep the rest in suspense.

    A policy in grace whose arrears are all paid is in force again from the payment date.
    """
    amount = to_cents(Decimal(amount))
    if amount <= 0:
        raise PaymentRefused("a payment must be a positive amount")
    if received_on > as_of:
        raise PaymentRefused("a payment cannot be received after the business date")
    if not natural_key.strip():
        raise PaymentRefused("a payment needs its source reference")
    try:
        with transaction.atomic():
            policy = Policy.objects.select_for_update().get(pk=policy_id)
            if policy.status not in PREMIUM_PAYING:
                raise PaymentRefused(f"policy {policy.number} is {policy.status}: it takes no premium")
            payment = Payment.objects.create(
                receipt_no=_next_receipt_no(received_on), natural_key=natural_key.strip(), policy=policy,
                amount=amount, currency=policy.currency, method=method, received_on=received_on,
                booked_at=timezone.now(), booked_by=booked_by, note=note,
            )
            _allocate(payment, policy, as_of)
            audit_record(actor=actor, action="create", object_type="billing.payment", object_id=payment.pk,
                         after={"policy": policy.number, "amount": str(amount), "method": method})
            _back_in_force_if_clear(actor=actor, policy_id=policy.pk, on=received_on, as_of=as_of)
    except IntegrityError as exc:
        if Payment.objects.filter(natural_key=natural_key.strip()).exists():
            raise DuplicatePayment(f"the payment {natural_key} is already booked") from exc
        raise
    return payment


def _back_in_force_if_clear(*, actor, policy_id: int, on: date, as_of: date) -> None:
    policy = Policy.objects.get(pk=policy_id)
    if policy.status != Status.GRACE:
        return
    overdue = DueItem.objects.filter(policy_id=policy_id, status=DueItem.Status.OPEN, due_date__lt=on).exists()
    if not overdue:
        policy_transition(actor=actor, policy_id=policy_id, to_status=Status.IN_FORCE, effective_date=on,
                          as_of=as_of, kind="premium_paid", reason="arrears paid in the grace period")
