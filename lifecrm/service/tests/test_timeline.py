"""The customer timeline: interactions and cases beside policy and billing events, filtered by kind, a page at a
time, in a fixed number of queries however long the customer's history."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lifecrm.core.registries import timeline_kinds, timeline_sources
from lifecrm.org.selectors import data_scope_for_user
from lifecrm.policies.models import PolicyEvent
from lifecrm.service import services
from lifecrm.service.models import Case, CaseEvent, Interaction
from tests.factories import make_customer, make_policy

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
START = datetime(2020, 1, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _english_pages(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "en"


def test_every_source_has_a_kind_to_filter_by():
    assert {"policy", "reminder", "interaction", "case"} <= set(timeline_kinds())
    assert set(timeline_sources("case")) == {"service.cases"}
    assert set(timeline_sources("interaction")) == {"service.interactions"}


def test_a_case_is_on_the_timeline_when_opened_resolved_and_closed_not_for_its_internal_work(service_world):
    w = service_world
    actor = w.staff["callcentre"].user
    case = services.case_open(actor=actor, customer=w.customer_a, case_type="inquiry", subject="Premium question",
                              channel="call", opened_at=AT)
    services.case_event_append(actor=actor, case=case, kind="note", at=AT + timedelta(minutes=5), note="internal")
    services.case_event_append(actor=actor, case=case, kind="resolved", at=AT + timedelta(hours=1),
                               note="Explained the grace period")
    services.case_event_append(actor=actor, case=case, kind="closed", at=AT + timedelta(days=1))
    source = timeline_sources()["service.cases"]
    scope = data_scope_for_user(actor)
    entries = source(scope=scope, customer_id=w.customer_a.pk, as_of=(AT + timedelta(days=1)).date())
    assert [e.title for e in entries] == [f"Case {case.number} (Inquiry) {what}: Premium question"
                                          for what in ("closed", "resolved", "opened")]
    assert entries[1].detail == "Explained the grace period" and {e.kind for e in entries} == {"case"}
    # up to the business date only, and not for another branch
    assert len(source(scope=scope, customer_id=w.customer_a.pk, as_of=AT.date())) == 2
    assert source(scope=data_scope_for_user(w.staff["branch_b"].user), customer_id=w.customer_a.pk,
                  as_of=AT.date()) == []


# --- a long history -------------------------------------------------------------------------------------------

def _history(w, customer, per_source: int) -> None:
    """`per_source` policy events, interactions and case events (of `per_source` cases, opened) for the customer,
    an hour apart, all in the past."""
    policy = make_policy(owner=customer, agent=w.staff["agent"], branch=w.org.team_a, as_of=date(2020, 1, 1),
                         issue_date=date(2020, 1, 1))
    now = timezone.now()
    PolicyEvent.objects.bulk_create(
        PolicyEvent(policy=policy, seq=10 + n, kind="contract_changed", effective_date=(START + timedelta(hours=n)).date(),
                    recorded_at=now, reason="sum assured increase") for n in range(per_source - 2))  # + proposed, issued
    Interaction.objects.bulk_create(
        Interaction(customer=customer, channel="call", direction="in", subject=f"call {n:03d}", outcome="answered",
                    occurred_at=START + timedelta(hours=n, minutes=20), recorded_at=now,
                    branch_path=customer.branch_path, agent=customer.servicing_agent) for n in range(per_source))
    cases = Case.objects.bulk_create(
        Case(number=f"T{customer.pk:04d}{n:06d}", case_type_id="inquiry", priority=3, customer=customer,
             jurisdiction_id=customer.jurisdiction_id, channel="call", language="en", subject=f"case {n:03d}",
             opened_at=START + timedelta(hours=n, minutes=40), branch_id=customer.branch_id,
             branch_path=customer.branch_path, agent=customer.servicing_agent) for n in range(per_source))
    CaseEvent.objects.bulk_create(CaseEvent(case=case, seq=1, kind="opened", at=case.opened_at) for case in cases)


def _queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


@pytest.mark.parametrize("role", ["hq", "callcentre", "agent"])
def test_a_timeline_of_2000_entries_costs_the_queries_of_one_of_20_a_kind(client, service_world, role,
                                                                          django_assert_num_queries,
                                                                          django_assert_max_num_queries):
    """Each source is asked for the rows one page needs and counted when it has more: the first page of a history
    of 2,000 entries costs what that of 20 entries of each kind (a full page each, so counted too) does, of every
    kind or of one; a further page no more (a source that gives fewer rows than asked needs no count)."""
    w = service_world
    short = make_customer(branch=w.org.team_a, agent=w.staff["agent"], name="短史")
    long = make_customer(branch=w.org.team_a, agent=w.staff["agent"], name="長史")
    _history(w, short, 20)
    _history(w, long, 667)  # 2,001 entries
    client.force_login(w.staff[role].user)
    short_url = reverse("workbench:customer-timeline", args=[short.pk])
    long_url = reverse("workbench:customer-timeline", args=[long.pk])
    for kind in ("", "?kind=interaction", "?kind=case"):
        expected, _ = _queries(client, short_url + kind)
        with django_assert_num_queries(expected, info=kind):
            _, body = _queries(client, long_url + kind)
        assert body.count('class="wb-timeline-item') == 20, kind
        assert expected <= 4 + 2 * len(timeline_sources(kind.partition("=")[2] or None))  # login, staff, customer
        for page in ("&page=2", "&page=50", "&page=101"):
            with django_assert_max_num_queries(expected, info=kind + page):
                _queries(client, long_url + (kind or "?") + page)
        # a stale link past the end is answered with the last page: one more fetch of each source
        with django_assert_max_num_queries(expected + len(timeline_sources(kind.partition("=")[2] or None))):
            _queries(client, long_url + (kind or "?") + "&page=999")
    assert "showing 1–20 of 2,001" in _queries(client, long_url)[1]
    assert "showing 2,001–2,001 of 2,001" in _queries(client, long_url + "?page=101")[1]
    # the 360 page itself too (once first: the process caches its reference data)
    _queries(client, reverse("workbench:customer", args=[short.pk]))
    expected, _ = _queries(client, reverse("workbench:customer", args=[short.pk]))
    with django_assert_num_queries(expected):
        client.get(reverse("workbench:customer", args=[long.pk]))


def test_the_kind_filter_shows_one_kind_with_its_true_total_and_keeps_it_from_page_to_page(client, service_world):
    w = service_world
    customer = make_customer(branch=w.org.team_a, agent=w.staff["agent"], name="多史")
    _history(w, customer, 45)
    client.force_login(w.staff["callcentre"].user)
    url = reverse("workbench:customer-timeline", args=[customer.pk])
    _, body = _queries(client, url + "?kind=interaction&page=2")
    assert body.count('class="wb-timeline-item wb-kind-interaction"') == 20
    assert body.count('class="wb-timeline-item') == 20 and "showing 21–40 of 45" in body
    assert f'href="{url}?kind=interaction&amp;page=3"' in body and 'aria-current="true">Interactions<' in body
    _, everything = _queries(client, url + "?kind=nonsense")  # an unknown kind is every kind
    assert "showing 1–20 of 135" in everything and 'aria-current="true">Everything<' in everything
    _, cases = _queries(client, url + "?kind=case&page=3")
    assert cases.count('wb-kind-case"') == 5 and "case 005" not in cases and "case 004" in cases


def test_merged_pages_are_newest_first_across_sources(client, service_world):
    w = service_world
    customer = make_customer(branch=w.org.team_a, agent=w.staff["agent"], name="合史")
    _history(w, customer, 10)
    client.force_login(w.staff["hq"].user)
    _, body = _queries(client, reverse("workbench:customer-timeline", args=[customer.pk]))
    first = [body.index(f"{text}") for text in ("case 009", "call 009", "case 008", "call 008")]
    assert first == sorted(first)
