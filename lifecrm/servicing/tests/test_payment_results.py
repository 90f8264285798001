"""The bank's status reports (pain.002, generated and validated against the vendored XSD) on servicing's pain.001
payments to owners, through banking's one import (`banking.services.transfer_status_import`, head office): each
payment accepted or rejected with its reason, shown on the request page; a rejected one goes out again to the
owner's new account; the same report twice changes nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from lifecrm.banking.errors import BankFileRejected
from lifecrm.banking.models import BankFile
from lifecrm.banking.services import transfer_status_import
from lifecrm.banking.transfers import transfer_status_listeners
from lifecrm.core.models import AuditEvent
from lifecrm.servicing import services
from lifecrm.servicing.models import Disbursement, RequestEvent
from lifecrm.servicing.services import ServicingRefused
from lifecrm.servicing.tests.conftest import ACCOUNT, AS_OF
from lifecrm.servicing.tests.test_pages import client_for
from lifecrm.servicing.tests.test_payments import executed
from tests.bank_reports import pain002

pytestmark = pytest.mark.django_db
DAY = AS_OF + timedelta(days=2)


def _import(world, content, day=DAY):
    return transfer_status_import(actor=world.staff["hq"], content=content, filename="psr.xml", as_of=day)


def _surrendered(world):
    request = executed(world, "surrender", ACCOUNT)
    payment = Disbursement.objects.select_related("bank_file").get(request=request)
    assert payment.status == "sent" and payment.bank_file.message_id.startswith("LCSV")
    return request, payment


def test_servicing_listens_for_its_payment_files_through_banking():
    assert {"LCSV", "LCCL"} <= set(transfer_status_listeners())


def test_an_accepted_payment_is_recorded_and_the_same_report_again_changes_nothing(world):
    request, payment = _surrendered(world)
    content = pain002(payment.bank_file, {payment.end_to_end_id: "ACSC"}, on=DAY,
                      amounts={payment.end_to_end_id: f"{payment.amount:.2f}"})
    report, results = _import(world, content)
    assert (results.accepted, results.rejected, results.requests) == (1, 0, {request.pk})
    payment.refresh_from_db()
    assert (payment.status, payment.result_file, payment.result_on, payment.reason_code) == ("accepted", report, DAY,
                                                                                             "")
    events = RequestEvent.objects.filter(request=request, kind="payment_result").count()
    audits = AuditEvent.objects.count()
    again, nothing = _import(world, content, DAY + timedelta(days=1))
    assert again == report and nothing is None
    assert RequestEvent.objects.filter(request=request, kind="payment_result").count() == events == 1
    assert AuditEvent.objects.count() == audits
    assert BankFile.objects.filter(direction="in").count() == 1


def test_a_rejected_payment_shows_its_reason_and_goes_out_again_to_a_new_account(world):
    request, payment = _surrendered(world)
    _import(world, pain002(payment.bank_file, {payment.end_to_end_id: "AC04"}, on=DAY))
    payment.refresh_from_db()
    assert (payment.status, payment.reason_code) == ("rejected", "AC04")
    event = RequestEvent.objects.get(request=request, kind="payment_result")
    assert event.data == {"file": "ICBC-PSR-1", "reference": payment.end_to_end_id, "status": "rejected",
                          "reason": "AC04"}
    page = client_for(world.staff["counter"], "zh-hant").get(reverse("servicing:request", args=[request.pk]))
    assert "AC04 — 帳戶已結清" in page.content.decode()
    page = client_for(world.staff["counter"], "en").get(reverse("servicing:request", args=[request.pk]))
    assert b"rejected by the bank: needs a new account" in page.content
    assert "AC04 — Account closed" in page.content.decode()
    assert b"request-payment-reissue" in page.content

    with pytest.raises(ServicingRefused, match="bank account number"):
        services.disbursement_reissue(actor=world.staff["counter"], request=request, bank_name="建设银行",
                                      bank_code="105100000017", bank_account="12", as_of=DAY)
    response = client_for(world.staff["counter"], "en").post(
        reverse("servicing:act", args=[request.pk]),
        {"action": "reissue", "bank_name": "中国建设银行", "bank_code": "105100000017",
         "bank_account": "6217 0000 1111 2222"})
    assert response.status_code == 302
    first_file = payment.bank_file
    payment.refresh_from_db()
    assert payment.status == "sent" and payment.end_to_end_id == f"{request.number}-R1"
    assert payment.account_last4 == "2222" and payment.bank_file != first_file  # a new pain.001 of its own
    assert payment.bank_file.message_id.startswith("LCSV") and payment.reason_code == ""
    assert RequestEvent.objects.filter(request=request, kind="payment_reissued").count() == 1
    with pytest.raises(ServicingRefused, match="Only a payment the bank rejected"):
        services.disbursement_reissue(actor=world.staff["counter"], request=request, bank_name="建设银行",
                                      bank_code="105100000017", bank_account="62170000111122223", as_of=DAY)
    _import(world, pain002(payment.bank_file, {payment.end_to_end_id: "ACSC"}, on=DAY, message_id="ICBC-PSR-2"))
    payment.refresh_from_db()
    assert payment.status == "accepted"


def test_an_unknown_reference_refuses_the_report_whole(world):
    _request, payment = _surrendered(world)
    with pytest.raises(BankFileRejected):
        _import(world, pain002(payment.bank_file, {payment.end_to_end_id: "ACSC", "NOPE-1": "AC04"}, on=DAY))
    payment.refresh_from_db()
    assert payment.status == "sent" and not BankFile.objects.filter(direction="in").exists()


def test_only_head_office_imports_a_status_report(world):
    _request, payment = _surrendered(world)
    with pytest.raises(PermissionDenied):
        transfer_status_import(actor=world.staff["counter"], as_of=DAY, filename="psr.xml",
                               content=pain002(payment.bank_file, {payment.end_to_end_id: "ACSC"}, on=DAY))
