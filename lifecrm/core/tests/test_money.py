"""Amounts of money as people type them, and rounding to the cent (property-based)."""
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecrm.core.money import CENT, MAX_AMOUNT, AmountInvalid, parse_amount, split_by_shares, to_cents

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


# -- splitting a benefit by exact shares: the parts add up to the amount, each within a cent of its exact part

def test_three_equal_shares_of_an_odd_amount_add_up_exactly():
    third = Fraction(1, 3)
    assert split_by_shares(Decimal("100000.00"), [third] * 3) == [Decimal("33333.34"), Decimal("33333.33"),
                                                                   Decimal("33333.33")]
    assert split_by_shares(Decimal("0.02"), [third] * 3) == [Decimal("0.01"), Decimal("0.01"), Decimal("0.00")]


def test_fifty_thirty_twenty_of_an_odd_amount_add_up_exactly():
    parts = split_by_shares(Decimal("12345.67"), [Fraction(1, 2), Fraction(3, 10), Fraction(1, 5)])
    assert parts == [Decimal("6172.84"), Decimal("3703.70"), Decimal("2469.13")]
    assert sum(parts) == Decimal("12345.67")


def test_the_cent_left_over_goes_to_whoever_lost_most_in_rounding_down():
    # exact parts 16.666…, 33.333…, 50.0: the first lost 0.666… cents, the second 0.333…: the first gets the cent
    parts = split_by_shares(Decimal("1.00"), [Fraction(1, 6), Fraction(1, 3), Fraction(1, 2)])
    assert parts == [Decimal("0.17"), Decimal("0.33"), Decimal("0.50")]


@pytest.mark.parametrize("shares", [[Fraction(1, 2)], [Fraction(1, 2), Fraction(2, 3)], [Fraction(3, 2), Fraction(-1, 2)]])
def test_shares_that_are_not_the_whole_are_refused(shares):
    with pytest.raises(ValueError, match="sum to 1"):
        split_by_shares(Decimal("10.00"), shares)


def test_an_amount_finer_than_a_cent_is_refused():
    with pytest.raises(ValueError, match="cents"):
        split_by_shares(Decimal("10.005"), [Fraction(1)])


@given(amounts, st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=12))
def test_every_split_adds_up_and_stays_within_a_cent_of_the_exact_part(amount, weights):
    shares = [Fraction(w, sum(weights)) for w in weights]
    parts = split_by_shares(amount, shares)
    assert sum(parts) == amount
    for part, share in zip(parts, shares, strict=True):
        exact = Fraction(amount) * share
        assert abs(Fraction(part) - exact) < Fraction(1, 100)
        assert part == part.quantize(CENT)
