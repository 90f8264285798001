"""Reading a pain.002 payment status report (.001.03 or .001.12): one result per original transaction.

ACCP/ACSC/ACSP/ACWC count as collected, RJCT as rejected with `StsRsnInf/Rsn/Cd` (or `Prtry`), ACTC and
PDNG as pending. A status given only for a whole payment-information block or the whole original
message (no `TxInfAndSts`) applies to every transaction in it.
"""
from __future__ import annotations

from lifecrm.banking.formats import PAID, PENDING, REJECTED, GroupResult, ParsedResults, ResultLine
from lifecrm.banking.formats.xmlnav import Node, parse_datetime_date

OUTCOMES = {"ACCP": PAID, "ACSC": PAID, "ACSP": PAID, "ACWC": PAID, "RJCT": REJECTED}


def _outcome(status: str | None) -> str:
    return OUTCOMES.get(status or "", PENDING)


def _reason(node: Node) -> str:
    for info in node.all("StsRsnInf"):
        code = info.text("Rsn/Cd") or info.text("Rsn/Prtry")
        if code:
            return code[:8]
    return ""


def parse(document: Node) -> ParsedResults:
    report = document.get("CstmrPmtStsRpt")
    group = report.get("OrgnlGrpInfAndSts")
    original_message = group.text("OrgnlMsgId")
    lines: list[ResultLine] = []
    groups: list[GroupResult] = []
    blocks = report.all("OrgnlPmtInfAndSts")
    if not blocks and group.text("GrpSts"):
        groups.append(GroupResult(group.where("GrpSts"), original_message, None, _outcome(group.text("GrpSts")),
                                  _reason(group)))
    for block in blocks:
        transactions = block.all("TxInfAndSts")
        block_status = block.text("PmtInfSts") or group.text("GrpSts")
        if not transactions and block_status:
            groups.append(GroupResult(block.where("PmtInfSts"), original_message, block.text("OrgnlPmtInfId"),
                                      _outcome(block_status), _reason(block) or _reason(group)))
        for tx in transactions:
            status = tx.text("TxSts") or block_status
            amount, currency = tx.amount("OrgnlTxRef/Amt/InstdAmt")
            value_date = parse_datetime_date(tx.text("AccptncDtTm")) or tx.date("OrgnlTxRef/ReqdColltnDt")
            lines.append(ResultLine(
                where=tx.where("OrgnlEndToEndId"), end_to_end_id=tx.text("OrgnlEndToEndId") or "",
                outcome=_outcome(status), amount=amount, currency=currency, value_date=value_date,
                reason_code=(_reason(tx) or _reason(block)) if _outcome(status) == REJECTED else "",
            ))
    header = report.get("GrpHdr")
    return ParsedResults("pain.002", header.text("MsgId"), parse_datetime_date(header.text("CreDtTm")), lines, groups,
                         original_message or "")
