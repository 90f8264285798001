"""13th- and 25th-month persistency (继续率): which policies form the cohort, which persisted, by count and premium.

DOMAIN.md, "How service quality is measured": the cohort is the regular-premium policies issued in
the observed months (the months whose 13th (25th) month ended in the reporting period); each
policy is judged when the grace period of its 13th- (25th-) month premium has ended: persisting
if that premium was paid. Policies ended before that point by death, cooling-off cancellation or
the contract's own terms are excluded from numerator and denominator. By count: policies; by
premium: annualised premium.

The module has two halves:

* the pure core (dataclasses, `Decimal`, no Django): `window_due_date`, `window_instalment`,
  `reporting_month`, `issue_window`, `termination_from_journal`, `window_premium_paid`,
  `judge_policy`, `PersistencyRow`, `percent`;
* the selectors, which gather the facts of every cohort policy in a fixed number of queries,
  whatever the cohort's size, and group the judgements: `persistency_report`,
  `persistency_reports`, `persistency_trend`, `persistency_policies`.

Every convention is a named constant below with its docstring.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from lifecrm.billing import rules as billing_rules
from lifecrm.billing.models import DueItem
from lifecrm.billing.selectors import grace_rules_for
from lifecrm.core.rules import add_months
from lifecrm.core.selectors import working_calendar
from lifecrm.org.models import OrgUnit, Staff
from lifecrm.org.rules import DataScope
from lifecrm.policies.models import Channel, PolicyEvent, PolicyVersion
from lifecrm.policies.rules import PAYMENTS_PER_YEAR, Status, premium_term_end
from lifecrm.policies.selectors import policies_in_scope
from lifecrm.products.models import Product

# -- conventions -----------------------------------------------------------------------------------

WINDOW_MONTHS = (13, 25)
"""The persistency windows offered: the 13th and the 25th policy month."""

WINDOW_PREMIUM = "the premium falling due on the first day of policy month N"
"""Which premium is "the premium of the Nth month" (N = 13 or 25).

Policy month 1 starts on the issue date; policy month N runs from `add_months(issue, N - 1)`
(inclusive) to `add_months(issue, N)` (exclusive). Every premium mode has exactly one premium
due in that month, on its first day, because 12 is a multiple of every mode's interval: it is
instalment `(N - 1) / 12 × payments per year` (0 = the first premium, paid at issue):

    mode        13th month            25th month
    annual      instalment 1 (2nd)    instalment 2 (3rd)
    semiannual  instalment 2          instalment 4
    quarterly   instalment 4          instalment 8
    monthly     instalment 12         instalment 24

Its due date is `add_months(issue, N - 1)`, always counted from the issue date and month-end
safe (core.rules.add_months): issued 31 Jan 2025 → due 31 Jan 2026 in every mode; issued
29 Feb 2024 → 13th-month premium due 28 Feb 2025, 25th-month premium due 28 Feb 2026.
"""

REPORTING_MONTH = "the calendar month in which the window premium falls due"
"""Which reporting month a policy belongs to.

Cohorts are calendar issue months, the issue month counting as month 1, so the "13th month" of
the policies issued in January 2024 is January 2025 (the 25th: January 2026). A reporting
period of months R1..R2 therefore observes the policies issued in R1 − 12 .. R2 − 12
(R1 − 24 .. R2 − 24 for the 25th month). Because the window premium falls due on
`add_months(issue, N - 1)`, which always lies in the calendar month `issue month + N − 1`, the
reporting month is also the month in which that premium falls due.
"""

JUDGEMENT_POINT = "the close of the last day of the window premium's grace period"
"""When a policy is judged (DOMAIN.md): at the end of the grace period of its window premium.

The grace end is the `DueItem.grace_end` the billing batch recorded; when it recorded none (the
premium was paid, or the item is older than the batch), it is computed with the policy's grace
rules (billing.selectors.grace_rules_for) from the due date; a demand-based grace period whose
demand arrival is unknown is counted from the due date. A policy is judged only when
`as_of > grace_end` (on the grace end itself the owner may still pay): until then it is
PENDING and counts in neither numerator nor denominator — even if the premium is already paid
or the policy already surrendered, so that unfinished months are not biased by early failures.
"""

EARLY_EXCLUSION = "death, cooling-off cancellation and the contract's own terms exclude as soon as known"
"""Exclusions are final, so they are reported as soon as they have happened (on or before both
the grace end and the as-of date), even while the grace period is still running. They count in
neither numerator nor denominator either way; reporting them early only moves them from the
"pending" to the "excluded" column.
"""

ENDED_BEFORE_JUDGEMENT = "a termination effective on or before the grace end"
"""A termination counts when its effective date is on or before the grace end (and not after the
as-of date): death, cooling-off cancellation, maturity or another end by the contract's terms →
excluded; surrender or lapse → not persisting. A termination after the grace end comes after the
judgement and changes nothing.
"""

PAID_IN_TIME = "paid on or before the grace end, per the due item, else per paid_instalments and the journal"
"""Whether the window premium was paid by the judgement point.

1. When the billing history has the premium's due item (kind premium, same policy, due date
   equal to the window due date): paid if its status is paid and `paid_on <= grace_end`. A
   cancelled or still open item is unpaid; an item paid after the grace end (for example at a
   reinstatement) is "paid late": not persisting. A premium paid by an automatic premium loan
   at the grace end is paid.
2. For policies older than the billing history (no such due item): paid if
   `paid_instalments > window instalment`, unless the status journal shows the policy suspended
   or lapsed on the day after the grace end — the billing batch suspends a policy the day after
   an unpaid grace period ends, so a policy reinstated later (whose `paid_instalments` has
   caught up since) was not paid in time. The payment date is unknown there; such a premium
   counts as paid in time.
"""

PREMIUM_WEIGHT = "the annualised premium of the contract version in effect on the window due date"
"""By-premium figures weigh each policy by `PolicyVersion.annual_premium` of the version in
effect on the window premium's due date (the first version when none covers that date)."""

REGULAR_PREMIUM = "more than one premium over the premium-paying term"
"""Regular-premium policies only: `premium_term_years × payments per year > 1`. A single-premium
policy is outside the cohort altogether (not counted as excluded). A regular-premium policy
whose premium-paying term or cover ends on or before the window due date has no window premium:
excluded by the contract's own terms."""

ROUNDING = "ratios exact in Decimal; percentages rounded half-up to 0.01 % at output"
"""`PersistencyRow.count_ratio` / `premium_ratio` are exact Decimal fractions (28 digits);
`percent()` (and the `*_pct` properties) multiply by 100 and round half-up to two decimals. Use
them only when showing or exporting."""

TERMINAL_STATUSES = frozenset({Status.SURRENDERED, Status.LAPSED, Status.MATURED, Status.TERMINATED,
                               Status.COOLING_OFF_CANCELLED})
"""Statuses that end a contract (the journal's `to_status`)."""

UNPAID_AFTER_GRACE = frozenset({Status.SUSPENDED, Status.LAPSED})
"""Statuses on the day after the grace end that show the window premium was not paid in time."""

DEATH_MARKER = "death"
"""A `terminated` journal row is a death when its kind names it (e.g. "death_claim"), its data
says `{"cause": "death"}`, or the insured's date of death is recorded; otherwise it is another end
by the contract's terms (e.g. a total-disability claim). Both are excluded; only the reason differs."""

PERCENT_STEP = Decimal("0.01")
"""Percentages are shown to 0.01 %."""


class Outcome(StrEnum):
    PERSISTING = "persisting"
    NOT_PERSISTING = "not_persisting"
    EXCLUDED = "excluded"
    PENDING = "pending"
    NOT_IN_COHORT = "not_in_cohort"


class Reason(StrEnum):
    PAID = "paid"  # persisting
    UNPAID = "unpaid"  # not persisting: not paid by the grace end
    PAID_LATE = "paid_late"  # not persisting: paid after the grace end (reinstatement)
    SURRENDERED = "surrendered"  # not persisting
    LAPSED = "lapsed"  # not persisting
    DEATH = "death"  # excluded
    COOLING_OFF = "cooling_off"  # excluded
    CONTRACT_TERMS = "contract_terms"  # excluded: matured, ended by its terms, term shorter than the window
    IN_GRACE = "in_grace"  # pending: the judgement point has not passed
    SINGLE_PREMIUM = "single_premium"  # not in the cohort


class TerminationKind(StrEnum):
    DEATH = "death"
    COOLING_OFF = "cooling_off"
    CONTRACT_TERMS = "contract_terms"
    SURRENDER = "surrender"
    LAPSE = "lapse"


EXCLUDING_TERMINATIONS = {
    TerminationKind.DEATH: Reason.DEATH,
    TerminationKind.COOLING_OFF: Reason.COOLING_OFF,
    TerminationKind.CONTRACT_TERMS: Reason.CONTRACT_TERMS,
}
"""Terminations before the judgement point that take a policy out of numerator and denominator."""

FAILING_TERMINATIONS = {TerminationKind.SURRENDER: Reason.SURRENDERED, TerminationKind.LAPSE: Reason.LAPSED}
"""Terminations before the judgement point that make a judged policy not persisting."""

STATUS_TERMINATION = {
    Status.SURRENDERED: TerminationKind.SURRENDER,
    Status.LAPSED: TerminationKind.LAPSE,
    Status.MATURED: TerminationKind.CONTRACT_TERMS,
    Status.TERMINATED: TerminationKind.CONTRACT_TERMS,  # DEATH when DEATH_MARKER says so
    Status.COOLING_OFF_CANCELLED: TerminationKind.COOLING_OFF,
}


# -- the pure core ---------------------------------------------------------------------------------

def check_window(month: int) -> int:
    if month not in WINDOW_MONTHS:
        raise ValueError(f"persistency is measured at month 13 or 25, not {month!r}")
    return month


def month_start(day: date) -> date:
    return day.replace(day=1)


def window_due_date(issue_date: date, month: int) -> date:
    """The due date of the premium of policy month `month` (WINDOW_PREMIUM)."""
    return add_months(issue_date, check_window(month) - 1)


def window_instalment(mode: str, month: int) -> int:
    """The instalment number (0 = first premium) of the premium of policy month `month` (WINDOW_PREMIUM)."""
    try:
        per_year = PAYMENTS_PER_YEAR[mode]
    except KeyError:
        raise ValueError(f"unknown premium mode {mode!r}") from None
    return per_year * (check_window(month) - 1) // 12


def reporting_month(issue_date: date, month: int) -> date:
    """The first day of the calendar month the policy is reported in (REPORTING_MONTH)."""
    return month_start(window_due_date(issue_date, month))


def reporting_months(period_start: date, period_end: date) -> list[date]:
    """The first days of the calendar months from `period_start`'s month to `period_end`'s, inclusive."""
    first, last = month_start(period_start), month_start(period_end)
    if last < first:
        raise ValueError("the reporting period ends before it starts")
    months = []
    while first <= last:
        months.append(first)
        first = add_months(first, 1)
    return months


def issue_window(period_start: date, period_end: date, month: int) -> tuple[date, date]:
    """The first and last issue dates of the cohort reported in the months of [period_start, period_end]."""
    months = reporting_months(period_start, period_end)
    first = add_months(months[0], -(check_window(month) - 1))
    last = add_months(months[-1], -(month - 1) + 1) - timedelta(days=1)
    return first, last


def is_regular_premium(*, premium_term_years: int, mode: str) -> bool:
    """REGULAR_PREMIUM: more than one premium over the premium-paying term."""
    return premium_term_years * PAYMENTS_PER_YEAR.get(mode, 0) > 1


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One status-changing row of a policy's journal."""

    effective_date: date
    to_status: str
    kind: str = ""
    seq: int = 0
    cause: str = ""  # the `cause` in the row's data, when there is one


@dataclass(frozen=True, slots=True)
class Termination:
    kind: TerminationKind
    on: date


def _ordered(journal: Iterable[StatusChange]) -> list[StatusChange]:
    return sorted(journal, key=lambda c: (c.effective_date, c.seq))


def status_on(journal: Iterable[StatusChange], day: date) -> str | None:
    """The status in effect on `day` per the journal (the last change effective on or before it)."""
    current = None
    for change in _ordered(journal):
        if change.effective_date > day:
            break
        current = change.to_status
    return current


def termination_from_journal(journal: Iterable[StatusChange], *, as_of: date,
                             insured_died_on: date | None = None) -> Termination | None:
    """The first end of the contract known on `as_of`: a terminal journal row or the insured's death."""
    found = None
    for change in _ordered(journal):
        if change.effective_date > as_of:
            break
        if change.to_status in TERMINAL_STATUSES:
            kind = STATUS_TERMINATION[Status(change.to_status)]
            if change.to_status == Status.TERMINATED and (
                DEATH_MARKER in change.kind.lower() or change.cause.lower() == DEATH_MARKER
                or insured_died_on is not None
            ):
                kind = TerminationKind.DEATH
            found = Termination(kind, change.effective_date)
            break
    if insured_died_on is not None and insured_died_on <= as_of and (found is None or insured_died_on < found.on):
        found = Termination(TerminationKind.DEATH, insured_died_on)
    return found


@dataclass(frozen=True, slots=True)
class WindowPremium:
    """What the billing history says of the window premium's due item."""

    status: str  # DueItem.Status value: open, paid, cancelled
    paid_on: date | None = None
    grace_end: date | None = None
    demand_arrived: date | None = None


def window_premium_paid(*, due_item: WindowPremium | None, paid_instalments: int, instalment: int,
                        status_after_grace: str | None) -> tuple[bool, date | None]:
    """(paid, paid_on) of the window premium, per PAID_IN_TIME; paid_on is None when unknown."""
    if due_item is not None:
        paid = due_item.status == "paid" and due_item.paid_on is not None
        return paid, due_item.paid_on if paid else None
    if status_after_grace in UNPAID_AFTER_GRACE:
        return False, None
    return paid_instalments > instalment, None


@dataclass(frozen=True, slots=True)
class PolicyFacts:
    """Everything the judgement of one policy needs, as plain data."""

    policy_id: int
    issue_date: date
    premium_mode: str
    annual_premium: Decimal
    premium_term_years: int
    due_date: date  # of the window premium
    grace_end: date  # its last day of grace
    paid: bool
    paid_on: date | None = None  # None with paid=True: paid, date unknown (counts as in time)
    termination: Termination | None = None
    cover_end: date | None = None  # maturity date, None for whole of life


@dataclass(frozen=True, slots=True)
class Judgement:
    outcome: Outcome
    reason: Reason
    judged_on: date | None  # the date the outcome rests on (see judge_policy)

    @property
    def in_cohort(self) -> bool:
        return self.outcome != Outcome.NOT_IN_COHORT


def judge_policy(facts: PolicyFacts, *, as_of: date) -> Judgement:
    """In cohort or not, excluded (why), pending, persisting or not, and on which date.

    `judged_on` is the termination date for a termination, the window due date for a policy with
    no window premium, and the grace end otherwise (for PENDING: the day it will be judged after).
    """
    if not is_regular_premium(premium_term_years=facts.premium_term_years, mode=facts.premium_mode):
        return Judgement(Outcome.NOT_IN_COHORT, Reason.SINGLE_PREMIUM, None)
    ended = facts.termination
    if ended is not None and ended.on <= facts.grace_end and ended.on <= as_of:
        if ended.kind in EXCLUDING_TERMINATIONS:
            return Judgement(Outcome.EXCLUDED, EXCLUDING_TERMINATIONS[ended.kind], ended.on)
    else:
        ended = None
    no_window_premium = facts.due_date >= premium_term_end(facts.issue_date, facts.premium_term_years) or (
        facts.cover_end is not None and facts.due_date >= facts.cover_end
    )
    if no_window_premium:
        return Judgement(Outcome.EXCLUDED, Reason.CONTRACT_TERMS, facts.due_date)
    if as_of <= facts.grace_end:
        return Judgement(Outcome.PENDING, Reason.IN_GRACE, facts.grace_end)
    if ended is not None:
        return Judgement(Outcome.NOT_PERSISTING, FAILING_TERMINATIONS[ended.kind], ended.on)
    if facts.paid and (facts.paid_on is None or facts.paid_on <= facts.grace_end):
        return Judgement(Outcome.PERSISTING, Reason.PAID, facts.grace_end)
    return Judgement(Outcome.NOT_PERSISTING, Reason.PAID_LATE if facts.paid else Reason.UNPAID, facts.grace_end)


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    """An exact Decimal fraction (28 significant digits), None when the denominator is zero."""
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def percent(value: Decimal | None) -> Decimal | None:
    """A fraction as a percentage rounded half-up to 0.01 % (ROUNDING): 0.03125 → 3.13."""
    if value is None:
        return None
    return (value * 100).quantize(PERCENT_STEP, rounding=ROUND_HALF_UP)


ZERO = Decimal("0.00")


@dataclass
class PersistencyRow:
    """The tally of one group (a branch, an agent, a reporting month…): counts and annualised premiums.

    cohort = excluded + pending + judged; judged = persisting + not persisting;
    persistency = persisting / judged (= persisting / (cohort − excluded − pending)).
    """

    key: Hashable
    label: str
    cohort: int = 0
    excluded: int = 0
    pending: int = 0
    persisting: int = 0
    cohort_premium: Decimal = ZERO
    excluded_premium: Decimal = ZERO
    pending_premium: Decimal = ZERO
    persisting_premium: Decimal = ZERO

    def add(self, judgement: Judgement, premium: Decimal) -> None:
        if not judgement.in_cohort:
            return
        self.cohort += 1
        self.cohort_premium += premium
        if judgement.outcome == Outcome.EXCLUDED:
            self.excluded += 1
            self.excluded_premium += premium
        elif judgement.outcome == Outcome.PENDING:
            self.pending += 1
            self.pending_premium += premium
        elif judgement.outcome == Outcome.PERSISTING:
            self.persisting += 1
            self.persisting_premium += premium

    @property
    def judged(self) -> int:
        return self.cohort - self.excluded - self.pending

    @property
    def judged_premium(self) -> Decimal:
        return self.cohort_premium - self.excluded_premium - self.pending_premium

    @property
    def not_persisting(self) -> int:
        return self.judged - self.persisting

    @property
    def not_persisting_premium(self) -> Decimal:
        return self.judged_premium - self.persisting_premium

    @property
    def count_ratio(self) -> Decimal | None:
        return ratio(self.persisting, self.judged)

    @property
    def premium_ratio(self) -> Decimal | None:
        return ratio(self.persisting_premium, self.judged_premium)

    @property
    def count_pct(self) -> Decimal | None:
        return percent(self.count_ratio)

    @property
    def premium_pct(self) -> Decimal | None:
        return percent(self.premium_ratio)


# -- gathering the facts (the database from here on) ----------------------------------------------

DEFINITION = gettext_lazy(
    "Regular-premium policies issued in the observed months (the months whose {month}th month ended in the "
    "reporting period). Each is judged when the grace period of its {month}th-month premium has ended: "
    "persisting if that premium was paid. Policies ended before that point by death, cooling-off "
    "cancellation or the contract's own terms are excluded; policies still in that grace period are pending. "
    "Persistency = persisting / (cohort − excluded − pending), by count and by annualised premium."
)

REASON_LABELS = {
    Reason.PAID: gettext_lazy("premium paid"),
    Reason.UNPAID: gettext_lazy("premium unpaid at the end of grace"),
    Reason.PAID_LATE: gettext_lazy("premium paid after the grace period"),
    Reason.SURRENDERED: gettext_lazy("surrendered"),
    Reason.LAPSED: gettext_lazy("lapsed"),
    Reason.DEATH: gettext_lazy("death"),
    Reason.COOLING_OFF: gettext_lazy("cancelled in cooling-off"),
    Reason.CONTRACT_TERMS: gettext_lazy("ended by the contract's terms"),
    Reason.IN_GRACE: gettext_lazy("grace period not yet ended"),
    Reason.SINGLE_PREMIUM: gettext_lazy("single premium"),
}


@dataclass(frozen=True, slots=True)
class CohortPolicy:
    """One policy of the observed issue months with its facts, judgement and dimension attributes."""

    policy_id: int
    number: str
    reporting_month: date
    facts: PolicyFacts
    judgement: Judgement
    branch_path: str
    agent_id: int | None
    product_id: int
    channel: str
    customer_id: int

    @property
    def premium(self) -> Decimal:
        return self.facts.annual_premium


def _version_on(versions: list[tuple], on: date) -> tuple:
    """(premium_mode, annual_premium) of the version in effect on `on` (PREMIUM_WEIGHT)."""
    for effective_from, effective_to, mode, annual in versions:
        if effective_from <= on and (effective_to is None or effective_to > on):
            return mode, annual
    first = min(versions, key=lambda v: v[0])
    return first[2], first[3]


class _GraceEnds:
    """Grace ends computed from the rules, the rules and calendars loaded once per jurisdiction."""

    def __init__(self) -> None:
        self._rules: dict[tuple[str, str, str], billing_rules.GraceRules] = {}

    def end(self, *, jurisdiction: str, grace_basis: str, mode: str, due: date,
            demand_arrived: date | None) -> date:
        key = (jurisdiction, grace_basis, mode)
        if key not in self._rules:
            self._rules[key] = grace_rules_for(jurisdiction=jurisdiction, grace_basis=grace_basis, premium_mode=mode)
        grace = self._rules[key]
        calendar = working_calendar(jurisdiction)
        if grace.demand_based and demand_arrived is None:
            return grace.grace.period.end(due, calendar)  # demand deemed to arrive on the due date
        return billing_rules.grace_period_end(rules=grace, due=due, calendar=calendar, demand_arrived=demand_arrived)


def persistency_policies(*, scope: DataScope, as_of: date, month: int, period_start: date,
                         period_end: date) -> list[CohortPolicy]:
    """Every regular-premium policy of the observed issue months in scope, judged as of `as_of`.

    Four queries whatever the number of policies (policies, versions, window due items, status
    journal), plus the grace rules and working calendars, each loaded once per jurisdiction.
    """
    check_window(month)
    issued_from, issued_to = issue_window(period_start, period_end, month)
    policies = (
        policies_in_scope(scope)
        .filter(issue_date__range=(issued_from, issued_to))
        .exclude(status=Status.PROPOSAL)
    )
    rows = list(policies.order_by("issue_date", "pk").values(
        "pk", "number", "issue_date", "status", "status_date", "paid_instalments", "premium_term_years",
        "maturity_date", "jurisdiction_id", "product_id", "product__grace_basis", "channel", "agent_id",
        "branch_path", "owner_id", "insured__date_of_death",
    ))
    if not rows:
        return []
    ids = policies.values("pk")
    versions: dict[int, list[tuple]] = defaultdict(list)
    for row in PolicyVersion.objects.filter(policy_id__in=ids).values_list(
        "policy_id", "effective_from", "effective_to", "premium_mode", "annual_premium"
    ):
        versions[row[0]].append(row[1:])
    due_items = {
        (row[0], row[1]): WindowPremium(*row[2:])
        for row in DueItem.objects.filter(
            policy_id__in=ids, kind=DueItem.Kind.PREMIUM,
            due_date__range=(window_due_date(issued_from, month), window_due_date(issued_to, month)),
        ).values_list("policy_id", "due_date", "status", "paid_on", "grace_end", "demand_arrived")
    }
    journals: dict[int, list[StatusChange]] = defaultdict(list)
    for policy_id, effective_date, to_status, kind, seq, data in (
        PolicyEvent.objects.filter(policy_id__in=ids, effective_date__lte=as_of)
        .exclude(to_status="")
        .values_list("policy_id", "effective_date", "to_status", "kind", "seq", "data")
    ):
        cause = str(data.get("cause", "")) if isinstance(data, dict) else ""
        journals[policy_id].append(StatusChange(effective_date, to_status, kind, seq, cause))

    grace_ends = _GraceEnds()
    result = []
    for row in rows:
        pk, issue = row["pk"], row["issue_date"]
        journal = journals[pk]
        if row["status"] in TERMINAL_STATUSES and row["status_date"] <= as_of and not any(
            c.to_status == row["status"] for c in journal
        ):  # a policy loaded without its journal: its current status stands in for the missing row
            journal.append(StatusChange(row["status_date"], row["status"], "status", 1 << 30))
        due = window_due_date(issue, month)
        mode, annual = _version_on(versions[pk], due)
        item = due_items.get((pk, due))
        if item is not None and item.grace_end is not None:
            grace_end = item.grace_end
        else:
            grace_end = grace_ends.end(jurisdiction=row["jurisdiction_id"], grace_basis=row["product__grace_basis"],
                                       mode=mode, due=due, demand_arrived=item.demand_arrived if item else None)
        paid, paid_on = window_premium_paid(
            due_item=item, paid_instalments=row["paid_instalments"], instalment=window_instalment(mode, month),
            status_after_grace=status_on(journal, grace_end + timedelta(days=1)),
        )
        facts = PolicyFacts(
            policy_id=pk, issue_date=issue, premium_mode=mode, annual_premium=annual,
            premium_term_years=row["premium_term_years"], due_date=due, grace_end=grace_end, paid=paid,
            paid_on=paid_on, cover_end=row["maturity_date"],
            termination=termination_from_journal(journal, as_of=as_of,
                                                 insured_died_on=row["insured__date_of_death"]),
        )
        judgement = judge_policy(facts, as_of=as_of)
        if not judgement.in_cohort:
            continue
        result.append(CohortPolicy(
            policy_id=pk, number=row["number"], reporting_month=reporting_month(issue, month), facts=facts,
            judgement=judgement, branch_path=row["branch_path"], agent_id=row["agent_id"],
            product_id=row["product_id"], channel=row["channel"], customer_id=row["owner_id"],
        ))
    return result


# -- dimensions ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dimension:
    """A way to group the cohort: a key per policy and a label per key, each in at most one query.

    `keys(policies)` returns one hashable key per policy, in order (None: "not assigned");
    `labels(keys)` returns the label of each key it knows.
    """

    title: str
    keys: Callable[[Sequence[CohortPolicy]], list[Hashable]]
    labels: Callable[[set[Hashable]], dict[Hashable, str]]
    missing: str = ""  # the label of the None key


def _path_part(path: str, depth: int) -> int | None:
    ids = [p for p in path.split("/") if p]
    return int(ids[depth]) if len(ids) > depth else None


def _teams(policies) -> list[int | None]:
    """The team of each policy: its own unit when that is a team, else its agent's team (one query)."""
    agent_paths = dict(
        Staff.objects.filter(pk__in={p.agent_id for p in policies if p.agent_id}).values_list("pk", "org_unit__path")
    )
    return [_path_part(p.branch_path, 2) or _path_part(agent_paths.get(p.agent_id, ""), 2) for p in policies]


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _unit_labels(keys: set[Hashable]) -> dict[Hashable, str]:
    """Each unit's name in the reader's language: its English name on English pages when it has one."""
    english = _english()
    return {
        pk: name_en if english and name_en else name
        for pk, name, name_en in OrgUnit.objects.filter(pk__in=[k for k in keys if k is not None])
        .values_list("pk", "name", "name_en")
    }


def _agent_labels(keys: set[Hashable]) -> dict[Hashable, str]:
    return {
        pk: f"{name} ({employee_no})"
        for pk, name, employee_no in Staff.objects.filter(pk__in=[k for k in keys if k is not None])
        .values_list("pk", "name", "employee_no")
    }


def _product_labels(keys: set[Hashable]) -> dict[Hashable, str]:
    english = _english()
    return {
        pk: f"{code} {name_en if english and name_en else name}"
        for pk, code, name, name_en in Product.objects.filter(pk__in=[k for k in keys if k is not None])
        .values_list("pk", "code", "name", "name_en")
    }


def _company_label(keys: set[Hashable]) -> dict[Hashable, str]:
    return {"company": _("Company")}


_DIMENSIONS: dict[str, Dimension] = {
    "company": Dimension(gettext_lazy("Company"), lambda ps: ["company"] * len(ps), _company_label),
    "branch": Dimension(gettext_lazy("Branch"), lambda ps: [_path_part(p.branch_path, 1) for p in ps],
                        _unit_labels, gettext_lazy("(head office)")),
    "team": Dimension(gettext_lazy("Team"), _teams, _unit_labels, gettext_lazy("(no team)")),
    "agent": Dimension(gettext_lazy("Agent"), lambda ps: [p.agent_id for p in ps], _agent_labels,
                       gettext_lazy("(no agent)")),
    "product": Dimension(gettext_lazy("Product"), lambda ps: [p.product_id for p in ps], _product_labels),
    "channel": Dimension(gettext_lazy("Channel"), lambda ps: [p.channel for p in ps],
                         lambda keys: {k: str(Channel(k).label) for k in keys if k in Channel.values}),
}
"""The built-in dimensions; `register_dimension` adds more (the customer segment, later)."""


def register_dimension(name: str, grouping: Dimension) -> None:
    """Add a grouping (e.g. "segment": keys from the owners' segments, `CohortPolicy.customer_id`)."""
    if name in _DIMENSIONS and _DIMENSIONS[name] is not grouping:
        raise ValueError(f"persistency dimension {name!r} is registered twice")
    _DIMENSIONS[name] = grouping


def dimension_names() -> list[str]:
    return list(_DIMENSIONS)


def dimension(name: str) -> Dimension:
    try:
        return _DIMENSIONS[name]
    except KeyError:
        raise ValueError(f"unknown persistency dimension {name!r}; choose from {', '.join(_DIMENSIONS)}") from None


def _group(policies: Sequence[CohortPolicy], group_by: str) -> list[PersistencyRow]:
    dim = dimension(group_by)
    keys = dim.keys(policies)
    labels = dim.labels(set(keys))
    rows: dict[Hashable, PersistencyRow] = {}
    for policy, key in zip(policies, keys, strict=True):
        if key not in rows:
            label = str(dim.missing) if key is None else labels.get(key, str(key))
            rows[key] = PersistencyRow(key, label)
        rows[key].add(policy.judgement, policy.premium)
    return sorted(rows.values(), key=lambda r: (r.key is None, r.label, str(r.key)))


def _total(policies: Sequence[CohortPolicy], label: str) -> PersistencyRow:
    total = PersistencyRow("total", label)
    for policy in policies:
        total.add(policy.judgement, policy.premium)
    return total


# -- the reports -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersistencyReport:
    """One table: a row per dimension key, the scope's total, and what the figures mean."""

    month: int
    as_of: date
    period_start: date  # first day of the first reporting month
    period_end: date  # first day of the last reporting month
    issued_from: date
    issued_to: date
    group_by: str
    rows: list[PersistencyRow]
    total: PersistencyRow

    @property
    def dimension_title(self) -> str:
        return str(dimension(self.group_by).title)

    @property
    def definition(self) -> str:
        return str(DEFINITION).format(month=self.month)

    @property
    def title(self) -> str:
        return _("%(month)sth-month persistency by %(dimension)s") % {
            "month": self.month, "dimension": self.dimension_title.lower()}


def _reports_from(policies: Sequence[CohortPolicy], *, as_of: date, month: int, period_start: date,
                  period_end: date, group_by: Sequence[str]) -> dict[str, PersistencyReport]:
    issued_from, issued_to = issue_window(period_start, period_end, month)
    months = reporting_months(period_start, period_end)
    total = _total(policies, _("Total"))
    return {
        name: PersistencyReport(month=month, as_of=as_of, period_start=months[0], period_end=months[-1],
                                issued_from=issued_from, issued_to=issued_to, group_by=name,
                                rows=_group(policies, name), total=total)
        for name in group_by
    }


def _check_request(month: int, period_start: date, period_end: date, group_by: Iterable[str]) -> None:
    check_window(month)
    reporting_months(period_start, period_end)
    for name in group_by:
        dimension(name)


def persistency_reports(*, scope: DataScope, as_of: date, month: int = 13, period_start: date, period_end: date,
                        group_by: Sequence[str] = ("branch",)) -> dict[str, PersistencyReport]:
    """One report per dimension in `group_by` from one gathering of the facts (for the Excel export)."""
    _check_request(month, period_start, period_end, group_by)
    policies = persistency_policies(scope=scope, as_of=as_of, month=month, period_start=period_start,
                                    period_end=period_end)
    return _reports_from(policies, as_of=as_of, month=month, period_start=period_start, period_end=period_end,
                         group_by=group_by)


def persistency_report(*, scope: DataScope, as_of: date, month: int = 13, period_start: date, period_end: date,
                       group_by: str = "branch") -> PersistencyReport:
    """The persistency table of the reporting months [period_start, period_end] (days ignored), by `group_by`.

    group_by: company, branch, team, agent, product, channel, or a registered dimension. Raises
    ValueError for a window other than 13/25, a period ending before it starts or an unknown dimension.
    """
    return persistency_reports(scope=scope, as_of=as_of, month=month, period_start=period_start,
                               period_end=period_end, group_by=(group_by,))[group_by]


@dataclass(frozen=True)
class TrendSeries:
    key: Hashable
    label: str
    points: list[PersistencyRow]  # one per month of PersistencyTrend.months, key = that month

    @property
    def count_pcts(self) -> list[Decimal | None]:
        return [p.count_pct for p in self.points]

    @property
    def premium_pcts(self) -> list[Decimal | None]:
        return [p.premium_pct for p in self.points]


@dataclass(frozen=True)
class PersistencyTrend:
    month: int
    as_of: date
    group_by: str
    months: list[date]  # first days of the reporting months
    series: list[TrendSeries]

    @property
    def labels(self) -> list[str]:
        return [f"{m:%Y-%m}" for m in self.months]


def _month_row(month: date) -> PersistencyRow:
    return PersistencyRow(month, f"{month:%Y-%m}")


def _trend_from(policies: Sequence[CohortPolicy], *, as_of: date, month: int, period_start: date,
                period_end: date, group_by: str, keys: Iterable[Hashable] | None) -> PersistencyTrend:
    dim = dimension(group_by)
    months = reporting_months(period_start, period_end)
    policy_keys = dim.keys(policies)
    wanted = None if keys is None else set(keys)
    labels = dim.labels(set(policy_keys))
    cells: dict[Hashable, dict[date, PersistencyRow]] = defaultdict(dict)
    if group_by == "company":
        cells["company"] = {}  # the whole scope has a series even when nothing was issued
    for policy, key in zip(policies, policy_keys, strict=True):
        if wanted is not None and key not in wanted:
            continue
        by_month = cells[key]
        if policy.reporting_month not in by_month:
            by_month[policy.reporting_month] = _month_row(policy.reporting_month)
        by_month[policy.reporting_month].add(policy.judgement, policy.premium)
    series = [
        TrendSeries(key, str(dim.missing) if key is None else labels.get(key, str(key)),
                    [by_month.get(m) or _month_row(m) for m in months])
        for key, by_month in cells.items()
    ]
    series.sort(key=lambda s: (s.key is None, s.label, str(s.key)))
    return PersistencyTrend(month=month, as_of=as_of, group_by=group_by, months=months, series=series)


def persistency_trend(*, scope: DataScope, as_of: date, month: int = 13, period_start: date, period_end: date,
                      group_by: str = "company", keys: Iterable[Hashable] | None = None) -> PersistencyTrend:
    """The persistency of each reporting month in [period_start, period_end], one series per dimension key.

    `group_by="company"` gives one series for the whole scope; `keys` keeps only those series.
    Same queries as `persistency_report`, whatever the number of months.
    """
    _check_request(month, period_start, period_end, (group_by,))
    policies = persistency_policies(scope=scope, as_of=as_of, month=month, period_start=period_start,
                                    period_end=period_end)
    return _trend_from(policies, as_of=as_of, month=month, period_start=period_start, period_end=period_end,
                       group_by=group_by, keys=keys)


@dataclass(frozen=True)
class PersistencyOverview:
    """What the workbench page shows: the table, the company trend and the reports for the workbook."""

    report: PersistencyReport
    trend: PersistencyTrend
    reports: dict[str, PersistencyReport]  # every dimension in `export_by`, for the Excel download


def persistency_overview(*, scope: DataScope, as_of: date, month: int = 13, period_start: date, period_end: date,
                         group_by: str = "branch", trend_by: str = "company",
                         export_by: Sequence[str] = ()) -> PersistencyOverview:
    """The table by `group_by`, the trend by `trend_by` and the reports by `export_by`, from one gathering."""
    names = list(dict.fromkeys([group_by, *export_by]))
    _check_request(month, period_start, period_end, [*names, trend_by])
    policies = persistency_policies(scope=scope, as_of=as_of, month=month, period_start=period_start,
                                    period_end=period_end)
    reports = _reports_from(policies, as_of=as_of, month=month, period_start=period_start, period_end=period_end,
                            group_by=names)
    trend = _trend_from(policies, as_of=as_of, month=month, period_start=period_start, period_end=period_end,
                        group_by=trend_by, keys=None)
    return PersistencyOverview(report=reports[group_by], trend=trend,
                               reports={name: reports[name] for name in export_by})
