"""What each collection page shows, assembled from the billing selectors in a fixed number of queries.

Every function takes the actor's data scope and the business date from the view; nothing here reads
the clock or the request, and the templates run no queries.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from lifecrm.banking.models import BankFile
from lifecrm.banking.reasons import reason_text
from lifecrm.banking.selectors import bank_files
from lifecrm.billing.debits.imports import ImportReport
from lifecrm.billing.debits.rules import returned_debit
from lifecrm.billing.debits.unanswered import unanswered
from lifecrm.billing.models import (
    Allocation,
    Collection,
    DueItem,
    DunningStep,
    Payment,
    ReinstatementApplication,
    Reminder,
)
from lifecrm.billing.persistency import persistency_overview
from lifecrm.billing.rules import TAKES_PREMIUMS
from lifecrm.billing.selectors import ledger_opening_subquery, suspense_balance
from lifecrm.billing.worklists import outcome_label
from lifecrm.core.rules import add_months
from lifecrm.org.models import OrgUnit
from lifecrm.org.rules import DataScope
from lifecrm.policies.models import STATUS_LABELS, Policy, PolicyEvent
from lifecrm.policies.rules import Status
from lifecrm.policies.selectors import policies_in_scope

TREND_MONTHS = 12
PERSISTENCY_MONTHS = 12

def reject_reason(code: str) -> str:
    """A rejected debit's reason on the bank-file pages (banking's labels; debits with no code say so)."""
    return reason_text(code) if code else str(_("no reason code"))


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return add_months(month_start(day), 1) - timedelta(days=1)


def last_months(as_of: date, count: int) -> tuple[date, date]:
    """The `count` calendar months that ended before the business date's month: (first day, first day)."""
    end = month_start(month_start(as_of) - timedelta(days=1))
    return add_months(end, 1 - count), end


def pct(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


@dataclass
class Amounts:
    """Money in several currencies (a book may hold CNY, HKD and TWD policies): never added across them."""

    by_currency: dict[str, Decimal] = field(default_factory=dict)

    def add(self, currency: str, amount: Decimal | None) -> None:
        self.by_currency[currency] = self.by_currency.get(currency, Decimal("0.00")) + (amount or Decimal(0))

    @property
    def items(self) -> list[tuple[str, Decimal]]:
        return sorted(self.by_currency.items())


# -- the collection dashboard ----------------------------------------------------------------------------

@dataclass
class CollectionRow:
    """One unit's month: premiums due and how many of them are paid; money received; policies in trouble."""

    label: str
    unit: OrgUnit | None = None
    direct: bool = False  # the policies booked on the scope's own unit, not on a unit under it
    due_count: int = 0
    due: Amounts = field(default_factory=Amounts)
    paid_count: int = 0  # of the premiums due this month, those paid in full
    received_count: int = 0  # payments received this month (reversals not counted)
    received: Amounts = field(default_factory=Amounts)  # net of reversals booked this month
    in_grace: int = 0
    suspended: int = 0

    @property
    def rate(self) -> Decimal | None:
        return pct(self.paid_count, self.due_count)

    @property
    def empty(self) -> bool:
        return not (self.due_count or self.received_count or self.in_grace or self.suspended)


@dataclass(frozen=True)
class PersistencyCard:
    month: int
    period_start: date
    period_end: date
    judged: int
    persisting: int
    pending: int
    count_pct: Decimal | None
    premium_pct: Decimal | None


@dataclass(frozen=True)
class Dashboard:
    as_of: date
    month_start: date
    month_end: date
    total: CollectionRow
    rows: list[CollectionRow]
    persistency: list[PersistencyCard]
    trend: dict  # Chart.js data: labels, due, collected, rate, the running month (JSON-ready)


def _path_ids(path: str) -> list[int]:
    return [int(p) for p in path.split("/") if p]


def _scope_due_items(scope: DataScope):
    return (DueItem.objects.filter(kind=DueItem.Kind.PREMIUM, policy__in=policies_in_scope(scope).values("pk"))
            .exclude(status=DueItem.Status.CANCELLED))


def collection_rows(*, scope: DataScope, as_of: date) -> tuple[CollectionRow, list[CollectionRow]]:
    """This month's premiums due (and how many are paid), the money received, the policies in grace and
    suspended: the total and a row per unit directly under the scope's unit (HQ: each branch; a branch:
    itself and its teams). Four queries."""
    root = scope.unit_path
    units = list(OrgUnit.objects.filter(Q(path=root) | Q(parent__path=root)).order_by("code"))
    root_unit = next((u for u in units if u.path == root), None)
    depth = len(_path_ids(root))
    direct = CollectionRow(label=str(_("%(unit)s (directly)") % {"unit": _local(root_unit)}) if root_unit else "",
                           unit=root_unit, direct=True)
    children = {u.pk: CollectionRow(label=_local(u), unit=u) for u in units if u.path != root}

    def row_for(branch_path: str) -> CollectionRow:
        ids = _path_ids(branch_path)
        if len(ids) > depth and ids[:depth] == _path_ids(root) and ids[depth] in children:
            return children[ids[depth]]
        return direct

    total = CollectionRow(label=str(_("Total")))
    first, last = month_start(as_of), month_end(as_of)
    # A policy booked on a branch counts in its agent's team (the agent's unit lies under the branch).
    unit_of_policy = Coalesce("policy__agent__org_unit__path", "policy__branch_path")
    due = (_scope_due_items(scope).filter(due_date__range=(first, last))
           .values("currency", unit=unit_of_policy)
           .annotate(n=Count("id"), amount=Sum("amount"), paid_n=Count("id", filter=Q(status=DueItem.Status.PAID))))
    for agg in due:
        for row in (row_for(agg["unit"]), total):
            row.due_count += agg["n"]
            row.due.add(agg["currency"], agg["amount"])
            row.paid_count += agg["paid_n"]
    received = (Payment.objects.filter(policy__in=policies_in_scope(scope).values("pk"), received_on__range=(first, last))
                .values("currency", unit=unit_of_policy)
                .annotate(n=Count("id", filter=Q(amount__gt=0)), amount=Sum("amount")))
    for agg in received:
        for row in (row_for(agg["unit"]), total):
            row.received_count += agg["n"]
            row.received.add(agg["currency"], agg["amount"])
    statuses = (policies_in_scope(scope).filter(status__in=(Status.GRACE, Status.SUSPENDED))
                .values("status", unit=Coalesce("agent__org_unit__path", "branch_path"))
                .annotate(n=Count("id")))
    for agg in statuses:
        name = "in_grace" if agg["status"] == Status.GRACE else "suspended"
        for row in (row_for(agg["unit"]), total):
            setattr(row, name, getattr(row, name) + agg["n"])
    rows = list(children.values())
    if not direct.empty:
        rows.insert(0, direct)
    return total, rows


def _local(unit: OrgUnit | None) -> str:
    """The unit's English name on English pages (when it has one), else its own name."""
    if unit is None:
        return ""
    if unit.name_en and (translation.get_language() or "").startswith("en"):
        return unit.name_en
    return unit.name


def collection_trend(*, scope: DataScope, as_of: date, months: int = TREND_MONTHS) -> dict:
    """Premiums due per month over the last `months` months (this one included) and how many are paid.
    One query. The last month is still running (`running`: its index): its premiums fall due until its end
    and are paid as they do, so the chart marks it as "to date" rather than draw a cliff."""
    last = month_start(as_of)
    first = add_months(last, 1 - months)
    counts = {
        (row["month"].date() if hasattr(row["month"], "date") else row["month"]): (row["n"], row["paid_n"])
        for row in _scope_due_items(scope).filter(due_date__range=(first, month_end(as_of)))
        .annotate(month=TruncMonth("due_date")).values("month")
        .annotate(n=Count("id"), paid_n=Count("id", filter=Q(status=DueItem.Status.PAID)))
    }
    labels, due, collected, rate = [], [], [], []
    for n in range(months):
        month = add_months(first, n)
        total, paid = counts.get(month, (0, 0))
        labels.append(f"{month:%Y-%m}")
        due.append(total)
        collected.append(paid)
        value = pct(paid, total)
        rate.append(float(value) if value is not None else None)
    return {"labels": labels, "due": due, "collected": collected, "rate": rate, "running": months - 1,
            "running_label": str(_("to date"))}


def persistency_cards(*, scope: DataScope, as_of: date) -> list[PersistencyCard]:
    """13th- and 25th-month persistency of the last twelve reporting months (company total)."""
    start, end = last_months(as_of, PERSISTENCY_MONTHS)
    cards = []
    for month in (13, 25):
        total = persistency_overview(scope=scope, as_of=as_of, month=month, period_start=start, period_end=end,
                                     group_by="company", trend_by="company").report.total
        cards.append(PersistencyCard(month, start, end, total.judged, total.persisting, total.pending,
                                     total.count_pct, total.premium_pct))
    return cards


def dashboard(*, scope: DataScope, as_of: date) -> Dashboard:
    total, rows = collection_rows(scope=scope, as_of=as_of)
    return Dashboard(as_of=as_of, month_start=month_start(as_of), month_end=month_end(as_of), total=total, rows=rows,
                     persistency=persistency_cards(scope=scope, as_of=as_of),
                     trend=collection_trend(scope=scope, as_of=as_of))


# -- the policy's billing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class DueRow:
    item: DueItem
    status_label: str
    overdue: bool
    in_grace: bool


@dataclass(frozen=True)
class PaymentRow:
    payment: Payment
    method_label: str
    reversed: bool


@dataclass(frozen=True)
class ReminderRow:
    reminder: Reminder
    action_label: str
    channel_label: str
    status_label: str
    outcome_label: str


@dataclass(frozen=True)
class ReinstatementRow:
    application: ReinstatementApplication
    status_label: str


@dataclass(frozen=True)
class PremiumHistory:
    """From when a policy's premiums are in the ledger: `paid_before` premiums (the first ones) were paid before its
    records begin (`kept_from`, the ledger's opening; None when not recorded) and have no due item or payment."""

    kept_from: date | None
    paid_before: int


@dataclass(frozen=True)
class PolicyBilling:
    policy: Policy
    as_of: date
    due_items: list[DueRow]
    payments: list[PaymentRow]
    suspense: Decimal
    arrears: Decimal
    reminders: list[ReminderRow]
    reinstatements: list[ReinstatementRow]
    history: PremiumHistory = PremiumHistory(None, 0)

    @property
    def to_recover(self) -> Decimal:
        """A negative suspense balance as the amount to get back from the payer (0 otherwise)."""
        return max(-self.suspense, Decimal("0.00"))


def policy_billing(*, scope: DataScope, policy_id: int, as_of: date) -> PolicyBilling:
    """The billing of one policy in scope (404 outside it): schedule, payments, suspense, reminders,
    reinstatements, and from when its premium history is kept. Seven queries whatever the history's length."""
    try:  # with the ledger's opening in the same query
        policy = policies_in_scope(scope).annotate(ledger_opened_on=ledger_opening_subquery()).get(pk=policy_id)
    except (Policy.DoesNotExist, ValueError, TypeError):
        raise Http404("no such policy") from None
    item_statuses = dict(DueItem.Status.choices)
    due_rows = []
    arrears = Decimal("0.00")
    for item in DueItem.objects.filter(policy=policy).order_by("-due_date", "-kind", "-instalment"):
        overdue = item.status == DueItem.Status.OPEN and item.due_date < as_of
        if overdue:
            arrears += item.outstanding
        in_grace = overdue and policy.status == Status.GRACE
        due_rows.append(DueRow(item, str(item_statuses.get(item.status, item.status)), overdue, in_grace))
    methods = dict(Payment.Method.choices)
    payments = [
        PaymentRow(p, str(methods.get(p.method, p.method)), hasattr(p, "reversed_by"))
        for p in Payment.objects.filter(policy=policy).select_related("reversed_by", "reverses", "booked_by")
        .order_by("-received_on", "-id")
    ]
    actions, channels = dict(DunningStep.Action.choices), dict(DunningStep.Channel.choices)
    reminder_statuses = dict(Reminder.Status.choices)
    reminder_rows = [
        ReminderRow(r, str(actions.get(r.step.action, r.step.action)), str(channels.get(r.channel, r.channel)),
                    str(reminder_statuses.get(r.status, r.status)), outcome_label(r.outcome) if r.outcome else "")
        for r in Reminder.objects.filter(due_item__policy=policy).exclude(status=Reminder.Status.SKIPPED)
        .select_related("step", "due_item").order_by("-scheduled_for", "-id")  # a skipped step reached nobody
    ]
    application_statuses = dict(ReinstatementApplication.Status.choices)
    applications = [
        ReinstatementRow(a, str(application_statuses.get(a.status, a.status)))
        for a in ReinstatementApplication.objects.filter(policy=policy).order_by("-received_on", "-id")
    ]
    # The schedule starts at the first premium the ledger holds: the ones before it were paid before it opened.
    first_held = min((row.item.instalment for row in due_rows if row.item.kind == DueItem.Kind.PREMIUM),
                     default=policy.paid_instalments)
    history = PremiumHistory(policy.ledger_opened_on, min(first_held, policy.paid_instalments))
    return PolicyBilling(policy=policy, as_of=as_of, due_items=due_rows, payments=payments,
                         suspense=suspense_balance(policy_id=policy.pk), arrears=arrears, reminders=reminder_rows,
                         reinstatements=applications, history=history)


# -- the receipt -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Receipt:
    payment: Payment
    policy: Policy
    method_label: str
    status_label: str
    allocations: list[Allocation]
    applied: Decimal
    suspense: Decimal
    back_in_force: bool  # the payment cleared the arrears of a policy in grace
    reinstated: bool  # the payment completed a reinstatement

    @property
    def is_refund(self) -> bool:
        """Money paid back out of suspense (services.suspense_refund), not a reversal of a payment."""
        return self.payment.amount < 0 and self.payment.reverses_id is None

    @property
    def refunded(self) -> Decimal:
        return -self.payment.amount

    @property
    def takes_no_premium(self) -> bool:
        """The policy takes no premium any more: money for it makes good what the payer owed, or waits for its
        refund."""
        return self.policy.status not in TAKES_PREMIUMS

    @property
    def note(self) -> str:
        return payment_note(self.payment.note)

    @property
    def source(self) -> str:
        """The slip and its branch for a counter payment (`counter:<branch>:<slip>`), else the source reference."""
        kind, _, rest = self.payment.natural_key.partition(":")
        branch, _, slip = rest.partition(":")
        return f"{slip} · {branch}" if kind == "counter" and slip else self.payment.natural_key


def payment_note(note: str) -> str:
    """A payment's note as the pages show it: the reversal of a returned debit (stored in English,
    `debits.rules.return_note`) in the page's language, with the bank's reason code in words; any other note as
    it was written."""
    returned = returned_debit(note)
    if returned is None:
        return note
    reference, code = returned
    return translation.gettext("Direct debit %(reference)s returned: %(reason)s") % {
        "reference": reference, "reason": reason_text(code) or translation.gettext("no reason code")}


def receipt(*, scope: DataScope, payment_id: int) -> Receipt:
    """A payment of a policy in scope with where its money went and what it did to the policy (404 otherwise).
    Five queries."""
    try:
        payment = (Payment.objects.select_related("policy__product", "booked_by")
                   .get(pk=payment_id, policy__in=policies_in_scope(scope).values("pk")))
    except (Payment.DoesNotExist, ValueError, TypeError):
        raise Http404("no such payment") from None
    allocations = list(payment.allocations.select_related("due_item").order_by("due_item__due_date", "id"))
    kinds = set(PolicyEvent.objects.filter(policy_id=payment.policy_id, recorded_at__gte=payment.booked_at,
                                           kind__in=("premium_paid", "reinstated")).values_list("kind", flat=True))
    policy = payment.policy
    return Receipt(
        payment=payment, policy=policy, method_label=str(dict(Payment.Method.choices).get(payment.method, "")),
        status_label=str(STATUS_LABELS.get(Status(policy.status), policy.status)),
        allocations=allocations, applied=sum((a.amount for a in allocations), Decimal("0.00")),
        suspense=suspense_balance(policy_id=policy.pk),
        back_in_force="premium_paid" in kinds, reinstated="reinstated" in kinds,
    )


# -- bank files ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AwaitingResult:
    """Debits of one of our files still without the bank's result past RESULT_EXPECTED_WORKING_DAYS."""

    bank_file: BankFile
    debits: int
    oldest: date


def debits_awaiting_results(*, as_of: date) -> list[AwaitingResult]:
    """Our pain.008 files with debits the bank has not answered in time, oldest first (two queries)."""
    rows = list(unanswered(as_of=as_of).values("export_file_id")
                .annotate(debits=Count("pk"), oldest=Min("collection_date")).order_by("oldest", "export_file_id"))
    files = bank_files().in_bulk([r["export_file_id"] for r in rows])
    return [AwaitingResult(files[r["export_file_id"]], r["debits"], r["oldest"]) for r in rows]


@dataclass(frozen=True)
class ReasonCount:
    code: str
    label: str
    lines: int


@dataclass(frozen=True)
class ImportOutcome:
    """The import report as the page shows it."""

    report: ImportReport
    rejected: list[ReasonCount]

    @property
    def rejected_total(self) -> int:
        return sum(r.lines for r in self.rejected)


def import_outcome(report: ImportReport) -> ImportOutcome:
    return ImportOutcome(
        report=report, rejected=[ReasonCount(code, reject_reason(code), n) for code, n in sorted(report.rejected.items())],
    )


@dataclass(frozen=True)
class BankFileDetail:
    """What a file's lines did to the collections: our export's debits, or the bank's answers."""

    bank_file: BankFile
    paid: int
    rejected: list[ReasonCount]
    sent: int
    total_sent: Decimal
    unanswered: int  # of our file's debits, those still without a result past the day it was due
    oldest_unanswered: date | None


def bank_file_detail(*, bank_file: BankFile, as_of: date) -> BankFileDetail | None:
    """What the lines of a bank file did to the collections (two queries), None for a file none of them is in
    (another app's file, or a result file whose lines were all pending)."""
    paid = 0
    reasons: dict[str, int] = defaultdict(int)
    sent, total_sent = 0, Decimal("0.00")
    rows = list(Collection.objects.filter(Q(result_file=bank_file) | Q(export_file=bank_file))
                .values("status", "reason_code", "result_file_id", "export_file_id")
                .annotate(n=Count("id"), amount=Sum("amount")))
    if not rows:
        return None
    for row in rows:
        if row["export_file_id"] == bank_file.pk:
            sent += row["n"]
            total_sent += row["amount"] or 0
        if row["result_file_id"] == bank_file.pk:
            if row["status"] == Collection.Status.PAID:
                paid += row["n"]
            elif row["status"] == Collection.Status.REJECTED:
                reasons[row["reason_code"]] += row["n"]
    return BankFileDetail(
        bank_file=bank_file, paid=paid, rejected=[ReasonCount(c, reject_reason(c), n) for c, n in sorted(reasons.items())], sent=sent,
        total_sent=total_sent, **_unanswered_of(bank_file, as_of),
    )


def _unanswered_of(bank_file: BankFile, as_of: date) -> dict:
    if bank_file.direction != BankFile.Direction.OUT:
        return {"unanswered": 0, "oldest_unanswered": None}
    found = unanswered(as_of=as_of).filter(export_file=bank_file).aggregate(n=Count("pk"), oldest=Min("collection_date"))
    return {"unanswered": found["n"], "oldest_unanswered": found["oldest"]}
