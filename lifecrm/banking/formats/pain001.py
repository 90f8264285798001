"""Writing a pain.001.001.09 credit-transfer initiation (payouts: claims, later servicing): one PmtInf per
requested execution date, paid from the insurer's account in the file's currency.

The same conventions as the pain.008 writer (`formats/pain008.py`): accounts in `Othr/Id` (CN/HK/TW account
numbers are not IBANs), a BIC in `BICFI` else the jurisdiction's clearing system in `ClrSysMmbId`, names as written
(UTF-8 Chinese, never pinyin). Built with lxml; `banking.services.bank_file_record` checks it against the vendored
XSD before it is recorded.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import groupby

from lxml.etree import tostring

from lifecrm.banking import rules
from lifecrm.banking.formats.pain008 import Creditor
from lifecrm.banking.formats.writer import IsoWriter, money
from lifecrm.banking.xsd import PAIN_001


@dataclass(frozen=True, slots=True)
class CreditLine:
    """One payment to one payee's account."""

    end_to_end_id: str
    amount: Decimal
    currency: str
    execution_date: date
    creditor_name: str
    creditor_account: str
    creditor_bank_code: str
    jurisdiction: str
    remittance: str


_writer = IsoWriter(PAIN_001)
_sub, _text, _agent, _account, _party = _writer.sub, _writer.text, _writer.agent, _writer.account, _writer.party
_money = money


def build(*, message_id: str, created_at: datetime, debtor: Creditor, lines: list[CreditLine]) -> bytes:
    """The file's bytes (UTF-8, XML declaration). `debtor` is the insurer's paying account; lines share its
    currency. Amounts are positive (a payout of nothing is no payment)."""
    if not lines:
        raise ValueError("a pain.001 file holds at least one payment")
    if len({line.currency for line in lines}) != 1:
        raise ValueError("a pain.001 file holds one currency")
    if any(line.amount <= 0 for line in lines):
        raise ValueError("every payment of a pain.001 file is more than zero")
    document = _writer.document()
    initiation = _sub(document, "CstmrCdtTrfInitn")
    header = _sub(initiation, "GrpHdr")
    _text(header, "MsgId", message_id)
    _text(header, "CreDtTm", created_at.isoformat(timespec="seconds"))
    _text(header, "NbOfTxs", str(len(lines)))
    _text(header, "CtrlSum", _money(sum((line.amount for line in lines), Decimal(0))))
    _party(header, "InitgPty", debtor.name, debtor.scheme_id)
    ordered = sorted(lines, key=lambda line: (line.execution_date, line.end_to_end_id))
    for execution_date, group in groupby(ordered, key=lambda line: line.execution_date):
        group = list(group)
        block = _sub(initiation, "PmtInf")
        _text(block, "PmtInfId", rules.payment_information_id(message_id, execution_date))
        _text(block, "PmtMtd", "TRF")
        _text(block, "NbOfTxs", str(len(group)))
        _text(block, "CtrlSum", _money(sum((line.amount for line in group), Decimal(0))))
        _text(_sub(block, "ReqdExctnDt"), "Dt", execution_date.isoformat())
        _party(block, "Dbtr", debtor.name)
        _account(block, "DbtrAcct", debtor.account)
        _agent(block, "DbtrAgt", debtor.bank_code, debtor.jurisdiction)
        for line in group:
            transfer = _sub(block, "CdtTrfTxInf")
            _text(_sub(transfer, "PmtId"), "EndToEndId", line.end_to_end_id)
            _text(_sub(transfer, "Amt"), "InstdAmt", _money(line.amount)).set("Ccy", line.currency)
            _agent(transfer, "CdtrAgt", line.creditor_bank_code, line.jurisdiction)
            _party(transfer, "Cdtr", line.creditor_name)
            _account(transfer, "CdtrAcct", line.creditor_account)
            _text(_sub(transfer, "RmtInf"), "Ustrd", line.remittance[:140])
    return tostring(document, encoding="UTF-8", xml_declaration=True)
