"""The SQLite bulk writer (multi-row INSERTs through executemany) and the pragmas of a bulk load."""
from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from django.db import models

from lifecrm.core.generator.writers import BulkWriter, ColumnSpec, _Repeat, _sql_literal


class SqliteWriter(BulkWriter):
    """executemany in the caller's transaction; secondary indexes rebuilt once at the end."""

    generate_in_child = True

    def __init__(self, connection) -> None:
        super().__init__(connection)
        connection.ensure_connection()
        self.raw = connection.connection
        self._dropped_indexes: list[str] = []
        self._sql: dict[tuple[str, tuple[str, ...]], str] = {}

    def booleans(self, values: np.ndarray) -> list:
        return values.astype(np.int64).tolist()

    def scalar(self, col: ColumnSpec, value: Any) -> Any:
        value = super().scalar(col, value)
        return int(value) if isinstance(value, bool) else value

    # Rows per INSERT statement: one statement per row pays the statement's fixed costs (and the
    # AUTOINCREMENT bookkeeping) per row; 50 rows a statement is a third cheaper.
    rows_per_statement = 50

    def _insert_sql(self, table: str, names: list[str], rows: int, literals: tuple[str | None, ...] = ()) -> str:
        """INSERT of `rows` rows; a column with a literal in `literals` takes it in every row, unbound."""
        key = (table, tuple(names), rows, literals)
        sql = self._sql.get(key)
        if sql is None:
            quoted = ", ".join(f'"{n}"' for n in names)
            literals = literals or (None,) * len(names)
            one = f"({', '.join('?' if lit is None else lit for lit in literals)})"
            sql = self._sql[key] = f'INSERT INTO "{table}" ({quoted}) VALUES {", ".join([one] * rows)}'  # noqa: S608
        return sql

    def prepare(self, model: type[models.Model], columns: dict[str, Any]) -> tuple:
        """Rows as one flat list of bound values; constant NULLs, integers and texts are written into the
        statement instead of being bound in every row (floats stay bound: their exact value)."""
        names, length, lists = self.rows(model, columns)
        literals = tuple(_sql_literal(c.value) if isinstance(c, _Repeat) else None for c in lists)
        bound = [c for c, lit in zip(lists, literals, strict=True) if lit is None]
        if not bound or all(lit is None for lit in literals):
            literals, bound = (), lists
        return model, names, length, (self.payload(bound, length), len(bound), literals)

    def payload(self, lists: list, length: int) -> list:
        width = len(lists)
        flat: list = [None] * (length * width)
        for j, column in enumerate(lists):  # interleave the columns into rows without building tuples
            flat[j::width] = [column.value] * length if isinstance(column, _Repeat) else column
        return flat

    def write_payload(self, table: str, names: list[str], payload: tuple) -> None:
        flat, width, literals = payload
        self.write_flat(table, names, flat, width, literals)

    def write_rows(self, table: str, names: list[str], rows) -> None:
        self.write_flat(table, names, list(itertools.chain.from_iterable(rows)), len(names))

    def write_flat(self, table: str, names: list[str], flat: list, width: int,
                   literals: tuple[str | None, ...] = ()) -> None:
        step = width * self.rows_per_statement
        whole = len(flat) // step * step
        if whole:
            sql = self._insert_sql(table, names, self.rows_per_statement, literals)
            self.raw.executemany(sql, (flat[i : i + step] for i in range(0, whole, step)))
        if whole < len(flat):
            self.raw.execute(self._insert_sql(table, names, (len(flat) - whole) // width, literals), flat[whole:])

    def begin_bulk(self, models_: list[type[models.Model]]) -> None:
        tables = [m._meta.db_table for m in models_]
        marks = ", ".join("?" * len(tables))
        cursor = self.raw.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
            f"AND tbl_name IN ({marks}) ORDER BY tbl_name, name",
            tables,
        )
        for name, sql in cursor.fetchall():
            if sql.upper().startswith("CREATE UNIQUE"):
                continue  # unique indexes keep guarding the load
            self._dropped_indexes.append(sql)
            self.raw.execute(f'DROP INDEX "{name}"')

    def end_bulk(self) -> None:
        for sql in self._dropped_indexes:
            self.raw.execute(sql)
        self._dropped_indexes = []


class BulkSession:
    """SQLite: no fsync and a large page cache while loading; foreign keys are checked by the tests."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.saved: list[tuple[str, Any]] = []

    def __enter__(self):
        if self.connection.vendor == "sqlite" and not self.connection.in_atomic_block:
            self.connection.ensure_connection()
            raw = self.connection.connection
            # temp_store stays a file: with temp storage in memory, CREATE INDEX sorts with one malloc per
            # record instead of one buffer (a fifth slower); the sort still fits in memory (< 512 MB).
            for pragma, value in (("synchronous", "OFF"), ("cache_size", "-1000000"), ("foreign_keys", "OFF"),
                                  ("threads", "4")):
                self.saved.append((pragma, raw.execute(f"PRAGMA {pragma}").fetchone()[0]))
                raw.execute(f"PRAGMA {pragma} = {value}")
            # A rollback journal in memory instead of the WAL: the pages are written once, at commit.
            # Only possible while no other connection has the file open; else the WAL stays.
            journal = raw.execute("PRAGMA journal_mode").fetchone()[0]
            try:
                if raw.execute("PRAGMA journal_mode = MEMORY").fetchone()[0].lower() == "memory":
                    self.saved.insert(0, ("journal_mode", journal))
            except Exception:  # noqa: BLE001, S110  locked by another connection: keep the WAL
                pass
        return self

    def __exit__(self, *exc_info):
        if self.saved and self.connection.connection is not None:
            raw = self.connection.connection
            for pragma, value in self.saved:
                try:
                    raw.execute(f"PRAGMA {pragma} = {value}")
                except Exception:  # noqa: BLE001, S110  the next connection sets its own pragmas
                    pass
        return False
