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


# --- tier thresholds (issue 15 §4) -------------------------------------------------------------------------------
# Version 1 of each jurisdiction's tier thresholds: the minimum `CustomerValue.total_value` of diamond, gold and
# silver, in the jurisdiction's currency (HKD and TWD at about CNY's purchasing power). Head office changes them
# with `services.tier_thresholds_apply` (a new version, after a preview of what would move).
DEFAULT_TIER_THRESHOLDS = {
    "CN": ("100000", "30000", "5000"),
    "HK": ("110000", "33000", "5500"),
    "TW": ("450000", "135000", "22500"),
}
THRESHOLDS_SOURCE = "value.reference_data (defaults)"


def load_tier_thresholds(using: str = "default") -> int:
    """Create version 1 of the tier thresholds of each jurisdiction that has none (a post-migrate receiver; a
    jurisdiction head office has set keeps its versions). Returns the rows created."""
    from lifecrm.core.models import Jurisdiction
    from lifecrm.value.models import TierThresholds

    have = set(TierThresholds.objects.using(using).values_list("jurisdiction_id", flat=True))
    now = timezone.now()
    rows = [TierThresholds(jurisdiction_id=code, version=1, currency=currency, diamond=Decimal(diamond),
                           gold=Decimal(gold), silver=Decimal(silver), created_at=now, created_by=THRESHOLDS_SOURCE)
            for code, currency in Jurisdiction.objects.using(using).order_by("code").values_list("code", "currency")
            if code not in have and code in DEFAULT_TIER_THRESHOLDS
            for diamond, gold, silver in [DEFAULT_TIER_THRESHOLDS[code]]]
    TierThresholds.objects.using(using).bulk_create(rows)
    return len(rows)
