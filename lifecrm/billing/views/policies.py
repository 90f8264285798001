"""A policy's billing: premium schedule, payments, suspense, reminders, reinstatements.

The policy page loads it with htmx into its billing section (the workbench's own page keeps its query
budget); without JavaScript the same address is a page of its own.
"""
from django.shortcuts import render
from django.utils import timezone

from lifecrm.billing.forms import may_manage_collection, may_take_payments
from lifecrm.billing.views import pages
from lifecrm.billing.views.access import collection_staff


@collection_staff()
def policy_billing(request, policy_id: int):
    page = pages.policy_billing(scope=request.scope, policy_id=policy_id, as_of=timezone.localdate())
    template = "billing/partials/policy_billing.html" if request.htmx else "billing/policy_billing.html"
    return render(request, template, {
        "billing": page, "policy": page.policy, "as_of": page.as_of, "may_take_payments": may_take_payments(request.scope),
        "may_refund": may_manage_collection(request.scope),
    })
