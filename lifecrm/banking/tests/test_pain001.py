"""The pain.001.001.09 credit-transfer writer: valid against the vendored XSD, Chinese names kept, one PmtInf per
execution date, and recorded once by its content hash."""
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from lxml import etree

from lifecrm.banking import xsd
from lifecrm.banking.errors import BankFileRejected
from lifecrm.banking.formats import pain001
from lifecrm.banking.formats.pain008 import Creditor
from lifecrm.banking.models import BankFile
from lifecrm.banking.services import bank_file_record, parse_results

DEBTOR = Creditor(name="示例人寿保险股份有限公司", account="110060149018010001234", bank_code="301290000007",
                  jurisdiction="CN", scheme_id="LIFECRM-CN")


def _line(e2e: str, amount: str, day: date = date(2026, 12, 8), bank_code: str = "102100099996") -> pain001.CreditLine:
    return pain001.CreditLine(end_to_end_id=e2e, amount=Decimal(amount), currency="CNY", execution_date=day,
                              creditor_name="李娜", creditor_account="6222020200112345678",
                              creditor_bank_code=bank_code, jurisdiction="CN", remittance="理赔 CL00000001")


def _build(lines):
    return pain001.build(message_id="LCCL20261207CNY", created_at=datetime(2026, 12, 7, 9, tzinfo=UTC),
                         debtor=DEBTOR, lines=lines)


def test_a_credit_transfer_file_is_valid_and_keeps_chinese_names():
    content = _build([_line("CL1-1", "166666.67"), _line("CL1-2", "166666.66", day=date(2026, 12, 9),
                                                          bank_code="ICBKCNBJXXX")])
    xsd.check_outgoing(content, xsd.PAIN_001)
    root = etree.fromstring(content)
    ns = {"p": xsd.PAIN_001}
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns) == "333333.33"
    assert len(root.findall("p:CstmrCdtTrfInitn/p:PmtInf", namespaces=ns)) == 2
    assert root.findtext(".//p:Cdtr/p:Nm", namespaces=ns) == "李娜"
    assert root.findtext(".//p:CdtrAgt/p:FinInstnId/p:BICFI", namespaces=ns) == "ICBKCNBJXXX"
    assert root.findtext(".//p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:ClrSysId/p:Cd", namespaces=ns) == "CNAPS"


def test_nothing_mixed_or_empty_is_written():
    with pytest.raises(ValueError):
        _build([])
    with pytest.raises(ValueError):
        _build([_line("A", "0.00")])


@pytest.mark.django_db
def test_a_payout_file_is_recorded_once_and_is_never_read_as_a_bank_result():
    content = _build([_line("CL1-1", "100.00")])
    recorded = bank_file_record(file_format=BankFile.Format.PAIN_001, namespace=xsd.PAIN_001, content=content,
                                message_id="LCCL20261207CNY", as_of=date(2026, 12, 7), line_count=1,
                                total_amount=Decimal("100.00"))
    assert (recorded.format, recorded.direction) == ("pain.001", "out")
    with pytest.raises(IntegrityError), transaction.atomic():
        bank_file_record(file_format=BankFile.Format.PAIN_001, namespace=xsd.PAIN_001, content=content,
                         message_id="LCCL20261207CNY", as_of=date(2026, 12, 7), line_count=1,
                         total_amount=Decimal("100.00"))
    with pytest.raises(BankFileRejected, match="pain.001 credit-transfer file"):
        parse_results(content)
