"""Every write of the service desk: `<entity>_<verb>(*, actor, …)`, one transaction each, the actor checked
(`org.access.authorize`: role and data scope), the audit trail written.

A case changes only by appending to its event log (`case_event_append`); the row's status, priority and handler
are what the log says now. Routing, SLA deadlines and complaint rules plug in at `case_open` and
`case_event_append` (`service.routing`, `service.sla`, `service.complaints`)."""
from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from lifecrm.core.actors import audit_system_name, audit_user, person
from lifecrm.core.services import audit_record
from lifecrm.org.access import authorize
from lifecrm.org.models import Staff
from lifecrm.org.rules import Action
from lifecrm.parties.models import Customer
from lifecrm.policies.models import Policy
from lifecrm.service.models import Case, CaseEvent, CaseType, Interaction
from lifecrm.service.rules import CaseEventKind, CaseStatus, Channel, Direction, Priority, next_status


class ServiceRefused(ValueError):
    """A service-desk write that cannot be done; the message says why, in the staff member's language."""


def _staff_of(actor) -> Staff | None:
    who = person(actor)
    if who is None:
        return None
    if isinstance(who, Staff):
        return who
    return Staff.objects.filter(user=who).first()


def _policy_of(customer: Customer, policy_id: int | None) -> Policy | None:
    if policy_id is None:
        return None
    policy = Policy.objects.filter(pk=policy_id).first()
    if policy is None or customer.pk not in (policy.owner_id, policy.insured_id, policy.payer_id):
        raise ServiceRefused("the policy is not one of this customer's")
    return policy


@transaction.atomic
def interaction_log(*, actor, customer: Customer, channel: str, direction: str, subject: str, outcome: str,
                    occurred_at: datetime, note: str = "", policy_id: int | None = None,
                    case: Case | None = None) -> Interaction:
    """Record one contact with `customer` (a call, a visit, a message, a letter)."""
    authorize(actor, Action.LOG_INTERACTION, customer)
    Channel(channel), Direction(direction), Interaction.Outcome(outcome)  # a wrong code is a programming error
    subject = subject.strip()
    if not subject:
        raise ServiceRefused("say what the contact was about")
    if case is not None and case.customer_id != customer.pk:
        raise ServiceRefused("the case is not this customer's")
    now = timezone.now()
    if occurred_at > now:
        raise ServiceRefused("a contact cannot be logged in the future")
    interaction = Interaction.objects.create(
        customer=customer, policy=_policy_of(customer, policy_id), case=case, channel=channel, direction=direction,
        subject=subject[:200], outcome=outcome, note=note.strip(), staff=_staff_of(actor), occurred_at=occurred_at,
        recorded_at=now, branch_path=customer.branch_path, agent_id=customer.servicing_agent_id,
    )
    audit_record(actor=actor, action="service.interaction_log", object_type="service.interaction",
                 object_id=interaction.pk, after={"customer": customer.pk, "channel": channel,
                                                  "direction": direction, "outcome": outcome})
    return interaction


def _append(case: Case, *, actor, kind: CaseEventKind, at: datetime, note: str = "", data: dict | None = None
            ) -> CaseEvent:
    last = case.events.order_by("-seq").values_list("seq", flat=True).first() or 0
    return CaseEvent.objects.create(case=case, seq=last + 1, kind=kind.value, at=at, actor=audit_user(actor),
                                    system_actor=audit_system_name(actor) or "", note=note, data=data or {})


@transaction.atomic
def case_open(*, actor, customer: Customer, case_type: str, subject: str, channel: str, opened_at: datetime,
              category: str | None = None, priority: int | None = None, description: str = "",
              policy_id: int | None = None, about_staff: Staff | None = None, language: str = "",
              effort: int = 1) -> Case:
    """Take a case in for `customer`: its number, its first event ("opened"), its scope (the customer's unit)."""
    authorize(actor, Action.OPEN_CASE, customer)
    kind = CaseType.objects.filter(code=case_type, is_active=True).first()
    if kind is None:
        raise ServiceRefused("there is no such case type")
    if category is not None and not kind.categories.filter(code=category, is_active=True).exists():
        raise ServiceRefused("the category does not belong to this case type")
    subject = subject.strip()
    if not subject:
        raise ServiceRefused("say what the case is about")
    priority = Priority(priority if priority is not None else kind.default_priority).value
    Channel(channel)
    case = Case.objects.create(
        number=f"~{timezone.now().timestamp()}", case_type=kind, category_id=category, priority=priority,
        customer=customer, policy=_policy_of(customer, policy_id), jurisdiction_id=customer.jurisdiction_id,
        channel=channel, language=language or customer.preferred_language, subject=subject[:200], description=description,
        about_staff=about_staff, effort=max(1, effort), opened_at=opened_at, opened_by=_staff_of(actor),
        branch_id=customer.branch_id, branch_path=customer.branch_path, agent_id=customer.servicing_agent_id,
    )
    case.number = f"{kind.prefix}{case.pk:08d}"
    case.save(update_fields=["number"])
    _append(case, actor=actor, kind=CaseEventKind.OPENED, at=opened_at, note=description,
            data={"priority": priority, "channel": channel})
    if kind.code == "complaint":
        from lifecrm.service.complaints import complaint_taken_in  # complaints builds on this module's writes

        complaint_taken_in(case)
    audit_record(actor=actor, action="service.case_open", object_type="service.case", object_id=case.pk,
                 after={"number": case.number, "type": case_type, "customer": customer.pk, "priority": priority})
    return case


@transaction.atomic
def case_event_append(*, actor, case: Case, kind: CaseEventKind | str, at: datetime, note: str = "",
                      data: dict | None = None, action: Action = Action.HANDLE_CASE) -> CaseEvent:
    """Append one event to the case's log and bring the row up to date (status, timestamps)."""
    authorize(actor, action, case)
    kind = CaseEventKind(kind)
    case = Case.objects.select_for_update().get(pk=case.pk)
    status = next_status(CaseStatus(case.status), kind)
    if kind == CaseEventKind.NOTE and not note.strip():
        raise ServiceRefused("an empty note says nothing")
    event = _append(case, actor=actor, kind=kind, at=at, note=note.strip(), data=data)
    before = {"status": case.status}
    case.status = status.value
    if kind == CaseEventKind.RESPONDED and case.first_responded_at is None:
        case.first_responded_at = at
    if kind == CaseEventKind.RESOLVED:
        case.resolved_at = at
    if kind == CaseEventKind.REOPENED:
        case.resolved_at = None
    if kind in (CaseEventKind.CLOSED, CaseEventKind.CANCELLED):
        case.closed_at = at
    if kind == CaseEventKind.PRIORITY_CHANGED:
        case.priority = Priority(int((data or {})["priority"])).value
    case.save()
    audit_record(actor=actor, action=f"service.case_{kind.value}", object_type="service.case", object_id=case.pk,
                 before=before, after={"status": case.status, "event": event.seq})
    return event


@transaction.atomic
def case_assign(*, actor, case: Case, assignee: Staff, at: datetime) -> CaseEvent:
    """Give the case to `assignee` (a manager to anyone of the scope; a handler may take it themselves). The staff
    member a complaint names never handles it."""
    me = _staff_of(actor)
    action = Action.HANDLE_CASE if me is not None and me.pk == assignee.pk else Action.SUPERVISE_CASES
    authorize(actor, action, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.about_staff_id is not None and case.about_staff_id == assignee.pk:
        raise ServiceRefused("a complaint is never handled by the staff member it names")
    if not assignee.is_active:
        raise ServiceRefused("the staff member is no longer active")
    Case.objects.filter(pk=case.pk).update(assignee=assignee)
    case.assignee = assignee
    return case_event_append(actor=actor, case=case, kind=CaseEventKind.ASSIGNED, at=at,
                             data={"assignee": assignee.pk}, action=action)
