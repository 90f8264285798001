"""Loads the default reminder ladders (dunning plans) shipped in data/dunning_plans.json.

Idempotent: a plan or step that exists (by code) is left as HQ may have edited it, unless
`update=True`; a second run creates nothing. Steps are never deleted here: reminders point at them.
"""
from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from lifecrm.billing.models import DueItem, DunningPlan, DunningStep
from lifecrm.core.models import Jurisdiction

PLANS_FILE = Path(__file__).parent / "data" / "dunning_plans.json"
STEP_FIELDS = ("anchor", "offset_days", "channel", "action")


class BadPlanData(ValueError):
    """A row of the plans file names an anchor, channel or action lifecrm does not know."""


def _check_step(plan_code: str, step: dict) -> None:
    for field, choices in (("anchor", DunningStep.Anchor), ("channel", DunningStep.Channel),
                           ("action", DunningStep.Action)):
        if step[field] not in choices.values:
            raise BadPlanData(f"plan {plan_code} step {step['code']}: unknown {field} {step[field]!r}")
    if not isinstance(step["offset_days"], int):
        raise BadPlanData(f"plan {plan_code} step {step['code']}: offset_days must be a whole number")


def load_dunning_plans(*, path: Path = PLANS_FILE, update: bool = False, using: str = "default") -> int:
    """Create the plans and steps of `path` that are missing; with `update`, overwrite edited rows too.

    Plans of a jurisdiction that is not loaded yet are left for the next run. Returns rows written.
    When anything is written, the reminder ladder's bookmarks are reset (see reminders.reminders_run).
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    known = set(Jurisdiction.objects.using(using).values_list("code", flat=True))
    written = 0
    with transaction.atomic(using=using):
        for row in data["plans"]:
            if row["jurisdiction"] not in known:
                continue
            for step in row["steps"]:
                _check_step(row["code"], step)
            values = {"name": row["name"], "jurisdiction_id": row["jurisdiction"], "tier": row["tier"]}
            if update:
                plan, _ = DunningPlan.objects.using(using).update_or_create(code=row["code"], defaults=values)
                written += 1
            else:
                plan, created = DunningPlan.objects.using(using).get_or_create(code=row["code"], defaults=values)
                written += created
            for step in row["steps"]:
                defaults = {k: step[k] for k in STEP_FIELDS}
                if update:
                    DunningStep.objects.using(using).update_or_create(plan=plan, code=step["code"],
                                                                      defaults=defaults)
                    written += 1
                else:
                    _, created = DunningStep.objects.using(using).get_or_create(plan=plan, code=step["code"],
                                                                                defaults=defaults)
                    written += created
        if written:  # the ladder looks at every open premium again under the new plans
            DueItem.objects.using(using).filter(status=DueItem.Status.OPEN, ladder_version__isnull=False).update(
                ladder_version=None)
    return written
