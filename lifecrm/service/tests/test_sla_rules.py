"""SLA clocks, pure: business time across lunch breaks, weekends, holidays, make-up working days and closures in
CN, HK and TW; pauses, priority changes, extensions and replays of the log."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from lifecrm.core.rules import WorkingCalendar
from lifecrm.service.rules import CaseEventKind as K
from lifecrm.service.sla_rules import (
    BusinessCalendar,
    ClockState,
    Event,
    PolicyKey,
    Target,
    Targets,
    TargetUnit,
    best_policy,
    replay,
    warn_due,
)

BH, CD, CH = TargetUnit.BUSINESS_HOURS, TargetUnit.CALENDAR_DAYS, TargetUnit.CLOCK_HOURS
SHANGHAI, HONG_KONG, TAIPEI = ZoneInfo("Asia/Shanghai"), ZoneInfo("Asia/Hong_Kong"), ZoneInfo("Asia/Taipei")

# 2026 as the authorities published it (the days that matter here): CN's National Day week with its make-up
# working days (Sunday 20 September, Saturday 10 October) and Mid-Autumn (Friday 25 September); HK's National
# Day (Thursday 1 October); TW's National Day bridge (Friday 9 and Saturday 10 October).
CN_DAYS = {date(2026, 9, 20): True, date(2026, 9, 25): False, date(2026, 10, 10): True,
           **{date(2026, 10, d): False for d in (1, 2, 5, 6, 7)}}
HK_DAYS = {date(2026, 10, 1): False}
TW_DAYS = {date(2026, 10, 9): False}


def _calendar(code: str, closures=()) -> BusinessCalendar:
    if code == "CN":
        week = WorkingCalendar("CN", CN_DAYS, frozenset({5, 6}))
        hours = {None: ((time(9), time(12)), (time(13, 30), time(18)))}
        zone = SHANGHAI
    elif code == "HK":
        week = WorkingCalendar("HK", HK_DAYS, frozenset({6}))  # Saturday is a working day in HK
        hours = {None: ((time(9), time(13)), (time(14), time(18))), 5: ((time(9), time(13)),)}
        zone = HONG_KONG
    else:
        week = WorkingCalendar("TW", TW_DAYS, frozenset({5, 6}))
        hours = {None: ((time(8, 30), time(12)), (time(13, 30), time(17, 30)))}
        zone = TAIPEI
    return BusinessCalendar(zone, week.is_working_day, hours, tuple(closures))


def _at(zone, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


def _targets(response=(Decimal(8), BH), resolution=(Decimal(5), CD), by_priority=None):
    def of(priority: int) -> Targets:
        resp, reso = (by_priority or {}).get(priority, (response, resolution))
        return Targets(Target(*resp), Target(*reso))
    return of


def _clocks(events, *, as_of, code="CN", targets=None, closures=()):
    return replay([Event(kind, at, data) for kind, at, data in events], targets=targets or _targets(),
                  calendar=_calendar(code, closures), as_of=as_of)


def _opened(at, priority=3):
    return (K.OPENED, at, {"priority": priority})


# --- business time: intervals, weekends, holidays, make-up working days, closures -------------------------------

@pytest.mark.parametrize(("code", "zone", "start", "hours", "due"), [
    # across the lunch break: 2 hours in the morning, 2 after 13:30
    ("CN", SHANGHAI, (2026, 12, 7, 10), 4, (2026, 12, 7, 15, 30)),
    # used up exactly at noon: due at noon, the last moment of the morning
    ("CN", SHANGHAI, (2026, 12, 7, 10), 2, (2026, 12, 7, 12)),
    # opened in the lunch break: counting starts at 13:30
    ("CN", SHANGHAI, (2026, 12, 7, 12, 15), 1, (2026, 12, 7, 14, 30)),
    # opened before hours: counting starts at 09:00
    ("CN", SHANGHAI, (2026, 12, 7, 7), 1, (2026, 12, 7, 10)),
    # Friday 17:00 + 2 h: Friday's last hour, then Monday 09:00–10:00 (CN and TW rest on Saturday)
    ("CN", SHANGHAI, (2026, 12, 4, 17), 2, (2026, 12, 7, 10)),
    ("TW", TAIPEI, (2026, 12, 4, 17), 2, (2026, 12, 7, 10)),
    # HK works on Saturday morning: Friday 17:00 + 2 h is Saturday 10:00; + 6 h runs into Monday
    ("HK", HONG_KONG, (2026, 12, 4, 17), 2, (2026, 12, 5, 10)),
    ("HK", HONG_KONG, (2026, 12, 4, 17), 6, (2026, 12, 7, 10)),
    # CN: the eve of the National Day week, then the holidays, then Thursday 8 October
    ("CN", SHANGHAI, (2026, 9, 30, 17), 2, (2026, 10, 8, 10)),
    # CN: a make-up working Saturday (10 October) counts; a make-up working Sunday (20 September) too
    ("CN", SHANGHAI, (2026, 10, 9, 17), 2, (2026, 10, 10, 10)),
    ("CN", SHANGHAI, (2026, 9, 18, 17), 2, (2026, 9, 20, 10)),
    # CN: Mid-Autumn Friday is a holiday, the weekend after it is not made up: Thursday → Monday
    ("CN", SHANGHAI, (2026, 9, 24, 17), 2, (2026, 9, 28, 10)),
    # HK: National Day Thursday is a holiday, Friday is not
    ("HK", HONG_KONG, (2026, 9, 30, 17), 2, (2026, 10, 2, 10)),
    # TW: Friday 9 October (a holiday) and the weekend are skipped
    ("TW", TAIPEI, (2026, 10, 8, 17), 2, (2026, 10, 12, 10)),
])
def test_business_hours_deadline(code, zone, start, hours, due):
    assert _calendar(code).add(_at(zone, *start), hours * 3600) == _at(zone, *due)


def test_business_hours_boundaries_the_minute_before_of_and_after():
    calendar = _calendar("CN")
    start = _at(SHANGHAI, 2026, 12, 7, 9)
    assert calendar.between(start, _at(SHANGHAI, 2026, 12, 7, 11, 59)) == 3 * 3600 - 60
    assert calendar.between(start, _at(SHANGHAI, 2026, 12, 7, 12)) == 3 * 3600
    assert calendar.between(start, _at(SHANGHAI, 2026, 12, 7, 13, 30)) == 3 * 3600  # the lunch break is no time
    assert calendar.between(start, _at(SHANGHAI, 2026, 12, 7, 13, 31)) == 3 * 3600 + 60


def test_a_typhoon_closure_stops_business_time():
    # HK Signal No. 8 from Monday 09:00 to 14:00: a case opened at 08:00 with 2 business hours is due 16:00.
    closure = (_at(HONG_KONG, 2026, 12, 7, 9), _at(HONG_KONG, 2026, 12, 7, 14))
    calendar = _calendar("HK", [closure])
    assert calendar.add(_at(HONG_KONG, 2026, 12, 7, 8), 2 * 3600) == _at(HONG_KONG, 2026, 12, 7, 16)
    # a closure in the middle of the morning cuts it in two
    closure = (_at(HONG_KONG, 2026, 12, 7, 10), _at(HONG_KONG, 2026, 12, 7, 11))
    calendar = _calendar("HK", [closure])
    assert calendar.add(_at(HONG_KONG, 2026, 12, 7, 9), 2 * 3600) == _at(HONG_KONG, 2026, 12, 7, 12)
    assert calendar.between(_at(HONG_KONG, 2026, 12, 7, 9), _at(HONG_KONG, 2026, 12, 7, 13)) == 3 * 3600


def test_a_whole_day_closure_moves_a_calendar_day_deadline_to_the_next_business_moment():
    closure = (_at(TAIPEI, 2026, 12, 8, 0), _at(TAIPEI, 2026, 12, 9, 0))  # a typhoon day off in TW
    clocks = _clocks([_opened(_at(TAIPEI, 2026, 12, 7, 10))], code="TW", closures=[closure],
                     targets=_targets(resolution=(Decimal(1), CD)), as_of=_at(TAIPEI, 2026, 12, 7, 11))
    assert clocks.resolution.due == _at(TAIPEI, 2026, 12, 9, 8, 30)


@pytest.mark.parametrize(("opened", "due"), [
    ((2026, 12, 1, 12, 15), (2026, 12, 2, 13, 30)),  # lands in the lunch break: moves to 13:30
    ((2026, 12, 1, 10), (2026, 12, 2, 10)),  # lands in working time: stays
    ((2026, 12, 3, 19), (2026, 12, 7, 9)),  # Friday 19:00 is after hours: Monday 09:00
    ((2026, 9, 30, 10), (2026, 10, 8, 9)),  # lands in the National Day week: its first working morning
])
def test_calendar_days_deadline_moves_out_of_non_business_time(opened, due):
    clocks = _clocks([_opened(_at(SHANGHAI, *opened))], targets=_targets(resolution=(Decimal(1), CD)),
                     as_of=_at(SHANGHAI, *opened))
    assert clocks.resolution.due == _at(SHANGHAI, *due)


def test_clock_hours_run_around_the_clock():
    opened = _at(HONG_KONG, 2026, 12, 6, 2)  # Sunday 02:00
    clocks = _clocks([_opened(opened, 1)], code="HK", as_of=opened,
                     targets=_targets(response=(Decimal("0.25"), CH), resolution=(Decimal(24), CH)))
    assert clocks.response.due == opened + timedelta(minutes=15)
    assert clocks.resolution.due == opened + timedelta(hours=24)


# --- the log: answers, pauses, priority changes, extensions, reopening ------------------------------------------

MONDAY = _at(SHANGHAI, 2026, 12, 7, 9)


@pytest.mark.parametrize(("answered_after", "state"), [
    (timedelta(hours=8, minutes=29), ClockState.MET),  # a minute before the deadline
    (timedelta(hours=8, minutes=30), ClockState.MET),  # at the deadline
    (timedelta(hours=8, minutes=31), ClockState.BREACHED),  # a minute after
])
def test_first_answer_on_the_day_before_of_and_after(answered_after, state):
    # 8 business hours from Monday 09:00: 3 + 4.5 on Monday, 0.5 on Tuesday → Tuesday 09:30.
    events = [_opened(MONDAY), (K.RESPONDED, MONDAY + timedelta(days=1) + answered_after - timedelta(hours=8), {})]
    clocks = _clocks(events, as_of=MONDAY + timedelta(days=3))
    assert clocks.response.due == _at(SHANGHAI, 2026, 12, 8, 9, 30)
    assert clocks.response.state == state


def test_a_running_clock_breaches_after_its_deadline_only():
    events = [_opened(MONDAY)]
    due = _at(SHANGHAI, 2026, 12, 8, 9, 30)
    assert _clocks(events, as_of=due).response.state == ClockState.RUNNING
    assert _clocks(events, as_of=due + timedelta(seconds=1)).response.state == ClockState.BREACHED


def test_waiting_for_the_customer_pauses_the_resolution_clock_only():
    targets = _targets(response=(Decimal(8), BH), resolution=(Decimal(8), BH))
    events = [_opened(MONDAY), (K.WAITING, MONDAY + timedelta(hours=2), {}),
              (K.RESUMED, _at(SHANGHAI, 2026, 12, 9, 9), {})]
    paused = _clocks(events[:2], targets=targets, as_of=_at(SHANGHAI, 2026, 12, 8, 17))
    assert paused.resolution.state == ClockState.PAUSED and paused.resolution.due is None
    assert paused.resolution.consumed == 2 * 3600
    assert paused.response.state == ClockState.BREACHED  # the answer's clock kept running
    resumed = _clocks(events, targets=targets, as_of=_at(SHANGHAI, 2026, 12, 9, 10))
    # 2 h used before the pause, 6 h left from Wednesday 09:00: 3 h to noon, 3 h from 13:30 → 16:30
    assert resumed.resolution.due == _at(SHANGHAI, 2026, 12, 9, 16, 30)
    assert resumed.resolution.consumed == 3 * 3600
    assert resumed.resolution.paused == 46 * 3600
    assert resumed.resolution.state == ClockState.RUNNING


def test_a_pause_adds_its_length_to_a_calendar_day_target():
    events = [_opened(MONDAY), (K.WAITING, MONDAY + timedelta(days=1), {}),
              (K.RESUMED, MONDAY + timedelta(days=3), {})]
    clocks = _clocks(events, targets=_targets(resolution=(Decimal(5), CD)), as_of=MONDAY + timedelta(days=3))
    assert clocks.resolution.due == MONDAY + timedelta(days=7)  # Monday 14 December 09:00


def test_a_priority_change_switches_the_target_counted_from_the_opening():
    targets = _targets(by_priority={3: ((Decimal(8), BH), (Decimal(5), CD)), 1: ((Decimal(1), BH), (Decimal(8), BH))})
    events = [_opened(MONDAY, 3), (K.PRIORITY_CHANGED, MONDAY + timedelta(minutes=30), {"priority": 1})]
    before = _clocks(events, targets=targets, as_of=MONDAY + timedelta(minutes=20))
    assert before.priority == 3 and before.response.due == _at(SHANGHAI, 2026, 12, 8, 9, 30)
    after = _clocks(events, targets=targets, as_of=MONDAY + timedelta(minutes=40))
    assert after.priority == 1 and after.response.due == MONDAY + timedelta(hours=1)
    assert after.resolution.due == _at(SHANGHAI, 2026, 12, 8, 9, 30)  # 3 + 4.5 h on Monday, 30 min on Tuesday
    assert after.resolution.target == Target(Decimal(8), BH)


def test_a_late_priority_change_never_breaches_in_the_past():
    targets = _targets(by_priority={3: ((Decimal(8), BH), (Decimal(5), CD)), 1: ((Decimal(1), BH), (Decimal(8), BH))})
    change = MONDAY + timedelta(hours=2)  # the urgent hour was used up at 10:00
    events = [_opened(MONDAY, 3), (K.PRIORITY_CHANGED, change, {"priority": 1})]
    clocks = _clocks(events, targets=targets, as_of=change)
    assert clocks.response.due == change and clocks.response.state == ClockState.RUNNING
    assert _clocks(events, targets=targets, as_of=change + timedelta(minutes=1)).response.state == \
        ClockState.BREACHED
    answered = events + [(K.RESPONDED, change, {})]
    assert _clocks(answered, targets=targets, as_of=change).response.state == ClockState.MET


def test_a_clock_stopped_before_a_priority_change_keeps_its_target():
    targets = _targets(by_priority={3: ((Decimal(8), BH), (Decimal(5), CD)), 1: ((Decimal(1), BH), (Decimal(8), BH))})
    events = [_opened(MONDAY, 3), (K.RESPONDED, MONDAY + timedelta(hours=3), {}),
              (K.PRIORITY_CHANGED, MONDAY + timedelta(hours=4), {"priority": 1})]
    clocks = _clocks(events, targets=targets, as_of=MONDAY + timedelta(hours=5))
    assert clocks.priority == 1
    assert clocks.response.state == ClockState.MET and clocks.response.target == Target(Decimal(8), BH)
    assert clocks.resolution.target == Target(Decimal(8), BH)


def test_an_extension_without_a_positive_quantity_adds_nothing():
    for quantity in ("", "abc", -2, None, "NaN"):
        events = [_opened(MONDAY), (K.EXTENDED, MONDAY, {"clock": "resolution", "quantity": quantity})]
        assert _clocks(events, as_of=MONDAY).resolution.due == MONDAY + timedelta(days=7)


def test_an_extension_adds_to_its_clock_only():
    events = [_opened(MONDAY), (K.EXTENDED, MONDAY + timedelta(hours=1), {"clock": "resolution", "quantity": 3})]
    clocks = _clocks(events, as_of=MONDAY + timedelta(hours=2))
    assert clocks.resolution.due == MONDAY + timedelta(days=8)  # 5 + 3 calendar days: Tuesday 09:00
    assert clocks.response.due == _at(SHANGHAI, 2026, 12, 8, 9, 30)
    untagged = [_opened(MONDAY), (K.EXTENDED, MONDAY + timedelta(hours=1), {})]  # e.g. a complaint's own clock
    # 5 calendar days end on Saturday 09:00, a rest day: the next business moment
    assert _clocks(untagged, as_of=MONDAY + timedelta(hours=2)).resolution.due == MONDAY + timedelta(days=7)


def test_resolved_stops_the_clocks_and_reopened_restarts_resolution_with_time_kept():
    targets = _targets(resolution=(Decimal(8), BH))
    events = [_opened(MONDAY), (K.RESPONDED, MONDAY + timedelta(hours=1), {}),
              (K.RESOLVED, MONDAY + timedelta(hours=2), {}), (K.REOPENED, _at(SHANGHAI, 2026, 12, 9, 9), {})]
    resolved = _clocks(events[:3], targets=targets, as_of=_at(SHANGHAI, 2026, 12, 8, 9))
    assert resolved.resolution.state == ClockState.MET and resolved.response.state == ClockState.MET
    reopened = _clocks(events, targets=targets, as_of=_at(SHANGHAI, 2026, 12, 9, 9))
    assert reopened.resolution.state == ClockState.RUNNING
    assert reopened.resolution.due == _at(SHANGHAI, 2026, 12, 9, 16, 30)  # 6 h left from Wednesday 09:00
    assert reopened.response.state == ClockState.MET


def test_a_cancelled_case_is_not_measured():
    events = [_opened(MONDAY), (K.CANCELLED, MONDAY + timedelta(days=30), {})]
    clocks = _clocks(events, as_of=MONDAY + timedelta(days=31))
    assert clocks.response.state == ClockState.CANCELLED and clocks.resolution.state == ClockState.CANCELLED


def test_replaying_the_log_gives_the_same_clocks_and_later_events_do_not_count():
    events = [_opened(MONDAY), (K.WAITING, MONDAY + timedelta(hours=1), {}),
              (K.RESUMED, MONDAY + timedelta(hours=5), {}),
              (K.PRIORITY_CHANGED, MONDAY + timedelta(hours=6), {"priority": 2}),
              (K.RESPONDED, MONDAY + timedelta(days=1), {})]
    as_of = MONDAY + timedelta(days=2)
    assert _clocks(events, as_of=as_of) == _clocks(list(events), as_of=as_of)
    assert _clocks(events, as_of=MONDAY + timedelta(hours=2)) == _clocks(events[:2], as_of=MONDAY + timedelta(hours=2))


def test_the_warning_comes_when_a_fifth_of_the_target_is_left():
    targets = _targets(response=(Decimal(10), BH))
    clocks = _clocks([_opened(MONDAY)], targets=targets, as_of=MONDAY)
    assert clocks.response.warn_at == _at(SHANGHAI, 2026, 12, 8, 9, 30)  # 8 of 10 business hours used
    assert not warn_due(clocks.response, _at(SHANGHAI, 2026, 12, 8, 9, 29))
    later = _clocks([_opened(MONDAY)], targets=targets, as_of=_at(SHANGHAI, 2026, 12, 8, 9, 30))
    assert warn_due(later.response, _at(SHANGHAI, 2026, 12, 8, 9, 30))


def test_the_most_specific_policy_wins_whatever_the_order():
    rows = [(PolicyKey("", "", None, ""), "default"), (PolicyKey("complaint", "", None, ""), "complaints"),
            (PolicyKey("complaint", "", 1, ""), "urgent complaints"), (PolicyKey("", "diamond", 3, ""), "diamond"),
            (PolicyKey("", "", None, "HK"), "HK")]
    pick = lambda **kw: best_policy(rows, **{"case_type": "inquiry", "tier": "standard", "priority": 3,  # noqa: E731
                                             "jurisdiction": "CN"} | kw)
    assert pick() == "default"
    assert pick(case_type="complaint") == "complaints"
    assert pick(case_type="complaint", priority=1) == "urgent complaints"
    assert pick(tier="diamond") == "diamond"
    assert pick(jurisdiction="HK") == "HK"
    assert pick(jurisdiction="HK", case_type="complaint") == "HK"  # a tie: the jurisdiction's row first
    assert best_policy(list(reversed(rows)), case_type="complaint", tier="standard", priority=1,
                       jurisdiction="CN") == "urgent complaints"
