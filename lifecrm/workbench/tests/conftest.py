"""A small world for the workbench tests: two branches, one staff member per role, customers and policies."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from lifecrm.org.models import Staff
from lifecrm.parties.models import Customer
from lifecrm.policies.models import Policy
from tests.factories import Org, make_customer, make_org, make_policy, make_staff_per_role


@dataclass
class World:
    org: Org
    staff: dict[str, Staff]  # by role, plus "agent_other" (another agent of branch A) and "branch_b"
    customer_a: Customer  # branch A, in the agent's book
    customer_a_other: Customer  # branch A, another agent's book
    customer_b: Customer  # branch B
    policy_a: Policy
    policy_a_other: Policy
    policy_b: Policy


@pytest.fixture(autouse=True)
def _fast_hashing_and_english_pages(settings):
    # The world creates eight logins per test; the production hasher would take most of the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Assertions read the English source strings; test_i18n checks the default Chinese pages.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world(db) -> World:
    org = make_org()
    staff = make_staff_per_role(org)
    customer_a = make_customer(branch=org.branch_a, agent=staff["agent"], name="王小明",
                               name_romanised="Wang Xiaoming", mobile_phone="13800138000")
    customer_a_other = make_customer(branch=org.branch_a, agent=staff["agent_other"], name="王大明",
                                     name_romanised="Wang Daming", mobile_phone="13800138001")
    customer_b = make_customer(branch=org.branch_b, agent=None, name="王美丽", name_romanised="Wang Meili",
                               sex="F", mobile_phone="13900139000")
    return World(
        org=org,
        staff=staff,
        customer_a=customer_a,
        customer_a_other=customer_a_other,
        customer_b=customer_b,
        policy_a=make_policy(owner=customer_a, agent=staff["agent"], branch=org.branch_a),
        policy_a_other=make_policy(owner=customer_a_other, agent=staff["agent_other"], branch=org.branch_a),
        policy_b=make_policy(owner=customer_b, agent=None, branch=org.branch_b),
    )


@pytest.fixture
def login(client):
    """Log the client in as a staff member (or any user) and return it."""

    def _login(who):
        client.force_login(getattr(who, "user", who))
        return client

    return _login
