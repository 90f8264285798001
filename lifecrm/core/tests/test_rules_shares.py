"""Beneficiary shares as people write them (a percentage or a fraction) and as they read them back."""
from __future__ import annotations

from fractions import Fraction

import pytest

from lifecrm.policies.rules import MAX_SHARE_DENOMINATOR, ShareInvalid, parse_share, share_text


@pytest.mark.parametrize(("text", "share"), [
    ("50", Fraction(1, 2)), ("50%", Fraction(1, 2)), (" 50 % ", Fraction(1, 2)), ("33.33", Fraction(3333, 10000)),
    ("12.5", Fraction(1, 8)), ("100", Fraction(1)), ("1/3", Fraction(1, 3)), ("2/6", Fraction(1, 3)),
    ("1/1", Fraction(1)), ("0.001", Fraction(1, 100000)),
])
def test_a_share_is_a_percentage_or_a_fraction_of_the_whole(text, share):
    assert parse_share(text) == share


@pytest.mark.parametrize(("text", "code"), [
    ("", "invalid"), ("abc", "invalid"), ("1e2", "invalid"), ("-10", "invalid"), ("５０", "invalid"),
    ("1/0", "invalid"), ("1/3/4", "invalid"), ("/3", "invalid"), ("1.5/3", "invalid"), ("50..0", "invalid"),
    ("0", "min_value"), ("0/3", "min_value"), ("0.00", "min_value"),
    ("100.01", "max_value"), ("4/3", "max_value"),
    (f"1/{MAX_SHARE_DENOMINATOR + 1}", "too_fine"), ("0.0000001", "too_fine"),
])
def test_what_is_not_a_share_is_refused_with_its_reason(text, code):
    with pytest.raises(ShareInvalid) as refused:
        parse_share(text)
    assert refused.value.code == code


@pytest.mark.parametrize(("share", "text"), [
    (Fraction(3, 5), "60 %"), (Fraction(1), "100 %"), (Fraction(1, 8), "12.5 %"), (Fraction(3333, 10000), "33.33 %"),
    (Fraction(1, 3), "1/3"), (Fraction(2, 7), "2/7"), (Fraction(6000, 10000), "60 %"), (Fraction(1, 100000), "1/100000"),
])
def test_a_share_reads_as_a_percentage_when_it_is_one(share, text):
    assert share_text(share) == text


@pytest.mark.parametrize("share", [Fraction(1, 3), Fraction(3, 5), Fraction(1, 8), Fraction(2, 7), Fraction(1)])
def test_what_is_written_reads_back(share):
    assert parse_share(share_text(share)) == share
