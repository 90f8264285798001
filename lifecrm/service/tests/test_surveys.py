"""Satisfaction surveys: sent when a case closes, credited to who served then, one-time links, the frequency limit,
the periodic NPS, the answer page and the managers' report."""
from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from lifecrm.core.models import AuditEvent
from lifecrm.core.registries import timeline_sources
from lifecrm.notifications.models import OutboxMessage
from lifecrm.notifications.services import outbox_dispatch
from lifecrm.notifications.sms import read_outbox
from lifecrm.org.selectors import data_scope_for_user
from lifecrm.service import rules, services
from lifecrm.service.jobs import nps_candidate_ids, send_nps_surveys
from lifecrm.service.models import Survey
from lifecrm.service.survey_selectors import survey_report
from lifecrm.service.surveys import SurveyRefused, survey_answer
from tests.factories import make_customer, make_staff

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai
LINK = re.compile(r"/survey/([\w-]+)/")


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.LIFECRM_SMS_OUTBOX = tmp_path / "sms"
    settings.LIFECRM_SURVEY_MIN_DAYS = 30
    settings.LIFECRM_SURVEY_VALID_DAYS = 14
    return tmp_path / "sms"


def _close(w, customer, *, handler, at=AT, actor=None):
    actor = actor or w.staff["hq"].user
    case = services.case_open(actor=actor, customer=customer, case_type="inquiry", category="premium",
                              subject="Premium question", channel="call", opened_at=at - timedelta(hours=2))
    services.case_assign(actor=actor, case=case, assignee=handler, at=at - timedelta(hours=1))
    services.case_event_append(actor=actor, case=case, kind="resolved", at=at - timedelta(minutes=5))
    services.case_event_append(actor=actor, case=case, kind="closed", at=at)
    outbox_dispatch(at=at)  # the outbox's dispatcher (`lifecrm send-outbox`, every minute) sends the survey
    case.refresh_from_db()
    return case


def _token(outbox_folder, survey: Survey) -> str:
    texts = [m["text"] for m in read_outbox(outbox_folder) if survey.subject_label in m["message_id"]
             or m["message_id"].endswith(f"-{survey.subject_id}")]
    return LINK.search(texts[-1]).group(1)


# -- pure rules ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("promoters", "detractors", "answers", "score"), [
    (0, 0, 0, None), (5, 2, 10, 30), (0, 4, 4, -100), (7, 0, 7, 100), (2, 1, 3, 33), (1, 2, 3, -33), (3, 3, 8, 0)])
def test_nps_is_promoters_less_detractors_in_percent(promoters, detractors, answers, score):
    assert rules.nps(promoters=promoters, detractors=detractors, answers=answers) == score


@pytest.mark.parametrize(("on", "allowed"), [(date(2026, 12, 30), False), (date(2026, 12, 31), True),
                                             (date(2027, 1, 1), True)])
def test_a_customer_is_asked_again_only_after_the_limit(on, allowed):
    # asked on 1 Dec with a 30-day limit: the day before (30 Dec), of (31 Dec) and after
    assert rules.may_ask(last_asked_on=date(2026, 12, 1), on=on, min_days=30) is allowed
    assert rules.next_ask_on(last_asked_on=date(2026, 12, 1), min_days=30) == date(2026, 12, 31)


def test_scores_are_checked_per_kind():
    assert rules.score_valid("csat", 1) and rules.score_valid("csat", 5) and not rules.score_valid("csat", 0)
    assert rules.score_valid("nps", 0) and rules.score_valid("nps", 10) and not rules.score_valid("nps", 11)


# -- sending -------------------------------------------------------------------------------------------------------

def test_closing_a_case_sends_a_csat_link_by_sms_crediting_its_handler(service_world, outbox):
    w = service_world
    case = _close(w, w.customer_a, handler=w.staff["callcentre"])
    survey = Survey.objects.get(subject_kind="service.case", subject_id=case.pk)
    assert survey.status == "sent" and survey.kind == "csat" and survey.channel == "sms"
    assert survey.staff == w.staff["callcentre"] and survey.team is None and survey.branch == w.org.branch_a
    assert survey.expires_at == AT + timedelta(days=14) and survey.language == "zh-hans"
    token = _token(outbox, survey)
    assert survey.token_hash == rules.token_digest(token) and token not in survey.token_hash  # only the hash is kept
    [message] = list(read_outbox(outbox))
    assert case.number in message["text"] and message["message_id"] == f"survey-csat-service.case-{case.pk}"
    assert AuditEvent.objects.filter(action="create", object_type="service.survey", object_id=str(survey.pk),
                                     after__status="sent").exists()


def test_an_agent_in_a_team_is_credited_with_team_and_branch(service_world):
    w = service_world
    handler = make_staff("counter", w.org.team_a)
    survey = Survey.objects.get(subject_id=_close(w, w.customer_a, handler=handler).pk)
    assert (survey.staff, survey.team, survey.branch) == (handler, w.org.team_a, w.org.branch_a)
    assert survey.served_path == w.org.team_a.path


def test_an_email_customer_gets_the_link_by_email(service_world, smtp):
    w = service_world
    customer = make_customer(branch=w.org.team_a, preferred_channel="email", email="zw@example.com",
                             preferred_language="en")
    _close(w, customer, handler=w.staff["callcentre"])  # the outbox sends it to a real SMTP server
    survey = Survey.objects.get(customer=customer)
    assert survey.channel == "email" and survey.language == "en"
    [email] = smtp.messages
    assert email["To"] == "zw@example.com" and LINK.search(email.get_content())
    assert email["Message-ID"].startswith(f"<survey-csat-service.case-{survey.subject_id}@")
    assert OutboxMessage.objects.get(key=f"survey-csat-service.case-{survey.subject_id}").status == "sent"


def test_attribution_is_fixed_when_sent(service_world):
    """A case credited to its handler when it closed keeps that credit after the handler changes."""
    w = service_world
    case = _close(w, w.customer_a, handler=w.staff["callcentre"])
    other = make_staff("counter", w.org.branch_b)
    from lifecrm.service.models import Case
    Case.objects.filter(pk=case.pk).update(assignee=other)  # whatever happens to the case afterwards
    survey = Survey.objects.get(subject_id=case.pk)
    assert survey.staff == w.staff["callcentre"] and survey.branch == w.org.branch_a
    report = survey_report(scope=data_scope_for_user(w.staff["hq"].user), start=AT - timedelta(days=1),
                           end=AT + timedelta(days=1), group_by="staff")
    assert [row.key for row in report.rows] == [w.staff["callcentre"].pk]


@pytest.mark.parametrize(("days_later", "sent"), [(29, False), (30, True), (31, True)])
def test_the_frequency_limit_day_before_of_and_after(service_world, days_later, sent):
    w = service_world
    _close(w, w.customer_a, handler=w.staff["callcentre"])
    later = _close(w, w.customer_a, handler=w.staff["callcentre"], at=AT + timedelta(days=days_later))
    survey = Survey.objects.get(subject_id=later.pk)
    assert survey.status == ("sent" if sent else "skipped")
    assert survey.skip_reason == ("" if sent else "too_soon") and (sent or survey.token_hash is None)


def test_a_customer_without_mobile_or_email_is_skipped_with_a_reason(service_world):
    w = service_world
    customer = make_customer(branch=w.org.team_a)
    customer.mobile_phone = ""
    customer.save(update_fields=["mobile_phone"])
    survey = Survey.objects.get(subject_id=_close(w, customer, handler=w.staff["callcentre"]).pk)
    assert survey.status == "skipped" and survey.skip_reason == "no_contact" and survey.channel == ""


def test_a_second_send_for_the_same_case_returns_the_first(service_world, outbox):
    from lifecrm.service.surveys import survey_send_for_case
    w = service_world
    case = _close(w, w.customer_a, handler=w.staff["callcentre"])
    first = Survey.objects.get(subject_id=case.pk)
    assert survey_send_for_case(case, AT + timedelta(minutes=1)).pk == first.pk
    assert Survey.objects.count() == 1 and len(list(read_outbox(outbox))) == 1


# -- answering -----------------------------------------------------------------------------------------------------

def test_a_token_answers_once(service_world, outbox):
    w = service_world
    survey = Survey.objects.get(subject_id=_close(w, w.customer_a, handler=w.staff["callcentre"]).pk)
    token = _token(outbox, survey)
    survey_answer(token=token, score=4, comment="  Quick and kind  ", at=AT + timedelta(days=1))
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.answered_at) == (4, "Quick and kind", AT + timedelta(days=1))
    with pytest.raises(SurveyRefused) as refused:
        survey_answer(token=token, score=1, comment="changed my mind", at=AT + timedelta(days=2))
    assert refused.value.reason == "answered"
    survey.refresh_from_db()
    assert survey.score == 4 and survey.comment == "Quick and kind"


@pytest.mark.parametrize(("after", "outcome"), [(timedelta(days=14, seconds=-1), None),
                                                (timedelta(days=14), "unknown"), (timedelta(days=15), "unknown")])
def test_a_link_expires(service_world, outbox, after, outcome):
    w = service_world
    survey = Survey.objects.get(subject_id=_close(w, w.customer_a, handler=w.staff["callcentre"]).pk)
    token = _token(outbox, survey)
    if outcome is None:
        survey_answer(token=token, score=5, comment="", at=AT + after)
        return
    with pytest.raises(SurveyRefused) as refused:
        survey_answer(token=token, score=5, comment="", at=AT + after)
    assert refused.value.reason == outcome
    assert Survey.objects.get(pk=survey.pk).answered_at is None


def test_unknown_tokens_out_of_range_scores_and_long_comments_are_refused(service_world, outbox):
    w = service_world
    survey = Survey.objects.get(subject_id=_close(w, w.customer_a, handler=w.staff["callcentre"]).pk)
    token = _token(outbox, survey)
    for kwargs, reason in (({"token": "nope"}, "unknown"), ({"token": ""}, "unknown"),
                           ({"token": token, "score": 6}, "invalid"), ({"token": token, "score": 0}, "invalid"),
                           ({"token": token, "comment": "x" * 1001}, "invalid")):
        with pytest.raises(SurveyRefused) as refused:
            survey_answer(**({"score": 3, "comment": ""} | kwargs), at=AT)
        assert refused.value.reason == reason
    assert Survey.objects.get(pk=survey.pk).answered_at is None


# -- the page ------------------------------------------------------------------------------------------------------

def test_the_page_needs_no_login_is_in_the_customers_language_and_answers_once(service_world, outbox):
    w = service_world
    survey = Survey.objects.get(subject_id=_close(w, w.customer_a, handler=w.staff["callcentre"]).pk)
    token = _token(outbox, survey)
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/survey/{token}/")
    assert page.status_code == 200 and page["Content-Language"] == "zh-hans" and page["Referrer-Policy"] == "same-origin"
    assert "您对我们处理您案件的方式满意吗？" in page.content.decode()
    csrf = client.cookies["csrftoken"].value
    assert client.post(f"/survey/{token}/", {"score": 5}).status_code == 403  # no CSRF token: refused
    assert client.post(f"/survey/{token}/", {"score": 9, "csrfmiddlewaretoken": csrf}).status_code == 400
    long = client.post(f"/survey/{token}/", {"score": 5, "comment": "x" * 1001, "csrfmiddlewaretoken": csrf})
    assert long.status_code == 400 and Survey.objects.get(pk=survey.pk).answered_at is None
    done = client.post(f"/survey/{token}/", {"score": 5, "comment": "好", "csrfmiddlewaretoken": csrf})
    assert done.status_code == 200 and 'data-testid="survey-thanks"' in done.content.decode()
    again = client.post(f"/survey/{token}/", {"score": 1, "csrfmiddlewaretoken": csrf})
    assert again.status_code == 409 and 'data-testid="survey-answered"' in again.content.decode()
    assert Survey.objects.get(pk=survey.pk).score == 5


def test_unknown_and_expired_links_get_the_same_page(service_world, outbox):
    w = service_world
    survey = Survey.objects.get(subject_id=_close(w, w.customer_a, handler=w.staff["callcentre"]).pk)
    token = _token(outbox, survey)
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired, unknown = Client().get(f"/survey/{token}/"), Client().get("/survey/not-a-token/")
    assert expired.status_code == unknown.status_code == 404
    assert expired.content == unknown.content


# -- NPS -----------------------------------------------------------------------------------------------------------

def test_the_daily_nps_asks_a_sample_once_per_period(service_world, settings, outbox):
    w = service_world
    settings.LIFECRM_NPS_DAILY_SAMPLE, settings.LIFECRM_NPS_PERIOD_DAYS = 1, 365
    day = date(2026, 12, 2)
    ids = list(nps_candidate_ids(day))
    assert ids == [w.customer_a.pk]  # the sample: one a day, lowest id first
    from lifecrm.core.jobs import run_step
    run_step(send_nps_surveys, as_of=day, progress=False)
    survey = Survey.objects.get(kind="nps")
    assert survey.customer == w.customer_a and survey.staff == w.staff["agent"] and survey.team == w.org.team_a
    run_step(send_nps_surveys, as_of=day, progress=False)  # a rerun of the day: nothing more
    assert Survey.objects.filter(kind="nps").count() == 1
    assert list(nps_candidate_ids(day + timedelta(days=1))) == [w.customer_b.pk]


def test_the_survey_link_is_the_sites_survey_page(settings):
    """The batch reverses the link in the survey's own URLconf (not the site's: its import costs seconds); the site
    serves the same path."""
    from django.urls import resolve, reverse

    from lifecrm.service.surveys import survey_link
    settings.LIFECRM_PUBLIC_URL = "https://crm.example.com"
    assert survey_link("abc") == "https://crm.example.com" + reverse("survey", kwargs={"token": "abc"})
    assert resolve("/survey/abc/").url_name == "survey"


def test_the_daily_nps_of_many_customers_takes_a_fixed_number_of_queries(service_world, settings, outbox):
    """A chunk's surveys, messages and audit rows are written together, not one customer at a time; each customer's
    survey is what `survey_send` records (who served, the channel, the link's message, a skip and its reason)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lifecrm.service.surveys import nps_surveys_send
    w = service_world
    at = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in CN
    counts = []
    for size in (2, 8):
        customers = [make_customer(branch=w.org.team_a if n % 2 else w.org.branch_b,
                                   agent=w.staff["agent"] if n % 2 else None,
                                   email=f"c{n}@example.com" if n % 3 == 0 else "",
                                   preferred_channel="email" if n % 3 == 0 else "sms") for n in range(size)]
        asked = customers[-1]  # asked yesterday: too soon
        Survey.objects.create(kind="csat", subject_kind="service.case", subject_id=asked.pk, customer=asked,
                              sent_at=at - timedelta(days=1), language="zh-hans", status=Survey.Status.SENT,
                              channel="sms", token_hash=f"{size:064d}", expires_at=at + timedelta(days=13),
                              branch=w.org.branch_b, served_path=w.org.branch_b.path, branch_path=asked.branch_path)
        with CaptureQueriesContext(connection) as captured:
            assert nps_surveys_send(customer_ids=[c.pk for c in customers], at=at) == size - 1
        counts.append(len(captured))
        surveys = {s.customer_id: s for s in Survey.objects.filter(kind="nps", customer__in=customers)}
        assert (surveys[asked.pk].status, surveys[asked.pk].skip_reason) == ("skipped", "too_soon")
        for n, customer in enumerate(customers[:-1]):
            survey = surveys[customer.pk]
            assert survey.status == "sent" and survey.channel == ("email" if n % 3 == 0 else "sms")
            assert (survey.team, survey.branch) == ((w.org.team_a, w.org.branch_a) if n % 2 else (None, w.org.branch_b))
            message = OutboxMessage.objects.get(key=f"survey-nps-{customer.pk}-20261202")
            assert survey.detail == f"{survey.channel} {message.key} in the outbox" and "/survey/" in message.body
        assert AuditEvent.objects.filter(object_type="service.survey",
                                         object_id__in=[str(s.pk) for s in surveys.values()]).count() == size
    assert counts[0] == counts[1]


# -- report and timeline -------------------------------------------------------------------------------------------

def _answered(w, customer, handler, score, *, at=AT, kind="csat"):
    case = _close(w, customer, handler=handler, at=at)
    survey = Survey.objects.get(subject_id=case.pk)
    Survey.objects.filter(pk=survey.pk).update(score=score, answered_at=at + timedelta(hours=1), kind=kind)
    return survey


def test_the_report_groups_by_who_served_within_the_managers_scope(service_world, django_assert_num_queries):
    w = service_world
    _answered(w, w.customer_a, w.staff["callcentre"], 5)
    _answered(w, w.customer_b, w.staff["branch_b"], 2)
    for n in range(3):  # NPS: 10, 8, 3 → one promoter, one passive, one detractor
        customer = make_customer(branch=w.org.branch_a)
        _answered(w, customer, w.staff["counter"], (10, 8, 3)[n], kind="nps")
    start, end = AT - timedelta(days=1), AT + timedelta(days=1)
    with django_assert_num_queries(2):
        everything = survey_report(scope=data_scope_for_user(w.staff["hq"].user), start=start, end=end,
                                   group_by="branch")
    assert [r.label for r in everything.rows] == sorted(["北京分公司", "上海分公司"])
    assert everything.total.sent == 5 and everything.total.response_rate == 100.0
    assert everything.total.csat_average == 3.5 and everything.total.csat_counts == [0, 1, 0, 0, 1]
    assert (everything.total.promoters, everything.total.passives, everything.total.detractors) == (1, 1, 1)
    assert everything.total.nps == 0
    branch_a = survey_report(scope=data_scope_for_user(w.staff["branch"].user), start=start, end=end,
                             group_by="staff")
    assert {r.key for r in branch_a.rows} == {w.staff["callcentre"].pk, w.staff["counter"].pk}
    assert branch_a.total.csat_average == 5 and branch_a.total.nps == 0
    branch_b = survey_report(scope=data_scope_for_user(w.staff["branch_b"].user), start=start, end=end,
                             group_by="team")
    assert branch_b.total.sent == 1 and branch_b.total.csat_average == 2


def test_the_report_page_for_managers_only(service_world):
    w = service_world
    _answered(w, w.customer_a, w.staff["callcentre"], 4)
    client = Client()
    client.force_login(w.staff["branch"].user)
    page = client.get("/service/surveys/", {"start": "2026-11-01", "end": "2026-12-07", "group_by": "staff"})
    assert page.status_code == 200
    chart = json.loads(re.search(r'id="survey-chart-data" type="application/json">(.*?)</script>',
                                 page.content.decode()).group(1))
    assert chart["csat"] == [4.0] and chart["distribution"] == [0, 0, 0, 1, 0]
    assert client.get("/service/surveys/", {"start": "2026-12-07", "end": "2026-11-01",
                                            "group_by": "staff"}).status_code == 400
    client.force_login(w.staff["callcentre"].user)
    assert client.get("/service/surveys/").status_code == 403


def test_an_answer_is_on_the_customers_timeline(service_world):
    w = service_world
    survey = _answered(w, w.customer_a, w.staff["callcentre"], 4)
    Survey.objects.filter(pk=survey.pk).update(comment="Quick and kind")
    entries = timeline_sources()["service.surveys"](scope=data_scope_for_user(w.staff["callcentre"].user),
                                                    customer_id=w.customer_a.pk, as_of=AT.date())
    assert [e.kind for e in entries] == ["survey"] and "4 / 5" in entries[0].title
    assert "Quick and kind" in entries[0].detail
    assert timeline_sources()["service.surveys"](scope=data_scope_for_user(w.staff["branch_b"].user),
                                                 customer_id=w.customer_a.pk, as_of=AT.date()) == []


def test_a_survey_goes_through_the_outbox_and_its_status_shows_on_the_timeline(service_world, outbox):
    """The survey's SMS is an outbox message recorded with the closing (its idempotency key the survey's), sent by the
    outbox's dispatcher (retries, quiet hours), and its delivery status is on the customer's timeline."""
    w = service_world
    actor = w.staff["hq"].user
    case = services.case_open(actor=actor, customer=w.customer_a, case_type="inquiry", category="premium",
                              subject="Premium question", channel="call", opened_at=AT - timedelta(hours=2))
    services.case_assign(actor=actor, case=case, assignee=w.staff["callcentre"], at=AT - timedelta(hours=1))
    services.case_event_append(actor=actor, case=case, kind="resolved", at=AT - timedelta(minutes=5))
    services.case_event_append(actor=actor, case=case, kind="closed", at=AT)
    message = OutboxMessage.objects.get(key=f"survey-csat-service.case-{case.pk}")
    assert (message.app, message.channel, message.status, message.customer_id) == (
        "service", "sms", "queued", w.customer_a.pk)
    assert list(read_outbox(outbox)) == []  # nothing leaves before the dispatcher runs
    assert outbox_dispatch(at=AT).sent == 1
    [sms] = list(read_outbox(outbox))
    assert LINK.search(sms["text"]) and OutboxMessage.objects.get(pk=message.pk).status == "sent"
    assert outbox_dispatch(at=AT + timedelta(minutes=1)).sent == 0  # sent once
    with translation.override("en"):
        entries = timeline_sources()["notifications.outbox"](scope=data_scope_for_user(w.staff["callcentre"].user),
                                                             customer_id=w.customer_a.pk, as_of=AT.date())
    assert len(entries) == 1 and "sent" in entries[0].title


def test_the_survey_link_is_throttled_per_address(service_world, settings):
    """Guessing tokens is slowed down: an address gets LIFECRM_SURVEY_RATE_PER_MINUTE pages a minute, then 429
    (in the page's language, nothing read or written); another address is not held up."""
    from django.core.cache import cache

    cache.clear()
    settings.LIFECRM_SURVEY_RATE_PER_MINUTE = 3
    guesser, other = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="198.51.100.9")
    for attempt in range(3):
        assert guesser.get(f"/survey/guess-{attempt}/").status_code == 404
    refused = guesser.get("/survey/guess-4/", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429 and "Too many attempts" in refused.content.decode()
    assert refused["Retry-After"] == "60"
    assert guesser.post("/survey/guess-5/", {"score": 5}).status_code == 429
    assert other.get("/survey/guess-6/").status_code == 404
    cache.clear()


# -- wording: what closed is named as the customer knows it -------------------------------------------------------

WORDING = {  # (subject kind, language): what the SMS, the e-mail and the answer page must say, and must not
    ("service.case", "en"): (["your case C-1 is closed", "Your case C-1 is now closed", "handled your case?"],
                             ["request", "claim"]),
    ("service.case", "zh-hant"): (["您的案件C-1已結案", "本通知為案件服務通知", "處理您案件"], ["申請", "理賠"]),
    ("service.case", "zh-hans"): (["您的案件C-1已办结", "本通知为案件服务通知", "处理您案件"], ["申请", "理赔"]),
    ("servicing.request", "en"): (["your request C-1 is closed", "Your request C-1 is now closed",
                                   "handled your request?"], ["case", "claim"]),
    ("servicing.request", "zh-hant"): (["您的保全申請C-1已處理完畢", "本通知為保全服務通知", "辦理您保全申請"],
                                       ["案件", "理賠"]),
    ("servicing.request", "zh-hans"): (["您的保全申请C-1已办结", "本通知为保全服务通知", "办理您保全申请"],
                                       ["案件", "理赔"]),
    ("claims.claim", "en"): (["your claim C-1 is closed", "Your claim C-1 is now closed", "handled your claim?"],
                             ["request", "your case"]),
    ("claims.claim", "zh-hant"): (["您的理賠案件C-1已結案", "本通知為理賠服務通知", "處理您理賠案件"], ["申請"]),
    ("claims.claim", "zh-hans"): (["您的理赔案件C-1已结案", "本通知为理赔服务通知", "处理您理赔案件"], ["申请"]),
}


@pytest.mark.parametrize(("kind", "language"), list(WORDING))
def test_the_csat_names_what_closed_as_a_case_a_request_or_a_claim(service_world, kind, language):
    """A servicing request is a request (保全申請), a claim a claim (理賠案件), only the service desk's cases are cases
    (案件): in the SMS, the e-mail and on the answer page, in each language."""
    from lifecrm.core.registries import ServedClosed
    from lifecrm.service.surveys import survey_send_for_served_closed

    w = service_world
    texts = []
    for channel in ("sms", "email"):
        customer = make_customer(branch=w.org.branch_a, preferred_language=language, preferred_channel=channel,
                                 email="zw@example.com")
        survey = survey_send_for_served_closed(ServedClosed(kind=kind, id=seq_id(), label="C-1", customer=customer,
                                                            staff=w.staff["callcentre"], unit=w.org.branch_a, at=AT))
        assert survey.status == "sent" and survey.language == language
        message = OutboxMessage.objects.get(key=f"survey-csat-{kind}-{survey.subject_id}")
        texts.append(message.subject + "\n" + message.body)
    said, unsaid = WORDING[kind, language]
    messages = "\n".join(texts)
    for words in unsaid:
        assert words not in LINK.sub("", messages)
    page = Client().get(f"/survey/{LINK.search(texts[0]).group(1)}/").content.decode()
    for words in said:
        assert words in messages + page


SUBJECT_IDS = itertools.count(1000)


def seq_id() -> int:
    return next(SUBJECT_IDS)
