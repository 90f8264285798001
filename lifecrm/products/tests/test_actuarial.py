"""Tests of the actuarial derivation against values recomputed here from first principles, year by year."""
from __future__ import annotations

import math

import numpy as np
import pytest

from lifecrm.products.actuarial import formulas, pricing
from lifecrm.products.actuarial.basis import (
    CRITICAL_ILLNESS_INCIDENCE,
    MAX_AGE,
    MORTALITY_LAWS,
    OutsideTableError,
    check_ages,
)
from lifecrm.products.actuarial.catalogue import PRODUCTS, product
from lifecrm.products.actuarial.derive import derive, derive_cover

TOLERANCE = 1e-9


def loop_mortality(sex: str, age: int, multiplier: float = 1.0) -> float:
    """qₓ straight from the Gompertz–Makeham parameters: 1 − exp(−(a + b·cˣ·(c−1)/ln c))."""
    law = MORTALITY_LAWS[sex]
    force = law.a + law.b * law.c**age * (law.c - 1) / math.log(law.c)
    return min((1 - math.exp(-force)) * multiplier, 1.0)


def loop_ci_incidence(sex: str, age: int) -> float:
    incidence = CRITICAL_ILLNESS_INCIDENCE[sex]
    return min(math.exp(incidence.alpha + incidence.beta * age), incidence.cap)


def loop_values(spec, cover, sex: str, age: int) -> dict[str, float]:
    """PVs at issue, per unit SA, by summing year by year: benefits, premium annuity, in-force annuity."""
    basis = spec.basis
    v = 1 / (1 + basis.interest_rate)
    years = cover.term or MAX_AGE - age
    in_force = 1.0
    benefits = premiums = in_force_annuity = refunds = 0.0
    for k in range(years):
        attained = age + k
        q = loop_mortality(sex, attained, basis.mortality_multiplier)
        claim = loop_ci_incidence(sex, attained) if cover.kind == pricing.CRITICAL_ILLNESS else q
        survive = (1 - q) * (1 - claim) if cover.kind == pricing.CRITICAL_ILLNESS else 1 - q
        if k < cover.premium_term:
            premiums += v**k * in_force
        in_force_annuity += v**k * in_force
        if cover.kind == pricing.ANNUITY:
            if attained >= cover.annuity_start_age:
                benefits += v**k * in_force
            elif attained < cover.annuity_start_age:
                refunds += v ** (k + 1) * in_force * q * min(k + 1, cover.premium_term)
        else:
            benefits += v ** (k + 1) * in_force * claim
        in_force *= survive
    if cover.kind in (pricing.WHOLE_LIFE, pricing.ENDOWMENT):
        benefits += v**years * in_force
    return {
        "benefits": benefits,
        "premiums": premiums,
        "in_force": in_force_annuity,
        "refunds": refunds,
    }


def loop_gross_premium(spec, cover, sex: str, age: int) -> float:
    basis = spec.basis
    values = loop_values(spec, cover, sex, age)
    fixed = 1000 * values["benefits"] + basis.initial_expense + basis.maintenance_expense * values["in_force"]
    return fixed / (
        values["premiums"] * (1 - basis.renewal_loading) - basis.acquisition_loading - values["refunds"]
    )


def _priced_covers():
    for spec in PRODUCTS:
        if spec.kind == pricing.HOSPITAL:
            continue
        for cover in spec.covers():
            yield pytest.param(spec, cover, id=f"{spec.code}-{cover.term}-{cover.premium_term}")


PRICED_COVERS = list(_priced_covers())


def test_net_premium_by_hand_for_a_male_aged_40_on_20_year_term():
    spec = product("CN-TL01")
    cover = pricing.Cover(pricing.TERM, 20, 20)
    v = 1 / 1.025
    lives = [1.0]
    for k in range(20):
        lives.append(lives[-1] * (1 - loop_mortality("M", 40 + k)))
    # Commutation definitions: Dₓ = vˣlₓ, Cₓ = vˣ⁺¹dₓ; the common factor v⁴⁰l₄₀ cancels.
    d_columns = [v**k * lives[k] for k in range(20)]
    c_columns = [v ** (k + 1) * (lives[k] - lives[k + 1]) for k in range(20)]
    expected = 1000 * sum(c_columns) / sum(d_columns)
    comm = pricing.cover_commutation(cover, "M", spec.basis)
    assert pricing.net_premium(cover, comm, spec.basis, np.array([40]))[0] == pytest.approx(expected, abs=TOLERANCE)
    assert expected == pytest.approx(3.5220, abs=5e-5)  # the number itself, for the record


def test_commutation_columns_match_their_definitions():
    spec = product("CN-WL01")
    comm = pricing.cover_commutation(pricing.Cover(pricing.WHOLE_LIFE, 0, 10), "F", spec.basis)
    v = 1 / 1.025
    lives = [1.0]
    for age in range(MAX_AGE):
        lives.append(lives[-1] * (1 - loop_mortality("F", age)))
    for age in (0, 30, 64, 104, 105):
        assert comm.D[age] == pytest.approx(v**age * lives[age], rel=1e-12)
        assert comm.N[age] == pytest.approx(sum(v**y * lives[y] for y in range(age, MAX_AGE + 1)), rel=1e-12)
        deaths = sum(v ** (y + 1) * lives[y] * loop_mortality("F", y) for y in range(age, MAX_AGE))
        assert comm.M[age] == pytest.approx(deaths, rel=1e-12, abs=1e-300)
    assert comm.N[MAX_AGE + 1] == comm.M[MAX_AGE + 1] == comm.R[MAX_AGE + 1] == 0.0


@pytest.mark.parametrize(("spec", "cover"), PRICED_COVERS)
@pytest.mark.parametrize("sex", ["M", "F"])
def test_equivalence_principle_at_issue(spec, cover, sex):
    ages = np.array([spec.min_issue_age, (spec.min_issue_age + spec.max_issue_age) // 2, spec.max_issue_age])
    comm = pricing.cover_commutation(cover, sex, spec.basis)
    net = pricing.net_premium(cover, comm, spec.basis, ages)
    gross = pricing.gross_premium(cover, comm, spec.basis, ages)
    for index, age in enumerate(ages.tolist()):
        values = loop_values(spec, cover, sex, age)
        pv_benefits = 1000 * values["benefits"] + gross[index] * values["refunds"]
        assert net[index] * values["premiums"] == pytest.approx(pv_benefits, abs=TOLERANCE)
        assert gross[index] == pytest.approx(loop_gross_premium(spec, cover, sex, age), abs=TOLERANCE)
        assert gross[index] > net[index] > 0


@pytest.mark.parametrize(("spec", "cover"), PRICED_COVERS)
def test_reserves_start_at_zero_and_end_at_the_maturity_value(spec, cover):
    tables = derive_cover(spec, cover, "M")
    rows = np.arange(tables.ages.size)
    assert np.abs(tables.reserve[:, 0]).max() < TOLERANCE
    final = tables.reserve[rows, tables.policy_years]
    expected = {
        pricing.TERM: 0.0,
        pricing.CRITICAL_ILLNESS: 0.0,
        pricing.ANNUITY: 0.0,
        pricing.ENDOWMENT: 1000.0,
        pricing.WHOLE_LIFE: 1000.0,
    }[cover.kind]
    assert np.allclose(final, expected, atol=TOLERANCE)
    if cover.term == 0:
        assert np.all(tables.ages + tables.policy_years == MAX_AGE)


@pytest.mark.parametrize("code", ["CN-TL01", "CN-WL01", "CN-EN01", "HK-WL01"])
def test_reserves_follow_the_recursion(code):
    """(ₜV + P)(1 + i) = 1000·qₓ₊ₜ + pₓ₊ₜ·ₜ₊₁V, year by year (Fackler)."""
    spec = product(code)
    cover = spec.covers()[-1]
    age = 30
    tables = derive_cover(spec, cover, "F")
    row = int(np.flatnonzero(tables.ages == age)[0])
    net = tables.net_premium[row]
    for t in range(int(tables.policy_years[row])):
        q = loop_mortality("F", age + t, spec.basis.mortality_multiplier)
        premium = net if t < cover.premium_term else 0.0
        left = (tables.reserve[row, t] + premium) * (1 + spec.basis.interest_rate)
        right = 1000 * q + (1 - q) * tables.reserve[row, t + 1]
        assert left == pytest.approx(right, abs=1e-8)


@pytest.mark.parametrize(("spec", "cover"), PRICED_COVERS)
@pytest.mark.parametrize("sex", ["M", "F"])
def test_cash_values_lie_between_zero_and_the_reserve(spec, cover, sex):
    tables = derive_cover(spec, cover, sex)
    assert np.all(np.isfinite(tables.cash_value)) and np.all(np.isfinite(tables.gross_premium))
    assert np.all(tables.cash_value >= 0)
    assert np.all(tables.cash_value <= np.maximum(tables.reserve, 0) + TOLERANCE)
    years = np.arange(tables.cash_value.shape[1])
    beyond = years[None, :] > tables.policy_years[:, None]
    assert np.all(tables.cash_value[beyond] == 0)


@pytest.mark.parametrize("code", ["CN-WL01", "CN-EN01", "HK-WL01", "TW-WL01"])
def test_savings_cash_values_grow_every_year(code):
    spec = product(code)
    for cover in spec.covers():
        tables = derive_cover(spec, cover, "M")
        for row, years in enumerate(tables.policy_years.tolist()):
            values = tables.cash_value[row, 1 : years + 1]
            assert np.all(np.diff(values) > 0), (code, cover, tables.ages[row])


def test_premium_rates_rise_with_age_and_are_lower_for_women():
    for code in ("CN-TL01", "CN-WL01", "CN-CI01", "HK-TL01", "TW-WL01"):
        spec = product(code)
        for cover in spec.covers():
            male = derive_cover(spec, cover, "M").gross_premium
            female = derive_cover(spec, cover, "F").gross_premium
            assert np.all(np.diff(male) > 0), code
            if cover.kind != pricing.CRITICAL_ILLNESS:
                assert np.all(female < male), code


def test_more_premium_years_mean_a_lower_yearly_premium():
    spec = product("TW-WL01")
    six, ten, twenty = (derive_cover(spec, cover, "M").gross_premium for cover in spec.covers())
    assert np.all(six > ten) and np.all(ten > twenty)


def test_hospital_cash_rates_by_band():
    spec = product("CN-HC01")
    rates = pricing.hospital_cash_rate(spec.basis, np.arange(0, 65))
    assert rates[30] == rates[39] < rates[40] == rates[49] < rates[50] < rates[64]
    # 0.035 admissions × 6 days / 180 × 1,000, discounted half a year, / (1 − 30 %), + 1.00 expense.
    assert rates[30] == pytest.approx(0.035 * 6 / 180 * 1000 / 1.025**0.5 / 0.7 + 1.0, abs=TOLERANCE)
    with pytest.raises(OutsideTableError):
        pricing.hospital_cash_rate(spec.basis, [65])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda comm: formulas.annuity_due(comm, 100, 10), "age at the end of the term"),
        (lambda comm: formulas.term_assurance(comm, -1, 10), "age"),
        (lambda comm: formulas.pure_endowment(comm, 40.5, 10), "whole numbers"),
        (lambda comm: formulas.endowment_assurance(comm, np.array([30, 106]), 0), "outside"),
        (lambda comm: formulas.annuity_due(comm, float("nan"), 1), "whole numbers"),
        (lambda comm: formulas.annuity_due(comm, "forty", 1), "whole numbers"),
    ],
)
def test_points_outside_the_table_fail_loudly(call, message):
    spec = product("CN-WL01")
    comm = pricing.cover_commutation(spec.covers()[0], "M", spec.basis)
    with pytest.raises(OutsideTableError, match=message):
        call(comm)


def test_covers_that_cannot_be_written_fail_loudly():
    spec = product("CN-AN01")
    ten_pay = pricing.Cover(pricing.ANNUITY, 0, 10, annuity_start_age=60)
    with pytest.raises(OutsideTableError, match="last premium"):
        ten_pay.policy_years(np.array([51]))
    with pytest.raises(OutsideTableError):
        pricing.Cover(pricing.TERM, 30, 30).policy_years(np.array([80]))
    with pytest.raises(OutsideTableError):
        pricing.cover_commutation(ten_pay, "X", spec.basis)
    assert check_ages([0, 105]).tolist() == [0, 105]


def test_derivation_reproduces_the_committed_files_byte_for_byte(tmp_path):
    from lifecrm.products.actuarial.derive import DATA_DIR

    counts = derive(tmp_path)
    assert counts["products"] == len(PRODUCTS)
    for name in ("products.csv", "mode_factors.csv", "premium_rates.csv", "cash_values.csv"):
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), name
    total = sum((DATA_DIR / name).stat().st_size for name in DATA_DIR.glob("*.csv"))
    assert total < 4_000_000
