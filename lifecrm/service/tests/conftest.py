"""The service desk's test world: an org of two branches, one staff member per role, customers in each branch."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from lifecrm.org.models import Staff
from lifecrm.parties.models import Customer
from tests.factories import Org, make_customer, make_org, make_staff_per_role


@dataclass
class ServiceWorld:
    org: Org
    staff: dict[str, Staff]
    customer_a: Customer  # branch A, the agent's book
    customer_b: Customer  # branch B


@pytest.fixture
def service_world(db) -> ServiceWorld:
    org = make_org()
    staff = make_staff_per_role(org)
    return ServiceWorld(org, staff, make_customer(branch=org.team_a, agent=staff["agent"]),
                        make_customer(branch=org.branch_b, name="李娜", name_romanised="Li Na", sex="F"))
