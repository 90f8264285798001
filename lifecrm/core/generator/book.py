"""Building a whole book: checked arguments, the writer for the database, one transaction, the row counts."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connections, models, transaction

from lifecrm.core.generator.errors import GeneratorError
from lifecrm.core.generator.postgres_writer import PostgresWriter
from lifecrm.core.generator.sqlite_writer import BulkSession, SqliteWriter
from lifecrm.core.generator.steps import (
    GeneratorContext,
    derived_models,
    generated_models,
    ordered_steps,
    run_steps,
)
from lifecrm.core.generator.writers import BulkWriter

JURISDICTIONS = ("CN", "HK", "TW")


def writer_for(connection) -> BulkWriter:
    if connection.vendor == "sqlite":
        return SqliteWriter(connection)
    if connection.vendor == "postgresql":
        return PostgresWriter(connection)
    raise GeneratorError(f"the generator writes SQLite or PostgreSQL, not {connection.vendor}")


# --------------------------------------------------------------------------- building a book


@dataclass
class BookResult:
    counts: dict[str, int]
    seconds: float
    customers: int


def validate_arguments(*, customers: Any, seed: Any, as_of: Any, jurisdiction: Any) -> tuple[int, int, date, str]:
    """Checked arguments, or GeneratorError with a one-line reason."""
    if isinstance(customers, bool) or not isinstance(customers, int):
        try:
            customers = int(str(customers))
        except ValueError:
            raise GeneratorError(f"--customers must be a whole number, not {customers!r}") from None
    if customers <= 0:
        raise GeneratorError(f"--customers must be positive, not {customers}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        try:
            seed = int(str(seed))
        except ValueError:
            raise GeneratorError(f"--seed must be a whole number, not {seed!r}") from None
    if not isinstance(as_of, date):
        try:
            as_of = date.fromisoformat(str(as_of))
        except ValueError:
            raise GeneratorError(f"--as-of must be a date as YYYY-MM-DD, not {as_of!r}") from None
    if not date(2000, 1, 1) <= as_of <= date(2100, 12, 31):
        raise GeneratorError(f"--as-of must lie between 2000 and 2100, not {as_of}")
    jurisdiction = str(jurisdiction).upper()
    if jurisdiction not in JURISDICTIONS:
        raise GeneratorError(f"--jurisdiction must be one of {', '.join(JURISDICTIONS)}, not {jurisdiction!r}")
    return customers, seed, as_of, jurisdiction


def existing_rows(using: str = "default") -> dict[str, int]:
    """Rows already in the generated tables (non-empty ones only)."""
    counts = {}
    for model in generated_models():
        if model._default_manager.using(using).exists():
            counts[model._meta.label] = model._default_manager.using(using).count()
    return counts


def build_book(
    *, customers: int, seed: int, as_of: date, jurisdiction: str, replace: bool = False, progress: bool = True,
    using: str = "default",
) -> BookResult:
    """Generate and write a whole book in one transaction; nothing is written if anything fails."""
    customers, seed, as_of, jurisdiction = validate_arguments(
        customers=customers, seed=seed, as_of=as_of, jurisdiction=jurisdiction
    )
    steps = ordered_steps()
    if not steps:
        raise GeneratorError("no generator steps are registered")
    tables = generated_models()
    existing = existing_rows(using)
    if existing and not replace:
        listed = ", ".join(f"{label} ({n:,})" for label, n in existing.items())
        raise GeneratorError(f"the database already holds a book: {listed}; use --replace to replace it")
    derived = derived_models()
    if existing:
        check_replaceable(tables + derived, using)
    connection = connections[using]
    started = time.perf_counter()
    ctx = GeneratorContext(seed=seed, customers=customers, as_of=as_of, jurisdiction=jurisdiction)
    with BulkSession(connection):
        with transaction.atomic(using=using):
            writer = writer_for(connection)
            ctx.writer = writer
            writer.begin_bulk(tables)
            if existing or connection.vendor == "postgresql":
                # On PostgreSQL also when empty: tables truncated in the loading transaction let a
                # server with wal_level=minimal skip writing WAL for the COPY.
                writer.delete_all(tables + derived)  # what was derived from the old book goes with it
            if not writer.generate_in_child:
                writer.start_background()
            try:
                run_steps(ctx, steps, progress=progress)
            finally:
                writer.drain()
            writer.end_bulk()
            writer.finish(tables)
    counts = {m._meta.label: writer.counts.get(m._meta.label, 0) for m in tables}
    return BookResult(counts, time.perf_counter() - started, customers)


def check_replaceable(tables: list[type[models.Model]], using: str = "default") -> None:
    """Refuse to replace a book that rows of other (not generated) tables still refer to."""
    for model in tables:
        for relation in model._meta.related_objects:
            other = relation.related_model
            if other in tables or relation.many_to_many or not relation.field.concrete:
                continue
            referring = other._default_manager.using(using).filter(**{f"{relation.field.name}__isnull": False})
            if referring.exists():
                raise GeneratorError(
                    f"cannot replace the book: {referring.count():,} rows of {other._meta.label} refer to "
                    f"{model._meta.label} and no generator step writes them"
                )
