"""Routing: a new case goes to the queue of the first matching rule (the jurisdiction's default queue, else head
office's, when none matches), then to the queue member with the skills for it and the most free capacity,
weighted by effort (capacity less the effort of their open cases); nobody free leaves it waiting in the queue.

Concurrent intake cannot overfill anyone: before it reads the loads, routing locks every queue membership of the
candidates (in any queue, in id order) until its transaction ends, so a second routing that could give one of them
a case waits and then reads the load the first one left. The staff member a complaint names is never picked.
"""
from __future__ import annotations

from datetime import datetime

from django.db.models import Q, Sum
from django.utils import timezone

from lifecrm.core.actors import system
from lifecrm.core.services import audit_record
from lifecrm.org.access import may
from lifecrm.org.rules import Action
from lifecrm.org.selectors import scope_for_staff
from lifecrm.parties.selectors import customer_tier
from lifecrm.service.models import Case, DefaultQueue, Queue, QueueMember, RoutingRule
from lifecrm.service.rules import OPEN_STATUSES, Candidate, CaseFacts, RuleFields, pick_handler, rule_matches

ROUTING = system("routing")


def case_facts(case: Case, *, as_of) -> CaseFacts:
    return CaseFacts(case_type=case.case_type_id, category=case.category_id or "", language=case.language,
                     branch_path=case.branch_path, tier=customer_tier(customer_id=case.customer_id, as_of=as_of))


def queue_for(facts: CaseFacts, *, jurisdiction_id: str) -> Queue | None:
    """The first active rule's queue that matches, else the jurisdiction's default queue, else head office's."""
    for rule in RoutingRule.objects.filter(is_active=True).select_related("branch", "queue").order_by("position", "pk"):
        fields = RuleFields(case_type=rule.case_type_id or "", category=rule.category_id or "", language=rule.language,
                            branch_path=rule.branch.path if rule.branch else "", tier=rule.tier)
        if rule_matches(fields, facts):
            return rule.queue
    defaults = {d.jurisdiction_id: d.queue for d in DefaultQueue.objects.filter(
        Q(jurisdiction_id=jurisdiction_id) | Q(jurisdiction__isnull=True)).select_related("queue")}
    return defaults.get(jurisdiction_id) or defaults.get(None)


def open_loads(staff_ids) -> dict[int, int]:
    """The effort of the open cases each staff member handles now (any queue), in one query."""
    rows = (Case.objects.filter(assignee_id__in=staff_ids, status__in=[s.value for s in OPEN_STATUSES])
            .values("assignee_id").annotate(load=Sum("effort")).values_list("assignee_id", "load"))
    return dict(rows)


def _candidates(case: Case, queue: Queue) -> list[QueueMember]:
    """The queue's active members whose role works cases and whose scope holds this case."""
    members = QueueMember.objects.filter(queue=queue, is_active=True, staff__is_active=True).select_related(
        "staff__org_unit")
    return [m for m in members if may(scope_for_staff(m.staff), Action.HANDLE_CASE, case)]


def case_route(case: Case, *, at: datetime) -> Case:
    """Put a case just opened in its queue and, when someone is free, give it to them (the "assigned" event, by
    the system actor `routing`). Runs inside `case_open`'s transaction."""
    from lifecrm.service.services import case_assign

    facts = case_facts(case, as_of=timezone.localdate(at))
    queue = queue_for(facts, jurisdiction_id=case.jurisdiction_id)
    if queue is None:
        return case
    Case.objects.filter(pk=case.pk).update(queue=queue)
    case.queue = queue
    audit_record(actor=ROUTING, action="update", object_type="service.case", object_id=case.pk, field="queue",
                 after={"queue": queue.pk})
    members = {m.staff_id: m for m in _candidates(case, queue) if m.staff_id != case.about_staff_id}
    if not members:
        return case
    # the lock: every membership of the candidates, in any queue, in one statement in id order (no deadlock)
    list(QueueMember.objects.select_for_update().filter(staff_id__in=members).order_by("pk").values_list("pk", flat=True))
    loads = open_loads(members)
    candidates = [Candidate(staff_id=m.staff_id, capacity=m.capacity, load=loads.get(m.staff_id, 0),
                            languages=tuple(m.languages), case_types=tuple(m.case_types),
                            categories=tuple(m.categories)) for m in members.values()]
    chosen = pick_handler(candidates, facts, effort=case.effort, never=case.about_staff_id)
    if chosen is None:
        return case
    case_assign(actor=ROUTING, case=case, assignee=members[chosen].staff, at=at)
    case.refresh_from_db()
    return case
