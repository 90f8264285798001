"""One search box: phone, name (Chinese in either script, or romanised), ID, customer or policy number, e-mail,
part of an address; the customers it finds a page at a time."""
from django.shortcuts import redirect, render
from django.utils import timezone

from lifecrm.org.access import Action, staff_page
from lifecrm.workbench import pages
from lifecrm.workbench.forms import SearchForm


@staff_page(Action.USE_WORKBENCH)
def search(request):
    form = SearchForm(request.GET)
    as_of = timezone.localdate()
    if not form.is_valid():
        return render(request, "workbench/search.html", {"form": form, "outcome": None, "as_of": as_of})
    outcome = pages.search(scope=request.scope, query=form.cleaned_data["q"], page=form.cleaned_data["page"] or 1)
    if outcome.single_customer is not None:
        return redirect("workbench:customer", outcome.single_customer.pk)
    return render(request, "workbench/search.html", {"form": form, "outcome": outcome, "as_of": as_of})
