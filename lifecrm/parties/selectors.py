"""Reads of customers, always inside the actor's data scope."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When
from django.http import Http404

from lifecrm.core.fields import keyed_hash
from lifecrm.org.rules import DataScope
from lifecrm.org.selectors import in_scope, in_scope_flag
from lifecrm.parties.models import Consent, Customer, Relationship
from lifecrm.parties.rules import ascii_form, normalise_phone, romanised_search_key

DEFAULT_TIER = "standard"


def customers_in_scope(scope: DataScope) -> QuerySet[Customer]:
    return in_scope(Customer.objects.all(), scope)


def customer_get(*, scope: DataScope, customer_id: int) -> Customer:
    """The customer with its branch and agent; 404 when absent or outside the scope (no existence leak)."""
    try:
        return customers_in_scope(scope).select_related("branch", "servicing_agent", "employer").get(pk=customer_id)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise Http404("no such customer") from None


PHONE_QUERY = re.compile(r"^\+?[\d\s\-()]{7,20}$")
ID_QUERY = re.compile(r"^[A-Za-z0-9()]{8,20}$")
MAX_PHONE_DIGITS = 15


@dataclass(frozen=True)
class SearchQuery:
    """What a search box string can be: a phone number, an identity number, or a name."""

    text: str

    @property
    def phone(self) -> str | None:
        # At most 15 digits (E.164): an 18-digit ID number is not also looked up, in plain text, as a phone.
        if PHONE_QUERY.match(ascii_form(self.text)):
            digits = normalise_phone(self.text)
            return digits if 7 <= len(digits.lstrip("+")) <= MAX_PHONE_DIGITS else None
        return None

    @property
    def id_digest(self) -> str | None:
        compact = "".join(ascii_form(self.text).split())
        if ID_QUERY.match(compact) and any(c.isdigit() for c in compact):
            return keyed_hash(compact)
        return None

    @property
    def romanised(self) -> str:
        return romanised_search_key(self.text)

    @property
    def has_han(self) -> bool:
        return any("\u4e00" <= c <= "\u9fff" for c in self.text)


def _search_stages(customers: QuerySet[Customer], query: str):
    """The querysets a search tries in turn, each with whether its answer is final even when empty:
    an exact phone or ID number (index lookups) first, then a name prefix (Han characters on `name`,
    Latin letters on `name_search`)."""
    q = SearchQuery(query.strip())
    if not q.text:
        return
    exact = Q()
    if q.phone:
        exact |= Q(mobile_phone=q.phone) | Q(home_phone=q.phone)
    if q.id_digest:
        exact |= Q(id_number_digest=q.id_digest)
    if exact:
        yield customers.filter(exact).order_by("number"), bool(q.phone)
    if q.has_han:
        yield customers.filter(name__startswith=q.text).order_by("name", "number"), True
    elif q.romanised and len(q.romanised) >= 2:
        yield customers.filter(name_search__startswith=q.romanised).order_by("name_search", "number"), True


def customer_search(*, scope: DataScope, query: str, limit: int = 25) -> list[Customer]:
    """Customers matching an exact phone or ID number, else a name prefix (one query per stage tried)."""
    base = customers_in_scope(scope).select_related("branch", "servicing_agent")
    for candidates, final in _search_stages(base, query):
        found = list(candidates[:limit])
        if found or final:
            return found
    return []


def customer_search_filter(*, customers: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """`customers` (already scoped) narrowed as `customer_search` narrows them, unsliced, for a paged list."""
    for candidates, final in _search_stages(customers, query):
        if final or candidates.exists():
            return candidates
    return customers.none()


def customer_consents(*, customer: Customer) -> list[Consent]:
    """The consent in force for each purpose (the latest row), in purpose order."""
    latest: dict[str, Consent] = {}
    for consent in customer.consents.order_by("purpose", "-at", "-id"):
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


def _related_side(scope: DataScope, customer: Customer, *, outward: bool) -> QuerySet[Customer]:
    """The customers at the other end of the customer's relationships in one direction, each with its label, its
    since date and whether the scope may open it: one index lookup of the relationships (by `from_customer`
    for those the customer starts, by `to_customer` for the others), then the other customers by primary key."""
    relation, mine = ("relationships_in", "from_customer") if outward else ("relationships_out", "to_customer")
    labels = INVERSE_LABELS if outward else FORWARD_LABELS
    return (
        Customer.objects.filter(**{f"{relation}__{mine}": customer})
        .annotate(
            relation_label=Case(*(When(**{f"{relation}__kind": kind}, then=Value(label))
                                  for kind, label in labels.items()), output_field=CharField()),
            relation_since=F(f"{relation}__since"),
            relation_in_scope=in_scope_flag(scope, path_field="branch_path", agent_field="servicing_agent_id"),
        )
        .order_by()
    )


def customer_relationships(*, scope: DataScope, customer: Customer, offset: int = 0,
                           limit: int | None = None) -> list[RelatedCustomer]:
    """Everyone related to `customer` in either direction, labelled from the other person's side, by label and
    customer number; rows `offset` to `offset + limit` of them when a limit is given. One query: the two
    directions are two indexed lookups joined by UNION ALL (an OR across both directions scans every row)."""
    rows = _related_side(scope, customer, outward=True).union(
        _related_side(scope, customer, outward=False), all=True
    ).order_by("relation_label", "number")
    if limit is not None:
        rows = rows[offset:offset + limit]
    elif offset:
        rows = rows[offset:]
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


def customer_tier(*, customer_id: int, as_of: date) -> str:
    """The customer's service tier on `as_of`. Until the value engine exists, everyone is standard."""
    return DEFAULT_TIER


def visible_customer_ids(*, scope: DataScope, customer_ids) -> set[int]:
    """Which of `customer_ids` the scope may open (one query), so a page links only to those."""
    ids = {pk for pk in customer_ids if pk is not None}
    if not ids:
        return set()
    return set(customers_in_scope(scope).filter(pk__in=ids).order_by().values_list("pk", flat=True))
