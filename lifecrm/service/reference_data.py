"""Loads the service desk's reference data that ships with lifecrm: case types and categories, care rules."""
from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from lifecrm.service.models import CareRule, CaseCategory, CaseType

CASE_TYPES_FILE = Path(__file__).parent / "data" / "case_types.json"


def load_case_types(*, using: str = "default") -> int:
    """Create the shipped case types and categories that are missing (HQ's edits and additions are kept)."""
    data = json.loads(CASE_TYPES_FILE.read_text(encoding="utf-8"))
    created = 0
    with transaction.atomic(using=using):
        for row in data["case_types"]:
            created += CaseType.objects.using(using).get_or_create(code=row["code"], defaults=row)[1]
        for row in data["categories"]:
            values = {k: v for k, v in row.items() if k != "case_type"} | {"case_type_id": row["case_type"]}
            created += CaseCategory.objects.using(using).get_or_create(code=row["code"], defaults=values)[1]
    return created


CARE_RULES_FILE = Path(__file__).parent / "data" / "care_rules.json"


def care_data() -> dict:
    return json.loads(CARE_RULES_FILE.read_text(encoding="utf-8"))


def jurisdiction_festivals() -> dict[str, list[str]]:
    """The festivals each jurisdiction greets its customers on (festival codes of `service.care_rules`)."""
    return care_data()["festivals"]


def load_care_rules(*, using: str = "default") -> int:
    """Create the shipped care rules that are missing (HQ's edits, deactivations and additions are kept)."""
    created = 0
    with transaction.atomic(using=using):
        for row in care_data()["rules"]:
            keys = {name: row[name] for name in ("occasion", "tier", "action", "festival")}
            created += CareRule.objects.using(using).get_or_create(
                **keys, defaults={"offset_days": row["offset_days"]})[1]
    return created
