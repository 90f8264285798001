"""Decrement tables and their commutation functions Dₓ, Nₓ, Cₓ, Mₓ, Rₓ, tabulated at ages 0..105.

A decrement table holds, for each integer age x, the probability that a policy in force at x
stays in force to x + 1 (`in_force_survival`) and the probability that the insured event
happens in that year (`claim_probability`: death for life cover, first critical-illness
diagnosis for the CI rider). Benefits are paid at the end of the year of the event; premiums
and annuity payments at the start of each year (annuity-due). Cover ends at age 105.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lifecrm.products.actuarial.basis import (
    AGES,
    CRITICAL_ILLNESS_INCIDENCE,
    MAX_AGE,
    MORTALITY_LAWS,
    OutsideTableError,
    PricingBasis,
)


def mortality_rate(sex: str, multiplier: float = 1.0) -> np.ndarray:
    """qₓ, x = 0..105: 1 − exp(−∫μ) of the sex's Gompertz–Makeham law, × multiplier, capped at 1."""
    try:
        law = MORTALITY_LAWS[sex]
    except KeyError:
        raise OutsideTableError(f"sex must be one of {sorted(MORTALITY_LAWS)}, not {sex!r}") from None
    rates = (1.0 - np.exp(-law.integrated_force(AGES.astype(np.float64)))) * multiplier
    return np.minimum(rates, 1.0)


def critical_illness_rate(sex: str) -> np.ndarray:
    """iₓ, x = 0..105: yearly probability of a first critical-illness diagnosis (illustrative)."""
    try:
        incidence = CRITICAL_ILLNESS_INCIDENCE[sex]
    except KeyError:
        raise OutsideTableError(f"sex must be one of {sorted(CRITICAL_ILLNESS_INCIDENCE)}, not {sex!r}") from None
    return incidence.rate(AGES.astype(np.float64))


@dataclass(frozen=True, slots=True)
class DecrementTable:
    """One in-force decrement and one claim decrement at ages 0..105, with the interest rate to discount."""

    name: str
    in_force_survival: np.ndarray
    claim_probability: np.ndarray
    interest_rate: float

    def __post_init__(self) -> None:
        for array in (self.in_force_survival, self.claim_probability):
            if array.shape != AGES.shape or not np.all(np.isfinite(array)):
                raise ValueError(f"{self.name}: decrement arrays must be finite with one value per age 0..105")
            if np.any(array < 0) or np.any(array > 1):
                raise ValueError(f"{self.name}: probabilities must lie in [0, 1]")


def death_table(sex: str, basis: PricingBasis) -> DecrementTable:
    """Life cover: policies leave by death (qₓ) and death is the claim. Nobody is covered past 105."""
    deaths = mortality_rate(sex, basis.mortality_multiplier)
    claims = deaths.copy()
    claims[MAX_AGE] = 0.0
    return DecrementTable(f"death {sex}", 1.0 - deaths, claims, basis.interest_rate)


def critical_illness_table(sex: str, basis: PricingBasis) -> DecrementTable:
    """CI cover: policies leave by CI diagnosis (iₓ, the claim) or by death without CI, independently."""
    deaths = mortality_rate(sex, basis.mortality_multiplier)
    diagnoses = critical_illness_rate(sex)
    diagnoses[MAX_AGE] = 0.0
    return DecrementTable(
        f"critical illness {sex}", (1.0 - deaths) * (1.0 - diagnoses), diagnoses, basis.interest_rate
    )


@dataclass(frozen=True, slots=True)
class Commutation:
    """Commutation columns of a decrement table; index = age. D, C at 0..105; N, M, R at 0..106 (= 0 at 106)."""

    lives: np.ndarray
    D: np.ndarray
    N: np.ndarray
    C: np.ndarray
    M: np.ndarray
    R: np.ndarray


def lives(table: DecrementTable) -> np.ndarray:
    """lₓ, x = 0..105, with l₀ = 1: lₓ₊₁ = lₓ · pₓ."""
    return np.concatenate(([1.0], np.cumprod(table.in_force_survival[:-1])))


def discount_factor(interest_rate: float, ages: np.ndarray) -> np.ndarray:
    """vˣ with v = 1/(1+i)."""
    return (1.0 + interest_rate) ** -ages.astype(np.float64)


def commutation_d(table: DecrementTable) -> np.ndarray:
    """Dₓ = vˣ · lₓ."""
    return discount_factor(table.interest_rate, AGES) * lives(table)


def commutation_n(table: DecrementTable) -> np.ndarray:
    """Nₓ = Σ_{y=x}^{105} D_y, with N₁₀₆ = 0."""
    return _tail_sum(commutation_d(table))


def commutation_c(table: DecrementTable) -> np.ndarray:
    """Cₓ = vˣ⁺¹ · lₓ · (claim probability at x): the claim paid at the end of the year."""
    return discount_factor(table.interest_rate, AGES + 1) * lives(table) * table.claim_probability


def commutation_m(table: DecrementTable) -> np.ndarray:
    """Mₓ = Σ_{y=x}^{105} C_y, with M₁₀₆ = 0."""
    return _tail_sum(commutation_c(table))


def commutation_r(table: DecrementTable) -> np.ndarray:
    """Rₓ = Σ_{y=x}^{105} M_y, with R₁₀₆ = 0 (for increasing benefits)."""
    return _tail_sum(commutation_m(table)[:-1])


def commutation(table: DecrementTable) -> Commutation:
    """Every commutation column of `table`, computed once."""
    return Commutation(
        lives=lives(table),
        D=commutation_d(table),
        N=commutation_n(table),
        C=commutation_c(table),
        M=commutation_m(table),
        R=commutation_r(table),
    )


def _tail_sum(column: np.ndarray) -> np.ndarray:
    """Σ from each index to the end, with one trailing 0 appended."""
    return np.concatenate((np.cumsum(column[::-1])[::-1], [0.0]))
