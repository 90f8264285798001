"""Writes of the value app: the stored value of each in-force coverage at an as-of date; each customer's value
(issue 15 §3) with their tier and life-cycle stage (§4); head office's tier thresholds (a preview, then a version)."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from lifecrm.billing.selectors import premiums_paid_by_policy, rejected_debits_by_policy
from lifecrm.core.actors import system
from lifecrm.core.money import AmountInvalid, parse_amount, to_cents
from lifecrm.core.services import audit_record
from lifecrm.org.access import authorize
from lifecrm.org.rules import Action
from lifecrm.parties.selectors import (
    current_segment_starts,
    customer_ids_for_value,
    customers_value_facts,
    value_relationships,
)
from lifecrm.parties.services import Segment, segments_record
from lifecrm.policies.selectors import customer_value_policies, insured_cover, valuation_coverages
from lifecrm.products.selectors import cash_value_vectors, modal_premium, mode_factor_lookup, product_codes
from lifecrm.value import rules
from lifecrm.value.book import (
    PV_NAMES,
    ValuationError,
    cash_value_key,
    describe,
    model_points,
    present_values,
)
from lifecrm.value.models import CustomerValue, PolicyValue, TierThresholds
from lifecrm.value.selectors import (
    current_sets,
    current_thresholds,
    latest_policy_value_day,
    latest_value_day,
    policy_pvfps,
)


class MissingAssumptionSet(ValuationError):
    """An in-force coverage of a product that has no assumption set."""


def _money(value: float) -> Decimal:
    return to_cents(Decimal(repr(float(value))))


@transaction.atomic
def policy_values_compute(*, as_of: date, first_id: int, last_id: int) -> int:
    """Value every coverage running on `as_of` of the in-force policies in [first_id, last_id] on its product's
    current assumption set, and store the reserve and present values (each rounded half-up to the cent; the
    PVFP is theirs: reserve + premiums − claims − expenses − commissions). Returns the rows written.

    Idempotent: (coverage, as_of, assumption set) is unique, so a rerun writes nothing new. A coverage whose
    product has no assumption set refuses the whole chunk with a `MissingAssumptionSet` naming it, and nothing
    of the chunk is written. Eight queries whatever the number of policies (coverages, versions, mode factors,
    cash values, three for the sets, the insert; the insert in batches on SQLite beyond its variable limit).
    """
    rows = valuation_coverages(as_of=as_of, first_id=first_id, last_id=last_id)
    if not rows:
        return 0
    product_ids = {row.product_id for row in rows}
    sets = current_sets(product_ids)
    missing = [row for row in rows if row.product_id not in sets]
    if missing:
        codes = product_codes({row.product_id for row in missing})
        first = missing[0]
        more = f" (and {len(missing) - 1} more coverages)" if len(missing) > 1 else ""
        raise MissingAssumptionSet(
            f"{describe(first)}: product {codes.get(first.product_id, first.product_id)} has no assumption set, "
            f"so it cannot be valued{more}; load one (lifecrm value load-assumptions) or end its coverages")
    factors = mode_factor_lookup(product_ids)
    cash_values = cash_value_vectors({key for key in map(cash_value_key, rows) if key is not None})
    by_product = defaultdict(list)
    for row in rows:
        by_product[row.product_id].append(row)
    now = timezone.now()
    values = []
    for product_id, group in by_product.items():
        tables = sets[product_id]
        modal = [modal_premium(row.annual_premium, factors[(product_id, row.premium_mode)]) for row in group]
        pv = present_values(model_points(group, modal, tables, as_of=as_of, cash_values=cash_values), tables)
        for i, row in enumerate(group):
            amounts = {name: _money(pv[name][i]) for name in PV_NAMES if name != "pvfp"}
            # The PVFP of the stored (rounded) amounts, so that the row adds up to the cent.
            pvfp = (amounts["reserve"] + amounts["pv_premiums"] - amounts["pv_claims"] - amounts["pv_expenses"]
                    - amounts["pv_commissions"])
            values.append(PolicyValue(
                policy_id=row.policy_id, coverage_id=row.coverage_id, as_of=as_of, assumption_set_id=tables.set_id,
                assumption_version=tables.version, currency=row.currency, computed_at=now, pvfp=pvfp, **amounts))
    PolicyValue.objects.bulk_create(values, ignore_conflicts=True, batch_size=2000)
    return len(values)


# --- customer value, tier and life-cycle stage (issue 15 §3, §4) ------------------------------------------------
VALUE_ENGINE = system("value.customer_values")
ZERO = Decimal("0.00")
VALUE_FIELDS = ["jurisdiction", "currency", "current_value", "premiums_paid", "margin_earned", "potential_value",
                "network_value", "total_value", "reasons", "computed_at", "whole_book"]


@dataclass
class _Relations:
    """A customer's household (spouse, parent or child, either way), the people they referred, their children."""

    household: set[int]
    referred: set[int]
    children: set[int]


def _relations(relationships) -> dict[int, _Relations]:
    """Each customer's relations from the chunk's relationships (from, to, kind), in one pass."""
    out: dict[int, _Relations] = defaultdict(lambda: _Relations(set(), set(), set()))
    for source, target, kind in relationships:
        if kind == "referrer":
            out[source].referred.add(target)
            continue
        out[source].household.add(target)
        out[target].household.add(source)
        if kind == "parent":
            out[source].children.add(target)
    return out


@transaction.atomic
def customer_values_compute(*, as_of: date, first_id: int, last_id: int, only: Sequence[int] | None = None) -> int:
    """Compute and store the value of the customers in [first_id, last_id] (those of `only` among them, when
    given: a mid-week recompute, stored as not `whole_book`) at `as_of` (`CustomerValue`, one row each, rewritten by
    a rerun), and record each one's tier and life-cycle stage with their reasons through
    `parties.services.segments_record` (a customer placed on a later day is left alone: history is not
    rewritten). Reads the policy values of the latest valuation day on or before `as_of` (`value.policy_values`,
    weekly) for the policies in force on `as_of`. Returns the customers valued.

    A fixed number of queries whatever the number of customers: customers, relationships, the facts of the
    customers and of their relations, their policies, the cover on their lives, the policy values (three),
    premiums paid, rejected debits, thresholds, segment starts, the upsert; then `segments_record`'s."""
    customers = customer_ids_for_value().filter(pk__gte=first_id, pk__lte=last_id)
    if only is not None:
        customers = customers.filter(pk__in=list(only))
    ids = list(customers)
    if not ids:
        return 0
    relationships = value_relationships(customer_ids=ids)
    relations = _relations(relationships)
    related = {c for source, target, _kind in relationships for c in (source, target)} - set(ids)
    facts = customers_value_facts(customer_ids=[*ids, *sorted(related)])
    policies = customer_value_policies(customer_ids=[*ids, *sorted(related)], as_of=as_of)
    held: dict[int, list] = defaultdict(list)  # customer -> the policies they own or pay for, each once
    for policy in policies:
        for party in {policy.owner_id, policy.payer_id}:
            held[party].append(policy)
    own_policy_ids = sorted({p.policy_id for c in ids for p in held[c]})
    in_force_ids = [p.policy_id for p in policies if p.status in rules.COVER_RUNS]
    valued_on = latest_policy_value_day(as_of=as_of) or as_of
    pvfps = policy_pvfps(policy_ids=in_force_ids, as_of=valued_on)
    paid = premiums_paid_by_policy(policy_ids=own_policy_ids, as_of=as_of)
    rejected = rejected_debits_by_policy(policy_ids=own_policy_ids, since=as_of - timedelta(days=rules.AT_RISK_DAYS),
                                         as_of=as_of)
    cover: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for insured_id, kind, sum_assured in insured_cover(customer_ids=ids, as_of=as_of):
        cover[insured_id].append((kind, sum_assured))
    thresholds = current_thresholds()
    starts = current_segment_starts(customer_ids=ids)

    def current(customer_id: int, leave_out: frozenset[int] = frozenset()) -> tuple[Decimal, list[rules.Reason]]:
        total, lines = ZERO, []
        for p in held[customer_id]:
            if p.status in rules.COVER_RUNS and p.policy_id not in leave_out:
                if p.policy_id in pvfps:
                    total += pvfps[p.policy_id]
                    lines.append(rules.reason("policy_pvfp", policy=p.number, amount=pvfps[p.policy_id]))
                else:
                    lines.append(rules.reason("policy_not_valued", policy=p.number, day=valued_on))
        return total, lines

    now = timezone.now()
    values, segments = [], {}
    for customer_id in ids:
        fact = facts[customer_id]
        mine = held[customer_id]
        current_value, current_lines = current(customer_id)
        current_lines = current_lines or [rules.reason("no_policy_in_force")]
        premiums = sum((paid.get(p.policy_id, ZERO) for p in mine), ZERO)
        margin, historical_lines = rules.historical_value(premiums)
        mine_relations = relations[customer_id]
        household, referred, children = (mine_relations.household, mine_relations.referred,
                                         mine_relations.children)
        age = (rules.age_last_birthday(fact.birth_date, as_of)
               if fact.kind == "person" and fact.birth_date is not None else None)
        children_ages = [rules.age_last_birthday(facts[c].birth_date, as_of) for c in sorted(children)
                         if c in facts and facts[c].birth_date is not None]
        death_cover = sum((sa for kind, sa in cover[customer_id] if kind in rules.DEATH_COVER_KINDS), ZERO)
        has_annuity = any(kind == "annuity" for kind, _sa in cover[customer_id])
        potential, potential_lines = rules.potential_value(currency=fact.currency, age=age, children_ages=children_ages,
                                                           death_cover=death_cover, has_annuity=has_annuity)
        counted = frozenset(p.policy_id for p in mine)
        network, network_lines = rules.network_value(
            referred={c: current(c, counted)[0] for c in sorted(referred)},
            household={c: current(c, counted)[0] for c in sorted(household)})
        total = current_value + margin + network
        values.append(CustomerValue(
            customer_id=customer_id, as_of=as_of, jurisdiction=fact.jurisdiction_id, currency=fact.currency,
            current_value=current_value, premiums_paid=premiums, margin_earned=margin, potential_value=potential,
            network_value=network, total_value=total, computed_at=now, whole_book=only is None,
            reasons={"current": current_lines, "historical": historical_lines,
                     "potential": potential_lines or [rules.reason("no_gap")],
                     "network": network_lines or [rules.reason("no_network")]}))
        start = starts.get(customer_id)
        if start is not None and start > as_of:
            continue  # placed on a later day already
        limits = thresholds.get(fact.jurisdiction_id)
        if limits is None:
            tier, tier_lines = "standard", [rules.reason("no_thresholds", jurisdiction=fact.jurisdiction_id)]
        else:
            tier = rules.tier_for(total, limits.as_dict())
            tier_lines = rules.tier_reasons(tier, total, limits.as_dict(), limits.version)
        stage, stage_lines = rules.stage_for(
            [rules.PolicyFacts(p.policy_id, p.number, p.issue_date, p.status, p.status_date) for p in mine],
            [day for p in mine for day in rejected.get(p.policy_id, ())], as_of)
        segments[customer_id] = Segment(tier, stage, {"tier": tier_lines, "stage": stage_lines})
    CustomerValue.objects.bulk_create(values, update_conflicts=True, unique_fields=["customer", "as_of"],
                                      update_fields=VALUE_FIELDS, batch_size=1000)
    if segments:
        segments_record(actor=VALUE_ENGINE, as_of=as_of, segments=segments)
    return len(values)


# --- tier thresholds: preview, then apply (HQ) -------------------------------------------------------------------
@dataclass(frozen=True)
class ThresholdsPreview:
    """What new thresholds would do to the customers of a jurisdiction valued on `value_day`: how many move from
    which tier to which (`moves`, only the changes), and how many each tier holds before and after."""

    jurisdiction: str
    value_day: date | None
    customers: int
    moves: dict[tuple[str, str], int]
    before: dict[str, int]
    after: dict[str, int]

    def moved(self) -> int:
        return sum(self.moves.values())

    def summary(self) -> list[str]:
        return [f"{count} customer(s) from {source} to {target}" for (source, target), count in self.moves.items()]


def _amount(value) -> Decimal:
    """A threshold typed in (text: an amount as people type it, no exponent) or given as a number."""
    if isinstance(value, str):
        try:
            return parse_amount(value)
        except AmountInvalid as refused:
            if refused.code == "max_decimal_places":
                raise ValidationError(gettext("The tier thresholds are amounts to the cent.")) from None
            raise ValidationError(gettext("The tier thresholds must be amounts above zero, such as 50000 or "
                                          "50000.00.")) from None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise ValidationError(gettext("The tier thresholds must be amounts.")) from None


def _clean_thresholds(diamond, gold, silver) -> dict[str, Decimal]:
    limits = {"diamond": _amount(diamond), "gold": _amount(gold), "silver": _amount(silver)}
    if not limits["diamond"] > limits["gold"] > limits["silver"] > 0:
        raise ValidationError(gettext("The tier thresholds must descend from diamond to gold to silver, all above "
                                      "zero (given %(diamond)s, %(gold)s, %(silver)s).") % limits)
    if any(v != v.quantize(Decimal("0.01")) for v in limits.values()):
        raise ValidationError(gettext("The tier thresholds are amounts to the cent."))
    return limits


def _preview(jurisdiction: str, limits: dict[str, Decimal], as_of: date) -> ThresholdsPreview:
    in_force = current_thresholds().get(jurisdiction)
    if in_force is None:
        raise ValidationError(gettext("Jurisdiction %(code)s has no tier thresholds.") % {"code": jurisdiction})
    day = latest_value_day(as_of=as_of)
    moves: Counter = Counter()
    before: Counter = Counter()
    after: Counter = Counter()
    if day is not None:
        for total in (CustomerValue.objects.filter(as_of=day, jurisdiction=jurisdiction)
                      .values_list("total_value", flat=True).iterator(chunk_size=5000)):
            old, new = rules.tier_for(total, in_force.as_dict()), rules.tier_for(total, limits)
            before[old] += 1
            after[new] += 1
            if old != new:
                moves[(old, new)] += 1
    order = {tier: i for i, tier in enumerate(rules.TIER_ORDER)}
    return ThresholdsPreview(
        jurisdiction=jurisdiction, value_day=day, customers=sum(before.values()),
        moves=dict(sorted(moves.items(), key=lambda kv: (order[kv[0][0]], order[kv[0][1]]))),
        before={tier: before[tier] for tier in rules.TIER_ORDER}, after={tier: after[tier] for tier in rules.TIER_ORDER})


def tier_thresholds_preview(*, actor, jurisdiction: str, diamond, gold, silver, as_of: date) -> ThresholdsPreview:
    """What the thresholds would move, on the customer values last computed on or before `as_of`: each value's
    tier under the thresholds in force against its tier under these. Writes nothing. Head office only."""
    authorize(actor, Action.SET_TIER_THRESHOLDS)
    return _preview(jurisdiction, _clean_thresholds(diamond, gold, silver), as_of)


def tier_thresholds_apply(*, actor, jurisdiction: str, diamond, gold, silver, as_of: date,
                          note: str = "") -> tuple[TierThresholds, ThresholdsPreview]:
    """Store the thresholds as the jurisdiction's next version, with an audit record of the change and of what it
    moves (the preview). Customers change tier at the next run of `value.customer_values`. Head office only."""
    authorize(actor, Action.SET_TIER_THRESHOLDS)
    limits = _clean_thresholds(diamond, gold, silver)
    with transaction.atomic():
        latest = (TierThresholds.objects.select_for_update().filter(jurisdiction_id=jurisdiction)
                  .order_by("-version").first())
        if latest is None:
            raise ValidationError(gettext("Jurisdiction %(code)s has no tier thresholds.") % {"code": jurisdiction})
        preview = _preview(jurisdiction, limits, as_of)
        row = TierThresholds.objects.create(jurisdiction_id=jurisdiction, version=latest.version + 1,
                                            currency=latest.currency, created_at=timezone.now(),
                                            created_by=str(actor)[:100], note=note[:200], **limits)
        audit_record(actor=actor, action="create", object_type="value.tier_thresholds", object_id=row.pk,
                     before={"version": latest.version, **{k: str(v) for k, v in latest.as_dict().items()}},
                     after={"version": row.version, **{k: str(v) for k, v in limits.items()},
                            "as_of": as_of.isoformat(), "value_day": preview.value_day and preview.value_day.isoformat(),
                            "moves": preview.summary()})
    return row, preview
