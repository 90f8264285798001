"""Amounts of money as people type them, and rounding to the cent (property-based)."""
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecrm.core.money import CENT, MAX_AMOUNT, AmountInvalid, parse_amount, to_cents

amounts = st.decimals(min_value=CENT, max_value=MAX_AMOUNT, places=2)


@given(amounts)
def test_every_amount_written_out_reads_back_as_itself(amount):
    assert parse_amount(f"{amount:f}") == amount
    assert parse_amount(f" {amount:f}\n") == amount


@given(amounts)
def test_an_amount_with_one_decimal_or_none_reads_back(amount):
    whole = amount.quantize(Decimal(1), rounding="ROUND_DOWN")
    if whole > 0:
        assert parse_amount(str(whole)) == whole
    one_decimal = amount.quantize(Decimal("0.1"), rounding="ROUND_DOWN")
    if one_decimal > 0:
        assert parse_amount(f"{amount:.2f}"[:-1]) == one_decimal


@given(amounts, st.sampled_from(["e", "E", ",", " ", "+", "_", "-"]), st.integers(min_value=0, max_value=12))
def test_an_exponent_a_separator_or_a_sign_inside_is_refused(amount, intruder, at):
    text = f"{amount:f}"
    at = min(max(at, 1), len(text) - 1) if intruder == " " else at  # leading and trailing blanks are trimmed
    text = text[:at] + intruder + text[at:]
    with pytest.raises(AmountInvalid):
        parse_amount(text)


@pytest.mark.parametrize(("text", "code"), [
    ("1e5", "invalid"), ("1E+5", "invalid"), ("", "invalid"), (".", "invalid"), ("5.", "invalid"),
    (".50", "invalid"), ("NaN", "invalid"), ("Infinity", "invalid"), ("0x10", "invalid"), ("１２０", "invalid"),
    ("١٢٠", "invalid"), ("12.345", "max_decimal_places"), ("0", "min_value"), ("0.00", "min_value"),
    ("-5", "min_value"), ("-0.01", "min_value"), ("10000000000", "max_value"), ("9999999999.999", "max_decimal_places"),
])
def test_what_is_not_plainly_an_amount_is_refused_with_its_reason(text, code):
    with pytest.raises(AmountInvalid) as refused:
        parse_amount(text)
    assert refused.value.code == code


def test_the_largest_amount():
    assert parse_amount("9999999999.99") == MAX_AMOUNT


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6))
def test_rounding_to_the_cent_is_half_up_and_within_half_a_cent(value):
    cents = to_cents(value)
    assert cents == cents.quantize(CENT)
    assert abs(cents - value) <= Decimal("0.005")
    assert cents == value.quantize(CENT, rounding=ROUND_HALF_UP)
    assert to_cents(cents) == cents  # idempotent
    assert to_cents(-value) == -cents  # half away from zero: symmetric
