"""The pricing basis: mortality law, critical-illness incidence, interest, loadings and surrender charges.

Every number here is an *illustrative* assumption chosen by the lifecrm team, not a filed
product basis and not a published industry table. The mortality law is a Gompertz–Makeham
curve per sex, chosen by eye to sit at the level of Chinese insured-lives mortality (the
China Life Insurance Mortality Tables' non-annuity tables, CL1 male / CL2 female); it does
not reproduce those tables' values, which are not copied here. docs/actuarial.md tells the
whole basis and its limits.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_AGE = 105
"""ω of the tables: cover ends at age 105; whole-of-life policies pay the sum assured there."""

AGES = np.arange(MAX_AGE + 1)
"""Integer ages 0..105 at which every table is tabulated."""

SEXES = ("M", "F")

PER_MILLE = 1000.0
"""Rates and cash values are quoted per 1,000 of sum assured."""


class OutsideTableError(ValueError):
    """An age or a term that falls outside the tables (ages 0..105): never a NaN, always this."""


def check_ages(ages, *, low: int = 0, high: int = MAX_AGE, what: str = "age") -> np.ndarray:
    """Integer array of `ages`, or OutsideTableError if any is not a whole number in [low, high]."""
    array = np.asarray(ages)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise OutsideTableError(f"{what} must be whole numbers, got {ages!r}")
    elif array.dtype.kind not in "iu":
        raise OutsideTableError(f"{what} must be whole numbers, got {ages!r}")
    array = array.astype(np.int64)
    if array.size and (array.min() < low or array.max() > high):
        bad = array[(array < low) | (array > high)]
        raise OutsideTableError(f"{what} {bad.tolist()[:5]} outside the table range {low}..{high}")
    return array


@dataclass(frozen=True, slots=True)
class GompertzMakeham:
    """Force of mortality μ(x) = a + b·cˣ (Makeham's constant a, Gompertz's b and c)."""

    a: float
    b: float
    c: float

    def integrated_force(self, ages: np.ndarray) -> np.ndarray:
        """∫ₓˣ⁺¹ μ(s) ds = a + b·cˣ·(c − 1)/ln c."""
        return self.a + self.b * self.c ** ages * (self.c - 1.0) / np.log(self.c)


@dataclass(frozen=True, slots=True)
class ExponentialIncidence:
    """Annual incidence rate i(x) = exp(alpha + beta·x), capped at `cap`."""

    alpha: float
    beta: float
    cap: float = 0.5

    def rate(self, ages: np.ndarray) -> np.ndarray:
        return np.minimum(np.exp(self.alpha + self.beta * ages), self.cap)


MORTALITY_LAWS = {
    # Illustrative fit at the level of insured-lives mortality (CL1/CL2-like), see module docstring.
    "M": GompertzMakeham(a=0.0005, b=0.000025, c=1.1),
    "F": GompertzMakeham(a=0.0003, b=0.000012, c=1.1),
}
MORTALITY_BASIS_NAME = "lifecrm GM-2024 (illustrative Gompertz–Makeham, CL1/CL2 level)"

CRITICAL_ILLNESS_INCIDENCE = {
    # First diagnosis of a covered critical illness, per year, illustrative:
    # about 0.2 % at 40 and 1.5 % at 60 for men; higher than men's when young, lower when old, for women.
    "M": ExponentialIncidence(alpha=-10.24, beta=0.1007),
    "F": ExponentialIncidence(alpha=-9.20, beta=0.0800),
}


@dataclass(frozen=True, slots=True)
class HospitalBand:
    """Hospital cash assumption for one band of attained ages."""

    low_age: int
    high_age: int
    admissions_per_year: float
    average_paid_days: float


HOSPITAL_BANDS = (
    HospitalBand(0, 17, 0.040, 5.0),
    HospitalBand(18, 39, 0.035, 6.0),
    HospitalBand(40, 49, 0.050, 7.0),
    HospitalBand(50, 59, 0.080, 8.0),
    HospitalBand(60, 64, 0.120, 9.0),
)
HOSPITAL_DAYS_PER_SUM_ASSURED = 180
"""The hospital cash rider's sum assured is 180 days of its daily benefit (the yearly maximum)."""


@dataclass(frozen=True, slots=True)
class PricingBasis:
    """Interest, mortality scaling and loadings of one product, all per 1,000 of sum assured unless said.

    - `interest_rate`: the pricing (and reserving) rate i; v = 1/(1+i).
    - `mortality_multiplier`: applied to the sex's qₓ (jurisdiction level).
    - `renewal_loading`: share of every gross premium (expenses + margin), year 1 included.
    - `acquisition_loading`: extra share of the first-year gross premium (commission, issue).
    - `initial_expense`: per-policy issue cost at the reference sum assured, per 1,000 SA.
    - `maintenance_expense`: per-policy yearly cost while in force, per 1,000 SA.
    - `surrender_runoff_years`: years over which the surrender charge runs off to nil.
    """

    interest_rate: float
    mortality_multiplier: float
    renewal_loading: float
    acquisition_loading: float
    initial_expense: float
    maintenance_expense: float
    surrender_runoff_years: int

    @property
    def discount(self) -> float:
        """v = 1 / (1 + i)."""
        return 1.0 / (1.0 + self.interest_rate)


MODE_FACTORS = (
    # mode, payments per year, factor on the annual premium (the loading for paying more often).
    ("annual", 1, 1.0),
    ("semiannual", 2, 0.52),
    ("quarterly", 4, 0.265),
    ("monthly", 12, 0.09),
)
