"""Each product's valuation assumption set, derived from its pricing basis (`products.actuarial`).

Pure: no Django, no I/O. `derive(code)` gives the set's fields and its rate rows; `value.reference_data`
stores them as a versioned `AssumptionSet`. What comes from the basis and what is added here:

- mortality: the basis's Gompertz–Makeham qₓ per sex × the product's jurisdiction level, ages 0..105
  (no select period);
- critical-illness incidence (the CI rider) and hospital cash cost per unit of sum assured by attained
  age (admissions × average paid days / 180, the hospital rider), from the basis;
- expenses: the basis's issue and yearly expense per 1,000 of sum assured, no inflation (the basis has none);
- commission: the basis's acquisition loading as the share of the first policy year's premiums;
- discount: a flat spot curve at the product's pricing interest rate, projection years 0..105;
- reserves: the basis's net premium reserve ₜV per 1,000 by issue age and policy year (`reserves`), the
  reserve a coverage holds at the valuation date, which its future profits release;
- lapse by policy year: *not* in the basis (it prices without lapse). An illustrative curve per kind of
  cover, high in the first years and falling to a floor, lower for savings products with a cash value;
  §6 of issue 15 is to fit it on the book's own history.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from lifecrm.products.actuarial.basis import HOSPITAL_BANDS, HOSPITAL_DAYS_PER_SUM_ASSURED, MAX_AGE, SEXES
from lifecrm.products.actuarial.catalogue import PRODUCTS, ProductSpec, product
from lifecrm.products.actuarial.commutation import critical_illness_rate, mortality_rate
from lifecrm.products.actuarial.pricing import HOSPITAL, Cover, cover_commutation, net_premium_reserve

YEARS = MAX_AGE + 1  # policy and projection years 0..105 (a whole-of-life cover from age 0 runs 105 years)

# Annual lapse rate by policy year (index 0 = the first year); the last entry holds for every later year.
PROTECTION_LAPSE = (0.12, 0.09, 0.07, 0.06, 0.05, 0.04)
SAVINGS_LAPSE = (0.08, 0.06, 0.05, 0.04, 0.03, 0.02)
LAPSE_CURVES = {
    "term": PROTECTION_LAPSE, "ci_rider": PROTECTION_LAPSE, "hospital_rider": PROTECTION_LAPSE,
    "whole_life": SAVINGS_LAPSE, "endowment": SAVINGS_LAPSE, "annuity": SAVINGS_LAPSE,
}
SOURCE = "lifecrm products basis (products/actuarial), illustrative lapse curve by kind"


@dataclass(frozen=True)
class DerivedSet:
    code: str
    acquisition_expense: float  # per 1,000 SA, once
    maintenance_expense: float  # per 1,000 SA, a year
    expense_inflation: float
    pension_from_age: int | None
    rates: list[tuple[str, str, int, float]] = field(repr=False)  # (table, sex, index, rate)

    @property
    def checksum(self) -> str:
        body = {"fields": [self.acquisition_expense, self.maintenance_expense, self.expense_inflation,
                           self.pension_from_age], "rates": [[t, s, i, repr(r)] for t, s, i, r in self.rates]}
        return hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()


def lapse_curve(kind: str) -> np.ndarray:
    curve = LAPSE_CURVES[kind]
    return np.array([curve[min(year, len(curve) - 1)] for year in range(YEARS)])


def morbidity_cost(ages: np.ndarray) -> np.ndarray:
    """Hospital cash: expected yearly cost per unit of sum assured (180 days) by attained age, 0 outside the bands."""
    cost = np.zeros(len(ages))
    for band in HOSPITAL_BANDS:
        in_band = (ages >= band.low_age) & (ages <= band.high_age)
        days = min(band.average_paid_days, HOSPITAL_DAYS_PER_SUM_ASSURED)
        cost[in_band] = band.admissions_per_year * days / HOSPITAL_DAYS_PER_SUM_ASSURED
    return cost


def derive_spec(spec: ProductSpec) -> DerivedSet:
    basis = spec.basis
    ages = np.arange(MAX_AGE + 1)
    rates: list[tuple[str, str, int, float]] = []
    for sex in SEXES:
        rates += [("mortality", sex, int(a), float(q)) for a, q in zip(ages, mortality_rate(sex, basis.mortality_multiplier),
                                                                       strict=True)]
    if spec.kind == "ci_rider":
        for sex in SEXES:
            rates += [("incidence", sex, int(a), float(i)) for a, i in zip(ages, critical_illness_rate(sex), strict=True)]
    if spec.kind == "hospital_rider":
        rates += [("morbidity", "", int(a), float(c)) for a, c in zip(ages, morbidity_cost(ages), strict=True)]
    rates += [("lapse", "", year, float(r)) for year, r in enumerate(lapse_curve(spec.kind))]
    commission = np.zeros(YEARS)
    commission[0] = basis.acquisition_loading
    rates += [("commission", "", year, float(r)) for year, r in enumerate(commission)]
    rates += [("discount", "", year, float(basis.interest_rate)) for year in range(YEARS)]
    return DerivedSet(spec.code, basis.initial_expense, basis.maintenance_expense, 0.0, spec.annuity_start_age, rates)


def derive_all() -> dict[str, DerivedSet]:
    """Every catalogue product's set, by product code."""
    return {spec.code: derive_spec(spec) for spec in PRODUCTS}


@lru_cache(maxsize=512)
def reserves(code: str, sex: str, term: int, premium_term: int) -> tuple[int, np.ndarray]:
    """The basis's net premium reserve per 1,000 at the end of policy years 0..105 (0 beyond the term), by issue
    age from the first age of the product's table: (first age, array (ages, 106)). The hospital rider (one
    year, renewable) holds none. Raises KeyError for a product outside the catalogue, OutsideTableError
    (a ValueError) for a term the product does not have at some of its ages."""
    spec = product(code)
    ages = np.arange(spec.table_ages.start, spec.table_ages.stop)
    if spec.kind == HOSPITAL:
        return int(ages[0]), np.zeros((len(ages), YEARS))
    cover = Cover(spec.kind, term, premium_term, spec.annuity_start_age)
    grid = net_premium_reserve(cover, cover_commutation(cover, sex, spec.basis), spec.basis, ages, np.arange(YEARS))
    return int(ages[0]), grid
