"""Boundary tests of lifecrm.core.rules: month ends, periods, working days, customer deadlines, jurisdiction rows."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from lifecrm.core.rules import JurisdictionRule, Period, Unit, WorkingCalendar, add_months, age_last_birthday

# A bare calendar: Monday to Friday, no holidays.
WEEKDAYS = WorkingCalendar("XX")
# CN around National Day 2025 (国务院办公厅 2025 schedule): 1–8 October off, Sunday 28 September and
# Saturday 11 October are make-up working days (调休).
CN_OCTOBER_2025 = WorkingCalendar(
    "CN",
    {date(2025, 9, 28): True, date(2025, 10, 11): True}
    | {date(2025, 10, day): False for day in (1, 2, 3, 6, 7, 8)},
)


class TestAddMonths:
    @pytest.mark.parametrize(
        ("start", "months", "expected"),
        [
            (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year: the month's last day
            (date(2023, 1, 31), 1, date(2023, 2, 28)),
            (date(2024, 1, 31), 2, date(2024, 3, 31)),  # counted from the start, not from 29 Feb
            (date(2024, 3, 31), 1, date(2024, 4, 30)),
            (date(2024, 2, 29), 12, date(2025, 2, 28)),
            (date(2024, 2, 29), 24, date(2026, 2, 28)),
            (date(2024, 2, 29), 48, date(2028, 2, 29)),
            (date(2024, 12, 15), 1, date(2025, 1, 15)),  # over the year end
            (date(2024, 11, 30), 3, date(2025, 2, 28)),
            (date(2024, 3, 31), -1, date(2024, 2, 29)),
            (date(2024, 1, 31), -2, date(2023, 11, 30)),
            (date(2024, 5, 17), 0, date(2024, 5, 17)),
        ],
    )
    def test_same_day_or_month_end(self, start, months, expected):
        assert add_months(start, months) == expected


class TestPeriodEnd:
    def test_days_count_from_the_day_after_the_trigger(self):
        # 60 days after 1 January 2025: day 1 is 2 January, day 60 is 2 March.
        assert Period(60, Unit.DAYS).end(date(2025, 1, 1)) == date(2025, 3, 2)
        assert Period(60, Unit.DAYS).end(date(2024, 1, 1)) == date(2024, 3, 1)  # leap year
        assert Period(0, Unit.DAYS).end(date(2025, 1, 1)) == date(2025, 1, 1)

    @pytest.mark.parametrize(
        ("quantity", "unit", "trigger", "expected"),
        [
            (1, Unit.MONTHS, date(2024, 1, 31), date(2024, 2, 29)),
            (1, Unit.MONTHS, date(2025, 1, 31), date(2025, 2, 28)),
            (6, Unit.MONTHS, date(2024, 8, 31), date(2025, 2, 28)),
            (2, Unit.YEARS, date(2024, 2, 29), date(2026, 2, 28)),
            (4, Unit.YEARS, date(2024, 2, 29), date(2028, 2, 29)),
            (2, Unit.YEARS, date(2025, 3, 1), date(2027, 3, 1)),
        ],
    )
    def test_months_and_years_end_on_the_same_date_or_the_month_end(self, quantity, unit, trigger, expected):
        assert Period(quantity, unit).end(trigger) == expected

    def test_working_days_skip_weekends(self):
        friday = date(2025, 6, 6)
        assert Period(1, Unit.WORKING_DAYS).end(friday, WEEKDAYS) == date(2025, 6, 9)
        assert Period(5, Unit.WORKING_DAYS).end(friday, WEEKDAYS) == date(2025, 6, 13)
        saturday = date(2025, 6, 7)
        assert Period(1, Unit.WORKING_DAYS).end(saturday, WEEKDAYS) == date(2025, 6, 9)

    def test_working_days_across_national_day_and_a_make_up_sunday(self):
        # From Friday 26 September 2025: Sun 28 (make-up), Mon 29, Tue 30, then 1–8 October off: Thu 9, Fri 10.
        friday = date(2025, 9, 26)
        assert Period(1, Unit.WORKING_DAYS).end(friday, CN_OCTOBER_2025) == date(2025, 9, 28)
        assert Period(3, Unit.WORKING_DAYS).end(friday, CN_OCTOBER_2025) == date(2025, 9, 30)
        assert Period(4, Unit.WORKING_DAYS).end(friday, CN_OCTOBER_2025) == date(2025, 10, 9)
        assert Period(5, Unit.WORKING_DAYS).end(friday, CN_OCTOBER_2025) == date(2025, 10, 10)
        # Saturday 11 October is a working day, Sunday 12 is not.
        assert Period(6, Unit.WORKING_DAYS).end(friday, CN_OCTOBER_2025) == date(2025, 10, 11)
        assert Period(7, Unit.WORKING_DAYS).end(friday, CN_OCTOBER_2025) == date(2025, 10, 13)

    def test_customer_deadline_on_a_rest_day_moves_to_the_next_working_day(self):
        grace = Period(60, Unit.DAYS, customer_deadline=True)
        # 60 days after 2 August 2025 is Wednesday 1 October: a holiday until the 8th.
        assert grace.end(date(2025, 8, 2), CN_OCTOBER_2025) == date(2025, 10, 9)
        # …after 30 July it is Sunday 28 September, a make-up working day: it stays.
        assert grace.end(date(2025, 7, 30), CN_OCTOBER_2025) == date(2025, 9, 28)
        # …after 29 July it is Saturday 27 September, a plain weekend: Sunday 28 is a working day.
        assert grace.end(date(2025, 7, 29), CN_OCTOBER_2025) == date(2025, 9, 28)
        # a weekday stays where it is
        assert grace.end(date(2025, 7, 31), CN_OCTOBER_2025) == date(2025, 9, 29)

    def test_an_insurer_deadline_does_not_move(self):
        insurer = Period(60, Unit.DAYS)
        assert insurer.end(date(2025, 8, 2), CN_OCTOBER_2025) == date(2025, 10, 1)

    def test_customer_deadline_in_months_and_years_moves_too(self):
        # 2 years after Saturday 11 October 2023 → Saturday 11 October 2025, a make-up working day: stays.
        assert Period(2, Unit.YEARS, customer_deadline=True).end(date(2023, 10, 11), CN_OCTOBER_2025) == date(
            2025, 10, 11
        )
        # 1 month after 4 September 2025 → Saturday 4 October, holiday week → Thursday 9 October.
        assert Period(1, Unit.MONTHS, customer_deadline=True).end(date(2025, 9, 4), CN_OCTOBER_2025) == date(
            2025, 10, 9
        )

    def test_calendar_is_required_where_it_matters(self):
        with pytest.raises(ValueError, match="working calendar"):
            Period(5, Unit.WORKING_DAYS).end(date(2025, 1, 1))
        with pytest.raises(ValueError, match="customer deadline"):
            Period(30, Unit.DAYS, customer_deadline=True).end(date(2025, 1, 1))

    def test_invalid_periods_are_refused(self):
        with pytest.raises(ValueError, match="amount"):
            Period(10, Unit.AMOUNT)
        with pytest.raises(ValueError, match="negative"):
            Period(-1, Unit.DAYS)
        with pytest.raises(ValueError):
            WEEKDAYS.add_working_days(date(2025, 1, 1), -1)


class TestIsRunning:
    @pytest.mark.parametrize(
        ("period", "trigger", "last_day", "calendar"),
        [
            (Period(60, Unit.DAYS), date(2025, 1, 1), date(2025, 3, 2), None),
            (Period(1, Unit.MONTHS), date(2024, 1, 31), date(2024, 2, 29), None),
            (Period(2, Unit.YEARS), date(2024, 2, 29), date(2026, 2, 28), None),
            (Period(5, Unit.WORKING_DAYS), date(2025, 9, 26), date(2025, 10, 10), CN_OCTOBER_2025),
            (Period(60, Unit.DAYS, True), date(2025, 8, 2), date(2025, 10, 9), CN_OCTOBER_2025),
        ],
    )
    def test_day_before_of_and_after_the_limit(self, period, trigger, last_day, calendar):
        assert period.end(trigger, calendar) == last_day
        assert period.is_running(trigger, last_day - timedelta(days=1), calendar)
        assert period.is_running(trigger, last_day, calendar)
        assert not period.is_running(trigger, last_day + timedelta(days=1), calendar)


class TestWorkingCalendar:
    def test_next_working_day(self):
        assert CN_OCTOBER_2025.next_working_day(date(2025, 9, 29)) == date(2025, 9, 29)
        assert CN_OCTOBER_2025.next_working_day(date(2025, 10, 1)) == date(2025, 10, 9)
        assert CN_OCTOBER_2025.next_working_day(date(2025, 10, 11)) == date(2025, 10, 11)
        assert CN_OCTOBER_2025.next_working_day(date(2025, 10, 12)) == date(2025, 10, 13)

    def test_zero_working_days_is_the_trigger(self):
        assert CN_OCTOBER_2025.add_working_days(date(2025, 10, 1), 0) == date(2025, 10, 1)

    def test_a_six_day_week(self):
        sundays_only = WorkingCalendar("XX", weekend=frozenset({6}))
        assert sundays_only.add_working_days(date(2025, 6, 6), 1) == date(2025, 6, 7)


class TestJurisdictionRuleRow:
    def test_period_and_amount(self):
        grace = JurisdictionRule("CN", "grace_period", Decimal("60"), Unit.DAYS, True, "due date", "law")
        assert grace.period == Period(60, Unit.DAYS, True)
        with pytest.raises(ValueError, match="period, not an amount"):
            grace.amount  # noqa: B018
        cap = JurisdictionRule("CN", "small_claim_threshold", Decimal("3000"), Unit.AMOUNT, False, "", "law")
        assert cap.amount == Decimal("3000")
        with pytest.raises(ValueError, match="amount, not a period"):
            cap.period  # noqa: B018


class TestAgeLastBirthday:
    @pytest.mark.parametrize(
        ("born", "on", "age"),
        [
            (date(1980, 5, 17), date(2025, 5, 16), 44),
            (date(1980, 5, 17), date(2025, 5, 17), 45),
            (date(2000, 2, 29), date(2025, 2, 28), 24),  # reached on 1 March in a common year
            (date(2000, 2, 29), date(2025, 3, 1), 25),
            (date(2000, 2, 29), date(2024, 2, 29), 24),
        ],
    )
    def test_completed_years(self, born, on, age):
        assert age_last_birthday(born, on) == age


@pytest.mark.parametrize("period", [Period(60, Unit.DAYS), Period(10, Unit.WORKING_DAYS), Period(1, Unit.MONTHS),
                                    Period(6, Unit.MONTHS), Period(2, Unit.YEARS),
                                    Period(30, Unit.DAYS, customer_deadline=True)])
def test_a_period_never_ends_sooner_than_its_min_days(period):
    """`min_days` is a safe prefilter: from every trigger day over eight years (leap years, February,
    month ends, holidays), the period's last day is at least min_days after the trigger."""
    calendar = WorkingCalendar("CN", exceptions={date(2024, 2, 10) + timedelta(days=n): False for n in range(8)}
                               | {date(2024, 2, 4): True})
    day = date(2020, 1, 1)
    while day < date(2028, 1, 1):
        assert (period.end(day, calendar) - day).days >= period.min_days()
        day += timedelta(days=1)
