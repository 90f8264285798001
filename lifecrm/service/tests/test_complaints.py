"""Complaints by the regulation: each limit's boundaries (the day before, of and after) for CN, HK and TW, the
extension's approval, the handler rule, the decision letter and its delivery."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lifecrm.core.rules import Period, Unit
from lifecrm.notifications.models import Letter
from lifecrm.notifications.services import outbox_dispatch
from lifecrm.notifications.sms import read_outbox
from lifecrm.org.access import AccessDenied
from lifecrm.service import complaint_rules as rules
from lifecrm.service import complaints, services
from lifecrm.service.models import CaseEvent, Complaint
from lifecrm.service.rules import TransitionRefused
from tests.factories import make_customer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


JURISDICTIONS = ("CN", "HK", "TW")


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.LIFECRM_SMS_OUTBOX = str(tmp_path / "sms")
    settings.LIFECRM_LETTER_OUTBOX = str(tmp_path / "letters")
    return tmp_path


def noon(day: date) -> datetime:
    """Noon where the complaint was made (CN, HK and TW are all UTC+8)."""
    return datetime(day.year, day.month, day.day, 4, tzinfo=UTC)


def open_complaint(w, *, jurisdiction: str = "CN", received: date = date(2026, 3, 6), about_staff=None,
                   **customer_fields) -> Complaint:
    customer = w.customer_a if jurisdiction == "CN" and not customer_fields else make_customer(
        branch=w.org.team_a, agent=w.staff["agent"], jurisdiction_id=jurisdiction, **customer_fields)
    case = services.case_open(actor=w.staff["callcentre"].user, customer=customer, case_type="complaint",
                              category="complaint_sales", subject="Mis-selling", channel="call",
                              opened_at=noon(received), about_staff=about_staff)
    return case.complaint


def decide(w, complaint: Complaint, day: date, who: str = "callcentre"):
    return complaints.complaint_decide(actor=w.staff[who].user, complaint=complaint, facts="The facts.",
                                       decision="Upheld: the premium is refunded.", basis="Policy terms, clause 5.",
                                       at=noon(day))


def deliver(w, complaint: Complaint, day: date):
    return complaints.complaint_delivery_record(actor=w.staff["callcentre"].user, complaint=complaint,
                                                channel="post", delivered_at=noon(day), reference="EMS1234567",
                                                at=noon(day))


def extend(w, complaint: Complaint, day: date, days: int = 30) -> Complaint:
    complaints.complaint_extension_request(actor=w.staff["callcentre"].user, complaint=complaint, days=days,
                                           reason="Medical records are awaited", at=noon(day))
    return complaints.complaint_extension_approve(actor=w.staff["branch"].user, complaint=complaint, at=noon(day))


# The decision: 15 days, 30 when complex, 60 with the extension; the insurer's limits are calendar days, never moved
# past a rest day (received Friday 6 March 2026: day 15 is Saturday 21 March, day 30 Sunday 5 April, day 60 Tuesday
# 5 May, inside CN's Labour Day holidays).
@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
@pytest.mark.parametrize(("complexity", "due"), [("plain", date(2026, 3, 21)), ("complex", date(2026, 4, 5)),
                                                 ("extended", date(2026, 5, 5))])
def test_the_decisions_deadline_the_day_before_of_and_after(service_world, jurisdiction, complexity, due):
    w = service_world
    for offset, on_time in ((-1, True), (0, True), (1, False)):
        complaint = open_complaint(w, jurisdiction=jurisdiction)
        assert complaint.received_on == date(2026, 3, 6) and complaint.decision_due == date(2026, 3, 21)
        if complexity != "plain":
            complaint = complaints.complaint_mark_complex(actor=w.staff["callcentre"].user, complaint=complaint,
                                                          reason="Three policies involved", at=noon(date(2026, 3, 9)))
        if complexity == "extended":
            complaint = extend(w, complaint, date(2026, 4, 1))
        assert complaint.decision_due == due
        decision = decide(w, complaint, due + timedelta(days=offset))
        assert (decision.due, decision.on_time) == (due, on_time), offset
        assert CaseEvent.objects.get(case=complaint.case, kind="resolved").data["on_time"] is on_time


# The review request is the customer's: its last day moves past rest days and holidays (HK: 1 July is a holiday,
# Saturday a working day; CN and TW rest on Saturday and Sunday).
@pytest.mark.parametrize(("jurisdiction", "delivered", "last_day"), [
    ("CN", date(2026, 6, 1), date(2026, 7, 1)),
    ("TW", date(2026, 6, 1), date(2026, 7, 1)),
    ("HK", date(2026, 6, 1), date(2026, 7, 2)),  # day 30 is HKSAR Establishment Day
    ("CN", date(2026, 6, 4), date(2026, 7, 6)),  # day 30 is a Saturday
    ("TW", date(2026, 6, 4), date(2026, 7, 6)),
    ("HK", date(2026, 6, 4), date(2026, 7, 4)),  # a Saturday, a working day in HK
    ("HK", date(2026, 6, 5), date(2026, 7, 6)),  # day 30 is a Sunday
])
def test_the_review_request_the_day_before_of_and_after_its_last_day(service_world, jurisdiction, delivered,
                                                                     last_day):
    w = service_world
    for offset, accepted in ((-1, True), (0, True), (1, False)):
        complaint = open_complaint(w, jurisdiction=jurisdiction, received=delivered - timedelta(days=10))
        decide(w, complaint, delivered)
        deliver(w, complaint, delivered)
        complaint.refresh_from_db()
        assert complaint.stage == "delivered" and complaint.review_last_day == last_day
        asked = noon(last_day + timedelta(days=offset))
        if not accepted:
            with pytest.raises(services.ServiceRefused, match="too late"):
                complaints.complaint_review_request(actor=w.staff["callcentre"].user, complaint=complaint,
                                                    requested_at=asked, note="", at=asked)
            complaint.refresh_from_db()
            assert complaint.stage == "delivered" and complaint.review_requested_on is None
            continue
        complaint = complaints.complaint_review_request(actor=w.staff["callcentre"].user, complaint=complaint,
                                                        requested_at=asked, note="Disagrees", at=asked)
        assert complaint.stage == "review" and complaint.review_due == asked.date() + timedelta(days=30)
        assert complaint.case.status == "open"


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_the_reviews_decision_within_30_days(service_world, jurisdiction):
    w = service_world
    for offset, on_time in ((29, True), (30, True), (31, False)):
        complaint = open_complaint(w, jurisdiction=jurisdiction, received=date(2026, 6, 1))
        decide(w, complaint, date(2026, 6, 10))
        deliver(w, complaint, date(2026, 6, 11))
        asked = noon(date(2026, 6, 20))  # a Saturday: the insurer's 30 days run on calendar days, to 20 July
        complaints.complaint_review_request(actor=w.staff["callcentre"].user, complaint=complaint,
                                            requested_at=asked, note="", at=asked)
        review = decide(w, complaint, date(2026, 6, 20) + timedelta(days=offset), who="claims")
        assert (review.kind, review.due, review.on_time) == ("review", date(2026, 7, 20), on_time)
        deliver(w, complaint, date(2026, 7, 25))
        complaint.refresh_from_db()
        assert complaint.stage == "closed" and complaint.case.status == "closed"


def test_the_extension_needs_another_managers_approval_and_tells_the_customer(service_world, outbox):
    w = service_world
    complaint = open_complaint(w)
    with pytest.raises(services.ServiceRefused, match="mark it complex first"):
        complaints.complaint_extension_request(actor=w.staff["callcentre"].user, complaint=complaint, days=10,
                                               reason="x", at=noon(date(2026, 3, 9)))
    complaints.complaint_mark_complex(actor=w.staff["callcentre"].user, complaint=complaint, reason="Complex",
                                      at=noon(date(2026, 3, 9)))
    for days in (0, 31):
        with pytest.raises(services.ServiceRefused, match="1 to 30 days"):
            complaints.complaint_extension_request(actor=w.staff["callcentre"].user, complaint=complaint,
                                                   days=days, reason="x", at=noon(date(2026, 3, 9)))
    # asked on the deadline's last day: accepted; the day after: too late
    with pytest.raises(services.ServiceRefused, match="before the deadline passes"):
        complaints.complaint_extension_request(actor=w.staff["callcentre"].user, complaint=complaint, days=10,
                                               reason="x", at=noon(date(2026, 4, 6)))
    complaints.complaint_extension_request(actor=w.staff["branch"].user, complaint=complaint, days=20,
                                           reason="Awaiting the hospital", at=noon(date(2026, 4, 5)))
    with pytest.raises(AccessDenied):  # a handler without the supervision grant
        complaints.complaint_extension_approve(actor=w.staff["callcentre"].user, complaint=complaint,
                                               at=noon(date(2026, 4, 5)))
    with pytest.raises(services.ServiceRefused, match="another manager"):
        complaints.complaint_extension_approve(actor=w.staff["branch"].user, complaint=complaint,
                                               at=noon(date(2026, 4, 5)))
    complaint = complaints.complaint_extension_approve(actor=w.staff["hq"].user, complaint=complaint,
                                                       at=noon(date(2026, 4, 5)))
    assert complaint.decision_due == date(2026, 4, 25) and complaint.extension_days == 20
    event = CaseEvent.objects.get(case=complaint.case, kind="extended")
    assert event.data["requested_by"] == w.staff["branch"].pk and event.data["approved_by"] == w.staff["hq"].pk
    assert event.data["notice"]["channel"] == "sms"
    assert list(read_outbox(outbox / "sms")) == []  # recorded in the outbox: its dispatcher sends it
    assert outbox_dispatch(at=noon(date(2026, 4, 5))).sent == 1
    [sms] = read_outbox(outbox / "sms")
    assert complaint.case.number in sms["text"] and sms["message_id"] == event.data["notice"]["key"]
    with pytest.raises(services.ServiceRefused, match="only one extension"):
        complaints.complaint_extension_request(actor=w.staff["callcentre"].user, complaint=complaint, days=5,
                                               reason="x", at=noon(date(2026, 4, 6)))


def test_a_customer_without_a_mobile_phone_gets_the_extension_notice_by_letter(service_world):
    w = service_world
    complaint = open_complaint(w, jurisdiction="HK", preferred_language="zh-hant", preferred_channel="letter",
                               address="香港中環皇后大道中 1 號")
    complaints.complaint_mark_complex(actor=w.staff["callcentre"].user, complaint=complaint, reason="Complex",
                                      at=noon(date(2026, 3, 9)))
    complaint = extend(w, complaint, date(2026, 3, 10), days=15)
    letter = Letter.objects.get(key=f"complaint-{complaint.case.number}-extension")
    assert "處理期限延長通知" in letter.html and "15" in letter.html


def test_the_extension_never_goes_beyond_60_days():
    day = Period(1, Unit.DAYS)
    limits = rules.ComplaintLimits(Period(15, Unit.DAYS), Period(30, Unit.DAYS), Period(30, Unit.DAYS),
                                   Period(59, Unit.DAYS), day, day)
    received = date(2026, 3, 6)
    assert rules.check_extension(limits, received, is_complex=True, already_extended=False, days=29,
                                 requested_on=received) == received + timedelta(days=59)
    with pytest.raises(rules.LimitRefused) as refused:
        rules.check_extension(limits, received, is_complex=True, already_extended=False, days=30,
                              requested_on=received)
    assert refused.value.code == "maximum" and refused.value.last_day == received + timedelta(days=59)


def test_the_staff_member_complained_about_never_handles_the_complaint(service_world):
    w = service_world
    complaint = open_complaint(w, about_staff=w.staff["branch"])
    with pytest.raises(services.ServiceRefused, match="is about"):
        complaints.complaint_mark_complex(actor=w.staff["branch"].user, complaint=complaint, reason="x",
                                          at=noon(date(2026, 3, 9)))
    with pytest.raises(services.ServiceRefused, match="is about"):
        decide(w, complaint, date(2026, 3, 10), who="branch")
    with pytest.raises(services.ServiceRefused, match="never handled by the staff member it names"):
        services.case_assign(actor=w.staff["hq"].user, case=complaint.case, assignee=w.staff["branch"],
                             at=noon(date(2026, 3, 9)))
    complaints.complaint_mark_complex(actor=w.staff["callcentre"].user, complaint=complaint, reason="x",
                                      at=noon(date(2026, 3, 9)))
    complaints.complaint_extension_request(actor=w.staff["callcentre"].user, complaint=complaint, days=5,
                                           reason="x", at=noon(date(2026, 3, 9)))
    with pytest.raises(services.ServiceRefused, match="is about"):
        complaints.complaint_extension_approve(actor=w.staff["branch"].user, complaint=complaint,
                                               at=noon(date(2026, 3, 9)))


@pytest.mark.parametrize(("language", "title", "rights"), [
    ("en", "Our decision on your complaint", "ask us for a review within 30 days"),
    ("zh-hant", "投訴處理決定書", "30"),
    ("zh-hans", "投诉处理决定书", "30"),
])
def test_the_decision_letter_states_facts_decision_basis_and_rights(service_world, language, title, rights):
    w = service_world
    complaint = open_complaint(w, preferred_language=language, address="Somewhere 1")
    decision = decide(w, complaint, date(2026, 3, 12))
    assert decision.language == language and rights in decision.rights
    html = decision.letter.html
    for text in (title, "The facts.", "Upheld: the premium is refunded.", "Policy terms, clause 5.", decision.rights):
        assert text in html
    assert complaint.case.number in html


def test_a_delivery_needs_its_proof_and_nothing_is_half_written(service_world):
    w = service_world
    complaint = open_complaint(w)
    with pytest.raises(services.ServiceRefused, match="fill in all three"):
        complaints.complaint_decide(actor=w.staff["callcentre"].user, complaint=complaint, facts="x", decision=" ",
                                    basis="y", at=noon(date(2026, 3, 10)))
    assert not Letter.objects.exists() and complaint.case.events.count() == 1
    decide(w, complaint, date(2026, 3, 10))
    with pytest.raises(services.ServiceRefused, match="receipt's reference"):
        complaints.complaint_delivery_record(actor=w.staff["callcentre"].user, complaint=complaint, channel="post",
                                             delivered_at=noon(date(2026, 3, 11)), reference=" ",
                                             at=noon(date(2026, 3, 11)))
    with pytest.raises(services.ServiceRefused, match="before it was made"):
        complaints.complaint_delivery_record(actor=w.staff["callcentre"].user, complaint=complaint, channel="post",
                                             delivered_at=noon(date(2026, 3, 9)), reference="R1",
                                             at=noon(date(2026, 3, 11)))
    row = deliver(w, complaint, date(2026, 3, 11))
    assert (row.delivery_channel, row.delivery_reference) == ("post", "EMS1234567")
    assert CaseEvent.objects.filter(case=complaint.case, kind="responded").get().data["reference"] == "EMS1234567"


def test_a_complaint_cases_own_actions_follow_the_complaints_stage(service_world):
    """A complaint is resolved by its decision, reopened by a review request and closed by the review decision's
    delivery or once the review may no longer be asked for: the case's generic resolve, reopen and close are refused
    before (in the service, whoever calls it), so a close after the delivery never blocks a review request."""
    w = service_world
    actor = w.staff["callcentre"].user
    received = date(2026, 6, 1)
    complaint = open_complaint(w, received=received)

    def refused(kind: str, day: date, of: Complaint | None = None) -> bool:
        try:
            services.case_event_append(actor=actor, case=(of or complaint).case, kind=kind, at=noon(day))
        except (services.ServiceRefused, TransitionRefused):
            return True
        return False

    services.case_assign(actor=actor, case=complaint.case, assignee=w.staff["callcentre"], at=noon(received))
    assert refused("resolved", received)  # an open case may be resolved, an open complaint only by its decision
    decide(w, complaint, received + timedelta(days=5))
    assert refused("reopened", received + timedelta(days=5)) and refused("closed", received + timedelta(days=5))
    deliver(w, complaint, received + timedelta(days=6))
    complaint.refresh_from_db()
    last_day = complaint.review_last_day
    assert refused("closed", last_day)  # the customer may still ask for a review on its last day
    assert complaint.case.__class__.objects.get(pk=complaint.pk).status == "resolved"
    complaints.complaint_review_request(actor=actor, complaint=complaint, requested_at=noon(last_day), note="",
                                        at=noon(last_day))  # still possible: nothing closed the case
    complaint.refresh_from_db()
    assert complaint.stage == "review"

    late = open_complaint(w, received=received)
    decide(w, late, received + timedelta(days=5))
    deliver(w, late, received + timedelta(days=6))
    late.refresh_from_db()
    assert refused("closed", late.review_last_day, late)
    assert not refused("closed", late.review_last_day + timedelta(days=1), late)  # the review can no longer be asked for
    assert late.case.__class__.objects.get(pk=late.pk).status == "closed"
    assert set(CaseEvent.objects.filter(case=late.case).values_list("kind", flat=True)) >= {"resolved", "closed"}
    assert complaints.case_actions_allowed(late, as_of=late.review_last_day) == frozenset()
