"""Each role's home page: its work (or a manager's dashboard) under the search box, scoped, cut short with a link
to the full list, in a fixed number of queries."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from lifecrm.billing.models import Reminder, RenewalPriority
from lifecrm.billing.services import payment_record
from lifecrm.billing.tests.test_views_world import (  # noqa: F401  (the *_fixture names are fixtures)
    AS_OF,
    business_date_fixture,
    outbox_fixture,
    world_fixture,
)
from lifecrm.policies.models import Policy
from lifecrm.service import services
from lifecrm.service.models import Case
from lifecrm.workbench.work import HOME_LIMIT
from tests.factories import make_customer

pytestmark = pytest.mark.django_db
HOME = "/"


def open_case(world, customer, subject, *, due_in=None, who="callcentre", assignee=None):
    now = timezone.now()
    case = services.case_open(actor=world.staff[who].user, customer=customer, case_type="request", subject=subject,
                              channel="counter", opened_at=now - timedelta(hours=3))
    if assignee:
        services.case_assign(actor=world.staff["branch" if who != "branch_b" else who].user, case=case,
                             assignee=world.staff[assignee], at=now - timedelta(hours=2))
    # the SLA deadline is a cache of service.sla (each event refreshes it): set after the events, as the scenario needs
    Case.objects.filter(pk=case.pk).update(resolution_due=now + due_in if due_in is not None else None)
    return case


@pytest.fixture
def desk(world):
    """Cases in branch A (one overdue, one the call-centre agent's) and in branch B (overdue); counter payments."""
    a, b = world.policy_q.owner, world.policy_b.owner
    cases = {
        "late_a": open_case(world, a, "Late in Beijing", due_in=timedelta(hours=-1)),
        "mine": open_case(world, a, "The call centre's", due_in=timedelta(days=2), assignee="callcentre"),
        "late_b": open_case(world, b, "Late in Shanghai", due_in=timedelta(hours=-5), who="branch_b"),
    }
    for n, (policy, who) in enumerate(((world.policy_a, "counter"), (world.policy_q, "branch"),
                                       (world.policy_b, "branch_b"))):
        staff = world.staff[who]
        payment_record(actor=staff.user, policy_id=policy.pk, amount=Decimal("10.00"), method="cash",
                       received_on=AS_OF, natural_key=f"counter:{n}", as_of=AS_OF, booked_by=staff)
    return cases


def get(client, world, who, url=HOME):
    client.force_login(world.staff[who].user)
    response = client.get(url)
    assert response.status_code == 200
    return response


def work(response) -> list[str]:
    return [i.title for i in response.context["home"].work.items]


def test_the_call_centre_agent_gets_the_queues_calls_and_the_branchs_cases(client, world, desk):
    response = get(client, world, "callcentre")
    titles = work(response)
    # The earliest deadline first: the call the ladder scheduled in October, then the overdue case, then the one due.
    assert titles == [f"Renewal call · {world.policy_q.number}", f"{desk['late_a'].number} · Late in Beijing",
                      f"{desk['mine'].number} · The call centre's"]
    assert not any("Shanghai" in t or world.policy_b.number in t for t in titles)
    html = response.content.decode()
    assert 'data-testid="home-work"' in html and "overdue" in html and reverse("workbench:work") in html
    assert reverse("billing:task-outcome", args=[
        Reminder.objects.get(due_item__policy=world.policy_q, status="task_open").pk]) in html
    assert response.context["home"].receipts is None and not response.context["home"].figures


def test_the_agent_gets_their_renewals_policies_in_grace_and_customers_at_risk(client, world, desk):
    customer = make_customer(branch=world.org.team_a, agent=world.staff["agent"], name="赵六")
    risky = Policy.objects.create(**{f.name: getattr(world.policy_a, f.name) for f in Policy._meta.concrete_fields
                                     if f.name not in ("id", "number", "owner", "insured", "payer", "status")},
                                  number="RISK0001", owner=customer, insured=customer, payer=customer,
                                  status="in_force")
    RenewalPriority.objects.create(policy=risky, as_of=AS_OF, lapse_risk=0.7, value=Decimal("50000"), priority=35000)
    titles = work(get(client, world, "agent"))
    assert set(titles) == {f"Renewal call · {world.policy_a.number}", f"In grace · {world.policy_a.number}",
                           "At risk · RISK0001"}
    assert work(get(client, world, "agent_other")) == []


def test_the_counter_clerk_gets_the_branchs_new_cases_and_the_units_receipts_of_the_day(client, world, desk):
    response = get(client, world, "counter")  # the clerk works in team A
    assert work(response) == []  # team A's customers have no case; branch A's policy_q owner sits in branch A
    receipts = response.context["home"].receipts
    assert [p.policy_id for p in receipts.payments] == [world.policy_a.pk] and receipts.count == 1
    assert 'data-testid="home-receipts"' in response.content.decode()
    open_case(world, world.policy_a.owner, "At the counter in team A", due_in=timedelta(hours=4), who="counter")
    assert work(get(client, world, "counter"))[0].endswith("At the counter in team A")


def test_the_branch_manager_gets_the_branch_dashboard_and_its_overdue_work_never_another_branchs(client, world,
                                                                                                 desk):
    response = get(client, world, "branch")
    [row] = response.context["home"].figures
    assert (row.unit, row.open_cases, row.tasks_open, row.in_grace, row.receipts) == (
        world.org.branch_a, 2, 2, 2, 2)
    assert row.overdue == 1 + sum(1 for r in Reminder.objects.filter(due_item__policy__branch_path__startswith=(
        world.org.branch_a.path), status="task_open") if r.scheduled_for < AS_OF)
    assert response.context["home"].overdue_only
    titles = work(response)
    assert f"{desk['late_a'].number} · Late in Beijing" in titles
    assert "The call centre's" not in " ".join(titles)  # not overdue
    assert not any("Shanghai" in t or world.policy_b.number in t for t in titles)
    other = get(client, world, "branch_b")
    [row_b] = other.context["home"].figures
    assert (row_b.unit, row_b.open_cases, row_b.receipts) == (world.org.branch_b, 1, 1)
    assert not any("Beijing" in t or world.policy_a.number in t or world.policy_q.number in t for t in work(other))
    assert 'data-testid="branch-dashboard"' in other.content.decode()


def test_head_office_gets_the_company_by_branch(client, world, desk):
    response = get(client, world, "hq")
    home = response.context["home"]
    assert home.work is None
    rows = {r.unit: r for r in home.figures}
    assert set(rows) == {world.org.branch_a, world.org.branch_b}
    assert (rows[world.org.branch_a].open_cases, rows[world.org.branch_b].open_cases) == (2, 1)
    assert home.totals.open_cases == 3 and home.totals.receipts == 3 and home.totals.tasks_open == 3
    html = response.content.decode()
    assert 'data-testid="company-dashboard"' in html and "Shanghai branch" in html and "Beijing branch" in html


def test_a_long_list_is_cut_with_a_link_to_the_full_list(client, world, desk):
    for i in range(HOME_LIMIT + 3):
        open_case(world, world.policy_q.owner, f"More {i:02d}", due_in=timedelta(days=3, hours=i))
    home = get(client, world, "callcentre").context["home"]
    assert len(home.work.items) == HOME_LIMIT and home.work.total == HOME_LIMIT + 3 + 3 and home.work.cut
    full = get(client, world, "callcentre", reverse("workbench:work"))
    assert len(full.context["page"].items) == HOME_LIMIT + 6 and not full.context["page"].cut
    overdue = get(client, world, "branch", reverse("workbench:work") + "?overdue=1").context["page"]
    assert overdue.items and all(i.overdue for i in overdue.items)


def test_the_receipts_of_the_day_page(client, world, desk):
    response = get(client, world, "branch", reverse("workbench:day-receipts"))
    assert response.context["receipts"].count == 2  # branch A's staff took two (the clerk's in team A and the manager's)


def more_work(world, n: int) -> None:
    """More overdue cases in both branches, and more receipts at the team-A counter, than a home page lists."""
    for i in range(n):
        open_case(world, world.policy_q.owner, f"More {n}-{i:02d}", due_in=timedelta(hours=-i - 1))
        open_case(world, world.policy_b.owner, f"More B {n}-{i:02d}", due_in=timedelta(hours=-i - 1), who="branch_b")
        staff = world.staff["counter"]
        payment_record(actor=staff.user, policy_id=world.policy_a.pk, amount=Decimal("1.00"), method="cash",
                       received_on=AS_OF, natural_key=f"more:{n}:{i}", as_of=AS_OF, booked_by=staff)


# The session, the user, the staff record, the search examples; each work source's list (and its count when the
# list is cut; the care tasks' for those who do them; servicing requests for who works or checks them, claims for
# who handles them); the receipts (and their count); a manager's figures: four, and HQ's branches.
@pytest.mark.parametrize(("who", "queries"), [("callcentre", 9), ("agent", 10), ("counter", 9), ("branch", 14),
                                               ("hq", 10)])
def test_each_home_page_runs_a_fixed_number_of_queries(client, world, desk, who, queries,
                                                       django_assert_num_queries):
    client.force_login(world.staff[who].user)
    more_work(world, HOME_LIMIT + 1)
    with django_assert_num_queries(queries):
        assert client.get(HOME).status_code == 200
    more_work(world, 2 * HOME_LIMIT)
    with django_assert_num_queries(queries):  # twice the work: the same queries
        assert client.get(HOME).status_code == 200
