"""Every write of bank files: recording a file we made, receiving a bank's file once by its content hash.

These run inside the calling app's service (which checks who may do it and applies what the lines mean to its own
rows); they check the file, not the actor. The one exception is `transfer_status_import`, the single way in of the
status reports on every app's credit transfers: it checks its actor (head office) and hands each report to the app
whose file it answers. Errors: `BankFileRejected` (a bank's file refused whole, saying where
and why), `ExportInvalid` (a file we made fails its own schema: a bug, never sent, nothing recorded).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as N_

from lifecrm.banking import xsd
from lifecrm.banking.errors import BankFileRejected, ExportInvalid
from lifecrm.banking.formats import ParsedResults, camt054, csvfile, pain002
from lifecrm.banking.formats.xmlnav import root_node
from lifecrm.banking.models import BankFile
from lifecrm.banking.storage import write_file
from lifecrm.banking.transfers import transfer_statuses_apply
from lifecrm.org.access import Action, authorize

RESULT_FORMATS = ("auto", "pain.002", "camt.054", "csv")
"""What `--format` of a bank result file may say: `auto` tells XML (by its namespace) from CSV."""

Applied = TypeVar("Applied")


def bank_file_record(*, file_format: str, namespace: str, content: bytes, message_id: str, as_of: date,
                     line_count: int, total_amount: Decimal) -> BankFile:
    """Record a file we made for the bank (`direction` out): checked against its XSD first (`ExportInvalid`, nothing
    recorded), then its row with the content hash; the encrypted copy is written under VAR_DIR/bankfiles/out/ once
    the caller's transaction commits. The caller records its own rows for the file's lines in the same
    transaction."""
    try:
        xsd.check_outgoing(content, namespace)
    except BankFileRejected as exc:
        raise ExportInvalid(f"{message_id} fails {namespace.removeprefix(xsd.ISO)}: {exc}") from exc
    bank_file = BankFile.objects.create(
        direction=BankFile.Direction.OUT, format=file_format, sha256=hashlib.sha256(content).hexdigest(),
        filename=f"{message_id}.xml", message_id=message_id, as_of=as_of, created_at=timezone.now(),
        line_count=line_count, total_amount=total_amount, content=content,
    )
    bank_file_store_on_commit(bank_file)
    return bank_file


def bank_file_store_on_commit(bank_file: BankFile) -> None:
    """(Re)write the encrypted copy of an outgoing file once the transaction commits (a rerun restores a missing
    copy)."""
    transaction.on_commit(lambda: write_file(bank_file))


@dataclass(frozen=True)
class FileHead:
    """What a result file is, read before anything is recorded: its format and, for a pain.002, the message it
    answers. It keeps what reading it took (the content hash, the XSD-valid document, a pain.002's results), so
    `parse_results` and `bank_file_receive` given the head validate and parse the same bytes no second time."""

    format: str  # BankFile.Format value
    original_message_id: str = ""
    sha256: str = field(default="", compare=False, repr=False)
    document: xsd.XmlDocument | None = field(default=None, compare=False, repr=False)  # XML: valid against its XSD
    results: ParsedResults | None = field(default=None, compare=False, repr=False)  # a pain.002's
    requested: str = field(default="auto", compare=False, repr=False)  # the format `file_head` was asked to read

    def describes(self, content: bytes, file_format: str) -> bool:
        """Read from these very bytes, as `file_format` asks (a head of other bytes is never trusted): asked as it
        was read, or it was read as "auto" and `file_format` is the format found. A head read as a format forced
        is not what "auto" would read (an XML file forced to "csv" is read as CSV, unvalidated)."""
        asked = file_format == self.requested or (self.requested == "auto" and file_format == self.format)
        return asked and bool(self.sha256) and self.sha256 == hashlib.sha256(content).hexdigest()


def file_head(content: bytes, file_format: str = "auto") -> FileHead:
    """A result file's format (CSV, or an XML's by its namespace, checked against its XSD) and, for a pain.002,
    the message it answers. BankFileRejected for a file no bank result is."""
    if file_format not in RESULT_FORMATS:
        raise BankFileRejected("", N_("unknown format %(value)r: use one of %(allowed)s"), value=file_format,
                               allowed=", ".join(RESULT_FORMATS))
    digest = hashlib.sha256(content).hexdigest()
    if file_format == "csv" or (file_format == "auto" and not xsd.is_xml(content)):
        return FileHead(BankFile.Format.CSV, sha256=digest, requested=file_format)
    document = xsd.validate(content, expected=None if file_format == "auto" else file_format)
    if document.format != BankFile.Format.PAIN_002:
        return FileHead(document.format, sha256=digest, document=document, requested=file_format)
    results = pain002.parse(root_node(document.root, document.namespace))
    return FileHead(document.format, results.original_message_id, sha256=digest, document=document, results=results,
                    requested=file_format)


def parse_results(content: bytes, file_format: str = "auto", *,
                  ours: Callable[[str | None], bool] | None = None, head: FileHead | None = None) -> ParsedResults:
    """Validate and read a bank's result file (pain.002, camt.054 or CSV); `ours` tells a camt.054 entry of ours
    from someone else's money on the account; `head`: what `file_head` read of these bytes already (not validated
    again). BankFileRejected for anything else."""
    if head is None or not head.describes(content, file_format):
        head = file_head(content, file_format)
    if head.format == BankFile.Format.CSV:
        return csvfile.parse(content)
    if head.format == BankFile.Format.PAIN_008:
        raise BankFileRejected("", N_("this is a pain.008 collection file, not a bank result"))
    if head.format == BankFile.Format.PAIN_001:
        raise BankFileRejected("", N_("this is a pain.001 credit-transfer file, not a bank result"))
    if head.results is not None:
        return head.results
    return camt054.parse(root_node(head.document.root, head.document.namespace), ours=ours)


def bank_file_receive(*, content: bytes, filename: str, as_of: date, apply: Callable[[BankFile, ParsedResults], Applied],
                      file_format: str = "auto", ours: Callable[[str | None], bool] | None = None,
                      head: FileHead | None = None) -> tuple[BankFile, Applied | None]:
    """Receive a bank's result file once: the same bytes a second time return the first BankFile and `None` (nothing
    applied, nothing changed); our own export given back is refused. Otherwise the file is validated
    (`parse_results`; `head`: what `file_head` read of it already, not validated again), recorded and
    `apply(bank_file, parsed)`-ed in one transaction: whatever `apply` raises (BankFileRejected for a bad line)
    leaves nothing written. Returns the file and what `apply` returned."""
    if not content.strip():
        raise BankFileRejected("", N_("the file is empty"))
    digest = hashlib.sha256(content).hexdigest()
    existing = BankFile.objects.defer("content").filter(sha256=digest).first()
    if existing is not None:
        if existing.direction == BankFile.Direction.OUT:
            raise BankFileRejected("", N_("this is our own export %(filename)s, not a bank result"),
                                   filename=existing.filename)
        return existing, None
    parsed = parse_results(content, file_format, ours=ours, head=head)
    try:
        with transaction.atomic():
            bank_file = BankFile.objects.create(
                direction=BankFile.Direction.IN, format=parsed.format, sha256=digest, filename=filename[-200:],
                message_id=parsed.message_id[:35], as_of=as_of, created_at=timezone.now(),
                line_count=len(parsed.lines),
                total_amount=sum((line.amount or Decimal(0) for line in parsed.lines), Decimal(0)),
                content=content,
            )
            applied = apply(bank_file, parsed)
    except IntegrityError:  # the same file imported meanwhile by another process
        existing = BankFile.objects.defer("content").filter(sha256=digest).first()
        if existing is None:
            raise
        return existing, None
    return bank_file, applied


def transfer_status_import(*, actor, content: bytes, filename: str, as_of: date, head: FileHead | None = None
                           ) -> tuple[BankFile, object | None]:
    """Take a bank's status report (pain.002) on one of our credit-transfer files, whichever app made it:
    XSD-checked, recorded once by its content hash (the same file again: the first BankFile and None, nothing
    changed), matched to the pain.001 it answers and applied by the listener of that file's message-id prefix
    (`transfers`: claims' payouts `LCCL`, servicing's payments to owners `LCSV`), whole or not at all. A bank file
    holds the whole company's payments: head office imports it (`Action.IMPORT_BANK_FILE`). `head`: what
    `file_head` read of it already (the bank-file page's routing), not validated again. Returns the file and what
    the listener returned."""
    authorize(actor, Action.IMPORT_BANK_FILE)
    return bank_file_receive(content=content, filename=filename, as_of=as_of, file_format="pain.002",
                             apply=transfer_statuses_apply(as_of=as_of, actor=actor), head=head)
