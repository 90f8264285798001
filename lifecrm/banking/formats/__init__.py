"""Bank file formats: what a result line says, whichever format carried it, and the readers and writer."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

PAID = "paid"
REJECTED = "rejected"
PENDING = "pending"  # e.g. pain.002 ACTC/PDNG, camt.054 entries not booked yet: nothing to do


@dataclass(frozen=True, slots=True)
class ResultLine:
    """One transaction's result: `where` points at it (element path or "line N") for error messages."""

    where: str
    end_to_end_id: str
    outcome: str  # PAID | REJECTED | PENDING
    amount: Decimal | None = None
    currency: str | None = None
    value_date: date | None = None
    reason_code: str = ""
    # camt.054 also lists money that is not ours: a line whose reference is not in our format is counted.
    must_match: bool = True


@dataclass(frozen=True, slots=True)
class GroupResult:
    """A pain.002 verdict on a whole original message (or one payment-information block of it)."""

    where: str
    original_message_id: str
    payment_information_id: str | None
    outcome: str
    reason_code: str = ""


@dataclass(frozen=True)
class ParsedResults:
    format: str
    message_id: str
    created_on: date | None
    lines: list[ResultLine]
    groups: list[GroupResult]
    original_message_id: str = ""  # a pain.002's: the message it answers
