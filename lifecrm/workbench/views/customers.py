"""The customer 360 page, the further pages of its long lists, the audited reveal of a customer's ID number and
the audited PIPL data export."""
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from lifecrm.org.access import Action, may, staff_page
from lifecrm.parties.selectors import customer_get
from lifecrm.parties.services import RevealRefused, customer_data_export, customer_reveal_id_number
from lifecrm.service.forms import interaction_form_for
from lifecrm.workbench import pages
from lifecrm.workbench.forms import RevealForm, SearchForm
from lifecrm.workbench.views.lists import list_response


@staff_page(Action.USE_WORKBENCH)
def customer(request, customer_id: int):
    page = pages.customer_page(scope=request.scope, customer_id=customer_id, as_of=timezone.localdate())
    interaction_form = None  # the call-logging panel, for those who may log a contact
    if may(request.scope, Action.LOG_INTERACTION):
        interaction_form = interaction_form_for(scope=request.scope, customer_id=page.customer.pk, now=timezone.now(),
                                                policies=page.policies.choices)
    return render(request, "workbench/customer.html", {
        "page": page, "customer": page.customer, "as_of": page.as_of, "form": SearchForm(),
        "reveal_form": RevealForm(), "interaction_form": interaction_form,
    })


def _customer_list(request, customer, *, title, template: str, context: dict):
    return list_response(request, title=title, template=template, context=context,
                         back_url=reverse("workbench:customer", args=[customer.pk]), back_label=customer.name,
                         back_number=customer.number)


@staff_page(Action.USE_WORKBENCH)
def relationships(request, customer_id: int):
    customer = customer_get(scope=request.scope, customer_id=customer_id)  # 404 outside the scope
    relations = pages.relationship_list(scope=request.scope, customer=customer, page=request.GET.get("page"))
    return _customer_list(request, customer, title=_("Relationships"),
                          template="workbench/partials/customer_relationships.html", context={"relations": relations})


@staff_page(Action.USE_WORKBENCH)
def policies(request, customer_id: int):
    customer = customer_get(scope=request.scope, customer_id=customer_id)
    found = pages.policy_list(scope=request.scope, customer=customer, as_of=timezone.localdate(),
                              page=request.GET.get("page"))
    return _customer_list(request, customer, title=_("Policies"),
                          template="workbench/partials/customer_policies.html", context={"policies": found})


@staff_page(Action.USE_WORKBENCH)
def timeline(request, customer_id: int):
    customer = customer_get(scope=request.scope, customer_id=customer_id)
    found = pages.timeline_list(scope=request.scope, customer=customer, as_of=timezone.localdate(),
                                page=request.GET.get("page"), kind=request.GET.get("kind"))
    return _customer_list(request, customer, title=_("Timeline"),
                          template="workbench/partials/customer_timeline.html", context={"timeline": found})


def _reveal_response(request, customer, *, status: int = 200, **context):
    """The ID-number fragment for htmx; the same fragment inside a page when JavaScript is off."""
    template = "workbench/partials/id_number.html" if request.htmx else "workbench/customer_reveal.html"
    context = {"customer": customer, "masked_id": pages.masked_id(customer), **context}
    return render(request, template, context, status=status)


@require_POST
@staff_page(Action.USE_WORKBENCH)
def reveal_id(request, customer_id: int):
    found = customer_get(scope=request.scope, customer_id=customer_id)  # 404 outside the scope
    if not may(request.scope, Action.REVEAL_ID):
        return _reveal_response(request, found, status=403, refused=True)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _reveal_response(request, found, status=400, reveal_form=form, may_reveal_id=True)
    purpose = form.cleaned_data["purpose"]
    try:
        id_number = customer_reveal_id_number(actor=request.user, customer=found,
                                              purpose=purpose)
    except RevealRefused:
        return _reveal_response(request, found, status=403, refused=True)
    return _reveal_response(request, found, id_number=id_number, purpose=purpose)


@require_POST
@staff_page(Action.EXPORT_PERSONAL_DATA)
def personal_data_export(request, customer_id: int):
    """The customer's PIPL data export (a zip of JSON), for head office; the service audits it."""
    found = customer_get(scope=request.scope, customer_id=customer_id)  # 404 outside the scope
    content = customer_data_export(actor=request.user, customer=found,
                                   as_of=timezone.localdate())
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="customer-{found.number}-personal-data.zip"'
    response["Cache-Control"] = "no-store"
    return response
