"""Case pages: the lists (my cases, the queue, all of the scope), a case with its history, notes and attachments,
the actions on it (each through a service; refused with a reason when the status or the role does not allow
it), and opening a case from the customer 360."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lifecrm.org.access import AccessDenied, Action, may, staff_page
from lifecrm.org.models import Staff
from lifecrm.parties.selectors import customer_get
from lifecrm.policies.selectors import policies_in_scope
from lifecrm.service import complaints, selectors, services, sla
from lifecrm.service.forms import (
    AssignForm,
    AttachmentForm,
    CaseFilterForm,
    CaseOpenForm,
    NoteForm,
    OptionalNoteForm,
    PriorityForm,
    category_choices,
    type_choices,
)
from lifecrm.service.models import Case, CaseAttachment, Complaint
from lifecrm.service.rules import CaseEventKind, CaseStatus, TransitionRefused, next_status

PER_PAGE = 25
VIEWS = {"mine": gettext_lazy("My cases"), "queue": gettext_lazy("Waiting in the queue"),
         "all": gettext_lazy("All cases")}
SEES_CASES = (Action.OPEN_CASE, Action.HANDLE_CASE, Action.SUPERVISE_CASES)


@dataclass(frozen=True)
class CaseAction:
    """One action of a case page: the event it appends (None: an assignment), who may take it, its form."""

    label: str
    kind: CaseEventKind | None
    action: Action
    form: type
    button: str = "btn-outline-primary"


ACTIONS: dict[str, CaseAction] = {
    "take": CaseAction(gettext_lazy("Take it"), None, Action.HANDLE_CASE, OptionalNoteForm, "btn-primary"),
    "assign": CaseAction(gettext_lazy("Assign"), None, Action.SUPERVISE_CASES, AssignForm),
    "respond": CaseAction(gettext_lazy("Answer the customer"), CaseEventKind.RESPONDED, Action.HANDLE_CASE, NoteForm),
    "note": CaseAction(gettext_lazy("Internal note"), CaseEventKind.NOTE, Action.HANDLE_CASE, NoteForm),
    "wait": CaseAction(gettext_lazy("Wait for the customer"), CaseEventKind.WAITING, Action.HANDLE_CASE,
                       OptionalNoteForm),
    "resume": CaseAction(gettext_lazy("Resume"), CaseEventKind.RESUMED, Action.HANDLE_CASE, OptionalNoteForm),
    "priority": CaseAction(gettext_lazy("Change the priority"), CaseEventKind.PRIORITY_CHANGED, Action.HANDLE_CASE,
                           PriorityForm),
    "resolve": CaseAction(gettext_lazy("Resolve"), CaseEventKind.RESOLVED, Action.HANDLE_CASE, NoteForm,
                          "btn-outline-success"),
    "reopen": CaseAction(gettext_lazy("Reopen"), CaseEventKind.REOPENED, Action.HANDLE_CASE, OptionalNoteForm),
    "close": CaseAction(gettext_lazy("Close"), CaseEventKind.CLOSED, Action.HANDLE_CASE, OptionalNoteForm,
                        "btn-outline-secondary"),
    "cancel": CaseAction(gettext_lazy("Cancel the case"), CaseEventKind.CANCELLED, Action.HANDLE_CASE, NoteForm,
                         "btn-outline-danger"),
}


# -- lists ----------------------------------------------------------------------------------------------------

@require_GET
@staff_page(*SEES_CASES)
def case_list(request):
    handles = may(request.scope, Action.HANDLE_CASE)
    supervises = may(request.scope, Action.SUPERVISE_CASES)
    views = [v for v in VIEWS if v == "all" or handles]
    view = request.GET.get("view") or views[0]
    if view not in views:
        view = views[0]
    form = CaseFilterForm(request.GET, queues=selectors.queues_for(request.scope), type_names=type_choices())
    page = None
    if form.is_valid():
        staff = request.staff
        rows = selectors.case_list(scope=request.scope, staff_id=staff.pk if staff else None,
                                   flt=form.case_filter(view), supervisor=supervises)
        page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "service/cases.html", {
        "form": form, "page": page, "view": view, "views": [(v, VIEWS[v]) for v in views],
        "query": query.urlencode(), "filters": {k: v for k, v in query.items() if k != "view"},
    }, status=200 if page is not None else 400)


# -- a case ---------------------------------------------------------------------------------------------------

def _case_or_404(request, case_id: int) -> Case:
    try:
        return selectors.case_get(scope=request.scope, case_id=case_id)
    except Case.DoesNotExist:
        raise Http404("no such case") from None


def _refusal(case: Case, name: str, request) -> str | None:
    """Why the action cannot be taken on the case now (the role, or the status machine), or None."""
    spec = ACTIONS[name]
    if not may(request.scope, spec.action):
        return _("Your role may not do this: %(action)s.") % {"action": spec.label}
    status = CaseStatus(case.status)
    staff = request.staff
    if name in ("take", "assign"):
        if status not in (CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.WAITING):
            return _("The case is %(status)s: nobody can take it any more.") % {"status": case.get_status_display()}
        if name == "take" and staff is not None and case.assignee_id == staff.pk:
            return _("The case is already yours.")
        if name == "take" and staff is not None and case.about_staff_id == staff.pk:
            return _("A complaint is never handled by the staff member it names.")
        return None
    try:
        next_status(status, spec.kind)
    except TransitionRefused:
        return _("The case is %(status)s: “%(action)s” is not possible now.") % {
            "status": case.get_status_display(), "action": spec.label}
    return complaints.case_event_refusal(case, spec.kind, timezone.now())  # the complaint's stage decides


def _action_form(request, case: Case, name: str, data=None):
    """The action's form; its ids carry the action's name (several forms on one page)."""
    auto_id = f"{name}-%s"
    if name == "assign":
        return AssignForm(data, staff=selectors.assignable_staff(scope=request.scope, case=case), auto_id=auto_id)
    if name == "priority" and data is None:
        return PriorityForm(initial={"priority": case.priority}, auto_id=auto_id)
    return ACTIONS[name].form(data, auto_id=auto_id)


def _context(request, case: Case, *, forms=None, message="", error="") -> dict:
    forms = forms or {}
    actions = []
    for name, spec in ACTIONS.items():
        if _refusal(case, name, request) is not None:
            continue
        form = forms.get(name) or _action_form(request, case, name)
        actions.append({"name": name, "spec": spec, "form": form, "open": name in forms})
    return {
        "case": case, "events": selectors.case_history(case=case),
        "complaint": Complaint.objects.filter(pk=case.pk).first() if case.case_type_id == "complaint" else None,
        "attachments": selectors.case_attachments(case=case), "actions": actions,
        "attachment_form": forms.get("attachment") or AttachmentForm(),
        "may_attach": may(request.scope, Action.HANDLE_CASE) and case.status not in ("closed", "cancelled"),
        "message": message, "error": error, "sla_provisional": sla.deadlines_provisional(case),
    }


def _case_response(request, case: Case, *, status=200, **kwargs):
    template = "service/partials/case_body.html" if request.htmx else "service/case.html"
    return render(request, template, _context(request, case, **kwargs), status=status)


@require_GET
@staff_page(*SEES_CASES)
def case_detail(request, case_id: int):
    return _case_response(request, _case_or_404(request, case_id))


def _apply(request, case: Case, name: str, data: dict) -> str:
    """Take the action through its service; what happened, to say so."""
    at = timezone.now()
    spec = ACTIONS[name]
    if name == "take":
        services.case_assign(actor=request.user, case=case, assignee=request.staff, at=at)
        return _("The case is yours.")
    if name == "assign":
        assignee = Staff.objects.get(pk=data["assignee"])
        services.case_assign(actor=request.user, case=case, assignee=assignee, at=at)
        return _("The case now goes to %(name)s.") % {"name": assignee.name}
    extra = {"priority": data["priority"], "from": case.priority} if name == "priority" else None
    services.case_event_append(actor=request.user, case=case, kind=spec.kind, at=at, note=data.get("note", ""),
                               data=extra)
    return _("Done: %(action)s.") % {"action": spec.label}


@require_POST
@staff_page(Action.HANDLE_CASE, Action.SUPERVISE_CASES)
def case_action(request, case_id: int, action: str):
    case = _case_or_404(request, case_id)
    if action not in ACTIONS:
        raise Http404("no such action")
    refusal = _refusal(case, action, request)
    if refusal is not None:
        if not may(request.scope, ACTIONS[action].action):
            if request.htmx:
                return _case_response(request, case, error=refusal, status=403)
            raise AccessDenied(refusal)
        return _case_response(request, case, error=refusal, status=409)
    form = _action_form(request, case, action, request.POST)
    if not form.is_valid():
        return _case_response(request, case, forms={action: form}, status=400)
    if action == "priority" and form.cleaned_data["priority"] == case.priority:
        form.add_error("priority", _("The case already has this priority."))
        return _case_response(request, case, forms={action: form}, status=400)
    try:
        message = _apply(request, case, action, form.cleaned_data)
    except (services.ServiceRefused, TransitionRefused):
        case = _case_or_404(request, case_id)  # someone else moved it meanwhile
        return _case_response(request, case, error=_refusal(case, action, request) or _(
            "The case changed meanwhile: look at its history and try again."), status=409)
    if not request.htmx:
        return redirect("service:case", case_id=case.pk)
    return _case_response(request, _case_or_404(request, case_id), message=message)


# -- attachments ----------------------------------------------------------------------------------------------

@require_POST
@staff_page(Action.HANDLE_CASE)
def case_attachment_upload(request, case_id: int):
    case = _case_or_404(request, case_id)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _case_response(request, case, forms={"attachment": form}, status=400)
    upload = form.cleaned_data["file"]
    try:
        services.case_attachment_add(actor=request.user, case=case, filename=upload.name or "", content=upload.read(),
                                     at=timezone.now())
    except services.ServiceRefused as exc:
        form.add_error("file", str(exc))
        return _case_response(request, case, forms={"attachment": form}, status=400)
    except TransitionRefused:
        return _case_response(request, case, error=_("The case is %(status)s: nothing more can be added.") % {
            "status": case.get_status_display()}, status=409)
    return redirect("service:case", case_id=case.pk)


@require_GET
@staff_page(*SEES_CASES)
def case_attachment_download(request, case_id: int, attachment_id: int):
    try:
        attachment = selectors.case_attachment_get(scope=request.scope, case_id=case_id, attachment_id=attachment_id)
    except (Case.DoesNotExist, CaseAttachment.DoesNotExist):
        raise Http404("no such attachment") from None
    content = services.case_attachment_download(actor=request.user, attachment=attachment)
    response = HttpResponse(content, content_type=attachment.content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(attachment.filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# -- opening a case -------------------------------------------------------------------------------------------

def _open_form(request, customer, data=None) -> CaseOpenForm:
    policies = policies_in_scope(request.scope).filter(owner_id=customer.pk).order_by("number")[:50]
    staff = Staff.objects.filter(is_active=True).exclude(role="admin").order_by("name")[:500]
    return CaseOpenForm(data, type_names=type_choices(), policies=list(policies), staff=list(staff))


@require_http_methods(["GET", "POST"])
@staff_page(Action.OPEN_CASE)
def case_new(request, customer_id: int):
    customer = customer_get(scope=request.scope, customer_id=customer_id)  # 404 outside the scope
    form = _open_form(request, customer, request.POST if request.method == "POST" else None)
    context = {"customer": customer, "form": form}
    if request.method == "GET":
        return render(request, "service/case_new.html", context)
    if not form.is_valid():
        return render(request, "service/case_new.html", context, status=400)
    data = form.cleaned_data
    about = Staff.objects.get(pk=data["about_staff"]) if data["about_staff"] else None
    try:
        case = services.case_open(actor=request.user, customer=customer, case_type=data["case_type"],
                                  category=data["category"] or None, priority=data["priority"],
                                  subject=data["subject"], description=data["description"],
                                  policy_id=data["policy"], about_staff=about, channel=data["channel"],
                                  opened_at=timezone.now())
    except services.ServiceRefused as exc:
        form.add_error(None, gettext(str(exc)))  # the service's reasons are in the catalogues
        return render(request, "service/case_new.html", context, status=400)
    return redirect("service:case", case_id=case.pk)


@require_GET
@staff_page(Action.OPEN_CASE)
def case_categories(request):
    """The category field for the type chosen (htmx, on the opening form), keeping the category sent with it
    selected when the type has it: a swap never resets a choice that is still valid."""
    return render(request, "service/partials/case_category_options.html",
                  {"choices": category_choices(request.GET.get("case_type", "")),
                   "chosen": request.GET.get("category", "")})
