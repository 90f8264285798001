"""The policy page: contract, versions, coverages, beneficiaries and the event journal."""
from django.shortcuts import render
from django.utils import timezone

from lifecrm.workbench import pages
from lifecrm.workbench.access import staff_required
from lifecrm.workbench.forms import SearchForm


@staff_required
def policy(request, policy_id: int):
    page = pages.policy_page(scope=request.scope, policy_id=policy_id, as_of=timezone.localdate())
    return render(request, "workbench/policy.html", {
        "page": page, "policy": page.policy, "as_of": page.as_of, "form": SearchForm(),
    })
