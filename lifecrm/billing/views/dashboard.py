"""The collection dashboard and the persistency page (with its Excel download)."""
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lifecrm.billing.forms import PersistencyForm
from lifecrm.billing.persistency import persistency_overview
from lifecrm.billing.persistency_export import export_filename, persistency_xlsx
from lifecrm.billing.reconciliation import latest_ledger_differences
from lifecrm.billing.views import pages
from lifecrm.core.spreadsheets import xlsx_response
from lifecrm.org.access import Action, staff_page
from lifecrm.org.rules import ScopeKind

SCOPE_LABELS = {
    ScopeKind.ALL: _("all branches"),
    ScopeKind.SUBTREE: _("your unit and the units under it"),
    ScopeKind.OWN_BOOK: _("your own book of customers"),
}


@staff_page(Action.MANAGE_COLLECTION)
def dashboard(request):
    page = pages.dashboard(scope=request.scope, as_of=timezone.localdate())
    # The whole ledger's reconciliation: head office's to investigate (a branch sees only its own policies' figures).
    differences = latest_ledger_differences() if request.scope.kind == ScopeKind.ALL else []
    return render(request, "billing/dashboard.html", {
        "page": page, "as_of": page.as_of, "differences": differences,
        "differences_total": differences[0].total if differences else 0,
        "differences_more": differences[0].total - len(differences) if differences else 0})


def _chart(overview) -> dict:
    trend = overview.trend
    series = trend.series[0] if trend.series else None
    as_float = lambda values: [float(v) if v is not None else None for v in values]  # noqa: E731
    return {
        "labels": trend.labels,
        "count": as_float(series.count_pcts) if series else [],
        "premium": as_float(series.premium_pcts) if series else [],
    }


def _persistency_form(request, as_of):
    """The page's form on the query string, and the page with its errors (400) when it is not valid."""
    form = PersistencyForm(request.GET, as_of=as_of)
    if form.is_valid():
        return form, None
    return form, render(request, "billing/persistency.html", {"form": form, "as_of": as_of}, status=400)


@staff_page(Action.MANAGE_COLLECTION)
def persistency(request):
    as_of = timezone.localdate()
    form, refused = _persistency_form(request, as_of)
    if refused is not None:
        return refused
    data = form.cleaned_data
    overview = persistency_overview(scope=request.scope, as_of=as_of, month=data["month"],
                                    period_start=data["period_start"], period_end=data["period_end"],
                                    group_by=data["group_by"], trend_by="company")
    return render(request, "billing/persistency.html", {
        "form": form, "as_of": as_of, "report": overview.report, "chart": _chart(overview),
        "export_query": request.GET.urlencode(),
    })


@staff_page(Action.MANAGE_COLLECTION)
def persistency_export(request):
    as_of = timezone.localdate()
    form, refused = _persistency_form(request, as_of)
    if refused is not None:
        return refused
    data = form.cleaned_data
    group_by = tuple(dict.fromkeys(("company", data["group_by"])))
    content = persistency_xlsx(scope=request.scope, as_of=as_of, month=data["month"],
                               period_start=data["period_start"], period_end=data["period_end"], group_by=group_by,
                               scope_label=str(SCOPE_LABELS.get(request.scope.kind, "")))
    return xlsx_response(content, export_filename(month=data["month"], period_start=data["period_start"],
                                                  period_end=data["period_end"], as_of=as_of))
