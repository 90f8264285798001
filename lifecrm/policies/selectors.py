"""Reads of policies, always inside the actor's data scope, with a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from lifecrm.core.prepared import prepared
from lifecrm.org.rules import DataScope
from lifecrm.org.selectors import in_scope
from lifecrm.policies import rules
from lifecrm.policies.models import Beneficiary, Coverage, Policy, PolicyEvent, PolicyVersion


def policies_in_scope(scope: DataScope) -> QuerySet[Policy]:
    return in_scope(Policy.objects.all(), scope)


def policy_example(*, scope: DataScope) -> Policy | None:
    """A policy of the scope, to show its number as a search example (one query; unordered, as
    parties.selectors.customer_example)."""
    found = list(policies_in_scope(scope).order_by()[:1])
    return found[0] if found else None


def current_version_prefetch(to_attr: str = "current_versions") -> Prefetch:
    return Prefetch("versions", queryset=PolicyVersion.objects.filter(effective_to__isnull=True), to_attr=to_attr)


def next_due_date(policy: Policy) -> date | None:
    """The due date of the first unpaid premium while premiums are payable, else None."""
    if policy.status not in rules.PREMIUM_PAYING:
        return None
    versions = getattr(policy, "current_versions", None)
    mode = versions[0].premium_mode if versions else policy.versions.get(effective_to__isnull=True).premium_mode
    return rules.next_due_date(
        issue_date=policy.issue_date,
        mode=mode,
        paid_instalments=policy.paid_instalments,
        premium_term_years=policy.premium_term_years,
    )


@dataclass(frozen=True)
class CustomerPolicy:
    policy: Policy
    version: PolicyVersion
    roles: tuple[str, ...]  # owner, insured, payer
    next_due: date | None


def _customer_policies(scope: DataScope, customer_id: int) -> QuerySet[Policy]:
    # Three indexed lookups (owner, insured, payer) OR-ed in one bitmap: each role column has its own index.
    return policies_in_scope(scope).filter(Q(owner_id=customer_id) | Q(insured_id=customer_id) | Q(payer_id=customer_id))


def policy_count_for_customer(*, scope: DataScope, customer_id: int) -> int:
    """How many in-scope policies have the customer as owner, insured or payer (one query)."""
    return _customer_policies(scope, customer_id).count()


def _customer_policies_listed(scope: DataScope, customer_id: int, offset: int, limit: int | None) -> QuerySet[Policy]:
    policies = _customer_policies(scope, customer_id).order_by("-issue_date", "number")
    if limit is not None:
        return policies[offset:offset + limit]
    return policies[offset:] if offset else policies


@prepared(values=("scope", "customer_id"))
def _customer_policy_rows(*, scope: DataScope, customer_id: int, offset: int, limit: int | None):
    return _customer_policies_listed(scope, customer_id, offset, limit).select_related("product").only(
        "number", "status", "currency", "issue_date", "paid_instalments", "premium_term_years", "owner", "insured",
        "payer", "product__name", "product__name_en")


@prepared(values=("scope", "customer_id"))
def _customer_policy_versions(*, scope: DataScope, customer_id: int, offset: int, limit: int | None):
    """The contracts in force of the same policies (their ids a subquery: the list's own query again)."""
    return PolicyVersion.objects.filter(
        effective_to__isnull=True,
        policy_id__in=_customer_policies_listed(scope, customer_id, offset, limit).values("pk"))


def policies_for_customer(*, scope: DataScope, customer_id: int, offset: int = 0,
                          limit: int | None = None) -> list[CustomerPolicy]:
    """The in-scope policies where the customer is owner, insured or payer, newest first; rows `offset` to
    `offset + limit` when a limit is given (two queries, any count). Each policy holds what the customer 360's list
    shows and its next due date needs (the 360 reads this on every view: a prepared read, and the other columns
    stay unread)."""
    found = dict(scope=scope, customer_id=customer_id, offset=offset, limit=limit)
    versions = {v.policy_id: v for v in _customer_policy_versions(**found)}
    result = []
    for policy in _customer_policy_rows(**found):
        # a policy issued or changed between the two reads: its contract in force read alone
        policy.current_versions = ([versions[policy.pk]] if policy.pk in versions
                                   else list(policy.versions.filter(effective_to__isnull=True)))
        roles = tuple(
            role for role in ("owner", "insured", "payer") if getattr(policy, f"{role}_id") == customer_id
        )
        result.append(CustomerPolicy(policy, policy.current_versions[0], roles, next_due_date(policy)))
    return result


def policy_get(*, scope: DataScope, policy_id: int, with_events: bool = True) -> Policy:
    """A policy with everything its page shows (its whole journal unless `with_events` is false: a page shows
    the journal a page at a time, `policy_events`); 404 when absent or outside the scope."""
    prefetches = [current_version_prefetch(), "coverages__product"]
    if with_events:
        prefetches.append(Prefetch("events", queryset=PolicyEvent.objects.select_related("actor__staff").order_by("-seq")))
    try:
        return (
            policies_in_scope(scope)
            .select_related("product", "agent", "branch", "owner", "insured", "payer")
            .prefetch_related(*prefetches)
            .get(pk=policy_id)
        )
    except (Policy.DoesNotExist, ValueError, TypeError):
        raise Http404("no such policy") from None


def policy_events(*, policy_id: int, offset: int = 0, limit: int | None = None) -> list[PolicyEvent]:
    """The policy's journal, newest first; rows `offset` to `offset + limit` when a limit is given (one query,
    backwards along the (policy, seq) index)."""
    events = PolicyEvent.objects.filter(policy_id=policy_id).select_related("actor__staff").order_by("-seq")
    if limit is not None:
        return list(events[offset:offset + limit])
    return list(events[offset:])


def policy_event_count(*, policy_id: int) -> int:
    return PolicyEvent.objects.filter(policy_id=policy_id).count()


def policy_find_by_number(*, scope: DataScope, number: str) -> Policy | None:
    """The in-scope policy of that number (one query), or None; no query for what no policy number looks like (a
    name in Chinese, a phone number with spaces, anything longer than the column): the search box asks this of
    every search first."""
    number = number.strip().upper()
    if (not number or len(number) > Policy._meta.get_field("number").max_length or not number.isascii()
            or any(c.isspace() for c in number)):
        return None
    return policies_in_scope(scope).select_related("owner", "insured").filter(number=number).first()


def policy_ids_for_customer(*, scope: DataScope, customer_id: int) -> list[int]:
    """Ids of the in-scope policies where the customer is owner, insured or payer (one query)."""
    return list(
        _customer_policies(scope, customer_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def policy_version_on(*, policy_id: int, on: date) -> PolicyVersion | None:
    """The contract as it stood on `on`: one indexed query."""
    return (
        PolicyVersion.objects.filter(policy_id=policy_id, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on))
        .order_by("-effective_from", "-version_no")
        .first()
    )


def policy_beneficiaries(*, version: PolicyVersion) -> list[Beneficiary]:
    return list(version.beneficiaries.select_related("customer").order_by("order", "id"))


def _customer_events(scope: DataScope, customer_id: int, until: date | None) -> QuerySet[PolicyEvent]:
    events = PolicyEvent.objects.filter(policy_id__in=_customer_policies(scope, customer_id).values("pk"))
    return events.filter(effective_date__lte=until) if until is not None else events


@prepared(values=("scope", "customer_id", "until"))
def _policy_events_for_customer(*, scope: DataScope, customer_id: int, limit: int, until: date | None):
    return (
        _customer_events(scope, customer_id, until)
        .select_related("policy")
        .only("policy__number", "seq", "kind", "from_status", "to_status", "effective_date", "reason")
        .order_by("-effective_date", "-seq")[:limit]
    )


def policy_events_for_customer(*, scope: DataScope, customer_id: int, limit: int = 200,
                               until: date | None = None) -> list[PolicyEvent]:
    """Journal rows of the customer's in-scope policies (effective by `until` when given), newest first, with
    what a timeline shows of them (the customer 360 reads this on every view: a prepared read, and the other
    columns stay unread)."""
    return _policy_events_for_customer(scope=scope, customer_id=customer_id, limit=limit, until=until)


def policy_event_count_for_customer(*, scope: DataScope, customer_id: int, until: date | None = None) -> int:
    """How many journal rows `policy_events_for_customer` has in all (one query)."""
    return _customer_events(scope, customer_id, until).count()


def policy_version_history(*, policy_id: int) -> list[PolicyVersion]:
    """Every contract version of a policy, newest first (one query; the roles are not loaded)."""
    return list(PolicyVersion.objects.filter(policy_id=policy_id).order_by("-version_no"))


def policy_ids_changed_on(*, as_of: date) -> QuerySet:
    """Ids of the policies with a journal event (a status change, a new version, issue) effective on `as_of`.
    One query on the events' effective-date index."""
    return PolicyEvent.objects.filter(effective_date=as_of).values_list("policy_id", flat=True).distinct()


def valuation_policy_ids(*, as_of: date) -> QuerySet:
    """Ids, ascending, of the policies whose cover runs (statuses `rules.COVER_IN_FORCE`) and that were issued by
    `as_of`: the book a valuation at `as_of` covers (one query; the status is the policy's current one)."""
    return (Policy.objects.filter(status__in=rules.COVER_IN_FORCE, issue_date__lte=as_of)
            .order_by("pk").values_list("pk", flat=True))


@dataclass(frozen=True, slots=True)
class ValuationCoverage:
    """One coverage of a policy in force at `as_of`, with what a valuation reads of it, its policy and insured."""

    policy_id: int
    number: str
    status: str
    currency: str
    coverage_id: int
    product_id: int
    is_base: bool
    sum_assured: Decimal
    annual_premium: Decimal
    start_date: date
    end_date: date | None
    premium_term_years: int
    product_kind: str
    premium_mode: str
    insured_sex: str
    insured_birth_date: date | None


def valuation_coverages(*, as_of: date, first_id: int, last_id: int) -> list[ValuationCoverage]:
    """The coverages running on `as_of` (started, not ended) of the policies of `valuation_policy_ids` in
    [first_id, last_id], by policy and coverage id; the premium mode is the contract version's on `as_of`.
    Unscoped: the valuation batch values the whole book. Two queries whatever the number of policies."""
    policies = valuation_policy_ids(as_of=as_of).filter(pk__gte=first_id, pk__lte=last_id)
    modes = dict(
        PolicyVersion.objects.filter(policy_id__in=policies, effective_from__lte=as_of)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=as_of))
        .values_list("policy_id", "premium_mode")
    )
    rows = (
        Coverage.objects.filter(policy_id__in=policies, start_date__lte=as_of)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=as_of))
        .order_by("policy_id", "pk")
        .values_list("policy_id", "policy__number", "policy__status", "policy__currency", "pk", "product_id",
                     "is_base", "sum_assured", "annual_premium", "start_date", "end_date",
                     "policy__premium_term_years", "product__kind", "policy__insured__sex",
                     "policy__insured__birth_date")
    )
    return [ValuationCoverage(*row[:13], modes.get(row[0], ""), *row[13:]) for row in rows]


# --- what the customer value engine reads (issue 15 §3, §4): unscoped, for the batch, a fixed number of queries ---
@dataclass(frozen=True, slots=True)
class CustomerValuePolicy:
    """A policy with the parties to it and its current status, for the customer value engine."""

    policy_id: int
    number: str
    owner_id: int
    payer_id: int
    insured_id: int
    status: str
    status_date: date
    issue_date: date
    currency: str


# A proposal was never bought; a cancellation in the cooling-off period undoes the purchase.
_NEVER_HELD = (rules.Status.PROPOSAL, rules.Status.COOLING_OFF_CANCELLED)


def customer_value_policies(*, customer_ids, as_of: date) -> list[CustomerValuePolicy]:
    """The policies issued by `as_of` that any of the customers owns or pays for (proposals and cooling-off
    cancellations left out), by id, each once; their current status. One query."""
    ids = list(customer_ids)
    rows = (Policy.objects.filter(Q(owner_id__in=ids) | Q(payer_id__in=ids), issue_date__lte=as_of)
            .exclude(status__in=_NEVER_HELD).order_by("pk")
            .values_list("pk", "number", "owner_id", "payer_id", "insured_id", "status", "status_date", "issue_date",
                         "currency"))
    return [CustomerValuePolicy(*row) for row in rows]


def insured_cover(*, customer_ids, as_of: date) -> list[tuple[int, str, Decimal]]:
    """(insured customer id, product kind, sum assured) of each coverage running on `as_of` of the policies in
    force (cover runs) on the lives of the customers. One query."""
    return list(Coverage.objects.filter(policy__insured_id__in=list(customer_ids),
                                        policy__status__in=rules.COVER_IN_FORCE, start_date__lte=as_of)
                .filter(Q(end_date__isnull=True) | Q(end_date__gt=as_of))
                .order_by("pk").values_list("policy__insured_id", "product__kind", "sum_assured"))


# -- what the lapse-risk model (value.lapse) reads of policies, in bulk --------------------------------------

@dataclass(frozen=True, slots=True)
class PolicyFacts:
    """A policy issued by a day, with the contract version in effect on that day (value.lapse's features)."""

    policy_id: int
    owner_id: int
    payer_id: int
    agent_id: int | None
    product_kind: str
    issue_date: date
    premium_term_years: int
    premium_mode: str
    payment_method: str
    annual_premium: Decimal
    sum_assured: Decimal


def policy_facts_on(*, on: date, first_id: int, last_id: int) -> list[PolicyFacts]:
    """The policies of [first_id, last_id] issued by `on`, with the contract version effective on `on`, by
    policy id. Unscoped (a batch reads the whole book); one query whatever the number of policies."""
    rows = (PolicyVersion.objects.filter(policy_id__gte=first_id, policy_id__lte=last_id, effective_from__lte=on,
                                         policy__issue_date__lte=on)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on))
            .order_by("policy_id")
            .values_list("policy_id", "payer_id", "policy__agent_id", "policy__product__kind",
                         "policy__issue_date", "policy__premium_term_years", "premium_mode", "payment_method",
                         "annual_premium", "sum_assured", "owner_id"))
    return [PolicyFacts(row[0], row[10], *row[1:10]) for row in rows]


def policy_status_events(*, first_id: int, last_id: int, until: date) -> list[tuple[int, str, str, date]]:
    """(policy id, event kind, status after it, effective date) of every event of the policies of
    [first_id, last_id] effective by `until`, in journal order (one query)."""
    return list(PolicyEvent.objects.filter(policy_id__gte=first_id, policy_id__lte=last_id, effective_date__lte=until)
                .order_by("policy_id", "seq").values_list("policy_id", "kind", "to_status", "effective_date"))


def policy_ids_between(*, first_issued: date | None = None, last_issued: date) -> list[int]:
    """Ids, ascending, of the policies issued by `last_issued` (one query)."""
    policies = Policy.objects.filter(issue_date__lte=last_issued)
    if first_issued is not None:
        policies = policies.filter(issue_date__gte=first_issued)
    return list(policies.order_by("pk").values_list("pk", flat=True))


def payer_premium_totals(*, payer_ids, on: date) -> dict[int, tuple[int, Decimal]]:
    """(number of policies, their annualised premiums) each payer had issued by `on`, on the contract versions
    effective on `on`, by payer id (one query)."""
    from django.db.models import Count, Sum

    rows = (PolicyVersion.objects.filter(payer_id__in=list(payer_ids), effective_from__lte=on,
                                         policy__issue_date__lte=on)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on))
            .values_list("payer_id").annotate(Count("policy_id"), Sum("annual_premium")).order_by())
    return {payer: (count, total) for payer, count, total in rows}
