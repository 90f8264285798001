"""Bank files' batch steps and hooks, registered when the app loads (`BankingConfig.ready`)."""
from __future__ import annotations

from lifecrm.banking.retention import bank_file_purge_step
from lifecrm.banking.storage import rotate_stored_files
from lifecrm.core.jobs import register_daily_step
from lifecrm.core.keys import register_rotation_hook

# -- files past their jurisdiction's retention (retention.py): content and disk copy purged, row and hash kept
register_daily_step(bank_file_purge_step)

# -- `rotate-keys` re-encrypts the bank files resting encrypted on disk too
register_rotation_hook("banking.bank_files_on_disk", rotate_stored_files)
