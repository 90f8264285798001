"""Jurisdiction rules and working calendars as loaded by migrate (CN, HK, TW), applied at their boundaries."""
from __future__ import annotations

from datetime import date

import pytest

from lifecrm.core.rules import Period, Unit
from lifecrm.core.selectors import RuleNotDefined, jurisdiction_rule, working_calendar

pytestmark = pytest.mark.django_db


def last_day(jurisdiction: str, key: str, trigger: date) -> date:
    return jurisdiction_rule(jurisdiction, key).period.end(trigger, working_calendar(jurisdiction))


class TestChina:
    def test_reference_calendar_has_national_day_2025_and_its_make_up_days(self):
        cn = working_calendar("CN")
        assert cn.is_working_day(date(2025, 9, 28))  # Sunday, 调休
        assert cn.is_working_day(date(2025, 10, 11))  # Saturday, 调休
        for day in range(1, 9):
            assert not cn.is_working_day(date(2025, 10, day))
        assert cn.is_working_day(date(2025, 10, 9))
        assert not cn.is_working_day(date(2025, 9, 27))  # an ordinary Saturday

    def test_rows_read_as_periods(self):
        assert jurisdiction_rule("CN", "grace_period").period == Period(60, Unit.DAYS, customer_deadline=True)
        assert jurisdiction_rule("CN", "suspension_notice").period == Period(10, Unit.WORKING_DAYS)
        assert jurisdiction_rule("CN", "reinstatement_window").period == Period(2, Unit.YEARS, True)
        assert jurisdiction_rule("CN", "cooling_off").period == Period(15, Unit.DAYS, True)

    @pytest.mark.parametrize(
        ("due", "expected"),
        [
            (date(2025, 7, 31), date(2025, 9, 29)),  # Monday: stays
            (date(2025, 7, 30), date(2025, 9, 28)),  # make-up Sunday: a working day, stays
            (date(2025, 7, 29), date(2025, 9, 28)),  # Saturday 27th → Sunday 28th (make-up)
            (date(2025, 8, 2), date(2025, 10, 9)),  # 1 October → after the holiday week
            (date(2025, 8, 8), date(2025, 10, 9)),  # 7 October → 9 October
            (date(2025, 8, 9), date(2025, 10, 9)),  # 8 October, the last day off → 9 October
            (date(2025, 8, 12), date(2025, 10, 11)),  # make-up Saturday: stays
        ],
    )
    def test_grace_period_of_a_premium_due_in_summer_2025(self, due, expected):
        assert last_day("CN", "grace_period", due) == expected

    def test_grace_period_running_the_day_before_of_and_after(self):
        grace, cn = jurisdiction_rule("CN", "grace_period").period, working_calendar("CN")
        due = date(2025, 8, 2)
        assert grace.is_running(due, date(2025, 10, 8), cn)
        assert grace.is_running(due, date(2025, 10, 9), cn)
        assert not grace.is_running(due, date(2025, 10, 10), cn)

    def test_working_day_limit_across_national_day(self):
        # claim decision on a simple case: 5 working days from Friday 26 September 2025
        assert last_day("CN", "claim_decision_simple", date(2025, 9, 26)) == date(2025, 10, 10)
        # suspension notice: 10 working days from Friday 26 September 2025:
        # 28, 29, 30 Sep, 9, 10, 11 (Sat), 13, 14, 15, 16 Oct
        assert last_day("CN", "suspension_notice", date(2025, 9, 26)) == date(2025, 10, 16)

    def test_spring_festival_2024(self):
        # Sunday 4 and Sunday 18 February 2024 were make-up working days; 10–17 February off.
        cn = working_calendar("CN")
        assert cn.is_working_day(date(2024, 2, 4)) and cn.is_working_day(date(2024, 2, 18))
        assert last_day("CN", "servicing_accept", date(2024, 2, 8)) == date(2024, 2, 18)

    def test_reinstatement_window_from_29_february(self):
        # 2 years after 29 February 2024 is Saturday 28 February 2026, a make-up working day of the
        # 2026 Spring Festival (15–23 February off; Saturdays 14 and 28 February worked): it stays.
        assert working_calendar("CN").is_working_day(date(2026, 2, 28))
        assert last_day("CN", "reinstatement_window", date(2024, 2, 29)) == date(2026, 2, 28)
        # 2 years after 27 September 2023 is an ordinary Saturday → the make-up Sunday 28 September 2025.
        assert last_day("CN", "reinstatement_window", date(2023, 9, 27)) == date(2025, 9, 28)
        # 2 years after 1 October 2023 is National Day 2025 → Thursday 9 October.
        assert last_day("CN", "reinstatement_window", date(2023, 10, 1)) == date(2025, 10, 9)
        # the suicide exclusion is not the customer's deadline: it never moves
        assert last_day("CN", "suicide_exclusion", date(2023, 10, 1)) == date(2025, 10, 1)


class TestHongKong:
    def test_rows(self):
        assert jurisdiction_rule("HK", "grace_period").period == Period(31, Unit.DAYS, True)
        assert jurisdiction_rule("HK", "cooling_off").period == Period(21, Unit.DAYS, True)

    @pytest.mark.parametrize(
        ("due", "expected"),
        [
            (date(2025, 8, 31), date(2025, 10, 2)),  # Wednesday 1 October, National Day → Thursday
            (date(2025, 9, 6), date(2025, 10, 8)),  # Tuesday 7 October, day after Mid-Autumn → Wednesday
            (date(2025, 9, 4), date(2025, 10, 6)),  # Sunday 5 October → Monday
            # Saturday is not a general holiday in Hong Kong (Interpretation and General Clauses
            # Ordinance s.71): a deadline on Saturday 4 October stays there.
            (date(2025, 9, 3), date(2025, 10, 4)),
        ],
    )
    def test_grace_period(self, due, expected):
        assert last_day("HK", "grace_period", due) == expected

    def test_a_rule_only_cn_has(self):
        with pytest.raises(RuleNotDefined, match="claim_payment"):
            jurisdiction_rule("HK", "claim_payment")


class TestTaiwan:
    def test_rows(self):
        assert jurisdiction_rule("TW", "grace_period").period == Period(30, Unit.DAYS, True)
        assert jurisdiction_rule("TW", "automatic_reinstatement").period == Period(6, Unit.MONTHS, True)

    @pytest.mark.parametrize(
        ("trigger", "expected"),
        [
            (date(2025, 9, 30), date(2025, 10, 13)),  # Friday 10 October, National Day → Monday 13
            (date(2025, 9, 26), date(2025, 10, 7)),  # Monday 6 October, Mid-Autumn → Tuesday
            (date(2025, 9, 19), date(2025, 9, 30)),  # Monday 29 September, Teachers' Day observed → Tuesday
        ],
    )
    def test_cooling_off(self, trigger, expected):
        assert last_day("TW", "cooling_off", trigger) == expected

    def test_no_make_up_saturday(self):
        assert not working_calendar("TW").is_working_day(date(2025, 10, 11))
