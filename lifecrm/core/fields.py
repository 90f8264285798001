"""Encrypted model fields and bytes (Fernet via `cryptography`, with its own rotating key list) and keyed
hashes for searching them.

Keys: `settings.FIELD_ENCRYPTION_KEYS` (LIFECRM_FIELD_KEYS), the first encrypts, every one decrypts
(MultiFernet); `lifecrm rotate-keys` re-encrypts stored values under the first. Keyed hashes:
`settings.FIELD_HASH_KEYS` (LIFECRM_HASH_KEYS), the first hashes new values, lookups try every one until
`lifecrm rotate-keys --hash` has recomputed the stored digests (docs/operations.md, "Keys").
"""
from __future__ import annotations

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@cache
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    """The MultiFernet of the configured keys (cached per key list, so a changed setting takes effect)."""
    return _multi_fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    return decrypt_bytes(token.encode()).decode()


def encrypt_bytes(value: bytes) -> bytes:
    return fernet().encrypt(value)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return fernet().decrypt(token)
    except InvalidToken as exc:  # a wrong or retired key must fail loudly, never show ciphertext
        raise ValueError("encrypted value cannot be decrypted with the configured keys") from exc


def rotate_token(token: bytes) -> bytes:
    """`token` re-encrypted under the first key (MultiFernet.rotate); raises ValueError for an unreadable one."""
    try:
        return fernet().rotate(token)
    except InvalidToken as exc:
        raise ValueError("encrypted value cannot be decrypted with the configured keys") from exc


def is_current_token(token: bytes) -> bool:
    """Whether `token` is already encrypted under the first key (so a rotation can skip it)."""
    try:
        Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode()).decrypt(token)
    except InvalidToken:
        return False
    return True


def normalise_identifier(value: str) -> str:
    return "".join(value.split()).upper()


def _digest(key: str, normalised: str) -> str:
    return hmac.new(key.encode(), normalised.encode(), hashlib.sha256).hexdigest()


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of a normalised identifier under the current (first) hash key: lets an index find an
    encrypted value by equality."""
    return _digest(settings.FIELD_HASH_KEYS[0], normalise_identifier(value))


def keyed_hashes_all_keys(value: str) -> list[str]:
    """The digests of `value` under every configured hash key, current first: what a lookup must try while
    `rotate-keys --hash` has not yet recomputed every stored digest."""
    normalised = normalise_identifier(value)
    return [_digest(key, normalised) for key in settings.FIELD_HASH_KEYS]


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


class EncryptedBinaryField(models.BinaryField):
    """Bytes stored as a Fernet token (a bank file's content, say); Python sees the plain bytes. Empty bytes
    stay empty (a purged file). Raw SQL sees only the token."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        value = bytes(value)
        return decrypt_bytes(value) if value else value

    def get_db_prep_value(self, value, connection, prepared=False):
        if value not in (None, b"") and not prepared:
            value = encrypt_bytes(bytes(value))
        return super().get_db_prep_value(value, connection, prepared)
