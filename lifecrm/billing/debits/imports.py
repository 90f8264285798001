"""Importing a bank result file (pain.002, camt.054 or CSV): validated first, then applied whole or not at all.

A file is recorded by its content hash (`banking.services.bank_file_receive`): the same bytes a second time return
the first BankFile and change nothing. Each line is matched to a Collection by its end-to-end reference. Collected →
`payment_record` with natural key `debit:<end-to-end id>` (so a camt.054 confirming a line a pain.002
already accepted books nothing twice) and the Collection paid. Rejected → the Collection rejected
with its reason code and date, then `rejections.on_debit_rejected`; a return of a collection already
paid reverses its payment first. A debit staff declared not collected (`unanswered`) that the bank says
it collected after all is booked like any other. Any unknown reference, wrong currency or amount, or date after the
business date rejects the whole file (BankFileRejected), inside one transaction, so nothing is written.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_noop as N_

from lifecrm.banking import rules as bank_rules
from lifecrm.banking.errors import BankFileRejected
from lifecrm.banking.formats import PAID, PENDING, ParsedResults, ResultLine
from lifecrm.banking.models import BankFile
from lifecrm.banking.selectors import sent_file
from lifecrm.banking.services import RESULT_FORMATS, FileHead, bank_file_receive
from lifecrm.billing.debits import rules
from lifecrm.billing.debits.rejections import on_debit_rejected
from lifecrm.billing.debits.unanswered import declared_not_collected
from lifecrm.billing.models import Collection, Payment
from lifecrm.billing.services import DuplicatePayment, PaymentRefused, payment_record, payment_reverse
from lifecrm.core.actors import on_behalf
from lifecrm.org.access import Action, authorize

FORMATS = RESULT_FORMATS


@dataclass
class ImportReport:
    """What one import did; `already_imported` when the same bytes were imported before."""

    bank_file: BankFile
    already_imported: bool = False
    lines: int = 0
    matched: int = 0
    paid: int = 0
    rejected: Counter = field(default_factory=Counter)  # reason code → lines
    returned: int = 0  # rejects of collections already paid: their payment reversed
    represented: int = 0
    escalated: int = 0
    unchanged: int = 0  # results we already had from an earlier file
    pending: int = 0
    unknown: int = 0  # camt.054 entries that are not our collections
    to_refund: int = 0  # collected for policies that take no premium any more: booked to suspense for refund

    def summary(self) -> str:
        f = self.bank_file
        if self.already_imported:
            return f"{f.filename}: already imported on {timezone.localtime(f.created_at):%Y-%m-%d %H:%M} (bank file #{f.pk})"
        rejected = ", ".join(f"{code or 'no code'} ×{n}" for code, n in sorted(self.rejected.items())) or "none"
        return (f"{f.filename} ({f.format}): {self.lines} lines, {self.matched} matched, {self.paid} paid, "
                f"rejected: {rejected} ({self.represented} to present again, {self.escalated} to reminders, "
                f"{self.returned} payments reversed), {self.unchanged} already known, {self.pending} pending, "
                f"{self.unknown} unknown"
                + (f"; {self.to_refund} collected for policies that take no premium: in suspense to refund"
                   if self.to_refund else ""))


def _group_lines(parsed: ParsedResults) -> list[ResultLine]:
    """pain.002 verdicts on a whole message or PmtInf block, as one line per collection in it."""
    lines = []
    for group in parsed.groups:
        export = sent_file(group.original_message_id)
        if export is None:
            raise BankFileRejected(group.where, N_("unknown original message %(message)s"),
                                   message=group.original_message_id)
        collections = [
            c for c in export.collections.order_by("end_to_end_id")
            if group.payment_information_id in (None, bank_rules.payment_information_id(export.message_id, c.collection_date))
        ]
        if not collections:
            raise BankFileRejected(group.where, N_("unknown payment information %(block)s"),
                                   block=group.payment_information_id)
        lines += [ResultLine(where=group.where, end_to_end_id=c.end_to_end_id, outcome=group.outcome,
                             reason_code=group.reason_code) for c in collections]
    return lines


def _check(line: ResultLine, collection: Collection, as_of: date) -> None:
    currency = collection.due_item.currency
    if line.currency and line.currency != currency:
        raise BankFileRejected(line.where, N_("%(reference)s: currency %(currency)s is not the collection's %(expected)s"),
                               reference=line.end_to_end_id, currency=line.currency, expected=currency)
    if line.amount is not None and line.amount != collection.amount:
        raise BankFileRejected(line.where, N_("%(reference)s: amount %(amount)s is not the collected %(expected)s"),
                               reference=line.end_to_end_id, amount=line.amount, expected=collection.amount)
    if line.value_date and line.value_date > as_of:
        raise BankFileRejected(line.where, N_("%(reference)s: value date %(day)s is after the business date %(as_of)s"),
                               reference=line.end_to_end_id, day=line.value_date, as_of=as_of)


class _Applier:
    def __init__(self, *, bank_file: BankFile, parsed: ParsedResults, as_of: date, actor, report: ImportReport):
        self.bank_file, self.parsed, self.as_of, self.actor, self.report = bank_file, parsed, as_of, actor, report

    def run(self) -> None:
        lines = self.parsed.lines + _group_lines(self.parsed)
        references = {line.end_to_end_id for line in lines if line.end_to_end_id}
        collections = {
            c.end_to_end_id: c
            # locked in key order, as everything else that locks collections (unanswered.py): no deadlock
            for c in Collection.objects.select_for_update(of=("self",)).select_related("due_item")
            .filter(end_to_end_id__in=references).order_by("pk")
        }
        self.report.lines = len(lines)
        for line in lines:
            collection = collections.get(line.end_to_end_id)
            if collection is None:
                if not line.must_match:
                    self.report.unknown += 1
                    continue
                if not line.end_to_end_id:
                    raise BankFileRejected(line.where, N_("no end-to-end reference"))
                raise BankFileRejected(line.where, N_("unknown end-to-end reference %(reference)s"),
                                       reference=line.end_to_end_id)
            self.report.matched += 1
            _check(line, collection, self.as_of)
            if line.outcome == PENDING:
                self.report.pending += 1
            elif line.outcome == PAID:
                self.paid(line, collection)
            else:
                self.rejected(line, collection)

    def paid(self, line: ResultLine, collection: Collection) -> None:
        if collection.status == Collection.Status.PAID:
            self.report.unchanged += 1
            return
        if collection.status == Collection.Status.REJECTED and not declared_not_collected(collection):
            raise BankFileRejected(line.where, N_("%(reference)s was rejected (%(code)s) on %(day)s: a payment for it "
                                                  "needs a manual check"), reference=collection.end_to_end_id,
                                   code=collection.reason_code, day=collection.result_on)
        # else sent, or declared not collected by staff (unanswered.py) and collected after all: the money is booked
        received_on = min(line.value_date or collection.collection_date, self.as_of)
        try:
            payment = payment_record(actor=self.actor, policy_id=collection.due_item.policy_id, amount=collection.amount,
                           method=Payment.Method.AUTO_DEBIT, received_on=received_on,
                           natural_key=f"debit:{collection.end_to_end_id}", as_of=self.as_of,
                           note=f"direct debit {collection.end_to_end_id} ({self.bank_file.filename})"[:200],
                           if_closed="suspense")  # the bank has the money: it is ours to refund, not to refuse
        except DuplicatePayment:
            pass  # already booked from another file of the same collection
        except PaymentRefused as exc:
            raise BankFileRejected(line.where, N_("%(reference)s: %(refusal)s"), reference=collection.end_to_end_id,
                                   refusal=exc) from None
        else:
            self.report.to_refund += payment.refund_due
        self._settle(collection, Collection.Status.PAID, "", received_on)
        self.report.paid += 1

    def rejected(self, line: ResultLine, collection: Collection) -> None:
        if collection.status == Collection.Status.REJECTED and not declared_not_collected(collection):
            self.report.unchanged += 1
            return
        # else sent, or declared not collected by staff (no result file): the bank's own reason replaces ours
        code = line.reason_code
        if collection.status == Collection.Status.PAID:  # a return after settlement (e.g. MD06 refund claim)
            payment = Payment.objects.filter(natural_key=f"debit:{collection.end_to_end_id}", reversed_by__isnull=True).first()
            if payment is not None:
                payment_reverse(actor=self.actor, payment_id=payment.pk, as_of=self.as_of,
                                reason=rules.return_note(collection.end_to_end_id, code))
            self.report.returned += 1
        result_on = min(line.value_date or self.parsed.created_on or self.as_of, self.as_of)
        self._settle(collection, Collection.Status.REJECTED, code, result_on)
        decision = on_debit_rejected(collection, self.as_of)
        self.report.rejected[code] += 1
        if decision.escalate:
            self.report.escalated += 1
        else:
            self.report.represented += 1

    def _settle(self, collection: Collection, status: str, reason_code: str, result_on: date) -> None:
        collection.status, collection.reason_code, collection.result_on = status, reason_code, result_on
        collection.result_file = self.bank_file
        collection.save(update_fields=["status", "reason_code", "result_on", "result_file"])


def bank_file_import(*, content: bytes, filename: str, as_of: date, file_format: str = "auto",
                     actor, head: FileHead | None = None) -> ImportReport:
    """Import one result file whole, or raise BankFileRejected having written nothing.

    A file holds the whole company's debits: head office imports it (`Action.IMPORT_BANK_FILE`), or an operator's
    command (`core.actors.system("bank-import")`). `head`: what `banking.services.file_head` read of the file
    already (the bank-file page routes by it), so it is not validated again."""
    authorize(actor, Action.IMPORT_BANK_FILE)
    actor = on_behalf(actor, Action.IMPORT_BANK_FILE)

    def apply(bank_file: BankFile, parsed: ParsedResults) -> ImportReport:
        report = ImportReport(bank_file)
        _Applier(bank_file=bank_file, parsed=parsed, as_of=as_of, actor=actor, report=report).run()
        return report

    bank_file, report = bank_file_receive(content=content, filename=filename, as_of=as_of, file_format=file_format,
                                          ours=rules.looks_like_ours, apply=apply, head=head)
    return ImportReport(bank_file, already_imported=True) if report is None else report
