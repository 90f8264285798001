"""Daily batch steps of renewal collection: raise due items, start grace, suspend, lapse."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, Min, OuterRef, Q

from lifecrm.billing import rules
from lifecrm.billing.models import DueItem, ReinstatementApplication
from lifecrm.billing.rules import GRACE_STARTS_FROM
from lifecrm.billing.selectors import grace_rules_for
from lifecrm.billing.services import (
    OPEN_APPLICATION,
    apply_suspense_to_new_items,
    due_items_raise,
    paid_ahead_ids,
    pay_by_premium_loan,
    raise_candidate_ids,
    reinstatements_deem_consent,
)
from lifecrm.core.actors import RUN_DAILY
from lifecrm.core.jobs import chunked_step, planned_ids, register_daily_step
from lifecrm.core.models import Jurisdiction
from lifecrm.core.selectors import jurisdiction_rule, working_calendar
from lifecrm.notifications.jobs import SEND_OUTBOX
from lifecrm.policies import loans
from lifecrm.policies.models import Policy, PolicyVersion
from lifecrm.policies.rules import Status
from lifecrm.policies.services import Transition, policies_transition


# keep_ids: a chunk reads the candidates it was planned from by id, not by repeating their join.
@chunked_step("billing.raise_due_items", ids=raise_candidate_ids, chunk_size=50000, keep_ids=True)
def raise_due_items(as_of: date, first_id: int, last_id: int) -> int:
    return due_items_raise(as_of=as_of, first_id=first_id, last_id=last_id, candidates=planned_ids())


@chunked_step("billing.apply_suspense", ids=paid_ahead_ids, chunk_size=500)
def apply_suspense(as_of: date, first_id: int, last_id: int) -> int:
    """Money paid ahead (in suspense) pays the premiums just raised, before the grace step looks for arrears."""
    return sum(apply_suspense_to_new_items(policy_id=policy_id, as_of=as_of)
               for policy_id in paid_ahead_ids(as_of).filter(pk__gte=first_id, pk__lte=last_id))


def _oldest_overdue(as_of: date, policy_ids) -> dict[int, date]:
    return dict(
        DueItem.objects.filter(policy_id__in=policy_ids, status=DueItem.Status.OPEN, due_date__lt=as_of)
        .values_list("policy_id")
        .annotate(first_due=Min("due_date"))
    )


@dataclass(frozen=True, slots=True)
class _Row:
    """What the grace, suspension and lapse rules read of a policy."""

    pk: int
    jurisdiction_id: str
    grace_basis: str
    status_date: date
    premium_mode: str
    apl_opt_in: bool

    def grace(self) -> rules.GraceRules:
        return grace_rules_for(jurisdiction=self.jurisdiction_id, grace_basis=self.grace_basis,
                               premium_mode=self.premium_mode)


def _policy_rows(first_id: int, last_id: int, statuses, **filters) -> list[_Row]:
    """The policies of [first_id, last_id] in `statuses` (and `filters` on Policy), one query, no model objects."""
    return [_Row(*row) for row in PolicyVersion.objects.filter(
        policy_id__gte=first_id, policy_id__lte=last_id, effective_to__isnull=True, policy__status__in=statuses,
        **{f"policy__{name}": value for name, value in filters.items()},
    ).order_by("policy_id").values_list("policy_id", "policy__jurisdiction_id", "policy__product__grace_basis",
                                        "policy__status_date", "premium_mode", "apl_opt_in")]


def _overdue_ids(as_of: date):
    """Policies that may start a grace period: in force or reinstated with a premium unpaid after its due date."""
    overdue = DueItem.objects.filter(policy_id=OuterRef("pk"), status=DueItem.Status.OPEN, due_date__lt=as_of)
    return (Policy.objects.filter(status__in=GRACE_STARTS_FROM).filter(Exists(overdue))
            .order_by("pk").values_list("pk", flat=True))


@chunked_step("billing.grace", ids=_overdue_ids, chunk_size=20000)
def start_grace(as_of: date, first_id: int, last_id: int) -> int:
    """A premium unpaid after its due date puts the policy in its grace period from the next day."""
    overdue = _oldest_overdue(as_of, Policy.objects.filter(pk__range=(first_id, last_id),
                                                           status__in=GRACE_STARTS_FROM).values("pk"))
    return policies_transition(actor=RUN_DAILY, as_of=as_of, changes=[
        Transition(policy_id, Status.GRACE, first_due + timedelta(days=1), kind="grace_started",
                   reason=f"premium due {first_due} unpaid")
        for policy_id, first_due in sorted(overdue.items())
    ])


# A grace end recorded further out than this is not looked at again until it comes this close (a working
# calendar changed meanwhile — a typhoon day — is still taken into account before it ends).
GRACE_END_RECHECK_DAYS = 14


def _grace_ids(as_of: date):
    """Policies in grace whose grace end is not recorded yet or comes within GRACE_END_RECHECK_DAYS."""
    unsettled = DueItem.objects.filter(policy_id=OuterRef("pk"), status=DueItem.Status.OPEN, due_date__lt=as_of).filter(
        Q(grace_end__isnull=True) | Q(grace_end__lt=as_of + timedelta(days=GRACE_END_RECHECK_DAYS)))
    return Policy.objects.filter(status=Status.GRACE).filter(Exists(unsettled)).order_by("pk").values_list(
        "pk", flat=True)


@chunked_step("billing.suspend", ids=_grace_ids, chunk_size=20000)
def suspend_after_grace(as_of: date, first_id: int, last_id: int) -> int:
    """A policy whose grace period ended unpaid is suspended from the day after its last day."""
    candidates = list(_grace_ids(as_of).filter(pk__gte=first_id, pk__lte=last_id))
    policies = _policy_rows(first_id, last_id, (Status.GRACE,), pk__any=candidates)
    overdue = _oldest_overdue(as_of, [p.pk for p in policies])
    # Deemed arrival of the premium demand (set by the reminder ladder) and the grace end recorded so far,
    # per (policy, due date) of the oldest open premium.
    recorded: dict[tuple[int, date], list] = {}
    for pk, policy_id, due, arrived, grace_end in DueItem.objects.filter(
            policy_id__any=list(overdue), kind=DueItem.Kind.PREMIUM, status=DueItem.Status.OPEN,
    ).values_list("pk", "policy_id", "due_date", "demand_arrived", "grace_end"):
        recorded.setdefault((policy_id, due), [arrived, grace_end, []])[2].append(pk)
    # the loans of the policies an automatic premium loan may pay for, read for the chunk (two queries)
    open_loans = loans.loans_by_policy([p.pk for p in policies if p.apl_opt_in and p.pk in overdue])
    suspensions, new_ends = [], {}
    for policy in policies:
        first_due = overdue.get(policy.pk)
        if first_due is None:
            continue
        grace = policy.grace()
        demand_arrived, recorded_end, item_pks = recorded.get((policy.pk, first_due), (None, None, []))
        if grace.demand_based and demand_arrived is None:
            continue  # no demand has arrived: the grace period has not started (the reminder ladder sends one)
        grace_end = rules.grace_period_end(rules=grace, due=first_due, demand_arrived=demand_arrived,
                                           calendar=working_calendar(policy.jurisdiction_id))
        if grace_end != recorded_end:
            new_ends.setdefault(grace_end, []).extend(item_pks)
        # an automatic premium loan only where the owner opted in (pay_by_premium_loan checks it again)
        if as_of > grace_end and policy.apl_opt_in and pay_by_premium_loan(
                policy=Policy.objects.select_related("product").get(pk=policy.pk), grace_end=grace_end, as_of=as_of,
                policy_loans=open_loans.get(policy.pk, [])):
            continue
        if as_of > grace_end:
            suspensions.append(Transition(policy.pk, Status.SUSPENDED, rules.suspension_date(grace_end=grace_end),
                                          kind="suspended", reason=f"grace period ended {grace_end} unpaid"))
    for grace_end, pks in new_ends.items():  # the ladder's grace-end steps move with it: its bookmark is reset
        DueItem.objects.filter(pk__any=pks).update(grace_end=grace_end, ladder_version=None)
    return policies_transition(actor=RUN_DAILY, as_of=as_of, changes=suspensions)


def _suspended_long_enough(as_of: date) -> date:
    """No policy suspended after this date can have reached the end of its reinstatement window by as_of:
    the shortest window of any jurisdiction, counted in its fewest possible days."""
    shortest = min(jurisdiction_rule(code, "reinstatement_window").period.min_days()
                   for code in Jurisdiction.objects.values_list("code", flat=True))
    return as_of - timedelta(days=shortest)


def _lapse_ids(as_of: date):
    return (Policy.objects.filter(status=Status.SUSPENDED, status_date__lte=_suspended_long_enough(as_of))
            .order_by("pk").values_list("pk", flat=True))


@chunked_step("billing.lapse", ids=_lapse_ids, chunk_size=20000)
def lapse_after_window(as_of: date, first_id: int, last_id: int) -> int:
    """A suspended policy not reinstated by the end of the reinstatement window lapses the day after."""
    policies = _policy_rows(first_id, last_id, (Status.SUSPENDED,), status_date__lte=_suspended_long_enough(as_of))
    # An application received inside the window keeps the policy alive until it is decided.
    applying = set(
        ReinstatementApplication.objects.filter(policy_id__in=[p.pk for p in policies], status__in=OPEN_APPLICATION)
        .values_list("policy_id", flat=True)
    )
    lapses = []
    for policy in policies:
        if policy.pk in applying:
            continue
        lapse_on = rules.lapse_date(rules=policy.grace(), suspended_on=policy.status_date,
                                    calendar=working_calendar(policy.jurisdiction_id))
        if as_of >= lapse_on:
            lapses.append(Transition(policy.pk, Status.LAPSED, lapse_on, kind="lapsed",
                                     reason="reinstatement window ended"))
    return policies_transition(actor=RUN_DAILY, as_of=as_of, changes=lapses)


@chunked_step(
    "billing.reinstatement_deemed_consent",
    ids=lambda as_of: ReinstatementApplication.objects.filter(status=ReinstatementApplication.Status.PENDING)
    .order_by("pk").values_list("pk", flat=True),
)
def deem_consent(as_of: date, first_id: int, last_id: int) -> int:
    """The insurer's silence past the legal period approves a reinstatement application."""
    return reinstatements_deem_consent(as_of=as_of, first_id=first_id, last_id=last_id)


STEPS = [
    (raise_due_items, ("policies.mature",)),
    (apply_suspense, ("billing.raise_due_items",)),
    (start_grace, ("billing.apply_suspense",)),
    (suspend_after_grace, ("billing.grace",)),
    (deem_consent, ("billing.suspend",)),
    (lapse_after_window, ("billing.reinstatement_deemed_consent",)),
]
for _step, _after in STEPS:
    register_daily_step(_step, after=_after)


# -- direct-debit export (lifecrm/billing/debits): the day's pain.008 files, once the day's status changes
# are made (a policy suspended or lapsed today is not debited, one reinstated today is). It reads nothing the
# reminder ladder writes and the ladder nothing it writes: the two run side by side.
from lifecrm.billing.debits.export import debit_export_step  # noqa: E402

register_daily_step(debit_export_step, after=("billing.lapse",))


# -- reminder ladder (dunning) -------------------------------------------------------------------------
# After every status change of the day (billing.lapse comes after billing.suspend and the reinstatements'
# deemed consent): grace ends are computed and today's suspensions and reinstatements are known, so the
# ladder's grace-end and suspension steps see them the same day; a demand sent today fixes `demand_arrived`,
# from which tomorrow's billing.suspend counts a demand-based grace period.
from lifecrm.billing import reminders  # noqa: E402  registers its timeline source and debit-rejection handler


@chunked_step("billing.reminders", ids=reminders.ladder_policy_ids, chunk_size=2000, keep_ids=True)
def send_reminders(as_of: date, first_id: int, last_id: int) -> int:
    """Carry out the reminder ladder's steps due today (reminders, demands, phone tasks, notices), once each; their
    SMS and e-mails go into the outbox, which `notifications.send_outbox` sends after this step."""
    return reminders.reminders_run(as_of=as_of, first_id=first_id, last_id=last_id, planned=planned_ids())


register_daily_step(send_reminders, after=("billing.lapse",), before=(SEND_OUTBOX,))


# -- the ledger's reconciliation (lifecrm/billing/reconciliation.py): the last daily step of billing.
from lifecrm.billing import reconciliation  # noqa: E402,F401  registers billing.reconcile_ledger
