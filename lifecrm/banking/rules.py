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


def gettext_noop(message: str) -> str:
    """Marks a label for the catalogues (makemessages' keyword) and returns it unchanged: rules stay free of Django;
    the pages translate the label when they show it (`banking.reasons.reason_text`)."""
    return message


REASON_LABELS = {
    "AC01": gettext_noop("incorrect account number"),
    "AC03": gettext_noop("invalid payee account number"),
    "AC04": gettext_noop("account closed"),
    "AC06": gettext_noop("account blocked"),
    "AG01": gettext_noop("transaction forbidden on this account"),
    "AM04": gettext_noop("insufficient funds"),
    "AM05": gettext_noop("duplicate transaction"),
    "BE01": gettext_noop("account holder's name does not match the account"),
    "FF01": gettext_noop("file format invalid"),
    "MD01": gettext_noop("no valid mandate"),
    "MD06": gettext_noop("refund requested by the debtor"),
    "MD07": gettext_noop("account holder deceased"),
    "MS02": gettext_noop("refused by the account holder, reason not given"),
    "MS03": gettext_noop("reason not specified"),
    "NARR": gettext_noop("reason given in the bank's narrative"),
    "RR01": gettext_noop("payer's account or identification missing (regulatory)"),
    "RR02": gettext_noop("payer's name or address missing (regulatory)"),
    "RR03": gettext_noop("payee's name or address missing (regulatory)"),
    "RR04": gettext_noop("regulatory reason"),
}
"""ISO 20022 external status reason codes (ExternalStatusReason1Code) our banks send on debits (pain.008) and
payouts (pain.001), in English: the one table of their labels. Pages show them through
`banking.reasons.reason_text` ("AC04 — Account closed", in the page's language); audit texts use `describe`."""


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
