"""The checksum of a generated book: every generated table, rows in primary-key order, every column.

Values are normalised so that the same book gives the same digest on SQLite and PostgreSQL:
integers and decimals as plain decimal text (decimals to their field's places), dates ISO,
datetimes in UTC, JSON with sorted keys, booleans as 0/1, NULL apart from the empty string.
Encrypted columns are digested by their decrypted value (the ciphertext is random per encryption).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import connections, models, transaction

from lifecrm.core.fields import EncryptedTextField, decrypt_text

NULL = "\x00"
FETCH = 20_000


@dataclass(frozen=True)
class TableDigest:
    label: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class BookDigest:
    sha256: str
    tables: tuple[TableDigest, ...]


def _text(value: Any) -> str:
    return NULL if value is None else str(value)


def _integer(value: Any) -> str:
    return NULL if value is None else str(int(value))


def _boolean(value: Any) -> str:
    return NULL if value is None else ("1" if value else "0")


def _decimal(places: int):
    quantum = Decimal(1).scaleb(-places)

    def convert(value: Any) -> str:
        if value is None:
            return NULL
        return format(Decimal(str(value)).quantize(quantum), "f")

    return convert


def _date(value: Any) -> str:
    if value is None:
        return NULL
    return value.isoformat() if isinstance(value, date) else str(value)


def _datetime(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return str(value)
    return str(value)


def _json(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, str | bytes):
        value = json.loads(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _encrypted(value: Any) -> str:
    return NULL if value in (None, "") else decrypt_text(value)


_INTEGERS = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
             "PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField", "ForeignKey",
             "OneToOneField"}


def converter(field: models.Field):
    if isinstance(field, EncryptedTextField):
        return _encrypted
    if field.is_relation:
        return converter(field.target_field)
    kind = field.get_internal_type()
    if kind in _INTEGERS:
        return _integer
    if kind == "BooleanField":
        return _boolean
    if kind == "DecimalField":
        return _decimal(field.decimal_places)
    if kind == "DateField":
        return _date
    if kind == "DateTimeField":
        return _datetime
    if kind == "JSONField":
        return _json
    return _text


def table_digest(model: type[models.Model], using: str = "default") -> TableDigest:
    """sha256 over the table's label, its column names and every row in primary-key order."""
    connection = connections[using]
    fields = list(model._meta.concrete_fields)
    convert = [converter(f) for f in fields]
    quote = connection.ops.quote_name
    sql = (f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(model._meta.db_table)} "  # noqa: S608
           f"ORDER BY {quote(model._meta.pk.column)}")
    digest = hashlib.sha256()
    digest.update(f"{model._meta.label}\x1d{','.join(f.column for f in fields)}\x1d".encode())
    rows = 0
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            cursor = connection.connection.cursor(name=f"digest_{model._meta.db_table}")
            cursor.itersize = FETCH
        else:
            cursor = connection.cursor()
        try:
            cursor.execute(sql)
            while True:
                batch = cursor.fetchmany(FETCH)
                if not batch:
                    break
                rows += len(batch)
                digest.update("".join(
                    "\x1f".join(c(v) for c, v in zip(convert, row, strict=True)) + "\x1e" for row in batch
                ).encode())
        finally:
            cursor.close()
    return TableDigest(model._meta.label, rows, digest.hexdigest())


def book_digest(using: str = "default") -> BookDigest:
    """The digest of every table the registered generator steps write."""
    from lifecrm.core.generator import generated_models

    tables = tuple(table_digest(model, using) for model in generated_models())
    total = hashlib.sha256()
    for table in tables:
        total.update(f"{table.label}:{table.rows}:{table.sha256}\n".encode())
    return BookDigest(total.hexdigest(), tables)
