"""The bank file table moved from billing to banking with its rows (issue 17 §1): migrating an existing database
forwards keeps every file, its encrypted content and the collections' foreign keys (SQLite and PostgreSQL)."""
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from lifecrm.banking.models import BankFile
from lifecrm.billing.debits.imports import bank_file_import
from lifecrm.billing.models import Collection
from lifecrm.billing.tests.test_bankfiles import (  # noqa: F401  fixtures
    DUE,
    EXPORT_DAY,
    _var_dir,
    auto_debit_policy,
    e2e,
    export,
    org_fixture,
)
from lifecrm.core.actors import SYSTEM

BEFORE = [("billing", "0016_ledger_difference"), ("banking", None)]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets if targets else executor.loader.graph.leaf_nodes())


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


@pytest.mark.django_db(transaction=True)
def test_an_existing_database_migrates_forwards_keeping_the_files_and_the_collections(
        org, django_capture_on_commit_callbacks):
    policy = auto_debit_policy(org)
    [sent] = export(EXPORT_DAY, django_capture_on_commit_callbacks).created
    result = f"end_to_end_id,status,amount,currency,value_date,reason_code\n{e2e(policy)},paid,120.50,CNY,{DUE},\n"
    received = bank_file_import(content=result.encode(), filename="results.csv", as_of=DUE, actor=SYSTEM).bank_file
    contents = {f.pk: bytes(f.content) for f in BankFile.objects.all()}
    try:
        _migrate(BEFORE)
        assert "billing_bankfile" in _tables() and "banking_bankfile" not in _tables()
        assert ContentType.objects.using("default").filter(app_label="billing", model="bankfile").exists()
    finally:
        _migrate(None)
    ContentType.objects.clear_cache()

    assert "banking_bankfile" in _tables() and "billing_bankfile" not in _tables()
    assert ContentType.objects.get_for_model(BankFile).app_label == "banking"
    assert not ContentType.objects.filter(app_label="billing", model="bankfile").exists()
    assert {f.pk: bytes(f.content) for f in BankFile.objects.all()} == contents  # still decrypts, same bytes
    collection = Collection.objects.select_related("export_file", "result_file").get()
    assert (collection.export_file, collection.result_file, collection.status) == (sent, received, "paid")
    assert list(sent.collections.all()) == [collection] and list(received.results.all()) == [collection]
    with pytest.raises(ProtectedError):
        sent.delete()
    with pytest.raises(IntegrityError), transaction.atomic():  # the database's foreign key follows the rename
        with connection.cursor() as cursor:
            cursor.execute("UPDATE billing_collection SET export_file_id = %s", [max(contents) + 1000])
    # new rows get the next key (PostgreSQL's identity sequence survived the rename)
    new = BankFile.objects.create(direction="in", format="csv", sha256="f" * 64, filename="new.csv", as_of=DUE,
                                  created_at=timezone.now(), content=b"new")
    assert new.pk > max(contents)
