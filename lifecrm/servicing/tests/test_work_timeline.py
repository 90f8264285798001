"""Servicing on each role's home page (the work registry) and on the customer timeline."""
from __future__ import annotations

from datetime import UTC, date, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecrm.core.registries import timeline_counts, timeline_sources, work_counts, work_sources
from lifecrm.org.selectors import data_scope_for_user
from lifecrm.servicing import services
from lifecrm.servicing.tests.conftest import ACCOUNT, AS_OF, large_policy

SOURCE = "servicing.requests"
NOW = datetime(2025, 9, 26, 9, 0, tzinfo=UTC)


def work(world, who, *, overdue=False):
    staff = world.staff[who]
    scope = data_scope_for_user(staff.user)
    items = work_sources()[SOURCE](scope=scope, staff=staff, as_of=AS_OF, at=NOW, limit=20, overdue=overdue)
    total = work_counts()[SOURCE](scope=scope, staff=staff, as_of=AS_OF, at=NOW, overdue=overdue)
    assert total == len(items)
    return items


def test_requests_are_the_work_of_who_processes_and_who_checks(world):
    late = services.request_create(actor=world.staff["counter"], policy=world.policy, request_type="contact_change",
                                   channel="counter", received_on=date(2025, 9, 22), as_of=AS_OF,
                                   payload={"address": "上海"})
    checked = services.request_create(actor=world.staff["branch"], policy=large_policy(world),
                                      request_type="surrender", channel="counter", received_on=AS_OF, as_of=AS_OF,
                                      payload=ACCOUNT)
    checked = services.request_accept(actor=world.staff["branch"], request=checked, on=AS_OF, as_of=AS_OF)
    for document in checked.documents.all():
        checked = services.request_document_receive(actor=world.staff["branch"], request=checked, code=document.code,
                                                    received_on=AS_OF, as_of=AS_OF)
    assert checked.status == "pending_approval"
    # The counter processes; the request waiting for a checker is not its work.
    assert [i.title.split(" · ")[0] for i in work(world, "counter")] == [late.number]
    assert work(world, "counter")[0].deadline == date(2025, 9, 24)
    assert [i.title.split(" · ")[0] for i in work(world, "counter", overdue=True)] == [late.number]
    # HQ processes and checks both; the maker (the branch manager) is not offered their own request to check.
    assert {i.title.split(" · ")[0] for i in work(world, "hq")} == {late.number, checked.number}
    assert [i.title.split(" · ")[0] for i in work(world, "branch")] == [late.number]
    # Roles that neither process nor check have no servicing work (and ask no query).
    for who in ("callcentre", "agent", "claims"):
        with CaptureQueriesContext(connection) as queries:
            assert work(world, who) == []
        assert len(queries) <= 1  # the staff record's scope at most
    assert work(world, "branch_b") == []


def test_the_customer_timeline(world):
    request = services.request_create(actor=world.staff["counter"], policy=world.policy,
                                      request_type="contact_change", channel="counter", received_on=AS_OF,
                                      as_of=AS_OF, payload={"address": "上海"})
    services.request_accept(actor=world.staff["counter"], request=request, on=AS_OF, as_of=AS_OF)
    scope = data_scope_for_user(world.staff["callcentre"].user)
    entries = timeline_sources("servicing")[SOURCE](scope=scope, customer_id=world.owner.pk, as_of=AS_OF)
    assert [e.kind for e in entries] == ["servicing", "servicing"]
    assert all(request.number in e.title for e in entries)
    assert timeline_counts("servicing")[SOURCE](scope=scope, customer_id=world.owner.pk, as_of=AS_OF) == 2
    outside = data_scope_for_user(world.staff["branch_b"].user)
    assert timeline_sources("servicing")[SOURCE](scope=outside, customer_id=world.owner.pk, as_of=AS_OF) == []
