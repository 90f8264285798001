"""Renewal collection rules (續期收費), pure: premium schedules, grace, suspension, reinstatement, lapse.

Every limit comes from the jurisdiction rules table (passed in as `core.rules.JurisdictionRule`
rows) and is counted with `core.rules.Period`: day 1 is the day after the trigger; the customer's
own deadlines (grace, reinstatement) move off rest days; the insurer's do not.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from lifecrm.core.money import to_cents
from lifecrm.core.rules import JurisdictionRule, WorkingCalendar
from lifecrm.policies.rules import PREMIUM_PAYING, Status, due_date, premium_term_end

TAKES_PREMIUMS = PREMIUM_PAYING | {Status.SUSPENDED}
"""Statuses whose money pays premiums (a suspended policy's pays its reinstatement); money for any other
policy makes good what its payer owes, or waits in suspense to be refunded."""
GRACE_STARTS_FROM = frozenset({Status.IN_FORCE, Status.REINSTATED})
"""Statuses from which an unpaid premium puts the policy in its grace period."""


@dataclass(frozen=True, slots=True)
class DueItem:
    instalment: int  # 0 is the first premium, paid at issue
    due_date: date


def premium_schedule(*, issue_date: date, mode: str, premium_term_years: int, start: date, end: date,
                     first_instalment: int = 0) -> list[DueItem]:
    """The premiums falling due in [start, end], month-end safe, none on or after the premium term's end
    (looking from instalment `first_instalment` on: a caller that knows what is raised already skips it)."""
    if end < start:
        return []
    term_end = premium_term_end(issue_date, premium_term_years)
    items: list[DueItem] = []
    instalment = first_instalment
    while True:
        due = due_date(issue_date, mode, instalment)
        if due >= term_end or due > end:
            return items
        if due >= start:
            items.append(DueItem(instalment, due))
        instalment += 1


@dataclass(frozen=True, slots=True)
class GraceRules:
    """The rows of one jurisdiction (and product option) that decide grace and reinstatement."""

    grace: JurisdictionRule  # grace_period (or its demand-based variant)
    reinstatement_window: JurisdictionRule
    suspension_notice: JurisdictionRule | None = None
    deemed_consent: JurisdictionRule | None = None
    automatic_reinstatement: JurisdictionRule | None = None
    demand_based: bool = False  # True when the grace period runs from the demand's arrival


class DemandRequired(ValueError):
    """A demand-based grace period cannot start before the premium demand has arrived."""


def grace_period_end(*, rules: GraceRules, due: date, calendar: WorkingCalendar,
                     demand_arrived: date | None = None) -> date:
    """The last day of cover without payment for the premium due on `due`."""
    if rules.demand_based:
        if demand_arrived is None:
            raise DemandRequired("the grace period runs from the arrival of the premium demand, which has not arrived")
        trigger = max(demand_arrived, due)
    else:
        trigger = due
    return rules.grace.period.end(trigger, calendar)


def suspension_date(*, grace_end: date) -> date:
    """Cover is suspended from the day after the grace period's last day."""
    return grace_end + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a premium-paying policy stands on a day by the law's rule (not by when a batch ran or a clerk booked
    money): in force, in grace since the day after its oldest unpaid premium fell due, or suspended from the
    day after that premium's grace period ended."""

    status: Status
    since: date | None = None
    grace_end: date | None = None
    first_unpaid_due: date | None = None


def standing_on(*, on: date, first_unpaid_due: date | None, grace_end: date | None) -> Standing:
    """The standing on `on` of a policy whose oldest premium still unpaid on that day fell due on
    `first_unpaid_due` (None: none), with that premium's grace period ending on `grace_end` (None: a
    demand-based grace period whose demand has not arrived, which has not started to run)."""
    if first_unpaid_due is None or first_unpaid_due >= on:
        return Standing(Status.IN_FORCE)
    if grace_end is None or on <= grace_end:
        return Standing(Status.GRACE, first_unpaid_due + timedelta(days=1), grace_end, first_unpaid_due)
    return Standing(Status.SUSPENDED, suspension_date(grace_end=grace_end), grace_end, first_unpaid_due)


def suspension_notice_deadline(*, rules: GraceRules, suspended_on: date, calendar: WorkingCalendar) -> date | None:
    """The insurer's last day to send the suspension notice (N working days), if the jurisdiction has one."""
    if rules.suspension_notice is None:
        return None
    return rules.suspension_notice.period.end(suspended_on, calendar)


def reinstatement_window_end(*, rules: GraceRules, suspended_on: date, calendar: WorkingCalendar) -> date:
    """The owner's last day to apply for reinstatement; the policy lapses the day after."""
    return rules.reinstatement_window.period.end(suspended_on, calendar)


def lapse_date(*, rules: GraceRules, suspended_on: date, calendar: WorkingCalendar) -> date:
    return reinstatement_window_end(rules=rules, suspended_on=suspended_on, calendar=calendar) + timedelta(days=1)


def deemed_consent_date(*, rules: GraceRules, application_received: date, calendar: WorkingCalendar) -> date | None:
    """The day the insurer's silence becomes consent to a reinstatement application (day after the period)."""
    if rules.deemed_consent is None:
        return None
    return rules.deemed_consent.period.end(application_received, calendar) + timedelta(days=1)


def reinstates_automatically(*, rules: GraceRules, suspended_on: date, arrears_paid_on: date,
                             calendar: WorkingCalendar) -> bool:
    """TW: paying the arrears within 6 months of suspension reinstates without an application."""
    if rules.automatic_reinstatement is None:
        return False
    return arrears_paid_on <= rules.automatic_reinstatement.period.end(suspended_on, calendar)


def suicide_exclusion_end(*, rule: JurisdictionRule, clock_start: date) -> date:
    """Last day of the suicide exclusion; the clock starts at formation and again at reinstatement."""
    return rule.period.end(clock_start)


def arrears_interest(*, items: list[tuple[date, Decimal]], paid_on: date, rate_pct_per_year: Decimal) -> Decimal:
    """Simple interest on each unpaid premium from its due date to the payment date (actual/365), to the cent."""
    total = Decimal(0)
    for due, outstanding in items:
        days = max((paid_on - due).days, 0)
        total += outstanding * rate_pct_per_year / Decimal(100) * Decimal(days) / Decimal(365)
    return to_cents(total)


def message_key(policy_number: str, instalment: int, plan_code: str, step_code: str) -> str:
    """The name of a step's message for one premium: outbox file names, e-mail Message-ID."""
    return f"{policy_number}-{instalment:03d}-{plan_code}-{step_code}"
