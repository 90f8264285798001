"""Persistency as an Excel workbook: a sheet per dimension (and the trend), each with its definition header.

Percentages are written as the fraction already rounded half-up to 0.01 % (persistency.percent / 100)
and shown with the number format `0.00%`, so the cell holds exactly the figure shown.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from lifecrm.billing.persistency import (
    PersistencyReport,
    PersistencyRow,
    PersistencyTrend,
    percent,
    persistency_overview,
)
from lifecrm.core.spreadsheets import (
    DATE_FORMAT,
    MONEY_FORMAT,
    PERCENT_FORMAT,
    sheet_title,
    workbook_bytes,
    write_headings,
    write_row,
)
from lifecrm.org.rules import DataScope


def _fraction(value: Decimal | None) -> Decimal | None:
    """The ratio rounded half-up to 0.01 %, as a fraction for a `0.00%` cell (None stays an empty cell)."""
    shown = percent(value)
    return None if shown is None else shown / 100


def _columns() -> list[tuple[str, str | None]]:
    """(heading, number format) of the table's columns after the first (the group's label)."""
    return [
        (_("Policies in cohort"), "0"), (_("Excluded"), "0"), (_("Pending"), "0"), (_("Judged"), "0"),
        (_("Persisting"), "0"), (_("Persistency by count"), PERCENT_FORMAT),
        (_("Annualised premium in cohort"), MONEY_FORMAT), (_("Excluded premium"), MONEY_FORMAT),
        (_("Pending premium"), MONEY_FORMAT), (_("Judged premium"), MONEY_FORMAT),
        (_("Persisting premium"), MONEY_FORMAT), (_("Persistency by premium"), PERCENT_FORMAT),
    ]


def _values(row: PersistencyRow) -> list:
    return [row.cohort, row.excluded, row.pending, row.judged, row.persisting, _fraction(row.count_ratio),
            row.cohort_premium, row.excluded_premium, row.pending_premium, row.judged_premium,
            row.persisting_premium, _fraction(row.premium_ratio)]


def _header(sheet: Worksheet, *, title: str, definition: str, as_of: date, months: tuple[date, date],
            issued: tuple[date, date] | None, scope_label: str) -> int:
    """Write the header block; return the next free row."""
    sheet.cell(1, 1, title).font = Font(bold=True, size=14)
    lines: list[tuple[str, object]] = [
        (_("Definition"), definition),
        (_("As of"), as_of),
        (_("Reporting months"), f"{months[0]:%Y-%m} – {months[1]:%Y-%m}"),
    ]
    if issued is not None:
        lines.append((_("Policies issued"), f"{issued[0]:%Y-%m-%d} – {issued[1]:%Y-%m-%d}"))
    if scope_label:
        lines.append((_("Data scope"), scope_label))
    lines.append((_("Rounding"), _("percentages rounded half-up to 0.01 %")))
    for offset, (name, value) in enumerate(lines, start=2):
        sheet.cell(offset, 1, name).font = Font(bold=True)
        cell = sheet.cell(offset, 2, value)
        if isinstance(value, date):
            cell.number_format = DATE_FORMAT
            cell.alignment = Alignment(horizontal="left")
    definition_row = 2
    sheet.merge_cells(start_row=definition_row, start_column=2, end_row=definition_row, end_column=13)
    sheet.cell(definition_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[definition_row].height = 75
    return len(lines) + 3


def _table(sheet: Worksheet, start: int, first_headings: list[str], rows: Iterable[tuple[list, PersistencyRow]],
           total: tuple[list, PersistencyRow] | None) -> None:
    columns = _columns()
    write_headings(sheet, start, first_headings + [name for name, _format in columns], wrap=True)
    formats = [None] * len(first_headings) + [fmt for _name, fmt in columns]
    everything = [(lead, row, False) for lead, row in rows]
    if total is not None:
        everything.append((total[0], total[1], True))
    for line, (lead, row, bold) in enumerate(everything, start=start + 1):
        write_row(sheet, line, lead + _values(row), formats=formats, date_format="yyyy-mm", bold=bold)
    sheet.freeze_panes = sheet.cell(start + 1, len(first_headings) + 1)
    sheet.column_dimensions["A"].width = 28


def _report_sheet(sheet: Worksheet, report: PersistencyReport, scope_label: str) -> None:
    start = _header(sheet, title=report.title, definition=report.definition, as_of=report.as_of,
                    months=(report.period_start, report.period_end), issued=(report.issued_from, report.issued_to),
                    scope_label=scope_label)
    _table(sheet, start, [report.dimension_title], [([r.label], r) for r in report.rows],
           ([report.total.label], report.total))


def _trend_sheet(sheet: Worksheet, trend: PersistencyTrend, definition: str, scope_label: str) -> None:
    start = _header(sheet, title=_("%(month)sth-month persistency by reporting month") % {"month": trend.month},
                    definition=definition, as_of=trend.as_of, months=(trend.months[0], trend.months[-1]),
                    issued=None, scope_label=scope_label)
    rows = [([series.label, point.key], point) for series in trend.series for point in series.points]
    _table(sheet, start, [_("Group"), _("Reporting month")], rows, None)


def build_workbook(reports: Sequence[PersistencyReport], *, trend: PersistencyTrend | None = None,
                   scope_label: str = "") -> Workbook:
    """A workbook with one sheet per report (titled by its dimension) and, if given, a trend sheet."""
    if not reports:
        raise ValueError("a persistency workbook needs at least one report")
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for report in reports:
        _report_sheet(book.create_sheet(sheet_title(report.dimension_title, taken)), report, scope_label)
    if trend is not None:
        _trend_sheet(book.create_sheet(sheet_title(_("Trend"), taken)), trend, reports[0].definition, scope_label)
    return book


def export_filename(*, month: int, period_start: date, period_end: date, as_of: date) -> str:
    """e.g. persistency-13-2025-01-2025-12-as-of-2026-01-15.xlsx"""
    return f"persistency-{month}-{period_start:%Y-%m}-{period_end:%Y-%m}-as-of-{as_of:%Y-%m-%d}.xlsx"


def persistency_xlsx(*, scope: DataScope, as_of: date, month: int = 13, period_start: date, period_end: date,
                     group_by: Sequence[str] = ("company", "branch"), with_trend: bool = True,
                     scope_label: str = "") -> bytes:
    """The Excel download: a sheet per dimension in `group_by` and the company trend, from one gathering."""
    if not group_by:
        raise ValueError("choose at least one dimension")
    overview = persistency_overview(scope=scope, as_of=as_of, month=month, period_start=period_start,
                                    period_end=period_end, group_by=group_by[0], trend_by="company",
                                    export_by=group_by)
    book = build_workbook(list(overview.reports.values()), trend=overview.trend if with_trend else None,
                          scope_label=scope_label)
    return workbook_bytes(book)
