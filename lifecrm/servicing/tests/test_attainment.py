"""Time-limit attainment by branch: each legal clock met, missed, or still open past its deadline, counted on the
day each clock stops (the day before, of and after its deadline); scoped to the reader; the page in three
languages with its chart."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from lifecrm.org.selectors import data_scope_for_user
from lifecrm.servicing import selectors, services
from lifecrm.servicing.models import ServiceRequest
from lifecrm.servicing.rules import Clock, share_percent
from lifecrm.servicing.tests.conftest import ACCOUNT, AS_OF, large_policy
from lifecrm.servicing.tests.test_pages import client_for, pinned  # noqa: F401  (a fixture)
from lifecrm.servicing.tests.test_services import complete, create

pytestmark = pytest.mark.django_db
RECEIVED = date(2025, 9, 22)  # a Monday: accept by Wednesday 24th, ask for missing items by Monday 29th


def clocks(world, who="branch", as_of=AS_OF) -> dict:
    [row] = [r for r in selectors.attainment_by_branch(scope=data_scope_for_user(world.staff[who].user),
                                                       since=AS_OF - timedelta(days=89), as_of=as_of)
             if r.unit == world.org.branch_a]
    return {c.clock: (c.met, c.breached, c.overdue) for c in row.clocks} | {"requests": row.requests}


def test_share_percent_rounds_half_up():
    assert share_percent(1, 8) == 13 and share_percent(0, 3) == 0 and share_percent(2, 3) == 67
    assert share_percent(0, 0) is None


@pytest.mark.parametrize(("accepted", "expected"), [
    (date(2025, 9, 23), (1, 0, 0)),  # the day before the deadline
    (date(2025, 9, 24), (1, 0, 0)),  # the day of
    (date(2025, 9, 25), (0, 1, 0)),  # the day after
])
def test_the_accept_clock_by_the_day_it_stopped(world, accepted, expected):
    request = create(world, on=RECEIVED)
    assert request.accept_due == date(2025, 9, 24)
    services.request_accept(actor=world.staff["counter"], request=request, on=accepted, as_of=accepted)
    assert clocks(world)[Clock.ACCEPT.value] == expected


def test_an_open_request_past_its_deadline_is_overdue_not_yet_missed(world):
    create(world, on=RECEIVED)
    assert clocks(world, as_of=date(2025, 9, 24))[Clock.ACCEPT.value] == (0, 0, 0)  # still running
    assert clocks(world, as_of=date(2025, 9, 25))[Clock.ACCEPT.value] == (0, 0, 1)
    figures = clocks(world, as_of=date(2025, 9, 30))
    assert figures[Clock.MISSING_ITEMS.value] == (0, 0, 1) and figures[Clock.COMPLETE.value] == (0, 0, 0)


def test_the_missing_items_notice_and_the_completion_and_the_surrender_payment(world):
    request = services.request_accept(actor=world.staff["counter"], request=create(world, on=RECEIVED),
                                      on=RECEIVED, as_of=RECEIVED)
    services.request_missing_notice(actor=world.staff["counter"], request=request, on=date(2025, 9, 30),
                                    as_of=date(2025, 9, 30))  # the day after the 29th
    surrender = complete(world, create(world, kind="surrender", on=RECEIVED, policy=large_policy(world), payload=ACCOUNT), RECEIVED)
    surrender = services.request_approve(actor=world.staff["branch"], request=surrender, on=RECEIVED,
                                         as_of=RECEIVED)
    services.request_execute(actor=world.staff["counter"], request=surrender, as_of=AS_OF)
    figures = clocks(world)
    assert figures["requests"] == 2
    assert figures[Clock.MISSING_ITEMS.value] == (1, 1, 0)  # the surrender: every document in at once
    assert figures[Clock.COMPLETE.value] == (1, 0, 0) and figures[Clock.SURRENDER_PAYMENT.value] == (1, 0, 0)


def test_scoped_to_the_reader(world):
    create(world, on=RECEIVED)
    assert clocks(world, who="hq")["requests"] == 1
    [own] = selectors.attainment_by_branch(scope=data_scope_for_user(world.staff["branch_b"].user),
                                           since=RECEIVED, as_of=AS_OF)
    assert own.unit == world.org.branch_b and own.requests == 0
    [team] = selectors.attainment_by_branch(scope=data_scope_for_user(world.staff["counter"].user),
                                            since=RECEIVED, as_of=AS_OF)
    assert team.requests == 1


def test_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for _n in range(3):
        ServiceRequest.objects.filter(pk=create(world, on=RECEIVED).pk).update(status="cancelled")
    scope = data_scope_for_user(world.staff["hq"].user)
    with django_assert_max_num_queries(3):  # the branches, then one count per branch (two)
        selectors.attainment_by_branch(scope=scope, since=RECEIVED, as_of=AS_OF)


@pytest.mark.parametrize(("language", "title"), [("zh-hant", "保全時效"), ("zh-hans", "保全时效"),
                                                 ("en", "Servicing time limits")])
def test_the_page_in_three_languages_with_its_chart(world, pinned, language, title):  # noqa: F811
    create(world, on=RECEIVED)
    page = client_for(world.staff["branch"], language).get(reverse("servicing:attainment"))
    body = page.content.decode()
    assert page.status_code == 200 and title in body
    assert 'id="servicing-attainment-chart"' in body and 'id="servicing-attainment-data"' in body
    assert f'data-testid="attainment-{world.org.branch_a.pk}-{Clock.ACCEPT.value}"' in body
    assert client_for(world.staff["agent"], language).get(reverse("servicing:attainment")).status_code == 403
