"""Servicing pages: the queue with its clocks, the approvals inbox, a request with its documents, history and the
actions open to the staff member (each through a service, refused with a reason), and recording a request from
the policy page."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lifecrm.org.access import AccessDenied, Action, may, staff_page
from lifecrm.policies.models import PaymentMethod, PremiumMode
from lifecrm.policies.selectors import policy_get
from lifecrm.servicing import selectors, services
from lifecrm.servicing.forms import TYPE_FIELDS, ActionForm, QueueFilter, RequestForm
from lifecrm.servicing.models import ServiceRequest
from lifecrm.servicing.rules import OPEN, Clock, RequestStatus, met
from lifecrm.servicing.templatetags.servicing import type_name

PER_PAGE = 25
ATTAINMENT_DAYS = 90  # the attainment page measures the requests received in the last 90 days
CLOCK_LABELS = {
    Clock.ACCEPT: _("Accepted within 2 working days"),
    Clock.MISSING_ITEMS: _("Missing items asked for within 5 working days"),
    Clock.COMPLETE: _("Completed within 5 working days"),
    Clock.SURRENDER_PAYMENT: _("Surrender paid within 30 days"),
}
SEES_REQUESTS = (Action.REQUEST_SERVICING, Action.PROCESS_SERVICING, Action.APPROVE_SERVICING)
S = RequestStatus


@dataclass(frozen=True)
class RequestAction:
    label: str
    action: Action
    statuses: frozenset
    needs: tuple[str, ...] = ()  # the inputs its form asks for
    button: str = "btn-outline-primary"


ACTIONS: dict[str, RequestAction] = {
    "accept": RequestAction(_("Accept"), Action.PROCESS_SERVICING, frozenset({S.RECEIVED}), ("on",), "btn-primary"),
    "notice": RequestAction(_("Send the missing-items notice"), Action.PROCESS_SERVICING,
                            frozenset({S.AWAITING_DOCUMENTS}), ("on",)),
    "approve": RequestAction(_("Approve"), Action.APPROVE_SERVICING, frozenset({S.PENDING_APPROVAL}), ("on", "note"),
                             "btn-success"),
    "decline": RequestAction(_("Decline"), Action.APPROVE_SERVICING, frozenset({S.PENDING_APPROVAL}),
                             ("on", "reason"), "btn-outline-danger"),
    "execute": RequestAction(_("Execute the change"), Action.PROCESS_SERVICING, frozenset({S.COMPLETE, S.APPROVED}),
                             (), "btn-primary"),
    "reject": RequestAction(_("Reject"), Action.PROCESS_SERVICING,
                            frozenset({S.RECEIVED, S.ACCEPTED, S.AWAITING_DOCUMENTS, S.COMPLETE}), ("on", "reason"),
                            "btn-outline-danger"),
    "cancel": RequestAction(_("The owner withdrew it"), Action.PROCESS_SERVICING, frozenset(OPEN), ("on", "reason"),
                            "btn-outline-secondary"),
}


def _as_of():
    return timezone.localdate()


def _page(request, rows):
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


@require_GET
@staff_page(*SEES_REQUESTS)
def queue(request):
    as_of = _as_of()
    types = [(t.code, type_name(t)) for t in selectors.request_types()]
    form = QueueFilter(request.GET or None, types=types, open_statuses={s.value for s in OPEN})
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.request_queue(scope=request.scope, status=data.get("status", ""),
                                   request_type=data.get("request_type", ""),
                                   overdue_on=as_of if data.get("overdue") else None)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "servicing/queue.html", {
        "form": form, "page": _page(request, rows), "as_of": as_of, "query": query.urlencode(),
        "title": gettext("Servicing requests"), "inbox": False})


@require_GET
@staff_page(Action.APPROVE_SERVICING)
def approvals(request):
    staff = request.staff
    rows = selectors.approvals_inbox(scope=request.scope, staff_id=staff.pk if staff else None)
    return render(request, "servicing/queue.html", {
        "page": _page(request, rows), "as_of": _as_of(), "query": "", "title": gettext("Approvals"),
        "inbox": True})


@require_GET
@staff_page(Action.PROCESS_SERVICING, Action.APPROVE_SERVICING)
def attainment(request):
    """Time-limit attainment by branch: of the requests received in the last 90 days, the share that met each
    legal clock, missed it, or is still open past it."""
    as_of = _as_of()
    since = as_of - timedelta(days=ATTAINMENT_DAYS - 1)
    rows = selectors.attainment_by_branch(scope=request.scope, since=since, as_of=as_of)
    clocks = [(clock.value, CLOCK_LABELS[clock]) for clock in Clock]  # the order of each row's clocks
    chart = {"labels": [type_name(row.unit) for row in rows], "datasets": [
        {"label": str(label), "data": [row.clocks[i].met_share for row in rows]}
        for i, (_clock, label) in enumerate(clocks)]}
    return render(request, "servicing/attainment.html", {
        "rows": rows, "clocks": clocks, "since": since, "as_of": as_of, "chart": chart})


def _clock_rows(req: ServiceRequest, as_of) -> list[dict]:
    accepted = req.accepted_on or (req.closed_on if req.status == S.REJECTED and req.accepted_on is None else None)
    asked = req.missing_notice_on or req.complete_on
    done = req.closed_on if req.status in (S.EXECUTED, S.REJECTED) else None
    rows = [
        {"label": _("Accept or reject by"), "due": req.accept_due, "done": accepted,
         "met": met(req.accept_due, accepted, as_of)},
        {"label": _("Ask for missing items by"), "due": req.missing_items_due, "done": asked,
         "met": met(req.missing_items_due, asked, as_of)},
        {"label": _("Complete by"), "due": req.complete_due, "done": done, "met": met(req.complete_due, done, as_of)},
    ]
    if req.payment_due:
        paid = req.closed_on if req.status == S.EXECUTED else None
        rows.append({"label": _("Pay the surrender value by"), "due": req.payment_due, "done": paid,
                     "met": met(req.payment_due, paid, as_of)})
    return rows


def _render_request(request, req: ServiceRequest, *, error: str = "", message: str = "", status: int = 200):
    as_of = _as_of()
    staff = request.staff
    actions = []
    for name, spec in ACTIONS.items():
        if req.status not in spec.statuses or not may(request.scope, spec.action):
            continue
        if name in ("approve", "decline") and staff is not None and req.maker_id == staff.pk:
            continue  # four eyes: never offered to the maker
        actions.append({"name": name, "spec": spec})
    may_documents = req.is_open and may(request.scope, Action.PROCESS_SERVICING)
    own = staff is not None and req.maker_id == staff.pk and req.status == S.PENDING_APPROVAL
    return render(request, "servicing/request.html", {
        "req": req, "events": selectors.request_events(req), "documents": req.documents.all(),
        "clocks": _clock_rows(req, as_of), "actions": actions, "may_documents": may_documents, "as_of": as_of,
        "error": error, "message": message, "own_pending": own,
        "payment": selectors.request_payment(req),
        "may_reissue": may(request.scope, Action.PROCESS_SERVICING),
        "payload_rows": _payload_rows(req), "result": req.result or {}}, status=status)


PAYLOAD_LABELS = {
    "mobile_phone": _("New mobile phone"), "email": _("New e-mail"), "address": _("New address"),
    "payment_method": _("New payment method"), "account_last4": _("Bank account (last 4 digits)"),
    "premium_mode": _("New premium mode"), "sum_assured": _("New sum assured"), "amount": _("Amount"),
    "bank_name": _("Owner's bank"), "bank_code": _("Bank code"), "new_owner": _("New owner's customer number"),
}
HIDDEN_PAYLOAD = {"beneficiaries", "new_owner_id"}  # shown otherwise (the beneficiaries' table) or internal


PAYLOAD_CHOICES = {"payment_method": PaymentMethod, "premium_mode": PremiumMode}  # stored as codes, shown in words
PAYLOAD_MONEY = {"sum_assured", "amount"}  # shown as money in the policy's currency


def _payload_rows(req: ServiceRequest) -> list[tuple[str, str, bool]]:
    """(label, value, is money) of each field of the request, a coded value in the page's language."""
    rows = []
    for key, value in (req.payload or {}).items():
        if key in HIDDEN_PAYLOAD:
            continue
        choices = PAYLOAD_CHOICES.get(key)
        if choices is not None and value in choices.values:
            value = str(choices(value).label)
        rows.append((PAYLOAD_LABELS.get(key, key), value, key in PAYLOAD_MONEY))
    return rows


def _get(request, pk: int) -> ServiceRequest:
    try:
        return selectors.request_detail(scope=request.scope, pk=pk)
    except ServiceRequest.DoesNotExist:
        raise Http404 from None


@require_GET
@staff_page(*SEES_REQUESTS)
def request_page(request, request_id: int):
    return _render_request(request, _get(request, request_id), message=request.GET.get("done") and gettext("Done.") or "")


@require_POST
@staff_page(Action.PROCESS_SERVICING, Action.APPROVE_SERVICING)
def request_act(request, request_id: int):
    req = _get(request, request_id)
    form = ActionForm(request.POST)
    name = request.POST.get("action", "")
    as_of = _as_of()
    if name == "reissue":
        return _reissue(request, req, as_of)
    if not form.is_valid() or (name not in ACTIONS and name != "document"):
        return _render_request(request, req, error=gettext("The form was not filled in correctly."), status=400)
    data = form.cleaned_data
    on = data["on"] or as_of
    actor = request.user
    try:
        if name == "document":
            services.request_document_receive(actor=actor, request=req, code=data["document"], received_on=on,
                                              as_of=as_of)
        elif name == "accept":
            services.request_accept(actor=actor, request=req, on=on, as_of=as_of)
        elif name == "notice":
            services.request_missing_notice(actor=actor, request=req, on=on, as_of=as_of)
        elif name == "approve":
            services.request_approve(actor=actor, request=req, on=on, as_of=as_of, note=data["note"])
        elif name == "decline":
            services.request_decline(actor=actor, request=req, reason=data["reason"], on=on, as_of=as_of)
        elif name == "execute":
            services.request_execute(actor=actor, request=req, as_of=as_of)
        elif name == "reject":
            services.request_reject(actor=actor, request=req, reason=data["reason"], on=on, as_of=as_of)
        elif name == "cancel":
            services.request_cancel(actor=actor, request=req, reason=data["reason"], on=on, as_of=as_of)
    except services.ServicingRefused as exc:
        return _render_request(request, _get(request, request_id), error=str(exc), status=400)
    except AccessDenied as exc:
        return _render_request(request, _get(request, request_id), error=exc.user_message or gettext(
            "Your role may not do this."), status=403)
    return redirect(f"{reverse('servicing:request', args=[req.pk])}?done=1")


def _reissue(request, req: ServiceRequest, as_of):
    """A rejected payment to the owner's new account (the request page's form under the payment)."""
    post = request.POST
    try:
        services.disbursement_reissue(actor=request.user, request=req, bank_name=post.get("bank_name", ""),
                                      bank_code=post.get("bank_code", ""), bank_account=post.get("bank_account", ""),
                                      as_of=as_of)
    except services.ServicingRefused as exc:
        return _render_request(request, _get(request, req.pk), error=str(exc), status=400)
    except AccessDenied as exc:
        return _render_request(request, _get(request, req.pk), error=exc.user_message or gettext(
            "Your role may not do this."), status=403)
    return redirect(f"{reverse('servicing:request', args=[req.pk])}?done=1")


@require_http_methods(["GET", "POST"])
@staff_page(Action.REQUEST_SERVICING)
def request_new(request, policy_id: int):
    policy = policy_get(scope=request.scope, policy_id=policy_id, with_events=False)  # 404 outside the scope
    types = list(selectors.request_types())
    chosen = request.GET.get("type") or request.POST.get("type") or ""
    kind = next((t for t in types if t.code == chosen), None)
    context = {"policy": policy, "types": types, "kind": kind}
    if kind is None:
        return render(request, "servicing/request_new.html", context)
    form = RequestForm(request.POST if request.method == "POST" else None, request_type=kind.code,
                       initial={"received_on": _as_of()})
    context |= {"form": form, "has_fields": bool(TYPE_FIELDS.get(kind.code))}
    if request.method == "GET":
        return render(request, "servicing/request_new.html", context)
    if not form.is_valid():
        return render(request, "servicing/request_new.html", context, status=400)
    try:
        req = services.request_create(actor=request.user, policy=policy, request_type=kind.code,
                                      channel=form.cleaned_data["channel"],
                                      received_on=form.cleaned_data["received_on"], as_of=_as_of(),
                                      payload=form.payload(), note=form.cleaned_data["note"])
    except services.ServicingRefused as exc:
        if exc.field and exc.field in form.fields:
            form.add_error(exc.field, str(exc))
        else:
            form.add_error(None, str(exc))
        return render(request, "servicing/request_new.html", context, status=400)
    return redirect("servicing:request", request_id=req.pk)
