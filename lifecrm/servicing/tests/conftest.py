"""Servicing's test world: an org of two branches, one staff member per role, a CN policy in the agent's book with
a cash value table, and helpers for HK and TW policies."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from lifecrm.org.models import Staff
from lifecrm.parties.models import Customer
from lifecrm.policies.models import Policy
from lifecrm.products.models import CashValue, PremiumModeFactor, Product
from tests.factories import Org, make_customer, make_org, make_policy, make_product, make_staff_per_role

ISSUE = date(2022, 3, 31)
AS_OF = date(2025, 9, 26)
# the owner's account a surrender, a loan or a cooling-off refund is paid to
ACCOUNT = {"bank_name": "中国工商银行", "bank_code": "102100099996", "bank_account": "6222 0212 3456 7890"}


def product_with_tables(code: str, jurisdiction: str = "CN", currency: str = "CNY") -> Product:
    """A 20-year term product with an 80 % loan limit, mode factors and a cash value table for a man of 41
    (the factories' customer, born 17 May 1980, at a 31 March 2022 issue) — and a woman of the same age."""
    product = make_product(code, jurisdiction_id=jurisdiction, currency=currency, loan_limit_pct=Decimal("80"))
    for mode, per_year, factor in (("annual", 1, "1"), ("semiannual", 2, "0.52"), ("quarterly", 4, "0.262"),
                                   ("monthly", 12, "0.09")):
        PremiumModeFactor.objects.get_or_create(product=product, mode=mode,
                                                defaults={"payments_per_year": per_year, "factor": Decimal(factor)})
    for sex in ("M", "F"):
        for age in range(38, 46):
            for year in range(1, 21):
                CashValue.objects.get_or_create(product=product, sex=sex, issue_age=age, term=20, premium_term=20,
                                                policy_year=year, defaults={"value": Decimal(10 * year)})
    return product


@pytest.fixture(autouse=True)
def _english_messages():
    """The services' refusals are read in English here (the pages' tests ask for their language themselves)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@dataclass
class World:
    org: Org
    staff: dict[str, Staff]
    owner: Customer
    policy: Policy  # CN, team A, the agent's book, issued 31 Mar 2022, SA 500,000, 120.50 a month


@pytest.fixture
def world(db) -> World:
    org = make_org()
    staff = make_staff_per_role(org)
    owner = make_customer(branch=org.team_a, agent=staff["agent"])
    policy = make_policy(owner=owner, agent=staff["agent"], branch=org.team_a, product=product_with_tables("CNT20"),
                         issue_date=ISSUE)
    return World(org, staff, owner, policy)


def policy_in(world: World, jurisdiction: str, *, issue_date: date) -> Policy:
    currency = {"CN": "CNY", "HK": "HKD", "TW": "TWD"}[jurisdiction]
    product = product_with_tables(f"{jurisdiction}T20", jurisdiction, currency)
    return make_policy(owner=world.owner, agent=world.staff["agent"], branch=world.org.team_a, product=product,
                       issue_date=issue_date, as_of=issue_date)


def large_policy(world: World) -> Policy:
    """A CN policy of SA 1,000,000 beside the world's: its surrender value on AS_OF (34,904.11) is above the
    surrender's approval threshold (20,000)."""
    return make_policy(owner=world.owner, agent=world.staff["agent"], branch=world.org.team_a,
                       product=product_with_tables("CNT20"), issue_date=ISSUE, sum_assured=Decimal("1000000.00"))
