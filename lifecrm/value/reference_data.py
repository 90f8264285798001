"""Loads each catalogue product's assumption set (`value.assumptions`) as a new version when its basis changed.

Idempotent: a product whose latest set has the derived set's checksum is left alone; a new or changed one gets
the next version, written whole in one transaction. Run after `products` loads its catalogue (post-migrate) and
by `lifecrm value load-assumptions`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from lifecrm.products.selectors import product_ids_by_code
from lifecrm.value.assumptions import SOURCE, DerivedSet, derive_all
from lifecrm.value.models import AssumptionRate, AssumptionSet


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        created = ", ".join(self.created) or "none"
        return f"{len(self.created)} assumption sets written ({created}), {len(self.unchanged)} unchanged"


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))


def load_assumption_sets(*, using: str = "default", derived: dict[str, DerivedSet] | None = None) -> LoadResult:
    derived = derive_all() if derived is None else derived
    ids = product_ids_by_code(derived, using=using)
    latest: dict[int, tuple[int, str]] = {}
    for product_id, version, checksum in (AssumptionSet.objects.using(using).filter(product_id__in=ids.values())
                                          .order_by("product_id", "version")
                                          .values_list("product_id", "version", "checksum")):
        latest[product_id] = (version, checksum)
    result = LoadResult()
    for code, spec in sorted(derived.items()):
        if code not in ids:
            continue
        product_id = ids[code]
        version, checksum = latest.get(product_id, (0, ""))
        if checksum == spec.checksum:
            result.unchanged.append(code)
            continue
        with transaction.atomic(using=using):
            aset = AssumptionSet.objects.using(using).create(
                product_id=product_id, version=version + 1, checksum=spec.checksum, source=SOURCE,
                created_at=timezone.now(), acquisition_expense=_decimal(spec.acquisition_expense),
                maintenance_expense=_decimal(spec.maintenance_expense),
                expense_inflation=_decimal(spec.expense_inflation), pension_from_age=spec.pension_from_age)
            AssumptionRate.objects.using(using).bulk_create(
                (AssumptionRate(assumption_set=aset, table=table, sex=sex, index=index, rate=rate)
                 for table, sex, index, rate in spec.rates), batch_size=2000)
        result.created.append(f"{code} v{version + 1}")
    return result
