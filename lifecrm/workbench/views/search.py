"""One search box: phone, name (Chinese or romanised), ID number or policy number."""
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
    outcome = pages.search(scope=request.scope, query=form.cleaned_data["q"])
    if outcome.single_customer is not None:
        return redirect("workbench:customer", outcome.single_customer.pk)
    return render(request, "workbench/search.html", {"form": form, "outcome": outcome, "as_of": as_of})
