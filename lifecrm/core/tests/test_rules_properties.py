"""Property-based tests (hypothesis) of lifecrm.core.rules: periods, month ends and working days, on random
calendars and on the loaded CN, HK and TW calendars."""
from __future__ import annotations

import calendar as month_calendar
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecrm.core.rules import CalendarYearNotLoaded, Period, Unit, WorkingCalendar, add_months

FIRST_YEAR, LAST_YEAR = 2000, 2040
# Triggers leave room for the longest period drawn (10 years, 400 working days) inside the calendar's years.
triggers = st.dates(date(FIRST_YEAR, 1, 1), date(LAST_YEAR - 12, 12, 31))
counts = st.integers(0, 400)


@st.composite
def calendars(draw) -> WorkingCalendar:
    """A calendar with a Saturday–Sunday or Sunday-only week, random holidays (runs of up to 8 days, like the
    Spring Festival) and make-up working days, and some provisional years."""
    weekend = draw(st.sampled_from([frozenset({5, 6}), frozenset({6})]))
    exceptions: dict[date, bool] = {}
    for start, length in draw(st.lists(st.tuples(st.dates(date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)),
                                                 st.integers(1, 8)), max_size=60)):
        for n in range(length):
            exceptions[start + timedelta(days=n)] = False
    for day in draw(st.lists(st.dates(date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)), max_size=20)):
        if day.weekday() in weekend:
            exceptions[day] = True
    provisional_from = draw(st.integers(FIRST_YEAR, LAST_YEAR + 1))
    years = {year: year >= provisional_from for year in range(FIRST_YEAR, LAST_YEAR + 1)}
    return WorkingCalendar("XX", exceptions, weekend, years)


# Up to the longest limits of the rules table (a 2-year reinstatement window, a 10-year claim limit) and beyond.
LONGEST = {Unit.DAYS: 400, Unit.WORKING_DAYS: 200, Unit.MONTHS: 120, Unit.YEARS: 10}
periods = st.sampled_from(list(LONGEST)).flatmap(
    lambda unit: st.builds(Period, st.integers(0, LONGEST[unit]), st.just(unit), st.booleans()))


def working_days_between(calendar: WorkingCalendar, after: date, until: date) -> int:
    """Working days in (after, until]."""
    return sum(calendar.is_working_day(after + timedelta(days=n)) for n in range(1, (until - after).days + 1))


def nominal_end(period: Period, trigger: date, calendar: WorkingCalendar) -> date:
    """The period's last day before a customer deadline moves it off a rest day."""
    return Period(period.quantity, period.unit).end(trigger, calendar)


class TestWorkingDays:
    @given(calendars(), triggers)
    def test_next_working_day_is_the_first_working_day_on_or_after(self, calendar, day):
        found = calendar.next_working_day(day)
        assert found >= day and calendar.is_working_day(found)
        assert working_days_between(calendar, day - timedelta(days=1), found - timedelta(days=1)) == 0

    @given(calendars(), triggers, counts)
    def test_adding_n_working_days_lands_on_the_nth_working_day(self, calendar, trigger, count):
        end = calendar.add_working_days(trigger, count)
        if count == 0:
            assert end == trigger
        else:
            assert end > trigger and calendar.is_working_day(end)
            assert working_days_between(calendar, trigger, end) == count

    @given(calendars(), triggers, triggers, counts, counts)
    def test_adding_working_days_is_monotonic(self, calendar, t1, t2, n1, n2):
        (t1, t2), (n1, n2) = sorted((t1, t2)), sorted((n1, n2))
        assert calendar.add_working_days(t1, n1) <= calendar.add_working_days(t2, n1)
        assert calendar.add_working_days(t1, n1) <= calendar.add_working_days(t1, n2)

    @given(calendars(), triggers, st.integers(1, 60), st.integers(1, 60))
    def test_working_days_add_up(self, calendar, trigger, a, b):
        assert calendar.add_working_days(calendar.add_working_days(trigger, a), b) == \
            calendar.add_working_days(trigger, a + b)

    @given(calendars(), st.dates(date(1990, 1, 1), date(2060, 12, 31)))
    def test_a_day_outside_the_years_raises_naming_its_year(self, calendar, day):
        if FIRST_YEAR <= day.year <= LAST_YEAR:
            assert calendar.is_provisional(day) == calendar.years[day.year]
            return
        with pytest.raises(CalendarYearNotLoaded, match=f"no year {day.year}"):
            calendar.is_working_day(day)
        with pytest.raises(CalendarYearNotLoaded, match=f"no year {day.year}"):
            calendar.is_provisional(day)


class TestPeriods:
    @given(calendars(), periods, triggers)
    def test_a_customer_deadline_never_ends_on_a_rest_day_and_moves_only_past_rest_days(self, calendar, period,
                                                                                     trigger):
        end = period.end(trigger, calendar)
        nominal = nominal_end(period, trigger, calendar)
        if period.customer_deadline:
            assert calendar.is_working_day(end) and end >= nominal
            assert working_days_between(calendar, nominal - timedelta(days=1), end - timedelta(days=1)) == 0
        else:
            assert end == nominal

    @given(calendars(), periods, triggers, triggers)
    def test_a_later_trigger_never_ends_earlier(self, calendar, period, t1, t2):
        t1, t2 = sorted((t1, t2))
        assert period.end(t1, calendar) <= period.end(t2, calendar)

    @given(calendars(), periods, triggers, st.integers(0, 12))
    def test_a_longer_period_never_ends_earlier(self, calendar, period, trigger, more):
        # up to 12 more days, working days or months, 2 more years: the longer period still ends inside the
        # calendar's years (12 more years after a trigger of 2028 went past 2040, where the calendar stops)
        more = min(more, 2) if period.unit == Unit.YEARS else more
        longer = Period(period.quantity + more, period.unit, period.customer_deadline)
        assert period.end(trigger, calendar) <= longer.end(trigger, calendar)

    @given(calendars(), periods, triggers)
    def test_min_days_is_a_lower_bound_and_the_end_is_after_the_trigger(self, calendar, period, trigger):
        end = period.end(trigger, calendar)
        assert (end - trigger).days >= period.min_days()
        assert period.is_running(trigger, end, calendar) and not period.is_running(trigger, end + timedelta(days=1),
                                                                                   calendar)


class TestMonthEnds:
    @given(st.dates(date(1900, 3, 1), date(2200, 12, 31)), st.integers(-240, 240))
    def test_same_day_or_the_last_day_of_the_target_month(self, start, months):
        end = add_months(start, months)
        assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
        last = month_calendar.monthrange(end.year, end.month)[1]
        assert end.day == min(start.day, last)

    @given(st.dates(date(1900, 1, 1), date(2200, 12, 31)), st.integers(0, 120), st.integers(0, 120))
    def test_months_added_in_steps_never_pass_the_whole(self, start, a, b):
        assert add_months(add_months(start, a), b) <= add_months(start, a + b)

    @given(st.integers(1901, 2190).filter(month_calendar.isleap), st.integers(1, 9))
    def test_years_from_29_february_end_on_28_february_in_common_years(self, leap_year, years):
        end = Period(years, Unit.YEARS).end(date(leap_year, 2, 29))
        target = leap_year + years
        assert end == date(target, 2, 29 if month_calendar.isleap(target) else 28)

    def test_two_years_from_29_february_2024(self):
        assert Period(2, Unit.YEARS).end(date(2024, 2, 29)) == date(2026, 2, 28)
        assert Period(24, Unit.MONTHS).end(date(2024, 2, 29)) == date(2026, 2, 28)


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["CN", "HK", "TW"])
def test_the_loaded_calendars_keep_the_properties(code):
    from lifecrm.core.selectors import working_calendar

    calendar = working_calendar(code)  # read once, outside hypothesis's examples

    @settings(max_examples=150, deadline=None)
    @given(periods, st.dates(date(2008, 1, 1), date(2021, 12, 31)), counts)
    def check(period, trigger, count):
        end = period.end(trigger, calendar)
        if period.customer_deadline:
            assert calendar.is_working_day(end) and end >= nominal_end(period, trigger, calendar)
        day = calendar.add_working_days(trigger, count)
        assert count == 0 or (calendar.is_working_day(day) and working_days_between(calendar, trigger, day) == count)

    check()
