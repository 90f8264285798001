from datetime import date

import pytest

from lifecrm.banking import rules


def test_message_ids_carry_the_kind_the_business_date_the_currency_and_the_part():
    assert rules.message_id("LCDD", date(2026, 11, 17), "CNY") == "LCDD20261117CNY"
    assert rules.message_id("LCCT", date(2026, 11, 17), "HKD", 2) == "LCCT20261117HKD-2"
    with pytest.raises(ValueError):
        rules.message_id("LCD", date(2026, 11, 17), "CNY")


@pytest.mark.parametrize(("message", "currency"), [
    ("LCDD20261117CNY", "CNY"), ("LCDD20261117TWD-12", "TWD"), ("LCCT20270101HKD", "HKD"),
    ("BANK-MSG-42", ""), ("", ""),
])
def test_the_currency_of_a_message_id(message, currency):
    assert rules.message_currency(message) == currency


def test_payment_information_ids_and_reason_codes():
    assert rules.payment_information_id("LCDD20261117CNY", date(2026, 11, 20)) == "LCDD20261117CNY-20261120"
    assert rules.describe("AM04") == "AM04 (insufficient funds)"
    assert rules.describe("ZZ99") == "ZZ99"
    assert rules.describe("") == "no reason code"
