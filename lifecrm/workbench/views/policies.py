"""The policy page: contract, versions, coverages, beneficiaries and the event journal."""
from django.shortcuts import render
from django.utils import timezone

from lifecrm.org.access import Action, staff_page
from lifecrm.workbench import pages
from lifecrm.workbench.forms import SearchForm


@staff_page(Action.USE_WORKBENCH)
def policy(request, policy_id: int):
    page = pages.policy_page(scope=request.scope, policy_id=policy_id, as_of=timezone.localdate())
    return render(request, "workbench/policy.html", {
        "page": page, "policy": page.policy, "as_of": page.as_of, "form": SearchForm(),
    })
