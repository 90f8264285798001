"""Bank files are personal data (a pain.008 holds every debtor's account number): their content is kept for the
jurisdiction's `bank_file_retention` rule (jurisdiction_rules.json, counted from the file's business date),
then purged by the daily step `banking.bank_file_purge`.

Purging empties `BankFile.content` and deletes the encrypted copy under VAR_DIR/bankfiles/out/; the row stays
with its content hash (a bank result file imported again is still recognised), totals, message id and the
apps' rows pointing at it (billing's collections), and `content_purged_on` says when. The content is kept through the
period's last day (`Period.is_running`) and purged from the day after.

Which jurisdiction's rule: an outgoing pain.008 is per currency (its message id carries it), so the
jurisdiction of that currency; a bank result file, the company's home jurisdiction (LIFECRM_JURISDICTION).
"""
from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction

from lifecrm.banking import rules as bank_rules
from lifecrm.banking.models import BankFile
from lifecrm.banking.storage import stored_path
from lifecrm.core.actors import RUN_DAILY
from lifecrm.core.jobs import chunked_step
from lifecrm.core.models import AuditEvent, Jurisdiction
from lifecrm.core.selectors import jurisdiction_rule
from lifecrm.core.services import audit_record

RULE = "bank_file_retention"


def jurisdiction_by_currency() -> dict[str, str]:
    home = settings.LIFECRM_JURISDICTION
    mapping: dict[str, str] = {}
    for code, currency in Jurisdiction.objects.order_by("code").values_list("code", "currency"):
        if code == home or currency not in mapping:
            mapping[currency] = code
    return mapping


def jurisdiction_of(bank_file: BankFile, by_currency: dict[str, str] | None = None) -> str:
    if bank_file.direction == BankFile.Direction.OUT and bank_file.message_id:
        by_currency = jurisdiction_by_currency() if by_currency is None else by_currency
        return by_currency.get(bank_rules.message_currency(bank_file.message_id), settings.LIFECRM_JURISDICTION)
    return settings.LIFECRM_JURISDICTION


def retention_end(bank_file: BankFile, by_currency: dict[str, str] | None = None) -> date:
    """The last day the file's content is kept."""
    return jurisdiction_rule(jurisdiction_of(bank_file, by_currency), RULE).period.end(bank_file.as_of)


def purge_candidate_ids(as_of: date):
    """Files with content whose business date is at least the shortest retention ago (each decided exactly)."""
    shortest = min(jurisdiction_rule(code, RULE).period.min_days()
                   for code in Jurisdiction.objects.values_list("code", flat=True))
    return (BankFile.objects.filter(content_purged_on__isnull=True, as_of__lte=as_of - timedelta(days=shortest))
            .order_by("pk").values_list("pk", flat=True))


def bank_files_purge(*, as_of: date, first_id: int, last_id: int) -> int:
    """Purge the content of the files in [first_id, last_id] whose retention ended before `as_of`. Returns how
    many were purged; a file already purged is left alone (a rerun changes nothing)."""
    by_currency = jurisdiction_by_currency()
    purged = []
    with transaction.atomic():
        files = (BankFile.objects.select_for_update().defer("content")
                 .filter(pk__gte=first_id, pk__lte=last_id, content_purged_on__isnull=True).order_by("pk"))
        for bank_file in files:
            end = retention_end(bank_file, by_currency)
            if as_of <= end:
                continue
            BankFile.objects.filter(pk=bank_file.pk).update(content=b"", content_purged_on=as_of)
            audit_record(actor=RUN_DAILY, action=AuditEvent.Action.UPDATE, object_type=BankFile._meta.label_lower,
                         object_id=bank_file.pk, field="content", purpose=f"{RULE} ended {end}",
                         before={"content": "kept"}, after={"content_purged_on": as_of.isoformat()})
            purged.append(bank_file)
        for bank_file in purged:
            transaction.on_commit(lambda f=bank_file: stored_path(f).unlink(missing_ok=True))
    return len(purged)


@chunked_step("banking.bank_file_purge", ids=purge_candidate_ids, chunk_size=1000)
def bank_file_purge_step(as_of: date, first_id: int, last_id: int) -> int:
    """Bank files: purge the content (and encrypted disk copy) of files past their jurisdiction's retention."""
    return bank_files_purge(as_of=as_of, first_id=first_id, last_id=last_id)
