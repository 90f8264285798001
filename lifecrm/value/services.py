"""Writes of the value app: the stored value of each in-force coverage at an as-of date."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from lifecrm.core.money import to_cents
from lifecrm.policies.selectors import valuation_coverages
from lifecrm.products.selectors import cash_value_vectors, modal_premium, mode_factor_lookup, product_codes
from lifecrm.value.book import (
    PV_NAMES,
    ValuationError,
    cash_value_key,
    describe,
    model_points,
    present_values,
)
from lifecrm.value.models import PolicyValue
from lifecrm.value.selectors import current_sets


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
