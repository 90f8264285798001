"""Persistency's Excel workbook and the `lifecrm persistency` command."""
from datetime import date
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from lifecrm.billing.persistency import persistency_reports, persistency_trend
from lifecrm.billing.persistency_export import (
    PERCENT_FORMAT,
    build_workbook,
    export_filename,
    persistency_xlsx,
    workbook_bytes,
)
from lifecrm.org.rules import DataScope, ScopeKind
from lifecrm.policies.models import Policy
from tests.factories import make_customer, make_org, make_policy, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
HQ = DataScope(ScopeKind.ALL)
AS_OF = date(2025, 6, 30)


@pytest.fixture
def org():
    """Three annual policies issued in January 2024 (2 paid their 2nd premium) and one in February, unpaid."""
    org = make_org()
    agent = make_staff("agent", org.team_a)
    for issue, unit, premium, paid in [
        (date(2024, 1, 10), org.branch_a, "1000.00", 2), (date(2024, 1, 11), org.branch_a, "2000.00", 1),
        (date(2024, 1, 12), org.team_b, "3000.00", 2), (date(2024, 2, 12), org.team_b, "500.00", 1),
    ]:
        owner = make_customer(branch=unit, agent=agent)
        policy = make_policy(owner=owner, agent=agent, branch=unit, issue_date=issue, premium_mode="annual",
                             annual_premium=Decimal(premium), modal_premium=Decimal(premium), as_of=date(2027, 1, 1))
        Policy.objects.filter(pk=policy.pk).update(paid_instalments=paid)
    return org


def test_one_sheet_per_dimension_with_the_definition_header_and_formatted_percentages(org):
    reports = persistency_reports(scope=HQ, as_of=AS_OF, month=13, period_start=date(2025, 1, 1),
                                  period_end=date(2025, 2, 1), group_by=("branch", "company"))
    trend = persistency_trend(scope=HQ, as_of=AS_OF, month=13, period_start=date(2025, 1, 1),
                              period_end=date(2025, 2, 1))
    book = load_workbook(BytesIO(workbook_bytes(build_workbook(list(reports.values()), trend=trend,
                                                               scope_label="HQ"))))
    assert book.sheetnames == ["Branch", "Company", "Trend"]
    sheet = book["Branch"]
    assert sheet["A1"].value == "13th-month persistency by branch"
    assert sheet["A2"].value == "Definition" and "grace period of its 13th-month premium" in sheet["B2"].value
    header = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(2, 9)}
    assert header["As of"].date() == AS_OF
    assert header["Reporting months"] == "2025-01 – 2025-02"
    assert header["Policies issued"] == "2024-01-01 – 2024-02-29"
    assert header["Data scope"] == "HQ"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=9, max_row=12)]
    assert rows[0][:7] == ["Branch", "Policies in cohort", "Excluded", "Pending", "Judged", "Persisting",
                           "Persistency by count"]
    # Beijing: 1/2, 1000/3000; Shanghai: 3000 paid, 500 unpaid → 1/2 = 50 %, 3000/3500 = 85.714… → 85.71 %.
    # An English workbook names the branches by their English names.
    assert rows[1][0] == "Beijing branch" and Decimal(str(rows[1][12])) == Decimal("0.3333")
    assert rows[2][0] == "Shanghai branch" and rows[2][1:6] == [2, 0, 0, 2, 1]
    assert Decimal(str(rows[2][6])) == Decimal("0.5") and Decimal(str(rows[2][12])) == Decimal("0.8571")
    assert rows[3][0] == "Total" and rows[3][1] == 4 and Decimal(str(rows[3][12])) == Decimal("0.6154")
    assert sheet.cell(10, 7).number_format == PERCENT_FORMAT
    assert sheet.cell(10, 13).number_format == PERCENT_FORMAT
    assert sheet.cell(10, 8).number_format == "#,##0.00"
    trend_rows = [[c.value for c in row] for row in book["Trend"].iter_rows(min_row=8, max_row=10)]
    assert trend_rows[0][:3] == ["Group", "Reporting month", "Policies in cohort"]
    assert [r[0] for r in trend_rows[1:]] == ["Company", "Company"]
    assert [r[1].date() for r in trend_rows[1:]] == [date(2025, 1, 1), date(2025, 2, 1)]
    assert [Decimal(str(r[7])) for r in trend_rows[1:]] == [Decimal("0.6667"), Decimal("0")]


def test_the_download_in_one_call(org):
    content = persistency_xlsx(scope=HQ, as_of=AS_OF, month=13, period_start=date(2025, 1, 1),
                               period_end=date(2025, 1, 1), group_by=("agent", "product", "channel", "team"))
    assert load_workbook(BytesIO(content)).sheetnames == ["Agent", "Product", "Channel", "Team", "Trend"]
    assert export_filename(month=13, period_start=date(2025, 1, 1), period_end=date(2025, 12, 1),
                           as_of=date(2026, 3, 1)) == "persistency-13-2025-01-2025-12-as-of-2026-03-01.xlsx"
    with pytest.raises(ValueError, match="at least one"):
        build_workbook([])


def test_the_command_prints_the_table_and_writes_the_workbook(org, tmp_path):
    out = StringIO()
    target = tmp_path / "persistency.xlsx"
    call_command("persistency", as_of="2025-06-30", month="13", from_month="2025-01", to_month="2025-02",
                 by="branch,company", xlsx=str(target), stdout=out)
    text = out.getvalue()
    assert "13th-month persistency by branch: as of 2025-06-30, reporting months 2025-01 – 2025-02" in text
    lines = text.splitlines()
    shanghai = next(line for line in lines if line.startswith("Shanghai branch"))
    assert shanghai.split() == ["Shanghai", "branch", "2", "0", "0", "2", "1", "50.00", "3,500.00", "3,000.00",
                                "85.71"]
    total = [line for line in lines if line.startswith("Total")]
    assert total[0].split()[-1] == "61.54" and len(total) == 2
    assert f"wrote {target}" in text
    assert load_workbook(target).sheetnames == ["Branch", "Company", "Trend"]
    unit_out = StringIO()
    call_command("persistency", as_of="2025-06-30", from_month="2025-01", to_month="2025-02", by="branch",
                 unit=org.branch_a.code, stdout=unit_out)
    assert "Shanghai branch" not in unit_out.getvalue() and "Beijing branch" in unit_out.getvalue()


@pytest.mark.parametrize(("options", "message"), [
    ({}, "--as-of is required"),
    ({"as_of": "2025-13-01"}, "--as-of must be a date as YYYY-MM-DD"),
    ({"as_of": "2025-06-30", "month": "12"}, "--month must be 13 or 25"),
    ({"as_of": "2025-06-30", "from_month": "2025-1"}, "--from must be a month as YYYY-MM"),
    ({"as_of": "2025-06-30", "to_month": "June"}, "--to must be a month as YYYY-MM"),
    ({"as_of": "2025-06-30", "from_month": "2025-03", "to_month": "2025-02"}, "--from must not be after --to"),
    ({"as_of": "2025-06-30", "by": "branch,region"}, "--by must name dimensions among"),
    ({"as_of": "2025-06-30", "unit": "NOPE"}, "--unit: no org unit with code 'NOPE'"),
    ({"as_of": "2025-06-30", "xlsx": "out.csv"}, "--xlsx must name a .xlsx file"),
    ({"as_of": "2025-06-30", "xlsx": "/nonexistent-dir/out.xlsx"}, "cannot write /nonexistent-dir/out.xlsx"),
])
def test_bad_arguments_are_one_line_command_errors(options, message):
    with pytest.raises(CommandError) as excinfo:
        call_command("persistency", stdout=StringIO(), **options)
    assert message in str(excinfo.value) and "\n" not in str(excinfo.value)
