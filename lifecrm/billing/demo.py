"""What `lifecrm demo-setup` adds to a new demo book so that every collection page shows something real.

After the book's first daily batch, through the ordinary services (receipts, audit, suspense accounts):
money paid ahead, money to refund (a transfer for a lapsed policy) and money to recover (a refunded cheque that
bounced) on the *Money in suspense* page; and the bank's status report (pain.002) on the demo's latest debit
export, written under VAR_DIR/bankfiles/demo/ for staff to try the import with (most debits accepted, a few
rejected for each kind of reason).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from lxml.etree import Element, SubElement, tostring  # building, not parsing

from lifecrm.banking import rules as bank_rules
from lifecrm.banking import xsd
from lifecrm.banking.models import BankFile
from lifecrm.banking.selectors import latest_sent
from lifecrm.billing.models import DueItem, Payment
from lifecrm.billing.rules import TAKES_PREMIUMS
from lifecrm.billing.services import payment_record, payment_reverse, suspense_refund
from lifecrm.core.actors import DEMO_SETUP
from lifecrm.core.registries import demo_steps
from lifecrm.policies.models import Policy, PolicyVersion
from lifecrm.policies.rules import Status

PAIN_002 = f"{xsd.ISO}pain.002.001.03"
NS = "{" + PAIN_002 + "}"
# Every REJECT_EVERY-th line of the status report is rejected, the reasons taken in turn: one presented again
# (insufficient funds), two handed to the reminders (account closed, no mandate).
REJECT_EVERY = 5
REJECT_REASONS = ("AM04", "AC04", "MD01")


def result_dir() -> Path:
    return Path(settings.VAR_DIR) / "bankfiles" / "demo"


@demo_steps.register("billing.demo")
def add_demo_collection_cases(*, as_of: date) -> list[str]:
    """Money in suspense of each kind and a bank result file for the latest debit export; lines to print."""
    lines = _suspense_cases(as_of)
    lines.append(_write_result_file(as_of))
    return lines


def _modal_premium(policy: Policy) -> Decimal:
    return (PolicyVersion.objects.filter(policy=policy, effective_to__isnull=True)
            .values_list("modal_premium", flat=True).first() or Decimal("100.00"))


@transaction.atomic
def _suspense_cases(as_of: date) -> list[str]:
    open_items = DueItem.objects.filter(status=DueItem.Status.OPEN).values("policy_id")
    ahead = (Policy.objects.filter(status=Status.IN_FORCE, issue_date__lt=as_of).exclude(pk__in=open_items)
             .order_by("pk").first())
    closed = list(Policy.objects.exclude(status__in=TAKES_PREMIUMS).filter(issue_date__lt=as_of).order_by("pk")[:2])
    lines = []
    if ahead is not None:
        payment = payment_record(actor=DEMO_SETUP, policy_id=ahead.pk, amount=_modal_premium(ahead),
                                 method=Payment.Method.BANK_TRANSFER, received_on=as_of,
                                 natural_key=f"demo:paid-ahead:{ahead.pk}", as_of=as_of,
                                 note="demo: the next premium paid ahead")
        lines.append(f"paid ahead: {payment.amount} {payment.currency} for policy {ahead.number}")
    if len(closed) == 2:
        refund_due, to_recover = closed
        payment = payment_record(actor=DEMO_SETUP, policy_id=refund_due.pk, amount=_modal_premium(refund_due),
                                 method=Payment.Method.BANK_TRANSFER, received_on=as_of,
                                 natural_key=f"demo:after-end:{refund_due.pk}", as_of=as_of, if_closed="suspense",
                                 note="demo: a standing order the payer forgot to cancel")
        lines.append(f"to refund: {payment.amount} {payment.currency} for policy {refund_due.number} "
                     f"({refund_due.get_status_display()})")
        cheque = payment_record(actor=DEMO_SETUP, policy_id=to_recover.pk, amount=_modal_premium(to_recover),
                                method=Payment.Method.CHEQUE, received_on=as_of,
                                natural_key=f"demo:cheque:{to_recover.pk}", as_of=as_of, if_closed="suspense",
                                note="demo: a cheque for a policy that takes no premium")
        suspense_refund(actor=DEMO_SETUP, policy_id=to_recover.pk, amount=cheque.amount,
                        method=Payment.Method.BANK_TRANSFER, reference=f"DEMO-REFUND-{to_recover.pk}",
                        reason="demo: paid back to the payer", as_of=as_of)
        payment_reverse(actor=DEMO_SETUP, payment_id=cheque.pk, reason="demo: the cheque bounced after the refund",
                        as_of=as_of)
        lines.append(f"to recover: {cheque.amount} {cheque.currency} from the payer of policy {to_recover.number}")
    return lines


def _write_result_file(as_of: date) -> str:
    export = latest_sent(file_format=BankFile.Format.PAIN_008)
    if export is None:
        return "no debit export to answer: no bank result file written"
    content = status_report(export, as_of=as_of)
    target = result_dir() / f"{export.message_id}-status.xml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return f"bank result file for {export.filename}: {target}"


def status_report(export: BankFile, *, as_of: date) -> bytes:
    """The bank's pain.002 status report on one of our pain.008 files, given on `as_of`: every REJECT_EVERY-th line
    rejected (REJECT_REASONS in turn), the others accepted for collection on their date. Schema-valid."""
    collections = list(export.collections.select_related("due_item").order_by("collection_date", "end_to_end_id"))
    rejected = {c.pk: REJECT_REASONS[n % len(REJECT_REASONS)]
                for n, c in enumerate(collections[1::REJECT_EVERY])}
    document = Element(NS + "Document", nsmap={None: PAIN_002})
    report = SubElement(document, NS + "CstmrPmtStsRpt")
    header = SubElement(report, NS + "GrpHdr")
    _text(header, "MsgId", f"DEMO-PSR-{export.message_id}"[:35])
    _text(header, "CreDtTm", f"{as_of.isoformat()}T18:00:00+08:00")
    group = SubElement(report, NS + "OrgnlGrpInfAndSts")
    _text(group, "OrgnlMsgId", export.message_id)
    _text(group, "OrgnlMsgNmId", "pain.008.001.08")
    _text(group, "GrpSts", "PART" if rejected else "ACCP")
    block = None
    for collection in collections:
        pmt_inf_id = bank_rules.payment_information_id(export.message_id, collection.collection_date)
        if block is None or block.findtext(NS + "OrgnlPmtInfId") != pmt_inf_id:
            block = SubElement(report, NS + "OrgnlPmtInfAndSts")
            _text(block, "OrgnlPmtInfId", pmt_inf_id)
        tx = SubElement(block, NS + "TxInfAndSts")
        _text(tx, "OrgnlEndToEndId", collection.end_to_end_id)
        reason = rejected.get(collection.pk)
        _text(tx, "TxSts", "RJCT" if reason else "ACCP")
        if reason:
            _text(SubElement(SubElement(tx, NS + "StsRsnInf"), NS + "Rsn"), "Cd", reason)
        else:  # accepted today, debited on the collection date: the day the bank accepted is the result's date
            _text(tx, "AccptncDtTm", f"{as_of.isoformat()}T17:00:00+08:00")
        amount = SubElement(SubElement(tx, NS + "OrgnlTxRef"), NS + "Amt")
        _text(amount, "InstdAmt", f"{collection.amount:.2f}").set("Ccy", collection.due_item.currency)
    content = tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    xsd.validate(content, expected="pain.002")
    return content


def _text(parent: Element, tag: str, value: str) -> Element:
    node = SubElement(parent, NS + tag)
    node.text = value
    return node
