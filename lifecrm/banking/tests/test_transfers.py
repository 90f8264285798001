"""`transfers.transfer_reissue`: a rejected credit transfer pointed at the payee's new account, the same for every
app (servicing's payments, claims' payouts); the apps' services are tested in their own apps."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from lifecrm.banking.models import CreditTransfer
from lifecrm.banking.transfers import transfer_reissue


@dataclass
class _File:
    message_id: str


@dataclass
class _Transfer:
    """What `transfer_reissue` reads and writes of a CreditTransfer row, without a table."""

    class Status:
        PENDING, SENT, ACCEPTED, REJECTED = "pending", "sent", "accepted", "rejected"

    end_to_end_id: str = "SV00000001"
    status: str = "rejected"
    bank_name: str = "ICBC"
    bank_code: str = "102100099996"
    account_number: str = "6222000011112222"
    account_last4: str = "2222"
    bank_file: _File | None = None
    sent_on: date | None = date(2026, 3, 2)
    result_file: _File | None = None
    result_on: date | None = date(2026, 3, 4)
    reason_code: str = "AC04"
    reissues: int = 0
    saved: int = 0

    def save(self):
        self.saved += 1


def _rejected(**kwargs) -> _Transfer:
    return _Transfer(bank_file=_File("LCSV20260302CNY"), result_file=_File("PSR-1"), **kwargs)


def test_a_rejected_transfer_goes_to_the_new_account_under_a_new_reference():
    transfer = _rejected()
    before = transfer_reissue(transfer, bank_name=" 中国银行 ", bank_code=" 104100000004 ",
                              account_number="6217000000000000001")
    assert before == {"reference": "SV00000001", "account": "2222", "reason": "AC04", "file": "LCSV20260302CNY"}
    assert (transfer.end_to_end_id, transfer.reissues, transfer.status, transfer.bank_file, transfer.sent_on) == (
        "SV00000001-R1", 1, "pending", None, None)
    assert (transfer.bank_name, transfer.bank_code, transfer.account_number, transfer.account_last4) == (
        "中国银行", "104100000004", "6217000000000000001", "0001")
    assert (transfer.result_file, transfer.result_on, transfer.reason_code, transfer.saved) == (None, None, "", 1)


def test_a_second_reissue_numbers_from_the_first_reference():
    transfer = _rejected(end_to_end_id="CL00000007-001-R1", reissues=1)
    transfer_reissue(transfer, bank_name="BOC", bank_code="104", account_number="1234567890")
    assert transfer.end_to_end_id == "CL00000007-001-R2"


def test_the_rejection_leaves_the_row_for_the_history():
    transfer = _rejected()
    before = transfer_reissue(transfer, bank_name="BOC", bank_code="104", account_number="1234567890")
    assert (transfer.result_file, transfer.result_on, transfer.reason_code) == (None, None, "")
    assert before["reason"] == "AC04"


@pytest.mark.parametrize("status", ["pending", "sent", "accepted"])
def test_only_a_rejected_transfer_goes_out_again(status):
    transfer = _rejected(status=status)
    with pytest.raises(ValueError):
        transfer_reissue(transfer, bank_name="BOC", bank_code="104", account_number="1234567890")
    assert (transfer.end_to_end_id, transfer.saved) == ("SV00000001", 0)


def test_account_fields_trim_to_the_columns_and_show_the_last_four():
    fields = CreditTransfer.account_fields(bank_name=" " + "B" * 70, bank_code="C" * 25 + " ", account_number="X1234")
    assert fields == {"bank_name": "B" * 60, "bank_code": "C" * 20, "account_number": "X1234",
                      "account_last4": "1234"}
