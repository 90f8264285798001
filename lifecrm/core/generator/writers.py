"""The bulk writer: columns queued by the steps become rows of each model's table, checked against its fields.

The backends (`sqlite_writer`, `postgres_writer`) write the rows with raw SQL in the caller's
transaction, column names taken from each model's `_meta`.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from django.db import models

from lifecrm.core.generator.dates import datetime_strings, iso_dates
from lifecrm.core.generator.errors import GeneratorError


@dataclass(frozen=True)
class ColumnSpec:
    attname: str
    column: str
    kind: str  # internal type of the field
    null: bool
    default: Any
    decimal_places: int = 0


@dataclass(frozen=True)
class TableSpec:
    model: type[models.Model]
    table: str
    columns: tuple[ColumnSpec, ...]

    @classmethod
    def of(cls, model: type[models.Model]) -> TableSpec:
        columns = []
        for f in model._meta.concrete_fields:
            default = f.default if f.has_default() and not callable(f.default) else NOT_GIVEN
            columns.append(ColumnSpec(f.attname, f.column, f.get_internal_type(), f.null, default,
                                      getattr(f, "decimal_places", 0) or 0))
        return cls(model, model._meta.db_table, tuple(columns))


class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = _NotGiven()
_INT_KINDS = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
              "PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField", "ForeignKey",
              "OneToOneField"}


class BulkWriter:
    """Writes queued columns as rows with raw SQL inside the caller's transaction.

    Columns are keyed by field attname ("branch_id") or name ("branch"). Every column of the model
    must be given unless it is nullable or has a constant default: a model that gains a required
    column makes the writer fail loudly instead of writing something wrong. Values per kind:
    integers (0 = NULL for nullable foreign keys), day numbers for dates (NO_DATE = NULL), UTC epoch
    seconds for datetimes (an object column: None = NULL), floats in units for decimals, bools, strings; a
    scalar fills the column.
    """

    datetime_suffix = ""
    # Generate the chunks in a forked process (run_steps) instead of writing from a thread: for a
    # writer whose work needs the GIL (binding parameters), the two threads would mostly take turns.
    generate_in_child = False

    def __init__(self, connection) -> None:
        self.connection = connection
        self.counts: dict[str, int] = {}
        self._specs: dict[type[models.Model], TableSpec] = {}
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    # --- writing in a background thread: the database works (without the GIL) while the next chunk
    # is generated; the thread is the only user of the connection until drain() returns.
    def start_background(self) -> None:
        self._queue = queue.Queue(maxsize=16)
        self._thread = threading.Thread(target=self._work, name="lifecrm-seed-writer", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is None:
                try:
                    self.write_prepared(item)
                except BaseException as exc:  # noqa: BLE001  re-raised in the generating thread
                    self._error = exc

    def drain(self) -> None:
        """Wait until everything queued is written; re-raise the writer thread's error."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = self._queue = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def spec(self, model: type[models.Model]) -> TableSpec:
        if model not in self._specs:
            self._specs[model] = TableSpec.of(model)
        return self._specs[model]

    def rows(self, model: type[models.Model], columns: dict[str, Any]) -> tuple[list[str], int, list[Any]]:
        names, lists = [], []
        given, length = self.given(model, columns)
        for col in self.spec(model).columns:
            names.append(col.column)
            lists.append(self.convert(col, self.value_of(model, col, given), length))
        return names, length, lists

    def given(self, model: type[models.Model], columns: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """The columns by attname, checked, and their common length."""
        by_name = {}
        for f in model._meta.concrete_fields:
            by_name[f.attname] = f.attname
            by_name[f.name] = f.attname
        given: dict[str, Any] = {}
        for key, value in columns.items():
            if key not in by_name:
                raise GeneratorError(f"{model._meta.label} has no column {key!r}")
            given[by_name[key]] = value
        length = None
        for value in given.values():
            if isinstance(value, np.ndarray | list | tuple):
                if length is not None and len(value) != length:
                    raise GeneratorError(f"{model._meta.label}: columns of different lengths")
                length = len(value)
        if length is None:
            raise GeneratorError(f"{model._meta.label}: no column has rows")
        return given, length

    @staticmethod
    def value_of(model: type[models.Model], col: ColumnSpec, given: dict[str, Any]) -> Any:
        if col.attname in given:
            return given[col.attname]
        if col.null:
            return None
        if col.default is not NOT_GIVEN:
            return col.default
        raise GeneratorError(f"the generator gives no value for {model._meta.label}.{col.attname}")

    def convert(self, col: ColumnSpec, value: Any, length: int):
        if not isinstance(value, np.ndarray | list | tuple):
            return _Repeat(self.scalar(col, value), length)
        if isinstance(value, list | tuple):
            return list(value)
        kind = col.kind
        if kind == "DateField":
            return iso_dates(value).tolist()
        if kind == "DateTimeField":
            missing = np.equal(value, None) if value.dtype == object else None
            if missing is not None and missing.any():  # an object column of epoch seconds and None (NULL)
                out = np.full(len(value), None, dtype=object)
                out[~missing] = datetime_strings(value[~missing].astype(np.int64), self.datetime_suffix)
                return out.tolist()
            return datetime_strings(value, self.datetime_suffix).tolist()
        if kind == "DecimalField":
            return np.asarray(value, dtype=np.float64).tolist()
        if kind == "BooleanField":
            return self.booleans(np.asarray(value, dtype=bool))
        if kind in _INT_KINDS and value.dtype.kind in "iu":
            if col.null and (value == 0).any():
                obj = value.astype(object)
                obj[value == 0] = None
                return obj.tolist()
            return value.tolist()
        return value.tolist()

    def scalar(self, col: ColumnSpec, value: Any) -> Any:
        if value is None:
            return None
        if col.kind == "BooleanField":
            return self.booleans(np.array([bool(value)]))[0]
        if col.kind == "DateField" and isinstance(value, date):
            return value.isoformat()
        if col.kind == "DateField":
            return iso_dates(np.array([value]))[0]
        if col.kind == "DateTimeField":
            return datetime_strings(np.array([value]), self.datetime_suffix)[0]
        if col.kind == "DecimalField":
            return float(value)
        return value

    def booleans(self, values: np.ndarray) -> list:
        return values.tolist()

    def insert(self, model: type[models.Model], columns: dict[str, Any]) -> None:
        """Convert the columns here (the generating thread) and write them (the writer thread, if any)."""
        if self._error is not None:
            self.drain()
        prepared = self.prepare(model, columns)
        if self._queue is not None:
            self._queue.put(prepared)
        else:
            self.write_prepared(prepared)

    def prepare(self, model: type[models.Model], columns: dict[str, Any]) -> tuple:
        names, length, lists = self.rows(model, columns)
        return model, names, length, self.payload(lists, length)

    def payload(self, lists: list, length: int) -> Any:
        return lists

    def write_prepared(self, prepared: tuple) -> int:
        model, names, length, payload = prepared
        if length:
            self.write_payload(self.spec(model).table, names, payload)
        label = model._meta.label
        self.counts[label] = self.counts.get(label, 0) + length
        return length

    def write_payload(self, table: str, names: list[str], payload: Any) -> None:
        self.write_rows(table, names, zip(*payload, strict=False))

    def write_rows(self, table: str, names: list[str], rows) -> None:
        raise NotImplementedError

    # bulk mode: what to switch off while loading and put back afterwards (inside the transaction)
    def begin_bulk(self, models_: list[type[models.Model]]) -> None:
        pass

    def end_bulk(self) -> None:
        pass

    def delete_all(self, models_: list[type[models.Model]]) -> None:
        with self.connection.cursor() as cursor:
            for model in reversed(models_):
                cursor.execute(f'DELETE FROM {self.connection.ops.quote_name(model._meta.db_table)}')  # noqa: S608

    def finish(self, models_: list[type[models.Model]]) -> None:
        pass

    def close(self) -> None:
        pass


def _sql_literal(value: Any) -> str | None:
    """SQL text of a constant that reads back exactly as bound: NULL, an integer, a text; else None."""
    if value is None:
        return "NULL"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, str) and "\0" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


class _Repeat:
    """A constant column: zip() reads it like a list without building one."""

    def __init__(self, value: Any, length: int) -> None:
        self.value, self.length = value, length

    def __iter__(self):
        return iter([self.value] * self.length)
