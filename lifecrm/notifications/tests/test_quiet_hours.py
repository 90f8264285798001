"""Quiet hours: no e-mail or SMS reaches a customer at night in their jurisdiction's time zone; boundaries by the
minute, per jurisdiction (CN, HK, TW), and never for letters or staff."""
from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from lifecrm.notifications import rules
from lifecrm.notifications.services import message_queue

ZONES = {"CN": ZoneInfo("Asia/Shanghai"), "HK": ZoneInfo("Asia/Hong_Kong"), "TW": ZoneInfo("Asia/Taipei")}


def local(code: str, day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=ZONES[code])


def test_quiet_hours_parse_everywhere_per_jurisdiction_or_off():
    assert rules.parse_quiet_hours("21:00-08:00") == {"*": (time(21), time(8))}
    assert rules.parse_quiet_hours("CN=21:00-08:00, HK=22:30-07:30,20:00-09:00") == {
        "CN": (time(21), time(8)), "HK": (time(22, 30), time(7, 30)), "*": (time(20), time(9))}
    assert rules.parse_quiet_hours("off") == {} == rules.parse_quiet_hours("")
    for bad in ("21-08", "XX=21:00", "21:00-21:00", "cn=21:00-08:00"):
        with pytest.raises(ValueError, match="quiet hours"):
            rules.parse_quiet_hours(bad)


@pytest.mark.parametrize(("hour", "minute", "until"), [
    (20, 59, None), (21, 0, (2, 8)), (21, 1, (2, 8)), (23, 59, (2, 8)),
])
def test_the_evening_boundary(hour, minute, until):
    at = datetime(2026, 12, 1, hour, minute, tzinfo=ZONES["CN"])
    expected = None if until is None else datetime(2026, 12, until[0], until[1], 0, tzinfo=ZONES["CN"])
    assert rules.quiet_until(at, time(21), time(8)) == expected


@pytest.mark.parametrize(("hour", "minute", "quiet"), [(0, 0, True), (7, 59, True), (8, 0, False), (8, 1, False)])
def test_the_morning_boundary(hour, minute, quiet):
    at = datetime(2026, 12, 2, hour, minute, tzinfo=ZONES["TW"])
    assert rules.quiet_until(at, time(21), time(8)) == (datetime(2026, 12, 2, 8, 0, tzinfo=ZONES["TW"])
                                                         if quiet else None)


def test_quiet_hours_within_one_day():
    assert rules.quiet_until(local("HK", 1, 12, 59), time(13), time(14)) is None
    assert rules.quiet_until(local("HK", 1, 13, 0), time(13), time(14)) == local("HK", 1, 14, 0)
    assert rules.quiet_until(local("HK", 1, 14, 0), time(13), time(14)) is None


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["CN", "HK", "TW"])
@pytest.mark.parametrize(("hour", "minute", "held_until"), [
    (20, 59, None), (21, 0, (2, 8, 0)), (21, 1, (2, 8, 0)), (7, 59, (1, 8, 0)), (8, 0, None), (8, 1, None),
])
def test_a_message_to_a_customer_recorded_in_quiet_hours_waits_for_their_end(code, hour, minute, held_until):
    at = local(code, 1, hour, minute)
    message = message_queue(app="test", key=f"K-{code}-{hour}-{minute}", channel="sms", address="13800000000",
                            language="zh-hant", body="您好", at=at, customer_id=1, jurisdiction=code)
    expected = at if held_until is None else local(code, *held_until)
    assert message.next_attempt_at == expected and message.created_at == at


@pytest.mark.django_db
def test_each_jurisdiction_keeps_its_own_quiet_hours(settings):
    settings.LIFECRM_QUIET_HOURS = "HK=22:00-08:00,21:00-09:00"
    hk = message_queue(app="test", key="HK", channel="email", address="a@example.com", language="zh-hant",
                       body="x", at=local("HK", 1, 21, 30), customer_id=1, jurisdiction="HK")
    tw = message_queue(app="test", key="TW", channel="email", address="a@example.com", language="zh-hant",
                       body="x", at=local("TW", 1, 21, 30), customer_id=1, jurisdiction="TW")
    cn = message_queue(app="test", key="CN", channel="email", address="a@example.com", language="zh-hans",
                       body="x", at=local("CN", 2, 8, 30), customer_id=1, jurisdiction="CN")
    assert hk.next_attempt_at == local("HK", 1, 21, 30)  # HK's quiet hours start at 22:00
    assert tw.next_attempt_at == local("TW", 2, 9, 0)
    assert cn.next_attempt_at == local("CN", 2, 9, 0)


@pytest.mark.django_db
def test_no_quiet_hours_for_a_message_to_staff_or_when_turned_off(settings):
    night = local("CN", 1, 23, 0)
    staff = message_queue(app="test", key="S", channel="email", address="staff@example.com", language="en",
                          body="x", at=night, jurisdiction="CN")
    settings.LIFECRM_QUIET_HOURS = "off"
    off = message_queue(app="test", key="O", channel="sms", address="138", language="zh-hans", body="x", at=night,
                        customer_id=1, jurisdiction="CN")
    assert staff.next_attempt_at == night == off.next_attempt_at
