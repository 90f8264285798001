"""The PostgreSQL bulk writer: binary COPY rows built column by column with numpy, keys and indexes rebuilt once."""
from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import numpy as np
from django.db import models

from lifecrm.core.generator.dates import NO_DATE, days_of
from lifecrm.core.generator.errors import GeneratorError
from lifecrm.core.generator.writers import _INT_KINDS, BulkWriter, ColumnSpec


class PostgresWriter(BulkWriter):
    """Binary COPY … FROM STDIN in the caller's transaction; keys, indexes and foreign keys rebuilt at the end.

    Binary rows spare the server parsing dates, timestamps and numerics (the server is the
    bottleneck). Values become Python objects of each column's exact type: date and naive UTC
    datetime objects (the binary timestamp and timestamptz formats are the same microseconds
    since 2000, UTC), Decimals at the field's places, JSON text passed through as jsonb.
    """

    datetime_suffix = "+00"

    def __init__(self, connection) -> None:
        super().__init__(connection)
        connection.ensure_connection()
        self.raw = connection.connection
        self._dropped: list[str] = []
        self._types: dict[str, dict[str, str]] = {}
        self._truncated: set[str] = set()

    def column_types(self, table: str) -> dict[str, str]:
        if table not in self._types:
            with self.raw.cursor() as cursor:
                cursor.execute(
                    "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                    "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
                    (f'"{table}"',),
                )
                self._types[table] = {name: ("timestamp" if kind == "timestamptz" else kind)
                                      for name, kind in cursor.fetchall()}
        return self._types[table]

    def convert(self, col: ColumnSpec, value: Any, length: int):
        if not isinstance(value, np.ndarray):
            return super().convert(col, value, length)
        kind = col.kind
        if kind == "DateField":
            days = np.asarray(value, dtype=np.int64)
            missing = days == NO_DATE
            out = np.where(missing, 0, days).astype("datetime64[D]").astype(object)
            if missing.any():
                out[missing] = None
            return out.tolist()
        if kind == "DateTimeField":
            return np.asarray(value, dtype=np.int64).astype("datetime64[s]").astype(object).tolist()
        if kind == "DecimalField":
            return _decimals(value, col.decimal_places)
        return super().convert(col, value, length)

    def scalar(self, col: ColumnSpec, value: Any) -> Any:
        if value is None or col.kind not in ("DateField", "DateTimeField", "DecimalField"):
            return value
        return self.convert(col, np.array([value]), 1)[0]

    def prepare(self, model: type[models.Model], columns: dict[str, Any]) -> tuple:
        """COPY BINARY bytes of the rows, built column by column with numpy (see `copy_binary`).

        Columns given as Python lists (the small org tables) go through psycopg's write_row instead.
        """
        given, length = self.given(model, columns)
        if not length or any(isinstance(v, list | tuple) for v in given.values()):
            return super().prepare(model, columns)
        spec = self.spec(model)
        types = self.column_types(spec.table)
        fields = []
        for col in spec.columns:
            value = self.value_of(model, col, given)
            fields.append((col.column, binary_field(types[col.column], value, length, places=col.decimal_places,
                                                    null_zero=col.null and col.kind in _INT_KINDS)))
        names, data = copy_binary(fields, length)
        return model, names, length, _CopyData(data)

    def write_payload(self, table: str, names: list[str], payload: Any) -> None:
        if not isinstance(payload, _CopyData):
            return super().write_payload(table, names, payload)
        with self.raw.cursor() as cursor, cursor.copy(self.copy_sql(table, names)) as copy:
            copy.write(_COPY_SIGNATURE)
            copy.write(memoryview(payload.data))
            copy.write(b"\xff\xff")
        return None

    def copy_sql(self, table: str, names: list[str]) -> str:
        """COPY of binary rows; FREEZE when this transaction emptied the table (TRUNCATE, delete_all):
        the rows are written frozen and all-visible, which spares the index builds and the foreign key
        checks of end_bulk the visibility checks (and the first readers the hint-bit writes)."""
        quoted = ", ".join(f'"{n}"' for n in names)
        freeze = ", FREEZE" if table in self._truncated else ""
        return f'COPY "{table}" ({quoted}) FROM STDIN (FORMAT BINARY{freeze})'

    def write_rows(self, table: str, names: list[str], rows) -> None:
        types = self.column_types(table)
        with self.raw.cursor() as cursor:
            cursor.adapters.register_dumper(_JsonText, _jsonb_text_dumper())
            with cursor.copy(self.copy_sql(table, names)) as copy:
                copy.set_types([types[n] for n in names])
                write = copy.write_row
                for row in rows:
                    write(row)

    def begin_bulk(self, models_: list[type[models.Model]]) -> None:
        tables = [m._meta.db_table for m in models_]
        for table in tables:  # read here: the generating thread encodes rows while the writer thread copies
            self.column_types(table)
        with self.raw.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            # indexes are rebuilt at the end: let the server use parallel workers for tables of a few MB too
            cursor.execute("SET LOCAL min_parallel_table_scan_size = '1MB'")
            # Foreign keys that point into or out of the generated tables: checked once, when re-added.
            cursor.execute(
                """
                SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
                FROM pg_constraint c
                WHERE c.contype = 'f' AND (c.conrelid::regclass::text = ANY(%s) OR c.confrelid::regclass::text = ANY(%s))
                ORDER BY 1, 2
                """,
                (tables, tables),
            )
            foreign_keys = cursor.fetchall()
            cursor.execute(
                """
                SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
                ORDER BY 1, 2
                """,
                (tables,),
            )
            indexes = cursor.fetchall()
            # Primary keys and unique constraints too: COPY into bare tables, then one sorted build
            # each (which still refuses a duplicate).
            cursor.execute(
                """
                SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
                FROM pg_constraint c
                WHERE c.contype IN ('p', 'u') AND c.conrelid::regclass::text = ANY(%s)
                ORDER BY c.contype, 1, 2
                """,
                (tables,),
            )
            keys = cursor.fetchall()
            rebuild: list[str] = []
            for table, name, _definition in foreign_keys:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for table, name, definition in keys:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for _table, name, definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
                rebuild.append(definition)
            rebuild += [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
                        for table, name, definition in foreign_keys]
            self._dropped = rebuild

    def end_bulk(self) -> None:
        with self.raw.cursor() as cursor:
            for statement in self._dropped:
                cursor.execute(statement)
        self._dropped = []

    def delete_all(self, models_: list[type[models.Model]]) -> None:
        names = ", ".join(f'"{m._meta.db_table}"' for m in models_)
        with self.raw.cursor() as cursor:
            cursor.execute(f"TRUNCATE {names}")
        self._truncated.update(m._meta.db_table for m in models_)

    def finish(self, models_: list[type[models.Model]]) -> None:
        from django.core.management.color import no_style

        with self.connection.cursor() as cursor:
            # explicit ids were written: the sequences continue after them (statistics: autovacuum)
            for statement in self.connection.ops.sequence_reset_sql(no_style(), models_):
                cursor.execute(statement)


def _decimals(value: np.ndarray, places: int) -> list:
    """Decimals of float amounts at `places` decimals, each distinct value built once."""
    scaled = np.round(np.asarray(value, dtype=np.float64) * 10**places).astype(np.int64)
    distinct, inverse = np.unique(scaled, return_inverse=True)
    built = np.array([Decimal(int(v)).scaleb(-places) for v in distinct.tolist()], dtype=object)
    return built[inverse.reshape(-1)].tolist()


# --------------------------------------------------------------------------- COPY BINARY, built with numpy
# A binary COPY row is int16 field count, then per field int32 byte length (-1: NULL) and the bytes in
# the type's binary send format. Columns become fields here without Python objects per value: fixed-
# width fields as (rows × width) byte matrices, text as one joined and encoded string split again.

_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\0" + b"\0" * 8
_PG_EPOCH_DAYS = 10_957  # 2000-01-01, the binary date and timestamp formats' zero, in days since 1970
_INT_TYPES = {"int2": ">i2", "int4": ">i4", "int8": ">i8"}


@dataclass(frozen=True, slots=True)
class _CopyData:
    data: Any  # a buffer of rows in COPY BINARY format, without signature and trailer


@dataclass(frozen=True, slots=True)
class BinaryField:
    """One column of COPY BINARY fields.

    Fixed width: `lengths` is the width (an int, -1 for a NULL in every row) and `data` a
    (rows or 1) × width uint8 matrix. Varying: `lengths` per row (-1 = NULL), `data` their bytes.
    """

    lengths: Any
    data: np.ndarray

    @property
    def fixed(self) -> bool:
        return isinstance(self.lengths, int)


def _nulls(value: np.ndarray) -> np.ndarray | None:
    if value.dtype.kind != "O":
        return None
    missing = np.equal(value, None)
    return missing if missing.any() else None


def _fixed_or_null(matrix: np.ndarray, null: np.ndarray | None) -> BinaryField:
    if null is None or not null.any():
        return BinaryField(matrix.shape[1], matrix)
    lengths = np.where(null, -1, matrix.shape[1])
    return BinaryField(lengths, matrix[~null].reshape(-1))


def _be_bytes(values: np.ndarray, dtype: str) -> np.ndarray:
    """Big-endian bytes of numbers as a (rows × width) uint8 matrix."""
    out = np.ascontiguousarray(values, dtype=dtype)
    return out.view(np.uint8).reshape(len(out), out.itemsize)


def _text_field(value: np.ndarray, prefix: str = "") -> BinaryField:
    """UTF-8 strings (None = NULL); `prefix` goes before each (the jsonb version byte)."""
    items = value.tolist()
    null = None
    if None in items:
        null = np.equal(value, None)
        items = [v for v in items if v is not None]
    n = len(items)
    if not n:
        return BinaryField(np.full(len(value), -1, dtype=np.int64), np.zeros(0, dtype=np.uint8))
    buf = np.frombuffer((prefix + ("\0" + prefix).join(items)).encode(), dtype=np.uint8)
    separators = np.flatnonzero(buf == 0)
    if len(separators) != n - 1:
        raise GeneratorError("a generated text contains a NUL character")
    bounds = np.empty(n + 1, dtype=np.int64)
    bounds[0], bounds[1:-1], bounds[-1] = -1, separators, len(buf)
    lengths = np.diff(bounds) - 1
    data = np.delete(buf, separators) if len(separators) else buf
    if null is not None:
        all_lengths = np.full(len(value), -1, dtype=np.int64)
        all_lengths[~null] = lengths
        return BinaryField(all_lengths, data)
    if (lengths == lengths[0]).all():
        return BinaryField(int(lengths[0]), data.reshape(n, int(lengths[0])))
    return BinaryField(lengths, data)


def _numeric_field(value: np.ndarray, places: int) -> BinaryField:
    """numeric send format of float amounts rounded to `places` decimals (what `_decimals` gives):
    ndigits, weight, sign, dscale, then base-10000 digits; the same number of digits in every row
    (leading zeros are allowed: the server strips them)."""
    null = _nulls(value)
    amounts = np.where(null, 0.0, value) if null is not None else value
    scaled = np.round(np.asarray(amounts, dtype=np.float64) * 10**places).astype(np.int64)
    absolute = np.abs(scaled)
    whole, fraction = np.divmod(absolute, 10**places)
    frac_digits = -(-places // 4)
    fraction = fraction * 10 ** (4 * frac_digits - places)
    largest = int(whole.max()) if len(whole) else 0
    int_digits = 1
    while largest >= 10_000**int_digits:
        int_digits += 1
    ndigits = int_digits + frac_digits
    rows = np.empty((len(scaled), 4 + ndigits), dtype=">i2")
    rows[:, 0] = ndigits
    rows[:, 1] = int_digits - 1
    rows[:, 2] = np.where(scaled < 0, 0x4000, 0).astype(np.int16)
    rows[:, 3] = places
    for i in range(int_digits):
        rows[:, 4 + i] = whole // 10_000 ** (int_digits - 1 - i) % 10_000
    for j in range(frac_digits):
        rows[:, 4 + int_digits + j] = fraction // 10_000 ** (frac_digits - 1 - j) % 10_000
    return _fixed_or_null(rows.view(np.uint8).reshape(len(scaled), -1), null)


def binary_field(pg_type: str, value: Any, length: int, *, null_zero: bool = False, places: int = 2) -> BinaryField:
    """A column (array, or a scalar for every row) as COPY BINARY fields of the PostgreSQL type."""
    if not isinstance(value, np.ndarray):
        if value is None:
            return BinaryField(-1, np.zeros((1, 0), dtype=np.uint8))
        if isinstance(value, datetime):
            value = int(value.timestamp())
        elif isinstance(value, date):
            value = days_of(value)
        field = binary_field(pg_type, np.array([value], dtype=object if isinstance(value, str) else None), 1,
                             places=places)
        if not field.fixed:
            raise GeneratorError(f"cannot repeat the value {value!r}")
        return field
    if pg_type in ("text", "varchar", "bpchar"):
        return _text_field(value)
    if pg_type == "jsonb":
        return _text_field(value, "\x01")
    if pg_type == "numeric":
        return _numeric_field(value, places)
    null = _nulls(value)
    if null is not None:
        value = np.where(null, 0, value)
    if pg_type in _INT_TYPES:
        ints = np.asarray(value, dtype=np.int64)
        if null_zero and null is None and (ints == 0).any():
            null = ints == 0
        return _fixed_or_null(_be_bytes(ints, _INT_TYPES[pg_type]), null)
    if pg_type == "bool":
        return _fixed_or_null(np.asarray(value, dtype=bool).astype(np.uint8).reshape(-1, 1), null)
    if pg_type == "date":
        days = np.asarray(value, dtype=np.int64)
        missing = days == NO_DATE
        if missing.any():
            null = missing if null is None else null | missing
            days = np.where(missing, _PG_EPOCH_DAYS, days)
        return _fixed_or_null(_be_bytes(days - _PG_EPOCH_DAYS, ">i4"), null)
    if pg_type in ("timestamptz", "timestamp"):
        micros = (np.asarray(value, dtype=np.int64) - _PG_EPOCH_DAYS * 86400) * 1_000_000
        return _fixed_or_null(_be_bytes(micros, ">i8"), null)
    raise GeneratorError(f"the generator cannot write PostgreSQL type {pg_type}")


def copy_binary(fields: list[tuple[str, BinaryField]], rows: int) -> tuple[list[str], np.ndarray]:
    """(column names, COPY BINARY rows): fixed-width fields first, so that they sit at the same offset
    in every row and are filled a column at a time; the varying ones follow, scattered by offsets."""
    fixed = [(name, f) for name, f in fields if f.fixed]
    varying = [(name, f) for name, f in fields if not f.fixed]
    prefix = 2 + sum(4 + max(f.lengths, 0) for _, f in fixed)
    head = np.empty((rows, prefix), dtype=np.uint8)
    head[:, :2] = np.frombuffer(struct.pack(">h", len(fields)), dtype=np.uint8)
    at = 2
    for _, f in fixed:
        head[:, at : at + 4] = np.frombuffer(struct.pack(">i", f.lengths), dtype=np.uint8)
        width = max(f.lengths, 0)
        if width:
            head[:, at + 4 : at + 4 + width] = f.data
        at += 4 + width
    names = [name for name, _ in fixed] + [name for name, _ in varying]
    if not varying:
        return names, head.reshape(-1)
    # Rows padded to the longest one: the fixed part is a column copy, the varying fields are scattered
    # after it, and a mask of each row's own bytes squeezes the padding out.
    sizes = [np.maximum(f.lengths, 0) for _, f in varying]
    row_size = prefix + sum(4 + size for size in sizes)
    width = int(row_size.max()) if rows else prefix
    padded = np.empty((rows, width), dtype=np.uint8)
    padded[:, :prefix] = head
    flat = padded.reshape(-1)
    at = np.arange(rows, dtype=np.int64) * width + prefix
    four = np.arange(4)
    for (_, f), size in zip(varying, sizes, strict=True):
        flat[(at[:, None] + four).reshape(-1)] = _be_bytes(f.lengths, ">i4").reshape(-1)
        at += 4
        if len(f.data):
            source_starts = np.cumsum(size) - size
            flat[np.repeat(at - source_starts, size) + np.arange(len(f.data))] = f.data
        at += size
    if (row_size == width).all():
        return names, flat
    return names, padded[np.arange(width) < row_size[:, None]]


class _JsonText(str):
    """Marks JSON text for the jsonb column dumper."""


@cache
def _jsonb_text_dumper():
    """A binary jsonb dumper taking JSON text as it is (version byte 1 + the text)."""
    from psycopg import adapters
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    class JsonbTextBinaryDumper(Dumper):
        format = Format.BINARY
        oid = adapters.types["jsonb"].oid

        def dump(self, obj):
            return b"\x01" + str(obj).encode()

    return JsonbTextBinaryDumper
