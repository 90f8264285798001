"""What the value dashboards show (issue 15 §7), scoped to the staff member's data scope, in a fixed number of
queries: the distribution of customer value, tiers and stages by branch, segment migration, and the value at risk
(the PVFP of the policies the lapse model ranks riskiest).

Rows are grouped in SQL by the unit's materialised path (a handful of distinct values) and folded to the branch
(the path's second id) in Python: no join, whatever the book's size."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, Sum, When
from django.utils.translation import get_language

from lifecrm.core.money import to_cents
from lifecrm.org.models import OrgUnit
from lifecrm.org.rules import DataScope
from lifecrm.org.selectors import in_scope
from lifecrm.parties.models import CustomerSegment
from lifecrm.parties.selectors import segment_counts_by_unit, segment_migration
from lifecrm.value.lapse.training import current_model
from lifecrm.value.models import CustomerValue, LapseScore, PolicyValue
from lifecrm.value.selectors import current_set_ids, latest_value_day

VALUE_BANDS = (Decimal("0"), Decimal("1000"), Decimal("10000"), Decimal("50000"), Decimal("200000"),
               Decimal("1000000"))
"""Lower bounds of the value bands of the distribution (a band below the first: negative value)."""
HIGH_RISK_SHARE = 0.10
"""The share of scored policies, riskiest first, whose value counts as at risk (the lapse model's precision is
measured on the same top decile: value.lapse.metrics.precision_at_top)."""
MIGRATION_DAYS = 91
"""The migration table compares the segments of this many days ago with today's."""
STAGE_ORDER = tuple(CustomerSegment.Stage.values)


@dataclass
class BranchRow:
    branch_id: int | None
    name: str = ""
    tiers: dict[str, int] = field(default_factory=dict)
    stages: dict[str, int] = field(default_factory=dict)
    customers: int = 0
    at_risk_policies: int = 0
    pvfp_at_risk: Decimal = Decimal("0.00")
    expected_loss: Decimal = Decimal("0.00")


@dataclass
class ValueDashboard:
    as_of: date
    value_day: date | None
    score_day: date | None
    bands: list[tuple[str, int, Decimal]]  # (label, customers, total value)
    branches: list[BranchRow]
    migration: dict[tuple[str | None, str], int]
    migration_since: date
    risk_threshold: float | None

    @property
    def totals(self) -> BranchRow:
        total = BranchRow(None)
        for row in self.branches:
            total.customers += row.customers
            total.at_risk_policies += row.at_risk_policies
            total.pvfp_at_risk += row.pvfp_at_risk
            total.expected_loss += row.expected_loss
            for tier, n in row.tiers.items():
                total.tiers[tier] = total.tiers.get(tier, 0) + n
            for stage, n in row.stages.items():
                total.stages[stage] = total.stages.get(stage, 0) + n
        return total


def _branch_of(path: str) -> int | None:
    ids = [p for p in path.split("/") if p]
    return int(ids[1]) if len(ids) > 1 else (int(ids[0]) if ids else None)


def band_labels() -> list[str]:
    def short(amount: Decimal) -> str:
        return f"{amount / 1000:,.0f}k" if amount >= 1000 else f"{amount:,.0f}"

    labels = [f"< {short(VALUE_BANDS[0])}"]
    labels += [f"{short(low)}–{short(high)}" for low, high in zip(VALUE_BANDS, VALUE_BANDS[1:], strict=False)]
    return labels + [f"≥ {short(VALUE_BANDS[-1])}"]


def _distribution(scope: DataScope, day: date | None) -> list[tuple[str, int, Decimal]]:
    labels = band_labels()
    if day is None:
        return [(label, 0, Decimal("0.00")) for label in labels]
    band = Case(*[When(total_value__lt=bound, then=i) for i, bound in enumerate(VALUE_BANDS)],
                default=len(VALUE_BANDS), output_field=IntegerField())
    rows = (in_scope(CustomerValue.objects.filter(as_of=day), scope, path_field="customer__branch_path",
                     agent_field="customer__servicing_agent_id")
            .annotate(band=band).values("band").annotate(n=Count("pk"), total=Sum("total_value")).order_by())
    found = {row["band"]: (row["n"], to_cents(Decimal(str(row["total"])))) for row in rows}
    return [(label, *found.get(i, (0, Decimal("0.00")))) for i, label in enumerate(labels)]


def _segments_by_branch(scope: DataScope, as_of: date, branches: dict[int | None, BranchRow]) -> None:
    for path, tier, stage, n in segment_counts_by_unit(scope=scope, as_of=as_of):
        row = branches.setdefault(_branch_of(path), BranchRow(_branch_of(path)))
        row.tiers[tier] = row.tiers.get(tier, 0) + n
        row.stages[stage] = row.stages.get(stage, 0) + n
        row.customers += n


def _value_at_risk(scope: DataScope, as_of: date, value_day: date | None,
                   branches: dict[int | None, BranchRow]) -> tuple[date | None, float | None]:
    model = current_model()
    if model is None or value_day is None:
        return None, None
    scores = LapseScore.objects.filter(model=model, as_of__lte=as_of)
    score_day = scores.order_by("-as_of").values_list("as_of", flat=True).first()
    if score_day is None:
        return None, None
    scored = scores.filter(as_of=score_day)
    rank = max(1, int(scored.count() * HIGH_RISK_SHARE))
    threshold = scored.order_by("-score").values_list("score", flat=True)[rank - 1:rank].first()
    risky = dict(scored.filter(score__gte=threshold).values_list("policy_id", "score"))
    values = (in_scope(PolicyValue.objects.filter(as_of=value_day, policy_id__in=list(risky),
                                                  assumption_set_id__in=list(current_set_ids().values())),
                       scope, path_field="policy__branch_path", agent_field="policy__agent_id")
              .values_list("policy__branch_path", "policy_id").annotate(pvfp=Sum("pvfp")).order_by())
    per_branch: dict[int | None, tuple[set[int], Decimal, Decimal]] = defaultdict(lambda: (set(), Decimal(0),
                                                                                           Decimal(0)))
    for path, policy_id, pvfp in values:
        ids, total, loss = per_branch[_branch_of(path)]
        pvfp = Decimal(str(pvfp))
        ids.add(policy_id)
        per_branch[_branch_of(path)] = (ids, total + pvfp, loss + pvfp * Decimal(str(risky[policy_id])))
    for branch_id, (ids, total, loss) in per_branch.items():
        row = branches.setdefault(branch_id, BranchRow(branch_id))
        row.at_risk_policies, row.pvfp_at_risk, row.expected_loss = len(ids), to_cents(total), to_cents(loss)
    return score_day, threshold


def value_dashboard(*, scope: DataScope, as_of: date) -> ValueDashboard:
    """The dashboards' figures for the scope on `as_of` (values and scores of the latest day computed by then)."""
    value_day = latest_value_day(as_of=as_of)
    branches: dict[int | None, BranchRow] = {}
    _segments_by_branch(scope, as_of, branches)
    score_day, threshold = _value_at_risk(scope, as_of, value_day, branches)
    english = (get_language() or "").startswith("en")  # a branch in the reader's language (its English name)
    names = {pk: name_en if english and name_en else name
             for pk, name, name_en in OrgUnit.objects.filter(pk__in=[b for b in branches if b is not None])
             .values_list("pk", "name", "name_en")}
    for branch_id, row in branches.items():
        row.name = names.get(branch_id, "")
    since = as_of - timedelta(days=MIGRATION_DAYS)
    return ValueDashboard(
        as_of=as_of, value_day=value_day, score_day=score_day, bands=_distribution(scope, value_day),
        branches=sorted(branches.values(), key=lambda r: r.name), risk_threshold=threshold,
        migration=segment_migration(scope=scope, start=since, end=as_of), migration_since=since,
    )
