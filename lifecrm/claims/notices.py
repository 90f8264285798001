"""The claimant's decision letters: the refusal notice (Insurance Law Art. 24: facts, decision, its basis and the
claimant's rights, within 3 days of the decision) and the decision notice of an approval or partial approval.

Each is a letter (a `notifications.Letter` print file; the PDF comes from `notifications.letters`) to the claimant's
address (else the insured's), with an SMS to the claimant's phone and an e-mail to their address where given, all
in the claimant's language (else the insured's) and recorded in the calling service's transaction under keys
derived from the claim number: the same notice twice is the same letter and messages. The services that call these
check the actor."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils import translation

from lifecrm.claims.findings import FINDINGS
from lifecrm.claims.models import Claim, ClaimFinding, ClaimNotice
from lifecrm.core.selectors import RuleNotDefined, jurisdiction_rule
from lifecrm.notifications import content, letters
from lifecrm.notifications import services as outbox
from lifecrm.notifications.models import Letter

MESSAGES = "claims/messages/"
OUTBOX_APP = "claims"
TEMPLATES = {ClaimNotice.Kind.REFUSAL: "claim_refusal", ClaimNotice.Kind.DECISION: "claim_decision"}


def claimant_language(claim: Claim) -> str:
    if claim.claimant_language in content.LANGUAGES:
        return claim.claimant_language
    return content.language_for(claim.insured, claim.jurisdiction_id)


def notice_key(claim: Claim, kind: str) -> str:
    return f"claims-{claim.number}-{kind}"


def _money(amount, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


def _context(claim: Claim, language: str, payees: list[tuple[str, Decimal]], loans: Decimal = Decimal(0)) -> dict:
    with translation.override(language):
        blocking = [str(FINDINGS.get(f.code, f.code)) for f in
                    claim.findings.filter(severity=ClaimFinding.Severity.BLOCKS).order_by("id")]
        payees = [f"{name}: {_money(amount, claim.currency)}" for name, amount in payees]
        try:
            limitation = jurisdiction_rule(claim.jurisdiction_id, "claim_limitation").period.quantity
        except RuleNotDefined:
            limitation = None
        return {
            "company": content.company_name(language), "claimant": claim.claimant_name, "number": claim.number,
            "claim_type": claim.get_claim_type_display(), "insured": claim.insured.name,
            "event_date": content.format_date(claim.event_date, language),
            "received_on": content.format_date(claim.first_receipt, language),
            "decided_on": content.format_date(claim.decided_on, language) if claim.decided_on else "",
            "policies": ", ".join(claim.claim_policies.order_by("policy__number")
                                  .values_list("policy__number", flat=True)),
            "reasons": claim.reasons, "findings": blocking, "partly": claim.outcome == "partly_approved",
            "amount": _money(claim.approved_amount or 0, claim.currency), "payees": payees,
            "loans": _money(loans, claim.currency) if loans else "",
            "payment_due": content.format_date(claim.payment_due, language) if claim.payment_due else "",
            "limitation_years": limitation,
        }


def notice_send(claim: Claim, *, kind: str, as_of: date, at: datetime,
                payees: list[tuple[str, Decimal]] = (), loans: Decimal = Decimal(0)) -> ClaimNotice:
    """Record the refusal or decision notice of `claim` (an approval names its `payees` and their amounts, and the
    `loans` owed on the policies that the benefit repays first): its letter, SMS and e-mail, once (a notice already there is returned unchanged)."""
    existing = claim.notices.filter(kind=kind).first()
    if existing is not None:
        return existing
    language = claimant_language(claim)
    message = content.render(names=[MESSAGES + TEMPLATES[kind]], language=language, context=_context(claim, language, list(payees), loans))
    key = notice_key(claim, kind)
    insured = claim.insured
    address = claim.claimant_address.strip()
    letter = Letter.objects.filter(key=key).first() or Letter.objects.create(
        key=key, recorded_on=as_of, html=letters.letter_html(
            message=message, recipient=claim.claimant_name, address=address or insured.address,
            postcode="" if address else insured.postcode, posted_on=as_of, company=content.company_name(language)))
    common = {"app": OUTBOX_APP, "language": language, "at": at, "template": MESSAGES + TEMPLATES[kind],
              "customer_id": insured.pk, "jurisdiction": claim.jurisdiction_id}
    if claim.claimant_phone.strip():
        outbox.message_queue(key=f"{key}-sms", channel="sms", address=claim.claimant_phone, body=message.sms,
                             **common)
    if claim.claimant_email.strip():
        outbox.message_queue(key=f"{key}-email", channel="email", address=claim.claimant_email,
                             subject=message.subject, body=message.body, **common)
    return ClaimNotice.objects.create(claim=claim, kind=kind, sent_on=as_of, reached_on=as_of, text=message.body,
                                      outbox_key=key, letter=letter)

