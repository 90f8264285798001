"""Reading the projection's inputs: lifelib's own xlsx files, or the same tables as CSV.

Column names are lifelib's; extra columns are ignored. lifelib's own files differ from its
documented names in two places, both accepted: BasicTerm_S's model points are keyed `point_id`
(ME's `policy_id`), and the discount file's rate column is `zero_spot` (or `disc_rate_ann`).
The premium table's xlsx merges the age cells of a block of terms, so a blank `age_at_entry`
takes the age above it, as pandas does when lifelib reads it.
Every problem is a TableError naming the file, the row and the column.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from lifecrm.value.projection import SELECT_YEARS, DiscountCurve, ModelPoints, MortalityTable, PremiumTable


class TableError(ValueError):
    """A file the projection cannot read, with a message naming the file, row and column."""


def read_rows(path: Path) -> tuple[list[str], list[list[object]]]:
    """Header and rows of a CSV file or of the first sheet of an xlsx workbook."""
    path = Path(path)
    if not path.is_file():
        raise TableError(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise TableError(f"{path}: not a readable xlsx workbook ({exc.__class__.__name__})") from None
        try:
            rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    else:
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                rows = [list(row) for row in csv.reader(handle)]
        except UnicodeDecodeError:
            raise TableError(f"{path}: not a UTF-8 CSV file") from None
    rows = [row for row in rows if any(cell not in (None, "") for cell in row)]
    if not rows:
        raise TableError(f"{path}: the file is empty")
    header = [_text(cell) for cell in rows[0]]
    return header, rows[1:]


class _Table:
    def __init__(self, path: Path, what: str):
        self.path = Path(path)
        self.what = what
        self.header, self.rows = read_rows(self.path)
        if not self.rows:
            raise TableError(f"{self.path}: the {what} has no rows")

    def has(self, name: str) -> bool:
        return name in self.header

    def index(self, *names: str) -> int:
        for name in names:
            if name in self.header:
                return self.header.index(name)
        shown = ", ".join(name for name in self.header if name) or "none"
        raise TableError(f"{self.path}: the {self.what} has no column {' or '.join(repr(n) for n in names)} "
                         f"(its columns: {shown})")

    def cells(self, *names: str, fill_down: bool = False) -> list[object]:
        column = self.index(*names)
        values, above = [], None
        for row in self.rows:
            value = row[column] if column < len(row) else None
            if isinstance(value, str):
                value = value.strip()
            if fill_down and value in (None, ""):
                value = above
            values.append(value)
            above = value
        return values

    def numbers(self, *names: str, integer: bool = False, fill_down: bool = False) -> np.ndarray:
        out = []
        for line, value in enumerate(self.cells(*names, fill_down=fill_down), start=2):
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = math.nan
            if not math.isfinite(number) or (integer and not number.is_integer()):
                kind = "a whole number" if integer else "a number"
                shown = "blank" if value in (None, "") else repr(value)
                raise TableError(f"{self.path}, row {line}: {names[0]} is {shown}, not {kind}")
            out.append(number)
        return np.array(out, dtype=np.int64 if integer else float)


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def read_model_points(path: Path, model: str) -> ModelPoints:
    """Model points; S's file (lifelib's) has no policy_count or duration_mth, and S ignores them."""
    table = _Table(path, "model point file")
    ids = np.array([_text(value) for value in table.cells("policy_id", "point_id")], dtype=object)
    for line, pid in enumerate(ids, start=2):
        if not pid:
            raise TableError(f"{table.path}, row {line}: policy_id is blank")
    n = len(ids)
    count = table.numbers("policy_count") if model == "ME" or table.has("policy_count") else np.ones(n)
    duration = (table.numbers("duration_mth", integer=True)
                if model == "ME" or table.has("duration_mth") else np.zeros(n, dtype=np.int64))
    return ModelPoints(
        policy_id=ids,
        age_at_entry=table.numbers("age_at_entry", integer=True),
        policy_term=table.numbers("policy_term", integer=True),
        policy_count=count,
        sum_assured=table.numbers("sum_assured"),
        duration_mth=duration,
    )


def read_mortality(path: Path) -> MortalityTable:
    """`Age, 0, 1, 2, 3, 4, 5`: annual rates by attained age and duration (5 = ultimate)."""
    table = _Table(path, "mortality table")
    ages = table.numbers("Age", integer=True)
    order = np.argsort(ages, kind="stable")
    ages = ages[order]
    if len(np.unique(ages)) != len(ages):
        raise TableError(f"{table.path}: age {ages[np.flatnonzero(np.diff(ages) == 0)[0]]} appears more than once")
    if len(ages) > 1 and (np.diff(ages) != 1).any():
        gap = ages[np.flatnonzero(np.diff(ages) != 1)[0]] + 1
        raise TableError(f"{table.path}: the mortality table has no row for age {gap} (ages must run without a gap)")
    columns = [table.numbers(str(d))[order] for d in range(SELECT_YEARS + 1)]
    rates = np.column_stack(columns)
    bad = (rates < 0) | (rates > 1)
    if bad.any():
        i, d = np.argwhere(bad)[0]
        raise TableError(f"{table.path}: the rate for age {ages[i]}, duration {d} is {rates[i, d].item()!r}, not between 0 and 1")
    return MortalityTable(min_age=int(ages[0]), rates=rates)


def read_discount(path: Path) -> DiscountCurve:
    """`year, disc_rate_ann` (lifelib's file calls it `zero_spot`): annual spot rates from year 0."""
    table = _Table(path, "discount curve")
    years = table.numbers("year", integer=True)
    rates = table.numbers("disc_rate_ann", "zero_spot")
    order = np.argsort(years, kind="stable")
    years, rates = years[order], rates[order]
    if not np.array_equal(years, np.arange(len(years))):
        missing = next(y for y in range(len(years) + 1) if y >= len(years) or years[y] != y)
        raise TableError(f"{table.path}: the discount curve has no rate for year {missing} "
                         "(years must run 0, 1, 2, … once each)")
    if (rates <= -1).any():
        raise TableError(f"{table.path}: the rate for year {years[np.flatnonzero(rates <= -1)[0]]} is -100 % or less")
    return DiscountCurve(rates=rates)


def read_premium_table(path: Path) -> PremiumTable:
    """`age_at_entry, policy_term, premium_rate`: rates per unit of sum assured."""
    table = _Table(path, "premium table")
    ages = table.numbers("age_at_entry", integer=True, fill_down=True)
    terms = table.numbers("policy_term", integer=True)
    rates = table.numbers("premium_rate")
    min_age, min_term = int(ages.min()), int(terms.min())
    grid = np.full((int(ages.max()) - min_age + 1, int(terms.max()) - min_term + 1), np.nan)
    seen = set()
    for age, term, rate in zip(ages.tolist(), terms.tolist(), rates.tolist(), strict=True):
        if (age, term) in seen:
            raise TableError(f"{table.path}: age_at_entry {age}, policy_term {term} appears more than once")
        seen.add((age, term))
        grid[age - min_age, term - min_term] = rate
    return PremiumTable(min_age=min_age, min_term=min_term, rates=grid)
