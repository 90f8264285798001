"""What each workbench page shows, assembled from the apps' selectors so templates run no queries.

Every function takes the actor's data scope and the business date from the view; nothing here
reads the clock or the request.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from django.utils.translation import gettext_lazy as _

from lifecrm.core.masking import mask_identifier, mask_phone
from lifecrm.core.registries import TimelineEntry, merge_timeline, timeline_sources
from lifecrm.core.rules import age_last_birthday
from lifecrm.org.rules import DataScope, ScopeKind, may_reveal_id
from lifecrm.parties.models import Consent, Customer
from lifecrm.parties.selectors import (
    RelatedCustomer,
    customer_consents,
    customer_get,
    customer_relationships,
    customer_search,
    visible_customer_ids,
)
from lifecrm.policies.models import STATUS_LABELS, Beneficiary, Coverage, Policy, PolicyEvent, PolicyVersion
from lifecrm.policies.rules import Status
from lifecrm.policies.selectors import (
    CustomerPolicy,
    next_due_date,
    policies_for_customer,
    policy_beneficiaries,
    policy_find_by_number,
    policy_get,
    policy_version_history,
)

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

    @property
    def single_customer(self) -> Customer | None:
        """The customer to open straight away: exactly one hit and no policy-number match."""
        if self.policy is None and len(self.customers) == 1:
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


def search(*, scope: DataScope, query: str) -> SearchOutcome:
    """A policy number finds that policy and its owner and insured; anything else searches customers."""
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
    return SearchOutcome(query=query, customers=[_row(c) for c in customer_search(scope=scope, query=query)])


# --- customer 360 --------------------------------------------------------------------------------


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
class CustomerPage:
    customer: Customer
    as_of: date
    age: int | None
    masked_id: str
    may_reveal_id: bool
    consents: list[Consent]
    relationships: list[RelationRow]
    policies: list[PolicyRow]
    timeline: list[TimelineEntry]


def customer_page(*, scope: DataScope, customer_id: int, as_of: date) -> CustomerPage:
    """Everything the customer 360 page shows, in a fixed number of queries whatever the book size."""
    customer = customer_get(scope=scope, customer_id=customer_id)
    age = None
    if customer.birth_date:
        age = age_last_birthday(customer.birth_date, min(as_of, customer.date_of_death or as_of))
    relationships = [
        RelationRow(r, str(RELATION_LABELS.get(r.label, r.label)))
        for r in customer_relationships(scope=scope, customer=customer)
    ]
    policies = [
        PolicyRow(item, tuple(str(ROLE_LABELS[r]) for r in item.roles),
                  overdue=item.next_due is not None and item.next_due < as_of)
        for item in policies_for_customer(scope=scope, customer_id=customer.pk)
    ]
    timeline = [
        replace(entry, detail=system_reason(entry.detail))
        for entry in merge_timeline(timeline_sources(), scope=scope, customer_id=customer.pk, as_of=as_of)
    ]
    return CustomerPage(
        customer=customer,
        as_of=as_of,
        age=age,
        masked_id=masked_id(customer),
        may_reveal_id=may_reveal_id(scope),
        consents=customer_consents(customer=customer),
        relationships=relationships,
        policies=policies,
        timeline=timeline,
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
    events: list[EventRow]


def policy_page(*, scope: DataScope, policy_id: int, as_of: date) -> PolicyPage:
    """Everything the policy page shows, in a fixed number of queries."""
    policy = policy_get(scope=scope, policy_id=policy_id)
    current = policy.current_versions[0] if policy.current_versions else None
    people = [(role, getattr(policy, role)) for role in ("owner", "insured", "payer")]
    visible = visible_customer_ids(scope=scope, customer_ids=[c.pk for _, c in people])
    events = [
        EventRow(
            event=e,
            label=str(EVENT_KIND_LABELS.get(e.kind, e.kind)),
            from_label=status_label(e.from_status) if e.from_status else "",
            to_label=status_label(e.to_status) if e.to_status else "",
            reason=system_reason(e.reason),
        )
        for e in policy.events.all()
    ]
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
        events=events,
    )
