"""Bank files on disk: every file we make rests under VAR_DIR/bankfiles/out/, encrypted like its content column.

The copy on disk is a Fernet token under the field keys (`core.fields`), never the clear file; the clear file for
the bank's transfer comes only from `lifecrm bank-file-export` (`write_plain`, audited). `rotate_stored_files` is
the `rotate-keys` hook for these copies; `retention` deletes them with the content once the retention has run.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.conf import settings

from lifecrm.banking.models import BankFile
from lifecrm.core.fields import decrypt_bytes, encrypt_bytes, is_current_token, rotate_token


def out_dir() -> Path:
    return Path(settings.VAR_DIR) / "bankfiles" / "out"


ENCRYPTED_SUFFIX = ".fernet"


def stored_path(bank_file: BankFile) -> Path:
    """Where the file rests on disk: encrypted (a Fernet token under the field keys), never in clear. The clear
    file for the bank's transfer comes from `lifecrm bank-file-export` (`write_plain`)."""
    return out_dir() / (bank_file.filename + ENCRYPTED_SUFFIX)


def write_file(bank_file: BankFile) -> Path | None:
    """Write (or rewrite, if missing or different) the recorded content to the out folder, encrypted and
    atomically; nothing for a file whose content was purged after its retention."""
    if bank_file.content_purged_on is not None:
        return None
    content = bytes(bank_file.content)
    target = stored_path(bank_file)
    if target.exists():
        try:
            if hashlib.sha256(decrypt_bytes(target.read_bytes())).hexdigest() == bank_file.sha256:
                return target
        except ValueError:  # unreadable (a retired key, a torn write): written again below
            pass
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(encrypt_bytes(content))
    os.replace(partial, target)
    return target


def write_plain(bank_file: BankFile, target: Path) -> Path:
    """The file in clear at `target`, for the bank transfer (`lifecrm bank-file-export`), readable by its owner
    only; refused for a purged file."""
    if bank_file.content_purged_on is not None:
        raise ValueError(f"the content of {bank_file.filename} was purged on {bank_file.content_purged_on} "
                         "after its retention period")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(bytes(bank_file.content))
    os.replace(partial, target)
    return target


def rotate_stored_files() -> int:
    """`rotate-keys`: re-encrypt the files under out/ still under an older key with the first one (atomically;
    a file already under the first key is left as it is). Returns how many were rewritten."""
    rewritten = 0
    for path in sorted(out_dir().glob("*" + ENCRYPTED_SUFFIX)):
        token = path.read_bytes()
        if is_current_token(token):
            continue
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(rotate_token(token))
        os.replace(partial, path)
        rewritten += 1
    return rewritten
