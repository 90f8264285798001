"""The projection's fast path: one compiled loop per model point, no (points × months) arrays.

It walks each point's in-force months with lifelib's recursion in lifelib's order of operations
(death = pols × q, lapse = (pols - death) × l, next pols = pols - lapse - death) and accumulates
the present values as it goes, so memory is a few numbers per point whatever the term. Points are
shared among the CPUs (numba's prange). `projection.Projection` computes the same quantities as
whole arrays (the readable reference, and the month-by-month trace); the tests hold the two equal.
Imported only when a projection runs: compiling (or loading the cached compiled code) costs a
second or so, which the web process never pays.

The loop is lifelib's generalised for lifecrm's own products (`value.book`): a second decrement
(critical-illness diagnosis, `incidence`), a premium term shorter than the term and premiums due
every `premium_every` months, a commission rate by policy year, benefits on death (with a refund of
premiums before an age), on diagnosis, as a monthly morbidity cost (hospital cash), as a pension at
anniversaries from an age, on maturity, and the surrender value paid on a lapse. With lifelib's arguments every extra term is an exact
zero (x + 0.0 and x × 1.0 are x), so lifelib's numbers come out bit for bit as before.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

# Columns of the kernel's result, per model point: Σ pols × df over all months in force, over the months a
# premium falls due, the same weighted by the commission rate, and the present values of claims and expenses.
PV_POLS, PV_PREMIUM_POLS, PV_COMMISSION_POLS, PV_CLAIMS, PV_EXPENSES = range(5)
COLUMNS = 5


@njit(cache=True, parallel=True, fastmath=False)
def present_values(age_at_entry, duration_mth, term_mth, premium_mth, premium_every, policy_count, sex,
                   death_benefit, refund_premium, refund_before_age, incidence_benefit, morbidity_benefit,
                   annuity, annuity_from_age, maturity_benefit, surrender_value, expense_acq, expense_maint,
                   mort_monthly, min_age, incidence_monthly, morbidity_monthly, lapse_monthly, commission_rate,
                   disc_factors, inflation_factor):  # pragma: no cover - compiled; its results are tested
    """Per point (arrays of one entry per point; `sex` indexes the first axis of the age tables):

    mort_monthly (sexes, ages, 6 select columns), incidence_monthly and morbidity_monthly (sexes, ages),
    lapse_monthly and commission_rate by policy year, disc_factors and inflation_factor by projection month;
    surrender_value (points, years): the amount paid on a lapse in each policy year (its last column holds on).
    """
    n = age_at_entry.shape[0]
    last_cv = surrender_value.shape[1] - 1
    out = np.zeros((n, COLUMNS))
    for i in prange(n):
        d0 = duration_mth[i]
        entry = max(-d0, 0)
        maturity = term_mth[i] - d0
        count = policy_count[i]
        s = sex[i]
        premium_end = premium_mth[i]
        every = premium_every[i]
        premium_years = premium_end // 12
        # Benefits this point does not have are skipped (lifelib's points have none of them): the same
        # arithmetic as adding their zeros, without the loads.
        diagnosis = incidence_benefit[i]
        morbidity = morbidity_benefit[i]
        refund = refund_premium[i]
        pension = annuity[i]
        surrenders = last_cv > 0
        start = d0 + entry
        next_premium = -(-start // every) * every  # the first month from `start` a premium falls due
        pols = count if d0 > 0 else 0.0
        pv_pols = 0.0
        pv_premium = 0.0
        pv_commission = 0.0
        pv_claims = 0.0
        pv_expenses = 0.0
        for t in range(entry, maturity):
            dm = d0 + t
            year = dm // 12
            age = age_at_entry[i] + year - min_age
            new_biz = count if dm == 0 else 0.0
            pols = pols + new_biz
            q = mort_monthly[s, age, min(year, 5)]
            death = pols * q
            diagnosed = (pols - death) * incidence_monthly[s, age] if diagnosis != 0.0 else 0.0
            lapse = (pols - death - diagnosed) * lapse_monthly[year]
            df = disc_factors[t]
            pv_pols += pols * df
            if dm == next_premium:
                next_premium += every
                if dm < premium_end:
                    pv_premium += pols * df
                    pv_commission += commission_rate[year] * pols * df
            benefit = death_benefit[i]
            if refund != 0.0 and age + min_age < refund_before_age[i]:
                benefit += refund * min(year + 1, premium_years)
            claim = benefit * death
            if diagnosis != 0.0:
                claim += diagnosis * diagnosed
            if morbidity != 0.0:
                claim += morbidity * pols * morbidity_monthly[s, age]
            if surrenders:
                claim += lapse * surrender_value[i, min(year, last_cv)]
            if pension != 0.0 and dm % 12 == 0 and age + min_age >= annuity_from_age[i]:
                claim += pension * pols
            pv_claims += claim * df
            pv_expenses += (expense_acq[i] * new_biz + pols * expense_maint[i] / 12 * inflation_factor[t]) * df
            pols = pols - lapse - death - diagnosed
        if maturity >= 0 and maturity_benefit[i] != 0.0:
            pv_claims += maturity_benefit[i] * pols * disc_factors[maturity]
        out[i, PV_POLS] = pv_pols
        out[i, PV_PREMIUM_POLS] = pv_premium
        out[i, PV_COMMISSION_POLS] = pv_commission
        out[i, PV_CLAIMS] = pv_claims
        out[i, PV_EXPENSES] = pv_expenses
    return out
