"""Claims' test world: an org of two branches, one staff member per role, an insured in branch A with a policy
whose death beneficiaries are three customers (50/30/20 %), and a second policy of the same insured."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from lifecrm.core.actors import SYSTEM
from lifecrm.org.models import Staff
from lifecrm.parties.models import Customer
from lifecrm.policies import services as policy_services
from lifecrm.policies.models import Policy
from tests.factories import Org, make_customer, make_org, make_product, make_staff, make_staff_per_role, seq

AS_OF = date(2026, 11, 25)
REPORTED_AT = datetime(2026, 11, 24, 23, 40, tzinfo=UTC)  # 07:40 in Beijing, through the 24 x 7 line


@dataclass
class ClaimsWorld:
    org: Org
    staff: dict[str, Staff]
    insured: Customer
    beneficiaries: list[Customer]
    policy: Policy  # 500,000, beneficiaries 1/2, 3/10, 1/5 in order 1
    second: Policy  # 100,000, one beneficiary


def make_claims_policy(*, owner, insured, agent, branch, beneficiaries, sum_assured=Decimal("500000.00"),
                       issue_date=date(2022, 3, 31)) -> Policy:
    policy = policy_services.policy_create(
        actor=SYSTEM, as_of=AS_OF, number=f"P{seq():010d}", product=make_product(), owner=owner, insured=insured,
        payer=owner, agent=agent, branch=branch, channel="agency", application_date=issue_date,
        issue_date=issue_date, term_years=20, premium_term_years=20, sum_assured=sum_assured,
        premium_mode="annual", modal_premium=Decimal("1339.00"), annual_premium=Decimal("1339.00"),
        payment_method="bank_transfer", beneficiaries=beneficiaries)
    policy = policy_services.policy_issue(actor=SYSTEM, policy_id=policy.pk, as_of=AS_OF)
    policy.refresh_from_db()
    return policy


@pytest.fixture
def claims_world(db) -> ClaimsWorld:
    org = make_org()
    staff = make_staff_per_role(org)
    staff["claims_checker"] = make_staff("claims", org.branch_a, name="复核")
    staff["claims_b"] = make_staff("claims", org.branch_b, name="上海理赔")
    insured = make_customer(branch=org.team_a, agent=staff["agent"])
    people = [make_customer(branch=org.team_a, name=name, name_romanised=roman, sex=sex)
              for name, roman, sex in (("李娜", "Li Na", "F"), ("张明", "Zhang Ming", "M"), ("张芳", "Zhang Fang", "F"))]
    b = policy_services.BeneficiaryInput
    policy = make_claims_policy(owner=insured, insured=insured, agent=staff["agent"], branch=org.team_a, beneficiaries=[
        b(people[0].name, "spouse", Fraction(1, 2), 1, people[0].pk),
        b(people[1].name, "child", Fraction(3, 10), 1, people[1].pk),
        b(people[2].name, "child", Fraction(1, 5), 1, people[2].pk)])
    second = make_claims_policy(owner=insured, insured=insured, agent=staff["agent"], branch=org.team_a,
                                sum_assured=Decimal("100000.00"), issue_date=date(2019, 6, 1),
                                beneficiaries=[b(people[0].name, "spouse", Fraction(1), 1, people[0].pk)])
    return ClaimsWorld(org, staff, insured, people, policy, second)
