"""What each workbench page shows, assembled from the apps' selectors so templates run no queries.

Every function takes the actor's data scope and the business date from the view; nothing here
reads the clock or the request.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from lifecrm.core.masking import mask_identifier, mask_phone
from lifecrm.core.paging import Window, page_number
from lifecrm.core.registries import (
    TimelineEntry,
    timeline_counts,
    timeline_kinds,
    timeline_page,
    timeline_sources,
)
from lifecrm.core.rules import age_last_birthday
from lifecrm.org.rules import Action, DataScope, ScopeKind, allows, may_reveal_id
from lifecrm.parties.models import Consent, Customer
from lifecrm.parties.selectors import (
    CustomerSearchPage,
    RelatedCustomer,
    ServiceProfile,
    customer_consents,
    customer_example,
    customer_get,
    customer_relationships,
    customer_search_page,
    customer_service_profile,
    relationship_counts,
    visible_customer_ids,
)
from lifecrm.policies.models import STATUS_LABELS, Beneficiary, Coverage, Policy, PolicyEvent, PolicyVersion
from lifecrm.policies.rules import Status
from lifecrm.policies.selectors import (
    CustomerPolicy,
    next_due_date,
    policies_for_customer,
    policy_beneficiaries,
    policy_count_for_customer,
    policy_event_count,
    policy_events,
    policy_example,
    policy_find_by_number,
    policy_get,
    policy_ids_for_customer,
    policy_version_history,
)
from lifecrm.value.selectors import CustomerValueCard, customer_value_card

# What the other customer is to this one (the labels of parties.selectors.customer_relationships).
RELATION_LABELS = {
    "spouse": _("spouse"),
    "parent": _("parent"),
    "child": _("child"),
    "employer": _("employer"),
    "employee": _("employee"),
    "referrer": _("referrer"),
    "referral": _("referral"),
}
# How many customers stand in each relation to this one ("1,004 employees"): `number` is the count as shown,
# `count` chooses the plural form.
RELATION_COUNTS = {
    "spouse": ngettext_lazy("%(number)s spouse", "%(number)s spouses", "count"),
    "parent": ngettext_lazy("%(number)s parent", "%(number)s parents", "count"),
    "child": ngettext_lazy("%(number)s child", "%(number)s children", "count"),
    "employer": ngettext_lazy("%(number)s employer", "%(number)s employers", "count"),
    "employee": ngettext_lazy("%(number)s employee", "%(number)s employees", "count"),
    "referrer": ngettext_lazy("%(number)s referrer", "%(number)s referrers", "count"),
    "referral": ngettext_lazy("%(number)s referral", "%(number)s referrals", "count"),
}
ROLE_LABELS = {"owner": _("policy owner"), "insured": _("insured"), "payer": _("premium payer")}
# The policies journal's event kinds; the first four are the strings the policies timeline translates.
EVENT_KIND_LABELS = {
    "proposed": _("proposal received"),
    "issued": _("policy issued"),
    "transition": _("status changed"),
    "contract_changed": _("contract changed"),
    "grace_started": _("grace period started"),
    "premium_paid": _("arrears paid"),
    "suspended": _("policy suspended"),
    "suspension_undone": _("suspension undone: paid within grace"),
    "reinstated": _("policy reinstated"),
    "lapsed": _("policy lapsed"),
    "matured": _("policy matured"),
    "paid_up": _("premiums completed: paid-up"),
    "surrendered": _("policy surrendered"),
    "terminated": _("policy terminated"),
    "death": _("death of the insured"),
    "cooling_off_cancelled": _("cancelled in the cooling-off period"),
    "delivered": _("policy delivered"),
    "loan_granted": _("policy loan granted"),
    "loan_repaid": _("policy loan repaid"),
    "loan_cancelled": _("policy loan cancelled"),
    "loans_settled": _("policy loans settled"),
    "claim_paid": _("claim paid"),
    "premium_waived": _("premiums waived"),
}
# Reasons the system itself writes into the journal and the contract versions (stored in English);
# a reason typed by staff is shown as it was typed.
SYSTEM_REASONS = {
    "new business": _("new business"),
    "end of the policy term": _("end of the policy term"),
    "reinstatement window ended": _("reinstatement window ended"),
    "arrears paid in the grace period": _("arrears paid in the grace period"),
    "premium received within the grace period": _("premium received within the grace period"),
    "automatic reinstatement by paying arrears": _("automatic reinstatement by paying arrears"),
    "reinstatement approved": _("reinstatement approved"),
    "no answer within the legal period": _("no answer within the legal period"),
    # the generated book's history (lifecrm/policies/generator.py EVENT_REASONS)
    "policy issued, first premium paid": _("policy issued, first premium paid"),
    "premium unpaid on its due date": _("premium unpaid on its due date"),
    "premium paid within the grace period": _("premium paid within the grace period"),
    "surrendered at the owner's request": _("surrendered at the owner's request"),
    "grace period ended unpaid": _("grace period ended unpaid"),
    "arrears paid, cover reinstated": _("arrears paid, cover reinstated"),
    "term ended while premiums were unpaid": _("term ended while premiums were unpaid"),
    "premium-paying term completed": _("premium-paying term completed"),
    "death of the insured": _("death of the insured"),
    "cancelled within the cooling-off period": _("cancelled within the cooling-off period"),
}
# The daily batch's reasons with a date in them (lifecrm/billing/jobs.py).
SYSTEM_REASON_PATTERNS = (
    (re.compile(r"premium due (?P<date>\d{4}-\d{2}-\d{2}) unpaid"), _("premium due %(date)s unpaid")),
    (re.compile(r"grace period ended (?P<date>\d{4}-\d{2}-\d{2}) unpaid"), _("grace period ended %(date)s unpaid")),
)
# Beneficiaries' relation to the insured, as the policy services record it.
BENEFICIARY_RELATIONS = {
    "spouse": _("spouse"),
    "child": _("child"),
    "parent": _("parent"),
    "sibling": _("sibling"),
    "grandchild": _("grandchild"),
    "self": _("the insured"),
    "other": _("other"),
}
SCOPE_LABELS = {
    ScopeKind.ALL: _("all branches"),
    ScopeKind.SUBTREE: _("your unit and the units under it"),
    ScopeKind.OWN_BOOK: _("your own book of customers"),
    ScopeKind.NONE: _("nothing"),
}
# Usual length of each kind of identity number, so a masked value looks like the real one.
ID_LENGTHS = {"prc_id": 18, "hk_id": 8, "tw_id": 10, "passport": 9, "uscc": 18}


def masked_id(customer: Customer) -> str:
    return mask_identifier(customer.id_number_last4, ID_LENGTHS.get(customer.id_type, 18))


def system_reason(reason: str) -> str:
    """A reason the system wrote (in English), in the page's language; a reason typed by staff as typed."""
    if reason in SYSTEM_REASONS:
        return str(SYSTEM_REASONS[reason])
    for pattern, message in SYSTEM_REASON_PATTERNS:
        found = pattern.fullmatch(reason)
        if found:
            return message % found.groupdict()
    return reason


def status_label(status: str) -> str:
    try:
        return str(STATUS_LABELS[Status(status)])
    except ValueError:
        return status


# --- search --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerRow:
    customer: Customer
    masked_id: str
    masked_phone: str
    linked: bool = True
    role_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchOutcome:
    query: str
    customers: list[CustomerRow]
    policy: Policy | None = None
    page: CustomerSearchPage | None = None  # the customers' page and true count; None for a policy number

    @property
    def single_customer(self) -> Customer | None:
        """The customer to open straight away: exactly one match in all and no policy-number match."""
        if self.policy is None and self.page is not None and self.page.total == 1:
            return self.customers[0].customer
        return None


def _row(customer: Customer, *, linked: bool = True, roles: tuple[str, ...] = ()) -> CustomerRow:
    return CustomerRow(
        customer=customer,
        masked_id=masked_id(customer),
        masked_phone=mask_phone(customer.mobile_phone or customer.home_phone),
        linked=linked,
        role_labels=tuple(str(ROLE_LABELS[r]) for r in roles),
    )


def search(*, scope: DataScope, query: str, page: int = 1) -> SearchOutcome:
    """A policy number finds that policy and its owner and insured; anything else searches customers, a
    page at a time with the number of matches in all."""
    policy = policy_find_by_number(scope=scope, number=query)
    if policy is not None:
        roles: dict[int, list[str]] = {}
        people: dict[int, Customer] = {}
        for role in ("owner", "insured"):
            person = getattr(policy, role)
            people.setdefault(person.pk, person)
            roles.setdefault(person.pk, []).append(role)
        visible = visible_customer_ids(scope=scope, customer_ids=people)
        rows = [_row(c, linked=c.pk in visible, roles=tuple(roles[c.pk])) for c in people.values()]
        return SearchOutcome(query=query, customers=rows, policy=policy)
    found = customer_search_page(scope=scope, query=query, page=page)
    return SearchOutcome(query=query, customers=[_row(c) for c in found.customers], page=found)


@dataclass(frozen=True)
class SearchExamples:
    """Values from the user's own book that the search box finds, shown on the home page."""

    phone: str
    surname: str
    romanised: str
    customer_number: str
    policy_number: str | None


def _spaced_phone(digits: str) -> str:
    """A national number in the groups people say it in (138 0013 8000, 9123 4567): spaces are welcome."""
    groups = {11: (3, 4, 4), 10: (4, 3, 3), 8: (4, 4)}.get(len(digits)) if digits.isdigit() else None
    if groups is None:
        return digits
    parts, start = [], 0
    for size in groups:
        parts.append(digits[start:start + size])
        start += size
    return " ".join(parts)


def search_examples(*, scope: DataScope) -> SearchExamples | None:
    """Search examples taken from the book at render time, inside the scope (two queries); None when the
    scope holds no customer."""
    customer = customer_example(scope=scope)
    if customer is None:
        return None
    policy = policy_example(scope=scope)
    return SearchExamples(
        phone=_spaced_phone(customer.mobile_phone or customer.home_phone),
        surname=customer.name[:1],
        romanised=customer.name_romanised.lower(),
        customer_number=customer.number,
        policy_number=policy.number if policy is not None else None,
    )


# --- customer 360 --------------------------------------------------------------------------------


# Rows of each long list of the customer 360 (relationships, policies, timeline) on one page; the rest are a
# link away (`customer_relationships_list` …), so an employer with a thousand employees stays a small page.
LIST_PAGE_SIZE = 20


@dataclass(frozen=True)
class RelationRow:
    related: RelatedCustomer
    label: str


@dataclass(frozen=True)
class PolicyRow:
    item: CustomerPolicy
    role_labels: tuple[str, ...]
    overdue: bool  # the next premium fell due before the business date

    @property
    def policy(self) -> Policy:
        return self.item.policy

    @property
    def version(self) -> PolicyVersion:
        return self.item.version


@dataclass(frozen=True)
class RelationList:
    customer: Customer
    rows: list[RelationRow]
    window: Window
    counts: list[str]  # "1,004 employees", "1 spouse": the whole list, label by label


@dataclass(frozen=True)
class PolicyList:
    customer: Customer
    rows: list[PolicyRow]
    window: Window

    @property
    def choices(self) -> list[tuple[int, str]] | None:
        """(id, number) of every policy of the list, newest first, when this page holds the whole list (what the
        call-logging panel offers, without reading them again); None when there are more."""
        if self.window.number != 1 or self.window.total > len(self.rows):
            return None
        return [(row.policy.pk, row.policy.number) for row in self.rows]


@dataclass(frozen=True)
class TimelineList:
    customer: Customer
    entries: list[TimelineEntry]
    window: Window
    kind: str = ""  # the kind shown ("" for every kind)
    kinds: tuple[tuple[str, str], ...] = ()  # (kind, label) of each kind it can be filtered by

    @property
    def query(self) -> str:
        """The filter as the pager's links carry it."""
        return urlencode({"kind": self.kind}) if self.kind else ""


@dataclass(frozen=True)
class CustomerPage:
    customer: Customer
    as_of: date
    age: int | None
    masked_id: str
    may_reveal_id: bool
    consents: list[Consent]
    relationships: RelationList
    policies: PolicyList
    timeline: TimelineList
    service: ServiceProfile
    value: CustomerValueCard | None = None  # for the roles that may see value (value.view)


def _one_page(requested, fetch: Callable[[int, int], list], count: Callable[[], int]) -> tuple[list, Window]:
    """The rows of the page asked for and its window. A first page that is not full is the whole list and needs
    no count; any other page counts once, and a page past the end (a stale link) is fetched again as the last."""
    number = page_number(requested)
    rows = fetch((number - 1) * LIST_PAGE_SIZE, LIST_PAGE_SIZE)
    if number == 1 and len(rows) < LIST_PAGE_SIZE:
        return rows, Window(number=1, size=LIST_PAGE_SIZE, total=len(rows))
    window = Window.of(number, size=LIST_PAGE_SIZE, total=count())
    if window.number != number:
        rows = fetch(window.offset, LIST_PAGE_SIZE)
    return rows, window


def relation_counts(counts: dict[str, int]) -> list[str]:
    """`{"employee": 1004}` → `["1,004 employees"]`, in the page's language."""
    return [str(RELATION_COUNTS[label] % {"count": n, "number": f"{n:,}"}) if label in RELATION_COUNTS
            else f"{n:,} {label}" for label, n in counts.items()]


RELATED_FIELDS = ("number", "name")  # what the relationships list shows of the other customer (with its id)


def relationship_list(*, scope: DataScope, customer: Customer, page=None) -> RelationList:
    """One page of the customer's relationships with how many there are of each kind (one or two queries)."""
    counted: dict[str, int] = {}

    def count() -> int:
        counted.update(relationship_counts(customer=customer))
        return sum(counted.values())

    related, window = _one_page(
        page,
        lambda offset, limit: customer_relationships(scope=scope, customer=customer, offset=offset, limit=limit,
                                                     fields=RELATED_FIELDS),
        count,
    )
    # counts by label of the whole list: counted when it is longer than its first page, else its rows' own
    by_label = counted or dict(sorted(Counter(r.label for r in related).items()))
    rows = [RelationRow(r, str(RELATION_LABELS.get(r.label, r.label))) for r in related]
    return RelationList(customer=customer, rows=rows, window=window, counts=relation_counts(by_label))


def policy_list(*, scope: DataScope, customer: Customer, as_of: date, page=None) -> PolicyList:
    """One page of the customer's policies, newest first (two queries, three past the first page)."""
    items, window = _one_page(
        page,
        lambda offset, limit: policies_for_customer(scope=scope, customer_id=customer.pk, offset=offset, limit=limit),
        lambda: policy_count_for_customer(scope=scope, customer_id=customer.pk),
    )
    rows = [
        PolicyRow(item, tuple(str(ROLE_LABELS[r]) for r in item.roles),
                  overdue=item.next_due is not None and item.next_due < as_of)
        for item in items
    ]
    return PolicyList(customer=customer, rows=rows, window=window)


def timeline_list(*, scope: DataScope, customer: Customer, as_of: date, page=None, kind=None) -> TimelineList:
    """One page of the customer's timeline, newest first, of every kind or of `kind` only (a kind no source
    registered is every kind, as a bad page number is the first page): one query per source asked, two for a
    source with more than the page needs."""
    kinds = timeline_kinds()
    kind = kind if isinstance(kind, str) and kind in kinds else ""
    sources, counts = timeline_sources(kind or None), timeline_counts(kind or None)
    number = page_number(page)

    def fetch(window_number: int):
        return timeline_page(sources, counts, scope=scope, customer_id=customer.pk, as_of=as_of,
                             offset=(window_number - 1) * LIST_PAGE_SIZE, limit=LIST_PAGE_SIZE)

    found = fetch(number)
    window = Window.of(number, size=LIST_PAGE_SIZE, total=found.total)
    if window.number != number:  # a stale link past the end
        found = fetch(window.number)
    entries = [replace(entry, detail=system_reason(entry.detail)) for entry in found.entries]
    return TimelineList(customer=customer, entries=entries, window=window, kind=kind,
                        kinds=tuple((code, str(label)) for code, label in kinds.items()))


def customer_page(*, scope: DataScope, customer_id: int, as_of: date) -> CustomerPage:
    """Everything the customer 360 page shows, with the first page of each long list, in a fixed number of
    queries whatever the book size and the customer's number of relationships, policies and events."""
    customer = customer_get(scope=scope, customer_id=customer_id)
    age = None
    if customer.birth_date:
        age = age_last_birthday(customer.birth_date, min(as_of, customer.date_of_death or as_of))
    policies = policy_list(scope=scope, customer=customer, as_of=as_of)
    value = None
    if allows(scope, Action.VIEW_VALUE):
        # the ids of every policy: the list's own when its first page holds them all, else one query
        whole = policies.choices
        policy_ids = ([pk for pk, _number in whole] if whole is not None
                      else policy_ids_for_customer(scope=scope, customer_id=customer.pk))
        value = customer_value_card(customer_id=customer.pk, as_of=as_of, policy_ids=policy_ids)
    return CustomerPage(
        customer=customer,
        as_of=as_of,
        age=age,
        masked_id=masked_id(customer),
        may_reveal_id=may_reveal_id(scope),
        consents=customer_consents(customer=customer),
        relationships=relationship_list(scope=scope, customer=customer),
        policies=policies,
        timeline=timeline_list(scope=scope, customer=customer, as_of=as_of),
        service=customer_service_profile(customer_id=customer.pk, as_of=as_of),
        value=value,
    )


# --- policy --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartyRow:
    role_label: str
    customer: Customer
    linked: bool


@dataclass(frozen=True)
class EventRow:
    event: PolicyEvent
    label: str
    from_label: str
    to_label: str
    reason: str


@dataclass(frozen=True)
class EventList:
    policy: Policy
    rows: list[EventRow]
    window: Window


@dataclass(frozen=True)
class VersionRow:
    version: PolicyVersion
    reason: str


@dataclass(frozen=True)
class BeneficiaryRow:
    beneficiary: Beneficiary
    relation: str


@dataclass(frozen=True)
class PolicyPage:
    policy: Policy
    as_of: date
    current: PolicyVersion | None
    next_due: date | None
    overdue: bool
    parties: list[PartyRow]
    versions: list[VersionRow]
    coverages: list[Coverage]
    beneficiaries: list[BeneficiaryRow]
    events: EventList


def event_list(*, policy: Policy, page=None) -> EventList:
    """One page of the policy's event journal, newest first (one query, two past the first page)."""
    events, window = _one_page(
        page,
        lambda offset, limit: policy_events(policy_id=policy.pk, offset=offset, limit=limit),
        lambda: policy_event_count(policy_id=policy.pk),
    )
    rows = [
        EventRow(
            event=e,
            label=str(EVENT_KIND_LABELS.get(e.kind, e.kind)),
            from_label=status_label(e.from_status) if e.from_status else "",
            to_label=status_label(e.to_status) if e.to_status else "",
            reason=system_reason(e.reason),
        )
        for e in events
    ]
    return EventList(policy=policy, rows=rows, window=window)


def policy_page(*, scope: DataScope, policy_id: int, as_of: date) -> PolicyPage:
    """Everything the policy page shows, with the first page of its journal, in a fixed number of queries."""
    policy = policy_get(scope=scope, policy_id=policy_id, with_events=False)
    current = policy.current_versions[0] if policy.current_versions else None
    people = [(role, getattr(policy, role)) for role in ("owner", "insured", "payer")]
    visible = visible_customer_ids(scope=scope, customer_ids=[c.pk for _, c in people])
    next_due = next_due_date(policy) if current else None
    beneficiaries = policy_beneficiaries(version=current) if current else []
    return PolicyPage(
        policy=policy,
        as_of=as_of,
        current=current,
        next_due=next_due,
        overdue=next_due is not None and next_due < as_of,
        parties=[PartyRow(str(ROLE_LABELS[role]), c, c.pk in visible) for role, c in people],
        versions=[VersionRow(v, system_reason(v.reason)) for v in policy_version_history(policy_id=policy.pk)],
        coverages=list(policy.coverages.all()),
        beneficiaries=[
            BeneficiaryRow(b, str(BENEFICIARY_RELATIONS.get(b.relation_to_insured, b.relation_to_insured)))
            for b in beneficiaries
        ],
        events=event_list(policy=policy),
    )
