"""Excel workbooks that every export shares: the content type, the cell formats, safe sheet titles, a bold
heading row, a data row whose dates read as dates, the file's bytes and its download response."""
from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
SHEET_TITLE_MAX = 31  # Excel's limit
SHEET_TITLE_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_title(title: str, taken: set[str]) -> str:
    """`title` as Excel accepts it (no []:*?/\\, at most 31 characters) and unlike the titles `taken` (which it
    joins): a repeated title gets " (2)", " (3)"..."""
    base = title.translate(SHEET_TITLE_FORBIDDEN).strip()[:SHEET_TITLE_MAX] or "Sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[:SHEET_TITLE_MAX - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def write_headings(sheet: Worksheet, row: int, headings: Sequence[str], *, width: int | None = 16,
                   wrap: bool = False) -> None:
    """A bold heading row from column A (each column `width` wide, unless None)."""
    for col, heading in enumerate(headings, start=1):
        cell = sheet.cell(row, col, heading)
        cell.font = Font(bold=True)
        if wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if width is not None:
            sheet.column_dimensions[get_column_letter(col)].width = width


def write_row(sheet: Worksheet, row: int, values: Sequence, *, formats: Sequence[str | None] = (),
              date_format: str = DATE_FORMAT, bold: bool = False) -> None:
    """One data row from column A: `formats[i]` for the i-th cell when given; a date as a date (a date-time to the
    minute, time-zone free as Excel wants it)."""
    for col, value in enumerate(values, start=1):
        if isinstance(value, datetime):
            value = value.replace(tzinfo=None)
        cell = sheet.cell(row, col, value)
        number_format = formats[col - 1] if col - 1 < len(formats) else None
        if isinstance(value, datetime):
            number_format = DATETIME_FORMAT
        elif isinstance(value, date):
            number_format = date_format
        if number_format:
            cell.number_format = number_format
        if bold:
            cell.font = Font(bold=True)


def workbook_bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """The download of a workbook's bytes as `filename`."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
