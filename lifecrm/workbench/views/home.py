"""The workbench home page: the search box, and the role's work (or a manager's dashboard) under it; the full work
list; a counter's receipts of the day."""
from django.shortcuts import redirect, render
from django.utils import timezone

from lifecrm.billing.selectors import receipts_of_the_day
from lifecrm.org.access import Action, may, staff_page
from lifecrm.workbench import work
from lifecrm.workbench.forms import SearchForm
from lifecrm.workbench.pages import SCOPE_LABELS, search_examples


@staff_page(Action.USE_WORKBENCH, Action.MANAGE_LOGINS)
def home(request):
    if not may(request.scope, Action.USE_WORKBENCH):
        # The administrator has no workbench of customers: the logo and "Back to the workbench" lead to their start
        # page (the locked logins), as the login does, not to a refusal.
        return redirect("workbench:locked-logins")
    as_of = timezone.localdate()
    return render(request, "workbench/home.html", {
        "form": SearchForm(),
        "as_of": as_of,
        "scope_label": SCOPE_LABELS[request.scope.kind],
        "examples": search_examples(scope=request.scope),
        "home": work.home(scope=request.scope, staff=request.staff, as_of=as_of, at=timezone.now()),
    })


@staff_page(Action.USE_WORKBENCH)
def work_list(request):
    """Every item of the actor's work (at most FULL_LIMIT, the earliest deadlines first); `?overdue=1`: only the
    overdue."""
    as_of = timezone.localdate()
    overdue = request.GET.get("overdue") == "1"
    page = work.actor_work(scope=request.scope, staff=request.staff, as_of=as_of, at=timezone.now(),
                           limit=work.FULL_LIMIT, overdue=overdue)
    return render(request, "workbench/work.html", {"page": page, "overdue": overdue, "as_of": as_of})


@staff_page(Action.TAKE_PAYMENT)
def day_receipts(request):
    """The payments taken today by the staff of the actor's unit (at most FULL_LIMIT, the newest first)."""
    as_of = timezone.localdate()
    receipts = receipts_of_the_day(scope=request.scope, unit_path=request.staff.org_unit.path, on=as_of,
                                   limit=work.FULL_LIMIT)
    return render(request, "workbench/day_receipts.html", {"receipts": receipts, "as_of": as_of})
