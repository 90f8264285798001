"""Hong Kong's working calendar against the general holidays the government gazetted for each official year."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from lifecrm.core.models import CalendarYear
from lifecrm.core.selectors import jurisdiction_rule, working_calendar

pytestmark = pytest.mark.django_db

# The general holidays other than Sundays (General Holidays Ordinance, Cap. 149), as gazetted each year and
# listed by GovHK (www.gov.hk/en/about/abouthk/holiday/): month-day, in date order. A gazetted day never falls
# on a Sunday (the ordinance moves it), and every Sunday is a general holiday too. 2015 has the one-off
# 3 September holiday (Special Holiday (3 September 2015) Ordinance).
GAZETTED_GENERAL_HOLIDAYS = {
    2008: "01-01 02-07 02-08 02-09 03-21 03-22 03-24 04-04 05-01 05-12 06-09 07-01 09-15 10-01 10-07 12-25 12-26",
    2009: "01-01 01-26 01-27 01-28 04-04 04-10 04-11 04-13 05-01 05-02 05-28 07-01 10-01 10-03 10-26 12-25 12-26",
    2010: "01-01 02-13 02-15 02-16 04-02 04-03 04-05 04-06 05-01 05-21 06-16 07-01 09-23 10-01 10-16 12-25 12-27",
    2011: "01-01 02-03 02-04 02-05 04-05 04-22 04-23 04-25 05-02 05-10 06-06 07-01 09-13 10-01 10-05 12-26 12-27",
    2012: "01-02 01-23 01-24 01-25 04-04 04-06 04-07 04-09 04-28 05-01 06-23 07-02 10-01 10-02 10-23 12-25 12-26",
    2013: "01-01 02-11 02-12 02-13 03-29 03-30 04-01 04-04 05-01 05-17 06-12 07-01 09-20 10-01 10-14 12-25 12-26",
    2014: "01-01 01-31 02-01 02-03 04-05 04-18 04-19 04-21 05-01 05-06 06-02 07-01 09-09 10-01 10-02 12-25 12-26",
    2015: "01-01 02-19 02-20 02-21 04-03 04-04 04-06 04-07 05-01 05-25 06-20 07-01 09-03 09-28 10-01 10-21 12-25 "
          "12-26",
    2016: "01-01 02-08 02-09 02-10 03-25 03-26 03-28 04-04 05-02 05-14 06-09 07-01 09-16 10-01 10-10 12-26 12-27",
    2017: "01-02 01-28 01-30 01-31 04-04 04-14 04-15 04-17 05-01 05-03 05-30 07-01 10-02 10-05 10-28 12-25 12-26",
    2018: "01-01 02-16 02-17 02-19 03-30 03-31 04-02 04-05 05-01 05-22 06-18 07-02 09-25 10-01 10-17 12-25 12-26",
    2019: "01-01 02-05 02-06 02-07 04-05 04-19 04-20 04-22 05-01 05-13 06-07 07-01 09-14 10-01 10-07 12-25 12-26",
    2020: "01-01 01-25 01-27 01-28 04-04 04-10 04-11 04-13 04-30 05-01 06-25 07-01 10-01 10-02 10-26 12-25 12-26",
    2021: "01-01 02-12 02-13 02-15 04-02 04-03 04-05 04-06 05-01 05-19 06-14 07-01 09-22 10-01 10-14 12-25 12-27",
    2022: "01-01 02-01 02-02 02-03 04-05 04-15 04-16 04-18 05-02 05-09 06-03 07-01 09-12 10-01 10-04 12-26 12-27",
    2023: "01-02 01-23 01-24 01-25 04-05 04-07 04-08 04-10 05-01 05-26 06-22 07-01 09-30 10-02 10-23 12-25 12-26",
    2024: "01-01 02-10 02-12 02-13 03-29 03-30 04-01 04-04 05-01 05-15 06-10 07-01 09-18 10-01 10-11 12-25 12-26",
    2025: "01-01 01-29 01-30 01-31 04-04 04-18 04-19 04-21 05-01 05-05 05-31 07-01 10-01 10-07 10-29 12-25 12-26",
    2026: "01-01 02-17 02-18 02-19 04-03 04-04 04-06 04-07 05-01 05-25 06-19 07-01 09-26 10-01 10-19 12-25 12-26",
}


def rest_days_besides_sundays(year: int) -> list[date]:
    hk = working_calendar("HK")
    days = (date(year, 1, 1) + timedelta(days=n) for n in range(366))
    return [day for day in days if day.year == year and day.weekday() != 6 and not hk.is_working_day(day)]


def test_every_official_year_is_in_the_published_lists():
    official = set(CalendarYear.objects.filter(jurisdiction="HK", status=CalendarYear.Status.OFFICIAL)
                   .values_list("year", flat=True))
    assert official == set(GAZETTED_GENERAL_HOLIDAYS)


@pytest.mark.parametrize("year", sorted(GAZETTED_GENERAL_HOLIDAYS))
def test_rest_days_are_the_gazetted_general_holidays(year):
    gazetted = [date(year, int(md[:2]), int(md[3:])) for md in GAZETTED_GENERAL_HOLIDAYS[year].split()]
    assert all(day.weekday() != 6 for day in gazetted)
    assert rest_days_besides_sundays(year) == gazetted


class TestEaster2026:
    """Good Friday (3 April), the day following (Saturday 4), Ching Ming on Sunday 5 so the day following it on
    Monday 6, and the day following Easter Monday (7): a customer's deadline on any of them moves to Wednesday 8."""

    @pytest.mark.parametrize(("due", "expected"), [
        (date(2026, 3, 1), date(2026, 4, 1)),  # Wednesday 1 April: the day before, stays
        (date(2026, 3, 2), date(2026, 4, 2)),  # Thursday 2 April: stays
        (date(2026, 3, 3), date(2026, 4, 8)),  # Good Friday
        (date(2026, 3, 4), date(2026, 4, 8)),  # the day following Good Friday (a Saturday, yet a holiday)
        (date(2026, 3, 6), date(2026, 4, 8)),  # the day following Ching Ming (Easter Monday's date)
        (date(2026, 3, 7), date(2026, 4, 8)),  # the day following Easter Monday
        (date(2026, 3, 8), date(2026, 4, 8)),  # Wednesday 8 April: the day after, stays
    ])
    def test_grace_period_moves_off_the_easter_holidays(self, due, expected):
        grace = jurisdiction_rule("HK", "grace_period").period  # 31 days, the customer's
        assert grace.end(due, working_calendar("HK")) == expected

    def test_easter_2025(self):
        hk = working_calendar("HK")
        assert [hk.is_working_day(date(2025, 4, d)) for d in range(17, 23)] == [True, False, False, False, False, True]
