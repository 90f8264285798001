"""Renewal work lists: an agent's own phone tasks and policies in grace, the call-centre queue, a manager's
lists of their branch (filtered, with reassignment), and call outcomes."""
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from lifecrm.billing import supervision, worklists
from lifecrm.billing.forms import CallOutcomeForm, ReassignForm, TaskFilterForm
from lifecrm.org.access import Action, may, staff_page


def _supervision(request, as_of):
    """The manager's filter and lists, or (None, None) for a role that supervises nobody; an invalid filter
    leaves the lists out and the form says why."""
    if not may(request.scope, Action.SUPERVISE_TASKS):
        return None, None
    form = TaskFilterForm(request.GET, holders=supervision.task_holders(scope=request.scope),
                          teams=supervision.teams(scope=request.scope))
    if not form.is_valid():
        return form, None
    return form, supervision.branch_worklist(scope=request.scope, flt=form.task_filter(), as_of=as_of)


@staff_page(*worklists.WORKLIST_ACTIONS)
def worklist(request):
    as_of = timezone.localdate()
    page = worklists.worklist(scope=request.scope, as_of=as_of)
    filter_form, branch = _supervision(request, as_of)
    return render(request, "billing/worklist.html", {
        "page": page, "as_of": as_of, "outcome_form": CallOutcomeForm(as_of=as_of),
        "filter_form": filter_form, "branch": branch,
    }, status=400 if filter_form is not None and branch is None else 200)


def _task_response(request, task, *, form, status=200):
    """The task's card for htmx (swapped in place); the task's own page otherwise."""
    template = "billing/partials/task.html" if request.htmx else "billing/task_outcome.html"
    return render(request, template, {"task": task, "outcome_form": form, "as_of": form.as_of}, status=status)


@require_http_methods(["GET", "POST"])
@staff_page(Action.WORK_OWN_TASKS, Action.WORK_QUEUE)
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


def _reassign_response(request, task, *, form, status=200, done=False):
    """The reassignment form (in the task's card for htmx, a page of its own otherwise)."""
    template = "billing/partials/task.html" if request.htmx else "billing/task_reassign.html"
    return render(request, template, {"task": task, "reassign_form": form, "done": done, "supervised": True,
                                      "as_of": timezone.localdate()}, status=status)


@require_http_methods(["GET", "POST"])
@staff_page(Action.SUPERVISE_TASKS)
def task_reassign(request, reminder_id: int):
    as_of = timezone.localdate()
    task = supervision.supervised_task_get(scope=request.scope, reminder_id=reminder_id, as_of=as_of)  # 404 elsewhere
    holders = supervision.holders_for_task(scope=request.scope, reminder=task.reminder)
    if request.method == "GET":
        return _reassign_response(request, task, form=ReassignForm(holders=holders))
    form = ReassignForm(request.POST, holders=holders)
    if not form.is_valid():
        return _reassign_response(request, task, form=form, status=400)
    try:
        supervision.reminder_task_reassign(actor=request.user, reminder_id=task.reminder.pk,
                                           holder_id=form.holder_id(), as_of=as_of)
    except supervision.ReassignRefused as exc:
        form.add_error(None, str(exc))
        return _reassign_response(request, task, form=form, status=409)
    if not request.htmx:
        return redirect("billing:worklist")
    task = supervision.supervised_task_get(scope=request.scope, reminder_id=reminder_id, as_of=as_of)
    return _reassign_response(request, task, form=None, done=True)  # the card offers "Reassign" again
