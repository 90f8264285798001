"""The reminder ladder (dunning): each plan step due for an open premium, carried out at most once.

Plans are data (DunningPlan / DunningStep, shipped in data/dunning_plans.json), one per jurisdiction
and customer tier. The daily step `billing.reminders` (jobs.py) runs after `billing.suspend`, so
grace ends are computed and today's suspensions are known before the ladder looks at them.

- A step's date is its anchor (due date, grace end, suspension date) plus its offset; it is done
  when that date is on or before the business date and the due item has no reminder of that step
  code yet. Reminder is unique per (due item, step): a rerun changes nothing.
- Staleness rule (STALE_AFTER_DAYS): a step found more than 3 days after its date is recorded as
  skipped, not sent — except a suspension notice (a legal duty) and a demand that a demand-based
  grace period still waits for: those go out late, never not at all.
- A demand fixes the due item's deemed arrival date (`demand_arrived`), from which a demand-based
  grace period runs.
- The row and what it sends are written in one transaction, each named by the message key of (policy,
  instalment, plan, step): a letter's print file (`notifications.Letter`, its HTML) linked from the row, an
  SMS or e-mail recorded in the notifications outbox (`messages_queue`, the key its idempotency key), which
  the daily step `notifications.send_outbox` (after this one) or `lifecrm send-outbox` delivers: retries,
  the customer's quiet hours, the delivery status on the customer's timeline. A premium paid before its
  reminder went out withdraws it (`services._apply`). Letters become PDFs in
  the print run of every letter (`lifecrm print-letters`, `notifications.print_letters`), which refuses a date
  with a letter sent without its print file (`letters_without_print_file`).
- A premium's bookmark (`ladder_version`, `ladder_next_on`) lets the daily step skip the premiums
  with nothing to do today (see `reminders_run`); a chunk's reminders are saved together (`Batch`).
"""
from __future__ import annotations

import importlib
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lifecrm.banking.reasons import reason_label
from lifecrm.billing import rules
from lifecrm.billing.models import DueItem, DunningPlan, DunningStep, Reminder
from lifecrm.billing.rules import GraceRules
from lifecrm.billing.selectors import grace_rules_for
from lifecrm.core.actors import RUN_DAILY
from lifecrm.core.bulk import bulk_insert
from lifecrm.core.prepared import prepared
from lifecrm.core.registries import (
    TimelineEntry,
    register_segment_listener,
    register_timeline_count,
    register_timeline_source,
)
from lifecrm.core.selectors import deadline_is_provisional, working_calendar
from lifecrm.core.services import audit_record
from lifecrm.notifications import contacts, content, letters
from lifecrm.notifications.jobs import batch_moment
from lifecrm.notifications.models import Letter
from lifecrm.notifications.services import Outgoing, messages_queue
from lifecrm.parties.selectors import DEFAULT_TIER, customer_entitlements, customers_entitlements
from lifecrm.policies.models import Policy
from lifecrm.policies.rules import PREMIUM_PAYING, Status
from lifecrm.policies.selectors import policies_in_scope

# A step's message: templates/billing/messages/<step code or action>.<language>.txt (the step's own text, else
# its action's), rendered by notifications.content.
MESSAGES = "billing/messages/"
STALE_AFTER_DAYS = 3
# Addressed to the owner, by letter (SMS fallback), retried after a failure.
LEGAL_ACTIONS = frozenset({DunningStep.Action.DEMAND, DunningStep.Action.SUSPENSION_NOTICE})
# Suspended policies stay on the ladder this long, for their suspension notice.
JUST_SUSPENDED_DAYS = 31
# Deemed arrival of a demand: a posted letter on the 3rd working day after posting; SMS the same day.
LETTER_ARRIVAL_WORKING_DAYS = 3
ELECTRONIC_ARRIVAL_DAYS = 0
# Steps carried out on an event, never by date.
DEBIT_REJECTED_STEP = "debit-rejected"
AD_HOC_STEPS = frozenset({DEBIT_REJECTED_STEP})
# The outbox's name for the ladder's messages (`OutboxMessage.app`).
OUTBOX_APP = "billing"
PHONE_CHANNELS = frozenset({DunningStep.Channel.CALL_CENTRE, DunningStep.Channel.AGENT})
PHONE_OUTCOMES = {
    "will_pay": gettext_lazy("promised to pay"), "paid": gettext_lazy("says it is paid"),
    "no_answer": gettext_lazy("no answer"), "wrong_number": gettext_lazy("wrong number"),
    "refused": gettext_lazy("refused to pay"), "call_back": gettext_lazy("call back later"),
}


class ReminderRefused(ValueError):
    """A change to a reminder or phone task the rules do not allow."""


# -- plans and cases ------------------------------------------------------------------------------

def active_plans() -> dict[tuple[str, str], tuple[DunningPlan, list[DunningStep]]]:
    plans = DunningPlan.objects.filter(is_active=True).prefetch_related("steps")
    return {(p.jurisdiction_id, p.tier): (p, sorted(p.steps.all(), key=lambda s: (s.anchor, s.offset_days)))
            for p in plans}


def plan_for(plans, jurisdiction: str, tier: str):
    """The plan of the jurisdiction and tier, else the jurisdiction's standard plan, else None."""
    return plans.get((jurisdiction, tier)) or plans.get((jurisdiction, DEFAULT_TIER))


@dataclass
class Case:
    """One open premium on the ladder: its policy (with its current billing terms) and plan."""

    policy: _Policy  # see _policies
    item: DueItem
    plan: DunningPlan
    steps: list[DunningStep]
    _grace: GraceRules | None = field(default=None, repr=False)

    @property
    def grace(self) -> GraceRules:
        if self._grace is None:
            self._grace = grace_rules_for(jurisdiction=self.policy.jurisdiction_id,
                                          grace_basis=self.policy.product.grace_basis,
                                          premium_mode=self.policy.premium_mode)
        return self._grace


def step_date(step: DunningStep, case: Case) -> date | None:
    """When the step falls due for this case; None while its anchor has not happened."""
    suspended = case.policy.status == Status.SUSPENDED
    if step.anchor == DunningStep.Anchor.SUSPENSION:
        anchor = case.policy.status_date if suspended else None
    elif suspended:
        anchor = None  # a suspended policy only gets what speaks of its suspension
    elif step.anchor == DunningStep.Anchor.GRACE_END:
        anchor = case.item.grace_end
    else:
        anchor = case.item.due_date
    return None if anchor is None else anchor + timedelta(days=step.offset_days)


def _on_ladder(as_of: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}status__in": PREMIUM_PAYING}) | Q(**{
        f"{prefix}status": Status.SUSPENDED, f"{prefix}status_date__gte": as_of - timedelta(days=JUST_SUSPENDED_DAYS)})


def ladder_lead_days(plans) -> int:
    """How many days before its due date the earliest dated step of any plan acts on a premium."""
    return max([0] + [-s.offset_days for _, steps in plans.values() for s in steps
                      if s.anchor == DunningStep.Anchor.DUE_DATE and s.code not in AD_HOC_STEPS])


def _open_premiums(as_of: date, lead_days: int) -> Q:
    return Q(status=DueItem.Status.OPEN, kind=DueItem.Kind.PREMIUM, due_date__lte=as_of + timedelta(days=lead_days))


def _bookmark_due(as_of: date) -> Q:
    """An open premium (seen from its policy) the ladder has not looked at under the policy's current version,
    or with a step due by as_of."""
    return (Q(due_items__ladder_version__isnull=True) | Q(due_items__ladder_version__lt=F("version"))
            | Q(due_items__ladder_version__gt=F("version")) | Q(due_items__ladder_next_on__lte=as_of))


def _due_on_ladder(as_of: date, plans, first_id: int | None = None, last_id: int | None = None) -> list[int]:
    """Policies on the ladder (paying premiums, or suspended within JUST_SUSPENDED_DAYS) with an open premium
    whose ladder bookmark is due (see `reminders_run`), in [first_id, last_id] when given: one join.

    The id range is stated on both sides of the join, so that each side is read by its range only."""
    lead = ladder_lead_days(plans)
    premium = {f"due_items__{name}": value for name, value in (
        ("status", DueItem.Status.OPEN), ("kind", DueItem.Kind.PREMIUM), ("due_date__lte", as_of + timedelta(days=lead)))}
    bounds = {} if first_id is None else {"pk__gte": first_id, "pk__lte": last_id,
                                         "due_items__policy_id__gte": first_id, "due_items__policy_id__lte": last_id}
    return list(Policy.objects.filter(_on_ladder(as_of), _bookmark_due(as_of), **premium, **bounds)
                .order_by("pk").values_list("pk", flat=True).distinct())


def ladder_policy_ids(as_of: date) -> list[int]:
    """The daily step's ids."""
    return _due_on_ladder(as_of, active_plans())


# What the ladder reads of a policy, its product, owner, payer (contacts, language, how to address them),
# agent and current contract terms — never the encrypted ID number. Read as plain rows into named tuples,
# not model objects: a 1M-policy day loads tens of thousands of policies with their people.
CONTACT_FIELDS = ("pk", "name", "name_romanised", "sex", "preferred_language", "preferred_channel", "mobile_phone",
                  "home_phone", "email", "address", "postcode")
POLICY_FIELDS = ("pk", "number", "status", "status_date", "jurisdiction_id", "payer_id", "owner_id", "agent_id",
                 "version")
PRODUCT_FIELDS = ("name", "name_en", "grace_basis")
TERMS_FIELDS = ("premium_mode", "payment_method")  # of the current PolicyVersion
_Contact = namedtuple("_Contact", CONTACT_FIELDS)
_Product = namedtuple("_Product", PRODUCT_FIELDS)
_Agent = namedtuple("_Agent", ("pk", "is_active"))
_Policy = namedtuple("_Policy", (*POLICY_FIELDS, *TERMS_FIELDS, "product", "agent", "owner", "payer"))


def _policies(q: Q) -> dict[int, _Policy]:
    """The policies of `q` as the ladder reads them, by id: one query."""
    columns = [*POLICY_FIELDS, *(f"versions__{f}" for f in TERMS_FIELDS), *(f"product__{f}" for f in PRODUCT_FIELDS),
               "agent__is_active", *(f"{role}__{f}" for role in ("owner", "payer") for f in CONTACT_FIELDS)]
    policy_end = len(POLICY_FIELDS) + len(TERMS_FIELDS)
    product_end = policy_end + len(PRODUCT_FIELDS)
    owner_end = product_end + 1 + len(CONTACT_FIELDS)
    agent_id = POLICY_FIELDS.index("agent_id")
    policies = {}
    for row in Policy.objects.filter(q, versions__effective_to__isnull=True).order_by().values_list(*columns):
        agent = None if row[agent_id] is None else _Agent(row[agent_id], row[product_end])
        policies[row[0]] = _Policy(*row[:policy_end], _Product._make(row[policy_end:product_end]), agent,
                                   _Contact._make(row[product_end + 1:owner_end]), _Contact._make(row[owner_end:]))
    return policies


# -- the daily step ----------------------------------------------------------------------------------

def reminders_run(*, as_of: date, first_id: int, last_id: int, planned: list[int] | None = None) -> int:
    """Carry out every ladder step due by `as_of` for the open premiums of policies [first_id, last_id].

    Each premium carries a bookmark: the policy version the ladder last looked at it under and the
    date its next step falls due. Only policies with a premium whose bookmark is due (never looked at,
    policy changed since — grace, suspension, reinstatement, a new contract version —, grace end
    changed, or a step due today) are looked at, and then with all their open premiums, so the outcome
    is the same as looking at every premium every day. A change of dunning plans resets every bookmark.
    `planned`: those policies as the daily step found them when it planned the chunk (`ladder_policy_ids`).
    """
    plans = active_plans()
    open_premiums = _open_premiums(as_of, ladder_lead_days(plans))
    policy_ids = planned if planned is not None else _due_on_ladder(as_of, plans, first_id, last_id)
    if not policy_ids:
        return 0
    items = list(DueItem.objects.filter(open_premiums, policy_id__any=policy_ids)
                 .order_by("policy_id", "due_date", "instalment"))
    policies = _policies(Q(pk__any=policy_ids))
    done: dict[tuple[int, str], Reminder | _Done] = {
        (due_item_id, code): _Done(pk, status) for pk, due_item_id, code, status in Reminder.objects.filter(
            due_item__any=[item.pk for item in items]).values_list("pk", "due_item_id", "step__code", "status")
    }
    ladders = {customer_id: found.reminder_ladder for customer_id, found in customers_entitlements(
        customer_ids={p.payer_id for p in policies.values()}, as_of=as_of).items()}
    seen = set()
    batch = Batch(alone=False, as_of=as_of)
    next_on: dict[int, tuple[date | None, int]] = {}  # due item → (next step date, its policy)
    for item in items:
        policy = policies[item.policy_id]
        first_of_policy = item.policy_id not in seen
        seen.add(item.policy_id)
        next_on[item.pk] = (None, item.policy_id)
        if policy.status == Status.SUSPENDED and not first_of_policy:
            continue  # the suspension notice concerns the premium whose grace ran out
        found = plan_for(plans, policy.jurisdiction_id, ladders[policy.payer_id])
        if found is None:
            continue
        case = Case(policy, item, found[0], found[1])
        upcoming = []
        for step in case.steps:
            when = None if step.code in AD_HOC_STEPS else step_date(step, case)
            if when is None:
                continue
            previous = done.get((item.pk, step.code))
            if when > as_of:
                if previous is None:
                    upcoming.append(when)
                continue
            if previous is not None and not _retry(previous, step):
                continue
            if previous is not None:  # a failed legal notice tried again: its row gets the new outcome
                previous = Reminder.objects.get(pk=previous.pk)
            done[(item.pk, step.code)] = row = carry_out(case, step, when=when, as_of=as_of, retry=previous,
                                                         batch=batch)
            if _retry(row, step):
                upcoming.append(as_of + timedelta(days=1))  # a legal notice that failed: again tomorrow
        next_on[item.pk] = (min(upcoming, default=None), item.policy_id)
    carried = len(batch.save())
    current = {item.pk: (item.ladder_next_on, item.ladder_version) for item in items}
    _bookmark({pk: bookmark for pk, (day, policy_id) in next_on.items()
               if (bookmark := (day, policies[policy_id].version)) != current[pk]})
    return carried


@dataclass(frozen=True, slots=True)
class _Done:
    """A step already carried out for a premium: all the ladder reads of its reminder (the row itself is
    loaded only to retry it)."""

    pk: int
    status: str


def _bookmark(bookmarks: dict[int, tuple[date | None, int]]) -> None:
    """Record the next step date of these premiums and the policy version the ladder read them under (not
    the version at the time of writing: a policy changed meanwhile is looked at again tomorrow). The caller
    leaves out the bookmarks that stay as they are."""
    if not bookmarks:
        return
    if connection.vendor == "postgresql":  # one statement (a chunk has hundreds of (date, version) pairs)
        table = DueItem._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{table}" d SET ladder_next_on = v.next_on, ladder_version = v.version '  # noqa: S608
                "FROM unnest(%s::bigint[], %s::date[], %s::integer[]) AS v(id, next_on, version) WHERE d.id = v.id",
                [list(bookmarks), [day for day, _ in bookmarks.values()], [version for _, version in bookmarks.values()]])
        return
    groups: dict[tuple[date | None, int], list[int]] = {}
    for pk, bookmark in bookmarks.items():
        groups.setdefault(bookmark, []).append(pk)
    for (day, version), pks in groups.items():
        DueItem.objects.filter(pk__any=pks).update(ladder_next_on=day, ladder_version=version)


def _retry(previous: Reminder | _Done, step: DunningStep) -> bool:
    """A legal notice that failed (no contact detail on file then) is tried again each day."""
    return previous.status == Reminder.Status.FAILED and step.action in LEGAL_ACTIONS


class Batch:
    """Reminders planned one by one and saved together: a daily chunk's rows in one INSERT, then what
    needs their ids (audit entries); its SMS and e-mails recorded in the outbox in one INSERT.

    Letters' print files are composed while planning and inserted before the rows that link them (a print file's
    key is unique: a concurrent run that recorded the letter first fails the insert). The messages are recorded
    as at the batch's moment for `as_of` (`notifications.jobs.batch_moment`): the outbox holds those falling in
    the customer's quiet hours until they end. `alone`: a single reminder outside the daily batch (a debit
    rejection), saved in its own savepoint so that a concurrent run that recorded it first is not an error.
    """

    def __init__(self, *, alone: bool, as_of: date) -> None:
        self.alone = alone
        self.as_of = as_of
        self.rows: list[Reminder] = []
        self.then: list[tuple[Reminder, Callable[[Reminder], None]]] = []
        self.messages: list[Outgoing] = []  # SMS and e-mails for the outbox
        self.arrivals: dict[date, list[int]] = {}  # deemed arrival of a demand → its due items
        self.letters: list[tuple[Reminder, Letter]] = []  # a letter's reminder and its print file

    def add(self, reminder: Reminder, then: Callable[[Reminder], None] | None = None) -> Reminder:
        self.rows.append(reminder)
        if then is not None:
            self.then.append((reminder, then))
        return reminder

    def save(self) -> list[Reminder]:
        """Insert the new rows and save the retried ones; [] when (alone) another run recorded it first."""
        new = [r for r in self.rows if r.pk is None]
        retried = [r for r in self.rows if r.pk is not None]
        if self.alone:
            try:
                with transaction.atomic():
                    self._insert(new)
            except IntegrityError:
                return []
        else:
            self._insert(new)
        for row in retried:
            row.save()
        for arrival, pks in self.arrivals.items():
            DueItem.objects.filter(pk__any=pks, demand_arrived__isnull=True).update(demand_arrived=arrival)
        for row, then in self.then:
            then(row)
        messages_queue(app=OUTBOX_APP, messages=self.messages, at=batch_moment(self.as_of))
        return self.rows

    def _insert(self, new: list[Reminder]) -> None:
        """The letters' print files, then the new rows that link them. A letter is composed only for a reminder
        sent now (new, or a failed one retried): never one that has a print file already."""
        bulk_insert([letter for _row, letter in self.letters])
        for row, letter in self.letters:
            row.letter_id = letter.pk
        bulk_insert(new)


def carry_out(case: Case, step: DunningStep, *, when: date, as_of: date, retry: Reminder | None = None,
              extra: dict | None = None, batch: Batch | None = None) -> Reminder | None:
    """Do one step for one due item. In a batch: planned now, saved with the batch. Alone: saved now;
    None when another run recorded it first."""
    if batch is not None:
        return _plan(case, step, when=when, as_of=as_of, retry=retry, extra=extra or {}, batch=batch)
    batch = Batch(alone=True, as_of=as_of)
    _plan(case, step, when=when, as_of=as_of, retry=retry, extra=extra or {}, batch=batch)
    saved = batch.save()
    return saved[0] if saved else None


def _plan(case: Case, step: DunningStep, *, when: date, as_of: date, retry: Reminder | None, extra: dict,
          batch: Batch) -> Reminder:
    base = {"due_item": case.item, "step": step, "scheduled_for": when, "done_on": as_of}
    if is_stale(case, step, when=when, as_of=as_of):
        return batch.add(_row(retry, **base, channel=step.channel, status=Reminder.Status.SKIPPED,
                              detail=f"stale: due {when}, reached {as_of} (more than {STALE_AFTER_DAYS} days late)"))
    if step.channel in PHONE_CHANNELS:
        return batch.add(_phone_task(case, step, base))
    return _send(case, step, base, as_of, retry, extra, batch)


def is_stale(case: Case, step: DunningStep, *, when: date, as_of: date) -> bool:
    """The staleness rule: more than STALE_AFTER_DAYS late, and not a notice that must go out anyway."""
    if when + timedelta(days=STALE_AFTER_DAYS) >= as_of or step.code in AD_HOC_STEPS:
        return False
    if step.action == DunningStep.Action.SUSPENSION_NOTICE:
        return False
    if step.action == DunningStep.Action.DEMAND and case.grace.demand_based and case.item.demand_arrived is None:
        return False  # without it the grace period never starts
    return True


def _row(retry: Reminder | None, **fields) -> Reminder:
    """A new reminder row, or the failed one being retried with the new outcome."""
    if retry is None:
        return Reminder(**fields)
    for name, value in fields.items():
        setattr(retry, name, value)
    return retry


def _phone_task(case: Case, step: DunningStep, base: dict) -> Reminder:
    """An agent's or the call centre's call, as an open task; an agent step without an active agent goes
    to the call-centre queue (unassigned)."""
    payer = case.policy.payer
    agent = case.policy.agent if step.channel == DunningStep.Channel.AGENT else None
    if agent is not None and not agent.is_active:
        agent = None
    detail = "no active agent: call-centre queue" if step.channel == DunningStep.Channel.AGENT and not agent else ""
    return _row(None, **(base | {"done_on": None}), channel=step.channel, status=Reminder.Status.TASK_OPEN,
                assigned_to_id=agent.pk if agent else None, recipient=payer.mobile_phone or payer.home_phone,
                detail=detail)


def _send(case: Case, step: DunningStep, base: dict, as_of: date, retry: Reminder | None, extra: dict,
          batch: Batch) -> Reminder:
    legal = step.action in LEGAL_ACTIONS
    customer = _addressee(case, step)
    route = contacts.route_for(customer, step.channel, legal=legal)
    if route is None:
        return batch.add(_row(retry, **base, channel=step.channel, status=Reminder.Status.FAILED, recipient="",
                              detail="no mobile phone, e-mail or postal address on file"))
    message = _compose(case, step, customer, as_of, extra,
                       ("sms",) if route.channel == contacts.SMS else content.WRITTEN)
    key = rules.message_key(case.policy.number, case.item.instalment, case.plan.code, step.code)
    row = _row(retry, **base, channel=route.channel, status=Reminder.Status.SENT, recipient=route.address[:200])
    notes = [_deliver(row, route, message, key, customer, case, as_of, batch, MESSAGES + step.code)]
    if route.fallback:
        notes.append(f"fallback from {step.channel}")
    if step.action == DunningStep.Action.DEMAND:
        notes.append(_record_demand(case, route.channel, as_of, batch))
    then = None
    if step.action == DunningStep.Action.SUSPENSION_NOTICE:
        note, then = _check_notice_limit(case, as_of)
        notes.append(note)
    row.detail = "; ".join(notes)[:300]
    return batch.add(row, then)


def _addressee(case: Case, step: DunningStep):
    """Legal notices go to the owner, reminders to the payer."""
    return case.policy.owner if step.action in LEGAL_ACTIONS else case.policy.payer


def _compose(case: Case, step: DunningStep, customer, as_of: date, extra: dict, parts: tuple[str, ...]) -> content.Message:
    """The step's message in the customer's language: the sections `parts` the channel sends."""
    language = content.language_for(customer, case.policy.jurisdiction_id)
    context = _context(case, customer, language, as_of) | extra
    if context["reason_code"]:  # a rejected debit: the bank's reason in words, in the customer's language
        with translation.override(language):
            context["reason"] = reason_label(context["reason_code"])
    return content.render(names=[MESSAGES + step.code, MESSAGES + step.action], language=language, parts=parts,
                          context=context)


def _deliver(row: Reminder, route: contacts.Route, message: content.Message, key: str, customer, case: Case,
             as_of: date, batch: Batch, template: str) -> str:
    if route.channel == contacts.LETTER:
        batch.letters.append((row, Letter(key=key, recorded_on=as_of, html=letters.letter_html(
            message=message, recipient=content.salutation(customer, message.language), address=route.address,
            postcode=customer.postcode, posted_on=as_of, company=content.company_name(message.language)))))
        return f"letter {letters.pdf_name(key)}"
    sms = route.channel == contacts.SMS
    batch.messages.append(Outgoing(
        key=key, channel=route.channel, address=route.address, language=message.language,
        body=message.sms if sms else message.body, subject="" if sms else message.subject, template=template,
        customer_id=customer.pk, jurisdiction=case.policy.jurisdiction_id))
    return f"{'sms' if sms else 'e-mail'} {key} in the outbox"


def _context(case: Case, customer, language: str, as_of: date) -> dict:
    item, policy, grace = case.item, case.policy, case.grace
    fmt = lambda day: content.format_date(day, language) if day else ""  # noqa: E731
    product = policy.product
    return {
        "company": content.company_name(language), "salutation": content.salutation(customer, language),
        "policy": policy.number, "product": (product.name_en if language == "en" and product.name_en else product.name),
        "currency": item.currency, "amount": f"{item.outstanding:,.2f}", "due_date": fmt(item.due_date),
        "overdue": as_of > item.due_date, "grace_end": fmt(item.grace_end),
        "grace_end_provisional": deadline_is_provisional(policy.jurisdiction_id, item.grace_end),
        "suspension_date": fmt(item.grace_end and rules.suspension_date(grace_end=item.grace_end)),
        "suspended_on": fmt(policy.status_date) if policy.status == Status.SUSPENDED else "",
        "demand_based": grace.demand_based, "grace_days": int(grace.grace.quantity),
        "reinstatement_years": int(grace.reinstatement_window.quantity),
        "auto_debit": case.policy.payment_method == "auto_debit", "jurisdiction": policy.jurisdiction_id,
        "today": fmt(as_of), "reason_code": "", "reason": "",
    }


def _record_demand(case: Case, channel: str, as_of: date, batch: Batch) -> str:
    """The demand's deemed arrival starts a demand-based grace period; the first demand counts."""
    if channel == contacts.LETTER:
        arrival = working_calendar(case.policy.jurisdiction_id).add_working_days(as_of, LETTER_ARRIVAL_WORKING_DAYS)
    else:
        arrival = as_of + timedelta(days=ELECTRONIC_ARRIVAL_DAYS)
    if case.item.demand_arrived is None:
        batch.arrivals.setdefault(arrival, []).append(case.item.pk)
        case.item.demand_arrived = arrival
    return f"demand deemed to arrive {arrival}"


# -- the print run (`notifications.print_letters`) -------------------------------------------------------

@letters.register_print_check("billing.reminders")
def letters_without_print_file(as_of: date) -> list[str]:
    """The keys of the letters the ladder recorded as sent on `as_of` without their print file: the print run
    refuses the date (a letter the customer is told of must be posted)."""
    rows = (Reminder.objects.filter(channel=contacts.LETTER, status=Reminder.Status.SENT, done_on=as_of,
                                    letter__isnull=True).order_by("pk")
            .values_list("due_item__policy__number", "due_item__instalment", "step__plan__code", "step__code"))
    return [rules.message_key(*names) for names in rows]


def _check_notice_limit(case: Case, as_of: date) -> tuple[str, Callable[[Reminder], None]]:
    """Whether the suspension notice goes out within the jurisdiction's limit (CN: 10 working days): the
    note for the reminder, and the audit entry to record once the reminder has its id."""
    suspended_on = case.policy.status_date
    deadline = rules.suspension_notice_deadline(rules=case.grace, suspended_on=suspended_on,
                                                calendar=working_calendar(case.policy.jurisdiction_id))
    met = deadline is None or as_of <= deadline

    def audit(reminder: Reminder) -> None:
        audit_record(actor=RUN_DAILY, action="create", object_type="billing.suspension_notice", object_id=reminder.pk,
                     after={"policy": case.policy.number, "suspended_on": str(suspended_on), "sent_on": str(as_of),
                            "deadline": str(deadline) if deadline else None, "met": met})

    if deadline is None:
        return "no statutory notice limit", audit
    return f"notice limit {deadline}: {'met' if met else 'MISSED'}", audit


# -- events and staff actions --------------------------------------------------------------------------

@register_segment_listener("billing.reminders")
def tier_changed(*, customer_ids: list[int], as_of: date) -> None:
    """The payers' tiers or stages changed (`parties.services.segments_record`), so their entitled ladders may have:
    the bookmarks of their open premiums go stale, and the next daily step looks at those premiums again under the
    plan they are now entitled to (steps already taken stay taken; the new plan's steps still to come follow)."""
    DueItem.objects.filter(status=DueItem.Status.OPEN, ladder_version__isnull=False,
                           policy__payer_id__in=customer_ids).update(ladder_version=None)


def debit_rejected(*, due_item, reason_code: str, as_of: date) -> Reminder | None:
    """A rejected direct debit (debits.rejections.REJECTION_HANDLERS): remind the payer now, by the plan's
    `debit-rejected` step. At most once per due item; None when nothing was sent."""
    item = DueItem.objects.get(pk=getattr(due_item, "pk", due_item))
    policy = _policies(Q(pk=item.policy_id))[item.policy_id]
    if item.status != DueItem.Status.OPEN or policy.status not in PREMIUM_PAYING:
        return None
    found = plan_for(active_plans(), policy.jurisdiction_id,
                     customer_entitlements(customer_id=policy.payer_id, as_of=as_of).reminder_ladder)
    step = next((s for s in found[1] if s.code == DEBIT_REJECTED_STEP), None) if found else None
    if step is None or Reminder.objects.filter(due_item=item, step__code=step.code).exists():
        return None
    case = Case(policy, item, found[0], found[1])
    with transaction.atomic():
        return carry_out(case, step, when=as_of, as_of=as_of, extra={"reason_code": reason_code.strip()[:8]})


@transaction.atomic
def phone_task_close(*, actor, reminder_id: int, outcome: str, as_of: date) -> Reminder:
    """Close an open phone task with the call's outcome (one of PHONE_OUTCOMES)."""
    reminder = Reminder.objects.select_for_update().get(pk=reminder_id)
    if reminder.status != Reminder.Status.TASK_OPEN:
        raise ReminderRefused("this phone task is not open")
    if outcome not in PHONE_OUTCOMES:
        raise ReminderRefused(f"unknown call outcome {outcome!r}")
    reminder.status, reminder.outcome, reminder.done_on = Reminder.Status.DONE, outcome, as_of
    reminder.save(update_fields=["status", "outcome", "done_on"])
    audit_record(actor=actor, action="update", object_type="billing.reminder", object_id=reminder.pk,
                 after={"status": reminder.status, "outcome": outcome})
    return reminder


# -- timeline ------------------------------------------------------------------------------------------

def _timeline_reminders(*, scope, customer_id: int, as_of: date):
    policies = policies_in_scope(scope).filter(Q(owner_id=customer_id) | Q(payer_id=customer_id))
    return (Reminder.objects.filter(due_item__policy__in=policies.values("pk"), scheduled_for__lte=as_of)
            .exclude(status=Reminder.Status.SKIPPED))  # a skipped step never reached the customer


@prepared(values=("scope", "customer_id", "as_of"))
def _timeline_reminder_rows(*, scope, customer_id: int, as_of: date, limit: int):
    return (_timeline_reminders(scope=scope, customer_id=customer_id, as_of=as_of)
            .select_related("due_item__policy", "step")
            # what an entry shows (the customer 360 reads this on every view: the other columns stay unread)
            .only("channel", "status", "outcome", "done_on", "scheduled_for", "due_item__due_date",
                  "due_item__policy__number", "step__action")
            .order_by("-scheduled_for", "-id")[:limit])


@register_timeline_count("billing.reminders")
def reminder_timeline_count(*, scope, customer_id: int, as_of: date, **_kwargs) -> int:
    return _timeline_reminders(scope=scope, customer_id=customer_id, as_of=as_of).count()


@register_timeline_source("billing.reminders", kind="reminder", label=gettext_lazy("Billing"))
def reminder_timeline(*, scope, customer_id: int, as_of: date, limit: int = 200, **_kwargs) -> list[TimelineEntry]:
    """Reminders, notices and phone tasks (with their outcomes) of the customer's policies in scope."""
    rows = _timeline_reminder_rows(scope=scope, customer_id=customer_id, as_of=as_of, limit=limit)
    channels, actions = dict(DunningStep.Channel.choices), dict(DunningStep.Action.choices)
    statuses = dict(Reminder.Status.choices)
    entries = []
    for row in rows:
        policy = row.due_item.policy
        title = _("%(policy)s: %(action)s (%(channel)s), %(status)s") % {
            "policy": policy.number, "action": actions.get(row.step.action, row.step.action),
            "channel": channels.get(row.channel, row.channel), "status": statuses.get(row.status, row.status),
        }
        detail = _("due %(due)s") % {"due": row.due_item.due_date.isoformat()}
        if row.outcome:
            detail += "; " + _("call outcome: %(outcome)s") % {"outcome": PHONE_OUTCOMES.get(row.outcome, row.outcome)}
        entries.append(TimelineEntry(at=row.done_on or row.scheduled_for, kind="reminder", title=title,
                                     detail=detail, url=reverse("workbench:policy", args=[policy.pk]),
                                     source="billing.reminders"))
    return entries


def _register_rejection_handler() -> bool:
    """Add `debit_rejected` to the bank files' REJECTION_HANDLERS when that registry exists."""
    try:
        module = importlib.import_module(REJECTION_REGISTRY)
    except ModuleNotFoundError as exc:
        if exc.name is None or not REJECTION_REGISTRY.startswith(exc.name):
            raise
        return False
    if not hasattr(module, "REJECTION_HANDLERS"):
        return False
    if debit_rejected not in module.REJECTION_HANDLERS:
        module.REJECTION_HANDLERS.append(debit_rejected)
    return True


REJECTION_REGISTRY = "lifecrm.billing.debits.rejections"
REJECTION_HANDLER_REGISTERED = _register_rejection_handler()
