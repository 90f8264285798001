"""Renewal work lists: the phone tasks of the reminder ladder and the policies in grace, and the call outcome.

Who sees what (`worklist`; the grants are `org.rules.GRANTS`):
- a sales agent: the open phone tasks assigned to them, and the policies of their book in grace;
- a call-centre agent: the tasks a manager assigned to them;
- the call centre (role callcentre, or anyone working at HQ): the open tasks nobody is assigned to
  (the call-centre queue) on policies in their data scope;
- a manager (branch, HQ): every task of their scope, filtered and reassigned (`billing.supervision`).

`reminder_task_log_outcome` closes a task with the call's outcome through the ladder's own
`reminders.phone_task_close` (status done, outcome, done_on), keeps the note and the promised date on
the task and records them in the audit trail. The customer timeline shows the outcome through the
`billing.reminders` timeline source, which reads `Reminder.outcome`: no second source here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Max, Min, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lifecrm.billing import reminders
from lifecrm.billing.models import DueItem, DunningStep, Reminder
from lifecrm.core.actors import trusted
from lifecrm.core.services import audit_record
from lifecrm.org.access import actor_scope, authorize
from lifecrm.org.rules import Action, DataScope, ScopeKind, allows
from lifecrm.parties.models import Customer
from lifecrm.policies.models import Policy
from lifecrm.policies.rules import Status
from lifecrm.policies.selectors import policies_in_scope

PROMISE_OUTCOME = "will_pay"
OUTCOMES = {
    "will_pay": gettext_lazy("reached: promised to pay"),
    "refused": gettext_lazy("reached: refused to pay"),
    "no_answer": gettext_lazy("no answer"),
    "wrong_number": gettext_lazy("wrong number"),
    "call_back": gettext_lazy("asked to be called back"),
}
"""The outcomes a caller logs (codes of `reminders.PHONE_OUTCOMES`, which the timeline translates)."""
NOTE_MAX_LENGTH = 200
TASK_LIMIT = 200
"""At most this many tasks and policies in grace per list (by renewal priority, then the oldest task or the longest
overdue policy first)."""


class TaskRefused(ValueError):
    """A call outcome that cannot be logged; the message says why, in the staff member's language."""


WORKLIST_ACTIONS = (Action.WORK_OWN_TASKS, Action.WORK_QUEUE, Action.SUPERVISE_TASKS)
"""Any of these opens the work list page; each shows its own section (`org.rules.GRANTS` says who has which)."""


def shows_grace_list(scope: DataScope) -> bool:
    """An agent's own customers' policies in grace (a call-centre agent's own tasks come with no book)."""
    return allows(scope, Action.WORK_OWN_TASKS) and scope.kind == ScopeKind.OWN_BOOK


# -- selectors ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PhoneTask:
    reminder: Reminder
    policy: Policy
    customer: Customer  # the premium payer, whom the call is for
    action_label: str
    channel_label: str
    outstanding: Decimal
    days_overdue: int  # 0 before the due date

    @property
    def item(self) -> DueItem:
        return self.reminder.due_item

    @property
    def outcome_label(self) -> str:
        return outcome_label(self.reminder.outcome) if self.reminder.outcome else ""


@dataclass(frozen=True)
class GraceRow:
    policy: Policy
    arrears: Decimal
    oldest_due: date
    grace_end: date | None
    open_items: int


@dataclass(frozen=True)
class Worklist:
    as_of: date
    own_tasks: list[PhoneTask] | None  # None: not this role's list
    queue: list[PhoneTask] | None
    in_grace: list[GraceRow] | None

    @property
    def empty(self) -> bool:
        return not any((self.own_tasks, self.queue, self.in_grace))


def _tasks():
    # The riskiest and most valuable policies first (RenewalPriority: lapse risk × value), then the oldest task.
    return (Reminder.objects.filter(status=Reminder.Status.TASK_OPEN)
            .select_related("due_item__policy__payer", "step", "assigned_to")
            .order_by(F("due_item__policy__renewal_priority__priority").desc(nulls_last=True), "scheduled_for", "id"))


def _task_row(reminder: Reminder, as_of: date) -> PhoneTask:
    item = reminder.due_item
    actions, channels = dict(DunningStep.Action.choices), dict(DunningStep.Channel.choices)
    return PhoneTask(
        reminder=reminder, policy=item.policy, customer=item.policy.payer,
        action_label=str(actions.get(reminder.step.action, reminder.step.action)),
        channel_label=str(channels.get(reminder.channel, reminder.channel)),
        outstanding=item.outstanding, days_overdue=max((as_of - item.due_date).days, 0),
    )


def _priority(policy: Policy) -> float:
    """The policy's renewal priority (lapse risk × value), 0 where the value app has not scored it."""
    try:
        return policy.renewal_priority.priority
    except Policy.renewal_priority.RelatedObjectDoesNotExist:
        return 0.0


def own_tasks(*, scope: DataScope, as_of: date) -> list[PhoneTask]:
    """The agent's open phone tasks, by renewal priority (lapse risk × value), then the oldest first (one query)."""
    rows = _tasks().filter(assigned_to_id=scope.staff_id)[:TASK_LIMIT]
    return [_task_row(r, as_of) for r in rows]


def call_centre_queue(*, scope: DataScope, as_of: date) -> list[PhoneTask]:
    """Open tasks assigned to nobody on policies in the scope, by renewal priority, then the oldest first (one
    query)."""
    rows = _tasks().filter(assigned_to__isnull=True,
                           due_item__policy__in=policies_in_scope(scope).values("pk"))[:TASK_LIMIT]
    return [_task_row(r, as_of) for r in rows]


def policies_in_grace(*, scope: DataScope, as_of: date, policies: QuerySet[Policy] | None = None) -> list[GraceRow]:
    """The scope's policies (or those of `policies`, already scoped) in grace with their arrears, by renewal
    priority (lapse risk × value: the riskiest and most valuable first), then the longest overdue first (two
    queries)."""
    chosen = policies if policies is not None else policies_in_scope(scope)
    policies = {p.pk: p for p in chosen.filter(status=Status.GRACE).select_related("owner", "payer",
                                                                                      "renewal_priority")}
    if not policies:
        return []
    arrears = (DueItem.objects.filter(policy_id__in=list(policies), status=DueItem.Status.OPEN, due_date__lt=as_of)
               .values("policy_id")
               .annotate(arrears=Sum(F("amount") - F("paid_amount")), oldest=Min("due_date"), grace_end=Max("grace_end"),
                         n=Count("id")))
    rows = [GraceRow(policies[a["policy_id"]], a["arrears"], a["oldest"], a["grace_end"], a["n"]) for a in arrears]
    rows.sort(key=lambda r: (-_priority(r.policy), r.oldest_due, r.policy.number))
    return rows[:TASK_LIMIT]


def worklist(*, scope: DataScope, as_of: date) -> Worklist:
    """What the work list page shows to this scope's role."""
    return Worklist(
        as_of=as_of,
        own_tasks=own_tasks(scope=scope, as_of=as_of) if allows(scope, Action.WORK_OWN_TASKS) else None,
        queue=call_centre_queue(scope=scope, as_of=as_of) if allows(scope, Action.WORK_QUEUE) else None,
        in_grace=policies_in_grace(scope=scope, as_of=as_of) if shows_grace_list(scope) else None,
    )


def may_work_task(scope: DataScope, reminder: Reminder) -> bool:
    """A task assigned to the caller, or an unassigned one in the caller's queue."""
    if reminder.assigned_to_id is not None:
        return reminder.assigned_to_id == scope.staff_id and allows(scope, Action.WORK_OWN_TASKS)
    if not allows(scope, Action.WORK_QUEUE):
        return False
    return policies_in_scope(scope).filter(pk=reminder.due_item.policy_id).exists()


def phone_task_get(*, scope: DataScope, reminder_id: int, as_of: date) -> PhoneTask:
    """One phone task of the caller's work list (open or already closed); 404 for anything else."""
    try:
        reminder = (Reminder.objects.select_related("due_item__policy__payer", "step", "assigned_to")
                    .get(pk=reminder_id, channel__in=reminders.PHONE_CHANNELS))
    except (Reminder.DoesNotExist, ValueError, TypeError):
        raise Http404("no such phone task") from None
    if not may_work_task(scope, reminder):
        raise Http404("no such phone task")
    return _task_row(reminder, as_of)


# -- the service ----------------------------------------------------------------------------------------

PROMISE_HORIZON_DAYS = 366
"""A promise to pay is kept within a year: a later date is a typing error, not a promise."""


def promise_problem(*, outcome: str, promised_on: date | None, as_of: date) -> tuple[str, str] | None:
    """What is wrong with the promised date of a call's outcome, as (code, message), or None: "promised to pay"
    needs the date promised, today or later, within PROMISE_HORIZON_DAYS; no other outcome takes a date."""
    if outcome == PROMISE_OUTCOME and promised_on is None:
        return "required", _("“Promised to pay” needs the date the customer promised to pay by.")
    if promised_on is None:
        return None
    if outcome != PROMISE_OUTCOME:
        return "not_promised", _("A promised date goes only with “promised to pay”.")
    if promised_on < as_of:
        return "past", _("A promise to pay lies in the future: today or later.")
    if promised_on > as_of + timedelta(days=PROMISE_HORIZON_DAYS):
        return "too_far", _("A promise to pay lies within a year: by %(last)s at the latest.") % {
            "last": (as_of + timedelta(days=PROMISE_HORIZON_DAYS)).isoformat()}
    return None


def reminder_task_log_outcome(*, actor, reminder_id: int, outcome: str, note: str = "", as_of: date,
                              promised_on: date | None = None) -> Reminder:
    """Close an open phone task with the outcome of the call, a note and (for a promise) the promised date.

    The actor must have the task on their work list (an agent's own task, or the call-centre queue);
    a program is `core.actors.system`. One transaction: the close, the note and the audit row.
    """
    note = " ".join((note or "").split())
    if outcome not in OUTCOMES:
        raise TaskRefused(_("Choose what came of the call."))
    if len(note) > NOTE_MAX_LENGTH:
        raise TaskRefused(_("The note is at most %(limit)s characters long.") % {"limit": NOTE_MAX_LENGTH})
    problem = promise_problem(outcome=outcome, promised_on=promised_on, as_of=as_of)
    if problem is not None:
        raise TaskRefused(problem[1])
    with transaction.atomic():
        try:
            reminder = Reminder.objects.select_for_update().select_related("due_item").get(pk=reminder_id)
        except Reminder.DoesNotExist:
            raise TaskRefused(_("There is no such phone task.")) from None
        if reminder.channel not in reminders.PHONE_CHANNELS:
            raise TaskRefused(_("There is no such phone task."))
        authorize(actor, Action.USE_WORKBENCH)  # no actor: refused
        if not trusted(actor) and not may_work_task(actor_scope(actor), reminder):
            raise TaskRefused(_("This phone task is not on your work list."))
        if reminder.status != Reminder.Status.TASK_OPEN:
            raise TaskRefused(_("This phone task is already closed."))
        before = {"status": reminder.status, "outcome": reminder.outcome, "detail": reminder.detail}
        reminders.phone_task_close(actor=actor, reminder_id=reminder.pk, outcome=outcome, as_of=as_of)
        parts = [reminder.detail]
        if promised_on is not None:
            parts.append(f"promised to pay by {promised_on.isoformat()}")
        if note:
            parts.append(f"note: {note}")
        detail = "; ".join(p for p in parts if p)[:300]
        Reminder.objects.filter(pk=reminder.pk).update(detail=detail)
        audit_record(actor=actor, action="update", object_type="billing.reminder", object_id=reminder.pk,
                     field="call_outcome", before=before,
                     after={"status": Reminder.Status.DONE, "outcome": outcome, "done_on": as_of.isoformat(),
                            "note": note, "promised_on": promised_on.isoformat() if promised_on else None})
    reminder.refresh_from_db()
    return reminder


def outcome_label(code: str) -> str:
    return str(OUTCOMES.get(code) or code)

