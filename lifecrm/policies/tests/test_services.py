"""Policy services: creation, issue, transitions through the table, journal and optimistic lock."""
from datetime import date

import pytest

from lifecrm.policies import services
from lifecrm.policies.models import PolicyEvent
from lifecrm.policies.rules import TransitionRefused
from lifecrm.policies.selectors import policy_version_on
from tests.factories import make_customer, make_org, make_policy, make_staff

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 25)


@pytest.fixture
def policy():
    org = make_org()
    agent = make_staff("agent", org.team_a)
    owner = make_customer(branch=org.branch_a, agent=agent)
    return make_policy(owner=owner, agent=agent, branch=org.branch_a)


def test_issue_puts_policy_in_force_with_journal(policy):
    assert policy.status == "in_force"
    assert policy.paid_to_date == date(2022, 4, 30)  # 31 Mar + 1 month, month-end safe
    kinds = list(PolicyEvent.objects.filter(policy=policy).order_by("seq").values_list("kind", "to_status"))
    assert kinds == [("proposed", "proposal"), ("issued", "in_force")]


def test_refused_transition_changes_nothing(policy):
    with pytest.raises(TransitionRefused):
        services.policy_transition(actor=None, policy_id=policy.pk, to_status="reinstated",
                                   effective_date=AS_OF, as_of=AS_OF)
    policy.refresh_from_db()
    assert policy.status == "in_force"
    assert policy.events.count() == 2


def test_stale_version_is_refused(policy):
    with pytest.raises(services.StaleVersion):
        services.policy_transition(actor=None, policy_id=policy.pk, to_status="grace", effective_date=AS_OF,
                                   as_of=AS_OF, expected_version=policy.version - 1)


def test_effective_from_after_business_date_is_refused(policy):
    with pytest.raises(ValueError):
        services.policy_transition(actor=None, policy_id=policy.pk, to_status="grace",
                                   effective_date=date(2026, 11, 26), as_of=AS_OF)


def test_new_version_keeps_history(policy):
    services.policy_new_version(actor=None, policy_id=policy.pk, effective_from=date(2024, 1, 1), as_of=AS_OF,
                                changes={"payment_method": "cash"}, reason="payment method change")
    assert policy_version_on(policy_id=policy.pk, on=date(2023, 12, 31)).payment_method == "auto_debit"
    assert policy_version_on(policy_id=policy.pk, on=date(2024, 1, 1)).payment_method == "cash"
    assert policy_version_on(policy_id=policy.pk, on=date(2022, 3, 30)) is None
    new = policy_version_on(policy_id=policy.pk, on=AS_OF)
    assert [b.name for b in new.beneficiaries.all()] == ["李娜"]


def test_daily_maturity_step_is_idempotent(policy):
    from django.core.management import call_command

    from lifecrm.policies.models import Policy

    Policy.objects.filter(pk=policy.pk).update(maturity_date=date(2026, 11, 20))
    call_command("run-daily", as_of="2026-11-25", no_progress=True)
    call_command("run-daily", as_of="2026-11-25", no_progress=True)
    policy.refresh_from_db()
    assert policy.status == "matured" and policy.status_date == date(2026, 11, 20)
    assert policy.events.filter(kind="matured").count() == 1
