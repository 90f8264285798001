"""The value of lifecrm's own policies: model points from in-force coverages, projected on their product's set.

One model point per coverage running at `as_of` (a rider is its own point), `policy_count` 1: the insured's age
at the coverage's start and sex, the term in months (whole of life: to age 105), the premium term in months,
the months between premiums (the premium mode), `duration_mth` (`rules.duration_mth`), sum assured, annual and
modal premium. The projection is `kernel.present_values` (lifelib's loop, generalised): monthly decrements of
the set's annual rates (1 − (1 − q)^(1/12)), the premium paid in the months it falls due, commission as a share
of each premium by policy year, expenses per 1,000 of sum assured, benefits by kind (`rules.BENEFITS`).
Float64 arrays throughout; `services` rounds to the cent when it stores.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from lifecrm.policies.rules import Status, months_between_payments
from lifecrm.value import assumptions, rules
from lifecrm.value.projection import _KERNEL_LOCK, DiscountCurve

SEX_INDEX = {"M": 0, "F": 1}
PV_NAMES = ("reserve", "pv_premiums", "pv_claims", "pv_expenses", "pv_commissions", "pvfp")
NO_AGE = np.iinfo(np.int64).max


class ValuationError(ValueError):
    """A coverage the valuation refuses (no assumption set, a point outside the tables), named."""


@dataclass(frozen=True)
class SetTables:
    """One assumption set as arrays: what the kernel reads."""

    set_id: int
    version: int
    product_id: int
    product_code: str
    mort_monthly: np.ndarray  # (2 sexes, ages 0..105, 6): no select period, the six columns equal
    incidence_monthly: np.ndarray  # (2, ages)
    morbidity_monthly: np.ndarray  # (2, ages): yearly cost per unit of sum assured / 12
    lapse_monthly: np.ndarray  # by policy year
    commission: np.ndarray  # share of the premium, by policy year
    discount: DiscountCurve  # annual spot rates by projection year
    acquisition_expense: float  # per 1,000 SA
    maintenance_expense: float  # per 1,000 SA a year
    expense_inflation: float
    pension_from_age: int | None

    @property
    def ages(self) -> int:
        return self.mort_monthly.shape[1]


def monthly(annual: np.ndarray) -> np.ndarray:
    return 1 - (1 - annual) ** (1 / 12)


def set_tables(*, set_id: int, version: int, product_id: int, product_code: str, fields: dict,
               rates: Sequence[tuple]) -> SetTables:
    """Arrays of a set from its rows (table, sex, index, rate); a table it lacks is zero (no incidence...)."""
    ages = 1 + max(index for table, _, index, _ in rates if table == "mortality")
    by_age = {name: np.zeros((2, ages)) for name in ("mortality", "incidence", "morbidity")}
    by_year = {name: np.zeros(1 + max((i for t, _, i, _ in rates if t == name), default=0))
               for name in ("lapse", "commission", "discount")}
    for table, sex, index, rate in rates:
        if table in by_age:
            for s in ([SEX_INDEX[sex]] if sex else [0, 1]):
                by_age[table][s, index] = rate
        else:
            by_year[table][index] = rate
    return SetTables(
        set_id=set_id, version=version, product_id=product_id, product_code=product_code,
        mort_monthly=np.repeat(monthly(by_age["mortality"])[:, :, None], 6, axis=2),
        incidence_monthly=monthly(by_age["incidence"]), morbidity_monthly=by_age["morbidity"] / 12,
        lapse_monthly=monthly(by_year["lapse"]), commission=by_year["commission"],
        discount=DiscountCurve(by_year["discount"]),
        acquisition_expense=float(fields["acquisition_expense"]),
        maintenance_expense=float(fields["maintenance_expense"]),
        expense_inflation=float(fields["expense_inflation"]), pension_from_age=fields["pension_from_age"])


@dataclass(frozen=True)
class Points:
    """Model points of one assumption set (arrays of one entry per coverage)."""

    age_at_entry: np.ndarray
    duration_mth: np.ndarray
    term_mth: np.ndarray
    premium_mth: np.ndarray
    premium_every: np.ndarray
    sex: np.ndarray
    sum_assured: np.ndarray
    annual_premium: np.ndarray
    modal_premium: np.ndarray
    kind: np.ndarray  # product kind, str
    surrender_value: np.ndarray  # (points, policy years): the cash value paid on a lapse in each year
    reserve: np.ndarray  # the basis's net premium reserve held at the projection's month 0


def describe(row) -> str:
    return f"policy {row.number}, coverage {row.coverage_id}"


def cash_value_key(row) -> tuple | None:
    """The cash value table key of a coverage (`rules.cash_value_key`), None when its kind pays none on a lapse
    or its insured cannot be valued (refused by `model_points`)."""
    if not rules.BENEFITS[row.product_kind].surrender or row.insured_birth_date is None:
        return None
    age = rules.age_last_birthday(row.insured_birth_date, row.start_date)
    term = rules.whole_months(row.start_date, row.end_date) if row.end_date else 0
    return rules.cash_value_key(product_id=row.product_id, sex=row.insured_sex, age_at_entry=age, term_mth=term,
                                whole_of_life=row.end_date is None,
                                premium_term_years=row.premium_term_years if row.is_base else None)


def model_points(rows: Sequence, modal_premiums: Sequence, tables: SetTables, *, as_of: date,
                 cash_values: dict) -> Points:
    """The model points of `rows` (policies.selectors.ValuationCoverage, all of `tables`' product) at `as_of`;
    `cash_values`: the products' cash values per 1,000 by policy year, by `cash_value_key`."""
    n = len(rows)
    out = {name: np.zeros(n, dtype=np.int64) for name in ("age_at_entry", "duration_mth", "term_mth", "premium_mth",
                                                          "premium_every", "sex")}
    money = {name: np.zeros(n) for name in ("sum_assured", "annual_premium", "modal_premium")}
    kind = np.empty(n, dtype=object)
    surrender = np.zeros((n, 1 + max((len(v) for v in cash_values.values()), default=1)))
    reserve = np.zeros(n)
    for i, (row, modal) in enumerate(zip(rows, modal_premiums, strict=True)):
        if row.insured_sex not in SEX_INDEX or row.insured_birth_date is None:
            raise ValuationError(f"{describe(row)}: the insured has no sex or birth date to value the cover on")
        age = rules.age_last_birthday(row.insured_birth_date, row.start_date)
        term = (rules.whole_months(row.start_date, row.end_date) if row.end_date
                else 12 * (rules.OMEGA - age))
        if age < 0 or age + -(-term // 12) > tables.ages:
            raise ValuationError(f"{describe(row)}: ages {age} to {age + -(-term // 12) - 1} are not all in the "
                                 f"assumption set's tables (ages 0-{tables.ages - 1})")
        duration = rules.duration_mth(row.start_date, as_of)
        premium = min(12 * row.premium_term_years, term) if row.is_base else term
        if row.status == Status.PAID_UP:
            premium = min(premium, duration)  # no premium falls due any more
        out["age_at_entry"][i], out["term_mth"][i], out["duration_mth"][i] = age, term, duration
        out["premium_mth"][i] = premium
        out["premium_every"][i] = months_between_payments(row.premium_mode)
        out["sex"][i] = SEX_INDEX[row.insured_sex]
        money["sum_assured"][i] = float(row.sum_assured)
        money["annual_premium"][i] = float(row.annual_premium)
        money["modal_premium"][i] = float(modal)
        kind[i] = row.product_kind
        key = cash_value_key(row)
        if key is not None:
            if key not in cash_values:
                raise ValuationError(f"{describe(row)}: no cash value table for sex {key[1]}, issue age {key[2]}, "
                                     f"term {key[3]}, premium term {key[4]}")
            values = np.array([float(v) for v in cash_values[key]])
            surrender[i, :len(values)] = values / 1000 * money["sum_assured"][i]
        reserve[i] = reserve_at(row, tables.product_code, age, term, duration) / 1000 * money["sum_assured"][i]
    return Points(**out, **money, kind=kind, surrender_value=surrender, reserve=reserve)


def reserve_at(row, code: str, age: int, term_mth: int, duration: int) -> float:
    """The basis's net premium reserve per 1,000 after `duration` months, linear between policy-year ends."""
    term = 0 if row.end_date is None else term_mth // 12
    years = row.premium_term_years if row.is_base else term
    try:
        first_age, grid = assumptions.reserves(code, row.insured_sex, term, years)
    except (KeyError, ValueError) as exc:
        raise ValuationError(f"{describe(row)}: no reserve on the basis of {code} for term {term}, premium term "
                             f"{years}: {exc}") from None
    if not 0 <= age - first_age < grid.shape[0]:
        raise ValuationError(f"{describe(row)}: issue age {age} is outside {code}'s reserve table")
    year, month = divmod(duration, 12)
    here = grid[age - first_age, min(year, grid.shape[1] - 1)]
    after = grid[age - first_age, min(year + 1, grid.shape[1] - 1)]
    return float(here + (after - here) * month / 12)


def present_values(points: Points, tables: SetTables) -> dict[str, np.ndarray]:
    """The reserve, PV of premiums, claims, expenses, commissions and PVFP per point, at the set's spot curve."""
    from lifecrm.value import kernel

    n = len(points.sum_assured)
    if n == 0:
        return {name: np.zeros(0) for name in PV_NAMES}
    benefit = {name: np.array([getattr(rules.BENEFITS[k], name) for k in points.kind], dtype=float)
               for name in ("death", "diagnosis", "morbidity", "maturity", "pension")}
    refund = np.array([rules.BENEFITS[k].refund_premiums for k in points.kind])
    pension_age = tables.pension_from_age if tables.pension_from_age is not None else NO_AGE
    sa = points.sum_assured
    months = int((points.term_mth - points.duration_mth).max()) + 1
    if (months - 1) // 12 >= tables.discount.years:
        raise ValuationError(f"the projection runs {months} months, beyond the discount curve "
                             f"({tables.discount.years} years)")
    years = max(len(tables.lapse_monthly), len(tables.commission), int(points.term_mth.max()) // 12 + 1)
    lapse = np.pad(tables.lapse_monthly, (0, years - len(tables.lapse_monthly)), mode="edge")
    commission = np.pad(tables.commission, (0, years - len(tables.commission)))
    t = np.arange(months)
    with _KERNEL_LOCK:
        pv = kernel.present_values(
            points.age_at_entry, points.duration_mth, points.term_mth, points.premium_mth, points.premium_every,
            np.ones(n), points.sex, benefit["death"] * sa, np.where(refund, points.annual_premium, 0.0),
            np.where(refund, pension_age, 0).astype(np.int64), benefit["diagnosis"] * sa, benefit["morbidity"] * sa,
            benefit["pension"] * sa, np.where(benefit["pension"] > 0, pension_age, NO_AGE).astype(np.int64),
            benefit["maturity"] * sa, points.surrender_value, tables.acquisition_expense / 1000 * sa,
            tables.maintenance_expense / 1000 * sa, tables.mort_monthly, 0, tables.incidence_monthly,
            tables.morbidity_monthly, lapse, commission, tables.discount.disc_factors(months),
            (1 + tables.expense_inflation) ** (t / 12))
    pv_premiums = points.modal_premium * pv[:, kernel.PV_PREMIUM_POLS]
    pv_commissions = points.modal_premium * pv[:, kernel.PV_COMMISSION_POLS]
    pv_claims, pv_expenses = pv[:, kernel.PV_CLAIMS], pv[:, kernel.PV_EXPENSES]
    # PVFP: the reserve held now is released to the profits as the benefits it was held for are paid (with the
    # discount rate the rate the reserve earns, the profit signature telescopes to this).
    return {"reserve": points.reserve, "pv_premiums": pv_premiums, "pv_claims": pv_claims, "pv_expenses": pv_expenses,
            "pv_commissions": pv_commissions,
            "pvfp": points.reserve + pv_premiums - pv_claims - pv_expenses - pv_commissions}
