"""The daily reconciliation of the premium ledger (billing.reconcile_ledger): its invariants, checked by policy range.

- each policy's SuspenseAccount row is its ledger's balance, payments less allocations (no row at zero);
- each due item's paid amount is the sum of its allocations, never above its amount nor below zero;
- a due item is paid exactly when its paid amount reaches its amount (cancelled ones aside);
- no payment is applied beyond its amount.
A difference is recorded as a LedgerDifference row of the day (a rerun rewrites the day's rows of its range) and
shown on the head office's collection dashboard: the ledger is append-only and the copies are kept by the booking
services, so any row here is a bug or a hand-made change to investigate, not something to correct automatically.

Every policy is checked on the full-pass day (LIFECRM_RECONCILE_FULL_WEEKDAY, default Sunday) and on the first run;
on the other days only the policies whose ledger moved since the last finished reconciliation (`touched_policy_ids`)
and those it found a difference in (so a difference stays shown until it is repaired). A change made behind the
services' back to a policy nobody books for is found by the next full pass.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, DecimalField, F, Q, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce

from lifecrm.billing.models import Allocation, DueItem, LedgerDifference, Payment, SuspenseAccount
from lifecrm.core.jobs import chunked_step, planned_ids, register_daily_step
from lifecrm.core.models import JobRun
from lifecrm.policies.models import Policy

ZERO = Decimal("0.00")
STEP = "billing.reconcile_ledger"
# A booking records its moment (booked_at) before its transaction commits, possibly after the previous
# reconciliation read the ledger: the incremental days re-read what was booked this long before it began.
BOOKING_MARGIN = timedelta(hours=1)


def _allocated(path: str):
    return Coalesce(Sum(path), Value(ZERO), output_field=DecimalField(max_digits=20, decimal_places=2))


def ledger_differences_find(*, as_of: date, first_id: int, last_id: int,
                            only: list[int] | None = None) -> list[LedgerDifference]:
    """The differences of the policies [first_id, last_id] (of those among `only`, when given): unsaved rows."""
    found: list[LedgerDifference] = []

    def add(check, policy_id, object_id, expected, actual, detail=""):
        found.append(LedgerDifference(as_of=as_of, kind=check, policy_id=policy_id, object_id=object_id,
                                      expected=expected, found=actual, detail=detail[:200]))

    in_range = {"policy_id__gte": first_id, "policy_id__lte": last_id} | (
        {} if only is None else {"policy_id__any": only})
    received = dict(Payment.objects.filter(**in_range).order_by().values_list("policy_id").annotate(s=Sum("amount")))
    applied = dict(Allocation.objects.filter(**{f"payment__{key}": value for key, value in in_range.items()})
                   .order_by().values_list("payment__policy_id").annotate(s=Sum("amount")))
    accounts = dict(SuspenseAccount.objects.filter(**in_range).values_list("policy_id", "balance"))
    for policy_id in sorted(received.keys() | accounts.keys()):
        ledger = (received.get(policy_id) or ZERO) - (applied.get(policy_id) or ZERO)
        kept = accounts.get(policy_id, ZERO)
        if ledger != kept:
            add(LedgerDifference.Check.SUSPENSE, policy_id, policy_id, ledger, kept,
                "payments less allocations" if policy_id in accounts else "no suspense account row")

    items = (DueItem.objects.filter(**in_range).order_by().annotate(allocated=_allocated("allocations__amount"))
             .filter(~Q(paid_amount=F("allocated")) | Q(allocated__gt=F("amount")) | Q(paid_amount__gt=F("amount"))
                     | Q(paid_amount__lt=0)
                     | Q(status=DueItem.Status.PAID, paid_amount__lt=F("amount"))
                     | Q(status=DueItem.Status.OPEN, paid_amount__gte=F("amount")))
             .values_list("pk", "policy_id", "amount", "paid_amount", "allocated", "status", "instalment"))
    for pk, policy_id, amount, paid, allocated, status, instalment in items:
        label = f"due item {pk} (instalment {instalment})"
        if paid != allocated:
            add(LedgerDifference.Check.ALLOCATED, policy_id, pk, allocated, paid, f"{label}: allocations / paid")
        if max(paid, allocated) > amount or paid < 0:
            add(LedgerDifference.Check.OVER_DUE, policy_id, pk, amount, max(paid, allocated),
                f"{label}: amount due / paid")
        if (status == DueItem.Status.PAID) != (paid >= amount) and status != DueItem.Status.CANCELLED:
            add(LedgerDifference.Check.STATUS, policy_id, pk, amount, paid, f"{label} is {status}")

    payments = (Payment.objects.filter(**in_range, amount__gt=0).order_by()
                .annotate(allocated=_allocated("allocations__amount")).filter(allocated__gt=F("amount"))
                .values_list("pk", "policy_id", "amount", "allocated", "receipt_no"))
    for pk, policy_id, amount, allocated, receipt_no in payments:
        add(LedgerDifference.Check.OVER_PAYMENT, policy_id, pk, amount, allocated, f"payment {receipt_no}")
    return found


def ledger_reconcile(*, as_of: date, first_id: int, last_id: int, only: list[int] | None = None) -> int:
    """Record the day's differences of the policies [first_id, last_id] (of those among `only`, when given),
    replacing those a previous run of the day recorded for them. Returns how many there are."""
    differences = ledger_differences_find(as_of=as_of, first_id=first_id, last_id=last_id, only=only)
    with transaction.atomic():
        LedgerDifference.objects.filter(as_of=as_of, policy_id__gte=first_id, policy_id__lte=last_id,
                                        **({} if only is None else {"policy_id__any": only})).delete()
        LedgerDifference.objects.bulk_create(differences, batch_size=1000)
    return len(differences)


def previous_reconciliation(as_of: date) -> JobRun | None:
    """The latest finished reconciliation before `as_of`, if any."""
    return (JobRun.objects.filter(step=STEP, status=JobRun.Status.DONE, as_of__lt=as_of).order_by("-as_of")
            .only("as_of", "started_at").first())


def is_full_pass(as_of: date, previous: JobRun | None) -> bool:
    """Whether the reconciliation of `as_of` checks every policy: on the full-pass weekday, or with no earlier one."""
    return previous is None or as_of.weekday() == settings.LIFECRM_RECONCILE_FULL_WEEKDAY


def touched_policy_ids(*, since_day: date, since: datetime) -> list[int]:
    """The policies (ascending) whose ledger moved since the reconciliation of `since_day`, which began at `since`:
    payments and allocations booked from `since` less BOOKING_MARGIN, due items raised and suspense balances set on
    or after `since_day`; with the policies that reconciliation found a difference in. One query on indexes."""
    booked = since - BOOKING_MARGIN
    parts = [Payment.objects.filter(booked_at__gte=booked).values_list("policy_id"),
             Allocation.objects.filter(booked_at__gte=booked).values_list("payment__policy_id"),
             DueItem.objects.filter(raised_on__gte=since_day).values_list("policy_id"),
             SuspenseAccount.objects.filter(since__gte=since_day).values_list("policy_id"),
             LedgerDifference.objects.filter(as_of=since_day).values_list("policy_id")]
    first, *others = (part.order_by() for part in parts)
    return sorted(policy_id for (policy_id,) in first.union(*others))


def reconciled_policy_ids(as_of: date):
    """The policies the reconciliation of `as_of` checks: all of them on a full pass, else those touched since."""
    previous = previous_reconciliation(as_of)
    if is_full_pass(as_of, previous):
        return Policy.objects.order_by("pk").values_list("pk", flat=True)
    return touched_policy_ids(since_day=previous.as_of, since=previous.started_at)


@chunked_step(STEP, ids=reconciled_policy_ids, chunk_size=20000, keep_ids=True)
def reconcile_ledger(as_of: date, first_id: int, last_id: int) -> int:
    """Check the premium ledger's invariants (suspense accounts, allocations, due amounts) and record differences:
    every policy on the full-pass weekday, else those whose ledger moved since the last reconciliation."""
    # A full pass reads its whole range (no list of ids to match); an incremental day only its planned policies.
    only = None if is_full_pass(as_of, previous_reconciliation(as_of)) else planned_ids()
    return ledger_reconcile(as_of=as_of, first_id=first_id, last_id=last_id, only=only)


# After every step of the day that books money or changes due items (the suspense applied, premium loans at the
# end of grace, reinstatements, the debit export) and the reminder ladder.
register_daily_step(reconcile_ledger, after=("billing.lapse", "billing.debit_export", "billing.reminders"))


SHOWN_DIFFERENCES = 20


def latest_ledger_differences(limit: int = SHOWN_DIFFERENCES) -> list[LedgerDifference]:
    """The first `limit` differences found by the latest finished reconciliation (none if it was clean), each
    annotated with `total`, how many it found: one query."""
    latest = (JobRun.objects.filter(step=STEP, status=JobRun.Status.DONE).order_by("-as_of").values("as_of")[:1])
    return list(LedgerDifference.objects.filter(as_of=Subquery(latest)).select_related("policy")
                .annotate(total=Window(Count("pk"))).order_by("policy__number", "kind", "object_id")[:limit])
