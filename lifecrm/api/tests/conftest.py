"""Fixtures of the API tests: a small org with one login per role, customers and policies in known places."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from rest_framework.test import APIClient

from lifecrm.core.actors import SYSTEM
from lifecrm.org.models import Staff
from lifecrm.parties.models import Customer
from lifecrm.parties.services import consent_record, relationship_add
from lifecrm.policies.models import Policy
from tests.factories import Org, make_customer, make_org, make_policy, make_staff


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    """Who is where, and what each login may see (written out by hand from the scope rules)."""

    org: Org
    staff: dict[str, Staff] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)

    def client(self, login: str) -> APIClient:
        client = APIClient()
        client.force_login(self.staff[login].user)
        return client


# login -> (role, unit attribute of Org)
LOGINS = {
    "hq": ("hq", "hq"),
    "branch_a": ("branch", "branch_a"),
    "counter_team_a": ("counter", "team_a"),
    "callcentre_hq": ("callcentre", "hq"),
    "callcentre_b": ("callcentre", "branch_b"),
    "claims_b": ("claims", "branch_b"),
    "agent_1": ("agent", "team_a"),
    "agent_2": ("agent", "team_b"),
}
# customer -> (unit attribute, servicing agent login or None); policy p_x is owned by customer c_x,
# sold in the same unit by the same agent, except p_tb, sold by agent_1 in team B.
CUSTOMERS = {
    "c_a": ("branch_a", "agent_1"),
    "c_ta": ("team_a", None),
    "c_b": ("branch_b", "agent_2"),
    "c_tb": ("team_b", "agent_1"),
}
ALL = {"c_a", "c_ta", "c_b", "c_tb"}
# What each login sees: HQ units see all, agents their own book, everyone else their unit's subtree.
VISIBLE_CUSTOMERS = {
    "hq": ALL,
    "branch_a": {"c_a", "c_ta"},
    "counter_team_a": {"c_ta"},
    "callcentre_hq": ALL,
    "callcentre_b": {"c_b", "c_tb"},
    "claims_b": {"c_b", "c_tb"},
    "agent_1": {"c_a", "c_tb"},
    "agent_2": {"c_b"},
}
VISIBLE_POLICIES = {login: {"p" + name[1:] for name in names} for login, names in VISIBLE_CUSTOMERS.items()}


@pytest.fixture
def world(db) -> World:
    org = make_org()
    world = World(org)
    for login, (role, unit) in LOGINS.items():
        world.staff[login] = make_staff(role, getattr(org, unit), username=login)
    names = {"c_a": ("王芳", "Wang Fang"), "c_ta": ("李强", "Li Qiang"), "c_b": ("张伟", "Zhang Wei"),
             "c_tb": ("刘洋", "Liu Yang")}
    for name, (unit, agent) in CUSTOMERS.items():
        han, latin = names[name]
        world.customers[name] = make_customer(
            branch=getattr(org, unit), agent=world.staff[agent] if agent else None, name=han,
            name_romanised=latin,
        )
    for name, customer in world.customers.items():
        unit, agent = CUSTOMERS[name]
        world.policies["p" + name[1:]] = make_policy(
            owner=customer, agent=world.staff[agent] if agent else None, branch=getattr(org, unit)
        )
    return world


@pytest.fixture
def related_world(world) -> World:
    """c_a has a spouse c_b (another branch) and a marketing consent given, then withdrawn."""
    from datetime import UTC, datetime

    relationship_add(actor=SYSTEM, from_customer=world.customers["c_a"], to_customer=world.customers["c_b"],
                     kind="spouse")
    relationship_add(actor=SYSTEM, from_customer=world.customers["c_ta"], to_customer=world.customers["c_a"],
                     kind="parent")
    c_a = world.customers["c_a"]
    consent_record(actor=SYSTEM, customer=c_a, purpose="marketing", granted=True,
                   at=datetime(2024, 1, 1, tzinfo=UTC), source="counter")
    consent_record(actor=SYSTEM, customer=c_a, purpose="marketing", granted=False,
                   at=datetime(2025, 6, 1, tzinfo=UTC), source="phone")
    consent_record(actor=SYSTEM, customer=c_a, purpose="sensitive_data", granted=True,
                   at=datetime(2024, 1, 1, tzinfo=UTC), source="application")
    return world
