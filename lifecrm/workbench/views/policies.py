"""The policy page: contract, versions, coverages, beneficiaries and the event journal (and its further pages)."""
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lifecrm.org.access import Action, staff_page
from lifecrm.policies.selectors import policy_get
from lifecrm.workbench import pages
from lifecrm.workbench.forms import SearchForm
from lifecrm.workbench.views.lists import list_response


@staff_page(Action.USE_WORKBENCH)
def policy(request, policy_id: int):
    page = pages.policy_page(scope=request.scope, policy_id=policy_id, as_of=timezone.localdate())
    return render(request, "workbench/policy.html", {
        "page": page, "policy": page.policy, "as_of": page.as_of, "form": SearchForm(),
    })


@staff_page(Action.USE_WORKBENCH)
def events(request, policy_id: int):
    found = policy_get(scope=request.scope, policy_id=policy_id, with_events=False)  # 404 outside the scope
    journal = pages.event_list(policy=found, page=request.GET.get("page"))
    return list_response(request, title=_("Event journal"), template="workbench/partials/policy_events.html",
                         context={"events": journal}, back_url=reverse("workbench:policy", args=[found.pk]),
                         back_label=_("Policy"), back_number=found.number)
