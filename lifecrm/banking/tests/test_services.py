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
