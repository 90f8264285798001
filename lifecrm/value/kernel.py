"""The projection's fast path: one compiled loop per model point, no (points × months) arrays.

It walks each point's in-force months with lifelib's recursion in lifelib's order of operations
(death = pols × q, lapse = (pols - death) × l, next pols = pols - lapse - death) and accumulates
the present values as it goes, so memory is a few numbers per point whatever the term. Points are
shared among the CPUs (numba's prange). `projection.Projection` computes the same quantities as
whole arrays (the readable reference, and the month-by-month trace); the tests hold the two equal.
Imported only when a projection runs: compiling (or loading the cached compiled code) costs a
second or so, which the web process never pays.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

# Columns of the kernel's result, per model point.
PV_POLS, PV_POLS_FIRST_YEAR, PV_CLAIMS, PV_EXPENSES = range(4)


@njit(cache=True, parallel=True, fastmath=False)
def present_values(age_at_entry, duration_mth, policy_term, policy_count, sum_assured,
                   mort_monthly, min_age, lapse_monthly, disc_factors, inflation_factor,
                   expense_acq, expense_maint):  # pragma: no cover - compiled; its results are tested
    n = age_at_entry.shape[0]
    out = np.zeros((n, 4))
    for i in prange(n):
        d0 = duration_mth[i]
        entry = max(-d0, 0)
        maturity = 12 * policy_term[i] - d0
        count = policy_count[i]
        pols = count if d0 > 0 else 0.0
        pv_pols = 0.0
        pv_first = 0.0
        pv_claims = 0.0
        pv_expenses = 0.0
        for t in range(entry, maturity):
            dm = d0 + t
            year = dm // 12
            new_biz = count if dm == 0 else 0.0
            pols = pols + new_biz
            q = mort_monthly[age_at_entry[i] + year - min_age, min(year, 5)]
            death = pols * q
            lapse = (pols - death) * lapse_monthly[year]
            df = disc_factors[t]
            pv_pols += pols * df
            if year == 0:
                pv_first += pols * df
            pv_claims += sum_assured[i] * death * df
            pv_expenses += (expense_acq * new_biz + pols * expense_maint / 12 * inflation_factor[t]) * df
            pols = pols - lapse - death
        out[i, PV_POLS] = pv_pols
        out[i, PV_POLS_FIRST_YEAR] = pv_first
        out[i, PV_CLAIMS] = pv_claims
        out[i, PV_EXPENSES] = pv_expenses
    return out
