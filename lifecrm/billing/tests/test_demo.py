"""`lifecrm demo-setup` leaves every collection page something real: money in suspense of each kind and a bank
result file for the demo's own latest debit export, which imports cleanly once and changes nothing the second time."""
from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from lifecrm.banking.models import BankFile
from lifecrm.billing.debits.imports import bank_file_import
from lifecrm.billing.models import Collection, Payment, SuspenseAccount
from lifecrm.billing.selectors import suspense_work_list
from lifecrm.core.actors import SYSTEM
from lifecrm.org.rules import DataScope, ScopeKind

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 25)


@pytest.fixture
def demo(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    settings.LIFECRM_LETTER_OUTBOX = tmp_path / "letters"
    monkeypatch.setenv("LIFECRM_DEMO_PASSWORD", "demo-pass")
    out = StringIO()
    call_command("demo-setup", customers=400, as_of=AS_OF.isoformat(), no_progress=True, stdout=out)
    return out.getvalue()


def test_the_money_in_suspense_page_has_each_kind_of_money(demo):
    page = suspense_work_list(scope=DataScope(ScopeKind.ALL, role="hq"))
    assert page.to_recover, "an amount to recover from a payer"
    assert any(row.to_refund for row in page.waiting), "money to refund"
    assert any(not row.to_refund for row in page.waiting), "money paid ahead"
    assert "billing.demo: paid ahead:" in demo and "billing.demo: to refund:" in demo
    assert "billing.demo: to recover:" in demo
    for account in SuspenseAccount.objects.all():  # the accounts are the ledger's balance
        assert account.balance == sum(p.amount for p in Payment.objects.filter(policy=account.policy_id)) - sum(
            a.amount for p in Payment.objects.filter(policy=account.policy_id) for a in p.allocations.all())


def test_the_latest_debit_export_has_a_result_file_that_imports_once(demo, tmp_path):
    export = BankFile.objects.filter(direction="out", format=BankFile.Format.PAIN_008).order_by("-as_of", "-pk").first()
    assert export is not None and export.as_of == AS_OF
    path = tmp_path / "bankfiles" / "demo" / f"{export.message_id}-status.xml"
    assert f"bank result file for {export.filename}: {path}" in demo
    content = path.read_bytes()
    lines = export.collections.count()
    report = bank_file_import(content=content, filename=path.name, as_of=AS_OF, actor=SYSTEM)
    assert report.lines == report.matched == lines and report.unknown == 0
    assert report.paid and sum(report.rejected.values()) and report.paid + sum(report.rejected.values()) == lines
    assert not export.collections.filter(status=Collection.Status.SENT).exists()
    state = (Payment.objects.count(), list(Collection.objects.values_list("pk", "status", "reason_code")))
    again = bank_file_import(content=content, filename=path.name, as_of=AS_OF, actor=SYSTEM)
    assert again.already_imported and again.bank_file == report.bank_file
    assert (Payment.objects.count(), list(Collection.objects.values_list("pk", "status", "reason_code"))) == state
