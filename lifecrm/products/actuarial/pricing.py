"""Premiums, reserves and cash values of one cover, per 1,000 of sum assured, vectorised over issue ages.

A `Cover` says what is paid (its kind), for how long (term n, premium term m) and, for the
deferred annuity, from which age. Every quantity is one function:

    benefit_value          PV at duration t of the future benefits
    net_premium            P: equivalence principle, P·ä_{x:m⌉} = PV benefits at issue
    gross_premium          G: equivalence with loadings and expenses
    net_premium_reserve    ₜV = PV future benefits − P·ä_{x+t:m−t⌉} (prospective)
    surrender_charge       ₜSC = acquisition allowance × (1 − t/R)⁺
    cash_value             ₜCV = max(0, ₜV − ₜSC)

Arrays: issue ages `x` have shape (A, 1), durations `t` shape (1, T); a term of 0 in the
product tables (whole of life) is passed here as n = 105 − x.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lifecrm.products.actuarial import formulas
from lifecrm.products.actuarial.basis import (
    HOSPITAL_BANDS,
    HOSPITAL_DAYS_PER_SUM_ASSURED,
    MAX_AGE,
    PER_MILLE,
    OutsideTableError,
    PricingBasis,
    check_ages,
)
from lifecrm.products.actuarial.commutation import (
    Commutation,
    commutation,
    critical_illness_table,
    death_table,
)

TERM = "term"
WHOLE_LIFE = "whole_life"
ENDOWMENT = "endowment"
ANNUITY = "annuity"
CRITICAL_ILLNESS = "ci_rider"
HOSPITAL = "hospital_rider"


@dataclass(frozen=True, slots=True)
class Cover:
    """What a policy pays: kind, term n in years (0 = to age 105), premium term m, annuity start age."""

    kind: str
    term: int
    premium_term: int
    annuity_start_age: int | None = None

    def policy_years(self, issue_ages: np.ndarray) -> np.ndarray:
        """n per issue age: the term, or 105 − x for whole of life (term 0)."""
        ages = check_ages(issue_ages, what="issue age")
        years = np.full_like(ages, self.term) if self.term else MAX_AGE - ages
        check_ages(ages + years, what="age at the end of the policy")
        if np.any(years < self.premium_term):
            raise OutsideTableError(f"premium term {self.premium_term} exceeds the policy term for some issue ages")
        if self.kind == ANNUITY:
            if self.annuity_start_age is None:
                raise ValueError("an annuity needs its start age")
            check_ages(ages + self.premium_term, high=self.annuity_start_age, what="age at the last premium")
        return years


def cover_commutation(cover: Cover, sex: str, basis: PricingBasis) -> Commutation:
    """The commutation columns the cover is priced on: death, or critical-illness diagnosis."""
    if cover.kind == CRITICAL_ILLNESS:
        return commutation(critical_illness_table(sex, basis))
    return commutation(death_table(sex, basis))


def sum_assured_benefit_value(cover: Cover, comm: Commutation, x, t, n) -> np.ndarray:
    """PV at duration t of the benefits that are multiples of the sum assured, per unit of sum assured."""
    attained = x + t
    remaining = n - t
    if cover.kind in (TERM, CRITICAL_ILLNESS):
        return formulas.term_assurance(comm, attained, remaining)
    if cover.kind in (WHOLE_LIFE, ENDOWMENT):
        return formulas.endowment_assurance(comm, attained, remaining)
    if cover.kind == ANNUITY:
        return formulas.deferred_annuity_due(comm, attained, cover.annuity_start_age, MAX_AGE)
    raise ValueError(f"no commutation pricing for kind {cover.kind!r}")


def premium_refund_value(cover: Cover, comm: Commutation, x, t) -> np.ndarray:
    """PV at duration t of the refund of gross premiums on death before the annuity starts, per unit premium."""
    if cover.kind != ANNUITY:
        return np.zeros(np.broadcast(x, t).shape)
    deferral = cover.annuity_start_age - x
    return formulas.premium_refund_assurance(comm, x, t, cover.premium_term, deferral)


def benefit_value(cover: Cover, comm: Commutation, x, t, n, gross) -> np.ndarray:
    """PV at duration t of all future benefits per 1,000 of sum assured (gross premium G enters refunds)."""
    return PER_MILLE * sum_assured_benefit_value(cover, comm, x, t, n) + gross * premium_refund_value(
        cover, comm, x, t
    )


def premium_annuity(cover: Cover, comm: Commutation, x, t) -> np.ndarray:
    """ä_{x+t:(m−t)⁺⌉}: the premiums still to be paid at duration t, per unit of premium."""
    return formulas.annuity_due(comm, x + t, np.maximum(cover.premium_term - t, 0))


def gross_premium(cover: Cover, comm: Commutation, basis: PricingBasis, x) -> np.ndarray:
    """G per 1,000 SA from the gross equivalence principle, at issue:

        G·ä_{x:m⌉} = PV benefits + initial expense + maintenance·ä_{x:n⌉}
                     + G·(renewal loading·ä_{x:m⌉} + acquisition loading),
    where PV benefits may contain G·(refund of premiums value) for the annuity.
    """
    n = cover.policy_years(x)
    premiums = formulas.annuity_due(comm, x, cover.premium_term)
    in_force = formulas.annuity_due(comm, x, n)
    fixed = PER_MILLE * sum_assured_benefit_value(cover, comm, x, 0, n) + basis.initial_expense
    fixed = fixed + basis.maintenance_expense * in_force
    denominator = (
        premiums * (1.0 - basis.renewal_loading)
        - basis.acquisition_loading
        - premium_refund_value(cover, comm, x, 0)
    )
    if np.any(denominator <= 0):
        raise ValueError("loadings leave no premium to pay for benefits")
    return fixed / denominator


def net_premium(cover: Cover, comm: Commutation, basis: PricingBasis, x) -> np.ndarray:
    """P per 1,000 SA: P·ä_{x:m⌉} = PV benefits at issue (no expenses)."""
    n = cover.policy_years(x)
    gross = gross_premium(cover, comm, basis, x)
    return benefit_value(cover, comm, x, 0, n, gross) / formulas.annuity_due(comm, x, cover.premium_term)


def net_premium_reserve(cover: Cover, comm: Commutation, basis: PricingBasis, x, t) -> np.ndarray:
    """ₜV per 1,000 SA at the end of policy year t (before the next premium): prospective, net premium.

    x has shape (A, 1) and t shape (1, T); cells with t beyond the term are returned as 0.
    """
    x = np.asarray(x).reshape(-1, 1)
    t = np.asarray(t).reshape(1, -1)
    n = cover.policy_years(x)
    inside = t <= n
    t_in = np.minimum(t, n)
    gross = gross_premium(cover, comm, basis, x)
    net = net_premium(cover, comm, basis, x)
    reserve = benefit_value(cover, comm, x, t_in, n, gross) - net * premium_annuity(cover, comm, x, t_in)
    return np.where(inside, reserve, 0.0)


def surrender_charge(cover: Cover, basis: PricingBasis, gross, t) -> np.ndarray:
    """ₜSC = (acquisition loading·G + initial expense) × max(0, 1 − t/R), R = min(run-off years, m)."""
    runoff = max(min(basis.surrender_runoff_years, cover.premium_term), 1)
    allowance = basis.acquisition_loading * np.asarray(gross) + basis.initial_expense
    return allowance * np.maximum(1.0 - np.asarray(t) / runoff, 0.0)


def cash_value(reserve, charge) -> np.ndarray:
    """ₜCV = max(0, ₜV − ₜSC): never negative, never above the reserve."""
    return np.maximum(np.asarray(reserve) - np.asarray(charge), 0.0)


def hospital_cash_rate(basis: PricingBasis, ages) -> np.ndarray:
    """Yearly gross rate per 1,000 SA of the hospital cash rider, by band of attained age.

    Expected cost = admissions × average paid days / 180 × 1,000, paid mid-year (v^½),
    grossed up by the renewal loading; the same for both sexes.
    """
    ages = check_ages(ages, what="age")
    cost = np.full(ages.shape, np.nan)
    for band in HOSPITAL_BANDS:
        in_band = (ages >= band.low_age) & (ages <= band.high_age)
        days = min(band.average_paid_days, HOSPITAL_DAYS_PER_SUM_ASSURED)
        cost[in_band] = band.admissions_per_year * days / HOSPITAL_DAYS_PER_SUM_ASSURED * PER_MILLE
    if np.isnan(cost).any():
        raise OutsideTableError(f"hospital cash rates stop at age {HOSPITAL_BANDS[-1].high_age}")
    return cost * basis.discount**0.5 / (1.0 - basis.renewal_loading) + basis.maintenance_expense
