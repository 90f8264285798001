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
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from lifecrm.core.actors import system
from lifecrm.core.registries import (
    ServedClosed,
    register_path_copy,
    register_served_closed_listener,
    rewrite_path_prefix,
)
from lifecrm.core.services import audit_record, audit_record_many
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
SURVEY_URLCONF = "lifecrm.service.survey_urls"


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


def served_by(staff: Staff | None, fallback: OrgUnit,
              branches: dict[int, OrgUnit] | None = None) -> tuple[OrgUnit | None, OrgUnit, str]:
    """(team, branch, path) of who served: the staff member's unit (else `fallback`), the branch above it (the unit
    itself at head office or a branch). One query for a team's branch, none when `branches` (`team_branches`) has it."""
    unit = staff.org_unit if staff is not None else fallback
    if unit.kind != OrgUnit.Kind.TEAM:
        return None, unit, unit.path
    if branches is not None and unit.pk in branches:
        return unit, branches[unit.pk], unit.path
    ancestors = [int(part) for part in unit.path.strip("/").split("/")[:-1]]
    branch = (OrgUnit.objects.filter(pk__in=ancestors, kind=OrgUnit.Kind.BRANCH).order_by("-path").first()
              or unit.parent)
    return unit, branch, unit.path


def team_branches(teams: list[OrgUnit]) -> dict[int, OrgUnit]:
    """The branch above each of `teams` (by team id), as `served_by` finds it: one query for them all (the teams
    whose path names no branch are left out: `served_by` asks for their parent)."""
    ancestors = {team.pk: [int(part) for part in team.path.strip("/").split("/")[:-1]] for team in teams
                 if team.kind == OrgUnit.Kind.TEAM}
    found = OrgUnit.objects.in_bulk({pk for ids in ancestors.values() for pk in ids}) if ancestors else {}
    branches = {}
    for team_id, ids in ancestors.items():
        candidates = [found[pk] for pk in ids if pk in found and found[pk].kind == OrgUnit.Kind.BRANCH]
        if candidates:
            branches[team_id] = max(candidates, key=lambda unit: len(unit.path))  # the nearest
    return branches


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
    """The survey's address, reversed in its own URLconf (the same path as in the site's: it includes that one)."""
    return settings.LIFECRM_PUBLIC_URL + reverse("survey", urlconf=SURVEY_URLCONF, kwargs={"token": token})


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
    survey, route, token = _decide(subject=subject, customer=customer, kind=kind, at=at,
                                   last=_last_asked_on(customer.pk))
    try:
        with transaction.atomic():
            survey.save()
    except IntegrityError:  # a concurrent closing sent this subject's CSAT first
        return Survey.objects.get(kind=kind, subject_kind=subject.kind, subject_id=subject.id)
    if route is not None:
        survey.detail = _deliver(survey, route, token, customer, _message_key(kind, subject, at))
        Survey.objects.filter(pk=survey.pk).update(detail=survey.detail)
    audit_record(actor=actor, action="create", object_type="service.survey", object_id=survey.pk,
                 after=_audited(survey, subject))
    return survey


def _decide(*, subject: SurveySubject, customer: Customer, kind: SurveyKind, at: datetime, last,
            branches: dict[int, OrgUnit] | None = None) -> tuple[Survey, contacts.Route | None, str]:
    """The survey row (not saved) for `customer` last asked on `last`, the route its link goes by (None: not sent,
    the row says why) and the link's token."""
    team, branch, path = served_by(subject.staff, subject.unit, branches)
    language = content.language_for(customer, customer.jurisdiction_id)
    survey = Survey(kind=kind, subject_kind=subject.kind, subject_id=subject.id, subject_label=subject.label[:40],
                    customer=customer, staff=subject.staff, team=team, branch=branch, served_path=path,
                    branch_path=customer.branch_path, agent_id=customer.servicing_agent_id, sent_at=at,
                    language=language, status=Survey.Status.SKIPPED)
    route = None
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
    return survey, route, token


def _audited(survey: Survey, subject: SurveySubject) -> dict:
    return {"status": survey.status, "kind": SurveyKind(survey.kind).value, "subject": f"{subject.kind}#{subject.id}",
            "staff": subject.staff.pk if subject.staff else None, "channel": survey.channel,
            "skip_reason": survey.skip_reason}


@transaction.atomic
def nps_surveys_send(*, customer_ids: list[int], at: datetime, actor=SURVEYS) -> int:
    """The periodic NPS of the customers of `customer_ids` (not anonymised), each as `survey_send` would send it, in
    a number of queries that does not grow with them (a daily chunk's): the customers locked and read in one query,
    when each was last asked in one, the teams' branches in one, the surveys in one INSERT, their messages in one
    INSERT into the outbox (`messages_queue`), their audit rows in one. Returns how many were sent."""
    customers = list(Customer.objects.select_for_update(of=("self",))
                     .filter(pk__in=customer_ids, anonymised_on__isnull=True)
                     .select_related("servicing_agent__org_unit", "branch").order_by("pk"))
    if not customers:
        return 0
    last_asked = {customer_id: timezone.localdate(last) for customer_id, last in (
        Survey.objects.filter(customer_id__in=[c.pk for c in customers], status=Survey.Status.SENT)
        .values("customer_id").annotate(last=Max("sent_at")).values_list("customer_id", "last"))}
    subjects = [nps_subject(customer) for customer in customers]
    branches = team_branches([s.staff.org_unit if s.staff is not None else s.unit for s in subjects])
    surveys, messages = [], []
    for subject, customer in zip(subjects, customers, strict=True):
        survey, route, token = _decide(subject=subject, customer=customer, kind=SurveyKind.NPS, at=at,
                                       last=last_asked.get(customer.pk), branches=branches)
        if route is not None:
            key = _message_key(SurveyKind.NPS, subject, at)
            messages.append(_message(survey, route, token, customer, key))
            survey.detail = f"{route.channel} {key} in the outbox"
        surveys.append(survey)
    Survey.objects.bulk_create(surveys)
    outbox.messages_queue(app=OUTBOX_APP, messages=messages, at=at)
    audit_record_many(actor=actor, action="create", object_type="service.survey",
                      entries=[(survey.pk, None, _audited(survey, subject))
                               for survey, subject in zip(surveys, subjects, strict=True)])
    return sum(survey.status == Survey.Status.SENT for survey in surveys)


def _message(survey: Survey, route: contacts.Route, token: str, customer: Customer, key: str) -> outbox.Outgoing:
    """The survey's link as the customer's SMS or e-mail, in their language."""
    language = survey.language
    context = {"company": content.company_name(language), "salutation": content.salutation(customer, language),
               "link": survey_link(token), "reference": survey.subject_label,
               "about": csat_subject_name(survey.subject_kind),  # "case", "request" or "claim": the texts name it
               "valid_until": content.format_date(timezone.localdate(survey.expires_at), language)}
    parts = ("sms",) if route.channel == contacts.SMS else content.WRITTEN
    message = content.render(names=[MESSAGES + survey.kind], language=language, context=context, parts=parts)
    return outbox.Outgoing(key=key, channel=route.channel, address=route.address, language=language,
                           subject=message.subject if route.channel == contacts.EMAIL else "",
                           body=message.sms if route.channel == contacts.SMS else message.body,
                           template=MESSAGES + survey.kind, customer_id=customer.pk,
                           jurisdiction=customer.jurisdiction_id)


def _deliver(survey: Survey, route: contacts.Route, token: str, customer: Customer, key: str) -> str:
    m = _message(survey, route, token, customer, key)
    # the outbox sends it (retries, quiet hours) and shows its delivery status on the customer's timeline
    outbox.message_queue(app=OUTBOX_APP, key=m.key, channel=m.channel, address=m.address, language=m.language,
                         subject=m.subject, body=m.body, template=m.template, customer_id=m.customer_id,
                         jurisdiction=m.jurisdiction, at=survey.sent_at)
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
