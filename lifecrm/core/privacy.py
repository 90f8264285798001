"""PIPL rights over one customer's personal data: the data export and the anonymisation of a former customer.

Each app knows what it holds about a customer, so each registers (in `AppConfig.ready`, the dependency rule of
DESIGN.md: core never imports an app):
- `register_personal_data(name)`: `func(customer_id) -> list[dict]`, the rows of one section of the export
  (JSON-serialisable values: dates and Decimals are written as strings);
- `register_relationship_end(name)`: `func(customer_ids) -> {customer_id: RelationshipEnd}` (ids it knows
  nothing about may be left out), whether the customer still has a live relationship (a policy in force, say)
  and when the last one ended; in bulk, so that finding who may be anonymised is a few queries a batch;
- `register_anonymiser(name)`: `func(customer_id, as_of) -> int`, overwrite what the app holds that identifies
  the customer (names, numbers, contacts), keeping the financial records' amounts; returns rows changed.

The services that use them (`parties.services.customer_data_export`, `customer_anonymise`) check access and
audit; this module only assembles.
"""
from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

PersonalDataSource = Callable[[int], list[dict[str, Any]]]
Anonymiser = Callable[[int, date], int]


@dataclass(frozen=True)
class RelationshipEnd:
    active: bool  # a relationship that has not ended (a policy not in a final status)
    last_ended_on: date | None  # when the latest ended relationship ended; None if there was none

    def and_(self, active: bool, last_ended_on: date | None) -> RelationshipEnd:
        """Combined with another relationship: active if either is; ended on the later end."""
        latest = max((d for d in (self.last_ended_on, last_ended_on) if d), default=None)
        return RelationshipEnd(self.active or bool(active), latest)


_sources: dict[str, PersonalDataSource] = {}
RelationshipEnds = Callable[[list[int]], dict[int, RelationshipEnd]]
_ends: dict[str, RelationshipEnds] = {}
_anonymisers: dict[str, Anonymiser] = {}


def register_personal_data(name: str):
    def decorator(func: PersonalDataSource) -> PersonalDataSource:
        _sources[name] = func
        return func
    return decorator


def register_relationship_end(name: str):
    def decorator(func: RelationshipEnds) -> RelationshipEnds:
        _ends[name] = func
        return func
    return decorator


def register_anonymiser(name: str):
    def decorator(func: Anonymiser) -> Anonymiser:
        _anonymisers[name] = func
        return func
    return decorator


def personal_data(customer_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every registered section about the customer, by name."""
    return {name: _sources[name](customer_id) for name in sorted(_sources)}


NO_RELATIONSHIP = RelationshipEnd(False, None)
# What an anonymiser writes where a name stood (the customer's number follows it on the customer record).
ANONYMISED_NAME = "ANONYMISED"


def relationship_ends(customer_ids: list[int]) -> dict[int, RelationshipEnd]:
    """For each customer, combined over every app: active if any is; ended on the latest end."""
    combined = dict.fromkeys(customer_ids, NO_RELATIONSHIP)
    for func in _ends.values():
        for customer_id, end in func(customer_ids).items():
            combined[customer_id] = combined[customer_id].and_(end.active, end.last_ended_on)
    return combined


def relationship_end(customer_id: int) -> RelationshipEnd:
    return relationship_ends([customer_id])[customer_id]


def anonymise_everywhere(customer_id: int, as_of: date) -> dict[str, int]:
    return {name: _anonymisers[name](customer_id, as_of) for name in sorted(_anonymisers)}


def _json_default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    raise TypeError(f"{type(value).__name__} is not exportable")


def export_zip(*, customer_number: str, sections: dict[str, list[dict[str, Any]]], meta: dict[str, Any]) -> bytes:
    """A zip with `customer-<number>.json` (every section) and a README in English and Chinese."""
    document = {"meta": meta, **sections}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"customer-{customer_number}.json",
                         json.dumps(document, ensure_ascii=False, indent=1, default=_json_default))
        archive.writestr("README.txt", (
            "Personal data held by lifecrm about one customer (PIPL Art. 45), as JSON: one key per section.\n"
            "本文件为 lifecrm 所持有的该客户个人信息（《个人信息保护法》第四十五条），JSON 格式，每一部分一个键。\n"))
    return buffer.getvalue()
