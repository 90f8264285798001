"""Loads the servicing request types that ship with lifecrm (servicing/data/request_types.json)."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from lifecrm.servicing.models import RequestType

REQUEST_TYPES_FILE = Path(__file__).parent / "data" / "request_types.json"


def request_type_rows() -> list[dict]:
    """The shipped types as model field values, their document codes resolved to names."""
    data = json.loads(REQUEST_TYPES_FILE.read_text(encoding="utf-8"))
    documents = data["documents"]
    rows = []
    for row in data["request_types"]:
        above = row["approval_above"]
        rows.append(row | {
            "documents": [{"code": code} | documents[code] for code in row["documents"]],
            "approval_above": None if above is None else Decimal(above),
            "fee": Decimal(row["fee"]),
        })
    return rows


def load_request_types(*, using: str = "default") -> int:
    """Create the shipped request types that are missing (head office's edits and additions are kept)."""
    created = 0
    with transaction.atomic(using=using):
        for row in request_type_rows():
            created += RequestType.objects.using(using).get_or_create(code=row["code"], defaults=row)[1]
    return created
