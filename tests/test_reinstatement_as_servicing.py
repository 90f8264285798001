"""A reinstatement taken at the counter as a servicing request (issue 17 §2) is billing's reinstatement, the one
implementation, reached through policies' reinstatement handler: the counter clerk records it with the insured's
health declaration, a branch manager approves it (maker-checker), its execution registers and approves billing's
application, and the policy revives the day the arrears and interest are paid."""
from datetime import date
from decimal import Decimal

import pytest

from lifecrm.billing.models import ReinstatementApplication
from lifecrm.billing.tests.test_reinstatement import make_suspended, pay, run_daily
from lifecrm.org.access import AccessDenied
from lifecrm.policies.models import Policy
from lifecrm.servicing import services
from lifecrm.servicing.services import ServicingRefused
from tests.factories import make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
RECEIVED = date(2026, 12, 10)


@pytest.fixture
def suspended():
    policy = make_suspended()
    run_daily("2026-12-01", since="2026-09-30")
    policy.refresh_from_db()
    assert policy.status == "suspended"
    branch = policy.branch
    return policy, make_staff("counter", branch), make_staff("branch", branch)


def test_the_counter_takes_a_reinstatement_a_manager_approves_and_billing_revives_the_policy(suspended):
    policy, clerk, manager = suspended
    request = services.request_create(actor=clerk, policy=policy, request_type="reinstatement", channel="counter",
                                      received_on=RECEIVED, as_of=RECEIVED,
                                      payload={"health_declaration": "no illness since the suspension"})
    request = services.request_accept(actor=clerk, request=request, on=RECEIVED, as_of=RECEIVED)
    for document in request.documents.all():
        request = services.request_document_receive(actor=clerk, request=request, code=document.code,
                                                    received_on=RECEIVED, as_of=RECEIVED)
    assert request.needs_approval
    with pytest.raises(AccessDenied):  # the clerk who made it has no approval grant
        services.request_approve(actor=clerk, request=request, on=RECEIVED, as_of=RECEIVED)
    request = services.request_approve(actor=manager, request=request, on=date(2026, 12, 14),
                                       as_of=date(2026, 12, 14))
    request = services.request_execute(actor=clerk, request=request, as_of=date(2026, 12, 14))
    application = ReinstatementApplication.objects.get(policy=policy)
    assert (application.status, application.received_on) == ("approved", RECEIVED)
    assert request.result["application"] == application.pk and request.result["reinstated"] is False
    # Arrears on 15 Dec: 3 × 120.50 = 361.50 and 2.24 interest (billing's own test of the same dates).
    pay(policy, "363.74", date(2026, 12, 15), "slip-r")
    policy.refresh_from_db()
    assert (policy.status, policy.status_date) == ("reinstated", date(2026, 12, 15))
    assert ReinstatementApplication.objects.get(pk=application.pk).interest == Decimal("2.24")


def test_only_a_suspended_policy_with_a_health_declaration(suspended):
    policy, clerk, _manager = suspended
    with pytest.raises(ServicingRefused, match="health declaration"):
        services.request_create(actor=clerk, policy=policy, request_type="reinstatement", channel="counter",
                                received_on=RECEIVED, as_of=RECEIVED, payload={"health_declaration": "  "})
    Policy.objects.filter(pk=policy.pk).update(status="in_force")
    policy.refresh_from_db()
    with pytest.raises(ServicingRefused, match="Only a suspended policy"):
        services.request_create(actor=clerk, policy=policy, request_type="reinstatement", channel="counter",
                                received_on=RECEIVED, as_of=RECEIVED,
                                payload={"health_declaration": "no illness since the suspension"})
