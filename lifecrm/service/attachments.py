"""Case attachments on disk: each rests encrypted (a Fernet token under the field keys, `core.fields`) under
settings.LIFECRM_CASE_ATTACHMENTS (default VAR_DIR/case-attachments/), named by a random id, never by what the
uploader called it. Written to a `.part` file and renamed, so a file is whole or absent; `services.
case_attachment_add` deletes it again when its row is not written."""
from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from lifecrm.core.fields import decrypt_bytes, encrypt_bytes

ENCRYPTED_SUFFIX = ".fernet"


def folder() -> Path:
    return Path(settings.LIFECRM_CASE_ATTACHMENTS)


def stored_path(stored_name: str) -> Path:
    return folder() / stored_name


def write(stored_name: str, content: bytes) -> Path:
    target = stored_path(stored_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(encrypt_bytes(content))
    os.replace(partial, target)
    return target


def read(stored_name: str) -> bytes:
    return decrypt_bytes(stored_path(stored_name).read_bytes())


def remove(stored_name: str) -> None:
    stored_path(stored_name).unlink(missing_ok=True)
