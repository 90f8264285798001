"""`lifecrm bank-file-export ID|MESSAGE_ID|FILENAME --out FILE`: a recorded bank file in clear, for the bank transfer.

Bank files rest encrypted (the `content` column and VAR_DIR/bankfiles/out/*.fernet); this is the one way out in
clear. The file is written readable by its owner only (0600); send it and delete it (docs/operations.md).
"""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from lifecrm.banking.models import BankFile
from lifecrm.banking.storage import write_plain
from lifecrm.core.actors import system
from lifecrm.core.models import AuditEvent
from lifecrm.core.services import audit_record


class Command(BaseCommand):
    help = "Write one recorded bank file (by id, message id or file name) in clear to --out, for the bank transfer."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the bank file's id, message id or file name")
        parser.add_argument("--out", required=True, help="where to write the clear file")

    def handle(self, *args, file, out, **options):
        match = Q(message_id=file) | Q(filename=file)
        if file.isdigit():
            match |= Q(pk=int(file))
        found = list(BankFile.objects.filter(match)[:2])
        if not found:
            raise CommandError(f"no bank file {file!r} (give its id, message id or file name)")
        if len(found) > 1:
            raise CommandError(f"{file!r} names more than one bank file: give its id")
        bank_file = found[0]
        try:
            target = write_plain(bank_file, Path(out))
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        audit_record(actor=system("bank-file-export"), action=AuditEvent.Action.REVEAL, object_type=BankFile._meta.label_lower,
                     object_id=bank_file.pk, field="content", purpose=f"bank transfer: written to {target}")
        self.stdout.write(f"{bank_file.filename}: {bank_file.line_count} lines, total {bank_file.total_amount} "
                          f"-> {target}")
