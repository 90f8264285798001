"""Every read of bank files the other apps need. The content (encrypted, up to megabytes) is left out unless a
caller needs the file itself.

Bank files hold the whole company's lines: the pages that show them check their own grant (banking's bank-file
pages: management), and these reads are not scoped further.
"""
from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from lifecrm.banking.models import BankFile


def bank_files() -> QuerySet[BankFile]:
    """Every recorded file, newest first, content deferred: the base an app annotates with its own lines."""
    return BankFile.objects.defer("content").order_by("-created_at", "-id")


def bank_file_get(bank_file_id) -> BankFile | None:
    """One file by its id (content deferred), None when there is none or the id is not a number."""
    try:
        return BankFile.objects.defer("content").filter(pk=int(bank_file_id)).first()
    except (TypeError, ValueError):
        return None


def sent_file(message_id: str) -> BankFile | None:
    """Our outgoing file of a message id (what a bank's status report names as its original message)."""
    return (BankFile.objects.defer("content").filter(direction=BankFile.Direction.OUT, message_id=message_id)
            .first())


def files_made(*, file_format: str, as_of: date) -> list[BankFile]:
    """Our outgoing files of one format made on a business date, with their content (a rerun writes a missing
    encrypted copy again)."""
    return list(BankFile.objects.filter(direction=BankFile.Direction.OUT, format=file_format, as_of=as_of)
                .order_by("message_id"))


def latest_sent(*, file_format: str) -> BankFile | None:
    """Our latest outgoing file of a format, with its content."""
    return (BankFile.objects.filter(direction=BankFile.Direction.OUT, format=file_format)
            .order_by("-as_of", "-created_at", "-pk").first())
