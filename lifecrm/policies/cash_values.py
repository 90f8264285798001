"""A policy's cash value at an exact duration, one computation for servicing (loans, surrender) and billing
(automatic premium loans).

The product basis quotes the cash value per 1,000 of sum assured at the end of each policy year
(products/data/cash_values.csv; 0 at issue); between two policy-year ends it is interpolated linearly by the
calendar days elapsed in the current policy year:

    CV(t + d/D) = CV(t) + (CV(t+1) − CV(t)) × d / D

where t is the whole years completed, d the days since the last anniversary and D the days of that policy year.
Past the table's last year (the term's last day) the last value holds. `cash_value_at` is the pure rule;
`cash_value` reads the two table rows it needs in one query.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from lifecrm.core.money import to_cents
from lifecrm.core.rules import add_months, age_last_birthday
from lifecrm.products import selectors as products

PER_MILLE = Decimal(1000)


def policy_years_completed(issue_date: date, on: date) -> int:
    """Whole policy years elapsed on `on` (anniversaries month-end safe: a 29 February issue has its
    anniversary on 28 February in common years)."""
    if on < issue_date:
        raise ValueError("the date is before the policy's issue date")
    years = on.year - issue_date.year
    while years > 0 and add_months(issue_date, 12 * years) > on:
        years -= 1
    return years


def cash_value_at(*, issue_date: date, on: date, rates: Mapping[int, Decimal], sum_assured: Decimal) -> Decimal:
    """Cash value on `on`, to the cent (the module's formula). `rates` maps policy year → value per 1,000; a year
    missing from it is a LookupError, never 0."""
    years = policy_years_completed(issue_date, on)
    start, end = add_months(issue_date, 12 * years), add_months(issue_date, 12 * (years + 1))

    def rate(year: int) -> Decimal:
        if year == 0:
            return Decimal(0)
        try:
            return Decimal(rates[year])
        except KeyError:
            raise LookupError(f"the product's cash value table has no policy year {year}") from None

    low = rate(years)
    elapsed, length = (on - start).days, (end - start).days
    per_mille = low if elapsed == 0 else low + (rate(years + 1) - low) * Decimal(elapsed) / Decimal(length)
    return to_cents(per_mille * Decimal(sum_assured) / PER_MILLE)


def cash_value(*, policy, on: date, sum_assured: Decimal | None = None) -> Decimal:
    """The policy's cash value on `on` (`policy` with its insured loaded; `sum_assured` defaults to the current
    version's). One query for the table rows (plus one for the version when not given); a point outside the
    product's table is a `products.selectors.CashValueNotFound` (a LookupError)."""
    if sum_assured is None:
        sum_assured = policy.versions.get(effective_to__isnull=True).sum_assured
    insured = policy.insured
    years = policy_years_completed(policy.issue_date, on)
    wanted = [year for year in (years, years + 1) if year > 0]
    rates = products.cash_value_rates(
        product=policy.product_id, sex=insured.sex, issue_age=age_last_birthday(insured.birth_date, policy.issue_date),
        term=policy.term_years or 0, premium_term=policy.premium_term_years, policy_years=wanted)
    if years > 0 and years not in rates:
        raise products.CashValueNotFound(f"{policy.number} has no cash value for policy year {years}")
    if years + 1 not in rates:  # past the table's last year: the last value holds
        if years == 0:
            raise products.CashValueNotFound(f"{policy.number} has no cash value for policy year 1")
        rates[years + 1] = rates[years]
    return cash_value_at(issue_date=policy.issue_date, on=on, rates=rates, sum_assured=sum_assured)
