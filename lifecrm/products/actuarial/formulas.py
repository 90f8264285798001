"""Annuity and assurance factors from commutation functions, one function per quantity, vectorised over ages.

Every function takes numpy arrays (or ints) of ages and terms that broadcast together and
raises OutsideTableError, never returns NaN, when an age or an age + term leaves 0..105.
Notation: x issue (or attained) age, n policy term, m premium-paying term, t duration in years.
"""
from __future__ import annotations

import numpy as np

from lifecrm.products.actuarial.basis import MAX_AGE, check_ages
from lifecrm.products.actuarial.commutation import Commutation


def _ages_and_ends(x, n) -> tuple[np.ndarray, np.ndarray]:
    """(x, x + n) as checked integer arrays: 0 ≤ x ≤ 105, n ≥ 0, x + n ≤ 105."""
    ages = check_ages(x, what="age")
    terms = check_ages(n, low=0, high=MAX_AGE, what="term")
    ends = check_ages(ages + terms, what="age at the end of the term")
    return np.broadcast_arrays(ages, ends)


def annuity_due(comm: Commutation, x, n) -> np.ndarray:
    """ä_{x:n⌉} = (Nₓ − Nₓ₊ₙ) / Dₓ: 1 a year at the start of each of n years while in force."""
    ages, ends = _ages_and_ends(x, n)
    return (comm.N[ages] - comm.N[ends]) / comm.D[ages]


def term_assurance(comm: Commutation, x, n) -> np.ndarray:
    """A¹_{x:n⌉} = (Mₓ − Mₓ₊ₙ) / Dₓ: 1 paid at the end of the year of a claim within n years."""
    ages, ends = _ages_and_ends(x, n)
    return (comm.M[ages] - comm.M[ends]) / comm.D[ages]


def pure_endowment(comm: Commutation, x, n) -> np.ndarray:
    """ₙEₓ = Dₓ₊ₙ / Dₓ: 1 paid at the end of n years if still in force."""
    ages, ends = _ages_and_ends(x, n)
    return comm.D[ends] / comm.D[ages]


def endowment_assurance(comm: Commutation, x, n) -> np.ndarray:
    """A_{x:n⌉} = A¹_{x:n⌉} + ₙEₓ: 1 on a claim within n years or on survival to the end of n years."""
    return term_assurance(comm, x, n) + pure_endowment(comm, x, n)


def deferred_annuity_due(comm: Commutation, x, start_age: int, end_age: int = MAX_AGE) -> np.ndarray:
    """(N_{max(x, s)} − N_e) / Dₓ: 1 a year at each age from s (start_age) to e − 1 while in force."""
    ages = check_ages(x, what="age")
    start = check_ages(np.maximum(ages, start_age), what="annuity start age")
    end = check_ages(np.maximum(start, end_age), what="annuity end age")
    return (comm.N[start] - comm.N[end]) / comm.D[ages]


def premium_refund_assurance(comm: Commutation, x, t, m, d) -> np.ndarray:
    """Value at duration t of refunding the premiums paid on a claim in policy years t+1..d.

    A policy issued at x pays 1 a year for m years; a claim in policy year k + 1 (k < d) pays
    min(k + 1, m), the premiums paid so far, at the end of that year. Its value at duration t is
        Σ_{k=t}^{d−1} min(k+1, m)·Cₓ₊ₖ / Dₓ₊ₜ
        = [t'·(Mₓ₊ₜ − Mₓ₊_d) + Rₓ₊ₜ' − Rₓ₊ₘ − (m − t')·Mₓ₊_d] / Dₓ₊ₜ,  t' = min(t, m), for t < d,
    and 0 from t = d on. Requires m ≤ d.
    """
    ages = check_ages(x, what="age")
    durations = check_ages(t, low=0, high=MAX_AGE, what="duration")
    premium_years = check_ages(m, low=0, high=MAX_AGE, what="premium term")
    refund_years = check_ages(d, low=0, high=MAX_AGE, what="refund period")
    if np.any(premium_years > refund_years):
        raise ValueError("the premium-paying term must end within the refund period (m ≤ d)")
    live = durations < refund_years
    t_now = np.minimum(durations, refund_years)
    attained = check_ages(ages + t_now, what="attained age")
    refund_end = check_ages(ages + refund_years, what="age at the end of the refund period")
    paid = np.minimum(t_now, premium_years)
    premium_end = ages + premium_years
    numerator = (
        paid * (comm.M[attained] - comm.M[refund_end])
        + comm.R[ages + paid]
        - comm.R[premium_end]
        - (premium_years - paid) * comm.M[refund_end]
    )
    return np.where(live, numerator / comm.D[attained], 0.0)
