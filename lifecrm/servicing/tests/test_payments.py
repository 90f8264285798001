"""Paying the owner: a surrender value, a policy loan and a cooling-off refund go to the owner's bank account given
on the request, in a pain.001 file written by banking's writer; each payment once (exporting again pays nothing
twice); the day it is sent is the request's paid date, which stops a surrender's 30-day payment clock."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from lxml import etree

from lifecrm.banking.models import BankFile
from lifecrm.core.actors import SYSTEM
from lifecrm.core.models import AuditEvent
from lifecrm.servicing import rules, services
from lifecrm.servicing.models import Disbursement, RequestEvent
from lifecrm.servicing.services import ServicingRefused
from lifecrm.servicing.tests.conftest import ACCOUNT, AS_OF, policy_in
from lifecrm.servicing.tests.test_services import complete, create

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def executed(world, kind, payload, policy=None, on=AS_OF):
    request = complete(world, create(world, kind=kind, payload=payload, policy=policy, on=on), on)
    if request.needs_approval:
        request = services.request_approve(actor=world.staff["branch"], request=request, on=on, as_of=on)
    return services.request_execute(actor=world.staff["counter"], request=request, as_of=on)


def test_a_money_request_needs_the_owners_account(world):
    with pytest.raises(ServicingRefused, match="bank account number") as refused:
        create(world, kind="surrender", payload={"bank_name": "工行", "bank_code": "102"})
    assert refused.value.field == "bank_account"
    with pytest.raises(ServicingRefused, match="bank code"):
        create(world, kind="surrender", payload={"bank_account": "6222021234567890"})


def test_the_request_shows_only_the_last_four_digits(world):
    request = create(world, kind="surrender", payload=ACCOUNT)
    assert request.payload == {"bank_name": "中国工商银行", "bank_code": "102100099996", "account_last4": "7890"}
    assert request.disbursement.account_number == "6222021234567890"
    assert request.disbursement.status == "held" and request.disbursement.amount is None


def test_surrender_and_refund_paid_once_by_pain001(world):
    surrender = executed(world, "surrender", ACCOUNT)
    hk_policy = policy_in(world, "HK", issue_date=date(2025, 9, 10))
    refund = executed(world, "cooling_off_cancellation", ACCOUNT, policy=hk_policy, on=date(2025, 9, 20))
    amount = Decimal(surrender.result["paid"])
    made = BankFile.objects.get(message_id="LCSV20250926CNY")
    assert made.format == "pain.001" and made.total_amount == amount
    document = etree.fromstring(bytes(made.content))
    [line] = document.findall(".//p:CdtTrfTxInf", NS)
    assert line.findtext("p:PmtId/p:EndToEndId", namespaces=NS) == surrender.number
    assert line.findtext("p:Amt/p:InstdAmt", namespaces=NS) == str(amount)
    assert line.findtext("p:CdtrAcct/p:Id/p:Othr/p:Id", namespaces=NS) == "6222021234567890"
    hk_file = BankFile.objects.get(message_id="LCSV20250920HKD")
    assert hk_file.total_amount == Decimal(refund.result["refund"])

    # paid the day it was executed: the surrender's payment clock is met and nothing is left to work towards
    assert (surrender.paid_on, surrender.due_on) == (AS_OF, None)
    assert rules.met(surrender.payment_due, surrender.paid_on, AS_OF) is True
    assert RequestEvent.objects.filter(request=surrender, kind="paid").count() == 1
    assert AuditEvent.objects.filter(action="create", object_type="banking.bankfile").count() == 2

    # exported again (the same day or the next): nothing is paid twice
    assert services.disbursements_export(actor=world.staff["counter"], as_of=AS_OF) is None
    assert services.disbursements_export(actor=SYSTEM, as_of=AS_OF + timedelta(days=1)) is None
    assert BankFile.objects.filter(format="pain.001").count() == 2
    assert set(Disbursement.objects.values_list("status", "bank_file_id")) == {("sent", made.pk),
                                                                               ("sent", hk_file.pk)}


def test_a_loan_is_paid_out_and_a_surrender_paid_late_misses_its_clock(world):
    loan = executed(world, "policy_loan", {"amount": "5000", **ACCOUNT})
    assert loan.disbursement.amount == Decimal("5000.00") and loan.disbursement.status == "sent"
    assert loan.due_on is None  # no payment clock for a loan
    request = complete(world, create(world, kind="surrender", payload=ACCOUNT), AS_OF)
    late = request.payment_due + timedelta(days=1)
    surrender = services.request_execute(actor=world.staff["counter"], request=request, as_of=late)
    assert surrender.paid_on == late and rules.met(surrender.payment_due, surrender.paid_on, late) is False


def test_what_is_left_to_pay_goes_out_once_within_the_clerks_scope(world):
    surrender = executed(world, "surrender", ACCOUNT)
    # a payment left to send (its file was never made): the export sends it, once, to whoever may see it
    Disbursement.objects.filter(request=surrender).update(status="pending", bank_file=None, sent_on=None)
    assert services.disbursements_export(actor=world.staff["branch_b"], as_of=AS_OF) is None
    made = services.disbursements_export(actor=world.staff["counter"], as_of=AS_OF + timedelta(days=1))
    assert made.message_id == "LCSV20250927CNY"
    assert services.disbursements_export(actor=world.staff["counter"], as_of=AS_OF + timedelta(days=1)) is None
    surrender.refresh_from_db()
    assert surrender.paid_on == AS_OF + timedelta(days=1)
