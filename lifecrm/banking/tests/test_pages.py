"""The bank-file pages: every app's files in one list (direction, format, message id, the app by its prefix,
totals, how long the content is kept), a status report on one of our credit transfers taken on the same upload as
billing's debit results and handed to `transfers`, a file no app takes refused whole, the old billing addresses
redirected, and the registries refusing a second app under one name."""
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lifecrm.banking import importers, sections, transfers, xsd
from lifecrm.banking.formats import pain001
from lifecrm.banking.models import BankFile
from lifecrm.banking.services import bank_file_record
from lifecrm.banking.tests.test_pain001 import DEBTOR, _line
from lifecrm.claims.tests.test_payout_results import pain002
from tests.factories import make_org, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
DAY = date(2026, 12, 7)


def _payout_file(message_id: str, *amounts: str) -> BankFile:
    lines = [_line(f"{message_id[:4]}-{n}", amount) for n, amount in enumerate(amounts, 1)]
    content = pain001.build(message_id=message_id, created_at=datetime(2026, 12, 7, 9, tzinfo=UTC), debtor=DEBTOR,
                            lines=lines)
    return bank_file_record(file_format=BankFile.Format.PAIN_001, namespace=xsd.PAIN_001, content=content,
                            message_id=message_id, as_of=DAY, line_count=len(lines),
                            total_amount=sum((Decimal(a) for a in amounts), Decimal(0)))


@pytest.fixture
def org():
    return make_org()


@pytest.fixture
def hq_client(client, org):
    client.force_login(make_staff("hq", org.hq).user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def listener(monkeypatch):
    """A listener for `LCZZ` credit transfers, as claims' (`LCCL`) and servicing's (`LCSV`) are."""
    heard = []
    monkeypatch.setattr(transfers, "_listeners", dict(transfers._listeners))
    transfers.register_transfer_status_listener("LCZZ")(lambda **kw: heard.append(kw) or len(kw["statuses"]))
    return heard


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: DAY)


def _upload(client, content: bytes, name="psr.xml"):
    return client.post(reverse("banking:bank-files"), {"file": SimpleUploadedFile(name, content), "file_format": "auto"})


def test_the_list_shows_every_apps_files(hq_client, today):
    _payout_file("LCCL20261207CNY", "100.00", "23.45")
    page = hq_client.get(reverse("banking:bank-files"))
    assert page.status_code == 200
    row = page.content.decode().split("LCCL20261207CNY.xml")[1].split("</tr>")[0]
    assert "LCCL20261207CNY" in row and ">Claims<" in row and "123.45" in row and "kept until" in row
    assert "sent to the bank · pain.001" in row


def test_the_list_reads_in_a_fixed_number_of_queries(hq_client, today):
    _payout_file("LCCL20261207CNY", "1.00")
    hq_client.get(reverse("banking:bank-files"))  # the session and the cached rules read once
    with CaptureQueriesContext(connection) as one:
        hq_client.get(reverse("banking:bank-files"))
    _payout_file("LCSV20261207CNY", "2.00")
    _payout_file("LCCL20261208CNY", "3.00")
    with CaptureQueriesContext(connection) as three:
        body = hq_client.get(reverse("banking:bank-files")).content.decode()
    assert ">Policy servicing<" in body
    assert len(three) == len(one)


def test_a_status_report_on_our_credit_transfer_goes_to_its_listener(hq_client, listener, today):
    original = _payout_file("LCZZ20261207CNY", "100.00", "50.00")
    content = pain002(original, {"LCZZ-1": "ACSC", "LCZZ-2": "AC04"})
    response = _upload(hq_client, content)
    assert response.status_code == 200 and 'data-testid="import-done"' in response.content.decode()
    [heard] = listener
    assert heard["original"] == original and [s.outcome for s in heard["statuses"]] == ["paid", "rejected"]
    report = BankFile.objects.get(direction=BankFile.Direction.IN)
    assert report.format == "pain.002"
    again = _upload(hq_client, content)
    assert 'data-testid="already-imported"' in again.content.decode() and len(listener) == 1
    detail = hq_client.get(reverse("banking:bank-file", args=[report.pk])).content.decode()
    assert report.sha256 in detail and 'data-testid="collections"' not in detail  # not billing's file


def test_a_file_no_app_takes_is_refused_whole(hq_client, today):
    original = _payout_file("LCXX20261207CNY", "100.00")  # nobody listens for LCXX
    response = _upload(hq_client, pain002(original, {"LCXX-1": "ACSC"}))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="bank-file-rejected"' in body and "no app takes the status reports of LCXX20261207CNY" in body
    assert not BankFile.objects.filter(direction=BankFile.Direction.IN).exists()


def test_a_report_on_a_file_we_never_sent_is_refused_whole(hq_client, today):
    response = _upload(hq_client, pain002(SimpleNamespace(message_id="ABCD20261207CNY"), {"X-1": "ACSC"}))
    assert response.status_code == 400
    assert "no app takes this file: it answers none of our files" in response.content.decode()
    assert not BankFile.objects.filter(direction=BankFile.Direction.IN).exists()


def test_a_branch_manager_sees_the_files_but_imports_none(client, org, listener, today):
    original = _payout_file("LCZZ20261207CNY", "100.00")
    client.force_login(make_staff("branch", org.branch_a).user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert 'data-testid="bank-import-hq-only"' in client.get(reverse("banking:bank-files")).content.decode()
    response = _upload(client, pain002(original, {"LCZZ-1": "ACSC"}))
    assert response.status_code == 403 and "Only head office imports" in response.content.decode()
    assert listener == [] and not BankFile.objects.filter(direction=BankFile.Direction.IN).exists()


def test_the_old_billing_addresses_lead_to_the_new_pages(hq_client):
    client = hq_client
    response = client.get("/billing/bank-files/")
    assert response.status_code == 301 and response["Location"] == reverse("banking:bank-files")
    response = client.get("/billing/bank-files/12/?declared=2")
    assert response.status_code == 301 and response["Location"] == reverse("banking:bank-file", args=[12]) + "?declared=2"


def test_an_app_registers_once_per_name():
    def first(**kw):
        return ""

    sections.register_file_section("billing-test")(first)
    try:
        sections.register_file_section("billing-test")(first)  # the same function again: no change
        with pytest.raises(ValueError):
            sections.register_file_section("billing-test")(lambda **kw: "")
    finally:
        sections._sections.pop("billing-test")
    assert "billing.debits" in importers.result_importers()
    with pytest.raises(ValueError):
        importers.register_result_importer("billing.debits", lambda head: True, lambda **kw: None)


def test_an_uploaded_report_is_validated_once_and_again_not_at_all(hq_client, listener, today, monkeypatch):
    """The page reads the file's head to route it (`file_head`: XSD-checked) and hands it down to the recording
    (`bank_file_receive`), which does not validate the same bytes a second time."""
    original = _payout_file("LCZZ20261207CNY", "100.00", "50.00")
    content = pain002(original, {"LCZZ-1": "ACSC", "LCZZ-2": "AC04"})
    validated = []
    validate = xsd.validate
    monkeypatch.setattr(xsd, "validate", lambda content, **kw: validated.append(kw) or validate(content, **kw))
    assert _upload(hq_client, content).status_code == 200
    assert len(validated) == 1 and len(listener) == 1
    again = _upload(hq_client, content)  # routed by its head, then known by its hash: applied no second time
    assert 'data-testid="already-imported"' in again.content.decode() and len(validated) == 2 and len(listener) == 1
