"""Pure rules of the valuation of lifecrm's own policies: model-point dates and each kind's benefits.

No Django, no I/O. Months are counted as `core.rules.add_months` counts them (month-end safe).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
