"""Every write of policy servicing: `request_<verb>(*, actor, …, as_of)`, one transaction each, the actor checked
(`org.access.authorize`: role and data scope, deny by default), the audit trail and the request's event log
written, the clocks refreshed.

A request is received (counter, call centre, agent or portal: the same service), accepted or rejected, its
documents come in (one single notice lists everything missing), and once complete it goes to a checker when its
type or amount needs one (never its maker), then is executed: the policy changes only through policies'
services (a new effective-dated version, or its state machine)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lifecrm.banking.models import BankFile
from lifecrm.banking.transfers import transfer_reissue, transfers_send
from lifecrm.core.actors import audit_system_name, audit_user, on_behalf, trusted
from lifecrm.core.money import to_cents
from lifecrm.core.registries import ServedClosed, served_closed_announce
from lifecrm.core.rules import age_last_birthday
from lifecrm.core.selectors import jurisdiction_rule, working_calendar
from lifecrm.core.services import Refused, audit_record
from lifecrm.org.access import actor_scope, authorize
from lifecrm.org.models import Staff
from lifecrm.org.rules import Action
from lifecrm.org.selectors import acting_staff, in_scope
from lifecrm.parties.models import Customer
from lifecrm.parties.services import ContactChangeRefused, contact_change, contact_changes_clean
from lifecrm.policies import cash_values, loans
from lifecrm.policies import rules as policy_rules
from lifecrm.policies import services as policy_services
from lifecrm.policies.models import PaymentMethod, Policy, PolicyLoan, PremiumMode
from lifecrm.products import selectors as products
from lifecrm.servicing import rules
from lifecrm.servicing.models import (
    Channel,
    Disbursement,
    RequestDocument,
    RequestEvent,
    RequestType,
    ServiceRequest,
)
from lifecrm.servicing.notices import Notice, notice_send
from lifecrm.servicing.payment_results import PAYMENT_PREFIX
from lifecrm.servicing.rules import Clock, RequestStatus

S = RequestStatus
SURVEY_SUBJECT = "servicing.request"  # what a closed request is to the service desk's surveys


class ServicingRefused(Refused):
    """A servicing write that cannot be done; the message says why, in the staff member's language, and `field`
    names the input it is about (a form shows it there), when there is one."""


def _append(request: ServiceRequest, *, actor, kind: str, on: date, note: str = "", data: dict | None = None
            ) -> RequestEvent:
    last = request.events.aggregate(m=Max("seq"))["m"] or 0
    return RequestEvent.objects.create(request=request, seq=last + 1, kind=kind, on=on, at=timezone.now(),
                                       actor=audit_user(actor), system_actor=audit_system_name(actor) or "",
                                       note=note, data=data or {})


def _lock(request: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.select_for_update().select_related("request_type", "policy").get(pk=request.pk)


def _check_date(on: date, as_of: date, *, field: str = "on") -> None:
    if on > as_of:
        raise ServicingRefused(_("The date is after today's business date."), field=field)


# -- the clocks ------------------------------------------------------------------------------------------------

def clock_periods(jurisdiction: str) -> dict[Clock, object]:
    return {clock: jurisdiction_rule(jurisdiction, clock.value).period for clock in Clock}


def clocks_refresh(request: ServiceRequest) -> None:
    """Recompute the request's deadlines from its dates (no save)."""
    clocks = rules.request_clocks(
        received_on=request.received_on, complete_on=request.complete_on,
        periods=clock_periods(request.jurisdiction_id), calendar=working_calendar(request.jurisdiction_id),
        is_surrender=request.request_type.code == "surrender")
    request.accept_due, request.missing_items_due = clocks.accept_due, clocks.missing_items_due
    request.complete_due, request.payment_due = clocks.complete_due, clocks.payment_due
    request.due_on = clocks.current_due(status=request.status, missing_notice_sent=request.missing_notice_on is not None,
                                        paid=request.paid_on is not None)


# -- amounts: cash value, loans, surrender, cooling-off ------------------------------------------------------------

def cash_value(*, policy: Policy, on: date) -> Decimal:
    """The policy's cash value on `on` at the exact duration (`policies.cash_values`: one computation with billing's
    automatic premium loans)."""
    return cash_values.cash_value(policy=policy, on=on)


def loan_position(*, policy: Policy, on: date) -> loans.LoanPosition:
    """What the owner owes on `on` on every loan of the policy: policy loans and billing's automatic premium loans
    (one ledger: `policies.loans`)."""
    return loans.loan_position(policy_id=policy.pk, on=on)


@dataclass(frozen=True)
class Quote:
    """What a money request would pay on a date, and the figures behind it (shown on the request page)."""

    amount: Decimal
    figures: dict


def surrender_quote(*, policy: Policy, on: date) -> Quote:
    value = cash_value(policy=policy, on=on)
    owed = loan_position(policy=policy, on=on)
    amount = loans.surrender_value(cash_value=value, owed=owed)
    return Quote(amount, {"cash_value": str(value), "loans": str(owed.principal), "interest": str(owed.interest)})


def loan_quote(*, policy: Policy, on: date) -> Quote:
    value = cash_value(policy=policy, on=on)
    owed = loan_position(policy=policy, on=on)
    maximum = loans.loan_maximum(cash_value=value, loan_limit_percent=policy.product.loan_limit_pct,
                                 outstanding=owed.owed)
    return Quote(maximum, {"cash_value": str(value), "loan_limit_percent": str(policy.product.loan_limit_pct),
                           "outstanding": str(owed.owed)})


def cooling_off_quote(*, policy: Policy, received_on: date) -> Quote:
    """The refund of a cooling-off cancellation received on `received_on`, or a refusal when the period is over.

    The period runs from the owner's receipt of the policy (`Policy.delivered_on`, the signed delivery receipt);
    until that is recorded the issue date stands for it (the earliest the owner can have received it)."""
    jurisdiction = policy.jurisdiction_id
    last_day = rules.cooling_off_end(period=jurisdiction_rule(jurisdiction, "cooling_off").period,
                                     receipt_date=policy.delivered_on or policy.issue_date,
                                     calendar=working_calendar(jurisdiction))
    if received_on > last_day:
        raise ServicingRefused(_("The cooling-off period ended on %(day)s: the policy can only be surrendered.")
                               % {"day": last_day.isoformat()}, field="request_type")
    version = policy.versions.order_by("version_no").first()
    premiums = to_cents(version.modal_premium * policy.paid_instalments)
    cap = jurisdiction_rule(jurisdiction, "cooling_off_cost_cap").amount
    amount = rules.cooling_off_refund(premiums_paid=premiums, cost=None, cost_cap=cap)
    return Quote(amount, {"premiums_paid": str(premiums), "cost_deducted": str(premiums - amount),
                          "last_day": last_day.isoformat()})


# -- the change each type asks for -----------------------------------------------------------------------------

def _decimal(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ServicingRefused(_("Enter an amount."), field=field) from None
    if not amount.is_finite() or amount <= 0:
        raise ServicingRefused(_("The amount must be above zero."), field=field)
    return to_cents(amount)


def _clean_payload(code: str, policy: Policy, payload: dict, received_on: date) -> tuple[dict, Decimal | None, dict]:
    """The change in canonical form, the amount it moves (for the approval rule) and a quote's figures."""
    if code in PAYLOADS:
        return PAYLOADS[code](policy=policy, payload=payload, received_on=received_on)
    version = policy.versions.get(effective_to__isnull=True)
    if code == "contact_change":
        try:
            cleaned = contact_changes_clean({k: payload.get(k, "") for k in ("mobile_phone", "email", "address")})
        except ContactChangeRefused as exc:
            raise ServicingRefused(str(exc), field=exc.field) from None
        return cleaned, None, {}
    if code == "beneficiary_change":
        return {"beneficiaries": _clean_beneficiaries(payload.get("beneficiaries"))}, None, {}
    if code == "premium_mode_change":
        mode = payload.get("premium_mode")
        if mode not in PremiumMode.values:
            raise ServicingRefused(_("Choose a premium mode."), field="premium_mode")
        if mode == version.premium_mode:
            raise ServicingRefused(_("The policy already pays in this mode."), field="premium_mode")
        if mode not in policy.product.premium_modes.split(","):
            raise ServicingRefused(_("The product does not offer this premium mode."), field="premium_mode")
        return {"premium_mode": mode}, None, {}
    if code == "payment_method_change":
        method = payload.get("payment_method")
        if method not in PaymentMethod.values:
            raise ServicingRefused(_("Choose a payment method."), field="payment_method")
        account = "".join(ch for ch in str(payload.get("bank_account", "")) if ch.isdigit())
        if method == PaymentMethod.AUTO_DEBIT and len(account) < 8:
            raise ServicingRefused(_("An auto-debit needs the bank account number."), field="bank_account")
        if method == version.payment_method and not account:
            raise ServicingRefused(_("The policy already pays this way."), field="payment_method")
        # Only the last four digits are kept here: the mandate (with the full number) is billing's.
        return {"payment_method": method, "account_last4": account[-4:]}, None, {}
    if code == "sum_assured_decrease":
        new = _decimal(payload.get("sum_assured"), "sum_assured")
        if new >= version.sum_assured:
            raise ServicingRefused(_("The new sum assured must be below the current %(amount)s.")
                                   % {"amount": version.sum_assured}, field="sum_assured")
        if new < policy.product.min_sum_assured:
            raise ServicingRefused(_("The product's smallest sum assured is %(amount)s.")
                                   % {"amount": policy.product.min_sum_assured}, field="sum_assured")
        return {"sum_assured": str(new)}, version.sum_assured - new, {}
    if code == "policy_loan":
        amount = _decimal(payload.get("amount"), "amount")
        quote = _quote_or_refuse(loan_quote, policy=policy, on=received_on)
        if amount > quote.amount:
            raise ServicingRefused(_("The most the policy can lend is %(amount)s.") % {"amount": quote.amount},
                                   field="amount")
        return {"amount": str(amount)}, amount, quote.figures | {"maximum": str(quote.amount)}
    if code == "surrender":
        quote = _quote_or_refuse(surrender_quote, policy=policy, on=received_on)
        return {}, quote.amount, quote.figures
    if code == "cooling_off_cancellation":
        quote = cooling_off_quote(policy=policy, received_on=received_on)
        return {}, quote.amount, quote.figures
    raise ServicingRefused(_("This request type cannot be recorded yet."), field="request_type")


SHARE_ERRORS = {
    "invalid": gettext_lazy("Write a share as a percentage (50, 33.33) or a fraction (1/3)."),
    "min_value": gettext_lazy("A share must be more than nothing."),
    "max_value": gettext_lazy("A share cannot be more than the whole."),
    "too_fine": gettext_lazy("The share is finer than the smallest share a policy records."),
}


def _clean_beneficiaries(rows) -> list[dict]:
    """The new beneficiaries: a name, a relation, an order and an exact share each (kept as "n/d"); within each
    order the shares add up to exactly the whole (policies.services.check_beneficiary_shares)."""
    if not rows or not isinstance(rows, list):
        raise ServicingRefused(_("Name at least one beneficiary."), field="beneficiaries")
    cleaned, inputs = [], []
    for row in rows:
        name = str(row.get("name", "")).strip()
        relation = str(row.get("relation_to_insured", "")).strip()
        if not name or not relation:
            raise ServicingRefused(_("Each beneficiary needs a name and a relation to the insured."),
                                   field="beneficiaries")
        try:
            share = policy_rules.parse_share(str(row.get("share", "")))
            order = int(row.get("order") or 1)
        except policy_rules.ShareInvalid as exc:
            raise ServicingRefused(f"{name}: {SHARE_ERRORS[exc.code]}", field="beneficiaries") from None
        except (TypeError, ValueError):
            raise ServicingRefused(_("The order of a beneficiary is a whole number."), field="beneficiaries") from None
        if order < 1:
            raise ServicingRefused(_("The order of a beneficiary is a whole number."), field="beneficiaries")
        cleaned.append({"name": name[:100], "relation_to_insured": relation[:20], "order": order,
                        "share": f"{share.numerator}/{share.denominator}"})
        inputs.append(policy_services.BeneficiaryInput(name, relation, share, order))
    try:
        policy_services.check_beneficiary_shares(inputs)
    except policy_services.InvalidBeneficiaries:
        raise ServicingRefused(_("Within each order the shares must add up to exactly the whole (100 %)."),
                               field="beneficiaries") from None
    return cleaned


def _quote_or_refuse(quote, **kwargs) -> Quote:
    try:
        return quote(**kwargs)
    except LookupError:
        raise ServicingRefused(_("The product has no cash value table for this policy, so it has no cash value."),
                               field="request_type") from None


# -- paying the owner: surrender values, policy loans, cooling-off refunds by pain.001 -------------------------



@dataclass(frozen=True)
class PayeeAccount:
    bank_name: str
    bank_code: str
    number: str


def _payee_account(payload: dict) -> PayeeAccount:
    """The owner's bank account the money goes to: the bank, its code (CNAPS, HK bank code or BIC) and the account
    number (letters and digits; the full number is kept encrypted on the payment, the request shows its last
    four)."""
    number = "".join(str(payload.get("bank_account", "")).split())
    if len(number) < 8 or not number.isalnum():
        raise ServicingRefused(_("Give the owner's bank account number the money is paid to."),
                               field="bank_account")
    bank_name = str(payload.get("bank_name", "")).strip()[:60]
    bank_code = str(payload.get("bank_code", "")).strip()[:20]
    if not bank_name or not bank_code:
        raise ServicingRefused(_("Give the owner's bank and its bank code."), field="bank_code")
    return PayeeAccount(bank_name, bank_code, number[:34])


def _disburse(request: ServiceRequest, amount: Decimal, as_of: date) -> dict:
    """The executed request's payment is due: its amount fixed, ready for the next pain.001 file (nothing to pay:
    the payment is dropped from the file, the request paid as it stands)."""
    disbursement = Disbursement.objects.select_for_update().filter(request=request).first()
    if disbursement is None or disbursement.status != Disbursement.Status.HELD:
        raise ServicingRefused(_("The request has no bank account to pay the owner to."))
    if amount <= 0:
        request.paid_on = request.paid_on or as_of
        return {"payment": None}
    disbursement.amount, disbursement.status = amount, Disbursement.Status.PENDING
    disbursement.save(update_fields=["amount", "status"])
    return {"payment": disbursement.end_to_end_id}


def _send(*, actor, as_of: date, rows: list[Disbursement]) -> BankFile | None:
    """Write the payments in a pain.001 file per currency through banking and mark them sent with it (each once:
    the caller locked them). Returns the (last) file made."""
    made = None
    for made, group in transfers_send(rows, prefix=PAYMENT_PREFIX, as_of=as_of,
                                      jurisdiction=lambda d: d.request.jurisdiction_id,
                                      remittance=lambda d: f"{d.request.number} {d.request.request_type.name_en}"):
        audit_record(actor=actor, action="create", object_type="banking.bankfile", object_id=made.pk,
                     after={"message_id": made.message_id, "payments": [d.end_to_end_id for d in group],
                            "total": str(made.total_amount)})
    return made


def _paid(request: ServiceRequest, *, actor, as_of: date, disbursement: Disbursement) -> None:
    request.paid_on = as_of
    _append(request, actor=actor, kind="paid", on=as_of,
            data={"amount": str(disbursement.amount), "file": disbursement.bank_file.message_id})


def disbursements_export(*, actor, as_of: date, request_ids: list[int] | None = None) -> BankFile | None:
    """Every payment of an executed request not sent yet (of the requests named, or all those in the actor's
    scope), in a pain.001 file per currency through banking (XSD-checked, hashed, encrypted); each payment goes
    out once (locked, then marked sent with its file) and its day is the request's paid date (a surrender's
    payment clock stops). An execution sends its own payment at once (`request_execute`); this sends what is
    left. Nothing to pay: nothing made (None). Returns the (last) file made."""
    authorize(actor, Action.PROCESS_SERVICING)
    with transaction.atomic():
        pending = Disbursement.objects.select_for_update().filter(status=Disbursement.Status.PENDING)
        if not trusted(actor):
            pending = in_scope(pending, actor_scope(actor))
        if request_ids is not None:
            pending = pending.filter(request_id__in=request_ids)
        rows = list(pending.select_related("request__request_type").order_by("currency", "id"))
        made = _send(actor=actor, as_of=as_of, rows=rows)
        for disbursement in Disbursement.objects.filter(pk__in=[d.pk for d in rows]).select_related("bank_file"):
            request = _lock(disbursement.request)
            _paid(request, actor=actor, as_of=as_of, disbursement=disbursement)
            _save(request)
    return made


@transaction.atomic
def disbursement_reissue(*, actor, request: ServiceRequest, bank_name: str, bank_code: str, bank_account: str,
                         as_of: date) -> BankFile:
    """A payment the bank rejected (`payment_results`) goes out again to the owner's new account, given by staff: a
    new end-to-end id (`<first id>-R<n>`), sent at once in a new pain.001 file; the rejected attempt stays in the
    request's log (`payment_reissued`) and the audit trail."""
    authorize(actor, Action.PROCESS_SERVICING, request)
    request = _lock(request)
    payment = (Disbursement.objects.select_for_update(of=("self",)).select_related("request__request_type", "bank_file")
               .filter(request=request).first())
    if payment is None or payment.status != Disbursement.Status.REJECTED:
        raise ServicingRefused(_("Only a payment the bank rejected goes out again."))
    account = _payee_account({"bank_name": bank_name, "bank_code": bank_code, "bank_account": bank_account})
    before = transfer_reissue(payment, bank_name=account.bank_name, bank_code=account.bank_code,
                              account_number=account.number)
    made = _send(actor=actor, as_of=as_of, rows=[payment])
    after = {"reference": payment.end_to_end_id, "account": payment.account_last4, "file": made.message_id}
    _append(request, actor=actor, kind="payment_reissued", on=as_of, data={"before": before} | after)
    audit_record(actor=actor, action="update", object_type="servicing.disbursement", object_id=payment.pk,
                 before=before, after=after)
    return made


# -- the services ----------------------------------------------------------------------------------------------

@transaction.atomic
def request_create(*, actor, policy: Policy, request_type: str, channel: str, received_on: date, as_of: date,
                   payload: dict | None = None, note: str = "") -> ServiceRequest:
    """Record a policy owner's request, from any channel: its number, its documents checklist, its clocks."""
    authorize(actor, Action.REQUEST_SERVICING, policy)
    kind = RequestType.objects.filter(code=request_type, is_active=True).first()
    if kind is None:
        raise ServicingRefused(_("There is no such request type."), field="request_type")
    if channel not in Channel.values:
        raise ServicingRefused(_("Choose the channel the request came through."), field="channel")
    _check_date(received_on, as_of, field="received_on")
    if received_on < policy.issue_date:
        raise ServicingRefused(_("The request cannot be received before the policy was issued."),
                               field="received_on")
    policy = Policy.objects.select_for_update().select_related("product", "insured").get(pk=policy.pk)
    if policy.status in policy_rules.TERMINAL or policy.status == policy_rules.Status.PROPOSAL:
        raise ServicingRefused(_("The policy is %(status)s: it takes no servicing requests.")
                               % {"status": policy.get_status_display()}, field="policy")
    if ServiceRequest.objects.filter(policy=policy, request_type=kind,
                                     status__in=[s.value for s in rules.OPEN]).exists():
        raise ServicingRefused(_("The policy already has an open request of this type."), field="request_type")
    cleaned, amount, figures = _clean_payload(kind.code, policy, payload or {}, received_on)
    account = _payee_account(payload or {}) if kind.code in rules.PAYS_THE_OWNER else None
    if account is not None:
        cleaned |= {"bank_name": account.bank_name, "bank_code": account.bank_code,
                    "account_last4": account.number[-4:]}
    approval = rules.ApprovalRule(always=kind.approval_always, above_amount=kind.approval_above)
    request = ServiceRequest(
        number=f"~{uuid.uuid4().hex[:15]}", request_type=kind, policy=policy,
        customer_id=policy.owner_id, jurisdiction_id=policy.jurisdiction_id, channel=channel,
        received_on=received_on, payload=cleaned, result={"quote": figures} if figures else {}, amount=amount,
        fee=kind.fee, needs_approval=approval.needs_approval(amount), note=note.strip(), maker=acting_staff(actor),
        created_at=timezone.now(), branch_id=policy.branch_id, branch_path=policy.branch_path,
        agent_id=policy.agent_id,
    )
    clocks_refresh(request)
    request.save()
    request.number = f"SV{request.pk:08d}"
    request.save(update_fields=["number"])
    RequestDocument.objects.bulk_create(
        RequestDocument(request=request, code=d["code"], name=d["name"], name_en=d.get("name_en", d["name"]))
        for d in kind.documents if _document_needed(d["code"], policy, cleaned))
    if account is not None:
        Disbursement.objects.create(
            request=request, policy=policy, payee_name=policy.owner.name[:120], currency=policy.currency,
            **Disbursement.account_fields(bank_name=account.bank_name, bank_code=account.bank_code,
                                          account_number=account.number),
            end_to_end_id=request.number, branch_path=policy.branch_path, agent_id=policy.agent_id)
    _append(request, actor=actor, kind="received", on=received_on, note=request.note,
            data={"channel": channel, "payload": cleaned, "amount": None if amount is None else str(amount)})
    audit_record(actor=actor, action="create", object_type="servicing.servicerequest", object_id=request.pk,
                 after={"number": request.number, "type": kind.code, "policy": policy.pk, "channel": channel})
    return request


def _document_needed(code: str, policy: Policy, payload: dict) -> bool:
    """The insured's written consent matters only when the owner (after an owner change: the new owner) is
    someone else (Insurance Law Art. 41)."""
    owner_id = payload.get("new_owner_id", policy.owner_id)
    return code != "insured_consent" or owner_id != policy.insured_id


def _move(request: ServiceRequest, *, actor, target: RequestStatus, on: date, kind: str, note: str = "",
          data: dict | None = None) -> None:
    before = request.status
    try:
        rules.check_transition(request.status, target)
    except rules.TransitionRefused:
        raise ServicingRefused(_("The request is %(status)s: this step is not possible now.")
                               % {"status": request.get_status_display()}) from None
    request.status = target.value
    if target in (S.EXECUTED, S.REJECTED, S.CANCELLED):
        request.closed_on = on
    _append(request, actor=actor, kind=kind, on=on, note=note, data=data)
    audit_record(actor=actor, action="transition", object_type="servicing.servicerequest", object_id=request.pk,
                 before={"status": before}, after={"status": request.status, "event": kind})


def _documents_complete(request: ServiceRequest, *, actor, on: date) -> None:
    """Every document in: the request is complete (its completion clock starts) and goes to a checker when it
    needs one."""
    request.complete_on = on
    _move(request, actor=actor, target=S.COMPLETE, on=on, kind="complete")
    if request.needs_approval:
        _move(request, actor=actor, target=S.PENDING_APPROVAL, on=on, kind="submitted")


def _announce_closed(request: ServiceRequest, *, actor) -> None:
    """The request was executed or rejected: after the commit, the listeners of `core.registries` hear of it (the
    service desk's CSAT survey). A withdrawn request is not announced: the owner ended it, nobody served it."""
    staff = acting_staff(actor) or request.maker
    served_closed_announce(ServedClosed.now(SURVEY_SUBJECT, request, label=request.number, customer=request.customer,
                                            staff=staff, unit=request.branch))


def _save(request: ServiceRequest) -> ServiceRequest:
    clocks_refresh(request)
    request.save()
    return request


@transaction.atomic
def request_accept(*, actor, request: ServiceRequest, on: date, as_of: date) -> ServiceRequest:
    """Accept the request (the 2-working-day clock stops); complete at once when every document is in."""
    authorize(actor, Action.PROCESS_SERVICING, request)
    _check_date(on, as_of)
    request = _lock(request)
    if on < request.received_on:
        raise ServicingRefused(_("The request cannot be accepted before it was received."), field="on")
    request.accepted_on = on
    _move(request, actor=actor, target=S.ACCEPTED, on=on, kind="accepted")
    if request.documents.filter(received_on__isnull=True).exists():
        _move(request, actor=actor, target=S.AWAITING_DOCUMENTS, on=on, kind="awaiting_documents")
    else:
        _documents_complete(request, actor=actor, on=on)
    return _save(request)


@transaction.atomic
def request_document_receive(*, actor, request: ServiceRequest, code: str, received_on: date,
                             as_of: date) -> ServiceRequest:
    """Record the day a document of the checklist reached the insurer; the last one completes the request."""
    authorize(actor, Action.PROCESS_SERVICING, request)
    _check_date(received_on, as_of, field="received_on")
    request = _lock(request)
    if not request.is_open:
        raise ServicingRefused(_("The request is closed."))
    document = request.documents.filter(code=code).first()
    if document is None:
        raise ServicingRefused(_("This document is not on the request's checklist."), field="code")
    if document.received_on is not None:
        raise ServicingRefused(_("This document is already in."), field="code")
    if received_on < request.received_on:
        raise ServicingRefused(_("A document cannot arrive before the request."), field="received_on")
    document.received_on = received_on
    document.save(update_fields=["received_on"])
    _append(request, actor=actor, kind="document_received", on=received_on, data={"document": code})
    audit_record(actor=actor, action="update", object_type="servicing.servicerequest", object_id=request.pk,
                 after={"document": code, "received_on": str(received_on)})
    if request.status == S.AWAITING_DOCUMENTS and not request.documents.filter(received_on__isnull=True).exists():
        _documents_complete(request, actor=actor, on=received_on)
    return _save(request)


@transaction.atomic
def request_missing_notice(*, actor, request: ServiceRequest, on: date, as_of: date) -> ServiceRequest:
    """The one single notice listing everything still missing (a second notice is refused)."""
    authorize(actor, Action.PROCESS_SERVICING, request)
    _check_date(on, as_of)
    request = _lock(request)
    if request.status != S.AWAITING_DOCUMENTS:
        raise ServicingRefused(_("Only a request awaiting documents gets a missing-items notice."))
    if request.missing_notice_on is not None:
        raise ServicingRefused(_("The missing-items notice went out on %(day)s: everything missing is asked for "
                                 "once.") % {"day": request.missing_notice_on.isoformat()})
    missing = list(request.documents.filter(received_on__isnull=True).values_list("code", flat=True))
    request.missing_notice_on = on
    sent = notice_send(request, Notice.MISSING_ITEMS, as_of=as_of, at=timezone.now(), missing=missing)
    _append(request, actor=actor, kind="missing_notice", on=on, data={"missing": missing, "sent": sent})
    audit_record(actor=actor, action="update", object_type="servicing.servicerequest", object_id=request.pk,
                 after={"missing_notice": str(on), "missing": missing})
    return _save(request)


@transaction.atomic
def request_reject(*, actor, request: ServiceRequest, reason: str, on: date, as_of: date) -> ServiceRequest:
    """Refuse the request, with the reason the owner is told."""
    authorize(actor, Action.PROCESS_SERVICING, request)
    _check_date(on, as_of)
    reason = reason.strip()
    if not reason:
        raise ServicingRefused(_("Give the reason the owner will be told."), field="reason")
    request = _lock(request)
    request.reason = reason[:300]
    _move(request, actor=actor, target=S.REJECTED, on=on, kind="rejected", note=reason,
          data={"sent": notice_send(request, Notice.REJECTED, as_of=as_of, at=timezone.now())})
    _announce_closed(request, actor=actor)
    return _save(request)


@transaction.atomic
def request_cancel(*, actor, request: ServiceRequest, reason: str, on: date, as_of: date) -> ServiceRequest:
    """The owner withdrew the request."""
    authorize(actor, Action.PROCESS_SERVICING, request)
    _check_date(on, as_of)
    request = _lock(request)
    request.reason = reason.strip()[:300]
    _move(request, actor=actor, target=S.CANCELLED, on=on, kind="cancelled", note=request.reason)
    return _save(request)


def _check_four_eyes(actor, request: ServiceRequest) -> Staff:
    checker = acting_staff(actor)
    if not rules.may_check(maker_id=request.maker_id, checker_id=checker.pk if checker else None):
        raise ServicingRefused(_("You recorded this request: another person must check it."))
    return checker


@transaction.atomic
def request_approve(*, actor, request: ServiceRequest, on: date, as_of: date, note: str = "") -> ServiceRequest:
    """The checker approves: a person with the approval grant who is not the request's maker."""
    authorize(actor, Action.APPROVE_SERVICING, request)
    _check_date(on, as_of)
    request = _lock(request)
    checker = _check_four_eyes(actor, request)
    request.checker, request.approved_on = checker, on
    _move(request, actor=actor, target=S.APPROVED, on=on, kind="approved", note=note.strip())
    return _save(request)


@transaction.atomic
def request_decline(*, actor, request: ServiceRequest, reason: str, on: date, as_of: date) -> ServiceRequest:
    """The checker declines (the request is rejected, with the reason)."""
    authorize(actor, Action.APPROVE_SERVICING, request)
    _check_date(on, as_of)
    reason = reason.strip()
    if not reason:
        raise ServicingRefused(_("Give the reason the owner will be told."), field="reason")
    request = _lock(request)
    if request.status != S.PENDING_APPROVAL:
        raise ServicingRefused(_("Only a request pending approval can be declined by its checker."))
    request.checker, request.reason = _check_four_eyes(actor, request), reason[:300]
    _move(request, actor=actor, target=S.REJECTED, on=on, kind="declined", note=reason,
          data={"sent": notice_send(request, Notice.REJECTED, as_of=as_of, at=timezone.now())})
    _announce_closed(request, actor=actor)
    return _save(request)


@transaction.atomic
def request_execute(*, actor, request: ServiceRequest, as_of: date) -> ServiceRequest:
    """Carry the change out on the business date, through the policies' services, and close the request."""
    authorize(actor, Action.PROCESS_SERVICING, request)
    request = _lock(request)
    if request.status not in (S.COMPLETE, S.APPROVED):
        raise ServicingRefused(_("The request is %(status)s: it can be executed once complete (and approved when "
                                 "it needs approval).") % {"status": request.get_status_display()})
    if request.needs_approval and request.status != S.APPROVED:
        raise ServicingRefused(_("The request needs a checker's approval first."))
    result = EXECUTIONS[request.request_type.code](actor=on_behalf(actor, Action.CHANGE_POLICY), request=request,
                                                   as_of=as_of)
    request.result = (request.result or {}) | result
    sent = notice_send(request, Notice.EXECUTED, as_of=as_of, at=timezone.now())
    _move(request, actor=actor, target=S.EXECUTED, on=as_of, kind="executed", data=result | {"sent": sent})
    if result.get("payment"):  # the owner is paid at once, in a pain.001 file of its own (as claims' payouts)
        disbursement = Disbursement.objects.select_for_update().select_related("request__request_type").get(
            request=request, status=Disbursement.Status.PENDING)
        _send(actor=actor, as_of=as_of, rows=[disbursement])
        disbursement.refresh_from_db()
        _paid(request, actor=actor, as_of=as_of, disbursement=disbursement)
    _announce_closed(request, actor=actor)
    return _save(request)


# -- executions: each changes the policy through policies' services and says what it did -------------------------

def _new_version(*, actor, request: ServiceRequest, as_of: date, changes: dict, **kwargs) -> dict:
    try:
        version = policy_services.policy_new_version(
            actor=actor, policy_id=request.policy_id, effective_from=as_of, as_of=as_of, changes=changes,
            reason=f"{request.request_type.code} {request.number}", **kwargs)
    except ValueError as exc:
        raise ServicingRefused(_("The policy cannot take the change today: %(why)s") % {"why": exc}) from None
    return {"version": version.version_no, "effective_from": as_of.isoformat()}


def _execute_contact(*, actor, request: ServiceRequest, as_of: date) -> dict:
    """The owner's new details on the customer record, through parties' service (audited there)."""
    try:
        contact_change(actor=actor, customer=request.customer, changes=request.payload, as_of=as_of)
    except ContactChangeRefused as exc:
        raise ServicingRefused(str(exc), field=exc.field) from None
    return {"changed": sorted(request.payload)}


def _execute_beneficiaries(*, actor, request: ServiceRequest, as_of: date) -> dict:
    beneficiaries = [policy_services.BeneficiaryInput(b["name"], b["relation_to_insured"], Fraction(b["share"]),
                                                      b["order"]) for b in request.payload["beneficiaries"]]
    return _new_version(actor=actor, request=request, as_of=as_of, changes={}, beneficiaries=beneficiaries)


def _execute_premium_mode(*, actor, request: ServiceRequest, as_of: date) -> dict:
    policy = request.policy
    version = policy.versions.get(effective_to__isnull=True)
    mode = request.payload["premium_mode"]
    try:
        factor = products.mode_factor(product=policy.product_id, mode=mode)
    except products.ModeFactorNotFound:
        raise ServicingRefused(_("The product does not offer this premium mode."), field="premium_mode") from None
    modal = products.modal_premium(version.annual_premium, factor)
    return _new_version(actor=actor, request=request, as_of=as_of,
                        changes={"premium_mode": mode, "modal_premium": modal}) | {"modal_premium": str(modal)}


def _execute_payment_method(*, actor, request: ServiceRequest, as_of: date) -> dict:
    return _new_version(actor=actor, request=request, as_of=as_of,
                        changes={"payment_method": request.payload["payment_method"]})


def _execute_sum_assured_decrease(*, actor, request: ServiceRequest, as_of: date) -> dict:
    version = request.policy.versions.get(effective_to__isnull=True)
    new_sa = Decimal(request.payload["sum_assured"])
    annual = rules.sum_assured_decrease_premium(annual_premium=version.annual_premium,
                                                old_sum_assured=version.sum_assured, new_sum_assured=new_sa)
    modal = to_cents(version.modal_premium * new_sa / version.sum_assured)
    return _new_version(actor=actor, request=request, as_of=as_of, changes={
        "sum_assured": new_sa, "annual_premium": annual, "modal_premium": modal}) | {
        "annual_premium": str(annual), "modal_premium": str(modal)}


def _execute_loan(*, actor, request: ServiceRequest, as_of: date) -> dict:
    amount = Decimal(request.payload["amount"])
    quote = _quote_or_refuse(loan_quote, policy=request.policy, on=as_of)
    if amount > quote.amount:
        raise ServicingRefused(_("The most the policy can lend today is %(amount)s.") % {"amount": quote.amount})
    rate = jurisdiction_rule(request.jurisdiction_id, "policy_loan_interest_rate").amount
    loan = policy_services.policy_loan_grant(actor=actor, policy_id=request.policy_id,
                                             kind=PolicyLoan.Kind.POLICY_LOAN, principal=amount, rate_percent=rate,
                                             taken_on=as_of, as_of=as_of, reference=request.number)
    return {"loan": loan.pk, "principal": str(amount), "rate_percent": str(rate), "quote": quote.figures} | \
        _disburse(request, amount, as_of)


def _execute_surrender(*, actor, request: ServiceRequest, as_of: date) -> dict:
    quote = _quote_or_refuse(surrender_quote, policy=request.policy, on=as_of)
    _transition(actor=actor, request=request, as_of=as_of, to_status=policy_rules.Status.SURRENDERED,
                kind="surrendered", amount=quote.amount)
    policy_services.policy_loans_settle(actor=actor, policy_id=request.policy_id, on=as_of, as_of=as_of,
                                        reference=request.number)
    return {"paid": str(quote.amount), "quote": quote.figures} | _disburse(request, quote.amount, as_of)


def _execute_cooling_off(*, actor, request: ServiceRequest, as_of: date) -> dict:
    quote = cooling_off_quote(policy=request.policy, received_on=request.received_on)
    _transition(actor=actor, request=request, as_of=as_of, to_status=policy_rules.Status.COOLING_OFF_CANCELLED,
                kind="cooling_off_cancelled", amount=quote.amount)
    return {"refund": str(quote.amount), "quote": quote.figures} | _disburse(request, quote.amount, as_of)


def _transition(*, actor, request: ServiceRequest, as_of: date, to_status, kind: str, amount: Decimal) -> None:
    try:
        policy_services.policy_transition(actor=actor, policy_id=request.policy_id, to_status=to_status,
                                          effective_date=as_of, as_of=as_of, kind=kind, reason=request.number,
                                          data={"request": request.number, "amount": str(amount)})
    except policy_rules.TransitionRefused:
        raise ServicingRefused(_("The policy is %(status)s: it cannot be ended this way.")
                               % {"status": request.policy.get_status_display()}) from None


# -- partial withdrawal, loan repayment, owner change: the change asked for, its execution --------------------------

def withdrawal_quote(*, policy: Policy, on: date) -> Quote:
    """The most a partial withdrawal may take on `on` (`rules.withdrawal_maximum`): the request type's percentage
    for the product (`RequestType.cash_value_percent`, by product code, "*" for any other) of the cash value, less
    what is owed on loans."""
    limits = RequestType.objects.get(code="partial_withdrawal").cash_value_percent or {}
    percent = Decimal(str(limits.get(policy.product.code, limits.get("*", "0"))))
    value = cash_value(policy=policy, on=on)
    owed = loan_position(policy=policy, on=on).owed
    maximum = rules.withdrawal_maximum(cash_value=value, limit_percent=percent, owed=owed)
    return Quote(maximum, {"cash_value": str(value), "limit_percent": str(percent), "outstanding": str(owed)})


def _clean_withdrawal(*, policy: Policy, payload: dict, received_on: date) -> tuple[dict, Decimal, dict]:
    amount = _decimal(payload.get("amount"), "amount")
    quote = _quote_or_refuse(withdrawal_quote, policy=policy, on=received_on)
    if quote.amount <= 0:
        raise ServicingRefused(_("The policy has no cash value that can be withdrawn."), field="amount")
    if amount > quote.amount:
        raise ServicingRefused(_("The most that can be withdrawn is %(amount)s.") % {"amount": quote.amount},
                               field="amount")
    version = policy.versions.get(effective_to__isnull=True)
    effect = rules.withdrawal_effect(amount=amount, cash_value=Decimal(quote.figures["cash_value"]),
                                     sum_assured=version.sum_assured, annual_premium=version.annual_premium,
                                     modal_premium=version.modal_premium)
    if effect.sum_assured < policy.product.min_sum_assured:
        raise ServicingRefused(_("After the withdrawal the sum assured would be %(amount)s, below the product's "
                                 "smallest, %(minimum)s.") % {"amount": effect.sum_assured,
                                                              "minimum": policy.product.min_sum_assured},
                               field="amount")
    return {"amount": str(amount)}, amount, quote.figures | {"maximum": str(quote.amount),
                                                            "sum_assured_after": str(effect.sum_assured)}


def _execute_partial_withdrawal(*, actor, request: ServiceRequest, as_of: date) -> dict:
    amount = Decimal(request.payload["amount"])
    quote = _quote_or_refuse(withdrawal_quote, policy=request.policy, on=as_of)
    if amount > quote.amount:
        raise ServicingRefused(_("The most that can be withdrawn today is %(amount)s.") % {"amount": quote.amount})
    version = request.policy.versions.get(effective_to__isnull=True)
    effect = rules.withdrawal_effect(amount=amount, cash_value=Decimal(quote.figures["cash_value"]),
                                     sum_assured=version.sum_assured, annual_premium=version.annual_premium,
                                     modal_premium=version.modal_premium)
    return _new_version(actor=actor, request=request, as_of=as_of, changes={
        "sum_assured": effect.sum_assured, "annual_premium": effect.annual_premium,
        "modal_premium": effect.modal_premium}) | {
        "paid": str(amount), "sum_assured": str(effect.sum_assured), "annual_premium": str(effect.annual_premium),
        "modal_premium": str(effect.modal_premium), "quote": quote.figures} | _disburse(request, amount, as_of)


def _open_loans(policy: Policy, on: date) -> list[tuple[loans.Loan, rules.LoanBalance]]:
    """The policy's open loans of every kind (policies' one ledger, repayments counted), oldest first, with what is
    owed on each on `on`."""
    found = [loan for loan in loans.loans_by_policy([policy.pk]).get(policy.pk, []) if loan.taken_on <= on]
    return [(loan, rules.LoanBalance(owed.principal, owed.interest))
            for loan in found for owed in [loans.loan_owed(loan, on)] if owed.owed > 0]


def _clean_repayment(*, policy: Policy, payload: dict, received_on: date) -> tuple[dict, Decimal, dict]:
    amount = _decimal(payload.get("amount"), "amount")
    position = loan_position(policy=policy, on=received_on)
    if position.principal <= 0:
        raise ServicingRefused(_("The policy has no loan to repay."), field="request_type")
    if amount < position.interest:
        raise ServicingRefused(_("A repayment pays at least the interest accrued, %(amount)s.")
                               % {"amount": position.interest}, field="amount")
    if amount > position.owed:
        raise ServicingRefused(_("The owner owes %(amount)s: a repayment cannot be more.")
                               % {"amount": position.owed}, field="amount")
    return {"amount": str(amount)}, amount, {"principal": str(position.principal),
                                             "interest": str(position.interest)}


def _execute_loan_repayment(*, actor, request: ServiceRequest, as_of: date) -> dict:
    """Interest first, then principal, oldest loan first (`rules.repayment_split`), each loan's part repaid through
    policies' loan ledger (journaled there; a loan owed nothing more is settled)."""
    amount = Decimal(request.payload["amount"])
    open_loans = _open_loans(request.policy, as_of)
    try:
        split = rules.repayment_split(amount=amount, loans=[balance for _loan, balance in open_loans])
    except ValueError:
        position = loan_position(policy=request.policy, on=as_of)
        raise ServicingRefused(_("Today the owner owes %(owed)s, of which %(interest)s interest: the repayment must "
                                 "cover the interest and cannot be more than what is owed.")
                               % {"owed": position.owed, "interest": position.interest}) from None
    for (loan, _balance), (interest, principal) in zip(open_loans, split, strict=True):
        if interest + principal > 0:
            policy_services.policy_loan_repay(actor=actor, loan_id=loan.pk, amount=interest + principal,
                                              paid_on=as_of, as_of=as_of, reference=request.number)
    interest_paid = sum((interest for interest, _principal in split), Decimal("0.00"))
    principal_paid = sum((principal for _interest, principal in split), Decimal("0.00"))
    left = sum((balance.principal for _loan, balance in open_loans), Decimal("0.00")) - principal_paid
    return {"interest_paid": str(interest_paid), "principal_paid": str(principal_paid),
            "principal_left": str(left), "loans": [loan.pk for loan, _balance in open_loans]}


def _clean_owner_change(*, policy: Policy, payload: dict, received_on: date) -> tuple[dict, None, dict]:
    number = str(payload.get("new_owner", "")).strip()
    new_owner = Customer.objects.filter(number=number).first() if number else None
    if new_owner is None:
        raise ServicingRefused(_("Give the customer number of the new owner (record them as a customer first)."),
                               field="new_owner")
    if new_owner.pk == policy.owner_id:
        raise ServicingRefused(_("This customer already owns the policy."), field="new_owner")
    if new_owner.date_of_death is not None or new_owner.anonymised_on is not None:
        raise ServicingRefused(_("This customer cannot own a policy."), field="new_owner")
    if new_owner.kind == Customer.Kind.PERSON and (
            new_owner.birth_date is None
            or age_last_birthday(new_owner.birth_date, received_on) < rules.ADULT_AGE):
        raise ServicingRefused(_("The new owner must be an adult (%(age)s or over).") % {"age": rules.ADULT_AGE},
                               field="new_owner")
    return {"new_owner": new_owner.number, "new_owner_id": new_owner.pk}, None, {}


def _execute_owner_change(*, actor, request: ServiceRequest, as_of: date) -> dict:
    """The new owner from today; the payer follows when the old owner was paying."""
    policy = request.policy
    new_owner = Customer.objects.get(pk=request.payload["new_owner_id"])
    changes = {"owner": new_owner} | ({"payer": new_owner} if policy.payer_id == policy.owner_id else {})
    return _new_version(actor=actor, request=request, as_of=as_of, changes=changes) | {
        "previous_owner": policy.owner_id, "new_owner": new_owner.number, "payer_changed": "payer" in changes}


def _clean_reinstatement(*, policy: Policy, payload: dict, received_on: date) -> tuple[dict, None, dict]:
    if policy.status != policy_rules.Status.SUSPENDED:
        raise ServicingRefused(_("Only a suspended policy can be reinstated; this one is %(status)s.")
                               % {"status": policy.get_status_display()}, field="request_type")
    declaration = str(payload.get("health_declaration", "")).strip()
    if not declaration:
        raise ServicingRefused(_("A reinstatement needs the insured's health declaration."),
                               field="health_declaration")
    return {"health_declaration": declaration[:2000]}, None, {}


def _execute_reinstatement(*, actor, request: ServiceRequest, as_of: date) -> dict:
    """Billing's reinstatement, the one implementation (`policies.services.reinstatement_handler`): the owner's
    application as received, approved by this request's checker; the policy is reinstated once the arrears and
    their interest are paid (at once when they are already in suspense)."""
    handler = policy_services.reinstatement_handler()
    if handler is None:
        raise ServicingRefused(_("Reinstatements cannot be taken here: no app handles them."))
    try:
        return handler(actor=actor, policy_id=request.policy_id, received_on=request.received_on,
                       health_declaration=request.payload["health_declaration"], decided_on=as_of, as_of=as_of)
    except ValueError as exc:
        raise ServicingRefused(str(exc)) from None


PAYLOADS = {
    "reinstatement": _clean_reinstatement,
    "partial_withdrawal": _clean_withdrawal,
    "loan_repayment": _clean_repayment,
    "owner_change": _clean_owner_change,
}


EXECUTIONS = {
    "contact_change": _execute_contact,
    "beneficiary_change": _execute_beneficiaries,
    "premium_mode_change": _execute_premium_mode,
    "payment_method_change": _execute_payment_method,
    "sum_assured_decrease": _execute_sum_assured_decrease,
    "policy_loan": _execute_loan,
    "surrender": _execute_surrender,
    "cooling_off_cancellation": _execute_cooling_off,
    "partial_withdrawal": _execute_partial_withdrawal,
    "owner_change": _execute_owner_change,
    "loan_repayment": _execute_loan_repayment,
    "reinstatement": _execute_reinstatement,
}
