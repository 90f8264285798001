"""Reads of renewal collection: the grace rules of a policy, open items, suspense balances, a policy's billing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Max, Q, Subquery, Sum

from lifecrm.billing.debits.rules import DEBIT_RETURN_DAYS
from lifecrm.billing.models import (
    Allocation,
    Collection,
    DueItem,
    LedgerOpening,
    Payment,
    Reminder,
    SuspenseAccount,
)
from lifecrm.billing.rules import TAKES_PREMIUMS, GraceRules
from lifecrm.core.money import to_cents
from lifecrm.core.selectors import RuleNotDefined, jurisdiction_rule
from lifecrm.org.rules import DataScope
from lifecrm.policies import cash_values, loans
from lifecrm.policies.models import Policy, PolicyVersion
from lifecrm.policies.rules import Status
from lifecrm.policies.selectors import policies_in_scope
from lifecrm.products.selectors import ProductTableLookupError

DEMAND_BASED_KEYS = {"CN": "grace_period_after_demand", "TW": "grace_period"}


def _optional(code: str, key: str):
    try:
        return jurisdiction_rule(code, key)
    except RuleNotDefined:
        return None


def grace_rules_for(*, jurisdiction: str, grace_basis: str, premium_mode: str) -> GraceRules:
    """The grace and reinstatement rules of a policy: its jurisdiction's rows and its product's option.

    TW counts from the demand's arrival (Insurance Act Art. 116) except for monthly and quarterly
    modes, whose model clauses count 30 days from the due date without a demand.
    """
    demand_based = grace_basis == "demand" or jurisdiction == "TW"
    if jurisdiction == "TW" and premium_mode in {"monthly", "quarterly"}:
        grace, demand_based = jurisdiction_rule("TW", "grace_period_without_demand"), False
    elif demand_based:
        grace = jurisdiction_rule(jurisdiction, DEMAND_BASED_KEYS.get(jurisdiction, "grace_period"))
    else:
        grace = jurisdiction_rule(jurisdiction, "grace_period")
    return GraceRules(
        grace=grace,
        reinstatement_window=jurisdiction_rule(jurisdiction, "reinstatement_window"),
        suspension_notice=_optional(jurisdiction, "suspension_notice"),
        deemed_consent=_optional(jurisdiction, "reinstatement_deemed_consent"),
        automatic_reinstatement=_optional(jurisdiction, "automatic_reinstatement"),
        demand_based=demand_based,
    )


def suspense_balance(*, policy_id: int) -> Decimal:
    """Money received for the policy and not (yet) applied to a due item."""
    received = Payment.objects.filter(policy_id=policy_id).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    applied = Allocation.objects.filter(payment__policy_id=policy_id).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    return to_cents(received - applied)  # SQLite sums decimals without their places


@dataclass(frozen=True)
class Refundable:
    """What of the suspense balance may be paid back on a date, and what the debit return window holds."""

    balance: Decimal
    held: Decimal  # direct-debit money the payer's bank can still claim back
    held_until: date | None  # the last day of the latest such debit's return window

    @property
    def now(self) -> Decimal:
        return self.balance - self.held


def refundable_suspense(*, policy_id: int, as_of: date) -> Refundable:
    """The suspense balance less the direct debits of the last DEBIT_RETURN_DAYS days not reversed (money the
    payer's bank can still take back), never less than nothing."""
    balance = suspense_balance(policy_id=policy_id)
    recent = (Payment.objects.filter(policy_id=policy_id, method=Payment.Method.AUTO_DEBIT, amount__gt=0,
                                     reversed_by__isnull=True,
                                     received_on__gte=as_of - timedelta(days=DEBIT_RETURN_DAYS))
              .aggregate(total=Sum("amount"), last=Max("received_on")))
    held = min(max(balance, Decimal("0.00")), to_cents(recent["total"] or Decimal(0)))
    until = recent["last"] + timedelta(days=DEBIT_RETURN_DAYS) if held > 0 else None
    return Refundable(balance, held, until)


def to_recover_from_payer(*, policy_id: int) -> Decimal:
    """What the policy's payer owes back (its negative suspense balance, from its SuspenseAccount), else 0."""
    balance = SuspenseAccount.objects.filter(pk=policy_id).values_list("balance", flat=True).first()
    return max(-(balance or Decimal("0.00")), Decimal("0.00"))


def ledger_opening_subquery() -> Subquery:
    """The day the premium ledger opened (premiums due before it have no due item or payment; NULL if not recorded),
    as a subquery to annotate a policy with: no query of its own."""
    return Subquery(LedgerOpening.objects.order_by("opened_on").values("opened_on")[:1])


SUSPENSE_LIST_LIMIT = 200
"""At most this many policies per list of the suspense page (the longest waiting first)."""


@dataclass(frozen=True)
class SuspenseRow:
    account: SuspenseAccount  # with its policy, the policy's payer and branch

    @property
    def amount(self) -> Decimal:
        """What waits, or what is to recover: the balance without its sign."""
        return abs(self.account.balance)

    @property
    def to_refund(self) -> bool:
        """Money for a policy that takes no premium any more: it can only go back to the payer."""
        return self.account.balance > 0 and self.account.policy.status not in TAKES_PREMIUMS


@dataclass(frozen=True)
class SuspenseTotal:
    currency: str
    policies: int
    amount: Decimal  # without its sign, like SuspenseRow.amount


@dataclass(frozen=True)
class SuspenseWorkList:
    """Money in suspense in a data scope: what to recover from payers (negative balances) and what waits
    (positive: paid ahead, or to refund), each the longest waiting first, with their totals per currency."""

    to_recover: list[SuspenseRow]
    waiting: list[SuspenseRow]
    recover_totals: list[SuspenseTotal]
    waiting_totals: list[SuspenseTotal]

    @property
    def recover_count(self) -> int:
        return sum(t.policies for t in self.recover_totals)

    @property
    def waiting_count(self) -> int:
        return sum(t.policies for t in self.waiting_totals)


def suspense_work_list(*, scope: DataScope) -> SuspenseWorkList:
    """The scope's policies with money in suspense (three queries, whatever the number of rows)."""
    accounts = SuspenseAccount.objects.filter(policy__in=policies_in_scope(scope).values("pk"))
    rows = accounts.select_related("policy__payer", "policy__branch").order_by("since", "policy_id")
    totals = {(negative, currency): SuspenseTotal(currency, n, abs(to_cents(amount))) for negative, currency, n, amount in (
        accounts.order_by().annotate(negative=Q(balance__lt=0)).values_list("negative", "currency")
        .annotate(n=Count("pk"), amount=Sum("balance")).order_by("negative", "currency"))}
    return SuspenseWorkList(
        to_recover=[SuspenseRow(a) for a in rows.filter(balance__lt=0)[:SUSPENSE_LIST_LIMIT]],
        waiting=[SuspenseRow(a) for a in rows.filter(balance__gt=0)[:SUSPENSE_LIST_LIMIT]],
        recover_totals=[t for (negative, _), t in totals.items() if negative],
        waiting_totals=[t for (negative, _), t in totals.items() if not negative],
    )


def open_due_items(*, policy_id: int):
    return DueItem.objects.filter(policy_id=policy_id, status=DueItem.Status.OPEN).order_by("instalment")


@dataclass(frozen=True)
class AplCapacity:
    """How much an automatic premium loan could pay on a date, and why not when it cannot."""

    available: Decimal
    cash_value: Decimal
    outstanding_loans: Decimal
    reason: str = ""


def apl_capacity(*, policy, on: date, policy_loans: list[loans.Loan] | None = None) -> AplCapacity:
    """The product's loan limit on the cash value at the exact duration (`policies.cash_values`, as servicing's
    loans and surrenders), less everything owed on the policy's loans on `on`: servicing's policy loans and the
    automatic premium loans already made, with their interest (one ledger: `policies.loans`). `policy_loans`: the
    policy's open loans when the caller batch-read them (`loans.loans_by_policy`), else they are read here."""
    version = policy.versions.get(effective_to__isnull=True)
    zero = Decimal("0.00")
    if not version.apl_opt_in:
        return AplCapacity(zero, zero, zero, "the owner has not opted in to automatic premium loans")
    try:
        value = cash_values.cash_value(policy=policy, on=on, sum_assured=version.sum_assured)
    except ProductTableLookupError as exc:
        return AplCapacity(zero, zero, zero, f"no cash value: {exc}")
    if policy_loans is None:
        policy_loans = loans.loans_by_policy([policy.pk]).get(policy.pk, [])
    owed = loans.position(policy_loans, on).owed
    available = loans.loan_maximum(cash_value=value, loan_limit_percent=policy.product.loan_limit_pct,
                                   outstanding=owed)
    return AplCapacity(available, value, owed, "" if available > 0 else "the cash value does not cover a loan")


def policy_arrears(*, policy: Policy, as_of: date) -> Decimal:
    """What the policy owes on the business date: open items due by then (none once it takes no premium), and
    money to recover from the payer (a negative suspense balance: the payment clears it first), two queries."""
    to_recover = to_recover_from_payer(policy_id=policy.pk)
    if policy.status not in TAKES_PREMIUMS:
        return to_recover
    total = (DueItem.objects.filter(policy_id=policy.pk, status=DueItem.Status.OPEN, due_date__lte=as_of)
             .aggregate(s=Sum("amount"), p=Sum("paid_amount")))
    return (total["s"] or Decimal("0.00")) - (total["p"] or Decimal("0.00")) + to_recover


def payment_ahead_limit(*, policy: Policy, as_of: date) -> Decimal:
    """The most staff may book for the policy without a senior colleague's confirmation: what it owes on the
    business date plus `LIFECRM_PAYMENT_AHEAD_PREMIUMS` of its modal premiums."""
    modal = (PolicyVersion.objects.filter(policy_id=policy.pk, effective_to__isnull=True)
             .values_list("modal_premium", flat=True).first()) or Decimal("0.00")
    return policy_arrears(policy=policy, as_of=as_of) + settings.LIFECRM_PAYMENT_AHEAD_PREMIUMS * modal


# --- what the customer value engine reads (issue 15 §3, §4): unscoped, for the batch ----------------------------
def premiums_paid_by_policy(*, policy_ids, as_of: date) -> dict[int, Decimal]:
    """Premiums paid to date per policy: the allocations to premium due items of the payments received by `as_of`
    (a reversal's negative allocations taken off; interest on arrears is not premium). Premiums taken over as a
    count when the ledger opened (`LedgerOpening`) have no rows and are not included. One query."""
    rows = (Allocation.objects.filter(due_item__policy_id__in=list(policy_ids), due_item__kind=DueItem.Kind.PREMIUM,
                                      payment__received_on__lte=as_of)
            .values("due_item__policy_id").annotate(total=Sum("amount")).order_by()
            .values_list("due_item__policy_id", "total"))
    # (SQLite sums decimals as floats: back to the cent.)
    return {policy_id: to_cents(Decimal(str(total))) for policy_id, total in rows if total}


def policy_ids_with_debits_rejected_on(*, as_of: date):
    """Ids of the policies a direct debit of which the bank reported rejected on `as_of` (the rejected
    collections' result-day index)."""
    return (Collection.objects.filter(status=Collection.Status.REJECTED, result_on=as_of)
            .values_list("due_item__policy_id", flat=True).distinct())


def rejected_debits_by_policy(*, policy_ids, since: date, as_of: date) -> dict[int, list[date]]:
    """The days (after `since`, up to `as_of`) the bank rejected a direct debit of each policy. One query."""
    out: dict[int, list[date]] = {}
    for policy_id, day in (Collection.objects.filter(due_item__policy_id__in=list(policy_ids),
                                                     status=Collection.Status.REJECTED, result_on__gt=since,
                                                     result_on__lte=as_of)
                           .order_by("result_on", "pk").values_list("due_item__policy_id", "result_on")):
        out.setdefault(policy_id, []).append(day)
    return out


# -- what the lapse-risk model (value.lapse) reads of the premium ledger, in bulk ----------------------------

def premium_history(*, first_id: int, last_id: int, until: date) -> list[tuple[int, date, date | None]]:
    """(policy id, due date, paid on or None) of the premiums of the policies of [first_id, last_id] due by
    `until` (cancelled ones left out), by policy and due date. One query."""
    return list(DueItem.objects.filter(policy_id__gte=first_id, policy_id__lte=last_id, kind=DueItem.Kind.PREMIUM,
                                       due_date__lte=until)
                .exclude(status=DueItem.Status.CANCELLED)
                .order_by("policy_id", "due_date").values_list("policy_id", "due_date", "paid_on"))


def rejected_debits(*, first_id: int, last_id: int, until: date) -> list[tuple[int, date]]:
    """(policy id, result date) of each direct debit the payer's bank rejected, of the policies of
    [first_id, last_id], by `until`. One query."""
    from lifecrm.billing.models import Collection

    return list(Collection.objects.filter(due_item__policy_id__gte=first_id, due_item__policy_id__lte=last_id,
                                          status=Collection.Status.REJECTED, result_on__lte=until)
                .order_by("due_item__policy_id", "result_on").values_list("due_item__policy_id", "result_on"))


def ledger_opened_on() -> date | None:
    """The day the premium ledger opened (LedgerOpening), or None (one query)."""
    return LedgerOpening.objects.order_by("opened_on").values_list("opened_on", flat=True).first()


# -- the home pages: a counter's receipts of the day, the managers' figures ------------------------------------

RECEIPTS_LIMIT = 10
"""At most this many of the day's receipts on a counter clerk's home page (the newest first)."""


@dataclass(frozen=True)
class DayReceipts:
    payments: list[Payment]  # the newest first, at most the limit asked for
    count: int


def receipts_of_the_day(*, scope: DataScope, unit_path: str, on: date, limit: int = RECEIPTS_LIMIT) -> DayReceipts:
    """The payments staff of the unit at `unit_path` (and below) took on `on`, on policies of the scope (not the
    reversals), the newest first: two queries (the list, and its count when the list is cut)."""
    rows = (Payment.objects.filter(received_on=on, reverses__isnull=True, booked_by__org_unit__path__startswith=unit_path,
                                   policy__in=policies_in_scope(scope).values("pk")))
    listed = list(rows.select_related("policy__payer", "booked_by").order_by("-booked_at", "-id")[:limit])
    return DayReceipts(listed, len(listed) if len(listed) < limit else rows.count())


@dataclass(frozen=True)
class CollectionFigures:
    tasks_open: int
    tasks_overdue: int  # scheduled before the business date and still open
    in_grace: int
    receipts: int  # payments received on the business date (not the reversals)


def collection_figures(*, scope: DataScope, prefixes: list[str], as_of: date) -> dict[str, CollectionFigures]:
    """For each unit path in `prefixes` (a branch, or the manager's unit), the open renewal phone tasks, those of
    them overdue, the policies in grace and the day's receipts on the scope's policies booked under it: three
    queries, whatever the number of units."""
    if not prefixes:
        return {}
    scoped = policies_in_scope(scope).values("pk")
    tasks, grace, receipts = {}, {}, {}
    for i, prefix in enumerate(prefixes):
        under = Q(due_item__policy__branch_path__startswith=prefix)
        tasks[f"open_{i}"] = Count("pk", filter=under)
        tasks[f"late_{i}"] = Count("pk", filter=under & Q(scheduled_for__lt=as_of))
        grace[f"n_{i}"] = Count("pk", filter=Q(branch_path__startswith=prefix))
        receipts[f"n_{i}"] = Count("pk", filter=Q(policy__branch_path__startswith=prefix))
    t = Reminder.objects.filter(status=Reminder.Status.TASK_OPEN, due_item__policy__in=scoped).aggregate(**tasks)
    g = policies_in_scope(scope).filter(status=Status.GRACE).aggregate(**grace)
    r = Payment.objects.filter(received_on=as_of, reverses__isnull=True, policy__in=scoped).aggregate(**receipts)
    return {prefix: CollectionFigures(t[f"open_{i}"], t[f"late_{i}"], g[f"n_{i}"], r[f"n_{i}"])
            for i, prefix in enumerate(prefixes)}
