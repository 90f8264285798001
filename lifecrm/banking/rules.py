"""Bank-file rules every app shares, pure: message ids, payment-information ids, file size, ISO reason codes.

An app's message ids are `<prefix><yyyymmdd><CCY>[-<part>]`: a 4-letter prefix per kind of file (billing's
direct debits `LCDD`), the business date and the currency, so that a rerun for a date finds what it made and
the retention of an outgoing file knows its currency (`message_currency`).
"""
from __future__ import annotations

import re
from datetime import date

MAX_LINES_PER_FILE = 5000
"""At most this many lines go in one outgoing file: banks cap their files, and the XSD check of a much bigger file
runs into xmlschema's element limit (a 1M-policy book's day does)."""

MESSAGE_ID = re.compile(r"(?P<prefix>[A-Z]{4})(?P<day>\d{8})(?P<currency>[A-Z]{3})(?:-(?P<part>\d+))?")

MESSAGE_PREFIXES = {"LCDD": "billing", "LCCL": "claims", "LCSV": "servicing"}
"""Whose outgoing files: each message-id prefix is one app's (its Django app label), so that no two apps share one."""

REASON_LABELS = {
    "AC01": "incorrect account number",
    "AC04": "account closed",
    "AC06": "account blocked",
    "AG01": "transaction forbidden on this account",
    "AM04": "insufficient funds",
    "AM05": "duplicate collection",
    "MD01": "no valid mandate",
    "MD06": "refund requested by the debtor",
    "MD07": "debtor deceased",
    "MS02": "refused by the debtor",
    "MS03": "reason not specified",
    "FF01": "file format invalid",
}
"""ISO 20022 external status reason codes our banks send, in English (the pages translate them)."""


def message_id(prefix: str, as_of: date, currency: str, part: int = 1) -> str:
    """The message id of a kind of file (`prefix`), business date, currency and part (files of MAX_LINES_PER_FILE
    lines): `LCDD20261117CNY`, then `LCDD20261117CNY-2`…"""
    if len(prefix) != 4:
        raise ValueError(f"a message id prefix has 4 letters, not {prefix!r}")
    base = f"{prefix}{as_of:%Y%m%d}{currency}"
    return base if part == 1 else f"{base}-{part}"


def message_currency(message: str) -> str:
    """The currency inside a message id made by `message_id` ("" for any other)."""
    found = MESSAGE_ID.fullmatch(message or "")
    return found["currency"] if found else ""


def message_app(message: str) -> str:
    """The label of the app whose message id this is ("" for a bank's or an unknown prefix)."""
    found = MESSAGE_ID.fullmatch(message or "")
    return MESSAGE_PREFIXES.get(found["prefix"], "") if found else ""


def payment_information_id(message: str, day: date) -> str:
    """One PmtInf block per requested collection (or execution) date inside a file."""
    return f"{message}-{day:%Y%m%d}"


def describe(reason_code: str) -> str:
    if not reason_code:
        return "no reason code"
    return f"{reason_code} ({REASON_LABELS[reason_code]})" if reason_code in REASON_LABELS else reason_code
