"""Counter payments: the entry form (policy number, amount, method, date, slip), the receipt, refunds from
suspense and the suspense work list."""
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from lifecrm.billing.forms import (
    CounterPaymentForm,
    PaymentInputError,
    RefundForm,
    counter_payment_book,
    policy_for_payment,
)
from lifecrm.billing.selectors import policy_arrears, refundable_suspense, suspense_work_list
from lifecrm.billing.views import pages
from lifecrm.org.access import Action, staff_page


def _initial_policy(request):
    """The policy named by ?policy=<id> when it is in scope (a link from the policy page), else None."""
    raw = request.GET.get("policy", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):  # "²".isdigit() is true, int("²") fails
        return None
    try:
        return policy_for_payment(scope=request.scope, policy_id=int(raw))
    except PaymentInputError:
        return None


@require_http_methods(["GET", "POST"])
@staff_page(Action.TAKE_PAYMENT)
def payment_new(request):
    as_of = timezone.localdate()
    if request.method == "GET":
        policy = _initial_policy(request)
        arrears = policy_arrears(policy=policy, as_of=as_of) if policy else None
        form = CounterPaymentForm(as_of=as_of, initial={
            "policy_number": policy.number if policy else "", "received_on": as_of,
            "amount": arrears if arrears else None})
        return render(request, "billing/payment_form.html", {
            "form": form, "as_of": as_of, "policy": policy, "arrears": arrears})
    form = CounterPaymentForm(request.POST, as_of=as_of)
    policy = None
    if form.is_valid():
        confirmed_by = form.confirming_staff(request)
        try:
            policy = policy_for_payment(scope=request.scope, number=form.cleaned_data["policy_number"])
            if form.is_valid():  # no wrong confirmation
                payment = counter_payment_book(actor=request.user, staff=request.staff, policy=policy,
                                               payment=form.payment(confirmed_by), as_of=as_of)
                return redirect("billing:receipt", payment.pk)
        except PaymentInputError as error:
            form.add_input_error(error)
    return render(request, "billing/payment_form.html", {"form": form, "as_of": as_of, "policy": policy}, status=400)


@staff_page(Action.TAKE_PAYMENT)
def receipt(request, payment_id: int):
    page = pages.receipt(scope=request.scope, payment_id=payment_id)
    return render(request, "billing/receipt.html", {"page": page, "as_of": timezone.localdate()})


@require_http_methods(["GET", "POST"])
@staff_page(Action.MANAGE_COLLECTION)
def refund_new(request, policy_id: int):
    """Pay back money waiting in suspense (an overpayment, a debit collected after the policy ended)."""
    try:
        policy = policy_for_payment(scope=request.scope, policy_id=policy_id)
    except PaymentInputError:
        raise Http404 from None
    as_of = timezone.localdate()
    refundable = refundable_suspense(policy_id=policy.pk, as_of=as_of)
    balance = refundable.balance
    if request.method == "GET":
        form = RefundForm(refundable=refundable, initial={"amount": refundable.now if refundable.now > 0 else None})
        return render(request, "billing/refund_form.html", {"form": form, "policy": policy, "balance": balance,
                                                             "refundable": refundable})
    form = RefundForm(request.POST, refundable=refundable)
    if form.is_valid():
        refund = form.refund(actor=request.user, staff=request.staff, policy=policy, as_of=as_of)
        if refund is not None:
            return redirect("billing:receipt", refund.pk)
    return render(request, "billing/refund_form.html", {"form": form, "policy": policy, "balance": balance,
                                                         "refundable": refundable}, status=400)


@staff_page(Action.MANAGE_COLLECTION)
def suspense(request):
    """Money in suspense in the staff member's scope: to recover from payers, to refund, paid ahead."""
    return render(request, "billing/suspense.html", {"page": suspense_work_list(scope=request.scope),
                                                     "as_of": timezone.localdate()})
