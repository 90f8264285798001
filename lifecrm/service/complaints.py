"""Complaints by the regulation (CBIRC Order 2020 No. 3; DOMAIN.md): every write of a complaint's regulated side.

A complaint is a `Case` of type "complaint" with a `Complaint` row (made by `case_open`). Its decision is due 15
days after receipt, 30 when it is complex; a manager may approve ONE extension of up to 30 more days (never by the
person who asked for it), the customer is told (SMS or letter), and nothing goes beyond 60 days. The decision
states the facts, the decision, its basis and the customer's rights, makes a letter (a `notifications.Letter` print
file: the PDF comes from `notifications.letters`), and its delivery is proved (channel, time, receipt reference).
The customer may ask for a review within 30 days of the delivery (the last day moved past rest days), decided within
30 days. The staff member a complaint names never handles it, approves it or decides it.

Each write: one transaction, the actor checked, the case's event log appended, the audit trail written."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lifecrm.core.selectors import jurisdiction_rule, working_calendar
from lifecrm.core.services import audit_record
from lifecrm.notifications import contacts, content, letters
from lifecrm.notifications import services as outbox
from lifecrm.notifications.models import Letter
from lifecrm.org.access import authorize
from lifecrm.org.models import Staff
from lifecrm.org.rules import Action
from lifecrm.org.selectors import acting_staff
from lifecrm.service import complaint_rules as rules
from lifecrm.service.models import Case, Complaint, ComplaintDecision
from lifecrm.service.rules import OUTBOX_APP, CaseEventKind, TransitionRefused
from lifecrm.service.services import ServiceRefused, case_event_append

COMPLAINT_TYPE = "complaint"
MESSAGES = "service/messages/"
Stage = Complaint.Stage


def limits_for(jurisdiction: str) -> rules.ComplaintLimits:
    """The jurisdiction's complaint periods, read from its rules table."""
    period = lambda key: jurisdiction_rule(jurisdiction, key).period  # noqa: E731
    return rules.ComplaintLimits(*(period(key) for key in rules.RULE_KEYS))


def local_day(case: Case, at: datetime) -> date:
    """The calendar day of `at` where the complaint was made (its jurisdiction's time zone)."""
    return timezone.localtime(at, ZoneInfo(case.jurisdiction.time_zone)).date()


def complaint_taken_in(case: Case) -> Complaint:
    """The complaint row of a case `case_open` has just taken in (its receipt day, its first deadline)."""
    received = local_day(case, case.opened_at)
    limits = limits_for(case.jurisdiction_id)
    return Complaint.objects.create(case=case, received_on=received,
                                    decision_due=rules.decision_due(limits, received, is_complex=False))


def _review_window_over(complaint: Complaint, day: date) -> bool:
    return complaint.review_last_day is not None and day > complaint.review_last_day


def case_actions_allowed(complaint: Complaint, *, as_of: date) -> frozenset[str]:
    """Which of the case events its stage governs the complaint's case may take by hand on `as_of`."""
    over = _review_window_over(complaint, as_of)
    return frozenset(kind for kind in rules.CASE_EVENTS_OF_THE_COMPLAINT
                     if rules.case_event_allowed(Stage(complaint.stage), kind, review_window_over=over))


def case_event_refusal(case: Case, kind: str, at: datetime) -> str | None:
    """Why the case's generic action `kind` cannot be taken at `at` because of its complaint's stage, or None (not a
    complaint, or allowed). The complaint's own services move its case themselves and never ask."""
    if case.case_type_id != COMPLAINT_TYPE or kind not in rules.CASE_EVENTS_OF_THE_COMPLAINT:
        return None
    complaint = Complaint.objects.filter(pk=case.pk).first()
    if complaint is None or kind in case_actions_allowed(complaint, as_of=local_day(case, at)):
        return None
    if kind == CaseEventKind.RESOLVED:
        return _("A complaint is resolved by its decision: record the decision on the complaint's page.")
    if kind == CaseEventKind.REOPENED:
        return _("A complaint reopens only when the customer asks for a review: record it on the complaint's page.")
    if kind == CaseEventKind.CLOSED and complaint.stage == Stage.DELIVERED:
        return _("The customer may ask for a review until %(day)s: the complaint can be closed after that day.") % {
            "day": complaint.review_last_day.isoformat()}
    return (_("This cannot be done now: the complaint is at the stage “%(stage)s”.")
            % {"stage": complaint.get_stage_display()})


def _locked(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().select_related("case__jurisdiction", "case__customer").get(
        pk=complaint.pk)


def _handler(actor, complaint: Complaint, action: Action = Action.HANDLE_CASE) -> Staff | None:
    """Check the actor (role and scope) and refuse the staff member the complaint names."""
    authorize(actor, action, complaint.case)
    me = acting_staff(actor)
    if me is not None and me.pk == complaint.case.about_staff_id:
        raise ServiceRefused(_("You are the staff member this complaint is about: someone else must handle it."))
    return me


def _need_stage(complaint: Complaint, *stages: str) -> None:
    if complaint.stage not in stages:
        raise ServiceRefused(_("This cannot be done now: the complaint is at the stage “%(stage)s”.")
                             % {"stage": complaint.get_stage_display()})


def _event(actor, complaint: Complaint, kind: CaseEventKind, at: datetime, *, note: str = "", data: dict,
           action: Action = Action.HANDLE_CASE):
    try:
        event = case_event_append(actor=actor, case=complaint.case, kind=kind, at=at, note=note, data=data,
                                  action=action, complaint_step=True)
    except TransitionRefused:
        raise ServiceRefused(_("The case is %(status)s: its complaint cannot change any more.")
                             % {"status": complaint.case.get_status_display()}) from None
    complaint.case.status = event.case.status  # the row as the log now says
    return event


def _audit(actor, complaint: Complaint, verb: str, after: dict) -> None:
    audit_record(actor=actor, action="update", object_type="service.complaint", field=verb,
                 object_id=complaint.pk, after=after)


@transaction.atomic
def complaint_mark_complex(*, actor, complaint: Complaint, reason: str, at: datetime) -> Complaint:
    """Mark the complaint complex: its decision is then due 30 days after receipt."""
    complaint = _locked(complaint)
    _handler(actor, complaint)
    _need_stage(complaint, Stage.OPEN)
    if complaint.is_complex:
        raise ServiceRefused(_("The complaint is already marked complex."))
    reason = reason.strip()
    if not reason:
        raise ServiceRefused(_("Say why the complaint is complex."))
    limits = limits_for(complaint.case.jurisdiction_id)
    if local_day(complaint.case, at) > complaint.decision_due:
        raise ServiceRefused(_("The decision was due on %(day)s: a complaint cannot be marked complex after its "
                               "deadline.") % {"day": complaint.decision_due.isoformat()})
    complaint.is_complex = True
    complaint.decision_due = rules.decision_due(limits, complaint.received_on, is_complex=True)
    complaint.save(update_fields=["is_complex", "decision_due"])
    _event(actor, complaint, CaseEventKind.NOTE, at, note=reason,
           data={"complaint": "complex", "decision_due": complaint.decision_due.isoformat()})
    _audit(actor, complaint, "complex", {"decision_due": complaint.decision_due.isoformat()})
    return complaint


def _extension_refusal(error: rules.LimitRefused) -> ServiceRefused:
    messages = {
        "once": _("The complaint has been extended already: only one extension is allowed."),
        "not_complex": _("Only a complex complaint may be extended: mark it complex first."),
        "days": _("An extension is of 1 to 30 days."),
        "late": _("The decision was due on %(day)s: an extension must be asked for before the deadline passes."),
        "maximum": _("The decision would be due after %(day)s: a complaint is never decided more than 60 days "
                     "after its receipt."),
    }
    day = error.last_day.isoformat() if error.last_day else ""
    return ServiceRefused(messages[error.code] % {"day": day} if "%(day)s" in messages[error.code]
                          else messages[error.code])


@transaction.atomic
def complaint_extension_request(*, actor, complaint: Complaint, days: int, reason: str, at: datetime) -> Complaint:
    """Ask a manager to extend the decision's deadline by `days` (checked now against every limit)."""
    complaint = _locked(complaint)
    me = _handler(actor, complaint)
    _need_stage(complaint, Stage.OPEN)
    reason = reason.strip()
    if not reason:
        raise ServiceRefused(_("Say why the complaint needs more time."))
    if complaint.extension_requested_days is not None:
        raise ServiceRefused(_("An extension is already waiting for approval."))
    try:
        rules.check_extension(limits_for(complaint.case.jurisdiction_id), complaint.received_on,
                              is_complex=complaint.is_complex, already_extended=complaint.extension_days > 0,
                              days=days, requested_on=local_day(complaint.case, at))
    except rules.LimitRefused as error:
        raise _extension_refusal(error) from None
    complaint.extension_requested_days = days
    complaint.extension_reason = reason[:500]
    complaint.extension_requested_by = me
    complaint.save(update_fields=["extension_requested_days", "extension_reason", "extension_requested_by"])
    _event(actor, complaint, CaseEventKind.NOTE, at, note=reason,
           data={"complaint": "extension_requested", "days": days})
    _audit(actor, complaint, "extension_request", {"days": days})
    return complaint


def _send_notice(complaint: Complaint, *, name: str, key: str, context: dict, as_of: date, at: datetime) -> dict:
    """Tell the customer (SMS, else a letter: written proof inside this transaction); what was sent, as data."""
    case = complaint.case
    customer = case.customer
    route = contacts.route_for(customer, "preferred", legal=True)
    if route is None:
        raise ServiceRefused(_("The customer has no mobile phone or postal address on file: the notice cannot be "
                               "sent."))
    language = letter_language(case)
    parts = ("sms",) if route.channel == contacts.SMS else content.WRITTEN
    message = content.render(names=[MESSAGES + name], language=language, parts=parts,
                             context=_context(complaint, language) | context)
    if route.channel == contacts.SMS:  # recorded in this transaction; the outbox sends it and shows its status
        outbox.message_queue(app=OUTBOX_APP, key=key, channel=route.channel, address=route.address, language=language,
                             body=message.sms, template=MESSAGES + name, customer_id=customer.pk,
                             jurisdiction=customer.jurisdiction_id, at=at)
    else:
        Letter.objects.create(key=key, recorded_on=as_of, html=_letter_html(complaint, message, route.address))
    return {"channel": route.channel, "key": key, "language": language}


def letter_language(case: Case) -> str:
    if case.language in content.LANGUAGES:
        return case.language
    return content.language_for(case.customer, case.jurisdiction_id)


def _context(complaint: Complaint, language: str) -> dict:
    case = complaint.case
    return {"company": content.company_name(language), "salutation": content.salutation(case.customer, language),
            "number": case.number, "subject": case.subject,
            "received_on": content.format_date(complaint.received_on, language)}


def _letter_html(complaint: Complaint, message: content.Message, address: str) -> str:
    customer = complaint.case.customer
    return letters.letter_html(message=message, recipient=content.salutation(customer, message.language),
                               address=address, postcode=customer.postcode, posted_on=complaint.received_on,
                               company=content.company_name(message.language))


@transaction.atomic
def complaint_extension_approve(*, actor, complaint: Complaint, at: datetime) -> Complaint:
    """A manager approves the extension asked for: the "extended" event, the new deadline, the customer's notice."""
    complaint = _locked(complaint)
    me = _handler(actor, complaint, Action.SUPERVISE_CASES)
    _need_stage(complaint, Stage.OPEN)
    days = complaint.extension_requested_days
    if days is None:
        raise ServiceRefused(_("No extension is waiting for approval."))
    if me is not None and me.pk == complaint.extension_requested_by_id:
        raise ServiceRefused(_("You asked for this extension: another manager must approve it."))
    today = local_day(complaint.case, at)
    limits = limits_for(complaint.case.jurisdiction_id)
    try:
        new_due = rules.check_extension(limits, complaint.received_on, is_complex=complaint.is_complex,
                                        already_extended=complaint.extension_days > 0, days=days, requested_on=today)
    except rules.LimitRefused as error:
        raise _extension_refusal(error) from None
    requested_by = complaint.extension_requested_by_id
    complaint.extension_days, complaint.decision_due = days, new_due
    complaint.extension_requested_days, complaint.extension_requested_by = None, None
    reason, complaint.extension_reason = complaint.extension_reason, ""
    complaint.save(update_fields=["extension_days", "decision_due", "extension_requested_days",
                                  "extension_requested_by", "extension_reason"])
    language = letter_language(complaint.case)
    notice = _send_notice(complaint, name="complaint_extended", key=f"complaint-{complaint.case.number}-extension",
                          context={"days": days, "decision_due": content.format_date(new_due, language),
                                   "reason": reason}, as_of=today, at=at)
    _event(actor, complaint, CaseEventKind.EXTENDED, at, note=reason, action=Action.SUPERVISE_CASES,
           data={"complaint": "extended", "days": days, "decision_due": new_due.isoformat(),
                 "requested_by": requested_by, "approved_by": me.pk if me else None, "notice": notice})
    _audit(actor, complaint, "extension_approve", {"days": days, "decision_due": new_due.isoformat()})
    return complaint


def decision_rights(kind: str, language: str, limits: rules.ComplaintLimits) -> str:
    with translation.override(language):
        if kind == rules.DecisionKind.FIRST:
            return _("If you disagree with this decision, you may ask us for a review within %(days)s days of "
                     "receiving this letter; we decide a review within %(review)s days. You may also turn to the "
                     "insurance regulator, to mediation, to arbitration or to the courts.") % {
                "days": limits.review_request.quantity, "review": limits.review_decision.quantity}
        return _("This review decision is the company's final answer to your complaint. If you still disagree, "
                 "you may turn to the insurance regulator, to mediation, to arbitration or to the courts.")


@transaction.atomic
def complaint_decide(*, actor, complaint: Complaint, facts: str, decision: str, basis: str,
                     at: datetime) -> ComplaintDecision:
    """Record the decision (or, after a review request, the review's decision) and its letter's print file; the
    deadline met or breached is recorded with it."""
    complaint = _locked(complaint)
    me = _handler(actor, complaint)
    _need_stage(complaint, Stage.OPEN, Stage.REVIEW)
    facts, decision, basis = facts.strip(), decision.strip(), basis.strip()
    if not (facts and decision and basis):
        raise ServiceRefused(_("A decision states the facts, the decision and its basis: fill in all three."))
    if me is None:
        raise ServiceRefused(_("Only a staff member decides a complaint."))
    kind = rules.DecisionKind.FIRST if complaint.stage == Stage.OPEN else rules.DecisionKind.REVIEW
    due = complaint.decision_due if kind == rules.DecisionKind.FIRST else complaint.review_due
    decided_on = local_day(complaint.case, at)
    language = letter_language(complaint.case)
    limits = limits_for(complaint.case.jurisdiction_id)
    rights = decision_rights(kind, language, limits)
    message = content.render(names=[MESSAGES + f"complaint_decision_{kind}"], language=language,
                             parts=content.WRITTEN,
                             context=_context(complaint, language) | {"facts": facts, "decision": decision,
                                                                      "basis": basis, "rights": rights})
    key = f"complaint-{complaint.case.number}-{kind}"
    customer = complaint.case.customer
    letter = Letter.objects.create(key=key, recorded_on=decided_on, html=letters.letter_html(
        message=message, recipient=content.salutation(customer, language), address=customer.address,
        postcode=customer.postcode, posted_on=decided_on, company=content.company_name(language)))
    row = ComplaintDecision.objects.create(
        complaint=complaint, kind=kind.value, facts=facts, decision=decision, basis=basis, rights=rights,
        language=language, decided_at=at, decided_on=decided_on, decided_by=me, due=due,
        on_time=not rules.is_overdue(due, decided_on), letter=letter)
    complaint.stage = Stage.DECIDED if kind == rules.DecisionKind.FIRST else Stage.REVIEWED
    complaint.save(update_fields=["stage"])
    _event(actor, complaint, CaseEventKind.RESOLVED, at, note=decision,
           data={"complaint": f"decided_{kind}", "decision": row.pk, "due": due.isoformat(),
                 "on_time": row.on_time, "letter": key})
    _audit(actor, complaint, "decide", {"kind": kind.value, "on_time": row.on_time, "due": due.isoformat()})
    return row


@transaction.atomic
def complaint_delivery_record(*, actor, complaint: Complaint, channel: str, delivered_at: datetime,
                              reference: str, at: datetime) -> ComplaintDecision:
    """Prove the latest decision's delivery: its channel, the time it reached the customer, the receipt's reference
    (a registered-post number, a signed receipt, a message id). The review period runs from the delivery."""
    complaint = _locked(complaint)
    _handler(actor, complaint)
    _need_stage(complaint, Stage.DECIDED, Stage.REVIEWED)
    if channel not in ComplaintDecision.DeliveryChannel.values:
        raise ServiceRefused(_("Choose how the decision was delivered."))
    reference = reference.strip()
    if not reference:
        raise ServiceRefused(_("Give the receipt's reference: the proof that the decision was delivered."))
    if delivered_at > at:
        raise ServiceRefused(_("A delivery cannot be recorded in the future."))
    kind = rules.DecisionKind.FIRST if complaint.stage == Stage.DECIDED else rules.DecisionKind.REVIEW
    row = complaint.decisions.get(kind=kind)
    # the form gives the delivery to the minute: a letter handed over in the minute of the decision is not early
    if delivered_at < row.decided_at.replace(second=0, microsecond=0):
        raise ServiceRefused(_("The decision cannot be delivered before it was made."))
    row.delivery_channel, row.delivered_at, row.delivery_reference = channel, delivered_at, reference[:100]
    row.delivery_recorded_by = acting_staff(actor)
    row.save(update_fields=["delivery_channel", "delivered_at", "delivery_reference", "delivery_recorded_by"])
    if kind == rules.DecisionKind.FIRST:
        complaint.stage = Stage.DELIVERED
        complaint.review_last_day = rules.review_request_last_day(
            limits_for(complaint.case.jurisdiction_id), local_day(complaint.case, delivered_at),
            working_calendar(complaint.case.jurisdiction_id))
    else:
        complaint.stage = Stage.CLOSED
    complaint.save(update_fields=["stage", "review_last_day"])
    data = {"complaint": f"delivered_{kind}", "channel": channel, "delivered_at": delivered_at.isoformat(),
            "reference": row.delivery_reference}
    _event(actor, complaint, CaseEventKind.RESPONDED, at, data=data)
    if kind == rules.DecisionKind.REVIEW:
        _event(actor, complaint, CaseEventKind.CLOSED, at, data={"complaint": "closed"})
    _audit(actor, complaint, "delivery", data)
    return row


@transaction.atomic
def complaint_review_request(*, actor, complaint: Complaint, requested_at: datetime, note: str,
                             at: datetime) -> Complaint:
    """The customer asks for a review of the delivered decision: accepted up to the last day (30 days after the
    delivery, moved past rest days), refused after; the review's decision is due 30 days later."""
    complaint = _locked(complaint)
    _handler(actor, complaint)
    _need_stage(complaint, Stage.DELIVERED)
    if requested_at > at:
        raise ServiceRefused(_("A review request cannot be recorded in the future."))
    requested_on = local_day(complaint.case, requested_at)
    if requested_on > complaint.review_last_day:
        raise ServiceRefused(_("A review could be asked for until %(day)s: the request came too late.")
                             % {"day": complaint.review_last_day.isoformat()})
    complaint.stage = Stage.REVIEW
    complaint.review_requested_on = requested_on
    complaint.review_due = rules.review_due(limits_for(complaint.case.jurisdiction_id), requested_on)
    complaint.save(update_fields=["stage", "review_requested_on", "review_due"])
    _event(actor, complaint, CaseEventKind.REOPENED, at, note=note.strip(),
           data={"complaint": "review_requested", "requested_on": requested_on.isoformat(),
                 "review_due": complaint.review_due.isoformat()})
    _audit(actor, complaint, "review_request", {"review_due": complaint.review_due.isoformat()})
    return complaint
