"""The call-logging panel of the customer 360: log a call (or any contact) and refresh the customer's timeline."""
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lifecrm.org.access import Action, staff_page
from lifecrm.parties.selectors import customer_get
from lifecrm.service.forms import interaction_form_for
from lifecrm.service.services import ServiceRefused, interaction_log

# The htmx event a logged contact raises: the 360's timeline reloads its first page on it.
LOGGED_EVENT = "interactionLogged"


def _panel(request, customer, form, *, status=200, logged=None):
    """The panel for htmx (swapped in place); a page of its own when JavaScript is off."""
    template = "service/partials/interaction_panel.html" if request.htmx else "service/interaction_log.html"
    return render(request, template, {"customer": customer, "interaction_form": form, "logged": logged},
                  status=status)


@require_POST
@staff_page(Action.LOG_INTERACTION)
def interaction_new(request, customer_id: int):
    customer = customer_get(scope=request.scope, customer_id=customer_id)  # 404 outside the scope
    form = interaction_form_for(scope=request.scope, customer_id=customer.pk, now=timezone.now(), data=request.POST)
    if not form.is_valid():
        return _panel(request, customer, form, status=400)
    try:
        logged = interaction_log(actor=request.user, customer=customer, **form.service_arguments())
    except ServiceRefused as refusal:
        form.add_error(refusal.field if refusal.field in form.fields else None, str(refusal))
        return _panel(request, customer, form, status=400)
    if not request.htmx:
        return redirect("workbench:customer", customer_id=customer.pk)
    fresh = interaction_form_for(scope=request.scope, customer_id=customer.pk, now=timezone.now())
    response = _panel(request, customer, fresh, logged=logged)
    response["HX-Trigger"] = LOGGED_EVENT
    return response
