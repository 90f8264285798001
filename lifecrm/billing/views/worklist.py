"""Renewal work lists: an agent's own phone tasks and policies in grace, the call-centre queue, call outcomes."""
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from lifecrm.billing import worklists
from lifecrm.billing.forms import CallOutcomeForm
from lifecrm.billing.views.access import collection_staff


@collection_staff(worklists.may_use_worklist)
def worklist(request):
    as_of = timezone.localdate()
    page = worklists.worklist(scope=request.scope, as_of=as_of)
    return render(request, "billing/worklist.html", {
        "page": page, "as_of": as_of, "outcome_form": CallOutcomeForm(as_of=as_of),
    })


def _task_response(request, task, *, form, status=200):
    """The task's card for htmx (swapped in place); the task's own page otherwise."""
    template = "billing/partials/task.html" if request.htmx else "billing/task_outcome.html"
    return render(request, template, {"task": task, "outcome_form": form, "as_of": form.as_of}, status=status)


@require_http_methods(["GET", "POST"])
@collection_staff(worklists.may_use_worklist)
def task_outcome(request, reminder_id: int):
    as_of = timezone.localdate()
    task = worklists.phone_task_get(scope=request.scope, reminder_id=reminder_id, as_of=as_of)  # 404 elsewhere
    if request.method == "GET":
        return _task_response(request, task, form=CallOutcomeForm(as_of=as_of))
    form = CallOutcomeForm(request.POST, as_of=as_of)
    if not form.is_valid():
        return _task_response(request, task, form=form, status=400)
    data = form.cleaned_data
    try:
        worklists.reminder_task_log_outcome(actor=request.user, reminder_id=task.reminder.pk, outcome=data["outcome"],
                                            note=data["note"], promised_on=data["promised_on"], as_of=as_of)
    except worklists.TaskRefused as exc:
        form.add_error(None, str(exc))
        return _task_response(request, task, form=form, status=409)
    if not request.htmx:
        return redirect("billing:worklist")
    task = worklists.phone_task_get(scope=request.scope, reminder_id=reminder_id, as_of=as_of)
    return _task_response(request, task, form=CallOutcomeForm(as_of=as_of))
