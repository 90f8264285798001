"""Interactions and cases: what the services accept, refuse and record."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from lifecrm.core.models import AuditEvent
from lifecrm.core.registries import timeline_sources
from lifecrm.org.access import AccessDenied, NotInScope
from lifecrm.org.selectors import data_scope_for_user
from lifecrm.service import rules, services
from lifecrm.service.models import Case, CaseEvent
from lifecrm.service.rules import CaseEventKind, CaseStatus, TransitionRefused

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_a_logged_call_is_on_the_customers_timeline(service_world):
    w = service_world
    services.interaction_log(actor=w.staff["callcentre"].user, customer=w.customer_a, channel="call",
                             direction="in", subject="Asked about the premium due", outcome="answered",
                             occurred_at=AT, note="Explained the grace period")
    entries = timeline_sources()["service.interactions"](
        scope=data_scope_for_user(w.staff["callcentre"].user), customer_id=w.customer_a.pk, as_of=AT.date())
    assert [e.kind for e in entries] == ["interaction"]
    assert "Asked about the premium due" in entries[0].title
    assert AuditEvent.objects.filter(action="create", object_type="service.interaction").count() == 1


def test_another_branchs_customer_is_refused(service_world):
    w = service_world
    with pytest.raises(NotInScope):
        services.interaction_log(actor=w.staff["branch"].user, customer=w.customer_b, channel="call",
                                 direction="out", subject="x", outcome="answered", occurred_at=AT)


def test_a_contact_in_the_future_or_without_a_subject_is_refused(service_world):
    w = service_world
    for subject, at in (("  ", AT), ("ok", datetime.now(UTC) + timedelta(hours=1))):
        with pytest.raises(services.ServiceRefused):
            services.interaction_log(actor=w.staff["callcentre"].user, customer=w.customer_a, channel="call",
                                     direction="in", subject=subject, outcome="answered", occurred_at=at)


def test_a_case_is_numbered_logged_and_moves_through_its_statuses(service_world):
    w = service_world
    actor = w.staff["callcentre"].user
    case = services.case_open(actor=actor, customer=w.customer_a, case_type="inquiry", category="premium",
                              subject="Premium question", channel="call", opened_at=AT)
    assert case.number == f"IQ{case.pk:08d}" and case.status == "new" and case.priority == 3
    services.case_assign(actor=actor, case=case, assignee=w.staff["callcentre"], at=AT + timedelta(minutes=1))
    services.case_event_append(actor=actor, case=case, kind="waiting", at=AT + timedelta(minutes=2))
    services.case_event_append(actor=actor, case=case, kind="resumed", at=AT + timedelta(days=1))
    services.case_event_append(actor=actor, case=case, kind="resolved", at=AT + timedelta(days=1, hours=1))
    case.refresh_from_db()
    assert case.status == "resolved" and case.assignee == w.staff["callcentre"]
    assert list(CaseEvent.objects.filter(case=case).values_list("seq", "kind")) == [
        (1, "opened"), (2, "assigned"), (3, "waiting"), (4, "resumed"), (5, "resolved")]
    with pytest.raises(TransitionRefused):
        services.case_event_append(actor=actor, case=case, kind="resumed", at=AT + timedelta(days=2))


def test_a_complaint_is_never_handled_by_the_staff_member_it_names(service_world):
    w = service_world
    case = services.case_open(actor=w.staff["callcentre"].user, customer=w.customer_a, case_type="complaint",
                              category="complaint_sales", subject="Mis-selling", channel="call", opened_at=AT,
                              about_staff=w.staff["agent"])
    assert case.priority == 2
    with pytest.raises(services.ServiceRefused):
        services.case_assign(actor=w.staff["branch"].user, case=case, assignee=w.staff["agent"], at=AT)
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it too, whoever writes
        Case.objects.filter(pk=case.pk).update(assignee=w.staff["agent"])


def test_an_agent_opens_but_does_not_handle_cases(service_world):
    w = service_world
    case = services.case_open(actor=w.staff["agent"].user, customer=w.customer_a, case_type="request",
                              subject="New address", channel="agent_visit", opened_at=AT)
    with pytest.raises(AccessDenied):
        services.case_event_append(actor=w.staff["agent"].user, case=case, kind="resolved", at=AT)


@pytest.mark.parametrize(("current", "kind", "expected"), [
    (CaseStatus.NEW, CaseEventKind.ASSIGNED, CaseStatus.OPEN),
    (CaseStatus.NEW, CaseEventKind.NOTE, CaseStatus.NEW),
    (CaseStatus.OPEN, CaseEventKind.WAITING, CaseStatus.WAITING),
    (CaseStatus.RESOLVED, CaseEventKind.REOPENED, CaseStatus.OPEN),
    (CaseStatus.RESOLVED, CaseEventKind.CLOSED, CaseStatus.CLOSED),
])
def test_status_machine(current, kind, expected):
    assert rules.next_status(current, kind) == expected


@pytest.mark.parametrize(("current", "kind"), [
    (CaseStatus.CLOSED, CaseEventKind.NOTE), (CaseStatus.OPEN, CaseEventKind.CLOSED),
    (CaseStatus.OPEN, CaseEventKind.RESUMED), (CaseStatus.CANCELLED, CaseEventKind.REOPENED),
])
def test_status_machine_refusals(current, kind):
    with pytest.raises(TransitionRefused):
        rules.next_status(current, kind)
