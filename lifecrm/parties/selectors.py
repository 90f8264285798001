"""Reads of customers, always inside the actor's data scope."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.db.models import Case, CharField, Count, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Lower
from django.http import Http404

from lifecrm.core.fields import keyed_hash, keyed_hashes_all_keys
from lifecrm.core.indexes import CodePointOrder, starts_with
from lifecrm.core.prepared import prepared
from lifecrm.core.selectors import reference_cached
from lifecrm.org.rules import DataScope
from lifecrm.org.selectors import in_scope, in_scope_flag
from lifecrm.parties.models import Consent, Customer, CustomerSegment, Entitlement, Relationship
from lifecrm.parties.rules import ascii_form, normalise_phone, romanised_search_key
from lifecrm.parties.search_keys import (
    ADDRESS_MIN_LENGTH,
    is_han,
    may_be_identity_number,
    phone_forms,
    search_form,
)

DEFAULT_TIER = CustomerSegment.Tier.STANDARD.value


def customers_in_scope(scope: DataScope) -> QuerySet[Customer]:
    return in_scope(Customer.objects.all(), scope)


@prepared(values=("scope", "customer_id"))
def _customer_with_units(*, scope: DataScope, customer_id: int):
    return customers_in_scope(scope).select_related("branch", "servicing_agent", "employer").filter(pk=customer_id)


def customer_get(*, scope: DataScope, customer_id: int) -> Customer:
    """The customer with its branch and agent; 404 when absent or outside the scope (no existence leak). A
    prepared read: every page about a customer starts with it."""
    try:
        customer_id = int(customer_id)  # an id from a form or a query string is text
    except (ValueError, TypeError):
        raise Http404("no such customer") from None
    found = _customer_with_units(scope=scope, customer_id=customer_id) if 0 < customer_id < 2**63 else []
    if not found:
        raise Http404("no such customer")
    return found[0]


PHONE_QUERY = re.compile(r"^\+?[\d\s\-()]{7,20}$")
ID_QUERY = re.compile(r"^[A-Za-z0-9()]{8,20}$")
CUSTOMER_NUMBER_QUERY = re.compile(r"^[A-Za-z0-9]{2,20}$")
EMAIL_QUERY = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_PHONE_DIGITS = 15
SEARCH_PAGE_SIZE = 25


@dataclass(frozen=True)
class SearchQuery:
    """What a search box string can be: a phone number, an identity or customer number, an e-mail address,
    a name (Han characters in either script, or romanised), or a part of an address."""

    text: str

    @property
    def phone(self) -> str | None:
        # At most 15 digits (E.164): an 18-digit ID number is not also looked up, in plain text, as a phone.
        if PHONE_QUERY.match(ascii_form(self.text)):
            digits = normalise_phone(self.text)
            return digits if 7 <= len(digits.lstrip("+")) <= MAX_PHONE_DIGITS else None
        return None

    @property
    def phone_forms(self) -> tuple[str, ...]:
        """Every stored form of the phone number typed (with or without its country code), or none."""
        return phone_forms(self.text) if self.phone else ()

    @property
    def compact(self) -> str:
        return "".join(ascii_form(self.text).split())

    @property
    def id_digest(self) -> str | None:
        if ID_QUERY.match(self.compact) and any(c.isdigit() for c in self.compact):
            return keyed_hash(self.compact)
        return None

    @property
    def id_digests(self) -> list[str]:
        """The ID number's digest under every configured hash key (one while no hash-key rotation runs)."""
        return keyed_hashes_all_keys(self.compact) if self.id_digest else []

    @property
    def customer_number(self) -> str | None:
        compact = self.compact
        if (CUSTOMER_NUMBER_QUERY.match(compact) and any(c.isdigit() for c in compact)
                and not may_be_identity_number(compact)):
            return compact.upper()
        return None

    @property
    def email(self) -> str | None:
        return self.compact.lower() if EMAIL_QUERY.match(self.compact) else None

    @property
    def romanised(self) -> str:
        return romanised_search_key(self.text)

    @property
    def folded(self) -> str:
        return search_form(self.text)

    @property
    def has_han(self) -> bool:
        return any(is_han(c) for c in self.text)

    @property
    def has_letters(self) -> bool:
        return any(c.isalpha() for c in self.folded)


@dataclass(frozen=True)
class SearchStage:
    """One way a search tries to answer: its matches, ordered, and whether an empty answer ends the search."""

    matched_on: str  # exact (phone, ID, customer number, e-mail), name or address
    customers: QuerySet[Customer]
    final: bool


def _search_stages(customers: QuerySet[Customer], query: str) -> list[SearchStage]:
    """The stages a search tries in turn, each through an index: an exact phone, ID number (its keyed hash),
    customer number or e-mail first; then a name prefix (Han characters in one script on `name_folded`,
    Latin letters on `name_search`); then a part of the address (`address_folded`). The last stage's
    answer is final even when empty: nothing is left to try."""
    q = SearchQuery(" ".join(query.split()))
    if not q.text:
        return []
    stages = []
    exact = Q()
    if q.phone_forms:
        exact |= Q(mobile_phone__in=q.phone_forms) | Q(home_phone__in=q.phone_forms)
    if q.id_digest:  # every hash key during a rotation (`rotate-keys --hash`); one equality otherwise
        digests = q.id_digests
        exact |= Q(id_number_digest=digests[0]) if len(digests) == 1 else Q(id_number_digest__in=digests)
    if q.customer_number:
        exact |= Q(number=q.customer_number)
    if q.email:
        exact |= Q(email_lower=q.email)
    if exact:
        # A phone number or an e-mail address is never also a name or an address.
        matches = customers.alias(email_lower=Lower("email")).filter(exact).order_by("number")
        stages.append(SearchStage("exact", matches, final=bool(q.phone_forms or q.email)))
    if stages and stages[-1].final:
        return stages
    # A name prefix as a range of the name in code point order: the index on that expression (Customer.Meta)
    # gives the matches already in the list's order, so a page reads a page of rows, not every match.
    if q.has_han:
        named = customers.alias(name_order=CodePointOrder("name_folded"))
        matches = named.filter(starts_with("name_order", q.folded)).order_by("name_order", "number")
        stages.append(SearchStage("name", matches, final=False))
    elif len(q.romanised) >= 2:
        named = customers.alias(name_order=CodePointOrder("name_search"))
        matches = named.filter(starts_with("name_order", q.romanised)).order_by("name_order", "number")
        stages.append(SearchStage("name", matches, final=False))
    if q.has_letters and len(q.folded) >= ADDRESS_MIN_LENGTH:
        matches = customers.filter(address_folded__contains=q.folded).order_by("number")
        stages.append(SearchStage("address", matches, final=True))
    if stages:
        stages[-1] = replace(stages[-1], final=True)
    return stages


def _scoped_for_lists(scope: DataScope) -> QuerySet[Customer]:
    return customers_in_scope(scope).select_related("branch", "servicing_agent")


def customer_search(*, scope: DataScope, query: str, limit: int = SEARCH_PAGE_SIZE) -> list[Customer]:
    """The first `limit` customers a search finds (one query per stage tried)."""
    for stage in _search_stages(_scoped_for_lists(scope), query):
        found = list(stage.customers[:limit])
        if found or stage.final:
            return found
    return []


@dataclass(frozen=True)
class CustomerSearchPage:
    """One page of the customers a search finds, and how many it finds in all."""

    customers: list[Customer]
    total: int
    number: int  # the page, from 1
    per_page: int
    matched_on: str = ""  # the stage that answered (SearchStage.matched_on); empty when nothing matched

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.customers else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.customers) - 1 if self.customers else 0

    @property
    def previous_number(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next_number(self) -> int | None:
        return self.number + 1 if self.number < self.page_count else None


def customer_search_page(*, scope: DataScope, query: str, page: int = 1,
                         per_page: int = SEARCH_PAGE_SIZE) -> CustomerSearchPage:
    """Page `page` of the customers a search finds, with the true number of matches (the last page when
    `page` is beyond it). Per stage tried, at most two queries: the page, and the count when the first
    page is full or another page is asked for (an index-only scan for a name on PostgreSQL)."""
    page = max(page, 1)
    for stage in _search_stages(_scoped_for_lists(scope), query):
        if page == 1:
            found = list(stage.customers[:per_page])
            if not found and not stage.final:
                continue
            total = len(found) if len(found) < per_page else stage.customers.order_by().count()
            return CustomerSearchPage(found, total, 1, per_page, stage.matched_on if found else "")
        total = stage.customers.order_by().count()
        if not total and not stage.final:
            continue
        number = min(page, max(1, -(-total // per_page)))
        offset = (number - 1) * per_page
        found = list(stage.customers[offset:offset + per_page]) if total else []
        return CustomerSearchPage(found, total, number, per_page, stage.matched_on if total else "")
    return CustomerSearchPage([], 0, 1, per_page)


def customer_search_filter(*, customers: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """`customers` (already scoped) narrowed as `customer_search` narrows them, unsliced, for a paged list."""
    for stage in _search_stages(customers, query):
        if stage.final or stage.customers.exists():
            return stage.customers
    return customers.none()


def customer_example(*, scope: DataScope) -> Customer | None:
    """A person of the scope with a mobile phone, to show as a search example (one query; unordered: any
    such customer will do, and the first the database meets costs least)."""
    people = customers_in_scope(scope).filter(kind=Customer.Kind.PERSON).exclude(mobile_phone="")
    found = list(people.order_by()[:1])
    return found[0] if found else None


@prepared(values=("customer_id",))
def _consent_rows(*, customer_id: int):
    return Consent.objects.filter(customer_id=customer_id).order_by("purpose", "-at", "-id")


def customer_consents(*, customer: Customer) -> list[Consent]:
    """The consent in force for each purpose (the latest row), in purpose order (a prepared read: the 360's)."""
    latest: dict[str, Consent] = {}
    for consent in _consent_rows(customer_id=customer.pk):
        latest.setdefault(consent.purpose, consent)
    return [latest[p] for p in sorted(latest)]


def has_consent(*, customer_id: int, purpose: str) -> bool:
    row = Consent.objects.filter(customer_id=customer_id, purpose=purpose).order_by("-at", "-id").first()
    return bool(row and row.granted)


@dataclass(frozen=True)
class RelatedCustomer:
    customer: Customer
    label: str  # what the other customer is to this one: spouse, parent, child, employer, employee, referrer, referral
    since: date | None
    in_scope: bool


# Relationship(from=A, to=B, kind=K) reads "A is the K of B".
INVERSE_LABELS = {"spouse": "spouse", "parent": "child", "employer": "employee", "referrer": "referral"}
FORWARD_LABELS = {"spouse": "spouse", "parent": "parent", "employer": "employer", "referrer": "referrer"}


def _related_side(scope: DataScope, customer: Customer, *, outward: bool,
                  fields: tuple[str, ...] | None) -> QuerySet[Customer]:
    """The customers at the other end of the customer's relationships in one direction, each with its label, its
    since date and whether the scope may open it: one index lookup of the relationships (by `from_customer`
    for those the customer starts, by `to_customer` for the others), then the other customers by primary key."""
    relation, mine = ("relationships_in", "from_customer") if outward else ("relationships_out", "to_customer")
    labels = INVERSE_LABELS if outward else FORWARD_LABELS
    customers = Customer.objects.only(*fields) if fields else Customer.objects.all()
    return (
        customers.filter(**{f"{relation}__{mine}": customer})
        .annotate(
            relation_label=Case(*(When(**{f"{relation}__kind": kind}, then=Value(label))
                                  for kind, label in labels.items()), output_field=CharField()),
            relation_since=F(f"{relation}__since"),
            relation_in_scope=in_scope_flag(scope, path_field="branch_path", agent_field="servicing_agent_id"),
        )
        .order_by()
    )


@prepared(values=("scope", "customer_id"))
def _relationship_rows(*, scope: DataScope, customer_id: int, offset: int, limit: int | None,
                       fields: tuple[str, ...] | None):
    customer = Customer(pk=customer_id)
    rows = _related_side(scope, customer, outward=True, fields=fields).union(
        _related_side(scope, customer, outward=False, fields=fields), all=True
    ).order_by("relation_label", "number")
    if limit is not None:
        return rows[offset:offset + limit]
    return rows[offset:] if offset else rows


def customer_relationships(*, scope: DataScope, customer: Customer, offset: int = 0, limit: int | None = None,
                           fields: tuple[str, ...] | None = None) -> list[RelatedCustomer]:
    """Everyone related to `customer` in either direction, labelled from the other person's side, by label and
    customer number; rows `offset` to `offset + limit` of them when a limit is given; each customer with only
    `fields` loaded when given (what a list shows of them), else whole. One query: the two directions are two
    indexed lookups joined by UNION ALL (an OR across both directions scans every row); a prepared read."""
    rows = _relationship_rows(scope=scope, customer_id=customer.pk, offset=offset, limit=limit, fields=fields)
    return [RelatedCustomer(other, other.relation_label, other.relation_since, other.relation_in_scope)
            for other in rows]


def relationship_counts(*, customer: Customer) -> dict[str, int]:
    """How many customers are related to `customer` under each label (employee: 1004, spouse: 1), one query."""
    counts = (
        Relationship.objects.filter(Q(from_customer=customer) | Q(to_customer=customer))
        .values("kind")
        .annotate(outward=Count("id", filter=Q(from_customer=customer)),
                  inward=Count("id", filter=Q(to_customer=customer)))
        .order_by()
    )
    labels: dict[str, int] = {}
    for row in counts:
        for label, count in ((INVERSE_LABELS[row["kind"]], row["outward"]), (FORWARD_LABELS[row["kind"]], row["inward"])):
            if count:
                labels[label] = labels.get(label, 0) + count
    return dict(sorted(labels.items()))


def _segments_on(as_of: date) -> QuerySet[CustomerSegment]:
    return CustomerSegment.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=as_of), valid_from__lte=as_of)


@prepared(values=("customer_id", "as_of"))
def _segment_rows(*, customer_id: int, as_of: date):
    return _segments_on(as_of).filter(customer_id=customer_id).order_by("pk")[:1]


def customer_segment(*, customer_id: int, as_of: date) -> CustomerSegment | None:
    """The customer's tier and stage on `as_of`, with their reasons (None: the value engine has not placed them);
    a prepared read."""
    found = _segment_rows(customer_id=customer_id, as_of=as_of)
    return found[0] if found else None


def customer_tiers(*, customer_ids, as_of: date) -> dict[int, str]:
    """Each customer's service tier on `as_of` (standard for one not yet placed), in one query."""
    ids = list(customer_ids)
    tiers = dict.fromkeys(ids, DEFAULT_TIER)
    tiers.update(_segments_on(as_of).filter(customer_id__in=ids).values_list("customer_id", "tier"))
    return tiers


def customer_tier(*, customer_id: int, as_of: date) -> str:
    """The customer's service tier on `as_of`: what the value engine last placed them in (standard until then)."""
    return customer_tiers(customer_ids=[customer_id], as_of=as_of)[customer_id]


@dataclass(frozen=True, slots=True)
class Entitlements:
    """What a customer gets on a day: their tier and stage, and the entitlement row that applies to them."""

    tier: str
    stage: str | None
    reminder_ladder: str
    routing_priority: int
    sla_multiplier: Decimal
    dedicated_manager: bool
    gifts: tuple[str, ...]
    fee_waivers: tuple[str, ...]


class NoEntitlement(LookupError):
    """Head office has no entitlement row for the standard tier: every customer needs one to fall back on."""


def _entitlement_rows() -> dict[tuple[str, str], Entitlement]:
    """The entitlement table by (tier, stage), cached per process as reference data (every customer 360 and batch
    chunk reads it; a change reaches every process within LIFECRM_REFERENCE_RECHECK_SECONDS)."""
    rows = reference_cached("parties.entitlements", Entitlement.objects.all(),
                            lambda found: {(e.tier, e.stage): e for e in found})
    if (DEFAULT_TIER, "") not in rows:
        raise NoEntitlement("no entitlement row for the standard tier (any stage)")
    return rows


def _entitled(rows: dict[tuple[str, str], Entitlement], tier: str, stage: str | None) -> Entitlements:
    """The row of the tier and stage, else the tier's row for any stage, else the standard tier's."""
    row = rows.get((tier, stage)) or rows.get((tier, "")) or rows[(DEFAULT_TIER, "")]
    return Entitlements(tier, stage, row.reminder_ladder, row.routing_priority, row.sla_multiplier,
                        row.dedicated_manager, tuple(row.gifts), tuple(row.fee_waivers))


def customers_entitlements(*, customer_ids, as_of: date) -> dict[int, Entitlements]:
    """Each customer's entitlements on `as_of` (one query for their segments, one for the table); a customer not
    yet placed is standard."""
    ids = list(customer_ids)
    placed = {row[0]: row[1:] for row in _segments_on(as_of).filter(customer_id__in=ids)
              .values_list("customer_id", "tier", "stage")}
    rows = _entitlement_rows()
    return {customer_id: _entitled(rows, *placed.get(customer_id, (DEFAULT_TIER, None))) for customer_id in ids}


TIER_BADGES = {"diamond": "text-bg-primary", "gold": "text-bg-warning", "silver": "text-bg-secondary"}


@dataclass(frozen=True, slots=True)
class ServiceProfile:
    """The customer 360's view of a segment: the row in force (None: not placed yet) and what it entitles to."""

    segment: CustomerSegment | None
    entitlements: Entitlements

    @property
    def tier_label(self) -> str:
        return CustomerSegment.Tier(self.entitlements.tier).label

    @property
    def tier_badge(self) -> str:
        """The Bootstrap badge classes of the tier (diamond stands out most)."""
        return TIER_BADGES.get(self.entitlements.tier, "text-bg-light border")

    @property
    def stage_label(self) -> str:
        return CustomerSegment.Stage(self.segment.stage).label if self.segment else ""


def customer_service_profile(*, customer_id: int, as_of: date) -> ServiceProfile:
    """The customer's segment on `as_of` with its reasons, and their entitlements: two queries."""
    segment = customer_segment(customer_id=customer_id, as_of=as_of)
    tier, stage = (segment.tier, segment.stage) if segment else (DEFAULT_TIER, None)
    return ServiceProfile(segment, _entitled(_entitlement_rows(), tier, stage))


def customer_entitlements(*, customer_id: int, as_of: date) -> Entitlements:
    """What billing, the service desk, servicing and claims give the customer on `as_of` (see Entitlement)."""
    return customers_entitlements(customer_ids=[customer_id], as_of=as_of)[customer_id]


def segment_counts(*, as_of: date) -> dict[str, dict[str, int]]:
    """How many customers are in each tier and in each stage on `as_of` (two grouped queries)."""
    return {field: dict(_segments_on(as_of).values_list(field).annotate(n=Count("pk")).order_by(field))
            for field in ("tier", "stage")}


def segment_counts_by_unit(*, scope: DataScope, as_of: date) -> list[tuple[str, str, str, int]]:
    """(unit path, tier, stage, customers) of the scope's customers on `as_of`: one grouped query, a row per unit
    and segment (a dashboard folds the units into branches)."""
    return list(_segments_on(as_of).filter(customer__in=customers_in_scope(scope))
                .values_list("customer__branch_path", "tier", "stage").annotate(n=Count("pk")).order_by())


def segment_migration(*, scope: DataScope, start: date, end: date, field: str = "tier") -> dict[tuple, int]:
    """How many customers of the scope moved from each tier (or stage: `field="stage"`) on `start` to each on
    `end`, as {(before, after): count}; `before` is None for a customer placed after `start`. One query."""
    if field not in {"tier", "stage"}:
        raise ValueError(f"segments migrate by tier or stage, not {field!r}")
    before = _segments_on(start).filter(customer_id=OuterRef("customer_id")).values(field)[:1]
    rows = (_segments_on(end).filter(customer__in=customers_in_scope(scope))
            .annotate(before=Subquery(before)).values("before", field).annotate(n=Count("pk")).order_by())
    return {(row["before"], row[field]): row["n"] for row in rows}


def visible_customer_ids(*, scope: DataScope, customer_ids) -> set[int]:
    """Which of `customer_ids` the scope may open (one query), so a page links only to those."""
    ids = {pk for pk in customer_ids if pk is not None}
    if not ids:
        return set()
    return set(customers_in_scope(scope).filter(pk__in=ids).order_by().values_list("pk", flat=True))


# --- what the customer value engine reads (issue 15 §3, §4): unscoped, for the batch, a fixed number of queries ---
def customer_ids_for_value() -> QuerySet:
    """Ids, ascending, of the customers the value engine places (every customer not anonymised). One query."""
    return Customer.objects.filter(anonymised_on__isnull=True).order_by("pk").values_list("pk", flat=True)


@dataclass(frozen=True, slots=True)
class ValueFacts:
    """What the customer value engine reads of a customer."""

    customer_id: int
    kind: str
    birth_date: date | None
    jurisdiction_id: str
    currency: str


def customers_value_facts(*, customer_ids) -> dict[int, ValueFacts]:
    """Each customer's kind, birth date, jurisdiction and its currency, by id. One query."""
    rows = (Customer.objects.filter(pk__in=list(customer_ids)).order_by("pk")
            .values_list("pk", "kind", "birth_date", "jurisdiction_id", "jurisdiction__currency"))
    return {row[0]: ValueFacts(*row) for row in rows}


HOUSEHOLD_KINDS = (Relationship.Kind.SPOUSE, Relationship.Kind.PARENT)


def value_relationships(*, customer_ids) -> list[tuple[int, int, str]]:
    """(from customer, to customer, kind) of the household (spouse, parent) and referral relationships that
    any of the customers is on either side of. One query."""
    ids = list(customer_ids)
    return list(Relationship.objects.filter(Q(from_customer_id__in=ids) | Q(to_customer_id__in=ids),
                                            kind__in=[*HOUSEHOLD_KINDS, Relationship.Kind.REFERRER])
                .order_by("pk").values_list("from_customer_id", "to_customer_id", "kind"))


def current_segment_starts(*, customer_ids) -> dict[int, date]:
    """The day each customer's current segment row starts (absent: never placed). One query."""
    return dict(CustomerSegment.objects.filter(customer_id__in=list(customer_ids), valid_to__isnull=True)
                .values_list("customer_id", "valid_from"))


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What the lapse-risk model (value.lapse) reads of a customer."""

    birth_date: date | None
    occupation_class: int | None
    created_on: date
    servicing_agent_id: int | None


def customers_facts(*, customer_ids) -> dict[int, CustomerFacts]:
    """Birth date, occupation class, customer-since day and servicing agent of each customer, by id (one
    query; unscoped: a batch reads the whole book)."""
    rows = Customer.objects.filter(pk__in=list(customer_ids)).values_list(
        "pk", "birth_date", "occupation_class", "created_at", "servicing_agent_id")
    from django.utils import timezone

    return {pk: CustomerFacts(birth, occupation, timezone.localdate(created), agent)
            for pk, birth, occupation, created, agent in rows}
