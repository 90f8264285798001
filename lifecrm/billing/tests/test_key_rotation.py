"""`lifecrm rotate-keys`: every encrypted field and stored bank file re-encrypted under the first key, resumable
and idempotent; `--hash` recomputes the keyed hashes while lookups try every key."""
from datetime import date
from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection

from lifecrm.banking.models import BankFile
from lifecrm.banking.storage import stored_path
from lifecrm.billing.models import DebitMandate
from lifecrm.billing.tests.test_bankfile_privacy import made_fixture  # noqa: F401  fixtures
from lifecrm.billing.tests.test_bankfiles import _var_dir, org_fixture  # noqa: F401  fixtures
from lifecrm.core.fields import keyed_hash
from lifecrm.core.jobs import _open_run, run_chunk
from lifecrm.core.keys import fingerprint, rotation_steps
from lifecrm.core.models import JobChunk, JobRun
from lifecrm.org.rules import DataScope, ScopeKind
from lifecrm.parties.models import Customer
from lifecrm.parties.selectors import customer_search
from tests.factories import make_customer

pytestmark = pytest.mark.django_db
NEW_KEY = Fernet.generate_key().decode()


def _raw(table, column, pk) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        value = cursor.fetchone()[0]
    return value.encode() if isinstance(value, str) else bytes(value)


def _under(key: str, token: bytes) -> bool:
    try:
        Fernet(key.encode()).decrypt(token)
    except InvalidToken:
        return False
    return True


def _rotate(*args, as_of="2026-12-01") -> str:
    out = StringIO()
    call_command("rotate-keys", *args, as_of=as_of, no_progress=True, stdout=out)
    return out.getvalue()


def test_rotation_re_encrypts_fields_and_bank_files_under_the_new_first_key(made, settings):
    bank_file, account = made
    mandate = DebitMandate.objects.get()
    customer = Customer.objects.get()
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, old_key]
    assert Customer.objects.get().id_number == customer.id_number  # readable under either key meanwhile

    report = _rotate()
    assert "core.rotate_keys.parties_customer: 1 rewritten" in report
    assert "core.rotate_keys.billing_debitmandate: 1 rewritten" in report
    assert "core.rotate_keys.banking_bankfile: 1 rewritten" in report
    assert "banking.bank_files_on_disk: 1 rewritten" in report
    for table, column, pk in [("parties_customer", "id_number", customer.pk),
                              ("billing_debitmandate", "account_number", mandate.pk),
                              ("banking_bankfile", "content", bank_file.pk)]:
        assert _under(NEW_KEY, _raw(table, column, pk)) and not _under(old_key, _raw(table, column, pk))
    assert _under(NEW_KEY, stored_path(bank_file).read_bytes())

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key retired: everything still reads
    assert Customer.objects.get().id_number == customer.id_number
    assert DebitMandate.objects.get().account_number == account
    assert bytes(BankFile.objects.get(pk=bank_file.pk).content) == bytes(bank_file.content)

    again = _rotate(as_of="2026-12-02")  # idempotent: nothing left under an old key
    assert "rewritten" in again and all(line.endswith(": 0 rewritten") for line in again.splitlines())


def test_a_killed_rotation_resumes_where_it_stopped(made, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, old_key]
    settings.LIFECRM_JOB_CHUNK_SIZE = 1
    customers = [Customer.objects.get()]
    customers += [make_customer(branch=customers[0].branch) for _ in range(2)]
    [step] = [s for s in rotation_steps() if s.name == "core.rotate_keys.parties_customer"]
    run = _open_run(step, date(2026, 12, 1), f"key:{fingerprint(NEW_KEY)}")
    first = run.chunks.order_by("index").first()
    run_chunk(first.pk)  # the run is killed after its first chunk
    done_at = JobChunk.objects.get(pk=first.pk).done_at

    _rotate()
    run.refresh_from_db()
    assert run.status == JobRun.Status.DONE and run.chunk_count == 3
    assert JobChunk.objects.get(pk=first.pk).done_at == done_at  # not done twice
    assert all(_under(NEW_KEY, _raw("parties_customer", "id_number", c.pk)) for c in customers)


def test_hash_rotation_recomputes_digests_and_lookups_try_every_key_meanwhile(made, settings):
    customer = Customer.objects.get()
    scope = DataScope(ScopeKind.ALL)
    old = settings.FIELD_HASH_KEYS[0]
    settings.FIELD_HASH_KEYS = ["next-hash-key", old]
    assert customer.id_number_digest != keyed_hash(customer.id_number)  # stored under the old key
    assert customer_search(scope=scope, query=customer.id_number) == [customer]  # found through the old key

    assert "1 rewritten" in _rotate("--hash")
    customer.refresh_from_db()
    assert customer.id_number_digest == keyed_hash(customer.id_number)
    settings.FIELD_HASH_KEYS = ["next-hash-key"]
    assert customer_search(scope=scope, query=customer.id_number) == [customer]
    assert "0 rewritten" in _rotate("--hash", as_of="2026-12-02")
