"""`lifecrm rotate-keys [--hash]`: re-encrypt every encrypted field and stored bank file under the first key of
LIFECRM_FIELD_KEYS, or (`--hash`) recompute every keyed hash under the first key of LIFECRM_HASH_KEYS.

Chunked and resumable (a JobRun per table, keyed by the new key's fingerprint: run it again after a failure
and it continues), idempotent (values already under the first key are not rewritten), with a progress bar.
docs/operations.md, "Keys", gives the order of steps.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from lifecrm.core.actors import system
from lifecrm.core.commands import parse_date
from lifecrm.core.keys import rotate_hashes, rotate_keys
from lifecrm.core.models import AuditEvent
from lifecrm.core.services import audit_record


class Command(BaseCommand):
    help = ("Re-encrypt every encrypted value under the first field key (resumable); with --hash, recompute the "
            "keyed hashes under the first hash key.")

    def add_arguments(self, parser):
        parser.add_argument("--hash", action="store_true", help="recompute the keyed hashes instead")
        parser.add_argument("--as-of", help="the run's date, YYYY-MM-DD (default today): a rerun the same day "
                                            "resumes the same run")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, hash: bool, as_of: str | None, no_progress: bool, **options):
        day = parse_date(as_of, "--as-of") if as_of else timezone.localdate()
        report = (rotate_hashes if hash else rotate_keys)(as_of=day, progress=not no_progress)
        for name, count in [*report.rows.items(), *report.files.items()]:
            self.stdout.write(f"{name}: {count} rewritten")
        audit_record(actor=system("rotate-keys"), action=AuditEvent.Action.UPDATE, object_type="core.keys",
                     object_id="hash" if hash else "field", purpose="rotate-keys",
                     after={"rewritten": {**report.rows, **report.files}})
