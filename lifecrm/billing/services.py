"""Writes of renewal collection: raise due items, take and reverse payments, reinstate suspended policies."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.utils import timezone

from lifecrm.billing import rules
from lifecrm.billing.models import (
    Allocation,
    DueItem,
    DunningStep,
    Payment,
    RaiseBookmark,
    ReceiptSerial,
    ReinstatementApplication,
    Reminder,
    SuspenseAccount,
)
from lifecrm.billing.rules import GRACE_STARTS_FROM, TAKES_PREMIUMS
from lifecrm.billing.selectors import (
    apl_capacity,
    grace_rules_for,
    payment_ahead_limit,
    refundable_suspense,
    suspense_balance,
)
from lifecrm.core.actors import RUN_DAILY, on_behalf
from lifecrm.core.bulk import insert_rows
from lifecrm.core.money import MAX_AMOUNT, MAX_BALANCE, to_cents
from lifecrm.core.selectors import jurisdiction_rule, working_calendar
from lifecrm.core.services import audit_record
from lifecrm.notifications.services import messages_withdraw
from lifecrm.org.access import authorize, visible
from lifecrm.org.rules import Action, allows, scope_for
from lifecrm.policies import loans
from lifecrm.policies import services as policy_services
from lifecrm.policies.models import Policy, PolicyLoan, PolicyVersion
from lifecrm.policies.rules import PREMIUM_PAYING, Status, due_date, premium_term_end
from lifecrm.policies.services import policy_record_paid, policy_transition, register_reinstatement_handler

# Due items are raised this many days before they fall due, so reminders can go out ahead.
DUE_ITEM_LEAD_DAYS = 45
OPEN_APPLICATION = (ReinstatementApplication.Status.PENDING, ReinstatementApplication.Status.APPROVED,
                    ReinstatementApplication.Status.DEEMED)


class BillingRefused(ValueError):
    """A collection action the rules do not allow; the message says why."""


class PaymentRefused(BillingRefused):
    pass


class DuplicatePayment(PaymentRefused):
    pass


class ConfirmationNeeded(PaymentRefused):
    """A payment above `limit` (what the policy owes plus the premiums staff may take ahead) waits for a second,
    senior colleague's confirmation."""

    def __init__(self, limit: Decimal, currency: str) -> None:
        super().__init__(f"more than {limit:,} {currency} (what the policy owes plus "
                         f"{settings.LIFECRM_PAYMENT_AHEAD_PREMIUMS} premiums) needs a senior colleague's confirmation")
        self.limit, self.currency = limit, currency


def _check_confirmation(*, policy: Policy, amount: Decimal, booked_by, confirmed_by, as_of: date) -> None:
    """A staff booking above `payment_ahead_limit` needs `confirmed_by`: another active staff member, of a senior
    role, whose data scope holds the policy."""
    limit = payment_ahead_limit(policy=policy, as_of=as_of)
    if amount <= limit:
        return
    if confirmed_by is None:
        raise ConfirmationNeeded(limit, policy.currency)
    if confirmed_by.pk == booked_by.pk:
        raise PaymentRefused("the confirmation must come from a second colleague, not from the one booking")
    scope = scope_for(role=confirmed_by.role, unit_kind=confirmed_by.org_unit.kind,
                      unit_path=confirmed_by.org_unit.path, staff_id=confirmed_by.pk)
    if not allows(scope, Action.CONFIRM_LARGE_PAYMENT) or not confirmed_by.is_active:
        raise PaymentRefused("only a branch manager or head office confirms a payment this large")
    if not visible(scope, policy):
        raise PaymentRefused(f"policy {policy.number} is outside the confirming colleague's scope")


def _horizon(as_of: date) -> date:
    return as_of + timedelta(days=DUE_ITEM_LEAD_DAYS)


def _raise_candidate(as_of: date, prefix: str = "") -> Q:
    """Premium-paying policies that may have a premium due by the horizon not raised yet: no raise bookmark,
    a bookmark of an older policy version, or a bookmarked premium due by the horizon (see RaiseBookmark).
    A superset of what is raised (`rules.premium_schedule` decides). `prefix` reaches the policy from another
    model ("policy__")."""
    bookmark = f"{prefix}raise_bookmark"
    return Q(**{f"{prefix}status__in": PREMIUM_PAYING}) & (
        Q(**{f"{bookmark}__isnull": True}) | Q(**{f"{bookmark}__policy_version__lt": F(f"{prefix}version")})
        | Q(**{f"{bookmark}__next_due_on__lte": _horizon(as_of)}))


def raise_candidates(as_of: date):
    return Policy.objects.filter(_raise_candidate(as_of))


def raise_candidate_ids(as_of: date):
    """The raise step's ids: its candidates, in one query (a join of the policies with their bookmarks)."""
    return raise_candidates(as_of).order_by("pk").values_list("pk", flat=True)


def due_items_raise(*, as_of: date, first_id: int, last_id: int, candidates: list[int] | None = None) -> int:
    """Raise every premium falling due up to as_of + lead for premium-paying policies in [first_id, last_id].

    Idempotent: (policy, kind, instalment) is unique and instalments already raised are skipped. Only the
    candidates are read: `candidates` (the ids the daily step planned the chunk from), else those of
    `raise_candidates` in the range. Each gets a fresh bookmark: the first premium left to raise.
    """
    horizon = _horizon(as_of)
    # The highest premium raised past the paid-to date (earlier ones are paid: below `paid_instalments`); a premium
    # mode change renumbers what is unpaid in the new mode (billing.contract_changes), the old mode's paid premiums
    # keep their numbers.
    highest = DueItem.objects.filter(policy_id=OuterRef("policy_id"), kind=DueItem.Kind.PREMIUM,
                                     due_date__gte=OuterRef("policy__paid_to_date")).order_by("-instalment")
    which = (_raise_candidate(as_of, "policy__") if candidates is None
             else Q(policy_id__in=candidates, policy__status__in=PREMIUM_PAYING))
    rows = list(
        PolicyVersion.objects.filter(which, effective_to__isnull=True, policy_id__gte=first_id, policy_id__lte=last_id)
        .order_by()
        .annotate(last_instalment=Subquery(highest.values("instalment")[:1]))
        .values_list("policy_id", "policy__version", "policy__issue_date", "policy__premium_term_years",
                     "policy__paid_instalments", "policy__currency", "premium_mode", "modal_premium",
                     "last_instalment")
    )
    new_items, bookmarks = [], []
    for pk, version, issue_date, term_years, paid_instalments, currency, mode, modal_premium, highest_raised in rows:
        first = max(paid_instalments, 0 if highest_raised is None else highest_raised + 1)
        raised = rules.premium_schedule(issue_date=issue_date, mode=mode, premium_term_years=term_years,
                                        start=due_date(issue_date, mode, first), end=horizon, first_instalment=first)
        new_items += [{"policy_id": pk, "instalment": item.instalment, "due_date": item.due_date,
                       "amount": modal_premium, "currency": currency, "raised_on": as_of} for item in raised]
        next_instalment = raised[-1].instalment + 1 if raised else first
        next_due = due_date(issue_date, mode, next_instalment)
        bookmarks.append({"policy_id": pk, "policy_version": version,
                          "next_due_on": next_due if next_due < premium_term_end(issue_date, term_years) else None})
    insert_rows(DueItem, new_items)
    insert_rows(RaiseBookmark, bookmarks, unique="policy", update=["policy_version", "next_due_on"])
    return len(new_items)


RECEIPT_SERIES = {Payment.Method.AUTO_DEBIT: "B", Payment.Method.APL: "L"}
"""The receipt series of a booking by its method: B for direct debits (bank files: their results and their
returns), L for automatic premium loans (the daily batch), R for everything booked by staff (counter
payments, refunds, reversals of them)."""
STAFF_SERIES = "R"


def _next_receipt_no(as_of: date, method: str) -> str:
    """The next receipt number of the method's series on the business date the booking is made (not the date
    the money was received, which the receipt states apart). The series' row stays locked until the
    booking's transaction ends, so concurrent bookings of one series queue for it; the first of a day starts
    after any number already used (rows booked before the counter existed).

    Lock order: callers take the receipt number before they lock the policy, and a transaction takes at most
    one row per series (one business date). A bank file books its debits in one transaction and holds series
    B until it commits, while a clerk takes series R: the clerk never waits for the file as a whole, only
    when booking a policy the file has booked already (its lock lasts until the file commits)."""
    prefix = f"{RECEIPT_SERIES.get(method, STAFF_SERIES)}{as_of:%Y%m%d}"
    with transaction.atomic():
        serial = _locked_serial(prefix)
        serial.last += 1
        serial.save(update_fields=["last"])
    return f"{prefix}{serial.last:07d}"


def _locked_serial(prefix: str) -> ReceiptSerial:
    """The receipt series' row of a day, locked until the transaction ends (created on first use)."""
    serial = ReceiptSerial.objects.select_for_update().filter(prefix=prefix).first()
    if serial is None:
        last = Payment.objects.filter(receipt_no__startswith=prefix).aggregate(m=Max("receipt_no"))["m"]
        try:
            with transaction.atomic():
                serial = ReceiptSerial.objects.create(prefix=prefix, last=int(last[len(prefix):]) if last else 0)
        except IntegrityError:  # another booking created the day's serial first: queue for it
            serial = ReceiptSerial.objects.select_for_update().get(prefix=prefix)
    return serial


def _hold_loan_series(policy_id: int, as_of: date) -> None:
    """Before a booking locks a policy whose owner opted in to automatic premium loans: lock the day's loan
    series (L) too, without using a number. The booking may settle a grace period that ended unpaid, which books
    a loan, and the daily batch takes series L before the policies it books loans on: taking it in the same order
    here keeps the booking and the batch from waiting for each other over the policy."""
    if PolicyVersion.objects.filter(policy_id=policy_id, effective_to__isnull=True, apl_opt_in=True).exists():
        _locked_serial(f"{RECEIPT_SERIES[Payment.Method.APL]}{as_of:%Y%m%d}")


def _paid_to(policy: Policy, paid_instalments: int) -> date:
    mode = policy.versions.get(effective_to__isnull=True).premium_mode
    return due_date(policy.issue_date, mode, paid_instalments)


def _record_paid(policy: Policy, paid_instalments: int) -> None:
    """The policy's premiums paid, through the policies service (its lock and version); billing's bookmarks that
    were current stay current, since what is paid does not change what the raise or the reminder ladder would do
    with them (see RaiseBookmark): only the version they are compared with moved on."""
    before = policy.version
    updated = policy_record_paid(policy_id=policy.pk, paid_instalments=paid_instalments,
                                 paid_to_date=_paid_to(policy, paid_instalments), expected_version=before)
    RaiseBookmark.objects.filter(policy_id=policy.pk, policy_version=before).update(policy_version=updated.version)
    DueItem.objects.filter(policy_id=policy.pk, status=DueItem.Status.OPEN, ladder_version=before).update(
        ladder_version=updated.version)
    policy.paid_instalments, policy.paid_to_date, policy.version = (
        updated.paid_instalments, updated.paid_to_date, updated.version)


def _apply(payment: Payment, items, available: Decimal, paid_on: date) -> Decimal:
    """Allocate `available` to `items` in order; a fully paid premium advances the policy's paid-to date and
    withdraws its reminders the outbox has not sent yet."""
    now = timezone.now()
    locked: dict[int, Policy] = {}  # each policy read under its lock once; _record_paid keeps the instance current
    paid_premiums = []
    for item in items:
        if available <= 0:
            break
        applied = min(available, item.outstanding)
        Allocation.objects.create(payment=payment, due_item=item, amount=applied, booked_at=now)
        available -= applied
        item.paid_amount += applied
        if item.paid_amount >= item.amount:
            item.status, item.paid_on = DueItem.Status.PAID, paid_on
            if item.kind == DueItem.Kind.PREMIUM:
                policy = locked.get(item.policy_id)
                if policy is None:
                    policy = locked[item.policy_id] = Policy.objects.select_for_update().get(pk=item.policy_id)
                if policy.paid_instalments == item.instalment:
                    _record_paid(policy, policy.paid_instalments + 1)
                paid_premiums.append(item.pk)
        item.save(update_fields=["paid_amount", "status", "paid_on"])
    reminder_messages_withdraw(paid_premiums, reason="the premium was paid before the reminder went out")
    return available


def reminder_messages_withdraw(due_item_ids: list[int], *, reason: str) -> int:
    """Withdraw the reminders by SMS or e-mail of these premiums, just paid or cancelled, that the outbox has not
    sent yet (a reminder to pay what is settled is not sent): two queries, none without a premium."""
    if not due_item_ids:
        return 0
    keys = [rules.message_key(*names) for names in Reminder.objects.filter(
        due_item_id__in=due_item_ids, channel__in=(DunningStep.Channel.SMS, DunningStep.Channel.EMAIL), status=Reminder.Status.SENT,
    ).values_list("due_item__policy__number", "due_item__instalment", "step__plan__code", "step__code")]
    return messages_withdraw(keys=keys, reason=reason)


def _open_items(policy_id: int, *, due_by: date):
    return list(
        DueItem.objects.select_for_update()
        .filter(policy_id=policy_id, status=DueItem.Status.OPEN, due_date__lte=due_by)
        .order_by("due_date", "kind", "instalment")
    )


def payment_record(*, actor, policy_id: int, amount: Decimal, method: str, received_on: date, natural_key: str,
                   as_of: date, booked_by=None, note: str = "", if_closed: str = "refuse",
                   confirmed_by=None) -> Payment:
    """Book a payment and apply it to the oldest open premiums; what is left waits in suspense.

    A policy in grace whose arrears are all paid is in force again from the payment date; a suspended
    policy is reinstated when its reinstatement (approved, deemed, or TW's automatic one) is fully paid.
    Money for a policy that takes no premium any more (lapsed, surrendered…) is refused at the counter;
    with `if_closed="suspense"` (money the bank has already collected) it is booked to suspense, to be
    refunded (`suspense_refund`). Staff (`booked_by`) booking more than the policy owes plus the premiums they may
    take ahead need a senior colleague's confirmation (`confirmed_by`, `ConfirmationNeeded`).
    """
    if if_closed not in ("refuse", "suspense"):
        raise ValueError(f"if_closed must be 'refuse' or 'suspense', not {if_closed!r}")
    amount = to_cents(Decimal(amount))
    if amount <= 0:
        raise PaymentRefused("a payment must be a positive amount")
    if amount > MAX_AMOUNT:
        raise PaymentRefused(f"a payment is at most {MAX_AMOUNT:,}")
    if received_on > as_of:
        raise PaymentRefused("a payment cannot be received after the business date")
    natural_key = natural_key.strip()
    if not natural_key:
        raise PaymentRefused("a payment needs its source reference")
    if method not in Payment.Method.values:
        raise PaymentRefused(f"unknown payment method {method!r}")
    try:
        with transaction.atomic():
            receipt_no = _next_receipt_no(as_of, method)  # before the policy lock: see _next_receipt_no
            if method != Payment.Method.APL:
                _hold_loan_series(policy_id, as_of)
            policy = Policy.objects.select_for_update().get(pk=policy_id)
            authorize(actor, Action.TAKE_PAYMENT, policy)
            actor = on_behalf(actor, Action.TAKE_PAYMENT)
            if received_on < policy.issue_date:
                raise PaymentRefused(f"money for policy {policy.number} cannot be received before its issue date "
                                     f"{policy.issue_date}")
            closed = policy.status not in TAKES_PREMIUMS
            # A policy that takes no premium still takes back what its payer owes (a negative suspense balance).
            before = suspense_balance(policy_id=policy.pk) if closed else None
            owed = max(-before, Decimal("0.00")) if closed else Decimal("0.00")
            recovery = closed and amount <= owed
            if closed and if_closed == "refuse" and not recovery:
                raise PaymentRefused(f"policy {policy.number} is {policy.get_status_display()}: it takes no premium"
                                     + (f", only the {owed} to recover from the payer" if owed else ""))
            if booked_by is not None and not closed:
                _check_confirmation(policy=policy, amount=amount, booked_by=booked_by, confirmed_by=confirmed_by,
                                    as_of=as_of)
            # The day the money reached the insurer decides, not the day it is booked: money that came after the
            # grace period's last day finds the policy suspended (or its arrears paid by an automatic premium loan)
            # even if the daily batch has not got there yet; money that came within grace pays the premiums even
            # if the batch has suspended the policy since (below).
            at_receipt = None if closed else policy_standing(policy=policy, on=received_on)
            if at_receipt is not None and at_receipt.status == Status.SUSPENDED and policy.status != Status.SUSPENDED:
                _settle_grace_end(actor=actor, policy=policy, standing=at_receipt, as_of=as_of)
                policy.refresh_from_db()
            payment = Payment.objects.create(
                receipt_no=receipt_no, natural_key=natural_key, policy=policy,
                amount=amount, currency=policy.currency, method=method, received_on=received_on,
                booked_at=timezone.now(), booked_by=booked_by, note=note,
            )
            audit_record(actor=actor, action="create", object_type="billing.payment", object_id=payment.pk,
                         after={"policy": policy.number, "amount": str(amount), "method": method}
                         | ({"recovers": True} if recovery else {"refund_due": True} if closed else {})
                         | ({"confirmed_by": confirmed_by.user.get_username()} if confirmed_by else {}))
            # not a column: tells the caller the money waits for its refund
            payment.refund_due = closed and not recovery
            left, synced = None, False  # what stays in suspense, when the booking below knows it
            if closed:  # nothing to pay: the money makes good what the payer owed, or waits for its refund
                left = before + amount
            else:
                if policy.status == Status.SUSPENDED and at_receipt.status == Status.SUSPENDED:
                    # a reinstatement keeps the suspense account itself
                    synced = _try_reinstate(actor=actor, policy=policy, payment=payment, on=received_on,
                                            as_of=as_of)
                else:
                    left = _apply(payment, _open_items(policy.pk, due_by=_horizon(as_of)),
                                  suspense_balance(policy_id=policy.pk), received_on)
                    _restate(actor=actor, policy=policy, as_of=as_of, paid_on=received_on)
            if not synced:
                _suspense_sync(policy, on=as_of, balance=left)
    except IntegrityError as exc:
        if Payment.objects.filter(natural_key=natural_key).exists():
            raise DuplicatePayment(f"the payment {natural_key} is already booked") from exc
        raise
    return payment


REFUND_METHODS = (Payment.Method.BANK_TRANSFER, Payment.Method.CHEQUE, Payment.Method.CASH)


def suspense_refund(*, actor, policy_id: int, amount: Decimal, method: str, reference: str, reason: str,
                    as_of: date, booked_by=None) -> Payment:
    """Pay money waiting in suspense back to the payer: a negative payment (no allocation), at most what is
    refundable now — the suspense balance less direct debits still inside their return window
    (`selectors.refundable_suspense`). `reference` is the transfer's or cheque's own reference: a refund is
    booked once."""
    amount = to_cents(Decimal(amount))
    if amount <= 0:
        raise PaymentRefused("a refund must be a positive amount")
    if amount > MAX_AMOUNT:
        raise PaymentRefused(f"a refund is at most {MAX_AMOUNT:,}")
    if method not in REFUND_METHODS:
        raise PaymentRefused(f"a refund is paid by bank transfer, cheque or cash, not {method!r}")
    reference, reason = reference.strip(), reason.strip()
    if not reference:
        raise PaymentRefused("a refund needs the reference of its transfer or cheque")
    if not reason:
        raise PaymentRefused("a refund needs a reason")
    natural_key = f"refund:{reference}"
    try:
        with transaction.atomic():
            receipt_no = _next_receipt_no(as_of, method)  # before the policy lock: see _next_receipt_no
            policy = Policy.objects.select_for_update().get(pk=policy_id)
            authorize(actor, Action.REFUND_SUSPENSE, policy)
            refundable = refundable_suspense(policy_id=policy.pk, as_of=as_of)
            if amount > refundable.balance:
                raise PaymentRefused(f"only {refundable.balance} {policy.currency} is in suspense for policy "
                                     f"{policy.number}")
            if amount > refundable.now:
                raise PaymentRefused(f"only {refundable.now} {policy.currency} can be refunded now: {refundable.held} "
                                     f"is direct-debit money the payer's bank can claim back until "
                                     f"{refundable.held_until}")
            refund = Payment.objects.create(
                receipt_no=receipt_no, natural_key=natural_key, policy=policy, amount=-amount,
                currency=policy.currency, method=method, received_on=as_of, booked_at=timezone.now(),
                booked_by=booked_by, note=reason[:200],
            )
            audit_record(actor=actor, action="create", object_type="billing.refund", object_id=refund.pk,
                         after={"policy": policy.number, "amount": str(amount), "method": method,
                                "reference": reference, "reason": reason})
            _suspense_sync(policy, on=as_of, balance=refundable.balance - amount)
    except IntegrityError as exc:
        if Payment.objects.filter(natural_key=natural_key).exists():
            raise DuplicatePayment(f"the refund {reference} is already booked") from exc
        raise
    return refund


def paid_ahead_ids(as_of: date):
    """The daily step `billing.apply_suspense`'s ids: premium-paying policies with money in suspense (a few rows
    of the sparse SuspenseAccount table, whatever the book's size)."""
    return (SuspenseAccount.objects.filter(balance__gt=0, policy__status__in=PREMIUM_PAYING)
            .order_by("pk").values_list("pk", flat=True))


def apply_suspense_to_new_items(*, policy_id: int, as_of: date) -> bool:
    """Money waiting in suspense pays the premiums raised since it arrived (the daily step
    `billing.apply_suspense`, after the raise), under the policy's lock. True when it paid something; nothing
    to pay: nothing written."""
    with transaction.atomic():
        policy = Policy.objects.select_for_update().get(pk=policy_id)
        if policy.status not in PREMIUM_PAYING:
            return False
        available = suspense_balance(policy_id=policy_id)
        last = _latest_standing_payment(policy_id)
        items = _open_items(policy_id, due_by=_horizon(as_of)) if available > 0 and last is not None else []
        if not items:
            return False
        left = _apply(last, items, available, as_of)
        _restate(actor=RUN_DAILY, policy=policy, as_of=as_of, paid_on=as_of)
        _suspense_sync(policy, on=as_of, balance=left)
        return True


def _latest_standing_payment(policy_id: int) -> Payment | None:
    """The latest money received for the policy that still stands (not a refund, not reversed): what premiums
    paid out of suspense are allocated to."""
    return (Payment.objects.filter(policy_id=policy_id, amount__gt=0, reversed_by__isnull=True)
            .order_by("-received_on", "-id").first())


def _suspense_sync(policy: Policy, *, on: date, balance: Decimal | None = None) -> None:
    """Copy the policy's suspense balance (`balance` when the caller knows it, else summed) into its
    SuspenseAccount row: none when it is zero; `since` moves only when the balance changes. Called by every
    booking that moves money in or out of suspense, inside its transaction and under the policy's lock."""
    balance = suspense_balance(policy_id=policy.pk) if balance is None else to_cents(balance)
    if abs(balance) > MAX_BALANCE:  # the booking is refused whole: its transaction rolls back
        raise PaymentRefused(f"policy {policy.number} cannot hold more than {MAX_BALANCE:,} {policy.currency} in "
                             "suspense")
    account = SuspenseAccount.objects.filter(policy_id=policy.pk).first()
    if balance == 0:
        if account is not None:
            account.delete()
    elif account is None:
        SuspenseAccount.objects.create(policy_id=policy.pk, balance=balance, currency=policy.currency, since=on)
    elif account.balance != balance:
        account.balance, account.since = balance, on
        account.save(update_fields=["balance", "since"])


def policy_standing(*, policy: Policy, on: date) -> rules.Standing:
    """Where the policy stands on `on` by the law's rule, from its oldest premium still unpaid after its due
    date and that premium's grace period (counted from the premium demand's arrival where the grace period is
    demand-based)."""
    item = (DueItem.objects.filter(policy_id=policy.pk, kind=DueItem.Kind.PREMIUM, status=DueItem.Status.OPEN,
                                   due_date__lt=on).order_by("due_date").only("due_date", "demand_arrived").first())
    if item is None:
        return rules.Standing(Status.IN_FORCE)
    grace = _grace_rules(policy)
    grace_end = None if grace.demand_based and item.demand_arrived is None else rules.grace_period_end(
        rules=grace, due=item.due_date, demand_arrived=item.demand_arrived,
        calendar=working_calendar(policy.jurisdiction_id))
    return rules.standing_on(on=on, first_unpaid_due=item.due_date, grace_end=grace_end)


def _settle_grace_end(*, actor, policy: Policy, standing: rules.Standing, as_of: date) -> None:
    """What the daily batch does to a policy whose grace period ended unpaid, done now: an automatic premium loan
    pays the arrears where the owner opted in and the cash value allows, else cover is suspended from the day after
    the grace period's last day (through grace, so that the journal holds both steps)."""
    if policy.status in GRACE_STARTS_FROM:
        policy_transition(actor=actor, policy_id=policy.pk, to_status=Status.GRACE, effective_date=standing.first_unpaid_due + timedelta(days=1), as_of=as_of,
                          kind="grace_started", reason=f"premium due {standing.first_unpaid_due} unpaid")
    if pay_by_premium_loan(policy=policy, grace_end=standing.grace_end, as_of=as_of):
        return
    policy_transition(actor=actor, policy_id=policy.pk, to_status=Status.SUSPENDED, effective_date=standing.since,
                      as_of=as_of, kind="suspended", reason=f"grace period ended {standing.grace_end} unpaid")


def _restate(*, actor, policy: Policy, as_of: date, paid_on: date | None = None) -> None:
    """After a booking changed what is paid (a payment received on `paid_on`, a reversal), put the policy where
    the law's rule puts it on the business date: back in force once its arrears are paid (from the day the money
    was received), in grace, or past its grace period's end (suspended, or paid by an automatic premium loan).

    A suspension is undone only by money received within grace (`paid_on`): "paid within grace", with no
    reinstatement and no reinstatement interest; the journal keeps both the suspension and its undoing."""
    policy.refresh_from_db(fields=["status", "status_date"])
    current = policy.status
    if current not in TAKES_PREMIUMS:
        return
    target = policy_standing(policy=policy, on=as_of)
    if current == Status.SUSPENDED:
        if paid_on is None or target.status == Status.SUSPENDED:
            return
        policy_transition(
            actor=actor, policy_id=policy.pk, to_status=target.status,
            effective_date=paid_on if target.status == Status.IN_FORCE else target.since, as_of=as_of,
            kind="suspension_undone", reason="premium received within the grace period",
            data={"suspended_on": str(policy.status_date), "received_on": str(paid_on)})
    elif target.status == Status.SUSPENDED:
        _settle_grace_end(actor=actor, policy=policy, standing=target, as_of=as_of)
    elif target.status == Status.GRACE and current in GRACE_STARTS_FROM:
        policy_transition(actor=actor, policy_id=policy.pk, to_status=Status.GRACE, effective_date=target.since,
                          as_of=as_of, kind="grace_started", reason=f"premium due {target.first_unpaid_due} unpaid")
    elif target.status == Status.IN_FORCE and current == Status.GRACE and paid_on is not None:
        policy_transition(actor=actor, policy_id=policy.pk, to_status=Status.IN_FORCE, effective_date=paid_on,
                          as_of=as_of, kind="premium_paid", reason="arrears paid in the grace period")


@transaction.atomic
def payment_reverse(*, actor, payment_id: int, reason: str, as_of: date) -> Payment:
    """Take a payment back (bounced cheque, booking error, a debit the payer's bank claimed back): a negative
    payment and negative allocations. Under the policy's lock, like every booking, so that a payment booked
    meanwhile cannot overwrite what the reversal does to the same premiums. When the money was already
    paid out of suspense (refunded), suspense goes below zero: the audit entry says what to recover."""
    policy_id, method = Payment.objects.values_list("policy_id", "method").get(pk=payment_id)
    receipt_no = _next_receipt_no(as_of, method)  # in the original's series, before any lock on its policy
    if method != Payment.Method.APL:
        _hold_loan_series(policy_id, as_of)
    authorize(actor, Action.REVERSE_PAYMENT, Policy.objects.select_for_update().get(pk=policy_id))
    actor = on_behalf(actor, Action.REVERSE_PAYMENT)
    original = Payment.objects.select_for_update().get(pk=payment_id)
    if original.amount < 0:
        raise PaymentRefused("a reversal cannot itself be reversed")
    if Payment.objects.filter(reverses=original).exists():
        raise PaymentRefused(f"payment {original.receipt_no} is already reversed")
    if not reason.strip():
        raise PaymentRefused("a reversal needs a reason")
    reversal = Payment.objects.create(
        receipt_no=receipt_no, natural_key=f"reversal:{original.natural_key}", policy=original.policy,
        amount=-original.amount, currency=original.currency, method=original.method, received_on=as_of,
        booked_at=timezone.now(), reverses=original, note=reason.strip(),
    )
    if original.method == Payment.Method.APL:
        _premium_loan_cancel(actor, original, reason=reason.strip(), as_of=as_of)
    now = timezone.now()
    for allocation in original.allocations.select_related("due_item"):
        Allocation.objects.create(payment=reversal, due_item=allocation.due_item, amount=-allocation.amount,
                                  booked_at=now)
        item = allocation.due_item
        item.paid_amount -= allocation.amount
        if item.status == DueItem.Status.PAID and item.paid_amount < item.amount:
            item.status, item.paid_on = DueItem.Status.OPEN, None
            if item.kind == DueItem.Kind.PREMIUM:
                policy = Policy.objects.select_for_update().get(pk=item.policy_id)
                _record_paid(policy, min(policy.paid_instalments, item.instalment))
        item.save(update_fields=["paid_amount", "status", "paid_on"])
    suspense = suspense_balance(policy_id=policy_id)
    _suspense_sync(original.policy, on=as_of, balance=suspense)
    audit_record(actor=actor, action="create", object_type="billing.payment", object_id=reversal.pk,
                 after={"reverses": original.receipt_no, "reason": reason.strip()}
                 | ({"to_recover_from_payer": str(-suspense)} if suspense < 0 else {}))
    # where the policy would stand had the money never come: in grace, or past its grace end, at once
    _restate(actor=actor, policy=original.policy, as_of=as_of)
    return reversal


def _premium_loan_cancel(actor, payment: Payment, *, reason: str, as_of: date) -> None:
    """A reversed automatic premium loan payment takes its loan off the policy's ledger (`policy_loan_cancel`,
    journaled): the loan granted with the payment's booking key (`pay_by_premium_loan`)."""
    loan_id = (PolicyLoan.objects.filter(policy_id=payment.policy_id, kind=PolicyLoan.Kind.PREMIUM_LOAN,
                                         reference=payment.natural_key[:40]).values_list("pk", flat=True).first())
    if loan_id is None:
        return
    try:
        policy_services.policy_loan_cancel(actor=on_behalf(actor, Action.CHANGE_POLICY), loan_id=loan_id,
                                           as_of=as_of, reason=f"payment {payment.receipt_no} reversed: {reason}")
    except policy_services.LoanRefused as exc:
        raise PaymentRefused(f"the automatic premium loan of payment {payment.receipt_no} cannot be taken back: "
                             f"{exc}") from exc


def pay_by_premium_loan(*, policy: Policy, grace_end: date, as_of: date, actor=RUN_DAILY,
                        policy_loans: list[loans.Loan] | None = None) -> bool:
    """At the end of an unpaid grace period, an automatic premium loan (APL, 自动垫交) pays the arrears
    when the owner opted in and the loan limit on the cash value covers them (less what is owed on the policy's
    loans). The loan goes into the policy's loan ledger (journaled there) at the jurisdiction's loan interest
    rate, beside the booking that pays the premiums. One loan per grace end: once its payment is reversed
    (`payment_reverse` takes the loan off the ledger) the policy is suspended instead. `policy_loans`: the policy's
    open loans when the caller batch-read them. Returns True if it did."""
    arrears = sum(
        (i.outstanding for i in DueItem.objects.filter(policy=policy, status=DueItem.Status.OPEN,
                                                       due_date__lte=grace_end)),
        Decimal(0),
    )
    if arrears <= 0:
        return False
    capacity = apl_capacity(policy=Policy.objects.select_related("product", "insured").get(pk=policy.pk),
                            on=grace_end, policy_loans=policy_loans)
    if capacity.available < arrears:
        return False
    key = f"apl:{policy.pk}:{grace_end}"
    if Payment.objects.filter(natural_key=key).exists():  # this grace end's loan was made and reversed: not again
        return False
    with transaction.atomic():
        payment_record(actor=actor, policy_id=policy.pk, amount=arrears, method=Payment.Method.APL,
                       received_on=grace_end, natural_key=key, as_of=as_of,
                       note=f"automatic premium loan on cash value {capacity.cash_value}")
        policy_services.policy_loan_grant(
            actor=on_behalf(actor, Action.CHANGE_POLICY), policy_id=policy.pk, kind=PolicyLoan.Kind.PREMIUM_LOAN,
            principal=arrears, taken_on=grace_end, as_of=as_of, reference=key,
            rate_percent=jurisdiction_rule(policy.jurisdiction_id, "policy_loan_interest_rate").amount)
    return True


# -- reinstatement (复效) ------------------------------------------------------------------------------

def _grace_rules(policy: Policy):
    mode = policy.versions.get(effective_to__isnull=True).premium_mode
    return grace_rules_for(jurisdiction=policy.jurisdiction_id, grace_basis=policy.product.grace_basis,
                           premium_mode=mode)


@transaction.atomic
def reinstatement_apply(*, actor, policy_id: int, received_on: date, health_declaration: str,
                        as_of: date) -> ReinstatementApplication:
    """Register an owner's reinstatement application, received inside the reinstatement window."""
    policy = Policy.objects.select_for_update().select_related("product").get(pk=policy_id)
    authorize(actor, Action.APPLY_REINSTATEMENT, policy)
    if policy.status != Status.SUSPENDED:
        raise BillingRefused(f"policy {policy.number} is not suspended")
    if received_on > as_of:
        raise BillingRefused("an application cannot be received after the business date")
    if not health_declaration.strip():
        raise BillingRefused("a reinstatement needs the insured's health declaration")
    window_end = rules.reinstatement_window_end(rules=_grace_rules(policy), suspended_on=policy.status_date,
                                                calendar=working_calendar(policy.jurisdiction_id))
    if received_on > window_end:
        raise BillingRefused(f"the reinstatement window ended on {window_end}")
    if policy.reinstatements.filter(status__in=OPEN_APPLICATION).exists():
        raise BillingRefused(f"policy {policy.number} already has a reinstatement application open")
    application = ReinstatementApplication.objects.create(
        policy=policy, received_on=received_on, health_declaration=health_declaration.strip()
    )
    audit_record(actor=actor, action="create", object_type="billing.reinstatement", object_id=application.pk,
                 after={"policy": policy.number, "received_on": str(received_on)})
    return application


@transaction.atomic
def reinstatement_decide(*, actor, application_id: int, approve: bool, decided_on: date, as_of: date,
                         reason: str = "", deemed: bool = False) -> ReinstatementApplication:
    application = ReinstatementApplication.objects.select_for_update().select_related("policy").get(pk=application_id)
    authorize(actor, Action.DECIDE_REINSTATEMENT, application.policy)
    actor = on_behalf(actor, Action.DECIDE_REINSTATEMENT)
    if application.status != ReinstatementApplication.Status.PENDING:
        raise BillingRefused("this application has already been decided")
    if not approve and not reason.strip():
        raise BillingRefused("a declined reinstatement needs its reason")
    application.status = (
        ReinstatementApplication.Status.DEEMED if deemed
        else ReinstatementApplication.Status.APPROVED if approve
        else ReinstatementApplication.Status.DECLINED
    )
    application.decided_on, application.decision_reason = decided_on, reason.strip()
    application.save(update_fields=["status", "decided_on", "decision_reason"])
    audit_record(actor=actor, action="update", object_type="billing.reinstatement", object_id=application.pk,
                 after={"status": application.status, "decided_on": str(decided_on)})
    if approve:
        policy = Policy.objects.select_for_update().get(pk=application.policy_id)
        _try_reinstate(actor=actor, policy=policy, payment=None, on=decided_on, as_of=as_of)
    return application


@register_reinstatement_handler
def reinstatement_request(*, actor, policy_id: int, received_on: date, health_declaration: str, decided_on: date,
                          as_of: date) -> dict:
    """A reinstatement taken as a servicing request and approved there by a second person: the application as
    received and its approval, under this app's rules (window, arrears, interest); the policy is reinstated now when
    the arrears and interest are in suspense, else when they are paid."""
    application = reinstatement_apply(actor=actor, policy_id=policy_id, received_on=received_on,
                                      health_declaration=health_declaration, as_of=as_of)
    reinstatement_decide(actor=actor, application_id=application.pk, approve=True, decided_on=decided_on,
                         as_of=as_of)
    reinstated = Policy.objects.filter(pk=policy_id, status=Status.REINSTATED).exists()
    return {"application": application.pk, "reinstated": reinstated}


def _try_reinstate(*, actor, policy: Policy, payment: Payment | None, on: date, as_of: date) -> bool:
    """Reinstate when an approved (or automatic) reinstatement's arrears and interest are in suspense.

    Cover revives on the day the arrears are paid after consent, and the suicide clock restarts then.
    """
    application = policy.reinstatements.filter(
        status__in=(ReinstatementApplication.Status.APPROVED, ReinstatementApplication.Status.DEEMED)
    ).first()
    grace = _grace_rules(policy)
    calendar = working_calendar(policy.jurisdiction_id)
    automatic = application is None and rules.reinstates_automatically(
        rules=grace, suspended_on=policy.status_date, arrears_paid_on=on, calendar=calendar
    )
    if application is None and not automatic:
        return False
    arrears = _open_items(policy.pk, due_by=on)
    rate = jurisdiction_rule(policy.jurisdiction_id, "reinstatement_interest_rate").amount
    interest = rules.arrears_interest(
        items=[(i.due_date, i.outstanding) for i in arrears if i.kind == DueItem.Kind.PREMIUM],
        paid_on=on, rate_pct_per_year=rate,
    )
    needed = sum((i.outstanding for i in arrears), Decimal(0)) + interest
    available = suspense_balance(policy_id=policy.pk)
    if available < needed:
        return False
    source = payment or _latest_standing_payment(policy.pk)
    if interest > 0:
        arrears.append(DueItem.objects.create(
            policy=policy, kind=DueItem.Kind.INTEREST, instalment=application.pk if application else 0,
            due_date=on, amount=interest, currency=policy.currency, raised_on=as_of,
        ))
    _suspense_sync(policy, on=as_of, balance=_apply(source, arrears, available, on))
    policy_transition(actor=actor, policy_id=policy.pk, to_status=Status.REINSTATED, effective_date=on,
                      as_of=as_of, kind="reinstated",
                      reason="automatic reinstatement by paying arrears" if automatic else "reinstatement approved",
                      data={"suicide_clock_restarts": str(on), "interest": str(interest)})
    if application is not None:
        application.status, application.reinstated_on, application.interest = (
            ReinstatementApplication.Status.COMPLETED, on, interest)
        application.save(update_fields=["status", "reinstated_on", "interest"])
    return True


def reinstatements_deem_consent(*, as_of: date, first_id: int, last_id: int) -> int:
    """Pending applications whose deemed-consent day has come are approved by the insurer's silence."""
    deemed = 0
    pending = ReinstatementApplication.objects.filter(
        pk__range=(first_id, last_id), status=ReinstatementApplication.Status.PENDING
    ).select_related("policy", "policy__product")
    for application in pending:
        consent_on = rules.deemed_consent_date(
            rules=_grace_rules(application.policy), application_received=application.received_on,
            calendar=working_calendar(application.policy.jurisdiction_id),
        )
        if consent_on is not None and consent_on <= as_of:
            reinstatement_decide(actor=RUN_DAILY, application_id=application.pk, approve=True, decided_on=consent_on,
                                 as_of=as_of, reason="no answer within the legal period", deemed=True)
            deemed += 1
    return deemed


class PriorityRefused(PermissionError):
    """Renewal priorities are written by a batch (a system actor), never by a person."""


def renewal_priorities_replace(*, actor, as_of: date, priorities: dict[int, tuple[float, Decimal]]) -> int:
    """Replace the book's renewal priorities with `priorities` (policy id → (lapse risk, value)): priority =
    risk × max(value, 0). One transaction; written by the value app's batch, a system actor only. Returns the
    rows written."""
    from lifecrm.billing.models import RenewalPriority
    from lifecrm.core.actors import trusted

    if not trusted(actor):
        raise PriorityRefused("renewal priorities are computed by the value batch, not set by hand")
    rows = [RenewalPriority(policy_id=policy_id, as_of=as_of, lapse_risk=float(risk), value=to_cents(value),
                            priority=float(risk) * max(float(value), 0.0))
            for policy_id, (risk, value) in priorities.items()]
    with transaction.atomic():
        RenewalPriority.objects.all().delete()
        RenewalPriority.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
