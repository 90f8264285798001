"""The complaint pages: the register (with its Excel export), a complaint's page and its actions, the decision
letters' PDFs, and the statistics with their charts."""
from __future__ import annotations

from datetime import date

from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from lifecrm.core.spreadsheets import xlsx_response
from lifecrm.notifications.letters import print_letter
from lifecrm.org.access import Action, staff_page
from lifecrm.org.rules import allows
from lifecrm.service import complaint_forms as forms
from lifecrm.service import complaints
from lifecrm.service.complaint_reports import (
    complaint_register,
    complaint_statistics,
    complaints_in_scope,
    register_xlsx,
)
from lifecrm.service.models import Complaint
from lifecrm.service.selectors import case_events
from lifecrm.service.services import ServiceRefused

WORKERS = (Action.HANDLE_CASE, Action.SUPERVISE_CASES)


def _register_rows(request):
    form = forms.RegisterFilter(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    rows = complaint_register(scope=request.scope, as_of=timezone.localdate(), stage=data.get("stage", ""),
                              overdue_only=data.get("overdue", False))
    return form, rows


@staff_page(*WORKERS)
def register(request):
    form, rows = _register_rows(request)
    return render(request, "service/complaints/register.html", {
        "form": form, "rows": rows, "as_of": timezone.localdate(), "export_query": request.GET.urlencode()})


@staff_page(*WORKERS)
def register_export(request):
    _form, rows = _register_rows(request)
    as_of = timezone.localdate()
    return xlsx_response(register_xlsx(rows, as_of=as_of), f"complaints-as-of-{as_of:%Y-%m-%d}.xlsx")


def _complaint(request, complaint_id: int) -> Complaint:
    try:
        return complaints_in_scope(request.scope).select_related(
            "case__customer", "case__category", "case__assignee", "case__about_staff", "case__jurisdiction",
            "extension_requested_by").get(pk=complaint_id)
    except Complaint.DoesNotExist:
        raise Http404 from None


ACTIONS = {
    "complex": forms.ReasonForm, "extension-request": forms.ExtensionForm, "extension-approve": None,
    "decide": forms.DecisionForm, "delivery": forms.DeliveryForm, "review-request": forms.ReviewRequestForm,
}


def _form_key(action: str) -> str:
    """The name the page's template gives an action's form ("extension-request": `forms.extension_request`)."""
    return action.replace("-", "_")


def _detail(request, complaint: Complaint, *, bound=None, error: str = "", status: int = 200):
    decisions = list(complaint.decisions.select_related("decided_by", "letter").order_by("decided_at"))
    page_forms = {_form_key(name): (form() if form else None) for name, form in ACTIONS.items()}
    if bound is not None:
        page_forms[_form_key(bound[0])] = bound[1]
    return render(request, "service/complaints/detail.html", {
        "complaint": complaint, "case": complaint.case, "decisions": decisions, "forms": page_forms,
        "events": case_events(case=complaint.case), "error": error, "as_of": timezone.localdate(),
        "may_supervise": allows(request.scope, Action.SUPERVISE_CASES),
    }, status=status)


@staff_page(*WORKERS)
def detail(request, complaint_id: int):
    return _detail(request, _complaint(request, complaint_id))


def _apply(request, complaint: Complaint, action: str, data: dict):
    actor, now = request.user, timezone.now()
    if action == "complex":
        complaints.complaint_mark_complex(actor=actor, complaint=complaint, reason=data["reason"], at=now)
    elif action == "extension-request":
        complaints.complaint_extension_request(actor=actor, complaint=complaint, days=data["days"],
                                               reason=data["reason"], at=now)
    elif action == "extension-approve":
        complaints.complaint_extension_approve(actor=actor, complaint=complaint, at=now)
    elif action == "decide":
        complaints.complaint_decide(actor=actor, complaint=complaint, facts=data["facts"],
                                    decision=data["decision"], basis=data["basis"], at=now)
    elif action == "delivery":
        complaints.complaint_delivery_record(actor=actor, complaint=complaint, channel=data["channel"],
                                             delivered_at=data["delivered_at"], reference=data["reference"], at=now)
    else:
        complaints.complaint_review_request(actor=actor, complaint=complaint, requested_at=data["requested_at"],
                                            note=data["note"], at=now)


@require_POST
@staff_page(*WORKERS)
def act(request, complaint_id: int, complaint_action: str):
    action = complaint_action
    if action not in ACTIONS:
        raise Http404
    complaint = _complaint(request, complaint_id)
    form_class = ACTIONS[action]
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        return _detail(request, complaint, bound=(action, form), status=400)
    try:
        _apply(request, complaint, action, form.cleaned_data if form else {})
    except ServiceRefused as refused:
        return _detail(request, _complaint(request, complaint_id), bound=(action, form) if form else None,
                       error=str(refused), status=409)
    return redirect("service:complaint", complaint_id=complaint.pk)


@staff_page(*WORKERS)
def letter(request, complaint_id: int, letter_kind: str):
    complaint = _complaint(request, complaint_id)
    decision = complaint.decisions.select_related("letter").filter(kind=letter_kind).first()
    if decision is None:
        raise Http404
    path = print_letter(decision.letter.key, decision.letter.html)
    return FileResponse(path.open("rb"), content_type="application/pdf", filename=path.name)


def _chart(rows) -> dict:
    as_float = lambda values: [float(v) if v is not None else None for v in values]  # noqa: E731
    return {"labels": [r.label for r in rows], "per_policies": as_float(r.per_policies for r in rows),
            "per_customers": as_float(r.per_customers for r in rows),
            "per_premium": as_float(r.per_premium for r in rows), "complaints": [r.complaints for r in rows]}


@staff_page(Action.SUPERVISE_CASES)
def statistics(request):
    today = timezone.localdate()
    initial = {"jurisdiction": "CN", "period_start": date(today.year, 1, 1), "period_end": today}
    form = forms.StatisticsForm(request.GET or initial)
    if not form.is_valid():
        return render(request, "service/complaints/statistics.html", {"form": form}, status=400)
    data = form.cleaned_data
    report = complaint_statistics(scope=request.scope, jurisdiction=data["jurisdiction"],
                                  period_start=data["period_start"], period_end=data["period_end"],
                                  language=get_language() or "en")
    return render(request, "service/complaints/statistics.html", {
        "form": form, "report": report, "branch_chart": _chart(report.by_branch),
        "category_chart": _chart(report.by_category)})
