"""The value dashboards (distribution, tiers and stages by branch, migration, value at risk) and their Excel."""
from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from lifecrm.core.spreadsheets import xlsx_response
from lifecrm.org.access import Action, staff_page
from lifecrm.parties.models import CustomerSegment
from lifecrm.value.dashboards import HIGH_RISK_SHARE, value_dashboard
from lifecrm.value.export import dashboard_xlsx

TIERS = CustomerSegment.Tier
STAGES = CustomerSegment.Stage


def _chart(board) -> dict:
    return {
        "bands": [label for label, _, _ in board.bands],
        "customers": [n for _, n, _ in board.bands],
        "tiers": [str(label) for label in TIERS.labels],
        "branches": [row.name for row in board.branches],
        "by_branch": [[row.tiers.get(tier, 0) for row in board.branches] for tier in TIERS.values],
    }


def _migration(board) -> dict:
    """Rows (before) × columns (after) of the tier migration table, with "not placed" before."""
    before = [None, *TIERS.values]
    return {
        "columns": list(zip(TIERS.values, TIERS.labels, strict=True)),
        "rows": [(label, [board.migration.get((tier, after), 0) for after in TIERS.values])
                 for tier, label in zip(before, [None, *TIERS.labels], strict=True)],
    }


@staff_page(Action.VIEW_VALUE)
def dashboard(request):
    board = value_dashboard(scope=request.scope, as_of=timezone.localdate())
    totals = board.totals
    return render(request, "value/dashboard.html", {
        "board": board, "totals": totals, "top_tiers": totals.tiers.get("diamond", 0) + totals.tiers.get("gold", 0),
        "branch_rows": [(row, [row.tiers.get(t, 0) for t in TIERS.values], [row.stages.get(s, 0) for s in STAGES.values])
                        for row in board.branches],
        "high_risk_percent": round(HIGH_RISK_SHARE * 100), "chart": _chart(board), "migration": _migration(board),
        "tiers": list(zip(TIERS.values, TIERS.labels, strict=True)),
        "stages": list(zip(STAGES.values, STAGES.labels, strict=True)),
    })


@staff_page(Action.VIEW_VALUE)
def dashboard_export(request):
    as_of = timezone.localdate()
    content = dashboard_xlsx(value_dashboard(scope=request.scope, as_of=as_of))
    return xlsx_response(content, f"customer-value-{as_of:%Y-%m-%d}.xlsx")
