"""The day's direct-debit export: auto-debit premiums to present, one pain.008 file per business date and currency.

A premium is presented when its policy pays by auto-debit (current PolicyVersion), has an active
mandate, is premium-paying (in force, grace, reinstated), and `rules.next_attempt` says so; it goes
into the file of the day that is `rules.EXPORT_LEAD_WORKING_DAYS` working days before its collection
date. The file (validated against its XSD), its BankFile row (`banking.services.bank_file_record`) and one
Collection per line are recorded in one transaction; the file is written to VAR_DIR/bankfiles/out/ once that
commits, encrypted like its content column (`banking.storage`; `lifecrm bank-file-export` gives the clear file for
the bank transfer). The message id
is the business date and currency, so a rerun for the same date finds the file and adds nothing.

The due items are read, not locked. Two exports for one date never both record (the job chunk's row
lock, then each collection's unique end-to-end reference); a counter payment booked while the file is
made is like one booked just after it (the bank's collection then goes to suspense, to be refunded);
and the reminder ladder, which runs beside the export and updates its bookmarks on the same due items,
is never kept waiting.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from lifecrm.banking import rules as bank_rules
from lifecrm.banking import xsd
from lifecrm.banking.creditors import creditor_for
from lifecrm.banking.formats import pain008
from lifecrm.banking.models import BankFile
from lifecrm.banking.selectors import files_made
from lifecrm.banking.services import bank_file_record, bank_file_store_on_commit
from lifecrm.billing.debits import rules
from lifecrm.billing.models import Collection, DebitMandate, DueItem
from lifecrm.core.bulk import insert_rows
from lifecrm.core.jobs import chunked_step
from lifecrm.core.models import Jurisdiction
from lifecrm.core.selectors import working_calendar
from lifecrm.policies.models import PaymentMethod, PolicyVersion
from lifecrm.policies.rules import PREMIUM_PAYING


@dataclass
class ExportResult:
    as_of: date
    created: list[BankFile] = field(default_factory=list)
    existing: list[BankFile] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return sum(f.line_count for f in self.created)

    def summary(self) -> str:
        if not self.created and not self.existing:
            return f"{self.as_of}: nothing to collect"
        parts = [f"{f.filename}: {f.line_count} lines, total {f.total_amount}" for f in self.created]
        parts += [f"{f.filename}: already made ({f.line_count} lines)" for f in self.existing]
        return f"{self.as_of}: " + "; ".join(parts)


@dataclass(frozen=True)
class _Pick:
    item: DueItem
    mandate: DebitMandate
    attempt: int
    collection_date: date


def _last_due_in_window(as_of: date) -> date:
    """No premium due after this date is in today's export window, whatever its jurisdiction: its
    collection date is at least its due date, and the window ends EXPORT_LEAD_WORKING_DAYS working days on."""
    return max(rules.window_end(as_of=as_of, calendar=working_calendar(code))
               for code in Jurisdiction.objects.values_list("code", flat=True))


def _picks(as_of: date) -> list[_Pick]:
    auto_debit_now = PolicyVersion.objects.filter(
        policy_id=OuterRef("policy_id"), effective_to__isnull=True, payment_method=PaymentMethod.AUTO_DEBIT
    )
    active_mandate = DebitMandate.objects.filter(
        policy_id=OuterRef("policy_id"), cancelled_on__isnull=True, signed_on__lte=as_of
    )
    # Presented and not rejected (sent, or paid): never presented again (rules.next_attempt).
    presented = Collection.objects.filter(due_item=OuterRef("pk")).exclude(status=Collection.Status.REJECTED)
    items = list(
        DueItem.objects
        .filter(kind=DueItem.Kind.PREMIUM, status=DueItem.Status.OPEN, policy__status__in=PREMIUM_PAYING,
                due_date__lte=_last_due_in_window(as_of))
        .filter(Exists(auto_debit_now), Exists(active_mandate), ~Exists(presented))
        .select_related("policy")
        .only(*(f.attname for f in DueItem._meta.concrete_fields), "policy__number", "policy__jurisdiction_id")
        .order_by("pk")
    )
    policy_ids = {i.policy_id for i in items}
    mandates = {
        m.policy_id: m
        for m in DebitMandate.objects.filter(policy_id__any=policy_ids, cancelled_on__isnull=True, signed_on__lte=as_of)
    }
    history = defaultdict(list)
    for due_item_id, *attempt in Collection.objects.filter(
            due_item__any=[i.pk for i in items if i.policy_id in mandates]).values_list(
            "due_item_id", "attempt", "status", "reason_code", "result_on", "mandate_id"):
        history[due_item_id].append(rules.PastAttempt(*attempt))
    picks = []
    for item in items:
        mandate = mandates.get(item.policy_id)
        if mandate is None:
            continue
        calendar = working_calendar(item.policy.jurisdiction_id)
        attempt = rules.next_attempt(history=history[item.pk], mandate_id=mandate.pk, as_of=as_of, calendar=calendar)
        if attempt is None:
            continue
        collection_date = rules.requested_collection_date(due=item.due_date, as_of=as_of, calendar=calendar)
        if rules.in_export_window(collection_date=collection_date, as_of=as_of, calendar=calendar):
            picks.append(_Pick(item, mandate, attempt, collection_date))
    return picks


def _line(pick: _Pick) -> pain008.DebitLine:
    item, mandate = pick.item, pick.mandate
    return pain008.DebitLine(
        end_to_end_id=rules.end_to_end_id(item.pk, pick.attempt), amount=item.outstanding, currency=item.currency,
        collection_date=pick.collection_date, mandate_reference=mandate.reference,
        mandate_signed_on=mandate.signed_on, debtor_name=mandate.debtor_name,
        debtor_account=mandate.account_number, debtor_bank_code=mandate.bank_code,
        jurisdiction=item.policy.jurisdiction_id,
        remittance=f"保费 {item.policy.number} 第{item.instalment}期 {item.due_date}",
    )


def _record(as_of: date, currency: str, picks: list[_Pick], part: int) -> BankFile:
    message = rules.message_id(as_of, currency, part)
    lines = [_line(p) for p in picks]
    content = pain008.build(message_id=message, created_at=timezone.localtime(), creditor=creditor_for(currency),
                            lines=lines)
    bank_file = bank_file_record(file_format=BankFile.Format.PAIN_008, namespace=xsd.PAIN_008, content=content,
                                 message_id=message, as_of=as_of, line_count=len(lines),
                                 total_amount=sum((line.amount for line in lines), Decimal(0)))
    insert_rows(Collection, [
        {"due_item_id": p.item.pk, "mandate_id": p.mandate.pk, "end_to_end_id": line.end_to_end_id,
         "attempt": p.attempt, "amount": line.amount, "collection_date": p.collection_date,
         "export_file_id": bank_file.pk}
        for p, line in zip(picks, lines, strict=True)
    ])
    return bank_file


def debit_export(*, as_of: date) -> ExportResult:
    """Make the business date's pain.008 files (per currency, in parts of MAX_LINES_PER_FILE lines); a second
    run for the date adds nothing."""
    result = ExportResult(as_of)
    with transaction.atomic():
        by_currency: dict[str, list[_Pick]] = defaultdict(list)
        for pick in _picks(as_of):
            by_currency[pick.item.currency].append(pick)
        made_today = {f.message_id: f for f in files_made(file_format=BankFile.Format.PAIN_008, as_of=as_of)}
        for currency in sorted(set(by_currency) | {bank_rules.message_currency(m) for m in made_today}):
            existing = [f for m, f in sorted(made_today.items()) if bank_rules.message_currency(m) == currency]
            if existing:  # today's files are made: what became due since waits for the next one
                result.existing.extend(existing)
                continue
            picks = by_currency[currency]
            for part, start in enumerate(range(0, len(picks), rules.MAX_LINES_PER_FILE), start=1):
                result.created.append(_record(as_of, currency, picks[start:start + rules.MAX_LINES_PER_FILE], part))
        for bank_file in result.existing:  # a rerun writes a missing copy again (`bank_file_record` did the new ones)
            bank_file_store_on_commit(bank_file)
    return result


@chunked_step("billing.debit_export", ids=lambda as_of: (1,), chunk_size=1)
def debit_export_step(as_of: date, first_id: int, last_id: int) -> int:
    """Direct debits: the business date's pain.008 files (one per currency), one Collection per line."""
    return debit_export(as_of=as_of).lines
