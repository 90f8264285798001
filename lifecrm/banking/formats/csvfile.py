"""Reading the banks' simple CSV result layout, strictly: any bad line rejects the file.

Layout (UTF-8, an optional BOM, comma-separated, one header line exactly as below):

    end_to_end_id,status,amount,currency,value_date,reason_code
    E000123-1,paid,120.50,CNY,2026-09-30,
    E000124-1,rejected,120.50,CNY,2026-10-02,AM04

- end_to_end_id: the EndToEndId we sent in the pain.008;
- status: `paid` or `rejected`;
- amount: positive, at most 2 decimals, a dot as decimal separator, no thousands separators;
- currency: ISO 4217 code of one of our currencies (CNY, HKD, TWD);
- value_date: YYYY-MM-DD, the day the money moved (or the reject was given);
- reason_code: the ISO 20022 reason code (e.g. AM04, AC04, MD01) for `rejected`, empty for `paid`.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date

from django.utils.translation import gettext_noop as N_

from lifecrm.banking.errors import BankFileRejected
from lifecrm.banking.formats import PAID, REJECTED, ParsedResults, ResultLine
from lifecrm.core.money import CURRENCIES, MAX_AMOUNT, AmountInvalid, parse_amount

HEADER = ["end_to_end_id", "status", "amount", "currency", "value_date", "reason_code"]
STATUSES = {"paid": PAID, "rejected": REJECTED}
AMOUNT_PROBLEMS = {"invalid": N_("amount %(value)r is not a number (digits, a dot and at most 2 decimals)"),
                   "min_value": N_("amount %(value)r must be positive"),
                   "max_decimal_places": N_("amount %(value)r has more than 2 decimals"),
                   "max_value": N_("amount %(value)r is more than %(maximum)s")}
REASON = re.compile(r"[A-Z0-9]{2,8}")


def _line(number: int, row: list[str]) -> ResultLine:
    where = f"line {number}"
    if len(row) != len(HEADER):
        raise BankFileRejected(where, N_("%(found)s fields, expected %(expected)s"), found=len(row), expected=len(HEADER))
    reference, status, amount, currency, value_date, reason = (field.strip() for field in row)
    if not reference or len(reference) > 35:
        raise BankFileRejected(where, N_("end_to_end_id %(value)r must be 1 to 35 characters"), value=reference)
    if status not in STATUSES:
        raise BankFileRejected(where, N_("status %(value)r is not one of %(allowed)s"), value=status, allowed=", ".join(STATUSES))
    try:
        value = parse_amount(amount)
    except AmountInvalid as exc:
        raise BankFileRejected(where, AMOUNT_PROBLEMS[exc.code], value=amount, maximum=MAX_AMOUNT) from None
    if currency not in CURRENCIES:
        raise BankFileRejected(where, N_("currency %(value)r is not one of %(allowed)s"), value=currency,
                               allowed=", ".join(CURRENCIES))
    try:
        day = date.fromisoformat(value_date)
    except ValueError:
        raise BankFileRejected(where, N_("value_date %(value)r is not a date as YYYY-MM-DD"), value=value_date) from None
    if STATUSES[status] == REJECTED and not REASON.fullmatch(reason):
        raise BankFileRejected(where, N_("reason_code %(value)r must be an ISO reason code such as AM04"), value=reason)
    if STATUSES[status] == PAID and reason:
        raise BankFileRejected(where, N_("reason_code %(value)r given for a paid line"), value=reason)
    return ResultLine(where=where, end_to_end_id=reference, outcome=STATUSES[status], amount=value,
                      currency=currency, value_date=day, reason_code=reason)


def parse(content: bytes) -> ParsedResults:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BankFileRejected("", N_("not UTF-8 text (byte %(byte)s)"), byte=exc.start) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise BankFileRejected(f"line {reader.line_num}", N_("not valid CSV: %(detail)s"), detail=exc) from None
    if not rows or [c.strip() for c in rows[0]] != HEADER:
        raise BankFileRejected("line 1", N_("the header must be %(header)s"), header=",".join(HEADER))
    lines = []
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            raise BankFileRejected(f"line {number}", N_("empty line"))
        lines.append(_line(number, row))
    if not lines:
        raise BankFileRejected("", N_("no result lines"))
    return ParsedResults("csv", "", None, lines, [])
