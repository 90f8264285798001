"""Billing's work sources for each role's home page: open renewal phone tasks, and an agent's policies in grace.

Who gets which tasks follows the work lists (`billing.worklists`, `billing.supervision`): an agent or call-centre
agent their own tasks, the call centre (and anyone at HQ) the queue of their scope, a manager every open task of
their scope. A task's deadline is the day the ladder scheduled the call; a task on a policy in grace is of high
priority. Each links to where it is worked: the call's outcome, or (for a manager) its reassignment.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import reduce
from operator import or_

from django.db.models import Case, DecimalField, F, IntegerField, Min, Q, QuerySet, Sum, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _

from lifecrm.billing.models import DueItem, Reminder
from lifecrm.billing.worklists import _task_row, shows_grace_list
from lifecrm.core.registries import WorkItem, register_work_count, register_work_source
from lifecrm.org.rules import Action, DataScope, allows
from lifecrm.policies.models import Policy
from lifecrm.policies.rules import Status
from lifecrm.policies.selectors import policies_in_scope

TASKS, GRACE = "billing.tasks", "billing.grace"
HIGH, NORMAL = 2, 3


def _money(amount, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


def _open_tasks(scope: DataScope, staff_id: int | None, *, as_of: date, overdue: bool) -> QuerySet[Reminder] | None:
    """The open phone tasks that are the actor's work, or None for a role with none (no query)."""
    wanted: list[Q] = []
    in_scope = Q(due_item__policy__in=policies_in_scope(scope).values("pk"))
    if allows(scope, Action.WORK_OWN_TASKS) and staff_id is not None:
        wanted.append(Q(assigned_to_id=staff_id))
    if allows(scope, Action.SUPERVISE_TASKS):
        wanted.append(in_scope)
    elif allows(scope, Action.WORK_QUEUE):
        wanted.append(Q(assigned_to__isnull=True) & in_scope)
    if not wanted:
        return None
    rows = Reminder.objects.filter(reduce(or_, wanted), status=Reminder.Status.TASK_OPEN)
    return rows.filter(scheduled_for__lt=as_of) if overdue else rows


def _works_it(scope: DataScope, staff_id: int | None, reminder: Reminder) -> bool:
    if reminder.assigned_to_id is not None:
        return reminder.assigned_to_id == staff_id and allows(scope, Action.WORK_OWN_TASKS)
    return allows(scope, Action.WORK_QUEUE)


@register_work_source(TASKS)
def task_work(*, scope, staff, as_of: date, at: datetime, limit: int, overdue: bool = False) -> list[WorkItem]:
    """The actor's open phone tasks, the earliest scheduled first, then those in grace, then by renewal priority
    (lapse risk × value): one query."""
    staff_id = staff.pk if staff else None
    rows = _open_tasks(scope, staff_id, as_of=as_of, overdue=overdue)
    if rows is None:
        return []
    rows = (rows.select_related("due_item__policy__payer", "step", "assigned_to")
            .annotate(work_priority=Case(When(due_item__policy__status=Status.GRACE, then=Value(HIGH)),
                                         default=Value(NORMAL), output_field=IntegerField()))
            .order_by("scheduled_for", "work_priority",
                      F("due_item__policy__renewal_priority__priority").desc(nulls_last=True), "id"))[:limit]
    items = []
    for reminder in rows:
        task = _task_row(reminder, as_of)
        name = "billing:task-outcome" if _works_it(scope, staff_id, reminder) else "billing:task-reassign"
        detail = [task.action_label, _("%(amount)s outstanding") % {"amount": _money(task.outstanding,
                                                                                    task.item.currency)}]
        if task.days_overdue:
            detail.append(_("premium %(days)s days overdue") % {"days": task.days_overdue})
        if reminder.assigned_to_id != staff_id:
            detail.append(reminder.assigned_to.name if reminder.assigned_to else _("call-centre queue"))
        items.append(WorkItem(
            kind="renewal_call", title=_("Renewal call · %(policy)s") % {"policy": task.policy.number},
            detail=" · ".join(detail), url=reverse(name, args=[reminder.pk]), deadline=reminder.scheduled_for,
            priority=reminder.work_priority, customer_name=task.customer.name, customer_number=task.customer.number,
            source=TASKS))
    return items


@register_work_count(TASKS)
def task_work_count(*, scope, staff, as_of: date, at: datetime, overdue: bool = False) -> int:
    rows = _open_tasks(scope, staff.pk if staff else None, as_of=as_of, overdue=overdue)
    return 0 if rows is None else rows.count()


def _in_grace(scope: DataScope, *, as_of: date, overdue: bool) -> QuerySet[Policy] | None:
    """An agent's policies in grace with the end of their grace period (the earliest of their overdue premiums') and
    their arrears, or None for another role (the managers' figures count them: `billing.selectors.collection_figures`)."""
    if not shows_grace_list(scope):
        return None
    overdue_items = Q(due_items__status=DueItem.Status.OPEN, due_items__due_date__lt=as_of)
    rows = (policies_in_scope(scope).filter(status=Status.GRACE)
            .annotate(grace_ends=Min("due_items__grace_end", filter=overdue_items),
                      arrears=Sum(F("due_items__amount") - F("due_items__paid_amount"), filter=overdue_items,
                                  output_field=DecimalField(max_digits=14, decimal_places=2))))
    return rows.filter(grace_ends__lt=as_of) if overdue else rows


@register_work_source(GRACE)
def grace_work(*, scope, staff, as_of: date, at: datetime, limit: int, overdue: bool = False) -> list[WorkItem]:
    """The agent's policies in grace, the grace period ending first at the top: one query."""
    rows = _in_grace(scope, as_of=as_of, overdue=overdue)
    if rows is None:
        return []
    items = []
    for policy in rows.select_related("payer").order_by(F("grace_ends").asc(nulls_last=True), "number")[:limit]:
        items.append(WorkItem(
            kind="grace", title=_("In grace · %(policy)s") % {"policy": policy.number},
            detail=_("%(amount)s in arrears") % {"amount": _money(policy.arrears or 0, policy.currency)},
            url=reverse("billing:policy", args=[policy.pk]), deadline=policy.grace_ends, priority=HIGH,
            customer_name=policy.payer.name, customer_number=policy.payer.number, source=GRACE))
    return items


@register_work_count(GRACE)
def grace_work_count(*, scope, staff, as_of: date, at: datetime, overdue: bool = False) -> int:
    rows = _in_grace(scope, as_of=as_of, overdue=overdue)
    return 0 if rows is None else rows.count()
