"""Every write of claims: report, documents, the missing-documents notice, assessment, decision (maker-checker),
refusal notice, payees and payment. Each takes `actor` and `as_of`, checks the actor's grant and data scope itself
(`org.access.authorize`: deny by default), writes the claim's event log and the audit trail, and is one transaction.

Errors the staff member sees are `ClaimRefused` with a translated message (and the input it is about).
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lifecrm.banking.models import BankFile
from lifecrm.banking.services import transfer_status_import
from lifecrm.banking.transfers import transfer_reissue, transfers_send
from lifecrm.claims import checklists, notices, rules
from lifecrm.claims.models import (
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimFinding,
    ClaimNotice,
    ClaimPolicy,
    ClaimRenunciation,
    Payout,
)
from lifecrm.claims.payout_results import PAYOUT_PREFIX, PayoutResults
from lifecrm.claims.rules import ClaimStatus, Outcome
from lifecrm.core.actors import audit_user, on_behalf, trusted
from lifecrm.core.money import split_by_shares, to_cents
from lifecrm.core.registries import ServedClosed, served_closed_announce
from lifecrm.core.rules import Period
from lifecrm.core.selectors import RuleNotDefined, jurisdiction_rule, working_calendar
from lifecrm.core.services import Refused, audit_record
from lifecrm.org.access import AccessDenied, Action, authorize
from lifecrm.org.models import Staff
from lifecrm.org.selectors import acting_staff
from lifecrm.parties.models import Customer
from lifecrm.policies import loans
from lifecrm.policies import services as policy_services
from lifecrm.policies.models import Beneficiary, Coverage, Policy, PolicyEvent, PolicyVersion
from lifecrm.policies.rules import PREMIUM_PAYING, TERMINAL, Status
from lifecrm.products.models import Product

APPROVAL_THRESHOLDS = {"CNY": Decimal("100000"), "HKD": Decimal("100000"), "TWD": Decimal("500000")}
"""A decision to pay this much or more needs a checker (not the maker); `settings.CLAIMS_APPROVAL_THRESHOLDS`
overrides it per currency."""


class ClaimRefused(Refused):
    """A claims write that cannot be done; the message says why in the staff member's language; `field` names the
    input it is about."""


# -- helpers ---------------------------------------------------------------------------------------------------

def _rule(jurisdiction: str, key: str):
    try:
        return jurisdiction_rule(jurisdiction, key)
    except RuleNotDefined:
        return None


def _period(jurisdiction: str, key: str) -> Period | None:
    row = _rule(jurisdiction, key)
    return row.period if row else None


def approval_threshold(currency: str) -> Decimal:
    configured = getattr(settings, "CLAIMS_APPROVAL_THRESHOLDS", None) or APPROVAL_THRESHOLDS
    return Decimal(configured.get(currency, APPROVAL_THRESHOLDS["CNY"]))


def _append(claim: Claim, *, actor, kind: str, on: date, note: str = "", data: dict | None = None) -> ClaimEvent:
    last = ClaimEvent.objects.filter(claim=claim).aggregate(m=Max("seq"))["m"] or 0
    return ClaimEvent.objects.create(claim=claim, seq=last + 1, kind=kind, at=timezone.now(), on=on,
                                     actor=audit_user(actor), note=note, data=data)


def _lock(claim_id: int) -> Claim:
    claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
    if claim is None:
        raise Claim.DoesNotExist(f"no claim with id {claim_id}")
    return claim


def _move(claim: Claim, target: str) -> None:
    try:
        rules.check_transition(claim.status, target)
    except rules.TransitionRefused:
        raise ClaimRefused(_("A claim that is %(status)s cannot be moved to %(target)s.") % {
            "status": claim.get_status_display(), "target": dict(Claim._meta.get_field("status").choices)[target]}
        ) from None
    claim.status = target


def _notice_reached_on(claim: Claim) -> date | None:
    notice = claim.notices.filter(kind=ClaimNotice.Kind.MISSING_DOCUMENTS).first()
    return notice.reached_on if notice else None


def clocks_refresh(claim: Claim) -> None:
    """Recompute the claim's clocks from its dates and its jurisdiction's rules (no save)."""
    j = claim.jurisdiction_id
    try:
        calendar = working_calendar(j)
        found = rules.clocks(
            first_receipt=claim.first_receipt, documents_complete_on=claim.documents_complete_on,
            notice_reached_on=_notice_reached_on(claim), simple=claim.small,
            decided_on=claim.decided_on, outcome=claim.outcome or None,
            decision=_period(j, "claim_decision_complex"), simple_decision=_period(j, "claim_decision_simple"),
            advance=_period(j, "claim_advance_payment"), refusal_notice=_period(j, "claim_refusal_notice"),
            payment=_period(j, "claim_payment"), calendar=calendar,
            payment_after_documents=_period(j, "claim_payment_after_documents"))
    except LookupError:  # a working-day clock in a year the calendar does not hold: no date rather than a guess
        found = rules.Clocks()
    claim.decision_due, claim.simple_decision_due = found.decision_due, found.simple_decision_due
    claim.advance_payment_due, claim.refusal_notice_due = found.advance_payment_due, found.refusal_notice_due
    claim.payment_due, claim.clock_stopped = found.payment_due, found.stopped
    claim.next_due = next_deadline(claim)


def next_deadline(claim: Claim) -> date | None:
    """The deadline the claim's handler works to now: the decision (the fast track's, when earlier; where payment
    is due a period after the documents, that) before it is decided; the refusal notice or the payment after."""
    if claim.status in rules.BEFORE_DECISION:
        dues = [d for d in (claim.decision_due, claim.simple_decision_due, claim.payment_due) if d is not None]
        return min(dues) if dues else None
    if claim.status == ClaimStatus.DECIDED:
        return claim.refusal_notice_due if claim.outcome == Outcome.DECLINED else claim.payment_due
    return None


def _save(claim: Claim) -> None:
    clocks_refresh(claim)
    claim.version += 1
    claim.save()


def missing_documents(claim: Claim) -> list[ClaimDocument]:
    return [d for d in claim.documents.order_by("id") if d.received_on is None]


# -- report ----------------------------------------------------------------------------------------------------

@transaction.atomic
def claim_report(*, actor, insured: Customer, claim_type: str, cause: str, event_date: date, channel: str,
                 reported_at: datetime, as_of: date, claimant_name: str, claimant_phone: str = "",
                 claimant_relation: str = "", description: str = "", amount_claimed: Decimal | None = None,
                 claimant_email: str = "", claimant_address: str = "", claimant_language: str = "") -> Claim:
    """Take a claim in, on any channel at any hour: linked to every policy of the insured (proposals aside), with
    its document checklist, its clocks from the first receipt (`as_of`), scoped like the insured."""
    authorize(actor, Action.REPORT_CLAIM, insured)
    try:
        kind, why = rules.ClaimType(claim_type), rules.Cause(cause)
    except ValueError:
        raise ClaimRefused(_("Choose a claim type and a cause from the lists."), field="claim_type") from None
    if kind == rules.ClaimType.MATURITY:
        why = rules.Cause.NONE
    elif why == rules.Cause.NONE:
        raise ClaimRefused(_("Say what caused the event: illness, accident or suicide."), field="cause")
    if why == rules.Cause.SUICIDE and kind != rules.ClaimType.DEATH:
        raise ClaimRefused(_("Suicide is a cause of a death claim only."), field="cause")
    if event_date > as_of:
        raise ClaimRefused(_("The event date cannot be after today's business date."), field="event_date")
    if insured.birth_date and event_date < insured.birth_date:
        raise ClaimRefused(_("The event date is before the insured's birth."), field="event_date")
    if not claimant_name.strip():
        raise ClaimRefused(_("Name the claimant."), field="claimant_name")
    if amount_claimed is not None and amount_claimed <= 0:
        raise ClaimRefused(_("An amount claimed is more than zero."), field="amount_claimed")
    claimant_email = claimant_email.strip()
    if claimant_email:
        try:
            validate_email(claimant_email)
        except ValidationError:
            raise ClaimRefused(_("Give the claimant's e-mail as name@example.com."), field="claimant_email") from None
    if claimant_language and claimant_language not in dict(settings.LANGUAGES):
        raise ClaimRefused(_("Choose the claimant's language from the list."), field="claimant_language")
    policies = list(Policy.objects.filter(insured=insured).exclude(status=Status.PROPOSAL).order_by("number"))
    if not policies:
        raise ClaimRefused(_("%(name)s is the insured of no policy.") % {"name": insured.name}, field="insured")
    jurisdiction = policies[0].jurisdiction_id
    threshold = _rule(jurisdiction, "small_claim_threshold")
    small = bool(threshold) and rules.is_small_claim(amount_claimed, threshold.amount)
    staff = acting_staff(actor)
    claim = Claim.objects.create(
        number=f"~{uuid.uuid4().hex[:15]}", claim_type=kind, cause=why, insured=insured,
        claimant_name=claimant_name.strip()[:100], claimant_phone=claimant_phone.strip()[:20],
        claimant_relation=claimant_relation.strip()[:40], claimant_email=claimant_email[:254],
        claimant_address=claimant_address.strip()[:200], claimant_language=claimant_language, event_date=event_date, description=description.strip(),
        channel=channel, reported_at=reported_at, first_receipt=as_of, reported_by=staff,
        handler=staff if staff and staff.role == "claims" else None, jurisdiction_id=jurisdiction,
        currency=policies[0].currency, amount_claimed=amount_claimed, small=small,
        branch_id=insured.branch_id, branch_path=insured.branch_path, agent_id=insured.servicing_agent_id)
    claim.number = f"CL{claim.pk:08d}"
    ClaimPolicy.objects.bulk_create(ClaimPolicy(claim=claim, policy=p) for p in policies)
    ClaimDocument.objects.bulk_create(ClaimDocument(claim=claim, code=code)
                                      for code in checklists.checklist(kind, cause=why, small=small))
    _save(claim)
    _append(claim, actor=actor, kind="reported", on=as_of, note=claim.description,
            data={"channel": channel, "type": kind.value, "policies": [p.number for p in policies]})
    audit_record(actor=actor, action="create", object_type="claims.claim", object_id=claim.pk,
                 after={"number": claim.number, "type": kind.value, "insured": insured.pk, "event": str(event_date)})
    return claim


@transaction.atomic
def claim_assign(*, actor, claim_id: int, handler: Staff, as_of: date) -> Claim:
    claim = _lock(claim_id)
    authorize(actor, Action.HANDLE_CLAIM, claim)
    if handler.role not in ("claims", "hq", "branch") or not handler.is_active:
        raise ClaimRefused(_("Only an active claims handler or manager can handle a claim."), field="handler")
    before = claim.handler_id
    claim.handler = handler
    _save(claim)
    _append(claim, actor=actor, kind="assigned", on=as_of, data={"handler": handler.pk})
    audit_record(actor=actor, action="update", object_type="claims.claim", object_id=claim.pk,
                 before={"handler": before}, after={"handler": handler.pk})
    return claim


# -- documents and the one missing-documents notice -----------------------------------------------------------

@transaction.atomic
def claim_documents_receive(*, actor, claim_id: int, codes: list[str], received_on: date, as_of: date) -> Claim:
    """Record documents of the checklist as received on `received_on`; when the last one is in, the documents are
    complete on that day (the clocks start or run again) and the claim moves on to assessment."""
    claim = _lock(claim_id)
    authorize(actor, Action.HANDLE_CLAIM, claim)
    if claim.status not in rules.BEFORE_DECISION:
        raise ClaimRefused(_("The claim is decided: its documents are closed."))
    if received_on > as_of or received_on < claim.first_receipt:
        raise ClaimRefused(_("A document is received between the claim's first receipt and today."),
                           field="received_on")
    wanted = set(codes)
    rows = {d.code: d for d in claim.documents.filter(code__in=wanted)}
    if not wanted or set(rows) != wanted:
        raise ClaimRefused(_("Choose documents of this claim's checklist."), field="codes")
    fresh = [d for d in rows.values() if d.received_on is None]
    for document in fresh:
        document.received_on = received_on
    ClaimDocument.objects.bulk_update(fresh, ["received_on"])
    if not missing_documents(claim) and claim.documents_complete_on is None:
        claim.documents_complete_on = received_on
        if claim.status in (ClaimStatus.REPORTED, ClaimStatus.DOCUMENTS_PENDING):
            _move(claim, ClaimStatus.ASSESSING)
    _save(claim)
    _append(claim, actor=actor, kind="documents_received", on=as_of,
            data={"documents": sorted(d.code for d in fresh), "received_on": str(received_on)})
    audit_record(actor=actor, action="update", object_type="claims.claim", object_id=claim.pk,
                 after={"received": sorted(d.code for d in fresh), "on": str(received_on)})
    return claim


def _notice_text(claim: Claim, codes: list[str]) -> str:
    with translation.override(claim.insured.preferred_language or "zh-hans"):
        items = "; ".join(checklists.document_label(code) for code in codes)
        return _("Claim %(number)s: to decide your claim we need, all at once: %(items)s. The time you take to send "
                 "them does not count towards our decision period.") % {"number": claim.number, "items": items}


@transaction.atomic
def claim_missing_notice_send(*, actor, claim_id: int, as_of: date, reached_on: date | None = None) -> ClaimNotice:
    """The one notice listing every missing document (Insurance Law Art. 22): a second is refused. It goes to the
    claimant by SMS through the notifications outbox; `reached_on` (default: the day it is sent) stops the
    decision clock until the documents are in."""
    claim = _lock(claim_id)
    authorize(actor, Action.HANDLE_CLAIM, claim)
    if claim.notices.filter(kind=ClaimNotice.Kind.MISSING_DOCUMENTS).exists():
        raise ClaimRefused(_("The missing-documents notice has been sent: the law allows one notice listing "
                             "everything, not a second."))
    missing = missing_documents(claim)
    if not missing:
        raise ClaimRefused(_("No document is missing."))
    reached_on = reached_on or as_of
    if reached_on < as_of:
        raise ClaimRefused(_("A notice cannot reach the claimant before it is sent."), field="reached_on")
    codes = [d.code for d in missing]
    text = _notice_text(claim, codes)
    key = ""
    if claim.claimant_phone:
        from lifecrm.notifications.services import message_queue

        key = f"claims:{claim.number}:missing-documents"
        message_queue(app="claims", key=key, channel="sms", address=claim.claimant_phone,
                      language=claim.insured.preferred_language, body=text, at=timezone.now(),
                      customer_id=claim.insured_id, jurisdiction=claim.jurisdiction_id)
    notice = ClaimNotice.objects.create(claim=claim, kind=ClaimNotice.Kind.MISSING_DOCUMENTS, sent_on=as_of,
                                        reached_on=reached_on, documents=codes, text=text, outbox_key=key)
    ClaimDocument.objects.filter(pk__in=[d.pk for d in missing]).update(requested_on=as_of)
    if claim.status == ClaimStatus.REPORTED:
        _move(claim, ClaimStatus.DOCUMENTS_PENDING)
    _save(claim)
    _append(claim, actor=actor, kind="missing_documents_notice", on=as_of, note=text, data={"documents": codes})
    audit_record(actor=actor, action="create", object_type="claims.notice", object_id=notice.pk,
                 after={"claim": claim.number, "documents": codes})
    return notice


# -- assessment ------------------------------------------------------------------------------------------------

def _journal(policy_ids: list[int]) -> dict[int, list[rules.StatusChange]]:
    changes: dict[int, list[rules.StatusChange]] = defaultdict(list)
    for policy_id, seq, day, to_status in (PolicyEvent.objects.filter(policy_id__in=policy_ids)
                                           .exclude(to_status="").values_list("policy_id", "seq", "effective_date",
                                                                              "to_status")):
        changes[policy_id].append(rules.StatusChange(seq, day, to_status))
    return changes


def _version_on(policy_id: int, day: date) -> PolicyVersion | None:
    return (PolicyVersion.objects.filter(policy_id=policy_id, effective_from__lte=day)
            .order_by("-effective_from").first())


def _benefit(claim: Claim, version: PolicyVersion | None) -> Decimal | None:
    """What the policy pays for this claim type: the sum assured for death, disability, critical illness and
    maturity; the amount claimed (capped at the sum assured) for hospitalisation."""
    if version is None:
        return None
    if claim.claim_type == rules.ClaimType.HOSPITALISATION:
        return min(claim.amount_claimed or Decimal(0), version.sum_assured)
    return version.sum_assured


@dataclass(frozen=True)
class Found:
    code: str
    severity: str
    detail: dict


@transaction.atomic
def claim_assess(*, actor, claim_id: int, as_of: date) -> Claim:
    """Run the rules on every policy of the claim and store what they find: cover on the event date, waiting
    period, suicide exclusion, rescission window (and the day the cause was learned: `Claim.learned_on`),
    misstated age (`ClaimPolicy.true_annual_premium`), fast track, fraud flags and the limitation. Needs complete
    documents; may run again (and must, after `claim_facts_record`)."""
    claim = _lock(claim_id)
    authorize(actor, Action.HANDLE_CLAIM, claim)
    if claim.status != ClaimStatus.ASSESSING:
        raise ClaimRefused(_("A claim is assessed once its documents are complete and before it is decided."))
    j = claim.jurisdiction_id
    links = list(claim.claim_policies.select_related("policy"))
    journal = _journal([link.policy_id for link in links])
    other_claims = list(Claim.objects.filter(insured=claim.insured).exclude(pk=claim.pk)
                        .values_list("first_receipt", flat=True))
    calendar = working_calendar(j)
    ClaimFinding.objects.filter(claim=claim).delete()
    findings: list[ClaimFinding] = []
    limitation = _period(j, "claim_limitation")
    if limitation and rules.time_barred(event_date=claim.event_date, reported_on=claim.first_receipt,
                                        limitation=limitation, calendar=calendar):
        findings.append(ClaimFinding(claim=claim, code="time_barred", severity=ClaimFinding.Severity.BLOCKS,
                                     detail={"until": str(limitation.end(claim.event_date, calendar))}))
    if claim.small:
        findings.append(ClaimFinding(claim=claim, code="small_claim", severity=ClaimFinding.Severity.INFO,
                                     detail={"threshold": str(_rule(j, "small_claim_threshold").amount)}))
    suicide, formation, learning = (_period(j, "suicide_exclusion"), _period(j, "contestability_after_formation"),
                                    _period(j, "contestability_after_learning"))
    learned_on = claim.learned_on
    for link in links:
        policy, changes = link.policy, journal.get(link.policy_id, [])
        version = _version_on(policy.pk, claim.event_date)
        reinstated = rules.last_reinstatement(changes, claim.event_date)
        cover_start = max(d for d in (policy.issue_date, reinstated) if d)
        found: list[Found] = []
        covered = rules.cover_in_force(changes, claim.event_date)
        if not covered:
            found.append(Found("not_in_force", ClaimFinding.Severity.BLOCKS,
                               {"status": rules.status_on(changes, claim.event_date) or ""}))
        waiting = checklists.WAITING_DAYS[rules.ClaimType(claim.claim_type)]
        if covered and claim.cause == rules.Cause.ILLNESS and rules.in_waiting_period(
                cover_start=cover_start, event_date=claim.event_date, waiting_days=waiting):
            covered = False
            found.append(Found("waiting_period", ClaimFinding.Severity.BLOCKS, {"days": waiting,
                                                                                "from": str(cover_start)}))
        if covered and suicide and rules.suicide_excluded(cause=claim.cause, issue_date=policy.issue_date,
                                                          reinstated_on=reinstated, event_date=claim.event_date,
                                                          period=suicide):
            covered = False
            found.append(Found("suicide_exclusion", ClaimFinding.Severity.BLOCKS,
                               {"until": str(suicide.end(cover_start))}))
        if formation and rules.rescission_possible(issue_date=policy.issue_date, as_of=as_of,
                                                   after_formation=formation, learned_on=learned_on,
                                                   after_learning=learning):
            found.append(Found("contestable", ClaimFinding.Severity.REVIEW,
                               {"until": str(formation.end(policy.issue_date))}))
        benefit = _benefit(claim, version) if covered else None
        due = link.true_annual_premium
        if benefit is not None and due and version is not None:
            adjusted = rules.misstated_age_benefit(benefit=benefit, premium_paid=version.annual_premium,
                                                   premium_due=due)
            found.append(Found("misstated_age", ClaimFinding.Severity.ADJUSTS, {
                "benefit": str(benefit), "adjusted": str(adjusted), "paid": str(version.annual_premium),
                "due": str(due), "true_birth_date": str(claim.true_birth_date),
                "refund": str(rules.misstated_age_refund(premium_paid=version.annual_premium, premium_due=due))}))
            benefit = adjusted
        increases = []
        if version is not None:
            previous = None
            for v in PolicyVersion.objects.filter(policy=policy, effective_from__lte=claim.event_date).order_by(
                    "effective_from"):
                if previous is not None and v.sum_assured > previous:
                    increases.append(v.effective_from)
                previous = v.sum_assured
        for flag in rules.fraud_flags(event_date=claim.event_date, reported_on=claim.first_receipt,
                                      cover_start=cover_start, sum_assured_increases=increases,
                                      other_claim_dates=other_claims):
            found.append(Found(flag.value, ClaimFinding.Severity.REVIEW, {}))
        link.covered, link.benefit = covered, benefit
        findings += [ClaimFinding(claim=claim, policy=policy, code=f.code, severity=f.severity, detail=f.detail)
                     for f in found]
    ClaimPolicy.objects.bulk_update(links, ["covered", "benefit"])
    ClaimFinding.objects.bulk_create(findings)
    claim.assessed_on = as_of
    _save(claim)
    _append(claim, actor=actor, kind="assessed", on=as_of, data={"findings": [f.code for f in findings]})
    audit_record(actor=actor, action="update", object_type="claims.claim", object_id=claim.pk,
                 after={"assessed": str(as_of), "findings": [f.code for f in findings]})
    return claim


def rescission_lapses_on(claim: Claim) -> date | None:
    """The last day the insurer may rescind for the cause it learned on `learned_on` (CN: 30 days, TW: a month;
    never after the policies' 2 years from formation, shown per policy by the `contestable` finding)."""
    period = _period(claim.jurisdiction_id, "contestability_after_learning")
    return period.end(claim.learned_on) if period and claim.learned_on else None


@transaction.atomic
def claim_facts_record(*, actor, claim_id: int, as_of: date, learned_on: date | None, true_birth_date: date | None,
                       true_premiums: dict[int, Decimal | None]) -> Claim:
    """Record what the assessment reads beyond the policy: the day the insurer learned the cause for rescission,
    the insured's true birth date and, per policy (id → amount; None clears), the annual premium at the true age.
    Before the decision only; a claim assessed already must be assessed again before it is decided."""
    claim = _lock(claim_id)
    authorize(actor, Action.HANDLE_CLAIM, claim)
    if claim.status not in rules.BEFORE_DECISION:
        raise ClaimRefused(_("The claim is decided: the facts of its assessment are closed."))
    links = {link.policy_id: link for link in claim.claim_policies.select_related("policy")}
    if learned_on is not None:
        first_issue = min(link.policy.issue_date for link in links.values())
        if learned_on > as_of or learned_on < first_issue:
            raise ClaimRefused(_("The day the cause was learned is between the policy's issue and today."),
                               field="learned_on")
    if true_birth_date is not None:
        if true_birth_date > claim.event_date:
            raise ClaimRefused(_("The true birth date is before the event."), field="true_birth_date")
        if true_birth_date == claim.insured.birth_date:
            raise ClaimRefused(_("That is the birth date on file: the age was not misstated."),
                               field="true_birth_date")
    if set(true_premiums) - set(links):
        raise ClaimRefused(_("Give premiums of this claim's policies only."), field="true_premiums")
    given = {pk: amount for pk, amount in true_premiums.items() if amount is not None}
    if any(amount <= 0 or amount != to_cents(amount) for amount in given.values()):
        raise ClaimRefused(_("A premium at the true age is an amount above zero, in cents."), field="true_premiums")
    if given and true_birth_date is None:
        raise ClaimRefused(_("Give the true birth date with the premiums at the true age."), field="true_birth_date")
    before = {"learned_on": str(claim.learned_on or ""), "true_birth_date": str(claim.true_birth_date or ""),
              "premiums": {pk: str(link.true_annual_premium or "") for pk, link in links.items()}}
    for pk, amount in true_premiums.items():
        links[pk].true_annual_premium = amount
    ClaimPolicy.objects.bulk_update(list(links.values()), ["true_annual_premium"])
    claim.learned_on, claim.true_birth_date = learned_on, true_birth_date
    stale = claim.assessed_on is not None
    claim.assessed_on = None  # the findings no longer hold: assess again
    _save(claim)
    after = {"learned_on": str(learned_on or ""), "true_birth_date": str(true_birth_date or ""),
             "premiums": {pk: str(link.true_annual_premium or "") for pk, link in links.items()}}
    _append(claim, actor=actor, kind="facts_recorded", on=as_of, data=after | {"assess_again": stale})
    audit_record(actor=actor, action="update", object_type="claims.claim", object_id=claim.pk, before=before,
                 after=after)
    return claim


# -- decision: maker and checker ---------------------------------------------------------------------------------

@transaction.atomic
def claim_decide(*, actor, claim_id: int, outcome: str, reasons: str, as_of: date,
                 amounts: dict[int, Decimal] | None = None) -> Claim:
    """The handler's decision with its reasons: approve (each covered policy's benefit), partly approve (`amounts`
    per policy id, each at most its benefit, less in total) or decline. Paying the approval threshold or more
    needs a checker (`claim_decision_check`); anything else is decided at once."""
    claim = _lock(claim_id)
    authorize(actor, Action.HANDLE_CLAIM, claim)
    if claim.status != ClaimStatus.ASSESSING or claim.assessed_on is None:
        raise ClaimRefused(_("A claim is decided after its assessment."))
    try:
        outcome = Outcome(outcome)
    except ValueError:
        raise ClaimRefused(_("Choose approve, partly approve or decline."), field="outcome") from None
    reasons = reasons.strip()
    if not reasons:
        raise ClaimRefused(_("Give the reasons for the decision."), field="reasons")
    links = list(claim.claim_policies.select_related("policy"))
    benefits = {link.policy_id: link.benefit or Decimal(0) for link in links}
    if claim.payouts.filter(status=Payout.Status.HELD).exists():
        raise ClaimRefused(_("An advance of this claim waits for its checker: it is approved or sent back first."))
    if outcome == Outcome.DECLINED:
        approved = {pk: Decimal(0) for pk in benefits}
    elif outcome == Outcome.APPROVED:
        approved = {pk: b for pk, b in benefits.items()}
        if not any(approved.values()):
            raise ClaimRefused(_("No policy of this claim pays a benefit: decline it, with the reasons."),
                               field="outcome")
    else:
        approved = {pk: to_cents(Decimal((amounts or {}).get(pk, 0))) for pk in benefits}
        if any(a < 0 or a > benefits[pk] for pk, a in approved.items()):
            raise ClaimRefused(_("Each policy's amount is between nothing and its benefit."), field="amounts")
        if not any(approved.values()) or sum(approved.values()) >= sum(benefits.values()):
            raise ClaimRefused(_("A partial approval pays something, and less than the whole benefit."),
                               field="amounts")
    for policy_id, advanced in _advanced(claim).items():
        if approved.get(policy_id, Decimal(0)) < advanced:
            raise ClaimRefused(_("%(amount)s was paid in advance on policy %(policy)s: the decision pays at least "
                                 "that on it.") % {"amount": advanced, "policy": Policy.objects.get(pk=policy_id)
                                                   .number}, field="amounts")
    for link in links:
        link.approved_amount = approved[link.policy_id]
    ClaimPolicy.objects.bulk_update(links, ["approved_amount"])
    total = sum(approved.values(), Decimal(0))
    staff = acting_staff(actor)
    claim.outcome, claim.reasons, claim.approved_amount, claim.proposed_by = outcome, reasons, total, staff
    if outcome != Outcome.DECLINED and total >= approval_threshold(claim.currency):
        _move(claim, ClaimStatus.AWAITING_APPROVAL)
        kind = "decision_proposed"
    else:
        _move(claim, ClaimStatus.DECIDED)
        claim.decided_by, claim.decided_on = staff, as_of
        kind = "decided"
    _save(claim)
    _append(claim, actor=actor, kind=kind, on=as_of, note=reasons,
            data={"outcome": outcome.value, "amount": str(total)})
    if kind == "decided":
        _decision_notice(claim, actor=actor, as_of=as_of)
    audit_record(actor=actor, action="update", object_type="claims.claim", object_id=claim.pk,
                 after={"outcome": outcome.value, "amount": str(total), "status": claim.status})
    return claim


@transaction.atomic
def claim_decision_check(*, actor, claim_id: int, approve: bool, as_of: date, note: str = "") -> Claim:
    """The checker's answer to a decision above the threshold: approved, it is the decision from today; sent
    back, the claim returns to assessment. The maker can never check their own decision."""
    claim = _lock(claim_id)
    authorize(actor, Action.APPROVE_CLAIM, claim)
    if claim.status != ClaimStatus.AWAITING_APPROVAL:
        raise ClaimRefused(_("This claim has no decision waiting for a checker."))
    staff = acting_staff(actor)
    if not trusted(actor) and (staff is None or staff.pk == claim.proposed_by_id):
        raise AccessDenied(_("You proposed this decision: another colleague must check it."))
    if approve:
        _move(claim, ClaimStatus.DECIDED)
        claim.decided_by, claim.decided_on = staff, as_of
    else:
        if not note.strip():
            raise ClaimRefused(_("Say why the decision goes back."), field="note")
        _move(claim, ClaimStatus.ASSESSING)
        claim.outcome, claim.approved_amount = "", None
        claim.claim_policies.update(approved_amount=None)
    _save(claim)
    _append(claim, actor=actor, kind="decision_approved" if approve else "decision_returned", on=as_of,
            note=note.strip())
    if approve:
        _decision_notice(claim, actor=actor, as_of=as_of)
    audit_record(actor=actor, action="transition", object_type="claims.claim",
                 object_id=claim.pk, before={"status": ClaimStatus.AWAITING_APPROVAL.value},
                 after={"status": claim.status, "checked": "approved" if approve else "returned"})
    return claim


def _decision_notice(claim: Claim, *, actor, as_of: date) -> None:
    """An approval takes effect: the claimant's decision notice (letter, SMS, e-mail) goes with it."""
    if claim.outcome == Outcome.DECLINED:
        return
    payees = [(p.name, p.amount) for p in payout_plan(claim, as_of=as_of)]
    owed = sum((d.deducted for d in loan_deductions(claim, as_of=as_of).values()), Decimal(0))
    notice = notices.notice_send(claim, kind=ClaimNotice.Kind.DECISION, as_of=as_of, at=timezone.now(),
                                 payees=payees, loans=owed)
    _append(claim, actor=actor, kind="decision_notice", on=as_of, data={"key": notice.outbox_key})
    audit_record(actor=actor, action="create", object_type="claims.notice", object_id=notice.pk,
                 after={"claim": claim.number, "kind": "decision"})


SURVEY_SUBJECT = "claims.claim"  # what a closed claim is to the service desk's surveys


def _announce_closed(claim: Claim) -> None:
    """The claim was paid or closed with its refusal: after the commit, the listeners of `core.registries` hear of
    it (the service desk's CSAT survey, to the insured). A death claim is not announced: its claimant is not the
    customer lifecrm would ask (the survey goes to a customer record), and asking the bereaved is not the insurer's
    place; neither is a withdrawn claim (nobody served it)."""
    insured = claim.insured
    if claim.claim_type == rules.ClaimType.DEATH or insured.date_of_death is not None:
        return
    staff = claim.handler or claim.decided_by
    served_closed_announce(ServedClosed.now(SURVEY_SUBJECT, claim, label=claim.number, customer=insured, staff=staff,
                                            unit=staff.org_unit if staff else insured.branch))


@transaction.atomic
def claim_refusal_notice_send(*, actor, claim_id: int, as_of: date) -> ClaimNotice:
    """The written refusal (Insurance Law Art. 24: within 3 days of the decision): a letter stating the facts, the
    decision, its basis (the reasons and what assessment found) and the claimant's rights, with an SMS and e-mail
    where the claimant gave them (`claims.notices`); the claim closes."""
    claim = _lock(claim_id)
    authorize(actor, Action.HANDLE_CLAIM, claim)
    if claim.status != ClaimStatus.DECIDED or claim.outcome != Outcome.DECLINED:
        raise ClaimRefused(_("Only a declined claim gets a refusal notice."))
    notice = notices.notice_send(claim, kind=ClaimNotice.Kind.REFUSAL, as_of=as_of, at=timezone.now())
    claim.refusal_notice_on = as_of
    _move(claim, ClaimStatus.CLOSED)
    claim.closed_on = as_of
    _save(claim)
    _append(claim, actor=actor, kind="refusal_notice", on=as_of, data={"key": notice.outbox_key})
    audit_record(actor=actor, action="create", object_type="claims.notice", object_id=notice.pk,
                 after={"claim": claim.number, "kind": "refusal"})
    _announce_closed(claim)
    return notice


@transaction.atomic
def claim_withdraw(*, actor, claim_id: int, reason: str, as_of: date) -> Claim:
    """The claimant withdraws the claim before its decision: it ends (`closed_on`), its clocks stop (no deadline
    any more, off every work list), with the reason in its log. A claim with an advance booked is decided, not
    withdrawn."""
    claim = _lock(claim_id)
    authorize(actor, Action.HANDLE_CLAIM, claim)
    if claim.status not in rules.BEFORE_DECISION:
        raise ClaimRefused(_("Only a claim not decided yet can be withdrawn."))
    if claim.payouts.exists():
        raise ClaimRefused(_("An advance of this claim is booked: the claim is decided, not withdrawn."))
    reason = reason.strip()
    if not reason:
        raise ClaimRefused(_("Say how and why the claimant withdrew the claim."), field="reason")
    before = claim.status
    _move(claim, ClaimStatus.WITHDRAWN)
    claim.closed_on, claim.advance_proposed_by = as_of, None
    _save(claim)
    _append(claim, actor=actor, kind="withdrawn", on=as_of, note=reason, data={"from": before})
    audit_record(actor=actor, action="transition", object_type="claims.claim", object_id=claim.pk,
                 before={"status": before}, after={"status": claim.status, "reason": reason})
    return claim


# -- payees and payment ----------------------------------------------------------------------------------------

@transaction.atomic
def claim_beneficiary_renounce(*, actor, claim_id: int, beneficiary_id: int, as_of: date) -> ClaimRenunciation:
    """A beneficiary renounced (or lost) their right to this claim's benefit: their share goes to the others."""
    claim = _lock(claim_id)
    authorize(actor, Action.HANDLE_CLAIM, claim)
    if claim.status not in rules.OPEN_STATUSES or claim.payouts.exists():
        raise ClaimRefused(_("The payees of a paid or closed claim cannot change."))
    beneficiary = Beneficiary.objects.filter(pk=beneficiary_id,
                                             version__policy_id__in=claim.claim_policies.values("policy_id")).first()
    if beneficiary is None:
        raise ClaimRefused(_("That person is no beneficiary of this claim's policies."), field="beneficiary")
    renunciation, _created = ClaimRenunciation.objects.get_or_create(claim=claim, beneficiary=beneficiary,
                                                                     defaults={"recorded_on": as_of})
    _append(claim, actor=actor, kind="renounced", on=as_of, data={"beneficiary": beneficiary.name})
    audit_record(actor=actor, action="create", object_type="claims.renunciation", object_id=renunciation.pk,
                 after={"claim": claim.number, "beneficiary": beneficiary.pk})
    return renunciation


ESTATE = "estate"


def payee_key(*, customer_id: int | None = None, beneficiary_id: int | None = None) -> str:
    """Who a payee is, whatever their name: `customer:<id>` (a customer: the insured, the owner, a beneficiary on
    file), `beneficiary:<id>` (a beneficiary who is no customer), or `estate` (the insured's estate). Bank accounts
    are given by this key, so two payees of one name never share one."""
    if customer_id is not None:
        return f"customer:{customer_id}"
    if beneficiary_id is not None:
        return f"beneficiary:{beneficiary_id}"
    return ESTATE


@dataclass(frozen=True)
class PlannedPayout:
    policy_id: int
    policy_number: str
    beneficiary_id: int | None
    name: str
    share: object  # Fraction
    amount: Decimal
    estate: bool
    payee_key: str


def payees_of(plan: list[PlannedPayout]) -> list[tuple[str, str]]:
    """The plan's payees once each, as (key, name), in the plan's order: whose bank accounts a payment needs."""
    seen: dict[str, str] = {}
    for planned in plan:
        seen.setdefault(planned.payee_key, planned.name)
    return list(seen.items())


@dataclass(frozen=True)
class LoanDeduction:
    """What one policy's benefit loses to the owner's debt on its loans on a day."""

    policy_id: int
    policy_number: str
    benefit: Decimal
    principal: Decimal
    interest: Decimal
    deducted: Decimal

    @property
    def paid(self) -> Decimal:
        return self.benefit - self.deducted


def loan_deductions(claim: Claim, *, as_of: date, amounts: dict[int, Decimal] | None = None
                    ) -> dict[int, LoanDeduction]:
    """By policy id, what each policy's approved amount (or `amounts` by policy id) loses to what the owner owes
    on the policy's loans on `as_of` (policy loans and automatic premium loans, principal and interest:
    `policies.loans`), for a benefit that ends the policy (`rules.LOANS_DEDUCTED`: death, maturity). Policies
    owing nothing, or paying nothing, are not in it. Two queries, whatever the number of policies."""
    if claim.claim_type not in rules.LOANS_DEDUCTED:
        return {}
    links = {link.policy_id: link for link in claim.claim_policies.select_related("policy")}
    wanted = {pk: (link.approved_amount if amounts is None else amounts.get(pk)) or Decimal(0)
              for pk, link in links.items()}
    out: dict[int, LoanDeduction] = {}
    for policy_id, open_loans in loans.loans_by_policy([pk for pk, a in wanted.items() if a > 0]).items():
        owed = loans.position(open_loans, as_of)
        if owed.owed <= 0:
            continue
        _paid, deducted = rules.benefit_less_loans(benefit=wanted[policy_id], owed=owed.owed)
        out[policy_id] = LoanDeduction(policy_id, links[policy_id].policy.number, wanted[policy_id], owed.principal,
                                       owed.interest, deducted)
    return out


def payout_plan(claim: Claim, amounts: dict[int, Decimal] | None = None, *, as_of: date) -> list[PlannedPayout]:
    """Who receives what of each policy's approved amount (or of `amounts` by policy id: an advance): a death benefit by beneficiary order and share
    (`rules.death_payees`: who died first or renounced drops out; nobody left: the insured's estate); a
    disability, illness or hospital benefit the insured; a maturity or survival benefit the owner. A death or
    maturity benefit paid on `as_of` is first reduced by what is owed on the policy's loans that day
    (`loan_deductions`); the payees share what is left. The cents of each policy's amount split by
    `core.money.split_by_shares` (largest remainder, ties to the first listed), so the payees' amounts add up to
    it exactly."""
    plan: list[PlannedPayout] = []
    renounced = set(claim.renunciations.values_list("beneficiary_id", flat=True))
    deductions = loan_deductions(claim, as_of=as_of) if amounts is None else {}
    for link in claim.claim_policies.select_related("policy", "policy__owner").order_by("policy__number"):
        amount = (link.approved_amount if amounts is None else amounts.get(link.policy_id)) or Decimal(0)
        if link.policy_id in deductions:
            amount = deductions[link.policy_id].paid
        if amount <= 0:
            continue
        policy = link.policy
        if claim.claim_type == rules.ClaimType.DEATH:
            version = _version_on(policy.pk, claim.event_date)
            rows = list(version.beneficiaries.select_related("customer").order_by("order", "id")) if version else []
            facts = [rules.BeneficiaryFacts(
                key=b.pk, name=b.name, order=b.order, share=rules.as_fraction(b.share),
                died_first=bool(b.customer and b.customer.date_of_death
                                and b.customer.date_of_death <= claim.event_date),
                renounced=b.pk in renounced) for b in rows]
            customers = {b.pk: b.customer_id for b in rows}
            payees = rules.death_payees(facts, estate_name=_("the estate of %(name)s") % {"name": claim.insured.name})
            keys = [payee_key(customer_id=customers[p.key], beneficiary_id=p.key) if p.key is not None else ESTATE
                    for p in payees]
        else:
            person_paid = policy.owner if claim.claim_type == rules.ClaimType.MATURITY else claim.insured
            payees = [rules.Payee(None, person_paid.name, Fraction(1))]
            keys = [payee_key(customer_id=person_paid.pk)]
        for payee, key, part in zip(payees, keys, split_by_shares(amount, [p.share for p in payees]), strict=True):
            plan.append(PlannedPayout(policy.pk, policy.number, payee.key, payee.name, payee.share, part,
                                      payee.estate, key))
    return plan


def _advanced(claim: Claim) -> dict[int, Decimal]:
    """What each policy of the claim paid in advance (approved advances: held ones are not paid yet)."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for policy_id, amount in claim.payouts.filter(advance=True).exclude(status=Payout.Status.HELD).values_list(
            "policy_id", "amount"):
        totals[policy_id] += amount
    return dict(totals)


@transaction.atomic
def claim_advance_pay(*, actor, claim_id: int, amounts: dict[int, Decimal], accounts: dict[str, Account],
                      reasons: str, as_of: date) -> BankFile | None:
    """Pay in advance the amount that can be determined while the total is still open (Insurance Law Art. 25):
    from the day after the `claim_advance_payment` clock (60 days after the claim and its documents) until the
    decision, once per claim. `amounts` by policy id, each at most the policy's assessed benefit, go to the payees
    of `payout_plan` (accounts by payee key). Below the approval threshold it goes out at once in a pain.001 file;
    at or above it the payouts are held for a checker (`claim_advance_check`). The final payout deducts it."""
    claim = _lock(claim_id)
    authorize(actor, Action.HANDLE_CLAIM, claim)
    if claim.status not in (ClaimStatus.ASSESSING, ClaimStatus.AWAITING_APPROVAL) or claim.assessed_on is None:
        raise ClaimRefused(_("An advance is paid on an assessed claim before its decision."))
    if not rules.advance_payment_owed(advance_due=claim.advance_payment_due, as_of=as_of, decided=False):
        raise ClaimRefused(_("An advance is paid when the claim is still undecided after %(day)s (Insurance Law Art. "
                             "25).") % {"day": claim.advance_payment_due or "—"})
    if claim.payouts.filter(advance=True).exists():
        raise ClaimRefused(_("This claim's advance is booked already."))
    reasons = reasons.strip()
    if not reasons:
        raise ClaimRefused(_("Say how the amount paid in advance was determined."), field="reasons")
    benefits = {link.policy_id: (link.benefit or Decimal(0)) if link.covered else Decimal(0)
                for link in claim.claim_policies.all()}
    wanted = {pk: to_cents(Decimal(a)) for pk, a in amounts.items() if Decimal(a) != 0}
    if not wanted or any(pk not in benefits or a < 0 or a > benefits[pk] for pk, a in wanted.items()):
        raise ClaimRefused(_("Each policy's advance is between nothing and its assessed benefit, and something is "
                             "paid."), field="amounts")
    indebted = loan_deductions(claim, as_of=as_of, amounts=benefits)
    if any(pk in indebted and a > indebted[pk].paid for pk, a in wanted.items()):
        raise ClaimRefused(_("A policy's advance is at most its assessed benefit less what is owed on its loans."),
                           field="amounts")
    total = sum(wanted.values(), Decimal(0))
    held = total >= approval_threshold(claim.currency)
    payouts = _payouts(claim, payout_plan(claim, wanted, as_of=as_of), accounts, prefix="A",
                       status=Payout.Status.HELD if held else Payout.Status.PENDING)
    bank_file = None
    if held:
        claim.advance_proposed_by = acting_staff(actor)
        _save(claim)
    else:
        bank_file = payouts_export(actor=on_behalf(actor, Action.HANDLE_CLAIM), as_of=as_of, claim_ids=[claim.pk])
    _append(claim, actor=actor, kind="advance_proposed" if held else "advance_paid", on=as_of, note=reasons,
            data={"amount": str(total), "payouts": len(payouts), "file": bank_file.message_id if bank_file else ""})
    audit_record(actor=actor, action="create", object_type="claims.advance", object_id=claim.pk,
                 after={"amount": str(total), "held": held, "file": bank_file.message_id if bank_file else ""})
    return bank_file


@transaction.atomic
def claim_advance_check(*, actor, claim_id: int, approve: bool, as_of: date, note: str = "") -> BankFile | None:
    """The checker's answer to an advance at or above the approval threshold: approved, it goes out in a pain.001
    file; sent back, its held payouts are cancelled (nothing was paid). The maker never checks their own."""
    claim = _lock(claim_id)
    authorize(actor, Action.APPROVE_CLAIM, claim)
    held = claim.payouts.filter(advance=True, status=Payout.Status.HELD)
    if not held.exists():
        raise ClaimRefused(_("This claim has no advance waiting for a checker."))
    staff = acting_staff(actor)
    if not trusted(actor) and (staff is None or staff.pk == claim.advance_proposed_by_id):
        raise AccessDenied(_("You proposed this advance: another colleague must check it."))
    bank_file = None
    total = sum(held.values_list("amount", flat=True), Decimal(0))
    if approve:
        held.update(status=Payout.Status.PENDING)
        bank_file = payouts_export(actor=on_behalf(actor, Action.HANDLE_CLAIM), as_of=as_of, claim_ids=[claim.pk])
    else:
        if not note.strip():
            raise ClaimRefused(_("Say why the advance goes back."), field="note")
        held.delete()
    claim.advance_proposed_by = None
    _save(claim)
    _append(claim, actor=actor, kind="advance_paid" if approve else "advance_returned", on=as_of, note=note.strip(),
            data={"amount": str(total), "file": bank_file.message_id if bank_file else ""})
    audit_record(actor=actor, action="transition", object_type="claims.advance", object_id=claim.pk,
                 after={"amount": str(total), "checked": "approved" if approve else "returned"})
    return bank_file


def _less_advances(claim: Claim, plan: list[PlannedPayout]) -> list[PlannedPayout]:
    """The final payouts: each payee's part of each policy less what they were paid in advance on it (a part the
    advance covered whole drops out)."""
    advanced: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for policy_id, key, amount in claim.payouts.filter(advance=True).values_list("policy_id", "payee_key", "amount"):
        advanced[policy_id, key] += amount
    final = []
    for planned in plan:
        rest = planned.amount - advanced.pop((planned.policy_id, planned.payee_key), Decimal(0))
        if rest < 0:
            raise ClaimRefused(_("%(name)s was paid more in advance than their part of the amount approved.")
                               % {"name": planned.name})
        if rest > 0:
            final.append(replace(planned, amount=rest))
    if advanced:  # an advance to a payee the decision no longer pays
        raise ClaimRefused(_("An advance went to a payee the decision does not pay: the decision pays every payee "
                             "at least their advance."))
    return final


@dataclass(frozen=True)
class Account:
    bank_name: str
    bank_code: str
    account_number: str


@transaction.atomic
def claim_pay(*, actor, claim_id: int, accounts: dict[str, Account], as_of: date) -> BankFile | None:
    """Pay an approved claim: one payout per payee and policy (`payout_plan`) to the account given for the payee
    (`accounts`, by `payee_key`: a customer, a beneficiary who is no customer, or the estate), less what each was
    paid in advance on the policy, exported at once in a pain.001 file through banking; the claim is paid and
    each policy's outcome goes through its state machine (`_policy_outcomes`: a death ends it, a maturity matures
    it, a disability or critical illness waives its premiums under a waiver-of-premium rider). A claim is paid
    once: its payouts are booked once and go out in one file."""
    claim = _lock(claim_id)
    authorize(actor, Action.HANDLE_CLAIM, claim)
    if claim.status != ClaimStatus.DECIDED or claim.outcome not in (Outcome.APPROVED, Outcome.PARTLY_APPROVED):
        raise ClaimRefused(_("Only an approved claim that is not paid yet can be paid."))
    if claim.payouts.filter(advance=False).exists():
        raise ClaimRefused(_("This claim's payouts are booked already."))
    if claim.payouts.filter(status=Payout.Status.HELD).exists():
        raise ClaimRefused(_("An advance of this claim waits for its checker: it is approved or sent back first."))
    deductions = loan_deductions(claim, as_of=as_of)
    plan = _less_advances(claim, payout_plan(claim, as_of=as_of))
    payouts = _payouts(claim, plan, accounts, prefix="")
    bank_file = payouts_export(actor=on_behalf(actor, Action.HANDLE_CLAIM), as_of=as_of, claim_ids=[claim.pk])
    _move(claim, ClaimStatus.PAID)
    claim.paid_on = as_of
    _save(claim)
    for deduction in deductions.values():
        policy_services.policy_loans_settle(actor=on_behalf(actor, Action.CHANGE_POLICY),
                                            policy_id=deduction.policy_id, on=as_of, as_of=as_of,
                                            reference=f"claim {claim.number}")
    _policy_outcomes(actor, claim, as_of)
    settled = {d.policy_number: str(d.deducted) for d in deductions.values()}
    _append(claim, actor=actor, kind="paid", on=as_of,
            data={"file": bank_file.message_id if bank_file else "", "payouts": len(payouts),
                  "loans_deducted": settled})
    audit_record(actor=actor, action="transition", object_type="claims.claim", object_id=claim.pk,
                 after={"amount": str(claim.approved_amount), "payouts": len(payouts),
                        "file": bank_file.message_id if bank_file else "", "loans_deducted": settled})
    _announce_closed(claim)
    return bank_file


def _payouts(claim: Claim, plan: list[PlannedPayout], accounts: dict[str, Account], *, prefix: str,
             status: str = Payout.Status.PENDING) -> list[Payout]:
    """Book the plan's payouts to the accounts given by payee key (every payee needs one), end-to-end ids
    `<claim number>-<prefix><n>`."""
    given = {key for key, a in accounts.items() if a.account_number.strip()}
    missing = [name for key, name in payees_of(plan) if key not in given]
    if missing:
        raise ClaimRefused(_("Give the bank account of %(names)s.") % {"names": ", ".join(missing)},
                           field="accounts")
    payouts = []
    for i, planned in enumerate(plan, start=1):
        account = accounts[planned.payee_key]
        number = "".join(account.account_number.split())
        if not number.isalnum() or not account.bank_code.strip():
            raise ClaimRefused(_("The bank account of %(name)s is not a valid account number and bank code.")
                               % {"name": planned.name}, field="accounts")
        payouts.append(Payout(
            claim=claim, policy_id=planned.policy_id, beneficiary_id=planned.beneficiary_id,
            payee_name=planned.name[:120], payee_key=planned.payee_key, estate=planned.estate,
            share_numerator=planned.share.numerator, share_denominator=planned.share.denominator,
            amount=planned.amount, currency=claim.currency,
            **Payout.account_fields(bank_name=account.bank_name, bank_code=account.bank_code, account_number=number),
            end_to_end_id=f"{claim.number}-{prefix}{i:03d}", advance=bool(prefix), status=status))
    return Payout.objects.bulk_create(payouts)


def _policy_outcomes(actor, claim: Claim, as_of: date) -> None:
    """Each policy's outcome of the paid claim, through its state machine: a death ends it, a maturity matures it,
    a disability or critical illness waives its premiums where it has a waiver-of-premium rider in force on the
    event date (billing then raises no dues for it); a hospital benefit leaves it running."""
    kind = rules.ClaimType(claim.claim_type)
    if kind in (rules.ClaimType.TPD, rules.ClaimType.CRITICAL_ILLNESS):
        _premiums_waived(actor, claim, as_of)
        return
    target = {rules.ClaimType.DEATH: Status.TERMINATED, rules.ClaimType.MATURITY: Status.MATURED}.get(kind)
    if target is None:
        return
    for link in claim.claim_policies.select_related("policy").filter(approved_amount__gt=0):
        policy = link.policy
        if Status(policy.status) in TERMINAL:
            continue
        policy_services.policy_transition(
            actor=on_behalf(actor, Action.CHANGE_POLICY), policy_id=policy.pk, to_status=target,
            effective_date=min(claim.event_date, as_of) if target == Status.TERMINATED else as_of, as_of=as_of,
            kind="claim_paid", reason=f"claim {claim.number}", data={"claim": claim.number})


def _premiums_waived(actor, claim: Claim, as_of: date) -> None:
    event = claim.event_date
    riders = (Coverage.objects.filter(product__kind=Product.Kind.WAIVER, start_date__lte=event,
                                      policy__in=claim.claim_policies.values("policy_id"))
              .filter(Q(end_date__isnull=True) | Q(end_date__gte=event)).values_list("policy_id", flat=True))
    for policy in Policy.objects.filter(pk__in=riders, status__in=PREMIUM_PAYING).order_by("pk"):
        policy_services.policy_transition(
            actor=on_behalf(actor, Action.CHANGE_POLICY), policy_id=policy.pk, to_status=Status.PREMIUM_WAIVED,
            effective_date=min(event, as_of), as_of=as_of, kind="premium_waived", reason=f"claim {claim.number}",
            data={"claim": claim.number})


def payouts_export(*, actor, as_of: date, claim_ids: list[int] | None = None) -> BankFile | None:
    """Every payout not sent yet (of the claims named, or all), in a pain.001 file per currency, recorded through
    banking (XSD-checked, hashed, encrypted); each payout goes out once (locked, then marked sent with its file).
    Nothing pending: nothing made (None). Returns the (last) file made."""
    authorize(actor, Action.HANDLE_CLAIM)
    with transaction.atomic():
        pending = Payout.objects.select_for_update().filter(status=Payout.Status.PENDING)
        if claim_ids is not None:
            pending = pending.filter(claim_id__in=claim_ids)
        rows = list(pending.select_related("claim").order_by("currency", "id"))
        sent = transfers_send(rows, prefix=PAYOUT_PREFIX, as_of=as_of, jurisdiction=lambda p: p.claim.jurisdiction_id,
                              remittance=lambda p: f"{p.claim.number} {p.payee_name}")
    return sent[-1][0] if sent else None


def payout_results_import(*, actor, content: bytes, filename: str, as_of: date
                          ) -> tuple[BankFile, PayoutResults | None]:
    """Take the bank's status report (pain.002) on a payout file: XSD-checked, recorded once by its content hash
    (the same file again: the first BankFile and None, nothing changed), matched to the pain.001 it answers and
    applied to its payouts (`payout_results`): accepted, or rejected with the reason (the payout then needs a new
    account). A line that does not fit refuses the file whole (`banking.errors.BankFileRejected`). A bank file holds
    the whole company's payments: head office imports it (`Action.IMPORT_BANK_FILE`), as billing's result files.
    One path for every app's status reports: `banking.services.transfer_status_import`, which checks the actor."""
    authorize(actor, Action.IMPORT_BANK_FILE)
    return transfer_status_import(actor=actor, content=content, filename=filename, as_of=as_of)


@transaction.atomic
def payout_reissue(*, actor, payout_id: int, account: Account, as_of: date) -> BankFile | None:
    """A payout the bank rejected goes out again to the payee's new account: a new end-to-end id
    (`<first id>-R<n>`), exported at once in a new pain.001 file; the rejected attempt stays in the claim's log."""
    payout = Payout.objects.select_for_update().select_related("claim").filter(pk=payout_id).first()
    if payout is None:
        raise Payout.DoesNotExist(f"no payout with id {payout_id}")
    claim = payout.claim
    authorize(actor, Action.HANDLE_CLAIM, claim)
    if payout.status != Payout.Status.REJECTED:
        raise ClaimRefused(_("Only a payout the bank rejected goes out again."))
    number = "".join(account.account_number.split())
    if not number.isalnum() or not account.bank_code.strip():
        raise ClaimRefused(_("The bank account of %(name)s is not a valid account number and bank code.")
                           % {"name": payout.payee_name}, field="account")
    before = transfer_reissue(payout, bank_name=account.bank_name, bank_code=account.bank_code,
                              account_number=number)
    bank_file = payouts_export(actor=on_behalf(actor, Action.HANDLE_CLAIM), as_of=as_of, claim_ids=[claim.pk])
    _append(claim, actor=actor, kind="payout_reissued", on=as_of,
            data={"payee": payout.payee_name, "before": before, "reference": payout.end_to_end_id,
                  "file": bank_file.message_id if bank_file else ""})
    audit_record(actor=actor, action="update", object_type="claims.payout", object_id=payout.pk, before=before,
                 after={"reference": payout.end_to_end_id, "account": payout.account_last4,
                        "file": bank_file.message_id if bank_file else ""})
    return bank_file
