"""The policy page: contract, versions, coverages, beneficiaries and the event journal (and its further pages)."""
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from lifecrm.org.access import Action, may, staff_page
from lifecrm.policies.selectors import policy_get
from lifecrm.policies.services import DeliveryRefused, policy_delivery_record
from lifecrm.workbench import pages
from lifecrm.workbench.forms import DeliveryForm, SearchForm
from lifecrm.workbench.views.lists import list_response


def _policy_response(request, policy_id: int, *, delivery_form=None, status: int = 200):
    page = pages.policy_page(scope=request.scope, policy_id=policy_id, as_of=timezone.localdate())
    may_record = page.policy.delivered_on is None and may(request.scope, Action.PROCESS_SERVICING)
    return render(request, "workbench/policy.html", {
        "page": page, "policy": page.policy, "as_of": page.as_of, "form": SearchForm(),
        "delivery_form": (delivery_form or DeliveryForm()) if may_record else None,
    }, status=status)


@staff_page(Action.USE_WORKBENCH)
def policy(request, policy_id: int):
    return _policy_response(request, policy_id)


@require_POST
@staff_page(Action.PROCESS_SERVICING)
def delivery(request, policy_id: int):
    """Record the owner's receipt of the policy (the counter takes the signed receipt); the page again."""
    found = policy_get(scope=request.scope, policy_id=policy_id, with_events=False)  # 404 outside the scope
    form = DeliveryForm(request.POST)
    if form.is_valid():
        try:
            policy_delivery_record(actor=request.user, policy_id=found.pk,
                                   delivered_on=form.cleaned_data["delivered_on"], as_of=timezone.localdate())
        except DeliveryRefused as exc:
            form.add_error("delivered_on", str(exc))
        else:
            return redirect("workbench:policy", found.pk)
    return _policy_response(request, found.pk, delivery_form=form, status=400)


@staff_page(Action.USE_WORKBENCH)
def events(request, policy_id: int):
    found = policy_get(scope=request.scope, policy_id=policy_id, with_events=False)  # 404 outside the scope
    journal = pages.event_list(policy=found, page=request.GET.get("page"))
    return list_response(request, title=_("Event journal"), template="workbench/partials/policy_events.html",
                         context={"events": journal}, back_url=reverse("workbench:policy", args=[found.pk]),
                         back_label=_("Policy"), back_number=found.number)
