"""Care events: who gets them (consent, opt-out, the living, current customers), what each tier gets, when they go
out (never at night), in which language and on which channel — and never twice, whatever reruns or is killed."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import translation

from lifecrm.core.actors import SYSTEM
from lifecrm.core.jobs import _open_run, run_chunk, run_step
from lifecrm.core.models import JobChunk, JobRun
from lifecrm.core.registries import timeline_sources
from lifecrm.notifications.models import Letter, OutboxMessage
from lifecrm.notifications.services import outbox_dispatch
from lifecrm.notifications.sms import read_outbox
from lifecrm.org.selectors import data_scope_for_user
from lifecrm.parties.models import Customer, CustomerSegment
from lifecrm.parties.services import consent_record
from lifecrm.policies.models import Policy
from lifecrm.service import care, complaints, jobs, services
from lifecrm.service.models import CareEvent, CareRule
from lifecrm.service.selectors import care_tasks_for
from tests.factories import make_customer, make_policy

pytestmark = pytest.mark.django_db
BIRTHDAY = date(2026, 5, 17)  # the factory's customers are born on 17 May 1980
NIGHT = datetime(2026, 5, 16, 18, 0, tzinfo=UTC)  # 02:00 on 17 May in CN, HK and TW
MORNING = datetime(2026, 5, 17, 1, 30, tzinfo=UTC)  # 09:30
EVENING = datetime(2026, 5, 17, 12, 30, tzinfo=UTC)  # 20:30
# The job tests' day: their customers only (the service world's customers are born on 17 May too).
NEXT_DAY, NEXT_MORNING = BIRTHDAY + timedelta(days=1), MORNING + timedelta(days=1)
DISPATCHED_AT = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00, after whatever a test recorded


def _consent(customer, granted=True, at=datetime(2026, 1, 1, tzinfo=UTC)):
    consent_record(actor=SYSTEM, customer=customer, purpose="marketing", granted=granted, at=at, source="application")


def _customer(world, *, consent=True, policy=True, agent="agent", **fields):
    customer = make_customer(branch=world.org.team_a, agent=world.staff[agent] if agent else None, **fields)
    if consent:
        _consent(customer)
    if policy:
        make_policy(owner=customer, agent=world.staff["agent"], branch=world.org.team_a, issue_date=date(2022, 3, 31))
    return customer


def _tier(customer, tier):
    CustomerSegment.objects.create(customer=customer, tier=tier, stage="mature", valid_from=date(2026, 1, 1),
                                   confirmed_on=date(2026, 1, 1), set_by="test")


def _plan(as_of=BIRTHDAY, at=NIGHT, ids=None):
    return care.care_events_plan(as_of=as_of, at=at, customer_ids=care.candidate_ids(as_of) if ids is None else ids)


def _send(at):
    return care.care_messages_send(at=at, first_id=0, last_id=2**31)


def _sms(settings):
    """The SMS that left: the outbox's dispatcher (`lifecrm send-outbox`, every minute) sends what was recorded."""
    outbox_dispatch(at=DISPATCHED_AT)
    return list(read_outbox(settings.LIFECRM_SMS_OUTBOX))


def test_a_birthday_greeting_planned_at_night_goes_out_once_in_the_morning(service_world, settings):
    customer = _customer(service_world)
    assert _plan() == 1
    event = CareEvent.objects.get()
    assert (event.occasion, event.action, event.channel, event.status) == ("birthday", "greeting", "sms", "planned")
    assert event.send_after == datetime(2026, 5, 17, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert _send(NIGHT + timedelta(minutes=30)) == 0 and _sms(settings) == []  # still night
    assert _send(MORNING) == 1
    [message] = _sms(settings)
    assert message["message_id"] == event.key and message["to"] == customer.mobile_phone
    assert "生日快乐" in message["text"] and "张伟先生" in message["text"]
    assert _send(MORNING + timedelta(hours=1)) == 0 and _plan() == 0  # a rerun: nothing new, nothing again
    assert len(_sms(settings)) == 1 and CareEvent.objects.get().status == "sent"


def test_a_message_due_but_found_at_night_waits_for_the_morning(service_world, settings):
    _customer(service_world)
    _plan(at=MORNING)
    assert CareEvent.objects.get().send_after == MORNING  # composed in the day: at once
    assert _send(EVENING) == 0 and CareEvent.objects.get().status == "planned"  # 20:30: after the window
    assert _send(EVENING + timedelta(hours=13)) == 1  # 09:30 the next morning


def test_planned_in_the_evening_it_waits_for_the_next_morning(service_world):
    _customer(service_world)
    _plan(at=EVENING)
    assert CareEvent.objects.get().send_after == datetime(2026, 5, 18, 1, 0, tzinfo=UTC)


def test_no_consent_or_a_withdrawn_one_means_nothing(service_world):
    _customer(service_world, consent=False)  # never given
    withdrawn = _customer(service_world)
    consent_record(actor=SYSTEM, customer=withdrawn, purpose="marketing", granted=False,
                   at=datetime(2026, 3, 1, tzinfo=UTC), source="sms")  # the customer opted out by SMS
    regranted = _customer(service_world)
    _consent(regranted, False, datetime(2026, 2, 1, tzinfo=UTC))
    _consent(regranted, True, datetime(2026, 4, 1, tzinfo=UTC))  # the latest row is in force
    _plan()
    assert list(CareEvent.objects.values_list("customer_id", flat=True)) == [regranted.pk]


def test_consent_withdrawn_after_planning_stops_the_message(service_world, settings):
    customer = _customer(service_world)
    _plan()
    consent_record(actor=SYSTEM, customer=customer, purpose="marketing", granted=False,
                   at=NIGHT + timedelta(hours=1), source="phone")
    assert _send(MORNING) == 0 and _sms(settings) == []
    assert CareEvent.objects.get().status == "skipped"


def test_the_deceased_the_anonymised_and_former_customers_get_nothing(service_world):
    dead = _customer(service_world)
    Customer.objects.filter(pk=dead.pk).update(date_of_death=date(2026, 4, 1))
    gone = _customer(service_world)
    Customer.objects.filter(pk=gone.pk).update(anonymised_on=date(2026, 4, 1))
    former = _customer(service_world)
    Policy.objects.filter(owner=former).update(status="lapsed")
    _customer(service_world, policy=False)  # a prospect: never a customer
    insured_only = _customer(service_world, policy=False)
    make_policy(owner=_customer(service_world, consent=False, birth_date=date(1970, 1, 1)), insured=insured_only,
                agent=service_world.staff["agent"], branch=service_world.org.team_a)
    _plan()
    assert list(CareEvent.objects.values_list("customer_id", flat=True)) == [insured_only.pk]


def test_each_tier_gets_what_its_rules_say(service_world, settings):
    standard = _customer(service_world)
    diamond = _customer(service_world, address="上海市黄浦区中山东一路1号", postcode="200002")
    _tier(diamond, "diamond")
    no_agent = _customer(service_world, agent=None)
    _tier(no_agent, "gold")
    _plan()
    got = {c: sorted(CareEvent.objects.filter(customer=c).values_list("action", "channel", "status"))
           for c in (standard, diamond, no_agent)}
    assert got[standard] == [("greeting", "sms", "planned")]
    assert got[diamond] == [("call", "", "open"), ("card", "letter", "planned"), ("gift", "", "open")]
    assert got[no_agent] == [("call", "", "open"), ("card", "sms", "planned")]  # no address on file: by SMS
    assert CareEvent.objects.get(customer=diamond, action="call").assignee == service_world.staff["agent"]
    assert CareEvent.objects.get(customer=no_agent, action="call").assignee is None  # the call centre's

    _send(MORNING)
    letter = Letter.objects.get()
    assert letter.key == CareEvent.objects.get(customer=diamond, action="card").key and "生日快乐" in letter.html

    CareRule.objects.filter(occasion="birthday", tier="standard").update(is_active=False)  # HQ switches it off
    CareEvent.objects.all().delete()
    Letter.objects.all().delete()
    _plan()
    assert not CareEvent.objects.filter(customer=standard).exists()


def test_care_tasks_are_listed_for_the_agent_and_the_call_centre_and_get_done(service_world,
                                                                              django_assert_num_queries):
    w = service_world
    diamond = _customer(w)
    _tier(diamond, "diamond")
    orphan = _customer(w, agent=None)
    _tier(orphan, "gold")
    _plan()
    agent, callcentre = w.staff["agent"], w.staff["callcentre"]
    scope = data_scope_for_user(agent.user)
    with django_assert_num_queries(1):
        mine = care_tasks_for(scope, agent, BIRTHDAY)
        assert {(t.customer.name, t.action) for t in mine} == {(diamond.name, "call"), (diamond.name, "gift")}
    queue = care_tasks_for(data_scope_for_user(callcentre.user), callcentre, BIRTHDAY)
    assert [(t.customer_id, t.action) for t in queue] == [(orphan.pk, "call")]
    assert care_tasks_for(data_scope_for_user(agent.user), agent, BIRTHDAY - timedelta(days=1)) == []

    done = care.care_task_complete(actor=callcentre.user, event=queue[0], at=MORNING, note="Wished a happy birthday")
    assert done.status == "done" and done.done_by == callcentre
    with pytest.raises(care.CareRefused):
        care.care_task_complete(actor=callcentre.user, event=queue[0], at=MORNING)


def test_language_and_channel_are_the_customers(service_world, settings, smtp):
    hk = _customer(service_world, jurisdiction_id="HK", preferred_language="zh-hant")
    en = _customer(service_world, preferred_language="en", preferred_channel="email", email="lee@example.com")
    _plan()
    assert CareEvent.objects.get(customer=hk).language == "zh-hant"
    assert (CareEvent.objects.get(customer=en).channel, CareEvent.objects.get(customer=en).recipient) == (
        "email", "lee@example.com")
    _send(MORNING)
    [sms] = _sms(settings)  # the dispatcher sends the SMS and the e-mail (to a real SMTP server)
    assert "生日快樂" in sms["text"]
    assert [m["Subject"] for m in smtp.messages] == ["Happy birthday"]
    assert smtp.messages[0]["Message-ID"].startswith(f"<{CareEvent.objects.get(customer=en).key}@")


def test_a_leap_day_birthday_is_greeted_on_28_february_in_a_common_year(service_world):
    leap = _customer(service_world, birth_date=date(2000, 2, 29))
    assert care.candidate_ids(date(2026, 2, 27)) == []
    assert care.candidate_ids(date(2026, 2, 28)) == [leap.pk]
    assert care.candidate_ids(date(2026, 3, 1)) == []
    assert care.candidate_ids(date(2028, 2, 28)) == []
    assert care.candidate_ids(date(2028, 2, 29)) == [leap.pk]
    _plan(as_of=date(2026, 2, 28), at=datetime(2026, 2, 28, 2, 0, tzinfo=UTC))
    assert CareEvent.objects.get().occasion_date == date(2026, 2, 28)


def test_a_policy_issued_on_29_february_has_its_anniversary_on_28_february(service_world, settings):
    customer = _customer(service_world, policy=False, birth_date=date(1980, 7, 1))
    policy = make_policy(owner=customer, agent=service_world.staff["agent"], branch=service_world.org.team_a,
                         issue_date=date(2024, 2, 29))
    as_of = date(2026, 2, 28)
    assert _plan(as_of=as_of, at=datetime(2026, 2, 28, 2, 0, tzinfo=UTC)) == 1
    event = CareEvent.objects.get()
    assert (event.occasion, event.policy, event.reference) == ("anniversary", policy, policy.number)
    _send(datetime(2026, 2, 28, 2, 0, tzinfo=UTC))
    assert "生效2周年" in _sms(settings)[0]["text"]
    assert _plan(as_of=date(2026, 3, 1), at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC)) == 0


def test_a_coming_maturity_is_marked_30_days_before(service_world):
    customer = _customer(service_world, policy=False, birth_date=date(1980, 7, 1))
    policy = make_policy(owner=customer, agent=service_world.staff["agent"], branch=service_world.org.team_a,
                         issue_date=date(2016, 6, 16), term_years=10)
    Policy.objects.filter(pk=policy.pk).update(maturity_date=date(2026, 6, 16))
    assert _plan(as_of=date(2026, 5, 16)) == 0
    assert _plan(as_of=date(2026, 5, 17)) == 1
    assert CareEvent.objects.get().occasion_date == date(2026, 6, 16)
    CareRule.objects.filter(occasion="maturity").update(offset_days=31)  # HQ moves it: still one greeting
    assert _plan(as_of=date(2026, 5, 16)) == 0


def test_a_closed_complaint_is_followed_up_after_7_days(service_world):
    w = service_world
    customer = _customer(w)
    actor = w.staff["callcentre"].user
    closed_at = datetime(2026, 5, 10, 3, 0, tzinfo=UTC)
    case = services.case_open(actor=actor, customer=customer, case_type="complaint", category="complaint_sales",
                              subject="Mis-selling", channel="call", opened_at=closed_at - timedelta(days=60))
    decided_at = closed_at - timedelta(days=55)
    complaints.complaint_decide(actor=actor, complaint=case.complaint, facts="f", decision="d", basis="b",
                                at=decided_at)
    complaints.complaint_delivery_record(actor=actor, complaint=case.complaint, channel="post",
                                         delivered_at=decided_at, reference="EMS1", at=decided_at)
    # closed once the customer can no longer ask for a review
    services.case_event_append(actor=actor, case=case, kind="closed", at=closed_at)
    as_of = date(2026, 5, 17)
    CareRule.objects.filter(occasion="birthday").update(is_active=False)
    assert _plan(as_of=as_of - timedelta(days=1)) == 0
    assert _plan(as_of=as_of) == 1
    event = CareEvent.objects.get()
    assert (event.occasion, event.action, event.reference, event.status) == (
        "complaint_follow_up", "call", case.number, "open")


def test_festivals_follow_each_jurisdictions_list(service_world):
    cn = _customer(service_world, birth_date=date(1980, 1, 2))
    hk = _customer(service_world, birth_date=date(1980, 1, 2), jurisdiction_id="HK", preferred_language="zh-hant")
    tw = _customer(service_world, birth_date=date(1980, 1, 2), jurisdiction_id="TW", preferred_language="zh-hant")
    christmas = date(2026, 12, 25)
    assert hk.pk in care.candidate_ids(christmas) and cn.pk not in care.candidate_ids(christmas)  # HK only
    assert {cn.pk, hk.pk, tw.pk} <= set(care.candidate_ids(date(2026, 9, 25)))  # Mid-Autumn everywhere
    _plan(as_of=date(2026, 9, 25), at=datetime(2026, 9, 25, 2, 0, tzinfo=UTC))
    assert set(CareEvent.objects.values_list("reference", flat=True)) == {"mid_autumn"}
    assert CareEvent.objects.count() == 3


def test_a_rerun_or_a_fresh_run_plans_and_sends_nothing_twice(service_world, settings, monkeypatch):
    for _ in range(3):
        _customer(service_world, birth_date=date(1980, 5, 18))
    monkeypatch.setattr(jobs, "now", lambda: NEXT_MORNING)
    run_step("service.care_events", as_of=NEXT_DAY, progress=False)
    run_step("service.care_send", as_of=NEXT_DAY, progress=False)
    run_step("service.care_events", as_of=NEXT_DAY, progress=False)  # a rerun: the run is done
    run_step("service.care_events", as_of=NEXT_DAY, params_key="again", progress=False)  # a fresh run
    run_step("service.care_send", as_of=NEXT_DAY, params_key="again", progress=False)
    assert CareEvent.objects.count() == 3 and set(CareEvent.objects.values_list("status", flat=True)) == {"sent"}
    keys = [m["message_id"] for m in _sms(settings)]
    assert len(keys) == 3 and len(set(keys)) == 3


def test_a_run_killed_mid_way_and_resumed_sends_each_message_once(service_world, settings, monkeypatch):
    settings.LIFECRM_JOB_CHUNK_SIZE = 1
    for _ in range(3):
        _customer(service_world, birth_date=date(1980, 5, 18))
    monkeypatch.setattr(jobs, "now", lambda: NEXT_MORNING)
    run = _open_run(jobs.plan_care_events, NEXT_DAY, "")
    run_chunk(run.chunks.order_by("index").first().pk)  # killed after its first chunk
    assert CareEvent.objects.count() == 1
    first = CareEvent.objects.get()

    def killed(*args, **kwargs):
        raise SystemExit("killed")

    # a send killed after writing its spool file, before its commit: the row stays planned
    monkeypatch.setattr(CareEvent.objects, "bulk_update", killed)
    with pytest.raises(SystemExit):
        _send(NEXT_MORNING)
    monkeypatch.undo()
    monkeypatch.setattr(jobs, "now", lambda: NEXT_MORNING)
    assert CareEvent.objects.get(pk=first.pk).status == "planned"

    run_step("service.care_events", as_of=NEXT_DAY, progress=False)  # resumed
    run.refresh_from_db()
    assert run.status == JobRun.Status.DONE and JobChunk.objects.filter(run=run).count() == 3
    run_step("service.care_send", as_of=NEXT_DAY, progress=False)
    assert CareEvent.objects.count() == 3 and set(CareEvent.objects.values_list("status", flat=True)) == {"sent"}
    keys = [m["message_id"] for m in _sms(settings)]
    assert sorted(keys) == sorted(CareEvent.objects.values_list("key", flat=True))  # the resent file replaced


def test_care_events_are_on_the_customers_timeline(service_world):
    customer = _customer(service_world)
    _plan()
    _send(MORNING)
    with translation.override("en"):
        entries = timeline_sources()["service.care"](
            scope=data_scope_for_user(service_world.staff["callcentre"].user), customer_id=customer.pk, as_of=BIRTHDAY)
    assert [(e.kind, e.at) for e in entries] == [("care", MORNING)]
    assert entries[0].title == "Care: birthday, greeting on the preferred channel" and entries[0].detail == "sent"
    assert timeline_sources()["service.care"](
        scope=data_scope_for_user(service_world.staff["callcentre"].user), customer_id=customer.pk,
        as_of=BIRTHDAY - timedelta(days=1)) == []


def test_management_sees_the_care_rules_and_the_latest_counts(service_world, client, monkeypatch):
    from django.urls import reverse
    from django.utils import timezone

    _customer(service_world)
    _plan()
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: BIRTHDAY)
    client.force_login(service_world.staff["hq"].user)
    page = client.get(reverse("service:care-rules"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="care-rules"' in html and 'data-testid="care-counts"' in html
    client.force_login(service_world.staff["agent"].user)
    assert client.get(reverse("service:care-rules")).status_code == 403


def test_the_latest_runs_name_each_care_step_in_words(service_world, client):
    from django.urls import reverse

    from lifecrm.core.jobs import run_step

    run_step("service.care_events", as_of=BIRTHDAY, progress=False)
    client.force_login(service_world.staff["hq"].user)
    for language, words in (("en", "plan the care events"), ("zh-hant", "規劃關懷活動"), ("zh-hans", "规划关怀活动")):
        html = client.get(reverse("service:care-rules"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert words in html and ">service.care_events<" not in html, language


def test_a_care_rule_names_a_festival_only_for_a_festival_greeting():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        CareRule(occasion="birthday", tier="gold", action="card", festival="christmas").full_clean()
    with pytest.raises(ValidationError):
        CareRule(occasion="festival", tier="gold", action="card", festival="easter").full_clean()
    with pytest.raises(ValidationError):
        CareRule(occasion="birthday", tier="gold", action="card", offset_days=3).full_clean()
    CareRule(occasion="festival", tier="gold", action="sms", festival="christmas").full_clean()


def test_care_send_during_the_day_sends_what_waited_and_prints_the_cards(service_world, settings, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    diamond = _customer(service_world, address="上海市黄浦区中山东一路1号", postcode="200002")
    _tier(diamond, "diamond")
    _customer(service_world)
    _plan()  # at night
    for at, expected in ((NIGHT, "0 care messages sent"), (MORNING, "2 care messages sent, 1 letters printed"),
                         (MORNING + timedelta(hours=2), "0 care messages sent, 1 letters printed")):
        monkeypatch.setattr(jobs, "now", lambda at=at: at)
        out = StringIO()
        call_command("care-send", "--no-progress", stdout=out)
        assert expected in out.getvalue()
    key = CareEvent.objects.get(customer=diamond, action="card").key
    assert (settings.LIFECRM_LETTER_OUTBOX / f"{key}.pdf").exists()
    assert len(_sms(settings)) == 1


def test_a_care_message_goes_through_the_outbox(service_world, settings):
    """A greeting is an outbox message (the care event's key), sent by the dispatcher, its status on the timeline."""
    customer = _customer(service_world)
    _plan()
    event = CareEvent.objects.get()
    assert care.care_messages_send(at=MORNING, first_id=0, last_id=2**31) == 1
    message = OutboxMessage.objects.get(key=event.key)
    assert (message.app, message.channel, message.status, message.customer_id) == ("service", "sms", "queued",
                                                                                   customer.pk)
    assert list(read_outbox(settings.LIFECRM_SMS_OUTBOX)) == []  # nothing leaves before the dispatcher runs
    assert outbox_dispatch(at=MORNING).sent == 1 and OutboxMessage.objects.get(pk=message.pk).status == "sent"
    [sms] = list(read_outbox(settings.LIFECRM_SMS_OUTBOX))
    assert sms["message_id"] == event.key and "生日快乐" in sms["text"]
    with translation.override("en"):
        entries = timeline_sources()["notifications.outbox"](
            scope=data_scope_for_user(service_world.staff["callcentre"].user), customer_id=customer.pk,
            as_of=BIRTHDAY)
    assert len(entries) == 1 and "sent" in entries[0].title


def test_a_consent_withdrawal_cancels_the_customers_open_care_tasks_audited(service_world):
    """The call, visit or gift for a customer who withdraws marketing consent is cancelled (kept, not deleted), with
    the withdrawal as its reason in the audit trail; another customer's tasks and done tasks stay as they are."""
    from lifecrm.core.models import AuditEvent

    w = service_world
    withdrawing, other = _customer(w), _customer(w)
    _tier(withdrawing, "diamond")
    _tier(other, "diamond")
    _plan()
    tasks = list(CareEvent.objects.filter(customer=withdrawing, status="open").order_by("pk"))
    assert len(tasks) == 2  # a call and a gift
    care.care_task_complete(actor=w.staff["agent"].user, event=tasks[0], at=MORNING)
    consent_record(actor=w.staff["hq"].user, customer=withdrawing, purpose="sensitive_data", granted=False,
                   at=MORNING, source="phone")  # another purpose: nothing changes
    assert CareEvent.objects.get(pk=tasks[1].pk).status == "open"
    consent_record(actor=w.staff["hq"].user, customer=withdrawing, purpose="marketing", granted=False,
                   at=MORNING + timedelta(minutes=5), source="phone")
    cancelled = CareEvent.objects.get(pk=tasks[1].pk)
    assert cancelled.status == "cancelled" and "consent" in cancelled.detail
    assert cancelled.done_at == MORNING + timedelta(minutes=5)
    assert CareEvent.objects.get(pk=tasks[0].pk).status == "done"
    assert set(CareEvent.objects.filter(customer=other, action__in=("call", "gift")).values_list("status", flat=True)) == {"open"}
    audit = AuditEvent.objects.get(object_type="service.care_event", object_id=str(cancelled.pk),
                                   after__status="cancelled")
    assert audit.actor == w.staff["hq"].user and "consent" in audit.purpose
