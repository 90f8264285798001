"""Policy services: creation, issue, transitions through the table, journal and optimistic lock."""
from datetime import date

import pytest

from lifecrm.core.actors import SYSTEM
from lifecrm.core.models import AuditEvent
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
        services.policy_transition(actor=SYSTEM, policy_id=policy.pk, to_status="reinstated",
                                   effective_date=AS_OF, as_of=AS_OF)
    policy.refresh_from_db()
    assert policy.status == "in_force"
    assert policy.events.count() == 2


def test_stale_version_is_refused(policy):
    with pytest.raises(services.StaleVersion):
        services.policy_transition(actor=SYSTEM, policy_id=policy.pk, to_status="grace", effective_date=AS_OF,
                                   as_of=AS_OF, expected_version=policy.version - 1)


def test_effective_from_after_business_date_is_refused(policy):
    with pytest.raises(ValueError):
        services.policy_transition(actor=SYSTEM, policy_id=policy.pk, to_status="grace",
                                   effective_date=date(2026, 11, 26), as_of=AS_OF)


def test_new_version_keeps_history(policy):
    services.policy_new_version(actor=SYSTEM, policy_id=policy.pk, effective_from=date(2024, 1, 1), as_of=AS_OF,
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


def test_a_policy_whose_premiums_are_waived_still_matures(policy):
    from django.core.management import call_command

    from lifecrm.policies.models import Policy

    services.policy_transition(actor=SYSTEM, policy_id=policy.pk, to_status="premium_waived",
                               effective_date=date(2026, 6, 1), as_of=date(2026, 6, 1), kind="premium_waived")
    Policy.objects.filter(pk=policy.pk).update(maturity_date=date(2026, 11, 25))
    call_command("run-daily", as_of="2026-11-24", no_progress=True)
    assert Policy.objects.get(pk=policy.pk).status == "premium_waived"  # the day before
    call_command("run-daily", as_of="2026-11-25", no_progress=True)
    policy.refresh_from_db()
    assert (policy.status, policy.status_date) == ("matured", date(2026, 11, 25))


# -- many at once (a daily batch's chunk) ------------------------------------------------------------------

def _policies(count: int):
    org = make_org()
    agent = make_staff("agent", org.team_a)
    return [make_policy(owner=make_customer(branch=org.branch_a, agent=agent), agent=agent, branch=org.branch_a)
            for _ in range(count)]


def _journal(policies) -> list[tuple]:
    return list(PolicyEvent.objects.filter(policy__in=policies).order_by("policy_id", "seq").values_list(
        "policy_id", "seq", "kind", "from_status", "to_status", "effective_date", "reason"))


def test_a_batch_of_transitions_journals_and_audits_each_policy_as_one_at_a_time_does(django_assert_num_queries):
    batch, single = _policies(3), _policies(3)
    days = [date(2026, 11, 1), date(2026, 11, 1), date(2026, 11, 2)]
    # savepoint, lock, last seqs, one update per (status, date), events, audit rows, release
    with django_assert_num_queries(8):
        changed = services.policies_transition(actor=SYSTEM, as_of=AS_OF, changes=[
            services.Transition(p.pk, "grace", day, kind="grace_started", reason="unpaid")
            for p, day in zip(batch, days, strict=True)])
    assert changed == 3
    for p, day in zip(single, days, strict=True):
        services.policy_transition(actor=SYSTEM, policy_id=p.pk, to_status="grace", effective_date=day, as_of=AS_OF,
                                   kind="grace_started", reason="unpaid")
    shift = {b.pk: s.pk for b, s in zip(batch, single, strict=True)}
    assert [(shift[row[0]], *row[1:]) for row in _journal(batch)] == _journal(single)
    for b, s in zip(batch, single, strict=True):
        b.refresh_from_db()
        s.refresh_from_db()
        assert (b.status, b.status_date, b.version) == (s.status, s.status_date, s.version)
    audited = AuditEvent.objects.filter(object_type="policies.policy", action="transition")
    assert sorted(audited.filter(object_id__in=[str(p.pk) for p in batch]).values_list("after", flat=True),
                  key=str) == sorted(audited.filter(object_id__in=[str(p.pk) for p in single])
                                     .values_list("after", flat=True), key=str)


def test_one_refused_transition_refuses_the_whole_batch():
    first, second = _policies(2)
    with pytest.raises(TransitionRefused):
        services.policies_transition(actor=SYSTEM, as_of=AS_OF, changes=[
            services.Transition(first.pk, "grace", AS_OF), services.Transition(second.pk, "reinstated", AS_OF)])
    assert {p.status for p in type(first).objects.filter(pk__in=[first.pk, second.pk])} == {"in_force"}
    assert PolicyEvent.objects.filter(policy__in=[first, second]).count() == 4
    with pytest.raises(ValueError, match="after the business date"):
        services.policies_transition(actor=SYSTEM, as_of=AS_OF, changes=[
            services.Transition(first.pk, "grace", date(2026, 11, 26))])
    with pytest.raises(ValueError, match="at most once"):
        services.policies_transition(actor=SYSTEM, as_of=AS_OF, changes=[
            services.Transition(first.pk, "grace", AS_OF), services.Transition(first.pk, "grace", AS_OF)])
