"""The complaint register (scoped, with its deadlines and overdue flags), its Excel export, and the complaint
statistics the regulator reads (DOMAIN.md): complaints per 10,000 policies, per 10,000 customers and per 100 million
of premium, by branch and by category, over a period of receipt days.

The bases are the book in force today in the scope and the jurisdiction (policies in force, in grace, reinstated or
paid up; their distinct owners; their annualised premium in the jurisdiction's currency): one currency per report."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from lifecrm.core.models import Jurisdiction
from lifecrm.core.spreadsheets import DATE_FORMAT, workbook_bytes, write_headings, write_row
from lifecrm.org.models import OrgUnit
from lifecrm.org.rules import DataScope
from lifecrm.org.selectors import in_scope
from lifecrm.policies.models import Policy, PolicyVersion
from lifecrm.service import complaint_rules as rules
from lifecrm.service.models import CaseCategory, Complaint

IN_FORCE = ("in_force", "grace", "reinstated", "paid_up")
REGISTER_LIMIT = 500


def complaints_in_scope(scope: DataScope):
    return in_scope(Complaint.objects.all(), scope, path_field="case__branch_path", agent_field="case__agent_id")


@dataclass(frozen=True)
class RegisterRow:
    complaint: Complaint
    due: date | None  # what is due next: the decision or the review's decision
    overdue: bool
    first: object | None  # the decision
    review: object | None  # the review's decision


def complaint_register(*, scope: DataScope, as_of: date, stage: str = "", overdue_only: bool = False,
                       limit: int = REGISTER_LIMIT) -> list[RegisterRow]:
    """The complaints of the scope, newest receipt first, each with its next deadline and whether it is overdue on
    `as_of`: two queries whatever the number of rows."""
    rows = complaints_in_scope(scope).select_related(
        "case__customer", "case__category", "case__assignee", "case__branch", "case__about_staff",
    ).prefetch_related("decisions").order_by("-received_on", "-case_id")
    if stage:
        rows = rows.filter(stage=stage)
    result = []
    for complaint in rows[:limit]:
        decisions = {d.kind: d for d in complaint.decisions.all()}
        due = {Complaint.Stage.OPEN: complaint.decision_due, Complaint.Stage.REVIEW: complaint.review_due}.get(
            complaint.stage)
        row = RegisterRow(complaint, due, rules.is_overdue(due, as_of), decisions.get("first"),
                          decisions.get("review"))
        if row.overdue or not overdue_only:
            result.append(row)
    return result


def register_xlsx(rows: list[RegisterRow], *, as_of: date) -> bytes:
    """The register as an Excel workbook: one line per complaint, dates as dates, the overdue flagged."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Complaint register")[:31]
    sheet.cell(1, 1, _("Complaint register")).font = Font(bold=True, size=14)
    sheet.cell(2, 1, _("As of")).font = Font(bold=True)
    sheet.cell(2, 2, as_of).number_format = DATE_FORMAT
    headings = [_("Case number"), _("Complaint received on"), _("Customer"), _("Category"), _("Branch"), _("Handler"),
                _("Stage"), _("Complex"), _("Extension (days)"), _("Decision due"), _("Decided on"),
                _("Within the time limit"), _("Delivered at"), _("Delivered by"), _("Receipt reference"),
                _("Review asked for on"), _("Review decision due"), _("Review decided on"), _("Overdue")]
    start = 4
    write_headings(sheet, start, headings)
    yes_no = lambda value: "" if value is None else (_("yes") if value else _("no"))  # noqa: E731
    for line, row in enumerate(rows, start=start + 1):
        c, case, first, review = row.complaint, row.complaint.case, row.first, row.review
        values = [case.number, c.received_on, case.customer.name, case.category.name_en if case.category else "",
                  case.branch.name, case.assignee.name if case.assignee else "", c.get_stage_display(),
                  yes_no(c.is_complex), c.extension_days, c.decision_due, first and first.decided_on,
                  yes_no(first.on_time if first else None),
                  first and first.delivered_at,
                  first.get_delivery_channel_display() if first else "", first.delivery_reference if first else "",
                  c.review_requested_on, c.review_due, review and review.decided_on, yes_no(row.overdue)]
        write_row(sheet, line, values)
    sheet.freeze_panes = sheet.cell(start + 1, 2)
    return workbook_bytes(book)


@dataclass(frozen=True)
class RateRow:
    key: str
    label: str
    complaints: int
    policies: int
    customers: int
    premium: Decimal
    per_policies: Decimal | None
    per_customers: Decimal | None
    per_premium: Decimal | None


@dataclass(frozen=True)
class ComplaintStatistics:
    jurisdiction: str
    currency: str
    period_start: date
    period_end: date
    by_branch: list[RateRow]
    by_category: list[RateRow]
    total: RateRow


def _rate_row(key: str, label: str, complaints: int, policies: int, customers: int, premium: Decimal) -> RateRow:
    return RateRow(key, label, complaints, policies, customers, premium,
                   rules.rate(complaints, policies, rules.PER_POLICIES),
                   rules.rate(complaints, customers, rules.PER_CUSTOMERS),
                   rules.rate(complaints, premium, rules.PER_PREMIUM))


def complaint_statistics(*, scope: DataScope, jurisdiction: str, period_start: date, period_end: date,
                         language: str = "en") -> ComplaintStatistics:
    """Complaints received in [period_start, period_end] and their rates, by branch (the customer's unit; its own
    book as the base) and by category (the scope's book as the base): a fixed number of queries."""
    if period_end < period_start:
        raise ValueError("the period ends before it starts")
    received = complaints_in_scope(scope).filter(case__jurisdiction_id=jurisdiction,
                                                 received_on__range=(period_start, period_end))
    by_branch = dict(received.values_list("case__branch_id").annotate(n=Count("pk")))
    by_category = dict(received.values_list("case__category_id").annotate(n=Count("pk")))
    policies = in_scope(Policy.objects.filter(jurisdiction_id=jurisdiction, status__in=IN_FORCE), scope)
    book = {branch: (n, owners) for branch, n, owners in policies.values_list("branch_id").annotate(
        n=Count("pk"), owners=Count("owner_id", distinct=True))}
    premium = defaultdict(Decimal, PolicyVersion.objects.filter(policy__in=policies, effective_to__isnull=True)
                          .values_list("policy__branch_id").annotate(total=Sum("annual_premium")))
    totals = policies.aggregate(n=Count("pk"), owners=Count("owner_id", distinct=True))
    total_premium = sum(premium.values(), Decimal(0))
    units = {pk: name_en if language == "en" and name_en else name for pk, name, name_en in  # the reader's language
             OrgUnit.objects.filter(pk__in=set(by_branch) | set(book)).values_list("pk", "name", "name_en")}
    branch_rows = [_rate_row(str(pk), units.get(pk, "?"), by_branch.get(pk, 0), *book.get(pk, (0, 0)), premium[pk])
                   for pk in sorted(set(by_branch) | set(book), key=lambda pk: units.get(pk, ""))]
    names = {code: (name_en if language == "en" else name) for code, name, name_en in
             CaseCategory.objects.filter(case_type_id="complaint").values_list("code", "name", "name_en")}
    category_rows = [_rate_row(code or "", names.get(code, _("no category")), by_category.get(code, 0),
                               totals["n"], totals["owners"], total_premium)
                     for code in list(names) + ([None] if None in by_category else [])]
    total = _rate_row("total", _("Total"), sum(by_branch.values()), totals["n"], totals["owners"], total_premium)
    currency = Jurisdiction.objects.filter(code=jurisdiction).values_list("currency", flat=True).first() or ""
    return ComplaintStatistics(jurisdiction, currency, period_start, period_end, branch_rows, category_rows, total)
