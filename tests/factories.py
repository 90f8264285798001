"""Factories for tests: an org chart, staff with logins, customers with valid IDs, products and policies."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

from django.contrib.auth import get_user_model

from lifecrm.core.actors import SYSTEM
from lifecrm.org.models import OrgUnit, Staff
from lifecrm.org.services import org_unit_create, staff_create
from lifecrm.parties.models import Customer
from lifecrm.parties.rules import prc_id_check_digit
from lifecrm.parties.services import customer_create
from lifecrm.policies import services as policy_services
from lifecrm.products.models import Product

PASSWORD = "correct-horse-battery-9"
_counter = itertools.count(1)


def seq() -> int:
    return next(_counter)


def prc_id(birth: date, sex: str, region: str = "110101") -> str:
    serial = 100 + seq() % 400
    sequence = f"{serial:02d}{1 if sex == 'M' else 2}"[-3:]
    first17 = f"{region}{birth:%Y%m%d}{sequence}"
    return first17 + prc_id_check_digit(first17)


@dataclass
class Org:
    hq: OrgUnit
    branch_a: OrgUnit
    team_a: OrgUnit
    branch_b: OrgUnit
    team_b: OrgUnit


def make_org() -> Org:
    hq = org_unit_create(actor=SYSTEM, code=f"HQ{seq()}", name="总公司", kind="hq", name_en="Head office")
    branch_a = org_unit_create(actor=SYSTEM, code=f"BA{seq()}", name="北京分公司", kind="branch", parent=hq,
                               name_en="Beijing branch")
    team_a = org_unit_create(actor=SYSTEM, code=f"TA{seq()}", name="北京一组", kind="team", parent=branch_a)
    branch_b = org_unit_create(actor=SYSTEM, code=f"BB{seq()}", name="上海分公司", kind="branch", parent=hq,
                               name_en="Shanghai branch")
    team_b = org_unit_create(actor=SYSTEM, code=f"TB{seq()}", name="上海一组", kind="team", parent=branch_b)
    return Org(hq, branch_a, team_a, branch_b, team_b)


def make_staff(role: str, unit: OrgUnit, *, username: str | None = None, name: str = "员工") -> Staff:
    n = seq()
    user = get_user_model().objects.create_user(username=username or f"{role}{n}", password=PASSWORD)
    return staff_create(actor=SYSTEM, employee_no=f"E{n:06d}", name=f"{name}{n}", role=role, org_unit=unit,
                        user=user)


def make_staff_per_role(org: Org, *, counter_unit: OrgUnit | None = None) -> dict[str, Staff]:
    """One staff member per role (two agents in team A, a manager of branch B) for scope tests."""
    return {
        "hq": make_staff("hq", org.hq, name="总部"),
        "branch": make_staff("branch", org.branch_a, name="经理"),
        "counter": make_staff("counter", counter_unit or org.branch_a, name="柜面"),
        "callcentre": make_staff("callcentre", org.branch_a, name="座席"),
        "claims": make_staff("claims", org.branch_a, name="理赔"),
        "agent": make_staff("agent", org.team_a, name="业务"),
        "agent_other": make_staff("agent", org.team_a, name="同事"),
        "branch_b": make_staff("branch", org.branch_b, name="上海经理"),
    }


def make_customer(*, branch: OrgUnit, agent: Staff | None = None, name: str = "张伟",
                  name_romanised: str = "Zhang Wei", sex: str = "M", birth_date: date = date(1980, 5, 17),
                  mobile_phone: str | None = None, **fields) -> Customer:
    n = seq()
    return customer_create(
        actor=SYSTEM, number=f"C{n:09d}", name=name, name_romanised=name_romanised, sex=sex, birth_date=birth_date,
        id_type="prc_id", id_number=prc_id(birth_date, sex), branch=branch, servicing_agent=agent,
        mobile_phone=mobile_phone or f"139{n:08d}", created_at=datetime(2020, 1, 1, tzinfo=UTC), **fields,
    )


def make_product(code: str = "TERM20", **fields) -> Product:
    defaults = dict(
        name="定期寿险", name_en="Term life", kind="term", terms="10,20,30", min_sum_assured=Decimal("50000"),
        max_sum_assured=Decimal("5000000"), mortality_basis="test basis", interest_rate=Decimal("0.025"),
    )
    product, _ = Product.objects.get_or_create(code=code, defaults=defaults | fields)
    return product


def make_policy(*, owner: Customer, agent: Staff | None, branch: OrgUnit, insured: Customer | None = None,
                product: Product | None = None, issue_date: date = date(2022, 3, 31), premium_mode: str = "monthly",
                issue: bool = True, as_of: date = date(2026, 11, 25), term_years: int | None = 20,
                premium_term_years: int = 20, sum_assured: Decimal = Decimal("500000.00"),
                modal_premium: Decimal = Decimal("120.50"), annual_premium: Decimal = Decimal("1339.00"),
                payment_method: str = "auto_debit", apl_opt_in: bool = False) -> policy_services.Policy:
    n = seq()
    insured = insured or owner
    policy = policy_services.policy_create(
        actor=SYSTEM, as_of=as_of, number=f"P{n:010d}", product=product or make_product(), owner=owner,
        insured=insured, payer=owner, agent=agent, branch=branch, channel="agency", application_date=issue_date,
        issue_date=issue_date, term_years=term_years, premium_term_years=premium_term_years,
        sum_assured=sum_assured, premium_mode=premium_mode, modal_premium=modal_premium,
        annual_premium=annual_premium, payment_method=payment_method, apl_opt_in=apl_opt_in,
        beneficiaries=[policy_services.BeneficiaryInput("李娜", "spouse", Fraction(1))],
    )
    if issue:
        policy = policy_services.policy_issue(actor=SYSTEM, policy_id=policy.pk, as_of=as_of)
    policy.refresh_from_db()
    return policy


def make_mandate(policy, *, debtor_name: str = "张伟", bank_code: str = "102100099996"):
    """An active direct-debit mandate of the policy at ICBC, signed on its issue date, with a unique reference
    and account number."""
    from lifecrm.billing.models import DebitMandate

    n = seq()
    account = f"62220202001{n:08d}"
    return DebitMandate.objects.create(policy=policy, reference=f"MD{n:08d}", debtor_name=debtor_name,
                                       bank_name="中国工商银行", bank_code=bank_code, account_number=account,
                                       account_last4=account[-4:], signed_on=policy.issue_date)
