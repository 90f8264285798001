"""Reading a camt.054.001.08 debit/credit notification of the collection account.

Only booked entries (`Sts/Cd` BOOK) count. A credit for one of our end-to-end ids is a collected
premium; a debit (or a reversal) is a return, with `RtrInf/Rsn/Cd`. Entries whose reference is not in
our format are other people's money on the same account: reported as not ours, never matched. Which references
are ours is the reading app's (`ours`, e.g. billing's `debits.rules.looks_like_ours`); without it every entry must
match.
"""
from __future__ import annotations

from collections.abc import Callable

from lifecrm.banking.formats import PAID, PENDING, REJECTED, ParsedResults, ResultLine
from lifecrm.banking.formats.xmlnav import Node, parse_datetime_date

BOOKED = "BOOK"


def _entry_lines(entry: Node, ours: Callable[[str | None], bool] | None) -> list[ResultLine]:
    status = entry.text("Sts/Cd") or entry.text("Sts/Prtry")
    value_date = entry.date("ValDt") or entry.date("BookgDt")
    reversal = (entry.text("RvslInd") or "").lower() in {"true", "1"}
    details = [tx for block in entry.all("NtryDtls") for tx in block.all("TxDtls")]
    lines = []
    for tx in details:
        reference = tx.text("Refs/EndToEndId")
        amount, currency = tx.amount("Amt")
        if amount is None:
            amount, currency = tx.amount("AmtDtls/TxAmt/Amt")
        if amount is None and len(details) == 1:
            amount, currency = entry.amount("Amt")
        direction = tx.text("CdtDbtInd") or entry.text("CdtDbtInd")
        if status != BOOKED:
            outcome = PENDING
        elif direction == "DBIT" or reversal or tx.get("RtrInf") is not None:
            outcome = REJECTED
        else:
            outcome = PAID
        reason = (tx.text("RtrInf/Rsn/Cd") or tx.text("RtrInf/Rsn/Prtry") or "")[:8] if outcome == REJECTED else ""
        lines.append(ResultLine(
            where=tx.where("Refs/EndToEndId"), end_to_end_id=reference or "", outcome=outcome, amount=amount,
            currency=currency, value_date=value_date, reason_code=reason,
            must_match=True if ours is None else ours(reference),
        ))
    return lines


def parse(document: Node, *, ours: Callable[[str | None], bool] | None = None) -> ParsedResults:
    notification = document.get("BkToCstmrDbtCdtNtfctn")
    lines = [line for n in notification.all("Ntfctn") for entry in n.all("Ntry") for line in _entry_lines(entry, ours)]
    header = notification.get("GrpHdr")
    return ParsedResults("camt.054", header.text("MsgId"), parse_datetime_date(header.text("CreDtTm")), lines, [])
