"""The bank's status reports (pain.002, generated here and validated against the vendored XSD) on claims' pain.001
payout files: each payout accepted or rejected with its reason; a rejected payout goes out again to a new account;
the same report imported twice changes nothing; banking finds the file it answers and hands it to claims through
its listener registry."""
from datetime import timedelta
from decimal import Decimal

import pytest

from lifecrm.banking.errors import BankFileRejected
from lifecrm.banking.models import BankFile
from lifecrm.banking.transfers import transfer_status_listeners
from lifecrm.claims import services
from lifecrm.claims.models import ClaimEvent, Payout
from lifecrm.claims.services import Account, ClaimRefused
from tests import bank_reports

from .conftest import AS_OF
from .test_services import _accounts, _decided, _payees

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def pain002(original: BankFile, answers: dict[str, str], *, message_id="ICBC-PSR-1", amounts=None) -> bytes:
    return bank_reports.pain002(original, answers, on=AS_OF, message_id=message_id, amounts=amounts)


def _paid(world):
    claim = _decided(world)
    services.claim_decision_check(actor=world.staff["branch"].user, claim_id=claim.pk, approve=True, as_of=AS_OF)
    bank_file = services.claim_pay(actor=world.staff["claims"].user, claim_id=claim.pk,
                                   accounts=_accounts(_payees(claim)), as_of=AS_OF)
    return claim, bank_file, list(Payout.objects.filter(claim=claim).order_by("id"))


def _import(world, content, day=AS_OF):
    return services.payout_results_import(actor=world.staff["hq"].user, content=content,
                                          filename="psr.xml", as_of=day)


def test_claims_listen_for_their_payout_files_through_banking():
    assert "LCCL" in transfer_status_listeners()


def test_accepted_and_rejected_payouts_then_the_same_report_again_changes_nothing(claims_world):
    claim, bank_file, payouts = _paid(claims_world)
    answers = {p.end_to_end_id: "ACSC" for p in payouts} | {payouts[1].end_to_end_id: "AC04"}
    content = pain002(bank_file, answers, amounts={payouts[0].end_to_end_id: f"{payouts[0].amount:.2f}"})
    report, results = _import(claims_world, content)
    assert (results.accepted, results.rejected) == (3, 1) and report.format == "pain.002"
    rows = {p.pk: p for p in Payout.objects.filter(claim=claim)}
    assert rows[payouts[1].pk].status == "rejected" and rows[payouts[1].pk].reason_code == "AC04"
    assert rows[payouts[0].pk].status == "accepted" and rows[payouts[0].pk].result_file == report
    again, nothing = _import(claims_world, content)
    assert again == report and nothing is None
    assert ClaimEvent.objects.filter(claim=claim, kind="payout_results").count() == 1


def test_a_rejected_payout_goes_out_again_to_a_new_account(claims_world):
    claim, bank_file, payouts = _paid(claims_world)
    rejected = payouts[2]
    _import(claims_world, pain002(bank_file, {rejected.end_to_end_id: "AC01"}))
    with pytest.raises(ClaimRefused):  # an accepted or sent payout does not go out again
        services.payout_reissue(actor=claims_world.staff["claims"].user, payout_id=payouts[0].pk,
                                account=Account("中国银行", "104100000004", "6217000000000000001"), as_of=AS_OF)
    day = AS_OF + timedelta(days=1)
    new_file = services.payout_reissue(actor=claims_world.staff["claims"].user, payout_id=rejected.pk,
                                       account=Account("中国银行", "104100000004", "6217000000000000001"), as_of=day)
    rejected.refresh_from_db()
    assert (rejected.status, rejected.bank_file, rejected.end_to_end_id, rejected.account_last4) == (
        "sent", new_file, f"{claim.number}-003-R1", "0001")
    assert (rejected.reason_code, rejected.result_on) == ("", None)  # the page no longer shows AC01 beside "sent"
    assert new_file.line_count == 1 and new_file.total_amount == rejected.amount and new_file != bank_file
    # the bank accepts the second attempt
    _import(claims_world, pain002(new_file, {rejected.end_to_end_id: "ACSC"}, message_id="ICBC-PSR-2"), day)
    rejected.refresh_from_db()
    assert rejected.status == "accepted"


def test_a_report_that_does_not_fit_is_refused_whole(claims_world):
    claim, bank_file, payouts = _paid(claims_world)
    answers = {payouts[0].end_to_end_id: "ACSC", "CL99999999-001": "ACSC"}
    with pytest.raises(BankFileRejected):
        _import(claims_world, pain002(bank_file, answers))
    with pytest.raises(BankFileRejected):  # another amount than the payout's
        _import(claims_world, pain002(bank_file, {payouts[0].end_to_end_id: "ACSC"}, message_id="ICBC-PSR-3",
                                      amounts={payouts[0].end_to_end_id: "1.00"}))
    assert not Payout.objects.filter(claim=claim).exclude(status="sent").exists()
    assert not BankFile.objects.filter(direction="in").exists()
    assert sum(p.amount for p in payouts) == Decimal("600000.00")


def test_the_claim_page_shows_the_rejection_and_pays_again(claims_world):
    from django.test import Client
    from django.urls import reverse

    claim, bank_file, payouts = _paid(claims_world)
    _import(claims_world, pain002(bank_file, {payouts[0].end_to_end_id: "AC04"}))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(claims_world.staff["claims"].user)
    page = client.get(reverse("claims:claim", args=[claim.pk]))
    assert b"needs a new account" in page.content and "AC04 — Account closed" in page.content.decode()
    zh_hant = Client(HTTP_ACCEPT_LANGUAGE="zh-hant")
    zh_hant.force_login(claims_world.staff["claims"].user)
    assert "AC04 — 帳戶已結清" in zh_hant.get(reverse("claims:claim", args=[claim.pk])).content.decode()
    answer = client.post(reverse("claims:claim-action", args=[claim.pk, "reissue"]), {
        "payout": payouts[0].pk, "bank_name": "中国银行", "bank_code": "104100000004", "account": "6217000000000000009"})
    assert answer.status_code == 302
    assert Payout.objects.get(pk=payouts[0].pk).status == "sent"


def test_only_head_office_imports_a_payout_status_report(claims_world):
    """A bank file holds the whole company's payments: a claims handler (or a branch manager) may not import one."""
    from lifecrm.org.access import AccessDenied

    claim, bank_file, payouts = _paid(claims_world)
    for role in ("claims", "branch"):
        with pytest.raises(AccessDenied):
            services.payout_results_import(actor=claims_world.staff[role].user, content=b"<Document/>",
                                           filename="psr.xml", as_of=AS_OF)
