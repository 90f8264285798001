"""Every read of the service desk, scoped to the actor's data scope, with a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, F, Prefetch, Q, QuerySet

from lifecrm.core.actors import system_actor_label
from lifecrm.core.models import JobRun
from lifecrm.core.prepared import prepared
from lifecrm.org.models import Staff
from lifecrm.org.rules import GRANTS, Action, DataScope, allows
from lifecrm.org.selectors import in_scope
from lifecrm.parties.models import Customer
from lifecrm.parties.selectors import SearchQuery, customers_in_scope
from lifecrm.policies.models import STATUS_LABELS, Coverage
from lifecrm.policies.rules import COVER_IN_FORCE
from lifecrm.policies.selectors import policies_in_scope
from lifecrm.products.selectors import assistance_benefits
from lifecrm.service.models import (
    CareEvent,
    CareRule,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseTask,
    EmergencyDispatch,
    Interaction,
    Queue,
)
from lifecrm.service.rules import (
    EMERGENCY_TYPE,
    OPEN_STATUSES,
    TIMELINE_CASE_EVENTS,
    CaseStatus,
    PartnerKind,
    assistance_covered,
)


def interactions_in_scope(scope: DataScope) -> QuerySet[Interaction]:
    return in_scope(Interaction.objects.all(), scope)


def cases_in_scope(scope: DataScope) -> QuerySet[Case]:
    return in_scope(Case.objects.all(), scope)


@prepared(values=("scope", "customer_id", "until"))
def _customer_interactions(*, scope: DataScope, customer_id: int, until: datetime | None, limit: int):
    rows = interactions_in_scope(scope).filter(customer_id=customer_id)
    if until is not None:
        rows = rows.filter(occurred_at__lte=until)
    return (rows.select_related("staff")
            .only("channel", "direction", "subject", "outcome", "note", "occurred_at", "staff__name")
            .order_by("-occurred_at", "-id")[:limit])


def customer_interactions(*, scope: DataScope, customer_id: int, until: datetime | None = None,
                          limit: int = 200) -> list[Interaction]:
    """The customer's newest interactions (up to `until`), newest first, with who logged them: one query, of what
    the customer 360's timeline shows of them (it reads this on every view: a prepared read, and the other columns
    stay unread)."""
    return _customer_interactions(scope=scope, customer_id=customer_id, until=until, limit=limit)


def customer_interaction_count(*, scope: DataScope, customer_id: int, until: datetime | None = None) -> int:
    rows = interactions_in_scope(scope).filter(customer_id=customer_id)
    if until is not None:
        rows = rows.filter(occurred_at__lte=until)
    return rows.count()


def customer_cases(*, scope: DataScope, customer_id: int, open_only: bool = False, limit: int = 50) -> list[Case]:
    rows = cases_in_scope(scope).filter(customer_id=customer_id)
    if open_only:
        rows = rows.filter(status__in=[s.value for s in OPEN_STATUSES])
    return list(rows.select_related("case_type", "category", "assignee").order_by("-opened_at")[:limit])


def case_get(*, scope: DataScope, case_id: int) -> Case:
    """The case with its type, customer and handler; `Case.DoesNotExist` when absent or outside the scope."""
    return cases_in_scope(scope).select_related("case_type", "category", "customer", "assignee", "queue",
                                                 "about_staff", "policy").get(pk=case_id)


def case_events(*, case: Case) -> list[CaseEvent]:
    return list(case.events.select_related("actor").order_by("seq"))


# -- the customer's timeline of cases and the call-logging panel ----------------------------------------------

def _customer_case_events(scope: DataScope, customer_id: int, until: datetime | None) -> QuerySet[CaseEvent]:
    rows = in_scope(CaseEvent.objects.all(), scope, path_field="case__branch_path", agent_field="case__agent_id")
    rows = rows.filter(case__customer_id=customer_id, kind__in=[k.value for k in TIMELINE_CASE_EVENTS])
    return rows.filter(at__lte=until) if until is not None else rows


@prepared(values=("scope", "customer_id", "until"))
def _customer_case_milestones(*, scope: DataScope, customer_id: int, until: datetime | None, limit: int):
    return (
        _customer_case_events(scope, customer_id, until)
        .select_related("case__case_type")
        .only("kind", "at", "note", "case__number", "case__subject", "case__case_type__name",
              "case__case_type__name_en")
        .order_by("-at", "-id")[:limit]
    )


def customer_case_milestones(*, scope: DataScope, customer_id: int, until: datetime | None = None,
                             limit: int = 200) -> list[CaseEvent]:
    """The customer's cases opened, resolved, reopened, closed or cancelled (up to `until`), newest first, with
    what a timeline shows of their case: one prepared query."""
    return _customer_case_milestones(scope=scope, customer_id=customer_id, until=until, limit=limit)


def customer_case_milestone_count(*, scope: DataScope, customer_id: int, until: datetime | None = None) -> int:
    return _customer_case_events(scope, customer_id, until).count()


POLICY_CHOICES_LIMIT = 100  # a contact is about one of the customer's newest policies (an employer's group cover…)


def customer_policy_choices(*, scope: DataScope, customer_id: int) -> list[tuple[int, str]]:
    """(id, number) of the in-scope policies the customer owns, is insured by or pays, newest first: what a
    contact may be about (one query)."""
    rows = (policies_in_scope(scope)
            .filter(Q(owner_id=customer_id) | Q(insured_id=customer_id) | Q(payer_id=customer_id))
            .order_by("-issue_date", "number").values_list("pk", "number")[:POLICY_CHOICES_LIMIT])
    return list(rows)

# cases: the lists and the case page

CASE_VIEWS = ("mine", "queue", "all")


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """What a case list shows: `view` "mine" (the staff member's cases), "queue" (cases nobody has yet, in the
    queues they work, or every queue of the scope for a manager) or "all" (every case of the scope); then status,
    type, priority and queue (blank: any). "mine" and "queue" show open cases unless a status is chosen."""

    view: str = "mine"
    status: str = ""
    case_type: str = ""
    priority: int | None = None
    queue: str = ""


def case_list(*, scope: DataScope, staff_id: int | None, flt: CaseFilter, supervisor: bool = False
              ) -> QuerySet[Case]:
    """The cases of a list, most urgent first (priority, then the oldest), with what a row shows: one query
    (a page of it, plus its count)."""
    rows = cases_in_scope(scope)
    if flt.view == "mine":
        rows = rows.filter(assignee_id=staff_id)
    elif flt.view == "queue":
        rows = rows.filter(assignee__isnull=True)
        if not supervisor:
            rows = rows.filter(queue__members__staff_id=staff_id, queue__members__is_active=True)
    if flt.status:
        rows = rows.filter(status=flt.status)
    elif flt.view in ("mine", "queue"):
        rows = rows.filter(status__in=[s.value for s in OPEN_STATUSES])
    if flt.case_type:
        rows = rows.filter(case_type_id=flt.case_type)
    if flt.priority:
        rows = rows.filter(priority=flt.priority)
    if flt.queue:
        rows = rows.filter(queue_id=flt.queue)
    return rows.select_related("case_type", "category", "customer", "assignee", "queue").order_by(
        "priority", "opened_at", "pk")


def queues_for(scope: DataScope) -> list[Queue]:
    """The queues a list may be filtered by: those on a unit of the scope (every queue for head office)."""
    rows = Queue.objects.select_related("org_unit").order_by("code")
    if not scope.sees_everything:
        rows = rows.filter(Q(org_unit__path__startswith=scope.unit_path) | Q(org_unit__kind="hq"))
    return list(rows)


def case_attachments(*, case: Case) -> list[CaseAttachment]:
    return list(case.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk"))


def case_attachment_get(*, scope: DataScope, case_id: int, attachment_id: int) -> CaseAttachment:
    """`CaseAttachment.DoesNotExist` when absent, of another case, or its case outside the scope."""
    case = case_get(scope=scope, case_id=case_id)
    return CaseAttachment.objects.select_related("case").get(pk=attachment_id, case=case)


def assignable_staff(*, scope: DataScope, case: Case, at_most: int = 200) -> list[Staff]:
    """Who a manager may give the case to: active staff of the manager's scope whose role works cases and who see
    it (on the case's unit or a unit above it), never the staff member a complaint names."""
    paths = [p for p in case.branch_path.split("/") if p]
    prefixes = ["/" + "/".join(paths[:n]) + "/" for n in range(1, len(paths) + 1)]
    rows = (Staff.objects.filter(is_active=True, role__in=sorted(GRANTS[Action.HANDLE_CASE].roles),
                                 org_unit__path__in=prefixes)
            .select_related("org_unit").order_by("name", "pk"))
    if case.about_staff_id:
        rows = rows.exclude(pk=case.about_staff_id)
    return [s for s in rows[:at_most] if scope.sees_everything or s.org_unit.path.startswith(scope.unit_path)]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One event of a case's history as its page shows it: who did it (a person or a named program) and, for an
    assignment, who got the case."""

    event: CaseEvent
    who: str
    assignee: str = ""


def case_history(*, case: Case) -> list[HistoryEntry]:
    """The case's event log, oldest first, with the names it needs: two queries."""
    events = list(case.events.select_related("actor__staff").order_by("seq"))
    ids = {e.data.get("assignee") for e in events if e.kind == "assigned" and e.data.get("assignee")}
    names = dict(Staff.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    entries = []
    for event in events:
        staff = getattr(event.actor, "staff", None) if event.actor else None
        who = staff.name if staff else (event.actor.get_username() if event.actor
                                         else system_actor_label(event.system_actor))
        entries.append(HistoryEntry(event, who, names.get(event.data.get("assignee"), "")))
    return entries

# -- the actor's open cases (the home page's work) and the dashboards' figures ---------------------------------

def _open_work_cases(*, scope: DataScope, staff_id: int | None, at: datetime, overdue: bool) -> QuerySet[Case]:
    """The open cases that are the actor's work: assigned to them; for a handler, the scope's new cases nobody
    has; for a supervisor, every open case of the scope. With `overdue`, only those past their resolution due."""
    mine = Q(assignee_id=staff_id) if staff_id is not None else Q(pk__in=[])
    if allows(scope, Action.SUPERVISE_CASES):
        wanted = Q()
    elif allows(scope, Action.HANDLE_CASE):
        wanted = mine | Q(assignee__isnull=True, status=CaseStatus.NEW.value)
    else:
        wanted = mine
    rows = cases_in_scope(scope).filter(wanted, status__in=[s.value for s in OPEN_STATUSES])
    if overdue:
        rows = rows.filter(resolution_due__lt=at)
    return rows


def open_work_cases(*, scope: DataScope, staff_id: int | None, at: datetime, limit: int,
                    overdue: bool = False) -> list[Case]:
    """The actor's open cases (`_open_work_cases`), the earliest resolution due first (none last), then the most
    urgent, then the oldest: one query."""
    rows = _open_work_cases(scope=scope, staff_id=staff_id, at=at, overdue=overdue)
    return list(rows.select_related("case_type", "customer", "assignee")
                .order_by(F("resolution_due").asc(nulls_last=True), "priority", "opened_at", "id")[:limit])


def open_work_case_count(*, scope: DataScope, staff_id: int | None, at: datetime, overdue: bool = False) -> int:
    return _open_work_cases(scope=scope, staff_id=staff_id, at=at, overdue=overdue).count()


@dataclass(frozen=True)
class CaseFigures:
    open: int
    overdue: int


def case_figures(*, scope: DataScope, prefixes: list[str], at: datetime) -> dict[str, CaseFigures]:
    """For each unit path in `prefixes` (a branch, or the manager's unit), the scope's open cases booked under it
    and those of them past their resolution due: one query, whatever the number of units."""
    if not prefixes:
        return {}
    figures = {}
    for i, prefix in enumerate(prefixes):
        under = Q(branch_path__startswith=prefix)
        figures[f"open_{i}"] = Count("pk", filter=under)
        figures[f"overdue_{i}"] = Count("pk", filter=under & Q(resolution_due__lt=at))
    counts = cases_in_scope(scope).filter(status__in=[s.value for s in OPEN_STATUSES]).aggregate(**figures)
    return {prefix: CaseFigures(counts[f"open_{i}"], counts[f"overdue_{i}"]) for i, prefix in enumerate(prefixes)}

# -- emergency -------------------------------------------------------------------------------------------------

EMERGENCY_LOOKUP_LIMIT = 10


class LookupNotUnderstood(ValueError):
    """The emergency box takes a phone number or an ID number, nothing else."""


def emergency_lookup(*, scope: DataScope, query: str) -> list[Customer]:
    """The customers of the scope whose mobile or home phone, or whose ID number, is `query` (the workbench
    search's exact stage: the phone in every stored form, the ID number by its keyed digest); one query."""
    q = SearchQuery(" ".join(query.split()))
    found = Q()
    if q.phone_forms:
        found |= Q(mobile_phone__in=q.phone_forms) | Q(home_phone__in=q.phone_forms)
    if q.id_digest:
        found |= Q(id_number_digest__in=q.id_digests)
    if not found:
        raise LookupNotUnderstood(query)
    return list(customers_in_scope(scope).filter(found).select_related("branch", "servicing_agent")
                .order_by("number")[:EMERGENCY_LOOKUP_LIMIT])


@dataclass(frozen=True)
class CoverLine:
    """One policy the customer is insured by or owns: whether its cover runs, and the assistance it carries."""

    policy_id: int
    number: str
    product: str
    product_en: str
    roles: tuple[str, ...]  # insured, owner
    status: str
    status_label: str
    in_force: bool
    benefits: tuple[str, ...]  # PartnerKind values, when in force

    @property
    def assisted(self) -> bool:
        return self.in_force and bool(self.benefits)


def emergency_cover(*, scope: DataScope, customer_id: int, as_of: date) -> list[CoverLine]:
    """The customer's policies as insured or owner (in the scope), in force first, each with the assistance
    benefits of its coverages running on `as_of` (base and riders, `products.selectors.assistance_benefits`).
    Two queries."""
    benefits = assistance_benefits()
    policies = (policies_in_scope(scope).filter(Q(insured_id=customer_id) | Q(owner_id=customer_id))
                .select_related("product").prefetch_related(
                    Prefetch("coverages", queryset=Coverage.objects.select_related("product").order_by("pk")))
                .order_by("-issue_date", "number"))
    lines = []
    for policy in policies:
        in_force = policy.status in COVER_IN_FORCE
        running = [c.product.code for c in policy.coverages.all()
                   if c.start_date <= as_of and (c.end_date is None or c.end_date > as_of)]
        kinds = assistance_covered(benefits, running or [policy.product.code]) if in_force else frozenset()
        roles = tuple(role for role in ("insured", "owner") if getattr(policy, f"{role}_id") == customer_id)
        lines.append(CoverLine(policy.pk, policy.number, policy.product.name, policy.product.name_en, roles,
                               policy.status, str(STATUS_LABELS.get(policy.status, policy.status)), in_force,
                               tuple(k.value for k in PartnerKind if k.value in kinds)))
    return sorted(lines, key=lambda line: (not line.assisted, not line.in_force))


def emergency_case_get(*, scope: DataScope, case_id: int) -> Case:
    """An emergency case of the scope with its intake, dispatches and follow-ups (four queries);
    `Case.DoesNotExist` when absent, outside the scope or of another type."""
    return (cases_in_scope(scope).filter(case_type_id=EMERGENCY_TYPE)
            .select_related("case_type", "category", "customer", "assignee", "emergency", "opened_by")
            .prefetch_related(Prefetch("dispatches", queryset=EmergencyDispatch.objects.order_by("requested_at", "pk")),
                              Prefetch("tasks", queryset=CaseTask.objects.select_related("assignee", "done_by")
                                       .order_by("done_at", "due_at", "pk")))
            .get(pk=case_id))


def open_emergencies(*, scope: DataScope, limit: int = 20) -> list[Case]:
    """The scope's open emergency cases, oldest first (they are all urgent): one query."""
    return list(cases_in_scope(scope).filter(case_type_id=EMERGENCY_TYPE,
                                             status__in=[s.value for s in OPEN_STATUSES])
                .select_related("customer", "emergency", "assignee").order_by("opened_at", "pk")[:limit])


# care events

CARE_STEPS = ("service.care_events", "service.care_send")
# Roles that work the care tasks assigned to nobody (a customer without an active agent): the call centre's queue.
CARE_QUEUE_ROLES = frozenset({"callcentre", "branch", "hq"})


def _care_tasks(scope: DataScope, staff, as_of: date) -> QuerySet[CareEvent]:
    mine = Q(assignee=staff) if staff is not None else Q(pk__in=[])
    if scope.role in CARE_QUEUE_ROLES:
        mine |= Q(assignee__isnull=True)
    return in_scope(CareEvent.objects.filter(status=CareEvent.Status.OPEN, created_on__lte=as_of), scope).filter(mine)


def care_tasks_for(scope: DataScope, staff, as_of: date, limit: int = 200) -> list[CareEvent]:
    """Open care tasks (calls, visits, gifts) planned by `as_of`: the staff member's own and, for the call centre
    and management, the scope's tasks assigned to nobody; the oldest first, with their customer: one query. The
    home page lists them (`service.work`)."""
    return list(_care_tasks(scope, staff, as_of).select_related("customer", "policy", "assignee")
                .order_by("occasion_date", "pk")[:limit])


def care_task_count_for(scope: DataScope, staff, as_of: date) -> int:
    return _care_tasks(scope, staff, as_of).count()


@prepared(values=("scope", "customer_id", "until"))
def customer_care_events(*, scope: DataScope, customer_id: int, until: date, limit: int = 200) -> list[CareEvent]:
    """The customer's care events planned by `until`, newest first: one prepared query, of what the customer 360's
    timeline shows of them."""
    return (in_scope(CareEvent.objects.filter(customer_id=customer_id, created_on__lte=until), scope)
            .select_related("assignee")
            .only("occasion", "action", "status", "reference", "sent_at", "done_at", "created_on", "assignee__name")
            .order_by("-created_on", "-id")[:limit])


def customer_care_event_count(*, scope: DataScope, customer_id: int, until: date) -> int:
    return in_scope(CareEvent.objects.filter(customer_id=customer_id, created_on__lte=until), scope).count()


def care_rules_list() -> list[CareRule]:
    return list(CareRule.objects.order_by("occasion", "tier", "action", "festival"))


def care_of_tier(tier: str) -> list[str]:
    """What customers of `tier` receive, as `<occasion>_<action>` codes (`birthday_card`, `festival_sms`): the active
    care rules, the one source of truth of care per tier (the value API's entitlements show it). One query."""
    rows = CareRule.objects.filter(tier=tier, is_active=True).order_by("occasion", "action")
    return sorted({f"{occasion}_{action}" for occasion, action in rows.values_list("occasion", "action")})


def care_event_counts(*, scope: DataScope, since: date, until: date) -> dict[str, dict[str, int]]:
    """The scope's care events planned in [since, until]: by occasion, then by status (one grouped query)."""
    rows = (in_scope(CareEvent.objects.filter(created_on__range=(since, until)), scope)
            .values_list("occasion", "status").annotate(n=Count("pk")).order_by())
    counts: dict[str, dict[str, int]] = {}
    for occasion, status, n in rows:
        counts.setdefault(occasion, {})[status] = n
    return counts


def last_care_runs() -> list[JobRun]:
    """The latest run of each care step (planning, sending): one query."""
    runs = JobRun.objects.filter(step__in=CARE_STEPS).order_by("step", "-as_of", "-started_at")
    latest: dict[str, JobRun] = {}
    for run in runs[:50]:
        latest.setdefault(run.step, run)
    return [latest[step] for step in CARE_STEPS if step in latest]
