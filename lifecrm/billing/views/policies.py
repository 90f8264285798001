"""A policy's billing: premium schedule, payments, suspense, reminders, reinstatements.

The policy page loads it with htmx into its billing section (the workbench's own page keeps its query
budget); without JavaScript the same address is a page of its own.
"""
from django.shortcuts import render
from django.utils import timezone

from lifecrm.billing.views import pages
from lifecrm.org.access import Action, may, staff_page


@staff_page(Action.USE_WORKBENCH)
def policy_billing(request, policy_id: int):
    page = pages.policy_billing(scope=request.scope, policy_id=policy_id, as_of=timezone.localdate())
    template = "billing/partials/policy_billing.html" if request.htmx else "billing/policy_billing.html"
    return render(request, template, {
        "billing": page, "policy": page.policy, "as_of": page.as_of, "may_take_payments": may(request.scope, Action.TAKE_PAYMENT),
        "may_refund": may(request.scope, Action.MANAGE_COLLECTION),
    })
