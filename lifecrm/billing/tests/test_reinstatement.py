"""Reinstatement (复效): application in the window, decision or deemed consent, arrears plus interest, revival."""
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from lifecrm.billing import services
from lifecrm.billing.models import DueItem, ReinstatementApplication
from lifecrm.billing.selectors import suspense_balance
from lifecrm.core.actors import SYSTEM
from lifecrm.policies.models import Policy
from tests.factories import make_customer, make_org, make_policy, make_product, make_staff

pytestmark = pytest.mark.django_db


def make_suspended(jurisdiction="CN"):
    org = make_org()
    agent = make_staff("agent", org.team_a)
    owner = make_customer(branch=org.branch_a, agent=agent)
    product = make_product(code=f"TERM-{jurisdiction}", jurisdiction_id=jurisdiction)
    policy = make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=date(2026, 8, 31),
                         as_of=date(2026, 8, 31), product=product)
    return policy


def run_daily(day, since=None):
    call_command("run-daily", as_of=day, from_date=since, no_progress=True)


def pay(policy, amount, on, key):
    return services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal(amount), method="cash",
                                   received_on=on, natural_key=key, as_of=on)


@pytest.fixture
def suspended():
    policy = make_suspended()
    run_daily("2026-12-01", since="2026-09-30")
    policy.refresh_from_db()
    assert (policy.status, policy.status_date) == ("suspended", date(2026, 12, 1))
    return policy


def test_approved_reinstatement_revives_cover_on_the_day_arrears_and_interest_are_paid(suspended):
    app = services.reinstatement_apply(actor=SYSTEM, policy_id=suspended.pk, received_on=date(2026, 12, 10),
                                       health_declaration="no illness since suspension", as_of=date(2026, 12, 10))
    services.reinstatement_decide(actor=SYSTEM, application_id=app.pk, approve=True, decided_on=date(2026, 12, 14),
                                  as_of=date(2026, 12, 14))
    # Arrears on 15 Dec: 30 Sep, 31 Oct, 30 Nov at 120.50 = 361.50; interest 5 % a year on each from its
    # due date: 120.50 × 0.05 × (76 + 45 + 15) / 365 = 2.2449… → 2.24.
    pay(suspended, "300.00", date(2026, 12, 15), "slip-a")
    assert Policy.objects.get(pk=suspended.pk).status == "suspended"  # not enough yet: waits in suspense
    pay(suspended, "63.74", date(2026, 12, 15), "slip-b")
    policy = Policy.objects.get(pk=suspended.pk)
    assert (policy.status, policy.status_date) == ("reinstated", date(2026, 12, 15))
    event = policy.events.get(kind="reinstated")
    assert event.data == {"suicide_clock_restarts": "2026-12-15", "interest": "2.24"}
    app.refresh_from_db()
    assert (app.status, app.reinstated_on, app.interest) == ("completed", date(2026, 12, 15), Decimal("2.24"))
    assert DueItem.objects.get(policy=policy, kind="interest").status == "paid"
    assert suspense_balance(policy_id=policy.pk) == Decimal("0.00")
    assert policy.paid_to_date == date(2026, 12, 31)


def test_deemed_consent_the_day_after_30_days_of_silence(suspended):
    app = services.reinstatement_apply(actor=SYSTEM, policy_id=suspended.pk, received_on=date(2026, 12, 10),
                                       health_declaration="healthy", as_of=date(2026, 12, 10))
    run_daily("2027-01-09")
    app.refresh_from_db()
    assert app.status == "pending"
    run_daily("2027-01-10")
    app.refresh_from_db()
    assert (app.status, app.decided_on) == ("deemed", date(2027, 1, 10))


def test_application_after_the_window_is_refused_and_an_open_one_stops_the_lapse(suspended):
    with pytest.raises(services.BillingRefused, match="window ended on 2028-12-01"):
        services.reinstatement_apply(actor=SYSTEM, policy_id=suspended.pk, received_on=date(2028, 12, 2),
                                     health_declaration="healthy", as_of=date(2028, 12, 2))
    services.reinstatement_apply(actor=SYSTEM, policy_id=suspended.pk, received_on=date(2028, 12, 1),
                                 health_declaration="healthy", as_of=date(2028, 12, 1))
    ReinstatementApplication.objects.filter(policy=suspended).update(status="declined")
    ReinstatementApplication.objects.create(policy=suspended, received_on=date(2028, 12, 1),
                                            health_declaration="second")
    run_daily("2028-12-02")
    assert Policy.objects.get(pk=suspended.pk).status == "suspended"


def test_missing_health_declaration_is_refused(suspended):
    with pytest.raises(services.BillingRefused, match="health declaration"):
        services.reinstatement_apply(actor=SYSTEM, policy_id=suspended.pk, received_on=date(2026, 12, 10),
                                     health_declaration="  ", as_of=date(2026, 12, 10))
    assert not ReinstatementApplication.objects.exists()


def test_tw_reinstates_automatically_by_paying_arrears_within_six_months():
    policy = make_suspended("TW")
    # TW monthly mode: 30 days from the 30 Sep due date without a demand → Friday 30 Oct; suspended 31 Oct.
    run_daily("2026-10-31", since="2026-09-30")
    policy.refresh_from_db()
    assert (policy.status, policy.status_date) == ("suspended", date(2026, 10, 31))
    # On 5 Nov: arrears 30 Sep + 31 Oct = 241.00; interest 120.50 × 0.05 × (36 + 5) / 365 = 0.6767… → 0.68.
    pay(policy, "241.68", date(2026, 11, 5), "tw-1")
    policy.refresh_from_db()
    assert (policy.status, policy.status_date) == ("reinstated", date(2026, 11, 5))
    assert policy.events.get(kind="reinstated").reason == "automatic reinstatement by paying arrears"
