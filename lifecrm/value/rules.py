"""Pure rules of the value app: model-point dates and each kind's benefits; customer value components, tiers and
life-cycle stages (with their reasons).

No Django, no I/O. Months are counted as `core.rules.add_months` counts them (month-end safe).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from lifecrm.core.rules import add_months

OMEGA = 105
"""Cover ends at age 105 (products basis): a whole-of-life cover runs to the anniversary at 105."""


def whole_months(start: date, end: date) -> int:
    """Complete months from `start` to `end` (add_months(start, n) <= end), 0 when end is before start."""
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def duration_mth(start: date, as_of: date) -> int:
    """Months in force at the projection's month 0: the first monthiversary on or after `as_of`.

    The projection starts there: a premium, an expense or a claim of the month already begun is past, and
    the part of a month to that monthiversary is neither discounted nor decremented (an approximation of
    at most a month). A coverage starting on `as_of` is new business (0).
    """
    months = whole_months(start, as_of)
    return months if add_months(start, months) >= as_of else months + 1


def age_last_birthday(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@dataclass(frozen=True, slots=True)
class Benefits:
    """What one coverage of a kind pays, as multiples of its sum assured (the annuity: its yearly pension)."""

    death: float = 0.0  # on death
    diagnosis: float = 0.0  # on first critical-illness diagnosis (the coverage ends)
    morbidity: float = 0.0  # hospital cash: the yearly cost rate by age × sum assured, monthly
    maturity: float = 0.0  # to the survivors at the end of the term (whole of life: at 105)
    pension: float = 0.0  # at each anniversary from the set's pension age, while alive
    refund_premiums: bool = False  # on death before the pension age: the annual premium × years paid
    surrender: bool = True  # a lapse is paid the cash value of the completed policy years (products' table)


BENEFITS = {
    "term": Benefits(death=1.0),
    "whole_life": Benefits(death=1.0, maturity=1.0),
    "endowment": Benefits(death=1.0, maturity=1.0),
    "annuity": Benefits(pension=1.0, refund_premiums=True),
    "ci_rider": Benefits(diagnosis=1.0),
    "hospital_rider": Benefits(morbidity=1.0, surrender=False),  # yearly renewable: no cash value
}


def cash_value_key(*, product_id: int, sex: str, age_at_entry: int, term_mth: int, whole_of_life: bool,
                   premium_term_years: int | None) -> tuple[int, str, int, int, int]:
    """The products' cash value table key of a coverage: (product, sex, issue age, term, premium term) in years,
    term 0 for whole of life; a rider's premium term is its term."""
    term = 0 if whole_of_life else term_mth // 12
    return (product_id, sex, age_at_entry, term, premium_term_years if premium_term_years is not None else term)


# --- Customer value, tiers and life-cycle stages (issue 15 §3, §4) ---------------------------------------------
# Each figure below is head office's default, named after the rule it serves; amounts are in the customer's
# jurisdiction currency. Every rule takes an explicit `as_of` and returns its reasons: each a code with the figures
# behind it ({"code": ..., **params}, money as a string of cents, dates in ISO), put in words in the reader's language
# by value/reasons.py.

MARGIN_ON_PREMIUMS = Decimal("0.03")
"""Margin earned to date = premiums paid to date × 3 %: the margin the products' renewal loading carries besides
expenses (docs/actuarial.md, "Loadings and expenses"). A stated proxy: lifecrm does not run the past experience
(claims, expenses) per policy."""

REFERRAL_SHARE = Decimal("0.10")
"""Network value: 10 % of the current value of each customer they referred."""
HOUSEHOLD_SHARE = Decimal("0.05")
"""Network value: 5 % of the current value of each household member (spouse, parent, child)."""

CHILD_AGE_LIMIT = 18
"""A child is young (dependent) before their 18th birthday."""
DEATH_COVER_PER_CHILD = {"CNY": Decimal("500000"), "HKD": Decimal("600000"), "TWD": Decimal("2500000")}
"""The death cover a parent needs per young child; the protection gap is what their cover falls short of it."""
PROTECTION_VALUE_RATE = Decimal("0.005")
"""The expected PVFP of new death cover per unit of sum assured (5 per 1,000: a term policy's profit margin)."""
RETIREMENT_AGE = 60
ANNUITY_WINDOW_YEARS = 10
"""An annuity gap: aged 50 to 59 (the 10 years before retirement at 60) with no annuity in force."""
ANNUITY_GAP_VALUE = {"CNY": Decimal("3000"), "HKD": Decimal("3300"), "TWD": Decimal("13000")}
"""The expected PVFP of the annuity a customer in the annuity window lacks (a typical deferred annuity sale)."""

NEW_CUSTOMER_MONTHS = 12
"""Stage new: the first policy was issued less than 12 months ago."""
GROWING_MONTHS = 24
"""Stage growing: a policy was added (issued) less than 24 months ago."""
AT_RISK_DAYS = 90
"""Stage at risk: a premium in grace, a suspended policy, or a direct debit rejected in the last 90 days."""
LAPSE_RISK_WATCH = 0.30
"""An agent's home page lists the premium-paying policies of their book whose lapse risk (the probability of
lapsing in the next 90 days) is at least this, as customers at risk: worth a call before the next premium."""
LAPSE_RISK_HIGH = 0.50
"""From this lapse risk, such a call is of high priority."""
WON_BACK_MONTHS = 12
"""Stage won back: in force again, by a policy issued less than 12 months ago after every earlier one had ended."""
VALUE_RUN_WEEKDAY = 7
"""The daily batch recomputes customer values, tiers and stages once a week, on this ISO weekday (Sunday)."""

TIER_ORDER = ("diamond", "gold", "silver", "standard")
# Policy statuses (policies.rules.Status values) that the stage rules read.
COVER_RUNS = frozenset({"in_force", "grace", "reinstated", "paid_up"})
AT_RISK_STATUSES = frozenset({"grace", "suspended"})
ACTIVE = COVER_RUNS | {"suspended"}  # a suspended policy may still be reinstated: the relationship is not over
DEATH_COVER_KINDS = frozenset({"term", "whole_life", "endowment"})


def is_value_day(as_of: date) -> bool:
    """Whether the daily batch of `as_of` recomputes customer values, tiers and stages (weekly)."""
    return as_of.isoweekday() == VALUE_RUN_WEEKDAY


def money(amount) -> str:
    return f"{Decimal(amount):,.2f}"


Reason = dict
"""One reason: {"code": ..., **params} (JSON, stored as it is)."""


def reason(code: str, **params) -> Reason:
    """A reason with its figures: Decimal amounts as strings of cents, dates in ISO, the rest as given."""
    def plain(value):
        if isinstance(value, Decimal):
            return f"{value.quantize(Decimal('0.01')):f}"
        return value.isoformat() if isinstance(value, date) else value
    return {"code": code, **{name: plain(value) for name, value in params.items()}}


@dataclass(frozen=True, slots=True)
class PolicyFacts:
    """What the customer rules read of one policy the customer owns or pays for (its current status)."""

    policy_id: int
    number: str
    issue_date: date
    status: str
    status_date: date


def historical_value(premiums_paid: Decimal) -> tuple[Decimal, list[Reason]]:
    """Margin earned to date on the premiums paid (MARGIN_ON_PREMIUMS), with its reasons."""
    margin = to_cents_half_up(premiums_paid * MARGIN_ON_PREMIUMS)
    return margin, [reason("premiums_paid", amount=premiums_paid),
                    reason("margin_earned", amount=margin, rate=f"{MARGIN_ON_PREMIUMS:.0%}")]


def to_cents_half_up(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def potential_value(*, currency: str, age: int | None, children_ages: list[int], death_cover: Decimal,
                    has_annuity: bool) -> tuple[Decimal, list[Reason]]:
    """The expected value of the cover the customer lacks for their life stage, with its reasons:
    - a protection gap: a parent of young children (under CHILD_AGE_LIMIT) whose death cover (in-force death
      benefits on their own life) is below DEATH_COVER_PER_CHILD × the number of young children: the shortfall ×
      PROTECTION_VALUE_RATE;
    - an annuity gap: aged RETIREMENT_AGE − ANNUITY_WINDOW_YEARS up to RETIREMENT_AGE (excluded) without an
      annuity in force: ANNUITY_GAP_VALUE.
    A customer of unknown age (an organisation) has no potential value."""
    total, reasons = Decimal("0.00"), []
    young = [a for a in children_ages if a < CHILD_AGE_LIMIT]
    if young and currency in DEATH_COVER_PER_CHILD:
        needed = DEATH_COVER_PER_CHILD[currency] * len(young)
        gap = needed - death_cover
        if gap > 0:
            value = to_cents_half_up(gap * PROTECTION_VALUE_RATE)
            total += value
            reasons.append(reason("protection_gap", children=len(young), age_limit=CHILD_AGE_LIMIT, cover=death_cover,
                                  needed=needed, gap=gap, rate=f"{PROTECTION_VALUE_RATE:.1%}", amount=value))
    if (age is not None and RETIREMENT_AGE - ANNUITY_WINDOW_YEARS <= age < RETIREMENT_AGE and not has_annuity
            and currency in ANNUITY_GAP_VALUE):
        value = ANNUITY_GAP_VALUE[currency]
        total += value
        reasons.append(reason("annuity_gap", age=age, years=ANNUITY_WINDOW_YEARS, retirement_age=RETIREMENT_AGE,
                              amount=value))
    return total, reasons


def network_value(*, referred: dict[int, Decimal], household: dict[int, Decimal]) -> tuple[Decimal, list[Reason]]:
    """A share of the current value of the people they referred (REFERRAL_SHARE) and of their household
    (HOUSEHOLD_SHARE), each person once (at the referral share when both; someone without a current value is not
    counted), with its reasons. The current values
    given leave out the policies already counted in the customer's own current value."""
    total, reasons = Decimal("0.00"), []
    referred = {k: v for k, v in referred.items() if v}  # only the people with a current value are named
    parts = [(REFERRAL_SHARE, "referred", referred),
             (HOUSEHOLD_SHARE, "household", {k: v for k, v in household.items() if k not in referred and v})]
    for share, label, values in parts:
        base = sum(values.values(), Decimal("0.00"))
        if values and base:
            value = to_cents_half_up(base * share)
            total += value
            reasons.append(reason(f"network_{label}", rate=f"{share:.0%}", base=base, customers=len(values),
                                  amount=value))
    return total, reasons


def tier_for(value: Decimal, thresholds: dict[str, Decimal]) -> str:
    """The highest tier whose minimum (`thresholds`: diamond, gold, silver) the value reaches; else standard."""
    for tier in TIER_ORDER[:-1]:
        if value >= thresholds[tier]:
            return tier
    return "standard"


def tier_reasons(tier: str, value: Decimal, thresholds: dict[str, Decimal], version: int) -> list[Reason]:
    if tier == "standard":
        return [reason("tier_below", tier="silver", amount=value, threshold=thresholds["silver"], version=version)]
    return [reason("tier_reached", tier=tier, amount=value, threshold=thresholds[tier], version=version)]


def stage_for(policies: list[PolicyFacts], failed_debits: list[date], as_of: date) -> tuple[str, list[Reason]]:
    """The customer's life-cycle stage on `as_of` from the policies they own or pay for (issued by `as_of`) and
    the direct debits rejected, with the reasons; the first rule that holds decides:
    1. prospect: no policy;
    2. lapsed: no policy in force (or suspended, still reinstatable), but had some;
    3. at risk: a premium in grace, a suspended policy, or a debit rejected in the last AT_RISK_DAYS days;
    4. won back: a policy issued less than WON_BACK_MONTHS months ago after all earlier policies had ended;
    5. new: the first policy issued less than NEW_CUSTOMER_MONTHS months ago;
    6. growing: a policy issued less than GROWING_MONTHS months ago;
    7. mature: otherwise.
    "Less than N months ago": `as_of` is before the issue date plus N months (on that day the rule no longer holds).
    """
    held = sorted((p for p in policies if p.issue_date <= as_of), key=lambda p: (p.issue_date, p.policy_id))
    if not held:
        return "prospect", [reason("no_policy_yet")]
    active = [p for p in held if p.status in ACTIVE]
    if not active:
        last = max(held, key=lambda p: p.status_date)
        return "lapsed", [reason("no_policy_in_force_now", policies=len(held), policy=last.number, status=last.status,
                                 day=last.status_date)]
    since = as_of - timedelta(days=AT_RISK_DAYS)
    risks = [reason("policy_at_risk", policy=p.number, status=p.status, day=p.status_date)
             for p in active if p.status in AT_RISK_STATUSES]
    rejected = sorted(d for d in failed_debits if since < d <= as_of)
    if rejected:
        risks.append(reason("debits_rejected", count=len(rejected), days=AT_RISK_DAYS, day=rejected[-1]))
    if risks:
        return "at_risk", risks
    for p in active:
        if as_of < add_months(p.issue_date, WON_BACK_MONTHS):
            earlier = [q for q in held if q.issue_date < p.issue_date]
            if earlier and all(q.status not in ACTIVE and q.status_date <= p.issue_date for q in earlier):
                return "won_back", [reason("won_back", policy=p.number, day=p.issue_date, months=WON_BACK_MONTHS)]
    first = held[0]
    if as_of < add_months(first.issue_date, NEW_CUSTOMER_MONTHS):
        return "new", [reason("first_policy_recent", policy=first.number, day=first.issue_date,
                              months=NEW_CUSTOMER_MONTHS)]
    recent = [p for p in held if as_of < add_months(p.issue_date, GROWING_MONTHS)]
    if recent:
        return "growing", [reason("policy_added", policy=recent[-1].number, day=recent[-1].issue_date,
                                  months=GROWING_MONTHS)]
    return "mature", [reason("mature", day=first.issue_date, months=GROWING_MONTHS)]
