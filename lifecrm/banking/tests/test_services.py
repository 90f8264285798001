"""Receiving a bank's file once by its content hash, whole or not at all, whichever app applies it."""
from datetime import date
from decimal import Decimal

import pytest

from lifecrm.banking.errors import BankFileRejected, ExportInvalid
from lifecrm.banking.models import BankFile
from lifecrm.banking.services import bank_file_receive, bank_file_record, parse_results
from lifecrm.banking.xsd import PAIN_008

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 20)
CSV = b"end_to_end_id,status,amount,currency,value_date,reason_code\nX1,paid,10.00,CNY,2026-11-20,\n"
PAIN_002_REPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">
  <CstmrPmtStsRpt>
    <GrpHdr><MsgId>PSR-1</MsgId><CreDtTm>2026-11-20T18:05:00+08:00</CreDtTm></GrpHdr>
    <OrgnlGrpInfAndSts>
      <OrgnlMsgId>LCCL20261120CNY</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId>
    </OrgnlGrpInfAndSts>
    <OrgnlPmtInfAndSts>
      <OrgnlPmtInfId>LCCL20261120CNY-1</OrgnlPmtInfId>
      <TxInfAndSts><OrgnlEndToEndId>X1</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts>
    </OrgnlPmtInfAndSts>
  </CstmrPmtStsRpt>
</Document>"""


def test_the_same_bytes_twice_are_one_file_applied_once():
    applied = []
    bank_file, result = bank_file_receive(content=CSV, filename="r.csv", as_of=DAY,
                                          apply=lambda f, parsed: applied.append(parsed) or "done")
    assert result == "done" and [line.end_to_end_id for line in applied[0].lines] == ["X1"]
    assert (bank_file.direction, bank_file.format, bank_file.line_count, bank_file.total_amount) == (
        "in", "csv", 1, Decimal("10.00"))
    again, result = bank_file_receive(content=CSV, filename="other.csv", as_of=DAY, apply=applied.append)
    assert (again, result, len(applied)) == (bank_file, None, 1)


def test_a_file_refused_by_its_app_leaves_nothing():
    def refuse(bank_file, parsed):
        raise BankFileRejected("line 2", "unknown end-to-end reference %(reference)s", reference="X1")

    with pytest.raises(BankFileRejected, match="line 2: unknown end-to-end reference X1"):
        bank_file_receive(content=CSV, filename="r.csv", as_of=DAY, apply=refuse)
    assert not BankFile.objects.exists()


def test_empty_unknown_and_own_files_are_refused():
    with pytest.raises(BankFileRejected, match="empty"):
        bank_file_receive(content=b" \n", filename="r.csv", as_of=DAY, apply=lambda f, p: None)
    with pytest.raises(BankFileRejected, match="unknown format"):
        parse_results(CSV, "mt940")
    with pytest.raises(ExportInvalid):
        bank_file_record(file_format=BankFile.Format.PAIN_008, namespace=PAIN_008, content=b"<Document/>",
                         message_id="LCDD20261117CNY", as_of=DAY, line_count=0, total_amount=Decimal(0))
    assert not BankFile.objects.exists()


def test_a_head_is_trusted_for_its_own_bytes_only(monkeypatch):
    """`parse_results` reuses what `file_head` read of the same bytes; a head of other bytes, or read as another
    format than the one asked, is read again."""
    from lifecrm.banking import services

    head = services.file_head(CSV)
    assert (head.format, head.describes(CSV, "auto"), head.describes(CSV, "csv")) == ("csv", True, True)
    other = CSV.replace(b"X1", b"X2")
    assert not head.describes(other, "auto") and not head.describes(CSV, "pain.002")
    read = []
    file_head = services.file_head
    monkeypatch.setattr(services, "file_head", lambda content, fmt="auto": read.append(content) or file_head(content, fmt))
    assert [line.end_to_end_id for line in parse_results(CSV, head=head).lines] == ["X1"] and read == []
    assert [line.end_to_end_id for line in parse_results(other, head=head).lines] == ["X2"] and read == [other]


def test_a_head_read_as_a_forced_format_is_read_again_when_auto_is_asked(monkeypatch):
    """An XML status report forced to "csv" is read as CSV (and refused as one); a later caller asking "auto" gets
    the file read again, as the pain.002 it is, not the forced head."""
    from lifecrm.banking import services

    xml = PAIN_002_REPORT
    forced = services.file_head(xml, "csv")
    assert (forced.format, forced.requested) == ("csv", "csv")
    assert forced.describes(xml, "csv") and not forced.describes(xml, "auto")
    assert not forced.describes(xml, "pain.002")
    read = []
    file_head = services.file_head
    monkeypatch.setattr(services, "file_head", lambda content, fmt="auto": read.append(fmt) or file_head(content, fmt))
    parsed = parse_results(xml, "auto", head=forced)
    assert read == ["auto"] and parsed.format == "pain.002" and parsed.original_message_id == "LCCL20261120CNY"
    assert [line.end_to_end_id for line in parsed.lines] == ["X1"]

    auto = file_head(xml)  # read as "auto": good for "auto" and for the format it found, not for another
    assert auto.requested == "auto" and auto.format == "pain.002"
    assert auto.describes(xml, "auto") and auto.describes(xml, "pain.002") and not auto.describes(xml, "csv")
    read.clear()
    assert parse_results(xml, "pain.002", head=auto).original_message_id == "LCCL20261120CNY" and read == []
