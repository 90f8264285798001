"""Bank files are personal data: encrypted in the database and on disk, in clear only through
`bank-file-export`, and purged after the jurisdiction's retention (the row, its hash and totals stay)."""
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from lifecrm.banking.errors import BankFileRejected
from lifecrm.banking.models import BankFile
from lifecrm.banking.retention import bank_file_purge_step, bank_files_purge, retention_end
from lifecrm.banking.storage import stored_path
from lifecrm.billing.debits.imports import bank_file_import
from lifecrm.billing.models import DebitMandate
from lifecrm.billing.tests.test_bankfiles import (  # noqa: F401  fixtures
    EXPORT_DAY,
    _var_dir,
    auto_debit_policy,
    export,
    import_sample,
    org_fixture,
    sent_fixture,
)
from lifecrm.core.actors import SYSTEM
from lifecrm.core.fields import decrypt_bytes
from lifecrm.core.jobs import run_step
from lifecrm.core.models import AuditEvent
from lifecrm.core.selectors import jurisdiction_rule

pytestmark = pytest.mark.django_db
RETENTION_END = date(2036, 11, 17)  # CN: 10 years from the file's business date, 17 Nov 2026


def _stored(pk) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM banking_bankfile WHERE id = %s", [pk])
        return bytes(cursor.fetchone()[0])


@pytest.fixture(name="made")
def made_fixture(org, django_capture_on_commit_callbacks):
    policy = auto_debit_policy(org, name="欧阳娜娜")
    [bank_file] = export(EXPORT_DAY, django_capture_on_commit_callbacks).created
    return bank_file, DebitMandate.objects.get(policy=policy).account_number


def test_no_account_number_in_clear_in_the_database_or_on_disk(made, tmp_path):
    bank_file, account = made
    plain = bytes(BankFile.objects.get(pk=bank_file.pk).content)
    assert account.encode() in plain  # the ORM reads the clear file
    stored = _stored(bank_file.pk)
    assert account.encode() not in stored and "欧阳娜娜".encode() not in stored and b"<?xml" not in stored
    assert decrypt_bytes(stored) == plain
    on_disk = stored_path(bank_file)
    assert on_disk.parent == tmp_path / "bankfiles" / "out"
    assert account.encode() not in on_disk.read_bytes() and decrypt_bytes(on_disk.read_bytes()) == plain
    assert not (tmp_path / "bankfiles" / "out" / bank_file.filename).exists()


def test_bank_file_export_writes_the_clear_file_for_the_transfer_and_audits_it(made, tmp_path):
    bank_file, account = made
    target = tmp_path / "transfer" / bank_file.filename
    call_command("bank-file-export", bank_file.message_id, out=str(target), stdout=open("/dev/null", "w"))
    assert target.read_bytes() == bytes(bank_file.content) and account.encode() in target.read_bytes()
    assert target.stat().st_mode & 0o777 == 0o600
    assert AuditEvent.objects.filter(action="reveal", object_type="banking.bankfile", object_id=str(bank_file.pk),
                                     field="content").count() == 1
    with pytest.raises(CommandError, match="no bank file"):
        call_command("bank-file-export", "LCDD19990101CNY", out=str(target))


def test_an_imported_result_file_is_stored_encrypted(sent):
    report = import_sample("pain002_accept_reject.xml", sent)
    stored = _stored(report.bank_file.pk)
    assert sent["paid"].encode() not in stored and decrypt_bytes(stored) == bytes(report.bank_file.content)


def test_the_retention_is_a_rule_with_its_source():
    for code in ("CN", "HK", "TW"):
        rule = jurisdiction_rule(code, "bank_file_retention")
        assert rule.period.quantity >= 5 and rule.source


@pytest.mark.parametrize(("as_of", "purged"), [
    (date(2036, 11, 16), False),  # the day before the retention's last day
    (RETENTION_END, False),  # its last day: still kept
    (date(2036, 11, 18), True),  # the day after: purged
])
def test_content_is_purged_the_day_after_the_retention_ends(made, as_of, purged, django_capture_on_commit_callbacks):
    bank_file, _ = made
    assert retention_end(bank_file) == RETENTION_END
    with django_capture_on_commit_callbacks(execute=True):
        count = bank_files_purge(as_of=as_of, first_id=bank_file.pk, last_id=bank_file.pk)
    assert count == int(purged)
    row = BankFile.objects.get(pk=bank_file.pk)
    assert (row.content_purged_on is not None) is purged
    assert (bytes(row.content) == b"") is purged
    assert stored_path(bank_file).exists() is not purged
    # what idempotency needs is kept either way
    assert (row.sha256, row.line_count, row.total_amount, row.message_id) == (
        bank_file.sha256, bank_file.line_count, bank_file.total_amount, bank_file.message_id)


def test_the_daily_step_purges_once_and_keeps_the_hash_that_recognises_the_file(made, tmp_path):
    bank_file, _ = made
    plain = bytes(bank_file.content)
    run_step(bank_file_purge_step, as_of=date(2036, 11, 18), progress=False)
    run_step(bank_file_purge_step, as_of=date(2036, 11, 19), progress=False)
    row = BankFile.objects.get(pk=bank_file.pk)
    assert row.content_purged_on == date(2036, 11, 18) and _stored(row.pk) == b""
    assert AuditEvent.objects.filter(object_type="banking.bankfile", object_id=str(row.pk), field="content",
                                     action="update").count() == 1
    with pytest.raises(BankFileRejected, match="our own export"):  # still known by its hash
        bank_file_import(actor=SYSTEM, content=plain, filename="again.xml", as_of=date(2036, 11, 19))
    with pytest.raises(CommandError, match="purged"):
        call_command("bank-file-export", str(row.pk), out=str(tmp_path / "x.xml"))
