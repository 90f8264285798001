"""Boundary tests of the renewal-collection rules for CN, HK and TW: the day before, of and after each limit."""
from datetime import date

import pytest

from lifecrm.billing import rules
from lifecrm.core.selectors import jurisdiction_rule, working_calendar

pytestmark = pytest.mark.django_db


def grace_rules(code: str, *, demand_based: bool = False) -> rules.GraceRules:
    def optional(key):
        try:
            return jurisdiction_rule(code, key)
        except LookupError:
            return None

    grace_key = "grace_period_after_demand" if (code == "CN" and demand_based) else "grace_period"
    return rules.GraceRules(
        grace=jurisdiction_rule(code, grace_key),
        reinstatement_window=jurisdiction_rule(code, "reinstatement_window"),
        suspension_notice=optional("suspension_notice"),
        deemed_consent=optional("reinstatement_deemed_consent"),
        automatic_reinstatement=optional("automatic_reinstatement"),
        demand_based=demand_based or code == "TW",
    )


def in_grace(code, due, as_of, **kw):
    end = rules.grace_period_end(rules=grace_rules(code, **kw.pop("opts", {})), due=due,
                                 calendar=working_calendar(code), **kw)
    return as_of <= end


# -- premium schedule -------------------------------------------------------------------------------

def test_monthly_schedule_is_month_end_safe_in_a_leap_year():
    items = rules.premium_schedule(issue_date=date(2024, 1, 31), mode="monthly", premium_term_years=10,
                                   start=date(2024, 1, 1), end=date(2024, 4, 30))
    assert [i.due_date for i in items] == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]
    assert [i.instalment for i in items] == [0, 1, 2, 3]


def test_common_year_february_and_back_to_the_31st():
    items = rules.premium_schedule(issue_date=date(2025, 1, 31), mode="monthly", premium_term_years=1,
                                   start=date(2025, 2, 1), end=date(2025, 3, 31))
    assert [i.due_date for i in items] == [date(2025, 2, 28), date(2025, 3, 31)]


def test_no_premium_on_or_after_the_premium_term_end():
    items = rules.premium_schedule(issue_date=date(2020, 3, 15), mode="annual", premium_term_years=5,
                                   start=date(2020, 1, 1), end=date(2030, 1, 1))
    assert [i.due_date.year for i in items] == [2020, 2021, 2022, 2023, 2024]


def test_quarterly_from_the_30th_of_november():
    items = rules.premium_schedule(issue_date=date(2023, 11, 30), mode="quarterly", premium_term_years=2,
                                   start=date(2024, 1, 1), end=date(2024, 12, 31))
    assert [i.due_date for i in items] == [date(2024, 2, 29), date(2024, 5, 30), date(2024, 8, 30), date(2024, 11, 30)]


# -- grace period -----------------------------------------------------------------------------------

def test_cn_grace_ending_in_national_day_moves_to_next_working_day():
    cal = working_calendar("CN")
    assert not cal.is_working_day(date(2025, 10, 1)) and not cal.is_working_day(date(2025, 10, 8))
    # 2 Aug + 60 days = 1 Oct (holiday) → the customer's deadline moves to 9 Oct.
    assert rules.grace_period_end(rules=grace_rules("CN"), due=date(2025, 8, 2), calendar=cal) == date(2025, 10, 9)
    assert in_grace("CN", date(2025, 8, 2), date(2025, 10, 8))
    assert in_grace("CN", date(2025, 8, 2), date(2025, 10, 9))
    assert not in_grace("CN", date(2025, 8, 2), date(2025, 10, 10))


def test_cn_grace_ordinary_boundaries():
    # 10 Mar 2026 + 60 days = 9 May 2026, a Saturday make-up working day → no move.
    cal = working_calendar("CN")
    end = rules.grace_period_end(rules=grace_rules("CN"), due=date(2026, 3, 10), calendar=cal)
    assert end == date(2026, 5, 9) and cal.is_working_day(end)
    assert in_grace("CN", date(2026, 3, 10), date(2026, 5, 8))
    assert in_grace("CN", date(2026, 3, 10), date(2026, 5, 9))
    assert not in_grace("CN", date(2026, 3, 10), date(2026, 5, 10))
    assert rules.suspension_date(grace_end=end) == date(2026, 5, 10)


def test_cn_demand_based_option_runs_30_days_from_the_demand():
    r = grace_rules("CN", demand_based=True)
    cal = working_calendar("CN")
    assert rules.grace_period_end(rules=r, due=date(2026, 6, 1), demand_arrived=date(2026, 6, 3),
                                  calendar=cal) == date(2026, 7, 3)
    with pytest.raises(rules.DemandRequired):
        rules.grace_period_end(rules=r, due=date(2026, 6, 1), calendar=cal)


def test_hk_grace_31_days_across_month_end():
    # 31 Jan 2026 + 31 days = 3 Mar 2026 (Tuesday).
    assert in_grace("HK", date(2026, 1, 31), date(2026, 3, 2))
    assert in_grace("HK", date(2026, 1, 31), date(2026, 3, 3))
    assert not in_grace("HK", date(2026, 1, 31), date(2026, 3, 4))


def test_hk_grace_ending_on_a_sunday_moves_to_monday():
    # 26 Feb 2026 + 31 days = Sunday 29 Mar 2026 → Monday 30 Mar.
    end = rules.grace_period_end(rules=grace_rules("HK"), due=date(2026, 2, 26), calendar=working_calendar("HK"))
    assert end == date(2026, 3, 30)


def test_tw_grace_runs_from_the_demand_arrival():
    cal = working_calendar("TW")
    r = grace_rules("TW")
    # Due 1 Jun 2026, demand arrives 10 Jun → 30 days → Friday 10 Jul 2026.
    assert rules.grace_period_end(rules=r, due=date(2026, 6, 1), demand_arrived=date(2026, 6, 10),
                                  calendar=cal) == date(2026, 7, 10)
    assert in_grace("TW", date(2026, 6, 1), date(2026, 7, 10), demand_arrived=date(2026, 6, 10))
    assert not in_grace("TW", date(2026, 6, 1), date(2026, 7, 11), demand_arrived=date(2026, 6, 10))


# -- suspension, reinstatement, lapse -----------------------------------------------------------------

def test_cn_suspension_notice_counts_make_up_working_days_and_skips_the_holiday():
    # Suspended Fri 26 Sep 2025: working days 28 Sep (make-up Sunday), 29, 30 Sep, 9, 10, 11 (make-up
    # Saturday), 13, 14, 15, 16 Oct → the 10th is 16 Oct. The insurer's own limit never moves.
    deadline = rules.suspension_notice_deadline(rules=grace_rules("CN"), suspended_on=date(2025, 9, 26),
                                                calendar=working_calendar("CN"))
    assert deadline == date(2025, 10, 16)
    assert rules.suspension_notice_deadline(rules=grace_rules("HK"), suspended_on=date(2025, 9, 26),
                                            calendar=working_calendar("HK")) is None


def test_reinstatement_window_from_a_leap_day():
    # Suspended 29 Feb 2024 → 2 years → 28 Feb 2026, a Saturday. In CN that Saturday is a make-up
    # working day (调休 after the Spring Festival), so the window ends on it; lapse on 1 Mar.
    r, cal = grace_rules("CN"), working_calendar("CN")
    assert cal.is_working_day(date(2026, 2, 28))
    assert rules.reinstatement_window_end(rules=r, suspended_on=date(2024, 2, 29), calendar=cal) == date(2026, 2, 28)
    assert rules.lapse_date(rules=r, suspended_on=date(2024, 2, 29), calendar=cal) == date(2026, 3, 1)
    # In TW that Saturday is a rest day: the owner's window runs to Monday 2 Mar, lapse on 3 Mar.
    r, cal = grace_rules("TW"), working_calendar("TW")
    assert rules.reinstatement_window_end(rules=r, suspended_on=date(2024, 2, 29), calendar=cal) == date(2026, 3, 2)
    assert rules.lapse_date(rules=r, suspended_on=date(2024, 2, 29), calendar=cal) == date(2026, 3, 3)
    # In HK only Sunday is a general holiday (Cap. 1 s. 71): Saturday 28 Feb is the last day.
    r, cal = grace_rules("HK"), working_calendar("HK")
    assert rules.reinstatement_window_end(rules=r, suspended_on=date(2024, 2, 29), calendar=cal) == date(2026, 2, 28)


def test_deemed_consent_cn_30_days_tw_15_days():
    assert rules.deemed_consent_date(rules=grace_rules("CN"), application_received=date(2026, 3, 2),
                                     calendar=working_calendar("CN")) == date(2026, 4, 2)
    assert rules.deemed_consent_date(rules=grace_rules("TW"), application_received=date(2026, 3, 2),
                                     calendar=working_calendar("TW")) == date(2026, 3, 18)
    assert rules.deemed_consent_date(rules=grace_rules("HK"), application_received=date(2026, 3, 2),
                                     calendar=working_calendar("HK")) is None


@pytest.mark.parametrize(("paid", "automatic"), [(date(2026, 7, 30), True), (date(2026, 7, 31), True),
                                                 (date(2026, 8, 1), False)])
def test_tw_automatic_reinstatement_within_six_months(paid, automatic):
    assert rules.reinstates_automatically(rules=grace_rules("TW"), suspended_on=date(2026, 1, 31),
                                          arrears_paid_on=paid, calendar=working_calendar("TW")) is automatic
    assert not rules.reinstates_automatically(rules=grace_rules("CN"), suspended_on=date(2026, 1, 31),
                                              arrears_paid_on=paid, calendar=working_calendar("CN"))


def test_suicide_clock_restarts_at_reinstatement():
    assert rules.suicide_exclusion_end(rule=jurisdiction_rule("CN", "suicide_exclusion"),
                                       clock_start=date(2024, 2, 29)) == date(2026, 2, 28)
    assert rules.suicide_exclusion_end(rule=jurisdiction_rule("HK", "suicide_exclusion"),
                                       clock_start=date(2025, 6, 15)) == date(2026, 6, 15)
