"""Writes of policies: create, issue, status transitions and new contract versions (each one transaction)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext

from lifecrm.core.actors import audit_user, on_behalf, trusted
from lifecrm.core.registries import register_path_copy, rewrite_path_prefix
from lifecrm.core.services import audit_record, audit_record_many
from lifecrm.org.access import Action, NotInScope, actor_scope, authorize
from lifecrm.org.selectors import in_scope
from lifecrm.policies import loans, rules
from lifecrm.policies.models import (
    Beneficiary,
    Coverage,
    LoanRepayment,
    Policy,
    PolicyEvent,
    PolicyLoan,
    PolicyVersion,
)


class StaleVersion(RuntimeError):
    """The policy changed since the caller read it (optimistic lock)."""

    def __init__(self, policy: Policy, expected_version: int) -> None:
        super().__init__(f"policy {policy.number} was changed by someone else since you read it (it is at version "
                         f"{policy.version}, you read version {expected_version}): reload it and make your change "
                         "again")
        self.policy_number, self.version, self.expected_version = policy.number, policy.version, expected_version


class InvalidBeneficiaries(ValueError):
    pass


@dataclass(frozen=True)
class BeneficiaryInput:
    name: str
    relation_to_insured: str
    share: Fraction  # of the benefit paid to this order: Fraction(1, 3) for "one third", see rules.parse_share
    order: int = 1
    customer_id: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.share, Fraction):
            raise TypeError(f"the share of {self.name} must be a Fraction of the whole, not {self.share!r}")


def check_beneficiary_shares(beneficiaries: list[BeneficiaryInput]) -> None:
    """Within each order the shares are positive, no finer than rules allow, and sum to exactly the whole."""
    totals: dict[int, Fraction] = {}
    for b in beneficiaries:
        if b.share <= 0:
            raise InvalidBeneficiaries(f"the share of {b.name} must be positive")
        if b.share.denominator > rules.MAX_SHARE_DENOMINATOR:
            raise InvalidBeneficiaries(f"the share of {b.name} is finer than 1/{rules.MAX_SHARE_DENOMINATOR}")
        totals[b.order] = totals.get(b.order, Fraction(0)) + b.share
    for order, total in sorted(totals.items()):
        if total != 1:
            raise InvalidBeneficiaries(f"the shares of order {order} sum to {rules.share_text(total)}, not 100 %")


def _beneficiaries_create(version: PolicyVersion, beneficiaries: list[BeneficiaryInput]) -> None:
    Beneficiary.objects.bulk_create(
        Beneficiary(version=version, customer_id=b.customer_id, name=b.name, relation_to_insured=b.relation_to_insured,
                    order=b.order, share_numerator=b.share.numerator, share_denominator=b.share.denominator)
        for b in beneficiaries
    )


def _append_event(policy: Policy, *, actor, kind: str, effective_date: date, from_status: str = "",
                  to_status: str = "", reason: str = "", data: dict | None = None) -> PolicyEvent:
    last = policy.events.aggregate(m=Max("seq"))["m"] or 0
    return PolicyEvent.objects.create(
        policy=policy, seq=last + 1, kind=kind, from_status=from_status, to_status=to_status,
        effective_date=effective_date, recorded_at=timezone.now(),
        actor=audit_user(actor), reason=reason, data=data,
    )


def _lock(policy_id: int, expected_version: int | None) -> Policy:
    policy = Policy.objects.select_for_update().get(pk=policy_id)
    if expected_version is not None and policy.version != expected_version:
        raise StaleVersion(policy, expected_version)
    return policy


def policy_record_paid(*, policy_id: int, paid_instalments: int, paid_to_date: date,
                       expected_version: int | None = None) -> Policy:
    """Record how many premiums a policy has paid and its paid-to date (billing's bookings and reversals), through
    the policy's lock like every other write of it: the version moves on, so a writer that read the policy before
    the booking (a contract change worked out on the old paid-to date) is refused rather than acting on stale
    figures. Billing moves its own bookmarks of the policy's version along (billing.services)."""
    with transaction.atomic():
        policy = _lock(policy_id, expected_version)
        policy.paid_instalments, policy.paid_to_date = paid_instalments, paid_to_date
        policy.version += 1
        policy.save(update_fields=["paid_instalments", "paid_to_date", "version"])
    return policy


@transaction.atomic
def policy_create(*, actor, as_of: date, number: str, product, owner, insured, payer, agent, branch, channel: str,
                  application_date: date, issue_date: date, term_years: int | None, premium_term_years: int,
                  sum_assured: Decimal, premium_mode: str, modal_premium: Decimal, annual_premium: Decimal,
                  payment_method: str, apl_opt_in: bool = False,
                  beneficiaries: list[BeneficiaryInput] = ()) -> Policy:
    """A new policy in status proposal, with contract version 1, its base coverage and beneficiaries.

    The actor must be allowed to change policies and see the policy-to-be (its branch and agent)."""
    authorize(actor, Action.CHANGE_POLICY, Policy(branch_path=branch.path, agent_id=getattr(agent, "pk", None)))
    beneficiaries = list(beneficiaries)
    if beneficiaries:
        check_beneficiary_shares(beneficiaries)
    rules.months_between_payments(premium_mode)  # refuses an unknown mode
    now = timezone.now()
    policy = Policy.objects.create(
        number=number, product=product, jurisdiction_id=product.jurisdiction_id, currency=product.currency,
        owner=owner, insured=insured, payer=payer, agent=agent, branch=branch, branch_path=branch.path,
        channel=channel, application_date=application_date, issue_date=issue_date, term_years=term_years,
        premium_term_years=premium_term_years, maturity_date=rules.maturity_date(issue_date, term_years),
        status=rules.Status.PROPOSAL, status_date=application_date, created_at=now,
    )
    version = PolicyVersion.objects.create(
        policy=policy, version_no=1, effective_from=issue_date, recorded_at=now, reason="new business",
        owner=owner, insured=insured, payer=payer, sum_assured=sum_assured, premium_mode=premium_mode,
        modal_premium=modal_premium, annual_premium=annual_premium, payment_method=payment_method,
        apl_opt_in=apl_opt_in,
    )
    Coverage.objects.create(
        policy=policy, product=product, is_base=True, sum_assured=sum_assured, annual_premium=annual_premium,
        start_date=issue_date, end_date=policy.maturity_date,
    )
    _beneficiaries_create(version, beneficiaries)
    _append_event(policy, actor=actor, kind="proposed", effective_date=application_date,
                  to_status=rules.Status.PROPOSAL)
    audit_record(actor=actor, action="create", object_type="policies.policy", object_id=policy.pk,
                 after={"number": number, "status": policy.status})
    return policy


@dataclass(frozen=True)
class StatusChange:
    """A status change just made, as a transition listener is told of it."""

    policy_id: int
    from_status: str
    to_status: str
    effective_date: date


TransitionListener = Callable[..., None]
_transition_listeners: list[TransitionListener] = []


def register_transition_listener(listener: TransitionListener) -> TransitionListener:
    """Have `listener(actor=, changes=[StatusChange, ...], as_of=)` called inside the transaction of every status
    change (`policy_transition`: one change; `policies_transition`: the batch's, in one call), so that an app above
    policies follows a policy's status (billing cancels the premiums a waiver of premium takes over) without
    policies knowing it. A listener refuses the change by raising (nothing is changed). Usable as a decorator."""
    if listener not in _transition_listeners:
        _transition_listeners.append(listener)
    return listener


def _announce(actor, changes: list[StatusChange], as_of: date) -> None:
    for listener in _transition_listeners:
        listener(actor=actor, changes=changes, as_of=as_of)


def policy_transition(*, actor, policy_id: int, to_status: str, effective_date: date, as_of: date,
                      expected_version: int | None = None, kind: str = "transition", reason: str = "",
                      data: dict | None = None) -> Policy:
    """Move a policy to `to_status` if the transition table allows it; journal and audit it. The actor may change
    policies and sees this one (a billing service passes its own checked actor: `core.actors.on_behalf`)."""
    if effective_date > as_of:
        raise ValueError("a status change cannot take effect after the business date")
    with transaction.atomic():
        policy = _lock(policy_id, expected_version)
        authorize(actor, Action.CHANGE_POLICY, policy)
        from_status = policy.status
        rules.check_transition(from_status, to_status)
        policy.status = to_status
        policy.status_date = effective_date
        policy.version += 1
        policy.save(update_fields=["status", "status_date", "version"])
        _append_event(policy, actor=actor, kind=kind, effective_date=effective_date, from_status=from_status,
                      to_status=to_status, reason=reason, data=data)
        audit_record(actor=actor, action="transition", object_type="policies.policy", object_id=policy.pk,
                     before={"status": from_status}, after={"status": to_status, "effective": str(effective_date)})
        _announce(actor, [StatusChange(policy.pk, from_status, to_status, effective_date)], as_of)
    return policy


@dataclass(frozen=True)
class Transition:
    """One policy's status change in a batch (`policies_transition`)."""

    policy_id: int
    to_status: str
    effective_date: date
    kind: str = "transition"
    reason: str = ""
    data: dict | None = None


def policies_transition(*, actor, changes: list[Transition], as_of: date) -> int:
    """`policy_transition` for many policies at once (a daily batch's chunk): locked in id order, checked
    against the transition table (one refused change refuses the batch), journalled and audited with a
    few statements instead of a few per policy. Returns the number of policies changed."""
    if not changes:
        return 0
    if len({c.policy_id for c in changes}) != len(changes):
        raise ValueError("a batch changes each policy at most once")
    if any(c.effective_date > as_of for c in changes):
        raise ValueError("a status change cannot take effect after the business date")
    with transaction.atomic():
        ids = sorted(c.policy_id for c in changes)
        current = dict(Policy.objects.select_for_update().filter(pk__any=ids).order_by("pk")
                       .values_list("pk", "status"))
        missing = set(ids) - current.keys()
        if missing:
            raise Policy.DoesNotExist(f"no policy with id {min(missing)}")
        if not trusted(actor):  # a person: the grant, and every policy of the batch in their scope
            authorize(actor, Action.CHANGE_POLICY)
            if in_scope(Policy.objects.filter(pk__any=ids), actor_scope(actor)).count() != len(ids):
                raise NotInScope("outside the data scope")
        for change in changes:
            rules.check_transition(current[change.policy_id], change.to_status)
        last_seq = dict(PolicyEvent.objects.filter(policy_id__any=ids).values("policy_id")
                        .annotate(m=Max("seq")).values_list("policy_id", "m"))
        groups: dict[tuple[str, date], list[int]] = {}
        for change in changes:
            groups.setdefault((change.to_status, change.effective_date), []).append(change.policy_id)
        for (to_status, effective_date), pks in groups.items():
            Policy.objects.filter(pk__any=pks).update(status=to_status, status_date=effective_date,
                                                     version=F("version") + 1)
        now, who = timezone.now(), audit_user(actor)
        PolicyEvent.objects.bulk_create([
            PolicyEvent(policy_id=c.policy_id, seq=last_seq.get(c.policy_id, 0) + 1, kind=c.kind,
                        from_status=current[c.policy_id], to_status=c.to_status, effective_date=c.effective_date,
                        recorded_at=now, actor=who, reason=c.reason, data=c.data)
            for c in changes
        ], batch_size=1000)
        audit_record_many(actor=actor, action="transition", object_type="policies.policy", entries=[
            (c.policy_id, {"status": current[c.policy_id]}, {"status": c.to_status, "effective": str(c.effective_date)})
            for c in changes
        ])
        _announce(actor, [StatusChange(c.policy_id, current[c.policy_id], c.to_status, c.effective_date)
                          for c in changes], as_of)
    return len(changes)


def policy_issue(*, actor, policy_id: int, as_of: date, expected_version: int | None = None) -> Policy:
    """Put a proposal in force from its issue date."""
    policy = Policy.objects.get(pk=policy_id)
    authorize(actor, Action.CHANGE_POLICY, policy)
    policy = policy_transition(actor=on_behalf(actor, Action.CHANGE_POLICY), policy_id=policy_id, to_status=rules.Status.IN_FORCE,
                               effective_date=policy.issue_date, as_of=as_of,
                               expected_version=expected_version, kind="issued")
    first_premium_paid(policy)
    return policy


def first_premium_paid(policy: Policy) -> None:
    """At issue the first premium is paid: one instalment, paid to the second due date."""
    mode = policy.versions.get(version_no=1).premium_mode
    Policy.objects.filter(pk=policy.pk).update(
        paid_instalments=1, paid_to_date=rules.due_date(policy.issue_date, mode, 1)
    )


ReinstatementHandler = Callable[..., dict]
_reinstatement_handlers: list[ReinstatementHandler] = []


def register_reinstatement_handler(handler: ReinstatementHandler) -> ReinstatementHandler:
    """The one implementation of a reinstatement (billing's: its window, arrears and interest, the owner's
    application and its decision) for the apps that take the request (servicing's counter, call centre and agents):
    `handler(actor=, policy_id=, received_on=, health_declaration=, decided_on=, as_of=)` registers the application,
    approves it and reinstates the policy once the arrears and interest are in; it returns what it did and refuses
    by raising a ValueError with a message for staff. One handler; usable as a decorator."""
    _reinstatement_handlers[:] = [handler]
    return handler


def reinstatement_handler() -> ReinstatementHandler | None:
    return _reinstatement_handlers[0] if _reinstatement_handlers else None


VersionListener = Callable[..., None]
_version_listeners: list[VersionListener] = []


def register_version_listener(listener: VersionListener) -> VersionListener:
    """Have `listener(actor=, policy=, before=, after=, as_of=)` called inside the transaction of every new contract
    version (`policy_new_version`), so that an app above policies follows the policy's changes (billing's dues
    follow a premium mode change or a sum-assured decrease) without policies knowing it. A listener refuses the
    change by raising a ValueError (the version is not made). Usable as a decorator."""
    if listener not in _version_listeners:
        _version_listeners.append(listener)
    return listener


VERSIONED_FIELDS = ("owner", "insured", "payer", "sum_assured", "premium_mode", "modal_premium",
                    "annual_premium", "payment_method", "apl_opt_in")


def policy_new_version(*, actor, policy_id: int, effective_from: date, as_of: date, changes: dict, reason: str,
                       expected_version: int | None = None,
                       beneficiaries: list[BeneficiaryInput] | None = None) -> PolicyVersion:
    """Append a contract version from `effective_from`; the previous one ends there (exclusive). Nothing is overwritten."""
    unknown = set(changes) - set(VERSIONED_FIELDS)
    if unknown:
        raise ValueError(f"not contract data: {sorted(unknown)}")
    if beneficiaries is not None:
        check_beneficiary_shares(beneficiaries)
    with transaction.atomic():
        policy = _lock(policy_id, expected_version)
        authorize(actor, Action.CHANGE_POLICY, policy)
        current = policy.versions.get(effective_to__isnull=True)
        if effective_from <= current.effective_from:
            raise ValueError("a new version must start after the current one (backdating is a servicing case)")
        values = {name: getattr(current, name) for name in VERSIONED_FIELDS} | changes
        PolicyVersion.objects.filter(pk=current.pk).update(effective_to=effective_from)
        new = PolicyVersion.objects.create(
            policy=policy, version_no=current.version_no + 1, effective_from=effective_from,
            recorded_at=timezone.now(), reason=reason, **values,
        )
        source = beneficiaries if beneficiaries is not None else [
            BeneficiaryInput(b.name, b.relation_to_insured, b.share, b.order, b.customer_id)
            for b in current.beneficiaries.all()
        ]
        _beneficiaries_create(new, source)
        policy.owner, policy.insured, policy.payer = values["owner"], values["insured"], values["payer"]
        policy.version += 1
        policy.save(update_fields=["owner", "insured", "payer", "version"])
        changed = {k: str(v) for k, v in changes.items()}
        _append_event(policy, actor=actor, kind="contract_changed", effective_date=effective_from, reason=reason,
                      data=changed)
        audit_record(actor=actor, action="update", object_type="policies.policy", object_id=policy.pk,
                     before={k: str(getattr(current, k)) for k in changes}, after=changed)
        for listener in _version_listeners:
            listener(actor=actor, policy=policy, before=current, after=new, as_of=as_of)
    return new


@register_path_copy("policies.policy")
def policy_branch_paths_rewrite(*, old_prefix: str, new_prefix: str, chunk_size: int) -> int:
    """An org unit moved (`org.services.org_unit_move`): the copies of its path on policys follow."""
    return rewrite_path_prefix(Policy, "branch_path", old_prefix=old_prefix, new_prefix=new_prefix,
                               chunk_size=chunk_size)


# -- loans on the cash value (one ledger: servicing's policy loans, billing's automatic premium loans) ----------

class DeliveryRefused(ValueError):
    """A delivery date that cannot be the owner's receipt of the policy; the message says why."""


def policy_delivery_record(*, actor, policy_id: int, delivered_on: date, as_of: date) -> Policy:
    """Record the day the owner received the policy (the signed delivery receipt): the cooling-off period runs from
    it. Not before the issue date, not after the business date; a recorded day is not changed. Journaled
    (`delivered`) and audited."""
    with transaction.atomic():
        policy = Policy.objects.select_for_update().get(pk=policy_id)
        authorize(actor, Action.PROCESS_SERVICING, policy)  # the counter takes the signed receipt, as a request
        if policy.delivered_on is not None:
            raise DeliveryRefused(gettext("The policy's delivery was recorded already (%(day)s).")
                                  % {"day": policy.delivered_on.isoformat()})
        if not policy.issue_date <= delivered_on <= as_of:
            raise DeliveryRefused(gettext("The owner can only have received the policy between its issue date "
                                          "(%(issued)s) and today.") % {"issued": policy.issue_date.isoformat()})
        policy.delivered_on = delivered_on
        policy.save(update_fields=["delivered_on"])
        _append_event(policy, actor=actor, kind="delivered", effective_date=delivered_on)
        audit_record(actor=actor, action="update", object_type="policies.policy", object_id=policy.pk,
                     field="delivered_on", after={"delivered_on": delivered_on.isoformat()})
    return policy


class LoanRefused(ValueError):
    """A loan write the ledger cannot take (the message says why; the calling app words it for its users)."""


def _loan_policy(actor, policy_id: int) -> Policy:
    policy = Policy.objects.select_for_update().get(pk=policy_id)
    authorize(actor, Action.CHANGE_POLICY, policy)
    return policy


def policy_loan_grant(*, actor, policy_id: int, kind: str, principal: Decimal, rate_percent: Decimal,
                      taken_on: date, as_of: date, reference: str = "") -> PolicyLoan:
    """Record a loan on the policy's cash value (the calling app checked the amount against `loans.loan_maximum`);
    journaled (`loan_granted`) and audited."""
    if kind not in PolicyLoan.Kind.values:
        raise LoanRefused(f"unknown loan kind {kind!r}")
    if principal <= 0:
        raise LoanRefused("a loan is more than nothing")
    if taken_on > as_of:
        raise LoanRefused("a loan cannot be taken after the business date")
    with transaction.atomic():
        policy = _loan_policy(actor, policy_id)
        loan = PolicyLoan.objects.create(policy=policy, kind=kind, reference=reference[:40], principal=principal,
                                         rate_percent=rate_percent, taken_on=taken_on)
        data = {"loan": loan.pk, "kind": kind, "principal": str(principal), "rate_percent": str(rate_percent)}
        _append_event(policy, actor=actor, kind="loan_granted", effective_date=taken_on, reason=reference[:200],
                      data=data)
        audit_record(actor=actor, action="create", object_type="policies.policyloan", object_id=loan.pk,
                     after=data | {"policy": policy.pk})
    return loan


def policy_loan_repay(*, actor, loan_id: int, amount: Decimal, paid_on: date, as_of: date,
                      reference: str = "") -> LoanRepayment:
    """Record money repaid on a loan (interest first, then principal); the loan is settled once nothing is owed.
    More than is owed on the day is refused. Journaled (`loan_repaid`) and audited."""
    if amount <= 0:
        raise LoanRefused("a repayment is more than nothing")
    if paid_on > as_of:
        raise LoanRefused("a repayment cannot be paid after the business date")
    with transaction.atomic():
        loan = PolicyLoan.objects.select_for_update().get(pk=loan_id)
        policy = _loan_policy(actor, loan.policy_id)
        if loan.settled_on is not None:
            raise LoanRefused(f"the loan was settled on {loan.settled_on}")
        if paid_on < loan.taken_on or loan.repayments.filter(paid_on__gt=paid_on).exists():
            raise LoanRefused("a repayment cannot come before the loan or a later repayment")
        this = loans.loan_owed(next(x for x in loans.loans_by_policy([policy.pk])[policy.pk] if x.pk == loan.pk),
                               paid_on)
        if amount > this.owed:
            raise LoanRefused(f"only {this.owed} is owed on the loan on {paid_on}")
        repayment = LoanRepayment.objects.create(loan=loan, amount=amount, paid_on=paid_on, reference=reference[:40],
                                                 recorded_at=timezone.now())
        if amount == this.owed:
            loan.settled_on = paid_on
            loan.save(update_fields=["settled_on"])
        data = {"loan": loan.pk, "amount": str(amount), "settled": loan.settled_on is not None,
                "owed_before": str(this.owed)}
        _append_event(policy, actor=actor, kind="loan_repaid", effective_date=paid_on, reason=reference[:200],
                      data=data)
        audit_record(actor=actor, action="create", object_type="policies.loanrepayment", object_id=repayment.pk,
                     after=data)
    return repayment


def policy_loan_cancel(*, actor, loan_id: int, as_of: date, reason: str) -> PolicyLoan:
    """Take back a loan that should never have been (the automatic premium loan of a payment billing reverses): it
    owes nothing from the day it was taken (`settled_on` = `taken_on`), journaled (`loan_cancelled`, on `as_of`)
    and audited. A loan settled already or with repayments is refused: its money went somewhere, which the caller
    undoes first."""
    if not reason.strip():
        raise LoanRefused("a cancellation needs a reason")
    with transaction.atomic():
        loan = PolicyLoan.objects.select_for_update().get(pk=loan_id)
        policy = _loan_policy(actor, loan.policy_id)
        if loan.settled_on is not None:
            raise LoanRefused(f"the loan was settled on {loan.settled_on}")
        if loan.repayments.exists():
            raise LoanRefused("the loan has repayments")
        loan.settled_on = loan.taken_on
        loan.save(update_fields=["settled_on"])
        data = {"loan": loan.pk, "kind": loan.kind, "principal": str(loan.principal), "taken_on": str(loan.taken_on)}
        _append_event(policy, actor=actor, kind="loan_cancelled", effective_date=as_of, reason=reason.strip()[:200],
                      data=data)
        audit_record(actor=actor, action="update", object_type="policies.policyloan", object_id=loan.pk,
                     before={"settled_on": None}, after=data | {"cancelled": True, "reason": reason.strip()[:200]})
    return loan


def policy_loans_settle(*, actor, policy_id: int, on: date, as_of: date, reference: str = "") -> loans.LoanPosition:
    """Settle every open loan of the policy on `on` out of its cash value (a surrender, a claim): what was owed is
    journaled (`loans_settled`), audited and returned. Nothing owed: nothing written."""
    with transaction.atomic():
        policy = _loan_policy(actor, policy_id)
        open_loans = loans.loans_by_policy([policy.pk]).get(policy.pk, [])
        if not open_loans:
            return loans.NOTHING
        owed = loans.position(open_loans, on)
        PolicyLoan.objects.filter(pk__in=[x.pk for x in open_loans]).update(settled_on=on)
        data = {"loans": [x.pk for x in open_loans], "principal": str(owed.principal), "interest": str(owed.interest)}
        _append_event(policy, actor=actor, kind="loans_settled", effective_date=on, reason=reference[:200], data=data)
        audit_record(actor=actor, action="update", object_type="policies.policy", object_id=policy.pk,
                     after=data | {"settled_on": str(on)})
    return owed
