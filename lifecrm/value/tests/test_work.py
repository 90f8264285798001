"""The value app's work source: an agent's customers at risk of lapsing, the next premium due first."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from lifecrm.billing.models import RenewalPriority
from lifecrm.core.registries import work_counts, work_sources
from lifecrm.org.selectors import data_scope_for_user
from lifecrm.policies.models import Policy
from lifecrm.value.rules import LAPSE_RISK_WATCH
from tests.factories import make_customer, make_org, make_policy, make_staff_per_role

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 12, 7)


def scored(policy, risk: float, *, paid_to: date, value: str = "10000", status: str | None = None):
    Policy.objects.filter(pk=policy.pk).update(paid_to_date=paid_to, **({"status": status} if status else {}))
    RenewalPriority.objects.create(policy=policy, as_of=AS_OF, lapse_risk=risk, value=Decimal(value),
                                   priority=risk * float(value))
    return policy


@pytest.fixture
def book(db):
    org = make_org()
    staff = make_staff_per_role(org)
    owner = make_customer(branch=org.team_a, agent=staff["agent"], name="王小明")
    other = make_customer(branch=org.team_a, agent=staff["agent_other"])

    def policy(customer, agent):
        return make_policy(owner=customer, agent=agent, branch=org.team_a)

    policies = {
        "high": scored(policy(owner, staff["agent"]), 0.62, paid_to=date(2026, 12, 31)),
        "watch": scored(policy(owner, staff["agent"]), LAPSE_RISK_WATCH, paid_to=date(2026, 12, 20)),
        "low": scored(policy(owner, staff["agent"]), LAPSE_RISK_WATCH - 0.01, paid_to=date(2026, 12, 10)),
        "grace": scored(policy(owner, staff["agent"]), 0.9, paid_to=date(2026, 11, 30), status="grace"),
        "late": scored(policy(owner, staff["agent"]), 0.4, paid_to=date(2026, 12, 1)),
        "other": scored(policy(other, staff["agent_other"]), 0.9, paid_to=date(2026, 12, 15)),
    }
    return staff, owner, policies


def ask(staff, who, *, overdue=False):
    s = staff[who]
    scope = data_scope_for_user(s.user)
    kwargs = {"scope": scope, "staff": s, "as_of": AS_OF, "at": None, "overdue": overdue}
    with translation.override("en"):  # the assertions read the English source strings
        return work_sources()["value.at_risk"](limit=20, **kwargs), work_counts()["value.at_risk"](**kwargs)


def test_an_agent_gets_their_premium_paying_policies_at_risk_the_next_premium_due_first(book):
    staff, owner, policies = book
    items, total = ask(staff, "agent")
    assert [i.title for i in items] == [f"At risk · {policies[n].number}" for n in ("late", "watch", "high")]
    assert total == 3
    high = items[-1]
    assert high.priority == 2 and items[1].priority == 3  # from LAPSE_RISK_HIGH on, a call of high priority
    assert high.deadline == date(2026, 12, 31) and high.customer_name == "王小明"
    assert high.url == reverse("workbench:customer", args=[owner.pk]) and "lapse risk 62%" in high.detail
    assert ask(staff, "agent", overdue=True)[1] == 1  # the premium due on 1 December is not paid yet


def test_no_one_else_gets_an_agents_customers_at_risk(book, django_assert_num_queries):
    staff, _, _ = book
    for who in ("callcentre", "branch", "hq", "counter"):
        data_scope_for_user(staff[who].user)
        with django_assert_num_queries(0):
            assert ask(staff, who) == ([], 0)
    assert [i.title for i in ask(staff, "agent_other")[0]] != []
