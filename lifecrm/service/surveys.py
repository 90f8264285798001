"""Satisfaction surveys' writes: sending a CSAT when a case, a servicing request or a claim closes, the
periodic NPS, and the customer's answer through the link (no login, one-time token).

A survey's subject is generic (`SurveySubject`: a kind such as "service.case", an id, the customer, who served);
another app announces its closing (`core.registries.served_closed_announce`) and the listener here sends it. Who served (staff member, team, branch) is fixed on the row when it is
sent. A customer is asked at most once in `LIFECRM_SURVEY_MIN_DAYS` days: a survey not sent is recorded with its
reason (`Survey.Skip`), so a rerun does not ask again and the reports can count what was not asked."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from lifecrm.core.actors import system
from lifecrm.core.registries import (
    ServedClosed,
    register_path_copy,
    register_served_closed_listener,
    rewrite_path_prefix,
)
from lifecrm.core.services import audit_record
from lifecrm.notifications import contacts, content
from lifecrm.notifications import services as outbox
from lifecrm.org.models import OrgUnit, Staff
from lifecrm.parties.models import Customer
from lifecrm.service.models import Case, Survey
from lifecrm.service.rules import (
    COMMENT_MAX_LENGTH,
    OUTBOX_APP,
    SurveyKind,
    csat_subject_name,
    may_ask,
    score_valid,
    token_digest,
)

SURVEYS = system("surveys")
SURVEY_LINK = system("survey-link")  # the customer, answering through the link (no login)
MESSAGES = "service/messages/survey-"
CASE_SUBJECT = "service.case"
NPS_SUBJECT = "parties.customer"


class SurveyRefused(ValueError):
    """An answer that cannot be taken: `reason` is "unknown" (no such link, or it expired: the customer is told the
    same for both), "answered" (the link was used) or "invalid" (a score out of range, a comment too long)."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


@dataclass(frozen=True)
class SurveySubject:
    """What a survey asks about: `kind` names the app's object ("service.case", "servicing.request",
    "claims.claim"), `id` its primary key, `label` the reference the customer knows it by (a case number)."""

    kind: str
    id: int
    label: str
    customer: Customer
    staff: Staff | None  # who served: the case's handler when it closed
    unit: OrgUnit  # where it was served when nobody is named (the case's unit)


def served_by(staff: Staff | None, fallback: OrgUnit) -> tuple[OrgUnit | None, OrgUnit, str]:
    """(team, branch, path) of who served: the staff member's unit (else `fallback`), the branch above it (the unit
    itself at head office or a branch). One query for a team's branch."""
    unit = staff.org_unit if staff is not None else fallback
    if unit.kind != OrgUnit.Kind.TEAM:
        return None, unit, unit.path
    ancestors = [int(part) for part in unit.path.strip("/").split("/")[:-1]]
    branch = (OrgUnit.objects.filter(pk__in=ancestors, kind=OrgUnit.Kind.BRANCH).order_by("-path").first()
              or unit.parent)
    return unit, branch, unit.path


def _last_asked_on(customer_id: int):
    last = (Survey.objects.filter(customer_id=customer_id, status=Survey.Status.SENT).order_by("-sent_at")
            .values_list("sent_at", flat=True).first())
    return timezone.localdate(last) if last is not None else None


def _route(customer: Customer) -> contacts.Route | None:
    """The customer's preferred written channel that can carry a link: SMS or e-mail, never a letter."""
    wanted = contacts.PREFERRED.get(customer.preferred_channel, contacts.SMS)
    route = contacts.route_for(customer, contacts.SMS if wanted == contacts.LETTER else wanted)
    return route if route is not None and route.channel != contacts.LETTER else None


def _message_key(kind: SurveyKind, subject: SurveySubject, at: datetime) -> str:
    if kind == SurveyKind.NPS:
        return f"survey-nps-{subject.customer.pk}-{timezone.localdate(at):%Y%m%d}"
    return f"survey-{kind.value}-{subject.kind}-{subject.id}"


def survey_link(token: str) -> str:
    return settings.LIFECRM_PUBLIC_URL + reverse("survey", kwargs={"token": token})


@transaction.atomic
def survey_send(*, subject: SurveySubject, kind: SurveyKind | str, at: datetime, actor=SURVEYS) -> Survey:
    """Send `subject`'s customer a survey of `kind` (its link by SMS or e-mail, as the customer prefers), or record
    why none was sent. A CSAT is sent once per subject: a second call returns the first survey."""
    kind = SurveyKind(kind)
    customer = Customer.objects.select_for_update().get(pk=subject.customer.pk)  # one survey decision at a time
    if kind == SurveyKind.CSAT:
        existing = Survey.objects.filter(kind=kind, subject_kind=subject.kind, subject_id=subject.id).first()
        if existing is not None:
            return existing
    team, branch, path = served_by(subject.staff, subject.unit)
    language = content.language_for(customer, customer.jurisdiction_id)
    survey = Survey(kind=kind, subject_kind=subject.kind, subject_id=subject.id, subject_label=subject.label[:40],
                    customer=customer, staff=subject.staff, team=team, branch=branch, served_path=path,
                    branch_path=customer.branch_path, agent_id=customer.servicing_agent_id, sent_at=at,
                    language=language, status=Survey.Status.SKIPPED)
    route = None
    last = _last_asked_on(customer.pk)
    if customer.anonymised_on is not None:
        survey.skip_reason = Survey.Skip.ANONYMISED
    elif not may_ask(last_asked_on=last, on=timezone.localdate(at), min_days=settings.LIFECRM_SURVEY_MIN_DAYS):
        survey.skip_reason = Survey.Skip.TOO_SOON
        survey.detail = f"last asked on {last}"
    elif (route := _route(customer)) is None:
        survey.skip_reason = Survey.Skip.NO_CONTACT
    token = ""
    if route is not None:
        token = secrets.token_urlsafe(24)
        survey.status, survey.channel = Survey.Status.SENT, route.channel
        survey.token_hash = token_digest(token)
        survey.expires_at = at + timedelta(days=settings.LIFECRM_SURVEY_VALID_DAYS)
    try:
        with transaction.atomic():
            survey.save()
    except IntegrityError:  # a concurrent closing sent this subject's CSAT first
        return Survey.objects.get(kind=kind, subject_kind=subject.kind, subject_id=subject.id)
    if route is not None:
        survey.detail = _deliver(survey, route, token, customer, _message_key(kind, subject, at))
        Survey.objects.filter(pk=survey.pk).update(detail=survey.detail)
    audit_record(actor=actor, action="create", object_type="service.survey",
                 object_id=survey.pk, after={"status": survey.status, "kind": kind.value, "subject": f"{subject.kind}#{subject.id}",
                                             "staff": subject.staff.pk if subject.staff else None,
                                             "channel": survey.channel, "skip_reason": survey.skip_reason})
    return survey


def _deliver(survey: Survey, route: contacts.Route, token: str, customer: Customer, key: str) -> str:
    language = survey.language
    context = {"company": content.company_name(language), "salutation": content.salutation(customer, language),
               "link": survey_link(token), "reference": survey.subject_label,
               "about": csat_subject_name(survey.subject_kind),  # "case", "request" or "claim": the texts name it
               "valid_until": content.format_date(timezone.localdate(survey.expires_at), language)}
    parts = ("sms",) if route.channel == contacts.SMS else content.WRITTEN
    message = content.render(names=[MESSAGES + survey.kind], language=language, context=context, parts=parts)
    # the outbox sends it (retries, quiet hours) and shows its delivery status on the customer's timeline
    outbox.message_queue(app=OUTBOX_APP, key=key, channel=route.channel, address=route.address, language=language,
                         subject=message.subject if route.channel == contacts.EMAIL else "",
                         body=message.sms if route.channel == contacts.SMS else message.body,
                         template=MESSAGES + survey.kind, customer_id=customer.pk,
                         jurisdiction=customer.jurisdiction_id, at=survey.sent_at)
    return f"{route.channel} {key} in the outbox"


def case_subject(case: Case) -> SurveySubject:
    """A closed case as a survey's subject: its handler at this moment is who served."""
    return SurveySubject(kind=CASE_SUBJECT, id=case.pk, label=case.number, customer=case.customer,
                         staff=case.assignee, unit=case.branch)


def survey_send_for_case(case: Case, at: datetime) -> Survey:
    """The CSAT of a case that closed at `at` (called by `services.case_event_append` in its transaction)."""
    case = Case.objects.select_related("customer", "assignee__org_unit", "branch").get(pk=case.pk)
    return survey_send(subject=case_subject(case), kind=SurveyKind.CSAT, at=at)


@register_served_closed_listener("service.csat")
def survey_send_for_served_closed(event: ServedClosed) -> Survey:
    """The CSAT of what another app closed (a servicing request, a claim: `core.registries.served_closed_announce`),
    under the same rules as a case's: once per subject, at most once per customer in LIFECRM_SURVEY_MIN_DAYS."""
    return survey_send(subject=SurveySubject(kind=event.kind, id=event.id, label=event.label, customer=event.customer,
                                             staff=event.staff, unit=event.unit), kind=SurveyKind.CSAT, at=event.at)


def nps_subject(customer: Customer) -> SurveySubject:
    """The periodic NPS: about the relationship, credited to the customer's servicing agent and unit."""
    agent = customer.servicing_agent if customer.servicing_agent_id and customer.servicing_agent.is_active else None
    return SurveySubject(kind=NPS_SUBJECT, id=customer.pk, label="", customer=customer, staff=agent,
                         unit=customer.branch)


@transaction.atomic
def survey_answer(*, token: str, score: int, comment: str, at: datetime) -> Survey:
    """Record the customer's answer through the link. The token works once and until the link expires; an unknown
    or expired link is refused alike ("unknown"), a used one as "answered"; nothing is written then."""
    survey = (Survey.objects.select_for_update().filter(token_hash=token_digest(token), status=Survey.Status.SENT)
              .first() if token else None)
    if survey is None or survey.expires_at <= at:
        raise SurveyRefused("unknown")
    if survey.answered_at is not None:
        raise SurveyRefused("answered")
    comment = comment.strip()
    if not score_valid(SurveyKind(survey.kind), score) or len(comment) > COMMENT_MAX_LENGTH:
        raise SurveyRefused("invalid")
    survey.score, survey.comment, survey.answered_at = score, comment, at
    survey.save(update_fields=["score", "comment", "answered_at"])
    audit_record(actor=SURVEY_LINK, action="update", object_type="service.survey", object_id=survey.pk,
                 after={"score": score})
    return survey


@register_path_copy("service.survey")
def survey_paths_rewrite(*, old_prefix: str, new_prefix: str, chunk_size: int) -> int:
    """An org unit moved (`org.services.org_unit_move`): the copies of its path on surveys follow (the customer's
    unit, and the serving unit the reports are scoped by)."""
    return sum(rewrite_path_prefix(Survey, field, old_prefix=old_prefix, new_prefix=new_prefix, chunk_size=chunk_size)
               for field in ("branch_path", "served_path"))
