"""Every write of the service desk: `<entity>_<verb>(*, actor, …)`, one transaction each, the actor checked
(`org.access.authorize`: role and data scope), the audit trail written.

A case changes only by appending to its event log (`case_event_append`); the row's status, priority and handler
are what the log says now. Routing, SLA deadlines and complaint rules plug in at `case_open` and
`case_event_append` (`service.routing`, `service.sla`, `service.complaints`)."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict, is_dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lifecrm.core.actors import audit_system_name, audit_user, on_behalf
from lifecrm.core.services import Refused, audit_record
from lifecrm.org.access import authorize
from lifecrm.org.models import Staff
from lifecrm.org.rules import Action
from lifecrm.org.selectors import acting_staff
from lifecrm.parties.models import Customer
from lifecrm.parties.rules import normalise_phone
from lifecrm.parties.selectors import MAX_PHONE_DIGITS
from lifecrm.policies.models import Policy
from lifecrm.service import attachments, sla
from lifecrm.service.models import (
    STAGE_LABELS,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseTask,
    CaseType,
    EmergencyDispatch,
    EmergencyIntake,
    Interaction,
)
from lifecrm.service.routing import case_route
from lifecrm.service.rules import (
    ATTACHMENT_MAX_BYTES,
    DISPATCH_ORDER,
    EMERGENCY_TYPE,
    FIRST_FOLLOW_UP_AFTER,
    CaseEventKind,
    CaseStatus,
    Channel,
    Direction,
    DispatchStage,
    PartnerKind,
    Priority,
    attachment_name,
    attachment_type,
    dispatch_order_refusal,
    next_status,
)
from lifecrm.service.surveys import survey_send_for_case


class ServiceRefused(Refused):
    """A service-desk write that cannot be done; the message says why, in the staff member's language, and
    `field` names the input it is about (a form shows it there), when there is one."""


def _policy_of(customer: Customer, policy_id: int | None) -> Policy | None:
    if policy_id is None:
        return None
    policy = Policy.objects.filter(pk=policy_id).first()
    if policy is None or customer.pk not in (policy.owner_id, policy.insured_id, policy.payer_id):
        raise ServiceRefused(_("This policy is not one of the customer's."), field="policy")
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
        raise ServiceRefused(_("Say what the contact was about."), field="subject")
    if case is not None and case.customer_id != customer.pk:
        raise ServiceRefused(_("This case is not the customer's."), field="case")
    now = timezone.now()
    if occurred_at > now:
        raise ServiceRefused(_("The time of the contact is in the future."),
                             field="occurred_at")
    interaction = Interaction.objects.create(
        customer=customer, policy=_policy_of(customer, policy_id), case=case, channel=channel, direction=direction,
        subject=subject[:200], outcome=outcome, note=note.strip(), staff=acting_staff(actor), occurred_at=occurred_at,
        recorded_at=now, branch_path=customer.branch_path, agent_id=customer.servicing_agent_id,
    )
    audit_record(actor=actor, action="create", object_type="service.interaction",
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
        number=f"~{uuid.uuid4().hex[:15]}", case_type=kind, category_id=category, priority=priority,
        customer=customer, policy=_policy_of(customer, policy_id), jurisdiction_id=customer.jurisdiction_id,
        channel=channel, language=language or customer.preferred_language, subject=subject[:200], description=description,
        about_staff=about_staff, effort=max(1, effort), opened_at=opened_at, opened_by=acting_staff(actor),
        branch_id=customer.branch_id, branch_path=customer.branch_path, agent_id=customer.servicing_agent_id,
    )
    case.number = f"{kind.prefix}{case.pk:08d}"
    case.save(update_fields=["number"])
    _append(case, actor=actor, kind=CaseEventKind.OPENED, at=opened_at, note=description,
            data={"priority": priority, "channel": channel})
    if kind.code == "complaint":
        from lifecrm.service.complaints import complaint_taken_in  # complaints builds on this module's writes

        complaint_taken_in(case)
    audit_record(actor=actor, action="create", object_type="service.case", object_id=case.pk,
                 after={"number": case.number, "type": case_type, "customer": customer.pk, "priority": priority})
    sla.case_deadlines_refresh(case)
    return case_route(case, at=opened_at)


@transaction.atomic
def case_event_append(*, actor, case: Case, kind: CaseEventKind | str, at: datetime, note: str = "",
                      data: dict | None = None, action: Action = Action.HANDLE_CASE,
                      complaint_step: bool = False) -> CaseEvent:
    """Append one event to the case's log and bring the row up to date (status, timestamps).

    A complaint's stage decides which of resolve, reopen, close and cancel its case may take
    (`complaints.case_event_refusal`); `complaint_step` is True only for the complaint's own services, which move
    the stage and the case together."""
    authorize(actor, action, case)
    kind = CaseEventKind(kind)
    case = Case.objects.select_for_update().get(pk=case.pk)
    status = next_status(CaseStatus(case.status), kind)
    if not complaint_step and case.case_type_id == "complaint":
        from lifecrm.service.complaints import case_event_refusal  # complaints builds on this module's writes
        refusal = case_event_refusal(case, kind, at)
        if refusal is not None:
            raise ServiceRefused(refusal)
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
    # AuditEvent.action is one of its short verbs (16 characters): the event's kind goes in `after`
    audit_record(actor=actor, action="transition" if case.status != before["status"] else "update",
                 object_type="service.case", object_id=case.pk, before=before,
                 after={"status": case.status, "event": event.seq, "kind": kind.value})
    sla.case_deadlines_refresh(case)
    if kind == CaseEventKind.CLOSED:
        survey_send_for_case(case, at)  # the customer's CSAT, crediting who handled the case now
    return event


@transaction.atomic
def case_assign(*, actor, case: Case, assignee: Staff, at: datetime) -> CaseEvent:
    """Give the case to `assignee` (a manager to anyone of the scope; a handler may take it themselves). The staff
    member a complaint names never handles it."""
    me = acting_staff(actor)
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


# case attachments

def case_attachment_add(*, actor, case: Case, filename: str, content: bytes, at: datetime) -> CaseAttachment:
    """Add a document to a case: a PDF, JPEG or PNG (read from its bytes) of at most ATTACHMENT_MAX_BYTES, its name
    made safe, its bytes stored encrypted; the "attachment" event and the audit trail name it. A refused or failed
    upload leaves nothing behind: neither a row nor a file."""
    authorize(actor, Action.HANDLE_CASE, case)
    if not content:
        raise ServiceRefused(_("The file is empty."))
    if len(content) > ATTACHMENT_MAX_BYTES:
        raise ServiceRefused(_("The file is larger than %(limit)s MB.") % {"limit": ATTACHMENT_MAX_BYTES // 2**20})
    name = attachment_name(filename)
    content_type = attachment_type(name, content[:16])
    if content_type is None:
        raise ServiceRefused(_("Only PDF, JPEG and PNG files may be attached."))
    stored_name = f"{uuid.uuid4().hex}{attachments.ENCRYPTED_SUFFIX}"
    attachments.write(stored_name, content)
    try:
        with transaction.atomic():
            attachment = CaseAttachment.objects.create(
                case=case, filename=name, content_type=content_type, size=len(content),
                sha256=hashlib.sha256(content).hexdigest(), stored_name=stored_name, uploaded_by=audit_user(actor),
                uploaded_at=at)
            case_event_append(actor=on_behalf(actor, Action.HANDLE_CASE), case=case, kind=CaseEventKind.ATTACHMENT,
                              at=at, data={"attachment": attachment.pk, "filename": name})
            audit_record(actor=actor, action="create", object_type="service.case_attachment",
                         object_id=attachment.pk, after={"case": case.pk, "filename": name, "size": len(content),
                                                         "sha256": attachment.sha256})
    except BaseException:
        attachments.remove(stored_name)
        raise
    return attachment


@transaction.atomic
def case_attachment_download(*, actor, attachment: CaseAttachment) -> bytes:
    """The attachment's bytes, for someone who may see its case; every download is in the audit trail."""
    authorize(actor, Action.USE_WORKBENCH, attachment.case)
    audit_record(actor=actor, action="reveal", object_type="service.case_attachment", object_id=attachment.pk,
                 field="file", purpose="download", after={"case": attachment.case_id, "filename": attachment.filename})
    return attachments.read(attachment.stored_name)

# -- emergency -------------------------------------------------------------------------------------------------



def _emergency_case(case: Case, *, actor) -> Case:
    authorize(actor, Action.ASSIST_EMERGENCY, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.case_type_id != EMERGENCY_TYPE:
        raise ServiceRefused(_("This is not an emergency case."))
    if not case.is_open:
        raise ServiceRefused(_("The case is %(status)s: reopen it before logging more.")
                             % {"status": case.get_status_display()})
    return case


def _not_after(stamp: datetime, at: datetime) -> None:
    if stamp > at:
        raise ServiceRefused(_("A time cannot be in the future."))


@transaction.atomic
def emergency_open(*, actor, customer: Customer, location: str, situation: str, callback_phone: str, at: datetime,
                   category: str | None = None, cover: list | None = None) -> Case:
    """Open an emergency case for `customer` at the highest priority (the emergency line's call, `at`): the case,
    its intake (location, situation, callback number, the cover found), the inbound call on the timeline and a
    first follow-up a day later. `cover`: the lines of `selectors.emergency_cover`, as the agent saw them."""
    authorize(actor, Action.ASSIST_EMERGENCY, customer)
    location, situation = location.strip(), situation.strip()
    if not location:
        raise ServiceRefused(_("Say where the customer is."))
    if not situation:
        raise ServiceRefused(_("Say what happened."))
    digits = normalise_phone(callback_phone)
    if not 7 <= len(digits.lstrip("+")) <= MAX_PHONE_DIGITS:
        raise ServiceRefused(_("Give a callback number of 7 to 15 digits."))
    lines = [asdict(line) if is_dataclass(line) else dict(line) for line in cover or []]
    case = case_open(actor=on_behalf(actor, Action.ASSIST_EMERGENCY), customer=customer, case_type=EMERGENCY_TYPE, category=category,
                     subject=situation.splitlines()[0][:200], channel=Channel.CALL.value, opened_at=at,
                     priority=Priority.URGENT.value, description=situation)
    intake = EmergencyIntake.objects.create(case=case, location=location[:300], situation=situation, callback_phone=digits,
                                   covered=any(line.get("in_force") and line.get("benefits") for line in lines),
                                   cover=lines)
    interaction_log(actor=on_behalf(actor, Action.ASSIST_EMERGENCY), customer=customer, channel=Channel.CALL.value,
                    direction=Direction.INBOUND.value, subject=case.subject, outcome=Interaction.Outcome.CASE_OPENED,
                    occurred_at=at, case=case)
    me = acting_staff(actor)
    # stored as the English source and shown in the reader's language ({% translate task.title %})
    CaseTask.objects.create(case=case, title=gettext_noop("Call the customer back to check on them"),
                            due_at=at + FIRST_FOLLOW_UP_AFTER, assignee=me, created_at=at, created_by=me)
    audit_record(actor=actor, action="create", object_type="service.emergencyintake", object_id=case.pk,
                 after={"number": case.number, "customer": customer.pk, "covered": intake.covered})
    return case


@transaction.atomic
def dispatch_request(*, actor, case: Case, partner_kind: str, partner_name: str, requested_at: datetime,
                     at: datetime, reference: str = "", note: str = "") -> EmergencyDispatch:
    """Log that a partner was asked to help (at `requested_at`), as a dispatch row and a note on the case."""
    case = _emergency_case(case, actor=actor)
    try:
        kind = PartnerKind(partner_kind)
    except ValueError:
        raise ServiceRefused(_("Choose an ambulance, a hospital referral or the medical advice line.")) from None
    partner_name = partner_name.strip()
    if not partner_name:
        raise ServiceRefused(_("Name the partner (the ambulance service, the hospital, the advice line)."))
    _not_after(requested_at, at)
    if requested_at < case.opened_at:
        raise ServiceRefused(_("A partner cannot be asked before the case was opened."))
    dispatch = EmergencyDispatch.objects.create(case=case, partner_kind=kind.value, partner_name=partner_name[:120],
                                                reference=reference.strip()[:60], note=note.strip(),
                                                requested_at=requested_at, requested_by=acting_staff(actor))
    _dispatch_note(case, dispatch, DispatchStage.REQUESTED, actor=actor, at=requested_at)
    return dispatch


@transaction.atomic
def dispatch_log(*, actor, dispatch: EmergencyDispatch, stage: str, stamp: datetime, at: datetime,
                 reference: str = "", note: str = "") -> EmergencyDispatch:
    """Log a dispatch's next time (confirmed, arrived, closed): never before an earlier stage, never in the
    future, never twice."""
    case = _emergency_case(dispatch.case, actor=actor)
    dispatch = EmergencyDispatch.objects.select_for_update().get(pk=dispatch.pk)
    try:
        stage = DispatchStage(stage)
    except ValueError:
        stage = DispatchStage.REQUESTED
    if stage == DispatchStage.REQUESTED:
        raise ServiceRefused(_("Log a confirmation, an arrival or the end of the partner's part."))
    if dispatch.time_of(stage) is not None:
        raise ServiceRefused(_("This time is already logged."))
    _not_after(stamp, at)
    times = {s: dispatch.time_of(s) for s in DISPATCH_ORDER} | {stage: stamp}
    wrong = dispatch_order_refusal(times)
    if wrong is not None:
        later, earlier = wrong
        raise ServiceRefused(_("The %(later)s time cannot be before the %(earlier)s time.")
                             % {"later": STAGE_LABELS[later], "earlier": STAGE_LABELS[earlier]})
    setattr(dispatch, f"{stage.value}_at", stamp)
    if reference.strip():
        dispatch.reference = reference.strip()[:60]
    if note.strip():
        dispatch.note = "\n".join(x for x in (dispatch.note, note.strip()) if x)
    dispatch.save()
    _dispatch_note(case, dispatch, stage, actor=actor, at=stamp)
    return dispatch


def _dispatch_note(case: Case, dispatch: EmergencyDispatch, stage: DispatchStage, *, actor, at: datetime) -> None:
    note = f"{dispatch.get_partner_kind_display()} · {dispatch.partner_name}: {STAGE_LABELS[stage]}"
    case_event_append(actor=on_behalf(actor, Action.ASSIST_EMERGENCY), case=case, kind=CaseEventKind.NOTE, at=at, note=note,
                      data={"dispatch": dispatch.pk, "stage": stage.value})
    audit_record(actor=actor, action="update", object_type="service.emergencydispatch",
                 object_id=dispatch.pk, field=stage.value, after={"case": case.pk, "kind": dispatch.partner_kind, "at": at.isoformat()})


@transaction.atomic
def follow_up_add(*, actor, case: Case, title: str, due_at: datetime, at: datetime,
                  assignee: Staff | None = None) -> CaseTask:
    """A follow-up on the emergency case, due at `due_at` (not in the past)."""
    case = _emergency_case(case, actor=actor)
    title = title.strip()
    if not title:
        raise ServiceRefused(_("Say what to follow up."))
    if due_at < at:
        raise ServiceRefused(_("A follow-up cannot be due in the past."))
    me = acting_staff(actor)
    task = CaseTask.objects.create(case=case, title=title[:200], due_at=due_at, assignee=assignee or me,
                                   created_at=at, created_by=me)
    audit_record(actor=actor, action="create", object_type="service.casetask", object_id=task.pk,
                 after={"case": case.pk, "due_at": due_at.isoformat()})
    return task


@transaction.atomic
def follow_up_done(*, actor, task: CaseTask, at: datetime, outcome: str = "") -> CaseTask:
    """Mark a follow-up done (once), with what came of it, as a note on the case."""
    case = _emergency_case(task.case, actor=actor)
    task = CaseTask.objects.select_for_update().get(pk=task.pk)
    if task.done_at is not None:
        raise ServiceRefused(_("This follow-up is already done."))
    task.done_at, task.done_by, task.outcome = at, acting_staff(actor), outcome.strip()[:300]
    task.save(update_fields=["done_at", "done_by", "outcome"])
    case_event_append(actor=on_behalf(actor, Action.ASSIST_EMERGENCY), case=case, kind=CaseEventKind.NOTE, at=at,
                      note=": ".join(x for x in (task.title, task.outcome) if x), data={"follow_up": task.pk})
    audit_record(actor=actor, action="update", object_type="service.casetask", object_id=task.pk,
                 after={"case": case.pk})
    return task
