"""Concurrent intake (threads with their own connections, PostgreSQL): cases routed at the same moment never overfill
a handler, because routing locks the candidates' queue memberships before it reads their loads."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import Sum

from lifecrm.billing.tests.test_concurrent_bookings import at_once
from lifecrm.service import services
from lifecrm.service.models import Case, DefaultQueue, Queue, QueueMember
from lifecrm.service.rules import OPEN_STATUSES
from tests.factories import make_customer, make_org, make_staff

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _intake(actor, customer, effort):
    return lambda: services.case_open(actor=actor, customer=customer, case_type="inquiry", subject="At once",
                                      channel="call", opened_at=AT, effort=effort)


def _load(staff) -> int:
    return Case.objects.filter(assignee=staff, status__in=[s.value for s in OPEN_STATUSES]).aggregate(
        s=Sum("effort"))["s"] or 0


@pytest.mark.django_db(transaction=True)
def test_cases_routed_at_once_never_overfill_a_handler():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite takes one writer at a time)")
    org = make_org()
    intake = make_staff("hq", org.hq)
    handlers = [make_staff("callcentre", org.branch_a) for _ in range(2)]
    queue = Queue.objects.create(code="general", name="general", name_en="general", org_unit=org.branch_a)
    other = Queue.objects.create(code="other", name="other", name_en="other", org_unit=org.branch_a)
    DefaultQueue.objects.create(jurisdiction=None, queue=queue)
    for staff in handlers:  # room for one case of effort 3 each; the first also works another queue
        QueueMember.objects.create(queue=queue, staff=staff, capacity=4)
    QueueMember.objects.create(queue=other, staff=handlers[0], capacity=4)
    customers = [make_customer(branch=org.team_a) for _ in range(4)]

    results = at_once(*(_intake(intake.user, c, effort=3) for c in customers))
    assert all(isinstance(r, Case) for r in results), results
    cases = Case.objects.filter(pk__in=[r.pk for r in results])
    assert sorted(c.assignee_id for c in cases if c.assignee_id) == sorted(s.pk for s in handlers)
    assert sum(c.assignee_id is None for c in cases) == 2  # waiting in the queue
    assert all(_load(s) == 3 <= 4 for s in handlers)  # nobody over their capacity
