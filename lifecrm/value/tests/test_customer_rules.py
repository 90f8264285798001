"""The pure rules of customer value, tiers and life-cycle stages, at their boundaries (day before, of, after)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from lifecrm.value import rules
from lifecrm.value.reasons import LABELS
from lifecrm.value.rules import PolicyFacts, potential_value, stage_for, tier_for
from lifecrm.value.tests.words import words

D = Decimal


def policy(pk, issued, status="in_force", since=None):
    return PolicyFacts(pk, f"P{pk}", issued, status, since or issued)


def stage(policies, as_of, debits=()):
    return stage_for(policies, list(debits), as_of)[0]


def around(day):
    return day - timedelta(days=1), day, day + timedelta(days=1)


def test_prospect_until_the_first_policy_is_issued_then_new():
    issued = date(2025, 3, 10)
    before, of, after = around(issued)
    assert stage([], of) == "prospect"
    assert [stage([policy(1, issued)], d) for d in (before, of, after)] == ["prospect", "new", "new"]


def test_new_for_twelve_months_then_growing_for_the_next_twelve_then_mature():
    issued = date(2025, 3, 10)
    assert [stage([policy(1, issued)], d) for d in around(date(2026, 3, 10))] == ["new", "growing", "growing"]
    assert [stage([policy(1, issued)], d) for d in around(date(2027, 3, 10))] == ["growing", "mature", "mature"]


def test_growing_when_a_policy_is_added_within_24_months():
    first, added = policy(1, date(2020, 1, 5)), policy(2, date(2024, 6, 30))
    assert [stage([first, added], d) for d in around(date(2026, 6, 30))] == ["growing", "mature", "mature"]


def test_month_end_issue_counts_months_as_add_months_does():
    # 31 August + 12 months = 31 August; 29 February 2024 + 12 months = 28 February 2025.
    leap = policy(1, date(2024, 2, 29))
    assert [stage([leap], d) for d in around(date(2025, 2, 28))] == ["new", "growing", "growing"]


def test_at_risk_on_a_premium_in_grace_or_a_suspended_policy():
    as_of = date(2026, 11, 29)
    old = policy(1, date(2018, 1, 1))
    assert stage([old], as_of) == "mature"
    assert stage([policy(1, date(2018, 1, 1), "grace", date(2026, 11, 1))], as_of) == "at_risk"
    name, reasons = stage_for([policy(1, date(2018, 1, 1), "suspended", date(2026, 10, 1))], [], as_of)
    assert name == "at_risk" and reasons == [{"code": "policy_at_risk", "policy": "P1", "status": "suspended",
                                              "day": "2026-10-01"}]
    assert words(reasons) == ["policy P1 suspended since 2026-10-01"]


def test_at_risk_for_90_days_after_a_rejected_debit():
    as_of = date(2026, 11, 29)
    old = [policy(1, date(2018, 1, 1))]
    edge = as_of - timedelta(days=rules.AT_RISK_DAYS)  # 90 days ago: no longer "in the last 90 days"
    assert stage(old, as_of, [edge]) == "mature"
    assert stage(old, as_of, [edge + timedelta(days=1)]) == "at_risk"
    assert stage(old, as_of, [as_of]) == "at_risk"
    assert stage(old, as_of, [as_of + timedelta(days=1)]) == "mature"  # not yet known on as_of


def test_lapsed_when_no_policy_is_in_force_but_one_was():
    as_of = date(2026, 11, 29)
    name, reasons = stage_for([policy(1, date(2019, 1, 1), "lapsed", date(2024, 5, 2)),
                               policy(2, date(2015, 1, 1), "surrendered", date(2020, 1, 1))], [], as_of)
    assert name == "lapsed" and words(reasons) == ["no policy in force; had 2, the last (P1) lapsed on 2024-05-02"]
    # A suspended policy can still be reinstated: the customer is at risk, not lapsed.
    assert stage([policy(1, date(2019, 1, 1), "suspended", date(2026, 9, 1))], as_of) == "at_risk"


def test_won_back_for_twelve_months_after_a_new_policy_follows_a_lapse():
    lapsed = policy(1, date(2018, 1, 1), "lapsed", date(2024, 6, 1))
    back = policy(2, date(2025, 1, 10))
    assert [stage([lapsed, back], d) for d in around(date(2026, 1, 10))] == ["won_back", "growing", "growing"]
    # lapsed on the day of the new policy: still won back; still in force then: merely growing
    assert stage([policy(1, date(2018, 1, 1), "lapsed", date(2025, 1, 10)), back], date(2025, 6, 1)) == "won_back"
    assert stage([policy(1, date(2018, 1, 1), "lapsed", date(2025, 1, 11)), back], date(2025, 6, 1)) == "growing"
    assert stage([policy(1, date(2018, 1, 1)), back], date(2025, 6, 1)) == "growing"


def test_at_risk_comes_before_won_back():
    lapsed = policy(1, date(2018, 1, 1), "lapsed", date(2024, 6, 1))
    back = policy(2, date(2025, 1, 10), "grace", date(2025, 5, 1))
    assert stage([lapsed, back], date(2025, 6, 1)) == "at_risk"


THRESHOLDS = {"diamond": D("100000"), "gold": D("30000"), "silver": D("5000")}


@pytest.mark.parametrize(("value", "tier"), [
    (D("99999.99"), "gold"), (D("100000"), "diamond"), (D("100000.01"), "diamond"),
    (D("29999.99"), "silver"), (D("30000"), "gold"), (D("4999.99"), "standard"), (D("5000"), "silver"),
    (D("-10"), "standard"),
])
def test_tier_thresholds_are_minimums(value, tier):
    assert tier_for(value, THRESHOLDS) == tier


def test_protection_gap_of_a_parent_of_young_children():
    value, reasons = potential_value(currency="CNY", age=41, children_ages=[3, 17, 18], death_cover=D("400000"),
                                     has_annuity=False)
    # two children under 18: 2 × 500,000 needed, 600,000 short, 0.5 % of it
    assert value == D("3000.00")
    assert words(reasons) == ["protection gap: parent of 2 child(ren) under 18 with death cover 400,000.00, short "
                              "of 1,000,000.00 by 600,000.00; 0.5% of the gap = 3,000.00"]
    assert potential_value(currency="CNY", age=41, children_ages=[3], death_cover=D("500000"),
                           has_annuity=False) == (D("0.00"), [])
    assert potential_value(currency="CNY", age=41, children_ages=[18], death_cover=D("0"),
                           has_annuity=False) == (D("0.00"), [])


@pytest.mark.parametrize(("age", "gap"), [(49, False), (50, True), (59, True), (60, False)])
def test_annuity_gap_in_the_ten_years_before_retirement(age, gap):
    value, _ = potential_value(currency="CNY", age=age, children_ages=[], death_cover=D("0"), has_annuity=False)
    assert value == (D("3000") if gap else D("0"))
    assert potential_value(currency="CNY", age=age, children_ages=[], death_cover=D("0"),
                           has_annuity=True)[0] == 0


def test_network_value_counts_each_person_once_at_the_referral_share_when_both():
    value, reasons = rules.network_value(referred={1: D("1000")}, household={1: D("1000"), 2: D("2000")})
    assert value == D("200.00")  # 10 % of 1,000 + 5 % of 2,000
    assert words(reasons) == ["10% of the current value 1,000.00 of 1 referred customer(s) = 100.00",
                              "5% of the current value 2,000.00 of 1 household member(s) = 100.00"]


def test_margin_earned_is_three_percent_of_the_premiums_paid():
    assert rules.historical_value(D("1500.50"))[0] == D("45.02")  # 45.015 rounded half-up


def test_weekly_on_sundays():
    assert [rules.is_value_day(date(2026, 11, d)) for d in (28, 29, 30)] == [False, True, False]


def test_reasons_are_codes_with_figures_put_in_words_in_the_readers_language():
    suspended = stage_for([policy(1, date(2018, 1, 1), "suspended", date(2026, 10, 1))], [], date(2026, 11, 29))[1]
    assert words(suspended, "zh-hant") == ["保單 P1 自 2026-10-01 起停效"]
    assert words(suspended, "zh-hans") == ["保单 P1 自 2026-10-01 起效力中止"]
    tier = rules.tier_reasons("gold", D("31000.5"), THRESHOLDS, 3)
    assert tier == [{"code": "tier_reached", "tier": "gold", "amount": "31000.50", "threshold": "30000.00", "version": 3}]
    assert words(tier) == ["value 31,000.50 at or above the gold threshold 30,000.00 (thresholds version 3)"]
    assert words(tier, "zh-hant") == ["價值 31,000.50，達到「金」等級門檻 30,000.00（門檻第 3 版）"]


def test_every_reason_code_the_rules_can_give_has_words():
    codes = {"policy_pvfp", "policy_not_valued", "no_policy_in_force", "no_gap", "no_network", "no_thresholds"}
    codes |= {r["code"] for r in rules.historical_value(D("100"))[1]}
    codes |= {r["code"] for r in potential_value(currency="CNY", age=55, children_ages=[3], death_cover=D("0"),
                                                 has_annuity=False)[1]}
    codes |= {r["code"] for r in rules.network_value(referred={1: D("1")}, household={2: D("1")})[1]}
    codes |= {r["code"] for tier in rules.TIER_ORDER for r in rules.tier_reasons(tier, D("1"), THRESHOLDS, 1)}
    as_of = date(2026, 11, 29)
    for policies, debits in [([], []), ([policy(1, date(2019, 1, 1), "lapsed", date(2024, 5, 2))], []),
                             ([policy(1, date(2018, 1, 1), "grace", date(2026, 11, 1))], [as_of]),
                             ([policy(1, date(2018, 1, 1), "lapsed", date(2024, 6, 1)), policy(2, date(2026, 1, 10))], []),
                             ([policy(1, date(2026, 3, 1))], []), ([policy(1, date(2018, 1, 1)), policy(2, date(2025, 9, 1))], []),
                             ([policy(1, date(2018, 1, 1))], [])]:
        codes |= {r["code"] for r in stage_for(policies, debits, as_of)[1]}
    assert codes == set(LABELS)
    assert words([{"code": "no_such_code"}, "an English sentence stored before reasons had codes"]) == [
        "no_such_code", "an English sentence stored before reasons had codes"]
