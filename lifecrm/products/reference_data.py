"""Loads the product catalogue and its tables from the CSV files in lifecrm/products/data, idempotently.

The files are written by `python -m lifecrm.products.actuarial.derive`. Each product carries
the SHA-256 of its rows in the four files (`Product.tables_checksum`): a product whose rows are
unchanged is left alone, edits made in the admin included; a new or changed product is
written whole (product row, mode factors, premium rates, cash values) in one transaction.
"""
from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import connections, transaction

from lifecrm.core.bulk import copy_rows
from lifecrm.products.models import CashValue, PremiumModeFactor, PremiumRate, Product

DATA_DIR = Path(__file__).parent / "data"
PRODUCTS_FILE = "products.csv"
TABLE_FILES = ("mode_factors.csv", "premium_rates.csv", "cash_values.csv")
BATCH_SIZE = 5000


class ProductDataError(ValueError):
    """A shipped CSV file is missing, malformed, or names something that does not exist."""


@dataclass
class ProductFiles:
    """One product's lines in the shipped files and their checksum."""

    row: dict[str, str]
    table_lines: dict[str, list[str]] = field(default_factory=dict)
    checksum: str = ""


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rows_written: int = 0

    def __str__(self) -> str:
        return (
            f"{len(self.created)} products created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged; {self.rows_written} table rows written"
        )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")  # a byte-order mark (a spreadsheet's export) is no column
    except FileNotFoundError:
        raise ProductDataError(f"missing product data file {path}") from None


def read_product_files(data_dir: Path = DATA_DIR) -> dict[str, ProductFiles]:
    """Every product of products.csv with its lines of the table files and their checksum."""
    products_text = _read(data_dir / PRODUCTS_FILE)
    reader = csv.DictReader(io.StringIO(products_text))
    products = {row["code"]: ProductFiles(row=row) for row in reader}
    digests = {code: hashlib.sha256() for code in products}
    for code, digest in digests.items():
        digest.update(repr(sorted(products[code].row.items())).encode())
    for name in TABLE_FILES:
        header, *lines = _read(data_dir / name).splitlines()
        expected = ",".join(("product", *TABLE_COLUMNS[TABLE_MODELS[name]]))
        if header != expected:
            raise ProductDataError(f"{name} must have the columns {expected}, not {header}")
        by_product: dict[str, list[str]] = defaultdict(list)
        for line in lines:
            by_product[line.split(",", 1)[0]].append(line)
        unknown = set(by_product) - set(products)
        if unknown:
            raise ProductDataError(f"{name} has rows for products not in {PRODUCTS_FILE}: {sorted(unknown)}")
        for code, files in products.items():
            files.table_lines[name] = by_product.get(code, [])
            digests[code].update(f"\n{name}\n{header}\n".encode())
            digests[code].update("\n".join(files.table_lines[name]).encode())
    for code, files in products.items():
        files.checksum = digests[code].hexdigest()
    return products


def _decimal(value: str, where: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ProductDataError(f"{where}: {value!r} is not a number") from None


def _product_fields(row: dict[str, str]) -> dict:
    where = f"{PRODUCTS_FILE} {row.get('code')}"
    return {
        "name": row["name"],
        "name_en": row["name_en"],
        "kind": row["kind"],
        "is_rider": row["is_rider"] == "true",
        "jurisdiction_id": row["jurisdiction"],
        "currency": row["currency"],
        "premium_modes": row["premium_modes"],
        "terms": row["terms"],
        "premium_terms": row["premium_terms"],
        "min_issue_age": int(row["min_issue_age"]),
        "max_issue_age": int(row["max_issue_age"]),
        "min_sum_assured": _decimal(row["min_sum_assured"], where),
        "max_sum_assured": _decimal(row["max_sum_assured"], where),
        "loan_limit_pct": _decimal(row["loan_limit_pct"], where),
        "grace_basis": row["grace_basis"],
        "mortality_basis": row["mortality_basis"],
        "interest_rate": _decimal(row["interest_rate"], where),
        "basis_note": row["basis_note"],
        "is_active": row["is_active"] == "true",
    }


# The columns of each table file after its product code, as the model's attribute names.
TABLE_COLUMNS = {
    PremiumModeFactor: ("mode", "payments_per_year", "factor"),
    PremiumRate: ("sex", "issue_age", "term", "premium_term", "rate"),
    CashValue: ("sex", "issue_age", "term", "premium_term", "policy_year", "value"),
}
TABLE_MODELS = dict(zip(TABLE_FILES, TABLE_COLUMNS, strict=True))


def _table_rows(name: str, model, lines: list[str], product_id: int) -> list[tuple]:
    """One table file's lines of a product as insert tuples: (product id, *columns), integers and Decimals;
    ProductDataError names the line that is not."""
    kinds = [_column_type(model, column) for column in TABLE_COLUMNS[model]]
    rows = []
    for line, (_, *values) in zip(lines, csv.reader(lines), strict=True):
        try:
            rows.append((product_id, *(kind(value) for kind, value in zip(kinds, values, strict=True))))
        except (ValueError, InvalidOperation):
            raise ProductDataError(f"{name}: {line!r} does not give {', '.join(TABLE_COLUMNS[model])} "
                                   "as numbers where numbers are due") from None
    return rows


def _column_type(model, name: str):
    field = model._meta.get_field(name)
    if field.get_internal_type() == "DecimalField":
        return Decimal
    return int if field.get_internal_type().endswith("IntegerField") else str


def _insert(model, rows: list[tuple], using: str) -> None:
    """(product id, *columns) tuples written without model objects (COPY on PostgreSQL): 96k rows in about a
    second, so that a test database flushed by a transactional test gets its products back quickly."""
    connection = connections[using]
    names = ("product_id", *TABLE_COLUMNS[model])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            copy_rows(cursor, model, names, rows)
            return
        quote = connection.ops.quote_name
        columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
        placeholders = ", ".join(["%s"] * len(names))
        sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
        for start in range(0, len(rows), BATCH_SIZE):
            cursor.executemany(sql, rows[start:start + BATCH_SIZE])


def _ensure_jurisdictions(codes: set[str], using: str) -> None:
    from lifecrm.core.models import Jurisdiction

    if set(Jurisdiction.objects.using(using).filter(code__in=codes).values_list("code", flat=True)) == codes:
        return
    from lifecrm.core.reference_data import load_jurisdiction_rules

    load_jurisdiction_rules()
    missing = codes - set(Jurisdiction.objects.using(using).values_list("code", flat=True))
    if missing:
        raise ProductDataError(f"{PRODUCTS_FILE} names unknown jurisdictions {sorted(missing)}")


def load_product_tables(*, data_dir: Path = DATA_DIR, force: bool = False, using: str = "default") -> LoadResult:
    """Create or refresh every product whose shipped rows changed since they were loaded (all with `force`)."""
    files_by_code = read_product_files(data_dir)
    result = LoadResult()
    existing = {product.code: product for product in Product.objects.using(using).all()}
    stale = {
        code: files
        for code, files in files_by_code.items()
        if force or code not in existing or existing[code].tables_checksum != files.checksum
    }
    result.unchanged = sorted(set(files_by_code) - set(stale))
    if not stale:
        return result
    _ensure_jurisdictions({files.row["jurisdiction"] for files in stale.values()}, using)
    with transaction.atomic(using=using):
        for code, files in stale.items():
            fields = _product_fields(files.row) | {"tables_checksum": files.checksum}
            product, created = Product.objects.using(using).update_or_create(code=code, defaults=fields)
            (result.created if created else result.updated).append(code)
            if not created:
                for model in (PremiumModeFactor, PremiumRate, CashValue):
                    model.objects.using(using).filter(product=product).delete()
            for name, model in TABLE_MODELS.items():
                rows = _table_rows(name, model, files.table_lines[name], product.pk)
                _insert(model, rows, using)
                result.rows_written += len(rows)
    return result
