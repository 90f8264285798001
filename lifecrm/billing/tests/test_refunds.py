"""Refunds of money in suspense: the service's rules and the page (management roles, in scope)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from lifecrm.billing import services
from lifecrm.billing.models import Payment
from lifecrm.billing.selectors import suspense_balance
from lifecrm.billing.tests.test_views_world import (  # noqa: F401  (the *_fixture names are fixtures)
    AS_OF,
    business_date_fixture,
    outbox_fixture,
    world_fixture,
)
from lifecrm.core.actors import SYSTEM
from lifecrm.core.models import AuditEvent

pytestmark = pytest.mark.django_db
OVERPAID = Decimal("500.00")


def overpay(policy, key="S-9001") -> Payment:
    """2 × 120.50 pays the overdue premium and the next one (raised ahead); 259.00 waits in suspense."""
    return services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=OVERPAID, method="cash",
                                   received_on=AS_OF, natural_key=key, as_of=AS_OF)


def refund(policy, **overrides) -> Payment:
    values = {"amount": Decimal("100.00"), "method": "bank_transfer", "reference": "TR-1", "reason": "overpaid"}
    return services.suspense_refund(actor=SYSTEM, policy_id=policy.pk, as_of=AS_OF, **(values | overrides))


def test_a_refund_pays_back_at_most_the_suspense_balance_once(world):
    policy = world.policy_a
    overpay(policy)
    balance = suspense_balance(policy_id=policy.pk)
    assert balance == Decimal("259.00")
    paid_back = refund(policy)
    assert (paid_back.amount, paid_back.method, paid_back.received_on) == (Decimal("-100.00"), "bank_transfer", AS_OF)
    assert paid_back.receipt_no == f"R{AS_OF:%Y%m%d}0000002"  # the next receipt of the day
    assert suspense_balance(policy_id=policy.pk) == Decimal("159.00")
    assert AuditEvent.objects.get(object_type="billing.refund").after["reference"] == "TR-1"
    with pytest.raises(services.DuplicatePayment):
        refund(policy)
    with pytest.raises(services.PaymentRefused, match=r"only 159.00 CNY is in suspense"):
        refund(policy, reference="TR-2", amount=Decimal("159.01"))
    for bad, message in (({"amount": Decimal("0")}, "positive"), ({"method": "card"}, "bank transfer, cheque"),
                         ({"reference": " "}, "reference"), ({"reason": ""}, "reason")):
        with pytest.raises(services.PaymentRefused, match=message):
            refund(policy, **({"reference": "TR-3"} | bad))
    assert suspense_balance(policy_id=policy.pk) == Decimal("159.00")


def test_a_branch_manager_refunds_from_the_policy_page_and_gets_a_receipt(client, world):
    policy = world.policy_a
    overpay(policy)
    url = reverse("billing:refund-new", args=[policy.pk])
    client.force_login(world.staff["branch"].user)
    billing = client.get(reverse("billing:policy", args=[policy.pk])).content.decode()
    assert 'data-testid="refund"' in billing
    page = client.get(url).content.decode()
    assert 'value="259.00"' in page
    too_much = client.post(url, {"amount": "400", "method": "bank_transfer", "reference": "tr-9", "reason": "x"})
    assert too_much.status_code == 400 and "259.00" in too_much.content.decode()
    assert not Payment.objects.filter(amount__lt=0).exists()
    response = client.post(url, {"amount": "259.00", "method": "cheque", "reference": "chq-77", "reason": "overpaid"})
    paid_back = Payment.objects.get(amount__lt=0)
    assert response.status_code == 302 and response["Location"] == reverse("billing:receipt", args=[paid_back.pk])
    assert (paid_back.natural_key, paid_back.booked_by) == ("refund:CHQ-77", world.staff["branch"])
    receipt = client.get(response["Location"]).content.decode()
    assert "paid back on" in receipt and 'data-testid="allocations"' not in receipt
    assert suspense_balance(policy_id=policy.pk) == 0


@pytest.mark.parametrize(("who", "policy", "status"), [("counter", "policy_a", 403), ("agent", "policy_a", 403),
                                                        ("branch", "policy_b", 404)])
def test_who_may_refund(client, world, who, policy, status):
    overpay(getattr(world, policy))
    client.force_login(world.staff[who].user)
    assert client.get(reverse("billing:refund-new", args=[getattr(world, policy).pk])).status_code == status


def test_the_page_holds_back_debit_money_the_payers_bank_can_still_claim(client, world):
    policy = world.policy_a
    services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=OVERPAID, method="auto_debit",
                            received_on=AS_OF, natural_key="debit:E000001-1", as_of=AS_OF)
    url = reverse("billing:refund-new", args=[policy.pk])
    client.force_login(world.staff["branch"].user)
    page = client.get(url).content.decode()
    assert 'data-testid="refund-held"' in page and "2026-12-05" in page  # received 10 Oct + 56 days
    refused = client.post(url, {"amount": "1.00", "method": "bank_transfer", "reference": "tr-1", "reason": "x"})
    body = refused.content.decode()  # the test world's staff read English
    assert refused.status_code == 400 and "Only 0.00 can be refunded now" in body and "2026-12-05" in body
    assert not Payment.objects.filter(amount__lt=0).exists()


def test_reversing_money_already_refunded_says_what_to_recover_from_the_payer(world):
    """A cheque overpaid, the surplus refunded, then the cheque bounces: the reversal is booked, suspense
    goes below zero, and the audit entry says how much to get back from the payer."""
    policy = world.policy_a
    cheque = services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=OVERPAID, method="cheque",
                                     received_on=AS_OF, natural_key="cheque:88", as_of=AS_OF)
    refund(policy, amount=Decimal("259.00"))
    reversal = services.payment_reverse(actor=SYSTEM, payment_id=cheque.pk, reason="cheque bounced", as_of=AS_OF)
    assert suspense_balance(policy_id=policy.pk) == Decimal("-259.00")
    audit = AuditEvent.objects.get(object_type="billing.payment", object_id=str(reversal.pk))
    assert audit.after == {"reverses": cheque.receipt_no, "reason": "cheque bounced", "to_recover_from_payer": "259.00"}
