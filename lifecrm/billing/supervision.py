"""A manager's renewal work lists: every phone task and policy in grace of their scope, filtered, and reassigned.

A branch manager (and HQ management, for every branch) sees the renewal calls of their data scope, filters
them by the staff member who holds them (or the call-centre queue), by team and by status, and hands a
call to another staff member who makes renewal calls in the same branch, or back to the queue
(`reminder_task_reassign`: checked, locked, audited). A call never goes to someone outside the branch
of the policy, nor outside the manager's scope.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from lifecrm.billing import reminders
from lifecrm.billing.models import Reminder
from lifecrm.billing.worklists import TASK_LIMIT, GraceRow, PhoneTask, _task_row, policies_in_grace
from lifecrm.core.services import audit_record
from lifecrm.org.access import Action, NotInScope, require, visible
from lifecrm.org.models import OrgUnit, Staff
from lifecrm.org.rules import GRANTS, DataScope
from lifecrm.org.selectors import data_scope_for_user, in_scope, units_in_scope
from lifecrm.policies.selectors import policies_in_scope

QUEUE = "queue"
"""The `holder` filter's value for the tasks nobody holds: the call-centre queue."""
OPEN, DONE = "open", "done"
STATUSES = {OPEN: Reminder.Status.TASK_OPEN, DONE: Reminder.Status.DONE}
TASK_ROLES = GRANTS[Action.WORK_OWN_TASKS].roles
"""The roles a renewal call may be assigned to: those who work their own tasks."""


class ReassignRefused(ValueError):
    """A reassignment that cannot be made; the message says why, in the manager's language."""


@dataclass(frozen=True)
class TaskFilter:
    holder: int | str | None = None  # a staff id, QUEUE, or None for everyone
    team: OrgUnit | None = None  # tasks held in, or on policies booked in, this unit's subtree
    status: str = OPEN


@dataclass(frozen=True)
class BranchWorklist:
    as_of: date
    filter: TaskFilter
    tasks: list[PhoneTask]
    task_count: int  # all matching tasks; at most TASK_LIMIT are listed
    in_grace: list[GraceRow]

    @property
    def cut(self) -> bool:
        return self.task_count > len(self.tasks)


# -- selectors ------------------------------------------------------------------------------------------

def task_holders(*, scope: DataScope, within: str = "") -> list[Staff]:
    """The active staff of the scope (and of the unit at path `within`) who may hold renewal calls."""
    staff = Staff.objects.filter(is_active=True, role__in=TASK_ROLES, org_unit__path__startswith=within)
    staff = staff.select_related("org_unit")
    return list(in_scope(staff, scope, path_field="org_unit__path", agent_field="pk").order_by("name", "pk"))


def teams(*, scope: DataScope) -> list[OrgUnit]:
    """The units under the manager's own (a team, or a branch for HQ), the filter's choices."""
    return list(units_in_scope(scope).exclude(kind=OrgUnit.Kind.HQ).exclude(path=scope.unit_path))


def _held_as_filtered(rows, flt: TaskFilter, *, holder: str, policy: str):
    """`rows` narrowed to the filter's holder (the queue: nobody in `holder`) and team (its holder in the team, or
    its policy, reached by the `policy` prefix, in the team's part of the branch)."""
    if flt.holder == QUEUE:
        rows = rows.filter(**{f"{holder}__isnull": True})
    elif flt.holder is not None:
        rows = rows.filter(**{f"{holder}_id": flt.holder})
    if flt.team is not None:
        rows = rows.filter(Q(**{f"{holder}__org_unit__path__startswith": flt.team.path})
                           | Q(**{f"{policy}branch_path__startswith": flt.team.path}))
    return rows


def _filtered_tasks(scope: DataScope, flt: TaskFilter):
    rows = (Reminder.objects.filter(status=STATUSES[flt.status], channel__in=reminders.PHONE_CHANNELS,
                                    due_item__policy__in=policies_in_scope(scope).values("pk"))
            .select_related("due_item__policy__payer", "step", "assigned_to").order_by("scheduled_for", "id"))
    rows = _held_as_filtered(rows, flt, holder="assigned_to", policy="due_item__policy__")
    if flt.status == DONE:
        rows = rows.order_by("-done_on", "-id")
    return rows


def branch_worklist(*, scope: DataScope, flt: TaskFilter, as_of: date) -> BranchWorklist:
    """The manager's tasks (the oldest open first, or the latest done first) and policies in grace, filtered
    (four queries: the count, the tasks, the policies in grace and their arrears)."""
    require(scope, Action.SUPERVISE_TASKS)
    tasks = _filtered_tasks(scope, flt)
    listed = [_task_row(r, as_of) for r in tasks[:TASK_LIMIT]]
    count = len(listed) if len(listed) < TASK_LIMIT else tasks.count()
    grace_scope = _held_as_filtered(policies_in_scope(scope), flt, holder="agent", policy="")
    in_grace = policies_in_grace(scope=scope, as_of=as_of, policies=grace_scope)
    return BranchWorklist(as_of=as_of, filter=flt, tasks=listed, task_count=count, in_grace=in_grace)


def supervised_task_get(*, scope: DataScope, reminder_id: int, as_of: date) -> PhoneTask:
    """One phone task (open or closed) on a policy of the manager's scope; 404 for anything else."""
    require(scope, Action.SUPERVISE_TASKS)
    reminder = (Reminder.objects.select_related("due_item__policy__payer", "step", "assigned_to")
                .filter(pk=reminder_id, channel__in=reminders.PHONE_CHANNELS,
                        due_item__policy__in=policies_in_scope(scope).values("pk")).first())
    if reminder is None:
        raise NotInScope("no such phone task")
    return _task_row(reminder, as_of)


# -- the service ----------------------------------------------------------------------------------------

def branch_of(path: str) -> str:
    """The materialised path of the branch a unit's path lies in (the unit's own path above or without one)."""
    ancestors = [int(part) for part in path.split("/") if part]
    branch = OrgUnit.objects.filter(pk__in=ancestors, kind=OrgUnit.Kind.BRANCH).values_list("path", flat=True).first()
    return branch or path


def holders_for_task(*, scope: DataScope, reminder: Reminder) -> list[Staff]:
    """Who may take over this task: the scope's staff who make renewal calls, in the policy's branch."""
    branch = branch_of(reminder.due_item.policy.branch_path)
    return [s for s in task_holders(scope=scope, within=branch) if s.pk != reminder.assigned_to_id]


def reminder_task_reassign(*, actor, reminder_id: int, holder_id: int | None, as_of: date) -> Reminder:
    """Hand an open phone task to another staff member who makes renewal calls in the policy's branch, or back
    to the call-centre queue (`holder_id=None`). The actor manages the task's scope; one transaction with
    the audit row. Refusals: `AccessDenied` (not a manager), `ReassignRefused` (anything else)."""
    scope = data_scope_for_user(actor)
    require(scope, Action.SUPERVISE_TASKS)
    with transaction.atomic():
        reminder = (Reminder.objects.select_for_update(of=("self",)).select_related("due_item__policy")
                    .filter(pk=reminder_id, channel__in=reminders.PHONE_CHANNELS).first())
        if reminder is None or not visible(scope, reminder.due_item.policy):
            raise ReassignRefused(_("There is no such phone task."))
        if reminder.status != Reminder.Status.TASK_OPEN:
            raise ReassignRefused(_("This phone task is already closed."))
        holder = None
        if holder_id is not None:
            holder = Staff.objects.select_related("org_unit").filter(pk=holder_id).first()
            branch = branch_of(reminder.due_item.policy.branch_path)
            if (holder is None or not holder.is_active or holder.role not in TASK_ROLES
                    or not holder.org_unit.path.startswith(branch)
                    or not scope.contains(unit_path=holder.org_unit.path, agent_id=holder.pk)):
                raise ReassignRefused(_("A renewal call goes only to an active sales or call-centre agent of "
                                        "the policy's branch."))
        if reminder.assigned_to_id == (holder.pk if holder else None):
            raise ReassignRefused(_("The phone task is already there."))
        before = {"assigned_to": reminder.assigned_to_id}
        Reminder.objects.filter(pk=reminder.pk).update(assigned_to=holder)
        audit_record(actor=actor, action="update", object_type="billing.reminder", object_id=reminder.pk,
                     field="assigned_to", before=before,
                     after={"assigned_to": holder.pk if holder else None, "on": as_of.isoformat()})
    reminder.refresh_from_db()
    return reminder


