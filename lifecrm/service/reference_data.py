"""Loads the service desk's reference data that ships with lifecrm: case types and categories, SLA policies and
business hours, care rules."""
from __future__ import annotations

import json
from datetime import date, time
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from lifecrm.core.models import Jurisdiction
from lifecrm.service.models import ANY_PRIORITY, BusinessHours, CareRule, CaseCategory, CaseType, SlaPolicy

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


SLA_FILE = Path(__file__).parent / "data" / "sla.json"


def load_sla_defaults(*, using: str = "default") -> int:
    """Create the shipped SLA policies (version 1 of each key) and the business hours of each shipped
    jurisdiction that has none yet (head office's edits, added versions and hours are kept)."""
    data = json.loads(SLA_FILE.read_text(encoding="utf-8"))
    created = 0
    with transaction.atomic(using=using):
        jurisdictions = set(Jurisdiction.objects.using(using).values_list("code", flat=True))
        for code, intervals in data["business_hours"].items():
            if code not in jurisdictions or BusinessHours.objects.using(using).filter(jurisdiction_id=code).exists():
                continue
            BusinessHours.objects.using(using).bulk_create(
                BusinessHours(jurisdiction_id=code, weekday=row["weekday"], start=time.fromisoformat(row["start"]),
                              end=time.fromisoformat(row["end"])) for row in intervals)
            created += len(intervals)
        for row in data["policies"]:
            key = {"case_type": row.get("case_type", ""), "tier": row.get("tier", ""),
                   "priority": row.get("priority", ANY_PRIORITY), "jurisdiction": row.get("jurisdiction", ""),
                   "version": 1}
            values = {"valid_from": date.fromisoformat(data["valid_from"]),
                      "response_quantity": Decimal(row["response"][0]), "response_unit": row["response"][1],
                      "resolution_quantity": Decimal(row["resolution"][0]), "resolution_unit": row["resolution"][1],
                      "warn_percent": row.get("warn_percent", 20)}
            created += SlaPolicy.objects.using(using).get_or_create(**key, defaults=values)[1]


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
