"""What the bank-file pages show of the files themselves, in a fixed number of queries; what a file's lines did
is the apps' (`banking.sections`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.apps import apps
from django.http import Http404

from lifecrm.banking import rules as bank_rules
from lifecrm.banking.models import BankFile
from lifecrm.banking.retention import jurisdiction_by_currency, retention_end
from lifecrm.banking.selectors import bank_file_get, bank_files

RECENT_FILES = 50


@dataclass(frozen=True)
class FileRow:
    bank_file: BankFile
    direction_label: str
    format_label: str
    app_label: str  # the app whose message id it is ("" for a bank's file)
    kept_until: date | None  # the content's retention end; None once purged


def _app_name(message_id: str) -> str:
    label = bank_rules.message_app(message_id)
    return str(apps.get_app_config(label).verbose_name) if label and apps.is_installed(f"lifecrm.{label}") else ""


def _row(bank_file: BankFile, by_currency: dict[str, str]) -> FileRow:
    return FileRow(
        bank_file=bank_file, direction_label=str(BankFile.Direction(bank_file.direction).label),
        format_label=str(dict(BankFile.Format.choices).get(bank_file.format, bank_file.format)),
        app_label=_app_name(bank_file.message_id),
        kept_until=None if bank_file.content_purged_on else retention_end(bank_file, by_currency),
    )


def row_of(bank_file: BankFile) -> FileRow:
    return _row(bank_file, jurisdiction_by_currency())


def recent_files(*, limit: int = RECENT_FILES) -> list[FileRow]:
    """Every app's latest files, ours and the banks', newest first (two queries: the files, the currencies)."""
    files = list(bank_files()[:limit])
    by_currency = jurisdiction_by_currency()
    return [_row(f, by_currency) for f in files]


def file_row(bank_file_id) -> FileRow:
    """One file as the page shows it; 404 for an unknown file."""
    bank_file = bank_file_get(bank_file_id)
    if bank_file is None:
        raise Http404("no such bank file")
    return row_of(bank_file)
