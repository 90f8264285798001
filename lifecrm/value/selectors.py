"""Reads of the value app: the current assumption set of products, stored policy and customer values, tier
thresholds."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum

from lifecrm.billing.selectors import policy_ids_with_debits_rejected_on
from lifecrm.core.money import to_cents
from lifecrm.parties.selectors import customer_ids_for_value
from lifecrm.policies.models import Policy
from lifecrm.policies.selectors import policy_ids_changed_on
from lifecrm.value.book import SetTables, set_tables
from lifecrm.value.lapse.labels import reason_text
from lifecrm.value.models import (
    AssumptionRate,
    AssumptionSet,
    CustomerValue,
    LapseModelVersion,
    LapseScore,
    PolicyValue,
    TierThresholds,
)

SET_FIELDS = ("acquisition_expense", "maintenance_expense", "expense_inflation", "pension_from_age")


def current_set_ids(product_ids: Iterable[int] | None = None) -> dict[int, int]:
    """The id of each product's latest assumption set, by product id (one query); a product without one is absent."""
    sets = AssumptionSet.objects.all()
    if product_ids is not None:
        sets = sets.filter(product_id__in=list(product_ids))
    # Ascending versions: each product's last one stays in the dict.
    return dict(sets.order_by("product_id", "version").values_list("product_id", "pk"))


def current_sets(product_ids: Iterable[int]) -> dict[int, SetTables]:
    """Each product's latest assumption set as arrays, by product id; a product without one is absent.
    Three queries whatever the number of products."""
    ids = current_set_ids(product_ids)
    if not ids:
        return {}
    rates: dict[int, list[tuple]] = defaultdict(list)
    for set_id, *row in AssumptionRate.objects.filter(assumption_set_id__in=ids.values()).values_list(
            "assumption_set_id", "table", "sex", "index", "rate"):
        rates[set_id].append(tuple(row))
    out = {}
    for row in AssumptionSet.objects.filter(pk__in=ids.values()).values("pk", "version", "product_id",
                                                                        "product__code", *SET_FIELDS):
        out[row["product_id"]] = set_tables(set_id=row["pk"], version=row["version"], product_id=row["product_id"],
                                            product_code=row["product__code"], fields=row, rates=rates[row["pk"]])
    return out


def policy_values(*, policy_id: int, as_of: date) -> list[PolicyValue]:
    """The stored values of a policy's coverages at `as_of` (every assumption set version computed), one query."""
    return list(PolicyValue.objects.filter(policy_id=policy_id, as_of=as_of)
                .select_related("assumption_set").order_by("coverage_id", "assumption_version"))


def book_totals(*, as_of: date) -> dict[str, Decimal | int]:
    """The book's totals at `as_of`, on each product's current assumption set (two queries)."""
    totals = PolicyValue.objects.filter(as_of=as_of, assumption_set_id__in=current_set_ids().values()).aggregate(
        coverages=Count("pk"), reserve=Sum("reserve"), pv_premiums=Sum("pv_premiums"), pv_claims=Sum("pv_claims"),
        pv_expenses=Sum("pv_expenses"), pv_commissions=Sum("pv_commissions"), pvfp=Sum("pvfp"))
    count = totals.pop("coverages")
    # (SQLite sums decimals as floats: back to the cent.)
    return {"coverages": count, **{name: to_cents(value if value is not None else 0) for name, value in totals.items()}}


def changed_customer_ids(*, as_of: date) -> list[int]:
    """Ids, ascending, of the customers (not anonymised) who own or pay for a policy that changed on `as_of`: a
    journal event effective that day, or a direct debit the bank rejected that day. Three queries."""
    policies = (Policy.objects.filter(Q(pk__in=policy_ids_changed_on(as_of=as_of))
                                      | Q(pk__in=policy_ids_with_debits_rejected_on(as_of=as_of)))
                .values_list("owner_id", "payer_id"))
    parties = {party for pair in policies for party in pair if party is not None}
    return list(customer_ids_for_value().filter(pk__in=sorted(parties))) if parties else []


def latest_policy_value_day(*, as_of: date) -> date | None:
    """The latest day on or before `as_of` that policies were valued on (weekly): what a customer's current value
    reads on the days between. One query (the policy values' as_of index)."""
    return PolicyValue.objects.filter(as_of__lte=as_of).order_by("-as_of").values_list("as_of", flat=True).first()


def policy_pvfps(*, as_of: date, policy_ids=None) -> dict[int, Decimal]:
    """The PVFP at `as_of` of each policy (of `policy_ids`, or every valued one): its coverages' sum on their
    product's current assumption set, by policy id; a policy not valued at `as_of` is absent. Two queries."""
    rows = PolicyValue.objects.filter(as_of=as_of, assumption_set_id__in=list(current_set_ids().values()))
    if policy_ids is not None:
        rows = rows.filter(policy_id__in=list(policy_ids))
    rows = rows.values("policy_id").annotate(total=Sum("pvfp")).order_by().values_list("policy_id", "total")
    return {policy_id: to_cents(Decimal(str(total))) for policy_id, total in rows}


def current_thresholds() -> dict[str, TierThresholds]:
    """The tier thresholds in force (each jurisdiction's latest version), by jurisdiction code. One query."""
    return {row.jurisdiction_id: row for row in TierThresholds.objects.order_by("jurisdiction_id", "version")}


def customer_value(*, customer_id: int, as_of: date) -> CustomerValue | None:
    """The customer's latest stored value on or before `as_of` (None: never computed). One query."""
    return CustomerValue.objects.filter(customer_id=customer_id, as_of__lte=as_of).order_by("-as_of").first()


def latest_value_day(*, as_of: date) -> date | None:
    """The latest day on or before `as_of` that the whole book's customer values were computed for (the days
    between recompute only the customers whose policies changed). One query."""
    return (CustomerValue.objects.filter(as_of__lte=as_of, whole_book=True).order_by("-as_of")
            .values_list("as_of", flat=True).first())


def customer_value_totals(*, as_of: date) -> dict[str, Decimal | int]:
    """The customers valued at `as_of` and the sums of their components (one query; all currencies added)."""
    names = ("current_value", "premiums_paid", "margin_earned", "potential_value", "network_value", "total_value")
    totals = CustomerValue.objects.filter(as_of=as_of).aggregate(customers=Count("pk"),
                                                                 **{name: Sum(name) for name in names})
    count = totals.pop("customers")
    return {"customers": count, **{name: to_cents(Decimal(str(value if value is not None else 0)))
                                   for name, value in totals.items()}}


def customer_lapse_scores(*, policy_ids, as_of: date) -> list[LapseScore]:
    """The latest lapse score on or before `as_of` of each of `policy_ids` by the current model, riskiest first,
    with the policy (for its number). Two queries."""
    model = LapseModelVersion.objects.order_by("-version").first()
    if model is None:
        return []
    rows = (LapseScore.objects.filter(model=model, policy_id__in=list(policy_ids), as_of__lte=as_of)
            .select_related("policy").order_by("policy_id", "-as_of"))
    latest: dict[int, LapseScore] = {}
    for row in rows:
        latest.setdefault(row.policy_id, row)
    return sorted(latest.values(), key=lambda row: -row.score)


LAPSE_RISK_BANDS = (("high", 0.30), ("raised", 0.10))
"""A 90-day lapse probability from which the 360 shows a policy's risk as high, or raised (below: low)."""


@dataclass(frozen=True)
class LapseRisk:
    policy_id: int
    policy_number: str
    as_of: date
    probability: float
    reasons: list[str]

    @property
    def band(self) -> str:
        """high, raised or low: how the 360 colours the risk (LAPSE_RISK_BANDS)."""
        return next((name for name, floor in LAPSE_RISK_BANDS if self.probability >= floor), "low")


@dataclass(frozen=True)
class CustomerValueCard:
    """What the customer 360 shows of value to a role that may see it: the latest components and each policy's
    lapse risk, with their reasons."""

    value: CustomerValue | None
    risks: list[LapseRisk]


def customer_value_card(*, customer_id: int, policy_ids, as_of: date) -> CustomerValueCard:
    """Three queries: the value, the current lapse model, its scores of the policies."""
    risks = [LapseRisk(s.policy_id, s.policy.number, s.as_of, s.score, [reason_text(r) for r in s.reasons])
             for s in customer_lapse_scores(policy_ids=policy_ids, as_of=as_of)]
    return CustomerValueCard(customer_value(customer_id=customer_id, as_of=as_of), risks)
