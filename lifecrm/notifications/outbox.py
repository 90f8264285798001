"""Outbox folders (settings LIFECRM_SMS_OUTBOX, LIFECRM_LETTER_OUTBOX) and idempotent file writes."""
from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings


def outbox_dir(setting: str, default_name: str) -> Path:
    """The folder named by `setting`, else var/outbox/<default_name>; created when missing."""
    default = Path(getattr(settings, "VAR_DIR", Path.cwd() / "var")) / "outbox" / default_name
    folder = Path(getattr(settings, setting, default))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_atomic(folder: Path, name: str, data: bytes) -> Path:
    """Write `name` whole or not at all (temp file + rename), flushed to disk. The same name again replaces
    the file, so a retried send leaves one file, never two."""
    if "/" in name or name.startswith("."):
        raise ValueError(f"bad outbox file name {name!r}")
    target, tmp = os.path.join(folder, name), os.path.join(folder, f".{name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    return Path(target)

