"""Care events' arithmetic: yearly occasions (29 February, month ends), festivals, the sending window."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lifecrm.service import care_rules as r

SHANGHAI, HONG_KONG, TAIPEI = "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei"


@pytest.mark.parametrize(("start", "as_of", "expected"), [
    (date(2000, 2, 29), date(2026, 2, 27), False),
    (date(2000, 2, 29), date(2026, 2, 28), True),  # no 29 February in 2026: the 28th, still in February
    (date(2000, 2, 29), date(2026, 3, 1), False),
    (date(2000, 2, 29), date(2028, 2, 28), False),  # a leap year: the 29th itself
    (date(2000, 2, 29), date(2028, 2, 29), True),
    (date(1980, 2, 28), date(2028, 2, 28), True),
    (date(1980, 2, 28), date(2028, 2, 29), False),
    (date(1980, 5, 17), date(2026, 5, 17), True),
    (date(1980, 5, 17), date(2026, 5, 16), False),
])
def test_a_yearly_occasion_of_29_february_falls_on_28_february_in_a_common_year(start, as_of, expected):
    assert r.is_yearly_on(start, as_of) is expected


@pytest.mark.parametrize(("issued", "as_of", "expected"), [
    (date(2022, 1, 31), date(2026, 1, 31), True),  # yearly, never monthly: not on 28 February
    (date(2022, 1, 31), date(2026, 2, 28), False),
    (date(2022, 12, 31), date(2026, 12, 31), True),
    (date(2022, 12, 31), date(2026, 12, 30), False),
    (date(2024, 2, 29), date(2025, 2, 28), True),
    (date(2024, 2, 29), date(2025, 3, 1), False),
    (date(2026, 3, 31), date(2026, 3, 31), False),  # the issue day itself is no anniversary
])
def test_policy_anniversaries_at_month_ends(issued, as_of, expected):
    assert r.is_yearly_on(issued, as_of, from_first_year=False) is expected


def test_lunar_festivals_follow_the_lunisolar_calendar():
    assert r.festival_date("lunar_new_year", 2026) == date(2026, 2, 17)
    assert r.festival_date("dragon_boat", 2026) == date(2026, 6, 19)
    assert r.festival_date("mid_autumn", 2026) == date(2026, 9, 25)
    assert r.festival_date("lunar_new_year", 2027) == date(2027, 2, 6)
    assert r.festivals_on(date(2026, 12, 25), ["mid_autumn", "christmas"]) == ["christmas"]
    assert r.festivals_on(date(2026, 12, 25), ["mid_autumn"]) == []
    assert r.festival_date("double_ninth", 2026) == date(2026, 10, 18)
    assert r.festival_date("lunar_new_year", 2028) == date(2028, 1, 26)  # the year after a leap month (2025's sixth)
    assert r.festival_date("mid_autumn", 2100) is None  # beyond the lunar tables: no greeting rather than a wrong day


def test_event_dates_before_and_after():
    assert r.event_date(r.Occasion.MATURITY, date(2026, 5, 1), 30) == date(2026, 5, 31)
    assert r.event_date(r.Occasion.COMPLAINT_FOLLOW_UP, date(2026, 5, 8), 7) == date(2026, 5, 1)
    assert r.event_date(r.Occasion.BIRTHDAY, date(2026, 5, 8), 7) == date(2026, 5, 8)


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("at", "expected"), [
    (_utc(2026, 5, 16, 18, 0), _utc(2026, 5, 17, 1, 0)),  # 02:00 in Shanghai: waits for 09:00 (01:00 UTC)
    (_utc(2026, 5, 17, 0, 59), _utc(2026, 5, 17, 1, 0)),  # 08:59
    (_utc(2026, 5, 17, 1, 0), _utc(2026, 5, 17, 1, 0)),  # 09:00: at once
    (_utc(2026, 5, 17, 11, 59), _utc(2026, 5, 17, 11, 59)),  # 19:59
    (_utc(2026, 5, 17, 12, 0), _utc(2026, 5, 18, 1, 0)),  # 20:00: the next morning
    (_utc(2026, 5, 17, 15, 30), _utc(2026, 5, 18, 1, 0)),  # 23:30
])
def test_a_message_composed_at_night_waits_for_the_morning(at, expected):
    assert r.send_after(day=date(2026, 5, 17), at=at, zone=SHANGHAI) == expected


@pytest.mark.parametrize("zone", [SHANGHAI, HONG_KONG, TAIPEI])
def test_nothing_goes_out_at_night_in_cn_hk_or_tw(zone):
    ready = _utc(2026, 5, 17, 1, 0)
    assert r.may_send(send_after_at=ready, at=_utc(2026, 5, 17, 1, 0), zone=zone)  # 09:00 local (UTC+8)
    assert r.may_send(send_after_at=ready, at=_utc(2026, 5, 17, 11, 59), zone=zone)  # 19:59
    assert not r.may_send(send_after_at=ready, at=_utc(2026, 5, 17, 12, 0), zone=zone)  # 20:00
    assert not r.may_send(send_after_at=ready, at=_utc(2026, 5, 17, 18, 0), zone=zone)  # 02:00 the next day
    assert not r.may_send(send_after_at=ready, at=_utc(2026, 5, 17, 0, 59), zone=zone)  # before its time


def test_a_message_found_days_late_is_stale():
    assert not r.is_stale(day=date(2026, 5, 17), at=_utc(2026, 5, 20, 12, 0), zone=SHANGHAI)
    assert r.is_stale(day=date(2026, 5, 17), at=_utc(2026, 5, 20, 16, 0), zone=SHANGHAI)  # 21 May in Shanghai
