"""A bank's result file taken on the bank files page: which app applies it, chosen by what the file answers.

Banking imports no app. A status report (pain.002) on one of our credit transfers (pain.001: claims' `LCCL`,
servicing's `LCSV`) goes to `transfers` (the listener of the file's prefix); any other result file goes to the
importer an app registered for it (`register_result_importer(name, detect, apply)`: billing's direct-debit
results, at its ready()). Head office imports (`Action.IMPORT_BANK_FILE`: a file holds the whole company's lines);
the file is taken once by its content hash and applied whole or not at all, as every result file.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_noop as N_

from lifecrm.banking.errors import BankFileRejected
from lifecrm.banking.models import BankFile
from lifecrm.banking.selectors import sent_file
from lifecrm.banking.services import FileHead, bank_file_receive, file_head, transfer_status_import
from lifecrm.core.actors import on_behalf
from lifecrm.org.access import Action, authorize


@dataclass(frozen=True)
class ImportDone:
    """What an import did, for the page: the file, whether it was known already, and the importer's own report
    (`template` rendered with `context` below the page's header; none: the file's figures only)."""

    bank_file: BankFile
    already_imported: bool
    template: str = ""
    context: dict = field(default_factory=dict)


Detect = Callable[[FileHead], bool]
Apply = Callable[..., ImportDone]
"""`apply(content=bytes, filename=str, as_of=date, file_format=str, actor=…, head=FileHead)` → ImportDone, or
BankFileRejected having written nothing (the actor was authorized by the page's service and stands for the
importer's audit; `head` is what `file_head` read of the file, for `bank_file_receive`: not validated again)."""


@dataclass(frozen=True, slots=True)
class _Importer:
    name: str
    detect: Detect
    apply: Apply


_importers: dict[str, _Importer] = {}


def register_result_importer(name: str, detect: Detect, apply: Apply) -> None:
    """Register the app that applies the result files `detect` recognises (asked in the order of registration)."""
    if name in _importers and (_importers[name].detect, _importers[name].apply) != (detect, apply):
        raise ValueError(f"a result importer {name!r} is registered already")
    _importers[name] = _Importer(name, detect, apply)


def result_importers() -> dict[str, _Importer]:
    return dict(_importers)


def answers_a_transfer(head: FileHead) -> bool:
    """A status report on one of our credit-transfer files (pain.001)."""
    if head.format != BankFile.Format.PAIN_002 or not head.original_message_id:
        return False
    original = sent_file(head.original_message_id)
    return original is not None and original.format == BankFile.Format.PAIN_001


def _nobody_takes(bank_file: BankFile, parsed) -> None:
    raise BankFileRejected("", N_("no app takes this file: it answers none of our files"))


def result_file_import(*, actor, content: bytes, filename: str, as_of: date, file_format: str = "auto"
                       ) -> ImportDone:
    """Import a bank's result file from the bank files page, whole or not at all (BankFileRejected: nothing
    written): a status report on our credit transfers through `transfers`, anything else through the app whose
    importer recognises it. The same file again changes nothing."""
    authorize(actor, Action.IMPORT_BANK_FILE)
    actor = on_behalf(actor, Action.IMPORT_BANK_FILE)
    if not content.strip():
        raise BankFileRejected("", N_("the file is empty"))
    head = file_head(content, file_format)  # validated and read once: handed down, not validated again
    if answers_a_transfer(head):
        bank_file, applied = transfer_status_import(actor=actor, content=content, filename=filename, as_of=as_of,
                                                    head=head)
        return ImportDone(bank_file, already_imported=applied is None)
    importer = next((i for i in _importers.values() if i.detect(head)), None)
    if importer is not None:
        return importer.apply(content=content, filename=filename, as_of=as_of, file_format=file_format, actor=actor,
                              head=head)
    # nobody's: still refused as the bank's file it is not (our own export, a pain.008…), else as nobody's
    bank_file, _ = bank_file_receive(content=content, filename=filename, as_of=as_of, file_format=file_format,
                                     apply=_nobody_takes, head=head)
    return ImportDone(bank_file, already_imported=True)
