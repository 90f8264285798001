"""What `lifecrm demo-setup` adds to a new demo book so that the claims pages show a realistic history.

After the book's first daily batch, through the ordinary services (event log, audit, clocks, notices, pain.001
files): claims of every type reported over the last ~10 weeks, at every stage: just reported, waiting for the
documents asked for in the one missing-documents notice, being assessed, waiting for a checker, declined with the
refusal notice due or sent, paid to the beneficiaries by order and share. Deterministic: the insureds are taken in
descending policy order, every STRIDE-th one with a policy in force, so the same book gets the same claims.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from lifecrm.claims import services
from lifecrm.claims.models import Claim
from lifecrm.core.actors import DEMO_SETUP
from lifecrm.core.registries import demo_steps
from lifecrm.org.models import Staff
from lifecrm.policies.models import Policy
from lifecrm.policies.rules import COVER_IN_FORCE

CLAIMS = 36
STRIDE = 7
# (type, cause, amount claimed or None, the stage it reaches): cycled over the insureds taken.
PATTERNS = (
    ("death", "illness", None, "paid"), ("hospitalisation", "illness", Decimal("2680.00"), "paid"),
    ("critical_illness", "illness", None, "awaiting_approval"), ("death", "accident", None, "documents_pending"),
    ("hospitalisation", "accident", Decimal("1850.50"), "assessing"), ("tpd", "accident", None, "declined"),
    ("death", "suicide", None, "refusal_sent"), ("hospitalisation", "illness", Decimal("12800.00"), "paid"),
    ("critical_illness", "illness", None, "reported"), ("maturity", "none", None, "paid"),
    ("death", "illness", None, "assessing"), ("hospitalisation", "illness", Decimal("960.00"), "reported"),
)
BANKS = (("中国工商银行", "102100099996"), ("中国建设银行", "105100000017"), ("招商银行", "308584000013"))


def _handler(claim: Claim):
    """A claims handler whose scope holds the claim (the deepest unit), else the demo set-up itself."""
    staff = [s for s in Staff.objects.filter(role="claims", is_active=True).select_related("org_unit")
             if claim.branch_path.startswith(s.org_unit.path)]
    return max(staff, key=lambda s: len(s.org_unit.path)) if staff else DEMO_SETUP


def _accounts(claim: Claim, seed: int, as_of: date) -> dict[str, services.Account]:
    payees = services.payees_of(services.payout_plan(claim, as_of=as_of))
    return {key: services.Account(*BANKS[(seed + i) % len(BANKS)], f"6222{seed:06d}{i:02d}{len(name):04d}")
            for i, (key, name) in enumerate(payees)}


@transaction.atomic
def _one(policy: Policy, pattern: tuple, n: int, as_of: date) -> str:
    claim_type, cause, amount, stage = pattern
    received = as_of - timedelta(days=5 + (n * 5) % 70)
    event = received - timedelta(days=3 + n % 20)
    if event < policy.issue_date:
        return ""
    at = timezone.make_aware(datetime.combine(received, time(hour=(n * 7) % 24, minute=(n * 13) % 60)))
    claim = services.claim_report(actor=DEMO_SETUP, insured=policy.insured, claim_type=claim_type, cause=cause,
                                  event_date=event, channel=("phone", "counter", "agent", "online")[n % 4],
                                  reported_at=at, as_of=received, claimant_name=policy.owner.name,
                                  claimant_phone=policy.owner.mobile_phone, amount_claimed=amount,
                                  description="")
    actor = _handler(claim)
    if actor is not DEMO_SETUP:
        services.claim_assign(actor=DEMO_SETUP, claim_id=claim.pk, handler=actor, as_of=received)
    if stage == "reported":
        return claim.number
    codes = list(claim.documents.values_list("code", flat=True))
    services.claim_documents_receive(actor=actor, claim_id=claim.pk, codes=codes[:2], received_on=received,
                                     as_of=received)
    services.claim_missing_notice_send(actor=actor, claim_id=claim.pk, as_of=received,
                                       reached_on=received + timedelta(days=1))
    if stage == "documents_pending":
        return claim.number
    complete = min(as_of, received + timedelta(days=4 + n % 9))
    services.claim_documents_receive(actor=actor, claim_id=claim.pk, codes=codes[2:], received_on=complete,
                                     as_of=complete)
    if stage == "assessing":
        return claim.number
    decided = min(as_of, complete + timedelta(days=2))
    services.claim_assess(actor=actor, claim_id=claim.pk, as_of=decided)
    claim.refresh_from_db()
    declines = stage in ("declined", "refusal_sent") or not claim.claim_policies.filter(benefit__gt=0).exists()
    services.claim_decide(actor=actor, claim_id=claim.pk, outcome="declined" if declines else "approved",
                          reasons="保单在出险时不在保障期内" if declines else "资料齐全，保险责任成立", as_of=decided)
    claim.refresh_from_db()
    if stage == "awaiting_approval" or (claim.status == "awaiting_approval" and stage != "paid"):
        return claim.number
    if claim.status == "awaiting_approval":
        services.claim_decision_check(actor=DEMO_SETUP, claim_id=claim.pk, approve=True, as_of=decided)
    if declines:
        if stage != "declined":
            services.claim_refusal_notice_send(actor=actor, claim_id=claim.pk, as_of=decided)
        return claim.number
    paid = min(as_of, decided + timedelta(days=3))
    services.claim_pay(actor=actor, claim_id=claim.pk, accounts=_accounts(Claim.objects.get(pk=claim.pk), n, paid),
                       as_of=paid)
    return claim.number


@demo_steps.register("claims.demo", after=["billing.demo"])
def add_demo_claims(*, as_of: date, count: int = CLAIMS, stride: int = STRIDE) -> list[str]:
    """Claims at every stage through the services; lines to print."""
    made = []
    seen: set[int] = set()
    # From the newest policy down: the billing demo (before this step) gives the oldest ones their money in
    # suspense, which a paid death claim must not turn from paid ahead into a refund.
    policies = (Policy.objects.filter(status__in=[s.value for s in COVER_IN_FORCE], issue_date__lt=as_of)
                .select_related("insured", "owner").order_by("-pk"))
    for i, policy in enumerate(policies.iterator(chunk_size=500)):
        if len(made) >= count:
            break
        if i % stride or policy.insured_id in seen or policy.insured.date_of_death:
            continue
        seen.add(policy.insured_id)
        try:
            number = _one(policy, PATTERNS[len(made) % len(PATTERNS)], len(made), as_of)
        except (services.ClaimRefused, LookupError):  # a policy the pattern does not fit, a year not loaded: next
            continue
        if number:
            made.append(number)
    return [f"claims: {len(made)} demo claims at every stage ({', '.join(made[:3])}…)" if made
            else "claims: no policy in force to claim on"]
