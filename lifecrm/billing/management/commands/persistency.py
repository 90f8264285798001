"""`lifecrm persistency --as-of D --month 13 --from 2025-01 --to 2025-12 --by branch [--xlsx out.xlsx]`."""
from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lifecrm.billing.persistency import (
    WINDOW_MONTHS,
    PersistencyReport,
    PersistencyRow,
    dimension_names,
    persistency_overview,
)
from lifecrm.billing.persistency_export import build_workbook
from lifecrm.core.commands import parse_date
from lifecrm.core.rules import add_months
from lifecrm.org.access import command_scope
from lifecrm.org.rules import DataScope

HEADINGS = ("cohort", "excl", "pend", "judged", "persist", "count %", "judged premium", "persisting prem",
            "premium %")



def _month(value: str, option: str) -> date:
    try:
        year, month = value.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return date(int(year), int(month), 1)
    except ValueError:
        raise CommandError(f"{option} must be a month as YYYY-MM, not {value!r}") from None


def _width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def _pct(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _cells(row: PersistencyRow) -> list[str]:
    return [str(row.cohort), str(row.excluded), str(row.pending), str(row.judged), str(row.persisting),
            _pct(row.count_pct), f"{row.judged_premium:,.2f}", f"{row.persisting_premium:,.2f}",
            _pct(row.premium_pct)]


class Command(BaseCommand):
    help = ("13th- or 25th-month persistency by count and annualised premium for the reporting months "
            "--from..--to, grouped by one or more dimensions; optionally written to an Excel workbook.")

    def add_arguments(self, parser):
        # Everything is validated in handle(), so a bad argument is one CommandError line.
        parser.add_argument("--as-of", help="business date the policies are judged on, YYYY-MM-DD")
        parser.add_argument("--month", default="13", help="13 or 25 (default 13)")
        parser.add_argument("--from", dest="from_month", help="first reporting month, YYYY-MM "
                            "(default: 11 months before --to)")
        parser.add_argument("--to", dest="to_month", help="last reporting month, YYYY-MM (default: the month of --as-of)")
        parser.add_argument("--by", default="branch",
                            help=f"comma-separated dimensions: {', '.join(dimension_names())} (default branch)")
        parser.add_argument("--unit", help="org unit code: report only that unit's subtree (default: the company)")
        parser.add_argument("--xlsx", help="also write the workbook to this path")

    def handle(self, *args, as_of=None, month="13", from_month=None, to_month=None, by="branch", unit=None,
               xlsx=None, **options):
        day = parse_date(as_of, "--as-of")
        try:
            window = int(month)
        except (TypeError, ValueError):
            window = None
        if window not in WINDOW_MONTHS:
            raise CommandError(f"--month must be 13 or 25, not {month!r}")
        last = _month(to_month, "--to") if to_month else day.replace(day=1)
        first = _month(from_month, "--from") if from_month else add_months(last, -11)
        if first > last:
            raise CommandError("--from must not be after --to")
        names = [name.strip() for name in str(by).split(",") if name.strip()]
        unknown = [name for name in names if name not in dimension_names()]
        if not names or unknown:
            raise CommandError(f"--by must name dimensions among {', '.join(dimension_names())}, not {by!r}")
        scope, scope_label = self._scope(unit)
        if xlsx and not xlsx.lower().endswith(".xlsx"):
            raise CommandError(f"--xlsx must name a .xlsx file, not {xlsx!r}")
        try:
            overview = persistency_overview(scope=scope, as_of=day, month=window, period_start=first,
                                            period_end=last, group_by=names[0], export_by=names)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        for report in overview.reports.values():
            self._print(report, scope_label)
        if xlsx:
            book = build_workbook(list(overview.reports.values()), trend=overview.trend, scope_label=scope_label)
            try:
                book.save(Path(xlsx))
            except OSError as exc:
                raise CommandError(f"cannot write {xlsx}: {exc.strerror or exc}") from None
            self.stdout.write(f"wrote {xlsx}")

    def _scope(self, code: str | None) -> tuple[DataScope, str]:
        try:
            scope, unit = command_scope(code)
        except LookupError as exc:
            raise CommandError(f"--unit: {exc}") from None
        return scope, f"{unit.code} {unit.name}" if unit else ""

    def _print(self, report: PersistencyReport, scope_label: str) -> None:
        self.stdout.write(
            f"{report.title}: as of {report.as_of}, reporting months {report.period_start:%Y-%m} – "
            f"{report.period_end:%Y-%m} (policies issued {report.issued_from} – {report.issued_to})"
            + (f", {scope_label}" if scope_label else "")
        )
        lines = [[row.label, *_cells(row)] for row in report.rows] + [[report.total.label, *_cells(report.total)]]
        header = [report.dimension_title, *HEADINGS]
        widths = [max(_width(line[i]) for line in [header, *lines]) for i in range(len(header))]

        def render(cells: list[str]) -> str:
            first = _pad(cells[0], widths[0])
            rest = [" " * (widths[i] - _width(c)) + c for i, c in enumerate(cells) if i]
            return "  ".join([first, *rest]).rstrip()

        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        self.stdout.write(render(header))
        self.stdout.write(rule)
        for line in lines[:-1]:
            self.stdout.write(render(line))
        self.stdout.write(rule)
        self.stdout.write(render(lines[-1]))
        self.stdout.write("")
