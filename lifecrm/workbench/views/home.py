"""The workbench home page: the search box with examples from the user's own book, and who is logged in."""
from django.shortcuts import render
from django.utils import timezone

from lifecrm.org.access import Action, staff_page
from lifecrm.workbench.forms import SearchForm
from lifecrm.workbench.pages import SCOPE_LABELS, search_examples


@staff_page(Action.USE_WORKBENCH)
def home(request):
    return render(request, "workbench/home.html", {
        "form": SearchForm(),
        "as_of": timezone.localdate(),
        "scope_label": SCOPE_LABELS[request.scope.kind],
        "examples": search_examples(scope=request.scope),
    })
