"""Key rotation (`lifecrm rotate-keys`): every encrypted value re-encrypted under the first field key, and with
`--hash` every keyed hash recomputed under the first hash key. docs/operations.md, "Keys", has the plan.

Each table with an encrypted column (any model field that is an EncryptedTextField or EncryptedBinaryField) is a
chunked step `core.rotate_keys.<table>` run through the batch runner: chunks of primary keys, each chunk's
rewrite and its checkpoint in one transaction, so a killed rotation run again resumes at its first unfinished
chunk (the run is keyed by the key's fingerprint: a new key starts a new run). A value already under the first
key is left as it is, so a second rotation writes nothing. The raw columns are read and written with SQL (the
fields' own conversion would decrypt and re-encrypt on every read).

Values outside the database (the encrypted bank files on disk) are rotated by the hooks apps register with
`register_rotation_hook`; the keyed hashes to recompute are registered with `register_keyed_hash`.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.apps import apps
from django.conf import settings
from django.db import connection

from lifecrm.core.fields import (
    EncryptedBinaryField,
    EncryptedTextField,
    is_current_token,
    keyed_hash,
    rotate_token,
)
from lifecrm.core.jobs import ChunkedStep, chunked_step, run_step

CHUNK_SIZE = 2000


@dataclass(frozen=True)
class KeyedHash:
    """`digest_field` of `model` is keyed_hash(`source_field`) (the source an encrypted field)."""

    model: str  # "app_label.ModelName"
    digest_field: str
    source_field: str


_keyed_hashes: list[KeyedHash] = []
_hooks: dict[str, Callable[[], int]] = {}


def register_keyed_hash(model: str, *, digest_field: str, source_field: str) -> None:
    entry = KeyedHash(model, digest_field, source_field)
    if entry not in _keyed_hashes:
        _keyed_hashes.append(entry)


def register_rotation_hook(name: str, func: Callable[[], int]) -> None:
    """`func()` re-encrypts values outside the database under the first key; returns how many it rewrote."""
    _hooks[name] = func


def fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def encrypted_columns() -> dict[type, list]:
    found: dict[type, list] = {}
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        columns = [f for f in model._meta.local_concrete_fields
                   if isinstance(f, EncryptedTextField | EncryptedBinaryField)]
        if columns:
            found[model] = columns
    return found


def _ids(model) -> Callable[[date], list[int]]:
    return lambda as_of: list(model._base_manager.order_by("pk").values_list("pk", flat=True))


def _rotate_chunk(model, fields) -> Callable[[date, int, int], int]:
    table, pk = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(model._meta.pk.column)
    names = [connection.ops.quote_name(f.column) for f in fields]

    def process(as_of: date, first_id: int, last_id: int) -> int:
        rewritten = 0
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {pk}, {', '.join(names)} FROM {table} WHERE {pk} BETWEEN %s AND %s "  # noqa: S608
                           f"ORDER BY {pk}", [first_id, last_id])
            rows = cursor.fetchall()
        for row in rows:
            changes = {}
            for field, name, value in zip(fields, names, row[1:], strict=True):
                if value in (None, "", b""):
                    continue
                binary = isinstance(field, EncryptedBinaryField)
                token = bytes(value) if binary else value.encode()
                if is_current_token(token):
                    continue
                rotated = rotate_token(token)
                changes[name] = connection.Database.Binary(rotated) if binary else rotated.decode()
            if changes:
                with connection.cursor() as cursor:
                    cursor.execute(f"UPDATE {table} SET {', '.join(f'{n} = %s' for n in changes)} "  # noqa: S608
                                   f"WHERE {pk} = %s", [*changes.values(), row[0]])
                rewritten += 1
        return rewritten

    return process


def _hash_chunk(entry: KeyedHash) -> Callable[[date, int, int], int]:
    model = apps.get_model(entry.model)

    def process(as_of: date, first_id: int, last_id: int) -> int:
        rewritten = 0
        rows = (model._base_manager.filter(pk__gte=first_id, pk__lte=last_id).order_by("pk")
                .values_list("pk", entry.source_field, entry.digest_field))
        for pk, plain, stored in rows:
            digest = keyed_hash(plain) if plain else ""
            if digest != stored:
                model._base_manager.filter(pk=pk).update(**{entry.digest_field: digest})
                rewritten += 1
        return rewritten

    return process


def rotation_steps() -> list[ChunkedStep]:
    return [chunked_step(f"core.rotate_keys.{model._meta.db_table}", ids=_ids(model), chunk_size=CHUNK_SIZE)(
        _rotate_chunk(model, fields)) for model, fields in encrypted_columns().items()]


def hash_steps() -> list[ChunkedStep]:
    return [chunked_step(f"core.rotate_hash.{entry.model}.{entry.digest_field}",
                         ids=_ids(apps.get_model(entry.model)), chunk_size=CHUNK_SIZE)(_hash_chunk(entry))
            for entry in _keyed_hashes]


@dataclass
class RotationReport:
    rows: dict[str, int]
    files: dict[str, int]


def rotate_keys(*, as_of: date, progress: bool = True) -> RotationReport:
    """Re-encrypt every encrypted value under the first field key (resumable, idempotent)."""
    key = fingerprint(settings.FIELD_ENCRYPTION_KEYS[0])
    rows = {}
    for step in rotation_steps():
        run = run_step(step, as_of=as_of, params_key=f"key:{key}", progress=progress, backend="inprocess")
        rows[step.name] = sum(run.chunks.values_list("rows", flat=True))
    files = {name: hook() for name, hook in sorted(_hooks.items())}
    return RotationReport(rows, files)


def rotate_hashes(*, as_of: date, progress: bool = True) -> RotationReport:
    """Recompute every keyed hash under the first hash key (resumable, idempotent)."""
    key = fingerprint(settings.FIELD_HASH_KEYS[0])
    rows = {}
    for step in hash_steps():
        run = run_step(step, as_of=as_of, params_key=f"hash:{key}", progress=progress, backend="inprocess")
        rows[step.name] = sum(run.chunks.values_list("rows", flat=True))
    return RotationReport(rows, {})
