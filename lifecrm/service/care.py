"""Care events: birthdays, policy anniversaries, coming maturities, follow-ups after a complaint or a claim, festival
greetings — planned by the daily step `service.care_events` for the as-of date, sent by `service.care_send` (and
`lifecrm care-send` during the day), worked as tasks by agents and the call centre.

Who gets them: a customer whose marketing consent is in force (the latest `parties.Consent` row for the purpose:
never given or withdrawn — an opt-out — means nothing is planned, and a withdrawal before the send means nothing is
sent), alive, not anonymised, and still a customer (owner or insured of a policy whose cover is in force).
What they get: the CareRule rows of their tier (`parties.selectors.customer_tiers`) for the occasion, one event per
action: a message (greeting on the preferred channel, card by letter, SMS, e-mail) in their language, or a task
(call, visit, gift) for their servicing agent, else the call centre.

Never twice: each event's natural key (customer, occasion, the occasion's day, policy or reference, action) is
unique, so a rerun or a resumed chunk inserts nothing new (`ignore_conflicts`); a message goes out only on the
planned → sent change, made in the transaction that writes its SMS spool file or letter print file, each named by
that key (a send killed before its commit rewrites the same file when resumed), and an e-mail carries the key as its
Message-ID. When: not before `send_after` (composed at night, the message waits for 09:00 in the customer's time
zone) and never at night (`care_rules.may_send`).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from lifecrm.core.actors import RUN_DAILY
from lifecrm.core.models import Jurisdiction
from lifecrm.core.registries import register_consent_listener
from lifecrm.core.services import audit_record
from lifecrm.notifications import contacts, content, letters
from lifecrm.notifications import services as outbox
from lifecrm.notifications.models import Letter
from lifecrm.org.access import authorize
from lifecrm.org.rules import Action
from lifecrm.org.selectors import acting_staff
from lifecrm.parties.models import Consent, Customer
from lifecrm.parties.selectors import customer_tiers
from lifecrm.policies.models import Policy
from lifecrm.policies.rules import COVER_IN_FORCE
from lifecrm.service import care_rules
from lifecrm.service.care_rules import MESSAGE_ACTIONS, CareAction, Occasion
from lifecrm.service.models import CareEvent, CareRule, Case
from lifecrm.service.reference_data import jurisdiction_festivals
from lifecrm.service.rules import OUTBOX_APP, CaseStatus

MESSAGES = "service/messages/care_"  # templates/service/messages/care_<occasion>.<language>.txt
COMPLAINT_TYPE = "complaint"
FESTIVAL_NAMES = {
    "lunar_new_year": {"zh-hans": "春节", "zh-hant": "農曆新年", "en": "Lunar New Year"},
    "dragon_boat": {"zh-hans": "端午节", "zh-hant": "端午節", "en": "Dragon Boat Festival"},
    "mid_autumn": {"zh-hans": "中秋节", "zh-hant": "中秋節", "en": "Mid-Autumn Festival"},
    "double_ninth": {"zh-hans": "重阳节", "zh-hant": "重陽節", "en": "Double Ninth Festival"},
    "christmas": {"zh-hans": "圣诞节", "zh-hant": "聖誕節", "en": "Christmas"},
    "new_year": {"zh-hans": "新年", "zh-hant": "新年", "en": "New Year"},
}


class CareRefused(ValueError):
    """A change to a care task the rules do not allow; the message says why, in the staff member's language."""


# -- follow-up sources: what closed on a day -------------------------------------------------------------------

@dataclass(frozen=True)
class Closure:
    """Something of a customer's that closed on a day and deserves a follow-up (a complaint case, a claim)."""

    customer_id: int
    closed_on: date
    policy_id: int | None
    reference: str


FollowUpSource = Callable[[list[int] | None, set[date]], list[Closure]]
_follow_up_sources: dict[Occasion, FollowUpSource] = {}


def register_follow_up_source(occasion: Occasion):
    """Declare the function that lists, for customer ids and closing days, what closed then (one per occasion).

    The complaint follow-up's source is below (the service desk's own complaint cases). Claims do not exist yet:
    the claims app registers its source for `Occasion.CLAIM_FOLLOW_UP` in its `AppConfig.ready()` (a function
    `(customer_ids, days) -> [Closure]` over claims closed on those days, every customer's when `customer_ids` is
    None); until then the shipped claim rules find nothing."""

    def decorator(func: FollowUpSource) -> FollowUpSource:
        _follow_up_sources[occasion] = func
        return func

    return decorator


@register_follow_up_source(Occasion.COMPLAINT_FOLLOW_UP)
def closed_complaints(customer_ids: list[int] | None, days: set[date]) -> list[Closure]:
    """Complaint cases (of the customers; None: anyone's) closed on one of `days` (the server's time zone): one
    query."""
    rows = Case.objects.filter(case_type_id=COMPLAINT_TYPE, status=CaseStatus.CLOSED.value, closed_at__date__in=days)
    if customer_ids is not None:
        rows = rows.filter(customer_id__in=customer_ids)
    return [Closure(*row) for row in rows.values_list("customer_id", "closed_at__date", "policy_id", "number")]


# -- planning: the daily step's ids and chunks ---------------------------------------------------------------

def active_rules() -> dict[tuple[str, str], list[CareRule]]:
    """The active care rules by (occasion, tier)."""
    rules: dict[tuple[str, str], list[CareRule]] = defaultdict(list)
    for rule in CareRule.objects.filter(is_active=True).order_by("occasion", "tier", "action", "festival"):
        rules[(rule.occasion, rule.tier)].append(rule)
    return rules


def _offsets(rules, occasion: Occasion) -> set[int]:
    return {r.offset_days for (o, _tier), rows in rules.items() if o == occasion for r in rows}


def _festivals_today(as_of: date) -> dict[str, list[str]]:
    return {code: found for code, festivals in jurisdiction_festivals().items()
            if (found := care_rules.festivals_on(as_of, festivals))}


def _yearly(field: str, as_of: date) -> Q:
    """`field` (a date) falls yearly on `as_of` (29 February on 28 February in a common year)."""
    q = Q(**{f"{field}__month": as_of.month, f"{field}__day": as_of.day})
    if (as_of.month, as_of.day) == (2, 28) and care_rules.yearly_on(date(2000, 2, 29), as_of.year) == as_of:
        q |= Q(**{f"{field}__month": 2, f"{field}__day": 29})
    return q


def candidate_ids(as_of: date) -> list[int]:
    """The daily step's ids: customers (ascending) with an occasion on `as_of` under the active rules. Who of them
    may be contacted is decided per chunk (`care_events_plan`)."""
    rules = active_rules()
    occasions = {occasion for occasion, _tier in rules}
    living = Customer.objects.filter(anonymised_on__isnull=True).filter(
        Q(date_of_death__isnull=True) | Q(date_of_death__gt=as_of))
    in_force = Policy.objects.filter(status__in=COVER_IN_FORCE)
    ids: set[int] = set()
    if Occasion.BIRTHDAY in occasions:
        ids.update(living.filter(_yearly("birth_date", as_of)).values_list("pk", flat=True))
    if Occasion.ANNIVERSARY in occasions:
        ids.update(in_force.filter(_yearly("issue_date", as_of), issue_date__year__lt=as_of.year)
                   .values_list("owner_id", flat=True))
    if Occasion.MATURITY in occasions:
        days = [care_rules.event_date(Occasion.MATURITY, as_of, n) for n in _offsets(rules, Occasion.MATURITY)]
        ids.update(in_force.filter(maturity_date__in=days).values_list("owner_id", flat=True))
    for occasion, source in _follow_up_sources.items():
        if occasion in occasions:
            days = {care_rules.event_date(occasion, as_of, n) for n in _offsets(rules, occasion)}
            ids.update(c.customer_id for c in source(None, days))
    festivals = _festivals_today(as_of)
    if Occasion.FESTIVAL in occasions and festivals:
        ids.update(living.filter(jurisdiction_id__in=list(festivals)).values_list("pk", flat=True))
    return sorted(ids)


def marketing_consent(customer_ids, *, at: datetime) -> set[int]:
    """The customers whose marketing consent is in force at `at` (their latest row for the purpose grants it)."""
    latest: dict[int, bool] = {}
    for customer_id, granted in (Consent.objects.filter(customer_id__in=list(customer_ids), at__lte=at,
                                                        purpose=Consent.Purpose.MARKETING)
                                 .order_by("customer_id", "at", "id").values_list("customer_id", "granted")):
        latest[customer_id] = granted
    return {customer_id for customer_id, granted in latest.items() if granted}


CUSTOMER_FIELDS = ("pk", "number", "kind", "name", "name_romanised", "sex", "birth_date", "date_of_death",
                   "jurisdiction_id", "preferred_language", "preferred_channel", "mobile_phone", "home_phone", "email",
                   "address", "postcode", "branch_path", "servicing_agent_id", "anonymised_on")


@dataclass
class _Occurrence:
    occasion: Occasion
    day: date
    policy: Policy | None
    reference: str


def _occurrences(rule: CareRule, customer: Customer, as_of: date, owned: list[Policy],
                 closures: dict[tuple[Occasion, int], list[Closure]], festivals: list[str]) -> list[_Occurrence]:
    """What of `customer`'s falls under `rule` on `as_of`."""
    occasion = Occasion(rule.occasion)
    if occasion == Occasion.BIRTHDAY:
        return [_Occurrence(occasion, as_of, None, "")] if care_rules.is_yearly_on(customer.birth_date, as_of) else []
    if occasion == Occasion.ANNIVERSARY:
        return [_Occurrence(occasion, as_of, p, p.number) for p in owned
                if care_rules.is_yearly_on(p.issue_date, as_of, from_first_year=False)]
    day = care_rules.event_date(occasion, as_of, rule.offset_days)
    if occasion == Occasion.MATURITY:
        return [_Occurrence(occasion, day, p, p.number) for p in owned if p.maturity_date == day]
    if occasion == Occasion.FESTIVAL:
        return [_Occurrence(occasion, as_of, None, code) for code in festivals if rule.festival in ("", code)]
    return [_Occurrence(occasion, c.closed_on, None, c.reference) for c in closures.get((occasion, customer.pk), [])
            if c.closed_on == day]


def care_events_plan(*, as_of: date, at: datetime, customer_ids: list[int]) -> int:
    """Plan the care events of `as_of` for the customers of `customer_ids` who may be contacted: one row per
    (occasion, action), inserted unless its key exists already. Returns the rows inserted. Inside the caller's
    transaction (the daily chunk's)."""
    rules = active_rules()
    customers = list(Customer.objects.filter(pk__in=customer_ids, anonymised_on__isnull=True)
                     .filter(Q(date_of_death__isnull=True) | Q(date_of_death__gt=as_of))
                     .select_related("servicing_agent").only(*CUSTOMER_FIELDS, "servicing_agent__is_active"))
    consenting = marketing_consent([c.pk for c in customers], at=at)
    customers = [c for c in customers if c.pk in consenting]
    ids = [c.pk for c in customers]
    owned, current = defaultdict(list), set()
    for policy in Policy.objects.filter(Q(owner_id__in=ids) | Q(insured_id__in=ids), status__in=COVER_IN_FORCE).only(
            "pk", "number", "owner_id", "insured_id", "issue_date", "maturity_date"):
        owned[policy.owner_id].append(policy)
        current.update((policy.owner_id, policy.insured_id))
    customers = [c for c in customers if c.pk in current]  # a former customer gets no care events
    closures: dict[tuple[Occasion, int], list[Closure]] = defaultdict(list)
    for occasion, source in _follow_up_sources.items():
        days = {care_rules.event_date(occasion, as_of, n) for n in _offsets(rules, occasion)}
        if days:
            for closure in source([c.pk for c in customers], days):
                closures[(occasion, closure.customer_id)].append(closure)
    tiers = customer_tiers(customer_ids=[c.pk for c in customers], as_of=as_of)
    festivals = _festivals_today(as_of)
    zones = dict(Jurisdiction.objects.values_list("pk", "time_zone"))
    rows: dict[str, CareEvent] = {}
    for customer in customers:
        tier = tiers[customer.pk]
        for occasion in Occasion:
            for rule in rules.get((occasion.value, tier), []):
                for found in _occurrences(rule, customer, as_of, owned[customer.pk], closures,
                                          festivals.get(customer.jurisdiction_id, [])):
                    row = _event(rule, found, customer, tier, as_of, at, zones[customer.jurisdiction_id])
                    rows.setdefault(row.key, row)
    for key in CareEvent.objects.filter(key__in=list(rows)).values_list("key", flat=True):
        del rows[key]  # planned already (a rerun); a concurrent run's insert is ignored below
    CareEvent.objects.bulk_create(list(rows.values()), ignore_conflicts=True)
    if rows:
        audit_record(actor=RUN_DAILY, action="create", object_type="service.care_event",
                     object_id=f"{as_of}:{customer_ids[0]}-{customer_ids[-1]}", purpose="care events planned",
                     after={"planned": len(rows)})
    return len(rows)


def _event(rule: CareRule, found: _Occurrence, customer: Customer, tier: str, as_of: date, at: datetime,
           zone: str) -> CareEvent:
    action = CareAction(rule.action)
    key = care_rules.care_key(customer_number=customer.number, occasion=found.occasion.value, day=found.day,
                              reference=found.reference, action=action.value)
    row = CareEvent(key=key, customer=customer, occasion=found.occasion.value, occasion_date=found.day,
                    policy=found.policy, reference=found.reference[:40], action=action.value, tier=tier,
                    language=content.language_for(customer, customer.jurisdiction_id), created_on=as_of,
                    jurisdiction_id=customer.jurisdiction_id, branch_path=customer.branch_path,
                    agent_id=customer.servicing_agent_id)
    if action in MESSAGE_ACTIONS:
        route = contacts.route_for(customer, care_rules.message_channel(action, customer.preferred_channel))
        if route is None:
            row.status, row.detail = CareEvent.Status.SKIPPED, "no contact detail on file"
        else:
            row.status, row.channel, row.recipient = CareEvent.Status.PLANNED, route.channel, route.address
            row.send_after = care_rules.send_after(day=as_of, at=at, zone=zone)
    else:
        agent = customer.servicing_agent
        row.status = CareEvent.Status.OPEN
        row.assignee = agent if agent is not None and agent.is_active else None
    return row


# -- sending ---------------------------------------------------------------------------------------------------

def due_message_ids(*, at: datetime):
    """Planned messages whose time has come at `at` (ascending ids)."""
    return (CareEvent.objects.filter(status=CareEvent.Status.PLANNED, send_after__lte=at).order_by("pk")
            .values_list("pk", flat=True))


def care_messages_send(*, at: datetime, first_id: int, last_id: int) -> int:
    """Send the planned messages of ids [first_id, last_id] that may go out at `at`; one transaction. A message
    whose customer withdrew consent (or died, or was anonymised) meanwhile, or found more than STALE_AFTER_DAYS
    after its day, is marked not sent; one found at night stays planned for the morning. Returns messages sent."""
    sent = 0
    with transaction.atomic():
        rows = list(CareEvent.objects.select_for_update(of=("self",), skip_locked=True)
                    .filter(pk__range=(first_id, last_id), status=CareEvent.Status.PLANNED, send_after__lte=at)
                    .select_related("customer", "policy__product", "jurisdiction").order_by("pk"))
        consenting = marketing_consent({row.customer_id for row in rows}, at=at)
        changed = []
        for row in rows:
            zone, customer = row.jurisdiction.time_zone, row.customer
            if care_rules.is_stale(day=row.created_on, at=at, zone=zone):
                row.status, row.detail = CareEvent.Status.SKIPPED, f"not sent: too late on {at:%Y-%m-%d %H:%M}"
            elif customer.pk not in consenting or customer.anonymised_on or customer.date_of_death:
                row.status, row.detail = CareEvent.Status.SKIPPED, "not sent: consent withdrawn or customer left"
            elif not care_rules.may_send(send_after_at=row.send_after, at=at, zone=zone):
                continue
            else:
                message = content.render(names=[MESSAGES + row.occasion], language=row.language,
                                         context=_context(row, customer))
                if row.channel == contacts.LETTER:
                    row.letter = Letter.objects.create(key=row.key, recorded_on=at.astimezone(ZoneInfo(zone)).date(),
                                                       html=_letter(message, customer, at, zone))
                    row.detail = f"letter {letters.pdf_name(row.key)}"
                else:  # the outbox sends it (retries, quiet hours); its status shows on the customer's timeline
                    outbox.message_queue(
                        app=OUTBOX_APP, key=row.key, channel=row.channel, address=row.recipient,
                        language=message.language, template=MESSAGES + row.occasion,
                        subject=message.subject if row.channel == contacts.EMAIL else "",
                        body=message.sms if row.channel == contacts.SMS else message.body,
                        customer_id=customer.pk, jurisdiction=row.jurisdiction_id, at=at)
                    row.detail = f"{row.channel} {row.key} in the outbox"
                row.status, row.sent_at = CareEvent.Status.SENT, at
                sent += 1
            changed.append(row)
        CareEvent.objects.bulk_update(changed, ["status", "detail", "sent_at", "letter"])
    return sent


def _letter(message: content.Message, customer: Customer, at: datetime, zone: str) -> str:
    return letters.letter_html(message=message, recipient=content.salutation(customer, message.language),
                               address=customer.address, postcode=customer.postcode,
                               posted_on=at.astimezone(ZoneInfo(zone)).date(),
                               company=content.company_name(message.language))


def _context(row: CareEvent, customer: Customer) -> dict:
    language = row.language
    policy = row.policy
    product = policy.product if policy else None
    years = row.occasion_date.year - policy.issue_date.year if policy else 0
    return {
        "company": content.company_name(language), "salutation": content.salutation(customer, language),
        "policy": policy.number if policy else "",
        "product": (product.name_en if language == "en" and product.name_en else product.name) if product else "",
        "years": years, "date": content.format_date(row.occasion_date, language),
        "festival": FESTIVAL_NAMES.get(row.reference, {}).get(language, ""), "reference": row.reference,
    }


# -- tasks for people ------------------------------------------------------------------------------------------

@transaction.atomic
def care_task_complete(*, actor, event: CareEvent, at: datetime, done: bool = True, note: str = "") -> CareEvent:
    """Mark a care task (call, visit, gift) done, or cancelled (`done` False: the customer declined, moved…)."""
    authorize(actor, Action.WORK_CARE_TASKS, event)
    event = CareEvent.objects.select_for_update().get(pk=event.pk)
    if event.status != CareEvent.Status.OPEN:
        raise CareRefused(_("This care task is no longer open."))
    event.status = CareEvent.Status.DONE if done else CareEvent.Status.CANCELLED
    event.done_at, event.done_by, event.detail = at, acting_staff(actor), note.strip()[:300]
    event.save(update_fields=["status", "done_at", "done_by", "detail"])
    audit_record(actor=actor, action="transition", object_type="service.care_event", object_id=event.pk,
                 purpose=f"care task {event.status}", before={"status": CareEvent.Status.OPEN}, after={"status": event.status})
    return event


@register_consent_listener("service.care_tasks")
def care_tasks_cancel_on_withdrawal(*, actor, customer_id: int, purpose: str, at: datetime) -> int:
    """The customer withdrew marketing consent (in `parties.services.consent_record`'s transaction): their open care
    tasks (a call, a visit, a gift) are cancelled, kept with the reason and audited under the withdrawing actor.
    Planned messages are stopped when they would go out (`care_messages_send` checks the consent then)."""
    if purpose != Consent.Purpose.MARKETING:
        return 0
    rows = list(CareEvent.objects.select_for_update().filter(customer_id=customer_id, status=CareEvent.Status.OPEN)
                .order_by("pk"))
    for row in rows:
        row.status, row.done_at, row.detail = CareEvent.Status.CANCELLED, at, "cancelled: marketing consent withdrawn"
    CareEvent.objects.bulk_update(rows, ["status", "done_at", "detail"])
    for row in rows:
        audit_record(actor=actor, action="transition", object_type="service.care_event", object_id=row.pk,
                     purpose="care task cancelled: consent withdrawn", before={"status": CareEvent.Status.OPEN},
                     after={"status": row.status})
    return len(rows)
