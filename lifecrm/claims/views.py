"""Claims pages in the workbench's layout: the queue with its clocks, a claim with its documents, findings,
decision, payouts and history and the actions on it (each through a service, refused with the reason), and the
report-a-claim form from the customer 360."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lifecrm.claims import checklists, rules, selectors, services
from lifecrm.claims.findings import FINDINGS
from lifecrm.claims.models import Cause, Channel, Claim, ClaimType, Outcome, Status
from lifecrm.claims.timeline import event_label
from lifecrm.core.money import parse_amount
from lifecrm.org.access import AccessDenied, Action, may, staff_page
from lifecrm.parties.models import Customer
from lifecrm.parties.selectors import customer_get

PER_PAGE = 25
VIEWS = {"open": gettext_lazy("Open claims"), "mine": gettext_lazy("My claims"),
         "approval": gettext_lazy("Decisions to check"), "all": gettext_lazy("All claims")}


class ReportForm(forms.Form):
    claim_type = forms.ChoiceField(label=gettext_lazy("Claim type"), choices=ClaimType.choices)
    cause = forms.ChoiceField(label=gettext_lazy("Cause"), choices=Cause.choices, initial=Cause.ILLNESS)
    event_date = forms.DateField(label=gettext_lazy("Event date"),
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                 error_messages={"required": gettext_lazy("Give the date of the event."),
                                                 "invalid": gettext_lazy("Give the date as 2026-12-07.")})
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=Channel.choices)
    claimant_name = forms.CharField(label=gettext_lazy("Claimant"), max_length=100)
    claimant_relation = forms.CharField(label=gettext_lazy("Relation to the insured"), max_length=40, required=False)
    claimant_phone = forms.CharField(label=gettext_lazy("Claimant's phone"), max_length=20, required=False)
    claimant_email = forms.EmailField(label=gettext_lazy("Claimant's e-mail"), required=False)
    claimant_address = forms.CharField(label=gettext_lazy("Claimant's address"), max_length=200, required=False,
                                       help_text=gettext_lazy("Where the claimant's letters go; blank: the "
                                                              "insured's address."))
    claimant_language = forms.ChoiceField(label=gettext_lazy("Claimant's language"), required=False,
                                          choices=[("", gettext_lazy("the insured's")), *Customer.Language.choices])
    amount_claimed = forms.CharField(label=gettext_lazy("Amount claimed"), required=False,
                                     help_text=gettext_lazy("For a hospital claim; below the fast-track threshold "
                                                            "a claim goes on the fast track."))
    description = forms.CharField(label=gettext_lazy("What happened"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean_amount_claimed(self):
        text = self.cleaned_data["amount_claimed"].strip()
        if not text:
            return None
        try:
            return parse_amount(text)
        except ValueError:
            raise forms.ValidationError(_("Give an amount such as 2800.00.")) from None


def _as_of() -> date:
    return timezone.localdate()


@require_GET
@staff_page(Action.HANDLE_CLAIM, Action.APPROVE_CLAIM)
def claim_list(request):
    view = request.GET.get("view", "open")
    if view not in VIEWS:
        view = "open"
    rows = selectors.claim_list(scope=request.scope, view=view, staff_id=request.staff.pk if request.staff else None,
                                status=request.GET.get("status", "") if request.GET.get("status") in Status.values
                                else "",
                                claim_type=request.GET.get("type", "") if request.GET.get("type") in ClaimType.values
                                else "")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "claims/claims.html", {"views": list(VIEWS.items()), "view": view, "page": page,
                                                  "as_of": _as_of()})


def _claim(request, claim_id: int) -> Claim:
    try:
        return selectors.claim_get(scope=request.scope, claim_id=claim_id)
    except Claim.DoesNotExist:
        raise Http404("no such claim") from None


def _context(request, claim: Claim, **extra) -> dict:
    scope = request.scope
    staff_id = request.staff.pk if request.staff else None
    handles = may(scope, Action.HANDLE_CLAIM)
    as_of = _as_of()
    payable = claim.status == Status.DECIDED and claim.outcome != Outcome.DECLINED
    plan = services.payout_plan(claim, as_of=as_of) if payable else []
    deductions = list(services.loan_deductions(claim, as_of=as_of).values()) if payable else []
    payees = services.payees_of(plan)
    documents = [(d, checklists.document_label(d.code)) for d in claim.documents.all()]
    payouts = list(claim.payouts.all())
    advance_owed = rules.advance_payment_owed(advance_due=claim.advance_payment_due, as_of=as_of,
                                              decided=claim.status not in rules.BEFORE_DECISION)
    advance_payees = []
    if advance_owed and claim.assessed_on and claim.status != Status.REPORTED and not any(p.advance for p in payouts):
        advance_payees = services.payees_of(services.payout_plan(claim, {
            link.policy_id: link.benefit for link in claim.claim_policies.all() if link.covered and link.benefit}, as_of=as_of))
    return {
        "claim": claim, "documents": documents, "missing": [d for d, _label in documents if d.received_on is None],
        "links": list(claim.claim_policies.all()),
        "findings": [(f, FINDINGS.get(f.code, f.code)) for f in claim.findings.all()],
        "notices": list(claim.notices.all()), "payouts": payouts, "advance_payees": advance_payees,
        "events": [(e, event_label(e.kind)) for e in claim.events.all()],
        "plan": plan, "deductions": deductions, "payees": payees, "outcomes": Outcome.choices, "as_of": as_of,
        "may_handle": handles,
        "may_check": may(scope, Action.APPROVE_CLAIM) and claim.status == Status.AWAITING_APPROVAL
        and claim.proposed_by_id != staff_id,
        "advance_owed": advance_owed, "before_decision": claim.status in rules.BEFORE_DECISION,
        "rescission_lapses_on": services.rescission_lapses_on(claim),
        "may_check_advance": may(scope, Action.APPROVE_CLAIM) and claim.advance_proposed_by_id is not None
        and claim.advance_proposed_by_id != staff_id,
        "threshold": services.approval_threshold(claim.currency),
        **extra,
    }


@require_GET
@staff_page(Action.HANDLE_CLAIM, Action.APPROVE_CLAIM)
def attainment(request):
    """Time-limit attainment by branch over the last 90 days: decisions, payments and refusal notices in time."""
    as_of = _as_of()
    since = as_of - timedelta(days=90)
    return render(request, "claims/attainment.html", {
        "rows": selectors.attainment_by_branch(scope=request.scope, since=since, as_of=as_of), "since": since,
        "as_of": as_of})


@require_GET
@staff_page(Action.REPORT_CLAIM, Action.HANDLE_CLAIM)
def claim_detail(request, claim_id: int):
    claim = _claim(request, claim_id)
    return render(request, "claims/claim.html", _context(request, claim))


def _amount(text: str, field: str) -> Decimal:
    try:
        value = Decimal((text or "0").strip() or "0")
    except InvalidOperation:
        raise services.ClaimRefused(_("Give an amount such as 2800.00."), field=field) from None
    if value < 0 or value != value.quantize(Decimal("0.01")):
        raise services.ClaimRefused(_("Give an amount such as 2800.00."), field=field)
    return value


def _date(text: str, default: date | None, field: str = "date") -> date | None:
    if not (text or "").strip():
        return default
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise services.ClaimRefused(_("Give the date as 2026-12-07."), field=field) from None


ACTIONS = {"documents", "notice", "assess", "decide", "check", "refuse", "pay", "take", "advance", "advance_check",
           "reissue", "facts", "withdraw"}


def _accounts(post) -> dict[str, services.Account]:
    """The payees' bank accounts of a payment form, by payee key."""
    count = post.get("payee_count", "0") or "0"
    accounts = {}
    for i in range(int(count) if count.isdigit() else 0):
        accounts[post.get(f"payee_{i}", "")] = services.Account(
            post.get(f"bank_name_{i}", ""), post.get(f"bank_code_{i}", ""), post.get(f"account_{i}", ""))
    return accounts


@require_POST
@staff_page(Action.HANDLE_CLAIM, Action.APPROVE_CLAIM)
def claim_action(request, claim_id: int, claim_step: str):
    claim = _claim(request, claim_id)
    action = claim_step
    if action not in ACTIONS:
        raise Http404("no such action")
    post, as_of, user = request.POST, _as_of(), request.user
    try:
        if action == "take":
            if request.staff is None:
                raise AccessDenied(_("Your role may not do this."))
            services.claim_assign(actor=user, claim_id=claim.pk, handler=request.staff, as_of=as_of)
        elif action == "documents":
            services.claim_documents_receive(actor=user, claim_id=claim.pk, codes=post.getlist("codes"),
                                             received_on=_date(post.get("received_on"), as_of), as_of=as_of)
        elif action == "notice":
            services.claim_missing_notice_send(actor=user, claim_id=claim.pk, as_of=as_of,
                                               reached_on=_date(post.get("reached_on"), as_of))
        elif action == "assess":
            services.claim_assess(actor=user, claim_id=claim.pk, as_of=as_of)
        elif action == "decide":
            amounts = {link.policy_id: _amount(post.get(f"amount_{link.policy_id}", ""), "amounts")
                       for link in claim.claim_policies.all()}
            services.claim_decide(actor=user, claim_id=claim.pk, outcome=post.get("outcome", ""),
                                  reasons=post.get("reasons", ""), amounts=amounts, as_of=as_of)
        elif action == "check":
            services.claim_decision_check(actor=user, claim_id=claim.pk, approve=post.get("answer") == "approve",
                                          note=post.get("note", ""), as_of=as_of)
        elif action == "refuse":
            services.claim_refusal_notice_send(actor=user, claim_id=claim.pk, as_of=as_of)
        elif action == "pay":
            services.claim_pay(actor=user, claim_id=claim.pk, accounts=_accounts(post), as_of=as_of)
        elif action == "advance":
            amounts = {link.policy_id: _amount(post.get(f"amount_{link.policy_id}", ""), "amounts")
                       for link in claim.claim_policies.all()}
            services.claim_advance_pay(actor=user, claim_id=claim.pk, amounts=amounts, accounts=_accounts(post),
                                       reasons=post.get("reasons", ""), as_of=as_of)
        elif action == "facts":
            premiums = {}
            for link in claim.claim_policies.all():
                text = post.get(f"true_premium_{link.policy_id}", "").strip()
                premiums[link.policy_id] = _amount(text, "true_premiums") if text else None
            services.claim_facts_record(actor=user, claim_id=claim.pk, as_of=as_of, true_premiums=premiums,
                                        learned_on=_date(post.get("learned_on"), None, "learned_on"),
                                        true_birth_date=_date(post.get("true_birth_date"), None, "true_birth_date"))
        elif action == "withdraw":
            services.claim_withdraw(actor=user, claim_id=claim.pk, reason=post.get("reason", ""), as_of=as_of)
        elif action == "reissue":
            payout = claim.payouts.filter(pk=int(post.get("payout", "0") or 0)
                                          if (post.get("payout") or "").isdigit() else 0).first()
            if payout is None:
                raise Http404("no such payout")
            services.payout_reissue(actor=user, payout_id=payout.pk, as_of=as_of, account=services.Account(
                post.get("bank_name", ""), post.get("bank_code", ""), post.get("account", "")))
        elif action == "advance_check":
            services.claim_advance_check(actor=user, claim_id=claim.pk, approve=post.get("answer") == "approve",
                                         note=post.get("note", ""), as_of=as_of)
    except services.ClaimRefused as exc:
        claim = _claim(request, claim_id)
        return render(request, "claims/claim.html", _context(request, claim, error=str(exc), error_action=action),
                      status=400)
    return redirect("claims:claim", claim_id=claim.pk)


@require_http_methods(["GET", "POST"])
@staff_page(Action.REPORT_CLAIM)
def claim_report(request, customer_id: int):
    customer = customer_get(scope=request.scope, customer_id=customer_id)  # 404 outside the scope
    form = ReportForm(request.POST if request.method == "POST" else None,
                      initial={"event_date": _as_of(), "channel": Channel.PHONE})
    context = {"customer": customer, "form": form}
    if request.method == "GET":
        return render(request, "claims/report.html", context)
    if not form.is_valid():
        return render(request, "claims/report.html", context, status=400)
    data = form.cleaned_data
    try:
        claim = services.claim_report(
            actor=request.user, insured=customer, claim_type=data["claim_type"], cause=data["cause"],
            event_date=data["event_date"], channel=data["channel"], reported_at=timezone.now(), as_of=_as_of(),
            claimant_name=data["claimant_name"], claimant_phone=data["claimant_phone"],
            claimant_relation=data["claimant_relation"], description=data["description"],
            amount_claimed=data["amount_claimed"], claimant_email=data["claimant_email"],
            claimant_address=data["claimant_address"], claimant_language=data["claimant_language"])
    except services.ClaimRefused as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return render(request, "claims/report.html", context, status=400)
    return redirect("claims:claim", claim_id=claim.pk)
