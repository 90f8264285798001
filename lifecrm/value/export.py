"""The value dashboards as an Excel workbook: a sheet per table, each headed by its as-of days."""
from __future__ import annotations

from django.utils.translation import gettext as _
from openpyxl import Workbook

from lifecrm.core.spreadsheets import MONEY_FORMAT, sheet_title, workbook_bytes, write_headings, write_row
from lifecrm.parties.models import CustomerSegment
from lifecrm.value.dashboards import ValueDashboard


def _sheet(book: Workbook, title: str, note: str, header: list[str], rows: list[list], money_from: int | None = None
           ) -> None:
    sheet = book.create_sheet(sheet_title(title, {s.title.lower() for s in book.worksheets}))
    sheet.cell(1, 1, note)
    write_headings(sheet, 2, header, width=None)
    formats = [None] * len(header) if money_from is None else [None] * money_from + [MONEY_FORMAT] * len(header)
    for line, row in enumerate(rows, start=3):
        write_row(sheet, line, row, formats=formats)
    sheet.column_dimensions["A"].width = 28


def dashboard_xlsx(board: ValueDashboard) -> bytes:
    tiers, stages = CustomerSegment.Tier, CustomerSegment.Stage
    days = _("Values as of %(value_day)s; segments as of %(as_of)s") % {
        "value_day": board.value_day or "—", "as_of": board.as_of}
    book = Workbook()
    book.remove(book.active)
    _sheet(book, _("Value distribution"), days, [_("Customer value"), _("Customers"), _("Total value")],
           [[label, n, total] for label, n, total in board.bands], money_from=2)
    rows = [[row.name, row.customers, *(row.tiers.get(t, 0) for t in tiers.values),
             *(row.stages.get(s, 0) for s in stages.values)] for row in [*board.branches]]
    _sheet(book, _("Tiers and stages"), days, [_("Branch"), _("Customers"), *map(str, tiers.labels),
                                               *map(str, stages.labels)], rows)
    before_labels = [_("not placed"), *map(str, tiers.labels)]
    rows = [[label, *(board.migration.get((before, after), 0) for after in tiers.values)]
            for before, label in zip([None, *tiers.values], before_labels, strict=True)]
    _sheet(book, _("Tier migration"), _("From %(start)s (rows) to %(end)s (columns)") % {
        "start": board.migration_since, "end": board.as_of}, [_("Tier before"), *map(str, tiers.labels)], rows)
    rows = [[row.name, row.at_risk_policies, row.pvfp_at_risk, row.expected_loss] for row in board.branches]
    _sheet(book, _("Value at risk"), _("Lapse scores as of %(day)s") % {"day": board.score_day or "—"},
           [_("Branch"), _("Policies at high risk"), _("PVFP at risk"), _("Expected loss")], rows, money_from=2)
    return workbook_bytes(book)
