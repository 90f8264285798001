"""SLA clocks on the database: the shipped policies and business hours, the jurisdictions' loaded calendars,
closures declared at head office, the deadlines cached on the case, the idempotent sweep, a fixed number of
queries."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lifecrm.core.jobs import run_step
from lifecrm.parties.models import CustomerSegment
from lifecrm.service import jobs, services, sla
from lifecrm.service.jobs import sweep
from lifecrm.service.models import Case, ClosurePeriod, SlaAlert, SlaPolicy
from lifecrm.service.sla_rules import ClockState, TargetUnit

pytestmark = pytest.mark.django_db
SHANGHAI, HONG_KONG, TAIPEI = ZoneInfo("Asia/Shanghai"), ZoneInfo("Asia/Hong_Kong"), ZoneInfo("Asia/Taipei")


def _open(world, at, *, case_type="inquiry", priority=None, jurisdiction=None):
    case = services.case_open(actor=world.staff["callcentre"].user, customer=world.customer_a, case_type=case_type,
                              subject="Premium question", channel="call", opened_at=at, priority=priority)
    if jurisdiction:  # the customer's jurisdiction snapshotted on the case: another one for the test
        Case.objects.filter(pk=case.pk).update(jurisdiction_id=jurisdiction)
        case.refresh_from_db()
        sla.case_deadlines_refresh(case)
    return case


def test_shipped_defaults_are_loaded():
    assert SlaPolicy.objects.filter(case_type="", tier="", jurisdiction="").count() == 4
    book = sla.SlaBook.load()
    for code in ("CN", "HK", "TW"):
        assert book.calendar(code).spans(date(2026, 12, 7))  # a Monday: business hours in each


def test_opening_caches_the_deadlines_on_the_case(service_world):
    # normal inquiry: first answer in 8 business hours, resolved in 5 calendar days (CN hours 09:00–12:00, 13:30–18:00)
    case = _open(service_world, datetime(2026, 12, 7, 9, tzinfo=SHANGHAI))
    assert case.response_due == datetime(2026, 12, 8, 9, 30, tzinfo=SHANGHAI)
    assert case.resolution_due == datetime(2026, 12, 14, 9, tzinfo=SHANGHAI)  # Saturday → Monday 09:00
    stored = Case.objects.get(pk=case.pk)
    assert (stored.response_due, stored.resolution_due) == (case.response_due, case.resolution_due)


def test_the_log_moves_the_cached_deadlines(service_world):
    w = service_world
    actor = w.staff["callcentre"].user
    opened = datetime(2026, 12, 7, 9, tzinfo=SHANGHAI)
    case = _open(w, opened)
    services.case_event_append(actor=actor, case=case, kind="priority_changed", at=opened + timedelta(minutes=10),
                               data={"priority": 1})
    case.refresh_from_db()
    assert case.response_due == opened + timedelta(hours=1)  # urgent: 1 business hour from the opening
    services.case_event_append(actor=actor, case=case, kind="responded", at=opened + timedelta(minutes=30))
    services.case_event_append(actor=actor, case=case, kind="waiting", at=opened + timedelta(hours=1))
    case.refresh_from_db()
    assert case.response_due is None and case.resolution_due is None  # answered; resolution paused
    services.case_event_append(actor=actor, case=case, kind="resumed", at=datetime(2026, 12, 8, 9, tzinfo=SHANGHAI))
    case.refresh_from_db()
    # urgent resolution 8 business hours: 1 h used on Monday, 7 h from Tuesday 09:00 → 17:30
    assert case.resolution_due == datetime(2026, 12, 8, 17, 30, tzinfo=SHANGHAI)
    clocks = sla.case_clocks(case, as_of=datetime(2026, 12, 8, 10, tzinfo=SHANGHAI))
    assert clocks.response.state == ClockState.MET and clocks.resolution.state == ClockState.RUNNING
    assert clocks.resolution.paused == 23 * 3600


@pytest.mark.parametrize(("jurisdiction", "zone", "opened", "due"), [
    # CN National Day 2026: 1–7 October off, Saturday 10 October a make-up working day
    ("CN", SHANGHAI, (2026, 9, 30, 17), (2026, 10, 8, 17, 30)),
    ("CN", SHANGHAI, (2026, 10, 9, 17), (2026, 10, 10, 17, 30)),
    # HK: Saturday morning is business time (09:00–13:00), Sunday is not
    ("HK", HONG_KONG, (2026, 12, 4, 17), (2026, 12, 7, 12)),
    # TW: 9 October (the National Day bridge) and the weekend are off
    ("TW", TAIPEI, (2026, 10, 8, 17), (2026, 10, 12, 17, 30)),
])
def test_first_answer_on_each_jurisdictions_loaded_calendar(service_world, jurisdiction, zone, opened, due):
    case = _open(service_world, datetime(*opened, tzinfo=zone), jurisdiction=jurisdiction)
    assert case.response_due == datetime(*due, tzinfo=zone)


def test_a_closure_declared_at_head_office_moves_open_deadlines(service_world):
    case = _open(service_world, datetime(2026, 12, 7, 9, tzinfo=HONG_KONG), jurisdiction="HK")
    assert case.response_due == datetime(2026, 12, 7, 18, tzinfo=HONG_KONG)  # 4 + 4 business hours on Monday
    ClosurePeriod.objects.create(jurisdiction_id="HK", starts_at=datetime(2026, 12, 7, 11, tzinfo=HONG_KONG),
                                 ends_at=datetime(2026, 12, 7, 19, tzinfo=HONG_KONG), reason="Typhoon signal No. 8")
    sla.sla_sweep(at=datetime(2026, 12, 7, 10, tzinfo=HONG_KONG), first_id=case.pk, last_id=case.pk)
    case.refresh_from_db()  # the sweep brings the cached deadlines up to date
    assert case.response_due == datetime(2026, 12, 8, 16, tzinfo=HONG_KONG)  # 2 h on Monday, 6 h on Tuesday


def test_the_policy_valid_at_the_opening_applies_and_a_tier_has_its_own(service_world):
    w = service_world
    SlaPolicy.objects.create(priority=3, version=2, valid_from=date(2026, 12, 10), response_quantity=2,
                             response_unit=TargetUnit.BUSINESS_HOURS, resolution_quantity=2,
                             resolution_unit=TargetUnit.CALENDAR_DAYS)
    before = _open(w, datetime(2026, 12, 9, 9, tzinfo=SHANGHAI))
    after = _open(w, datetime(2026, 12, 10, 9, tzinfo=SHANGHAI))
    assert before.response_due == datetime(2026, 12, 10, 9, 30, tzinfo=SHANGHAI)  # version 1: 8 h
    assert after.response_due == datetime(2026, 12, 10, 11, tzinfo=SHANGHAI)  # version 2: 2 h
    CustomerSegment.objects.create(customer=w.customer_a, tier="diamond", stage="growing",
                                   valid_from=date(2026, 1, 1), confirmed_on=date(2026, 12, 1), set_by="test")
    diamond = _open(w, datetime(2026, 12, 7, 9, tzinfo=SHANGHAI))
    assert diamond.response_due == datetime(2026, 12, 7, 14, 30, tzinfo=SHANGHAI)  # diamond: 4 business hours


def test_the_sweep_warns_then_escalates_once_each(service_world):
    w = service_world
    case = _open(w, datetime(2026, 12, 7, 9, tzinfo=SHANGHAI))  # answer due Tuesday 09:30
    last = case.pk
    assert sla.sla_sweep(at=datetime(2026, 12, 7, 15, tzinfo=SHANGHAI), first_id=last, last_id=last) == 0
    warn_at = datetime(2026, 12, 7, 16, 54, tzinfo=SHANGHAI)  # 6.4 of 8 business hours used
    assert sla.sla_sweep(at=warn_at, first_id=last, last_id=last) == 1
    assert sla.sla_sweep(at=warn_at + timedelta(minutes=5), first_id=last, last_id=last) == 0
    breach_at = datetime(2026, 12, 8, 9, 31, tzinfo=SHANGHAI)
    assert sla.sla_sweep_open(at=breach_at) == 1
    assert sla.sla_sweep_open(at=breach_at) == 0
    assert sorted(SlaAlert.objects.values_list("clock", "kind")) == [("response", "breach"), ("response", "warning")]
    alert = SlaAlert.objects.get(kind="breach")
    assert alert.due == case.response_due and alert.branch_path == case.branch_path


def test_the_daily_step_reruns_without_raising_twice(service_world, monkeypatch):
    # the batch runs at 22:00 (LIFECRM_DAILY_AT) on the business date
    monkeypatch.setattr(jobs, "now", lambda: datetime(2026, 12, 11, 22, tzinfo=SHANGHAI))
    _open(service_world, datetime(2026, 12, 7, 9, tzinfo=SHANGHAI))
    _open(service_world, datetime(2026, 12, 1, 9, tzinfo=SHANGHAI))
    run_step(sweep, as_of=date(2026, 12, 8), progress=False)
    first = SlaAlert.objects.count()
    assert first == 3  # the newer case's answer breached; the older one's answer and resolution
    run_step(sweep, as_of=date(2026, 12, 8), progress=False)
    run_step(sweep, as_of=date(2026, 12, 11), progress=False)
    assert SlaAlert.objects.count() == first + 1  # only the newer case's resolution warning is new (1 day left)


def test_clocks_of_many_cases_take_a_fixed_number_of_queries(service_world, django_assert_num_queries):
    cases = [_open(service_world, datetime(2026, 12, d, 9, tzinfo=SHANGHAI)) for d in (1, 2, 3)]
    sla.SlaBook.load().calendar("CN")  # the core working calendar is cached per process
    with django_assert_num_queries(6):  # policies, hours, closures, jurisdictions; the logs; the tiers
        clocks = sla.clocks_of(cases, as_of=datetime(2026, 12, 8, tzinfo=SHANGHAI))
    assert all(c is not None for c in clocks.values())


def test_the_alerts_of_many_cases_are_raised_and_queued_in_a_fixed_number_of_queries(service_world):
    """The sweep's queries do not grow with its alerts: the alerts in one INSERT, their messages (to the handler and
    the queue's lead) in one INSERT into the outbox, not one message at a time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lifecrm.notifications.models import OutboxMessage
    handler, queue = _alert_recipients(service_world)
    breach_at = datetime(2026, 12, 8, 9, 31, tzinfo=SHANGHAI)
    counts = []
    for cases in (1, 4):
        opened = [_open(service_world, datetime(2026, 12, 7, 9, tzinfo=SHANGHAI)) for _ in range(cases)]
        Case.objects.filter(pk__in=[c.pk for c in opened]).update(queue=queue, assignee=handler)
        sla.SlaBook.load().calendar("CN")  # the core working calendar is cached per process
        with CaptureQueriesContext(connection) as captured:
            assert sla.sla_sweep(at=breach_at, first_id=opened[0].pk, last_id=opened[-1].pk) == cases
        counts.append(len(captured))
        assert OutboxMessage.objects.filter(key__startswith="sla-", key__contains="-response-breach-").count() == (
            2 * (1 + 4 * (cases == 4)))  # the handler and the lead, per breached case
    assert counts[0] == counts[1]


def test_the_daily_sweep_evaluates_at_its_run_time_not_at_the_end_of_the_day(service_world, monkeypatch):
    """An emergency case opened at 22:10 has its first answer due at 22:25 (15 clock minutes, round the clock): the
    batch running at 22:24 does not escalate it (as at 23:59 it did); at 22:26 it is breached. A batch catching up
    on a past date sweeps as at the end of that date."""
    w = service_world
    case = _open(w, datetime(2026, 12, 7, 22, 10, tzinfo=SHANGHAI), case_type="emergency")
    assert case.response_due == datetime(2026, 12, 7, 22, 25, tzinfo=SHANGHAI)
    for at, breached in ((datetime(2026, 12, 7, 22, 24, tzinfo=SHANGHAI), False),
                         (datetime(2026, 12, 7, 22, 26, tzinfo=SHANGHAI), True)):
        monkeypatch.setattr(jobs, "now", lambda at=at: at)
        run_step(sweep, as_of=date(2026, 12, 7), params_key=f"{at:%H%M}", progress=False)
        assert SlaAlert.objects.filter(case=case, clock="response", kind="breach").exists() is breached
    assert jobs.sweep_moment(date(2026, 12, 6)) == datetime(2026, 12, 6, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def test_the_sweep_sends_each_alert_once_through_the_outbox(service_world):
    """A warning goes to the handler; an escalation at breach to the handler and the queue's lead (the managers of
    the queue's unit); each once, whatever sweeps again."""
    from django.contrib.auth import get_user_model

    from lifecrm.notifications.models import OutboxMessage
    from lifecrm.service.models import Queue
    w = service_world
    handler, manager = w.staff["callcentre"], w.staff["branch"]
    get_user_model().objects.filter(pk=handler.user_id).update(email="handler@example.com")
    get_user_model().objects.filter(pk=manager.user_id).update(email="lead@example.com")
    queue = Queue.objects.create(code="general", name="綜合", name_en="General", org_unit=w.org.branch_a)
    case = _open(w, datetime(2026, 12, 7, 9, tzinfo=SHANGHAI))  # answer due Tuesday 09:30
    Case.objects.filter(pk=case.pk).update(queue=queue, assignee=handler)
    warn_at = datetime(2026, 12, 7, 16, 54, tzinfo=SHANGHAI)
    assert sla.sla_sweep(at=warn_at, first_id=case.pk, last_id=case.pk) == 1
    warnings = OutboxMessage.objects.filter(app="service", key__startswith=f"sla-{case.pk}-response-warning")
    assert [(m.address, m.channel, m.status) for m in warnings] == [("handler@example.com", "email", "queued")]
    assert case.number in warnings[0].subject
    breach_at = datetime(2026, 12, 8, 9, 31, tzinfo=SHANGHAI)
    assert sla.sla_sweep_open(at=breach_at) == 1
    assert sla.sla_sweep_open(at=breach_at + timedelta(minutes=5)) == 0
    breaches = OutboxMessage.objects.filter(key__startswith=f"sla-{case.pk}-response-breach")
    assert sorted(m.address for m in breaches) == ["handler@example.com", "lead@example.com"]
    assert OutboxMessage.objects.filter(key__startswith="sla-").count() == 3


def test_the_sweep_is_scheduled_daily_and_between_batches(service_world):
    from lifecrm.config.celery import app
    from lifecrm.core.registries import daily_steps
    from lifecrm.service.tasks import sla_sweep_task

    assert "service.sla_sweep" in {step.name for step in daily_steps.ordered()}
    entry = app.conf.beat_schedule["sla-sweep"]
    assert entry["task"] == sla_sweep_task.name == "lifecrm.service.sla_sweep" and entry["schedule"] == 300.0
    _open(service_world, datetime(2026, 12, 1, 9, tzinfo=SHANGHAI))  # long past its deadlines
    assert sla_sweep_task() == 2 and sla_sweep_task() == 0


def _badges(world, case) -> int:
    from django.test import Client
    from django.urls import reverse

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.staff["callcentre"].user)
    page = client.get(reverse("service:case", args=[case.pk]))
    assert page.status_code == 200
    return page.content.decode().count('data-testid="provisional-deadline"')


def _api_flags(world, case) -> tuple[bool, bool]:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(world.staff["callcentre"].user)
    data = client.get(f"/api/v1/cases/{case.pk}/").json()
    return data["response_due_provisional"], data["resolution_due_provisional"]


def test_a_deadline_counted_on_a_provisional_calendar_says_so_on_the_case_page(service_world):
    """CN's calendar is official to 2026 and provisional from 2027 as shipped. A normal inquiry opened on Thursday
    31 Dec 2026 at 16:00: its first answer (8 business hours) and its resolution (5 calendar days, moved past rest
    days) fall in 2027, each counted on the provisional calendar; one opened on 7 Dec is due in 2026."""
    w = service_world
    late = _open(w, datetime(2026, 12, 31, 16, tzinfo=SHANGHAI))
    assert late.response_due.year == late.resolution_due.year == 2027
    assert sla.deadlines_provisional(late) == {"response": True, "resolution": True}
    assert _badges(w, late) == 2
    assert _api_flags(w, late) == (True, True)
    early = _open(w, datetime(2026, 12, 7, 9, tzinfo=SHANGHAI))
    assert sla.deadlines_provisional(early) == {"response": False, "resolution": False}
    assert _badges(w, early) == 0
    assert _api_flags(w, early) == (False, False)


def test_a_deadline_around_the_clock_uses_no_calendar_and_is_never_provisional(service_world):
    w = service_world
    SlaPolicy.objects.create(priority=3, version=2, valid_from=date(2026, 12, 10), response_quantity=4,
                             response_unit=TargetUnit.CLOCK_HOURS, resolution_quantity=30,
                             resolution_unit=TargetUnit.BUSINESS_HOURS)
    case = _open(w, datetime(2026, 12, 31, 22, tzinfo=SHANGHAI))
    assert case.response_due == datetime(2027, 1, 1, 2, tzinfo=SHANGHAI)  # New Year's night: never moved
    assert sla.deadlines_provisional(case) == {"response": False, "resolution": True}
    assert _badges(w, case) == 1
    assert _api_flags(w, case) == (False, True)


def _alert_recipients(world, *, handler_language=""):
    """The call-centre handler (e-mail, `handler_language`) and the branch's manager (e-mail, no preference: their
    CN branch's Simplified Chinese), and a queue at the branch."""
    from django.contrib.auth import get_user_model

    from lifecrm.org.models import Staff
    from lifecrm.service.models import Queue
    handler, manager = world.staff["callcentre"], world.staff["branch"]
    get_user_model().objects.filter(pk=handler.user_id).update(email="handler@example.com")
    get_user_model().objects.filter(pk=manager.user_id).update(email="lead@example.com")
    Staff.objects.filter(pk=handler.pk).update(preferred_language=handler_language)
    queue = Queue.objects.create(code="general", name="綜合", name_en="General", org_unit=world.org.branch_a)
    return handler, queue


def _sla_messages(case, kind):
    from lifecrm.notifications.models import OutboxMessage
    return {m.address: m for m in OutboxMessage.objects.filter(key__startswith=f"sla-{case.pk}-response-{kind}")}


def test_sla_alerts_are_in_each_staff_members_language(service_world):
    w = service_world
    handler, queue = _alert_recipients(w, handler_language="en")
    case = _open(w, datetime(2026, 12, 7, 9, tzinfo=SHANGHAI))  # answer due Tuesday 09:30
    Case.objects.filter(pk=case.pk).update(queue=queue, assignee=handler)
    assert sla.sla_sweep_open(at=datetime(2026, 12, 8, 9, 31, tzinfo=SHANGHAI)) == 1
    sent = _sla_messages(case, "breach")
    english, chinese = sent["handler@example.com"], sent["lead@example.com"]
    assert (english.language, english.subject) == ("en", f"SLA breached: case {case.number}")
    assert "was due at 2026-12-08 09:30 and is late" in english.body
    assert (chinese.language, chinese.subject) == ("zh-hans", f"SLA 已超时：个案 {case.number}")  # CN's default


def test_a_staff_member_without_a_language_gets_their_jurisdictions(service_world):
    from lifecrm.core.models import Jurisdiction
    from lifecrm.org.models import OrgUnit
    w = service_world
    handler, queue = _alert_recipients(w)
    OrgUnit.objects.filter(pk=handler.org_unit_id).update(jurisdiction=Jurisdiction.objects.get(code="HK"))
    case = _open(w, datetime(2026, 12, 7, 9, tzinfo=SHANGHAI))
    Case.objects.filter(pk=case.pk).update(queue=queue, assignee=handler)
    sla.sla_sweep_open(at=datetime(2026, 12, 8, 9, 31, tzinfo=SHANGHAI))
    hong_kong = _sla_messages(case, "breach")["handler@example.com"]
    assert (hong_kong.language, hong_kong.subject) == ("zh-hant", f"SLA 已逾時：個案 {case.number}")


@pytest.mark.parametrize(("swept", "sent_from"), [
    (datetime(2026, 12, 8, 10, 0, tzinfo=SHANGHAI), datetime(2026, 12, 8, 10, 0, tzinfo=SHANGHAI)),    # in working hours: at once
    (datetime(2026, 12, 8, 12, 10, tzinfo=SHANGHAI), datetime(2026, 12, 8, 13, 30, tzinfo=SHANGHAI)),  # the lunch break: its afternoon interval
    (datetime(2026, 12, 8, 22, 0, tzinfo=SHANGHAI), datetime(2026, 12, 9, 9, 0, tzinfo=SHANGHAI)),     # the evening batch: the next morning
    (datetime(2026, 12, 11, 22, 0, tzinfo=SHANGHAI), datetime(2026, 12, 14, 9, 0, tzinfo=SHANGHAI)),   # Friday night: Monday morning
])
def test_sla_alerts_wait_for_the_staff_members_next_working_interval(service_world, swept, sent_from):
    w = service_world
    handler, queue = _alert_recipients(w)
    case = _open(w, datetime(2026, 12, 7, 9, tzinfo=SHANGHAI))  # answer due Tuesday 09:30
    Case.objects.filter(pk=case.pk).update(queue=queue, assignee=handler)
    sla.sla_sweep_open(at=swept)
    sent = _sla_messages(case, "breach")
    assert {m.next_attempt_at for m in sent.values()} == {sent_from}
    assert {m.created_at for m in sent.values()} == {swept}


def test_an_emergency_cases_alerts_go_at_once_at_night(service_world):
    w = service_world
    handler, queue = _alert_recipients(w)
    case = _open(w, datetime(2026, 12, 7, 22, 10, tzinfo=SHANGHAI), case_type="emergency")  # answer due 22:25
    Case.objects.filter(pk=case.pk).update(queue=queue, assignee=handler)
    night = datetime(2026, 12, 7, 22, 26, tzinfo=SHANGHAI)
    sla.sla_sweep_open(at=night)
    sent = _sla_messages(case, "breach")
    assert sorted(sent) == ["handler@example.com", "lead@example.com"]
    assert {m.next_attempt_at for m in sent.values()} == {night}
