"""Encrypted model fields (Fernet, with its own rotating key list) and keyed hashes for searching them."""
from __future__ import annotations

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a wrong or retired key must fail loudly, never show ciphertext
        raise ValueError("encrypted field cannot be decrypted with the configured keys") from exc


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of a normalised identifier: lets an index find an encrypted value by equality."""
    normalised = "".join(value.split()).upper()
    return hmac.new(settings.FIELD_HASH_KEY.encode(), normalised.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; Python sees the plain text. Empty stays empty."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt_text(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt_text(value)
