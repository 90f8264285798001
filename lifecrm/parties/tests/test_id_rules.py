"""ID-number rules (parties.rules) as properties: every number built by the generator passes its rule, the check
character is the only one that does, and a single changed character fails whenever the scheme can tell."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecrm.core.generator import days_of
from lifecrm.parties import rules
from lifecrm.parties.generator_ids import hk_id_numbers, prc_id_numbers, tw_id_numbers, uscc_codes
from lifecrm.parties.rules import InvalidIdNumber, validate_id_number

DIGITS = "0123456789"
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
regions = st.integers(min_value=110000, max_value=829999)
sequences = st.integers(min_value=0, max_value=999)


def prc_number(region: int, born: date, sequence: int) -> str:
    return prc_id_numbers(np.array([region]), np.array([days_of(born)]), np.array([sequence]))[0]


def refused(check, number: str, **options) -> bool:
    try:
        check(number, **options)
    except InvalidIdNumber:
        return True
    return False


def changed(number: str, position: int, alphabet: str) -> list[str]:
    return [number[:position] + c + number[position + 1:] for c in alphabet if c != number[position]]


# --- PRC resident ID

@given(regions, births, sequences)
def test_every_generated_prc_number_passes_with_its_birth_date_and_sex(region, born, sequence):
    number = prc_number(region, born, sequence)
    sex = "M" if sequence % 2 else "F"
    assert rules.validate_prc_id(number, birth_date=born, sex=sex) == number
    assert validate_id_number("prc_id", number, birth_date=born, sex=sex) == number
    assert rules.prc_id_check_digit(number[:17]) == number[17]


@given(regions, births, sequences, st.integers(min_value=0, max_value=17))
def test_any_single_changed_character_of_a_prc_number_fails(region, born, sequence, position):
    number = prc_number(region, born, sequence)
    for other in changed(number, position, DIGITS + "X"):
        assert refused(rules.validate_prc_id, other)


@given(regions, births, sequences)
def test_two_swapped_neighbouring_digits_of_a_prc_number_fail_unless_equal(region, born, sequence):
    number = prc_number(region, born, sequence)
    for i in range(16):
        swapped = number[:i] + number[i + 1] + number[i] + number[i + 2:]
        assert swapped == number or refused(rules.validate_prc_id, swapped)


def test_a_wrong_prc_check_character_says_which_it_should_be():
    with pytest.raises(InvalidIdNumber, match="should be X, not 3") as caught:
        rules.validate_prc_id("110105194912310023")
    assert caught.value.params == {"expected": "X", "given": "3"}


# --- Hong Kong identity card

hk_letters = st.sampled_from([chr(c) for c in range(65, 91)])


@given(hk_letters, st.integers(min_value=0, max_value=999_999))
def test_every_generated_hk_number_passes_and_agrees_with_the_scalar_rule(letter, serial):
    number = hk_id_numbers(np.array([ord(letter) - 55]), np.array([serial]))[0]
    assert number[:7] == f"{letter}{serial:06d}"
    assert rules.hk_id_check_digit(letter, number[1:7]) == number[7]
    assert validate_id_number("hk_id", number) == number
    assert rules.validate_hk_id(f"{number[:7]}({number[7]})") == number  # as the card prints it


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=2),
       st.text(alphabet=DIGITS, min_size=6, max_size=6))
def test_only_the_check_character_makes_an_hk_number_valid(letters, digits):
    expected = rules.hk_id_check_digit(letters, digits)
    valid = [c for c in DIGITS + "A" if not refused(rules.validate_hk_id, letters + digits + c)]
    assert valid == [expected]


@given(hk_letters, st.integers(min_value=0, max_value=999_999), st.integers(min_value=0, max_value=7))
def test_a_single_changed_hk_character_fails_unless_the_letters_values_differ_by_11(letter, serial, position):
    """MOD 11 over weights 2…9 catches every changed digit and check character; two letters whose values
    (A=10 … Z=35) differ by 11 or 22 (A, L, W) weigh the same: the scheme cannot tell them apart."""
    number = hk_id_numbers(np.array([ord(letter) - 55]), np.array([serial]))[0]
    if position == 0:
        for other in changed(number, 0, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
            same_weight = (ord(other[0]) - ord(letter)) % 11 == 0
            assert refused(rules.validate_hk_id, other) != same_weight
    else:
        for other in changed(number, position, DIGITS + ("A" if position == 7 else "")):
            assert refused(rules.validate_hk_id, other)


def test_known_hk_numbers():
    assert rules.validate_hk_id("A123456(3)") == "A1234563"
    assert rules.validate_hk_id(" a 123456 (3) ") == "A1234563"
    assert rules.validate_hk_id("XA000000(8)") == "XA0000008"  # X=33×9 + A=10×8 = 377; 377 + 8 = 385 = 35×11
    with pytest.raises(InvalidIdNumber, match="should be 3, not 4"):
        rules.validate_hk_id("A123456(4)")
    with pytest.raises(InvalidIdNumber, match="one or two letters"):
        rules.validate_hk_id("1234567")


# --- Taiwan national ID

tw_letters = st.sampled_from(sorted(rules.TW_LETTER_CODES))


@given(tw_letters, st.sampled_from("MF"), st.integers(min_value=0, max_value=9_999_999))
def test_every_generated_tw_number_passes_with_its_sex(letter, sex, serial):
    number = tw_id_numbers(np.array([letter]), np.array([1 if sex == "M" else 2]), np.array([serial]))[0]
    assert rules.tw_id_check_digit(number[:9]) == number[9]
    assert validate_id_number("tw_id", number, sex=sex) == number
    assert refused(rules.validate_tw_id, number, sex="F" if sex == "M" else "M")


@given(tw_letters, st.sampled_from("1289"), st.text(alphabet=DIGITS, min_size=7, max_size=7))
def test_only_the_check_digit_makes_a_tw_number_valid(letter, sex_digit, serial):
    first9 = letter + sex_digit + serial
    valid = [c for c in DIGITS if not refused(rules.validate_tw_id, first9 + c)]
    assert valid == [rules.tw_id_check_digit(first9)]


@given(tw_letters, st.sampled_from("12"), st.text(alphabet=DIGITS, min_size=7, max_size=7),
       st.integers(min_value=1, max_value=9))
def test_a_single_changed_tw_digit_fails_whenever_its_weight_tells(letter, sex_digit, serial, position):
    """MOD 10: a digit of weight 1, 3 or 7 (and the check digit) is always caught; one of an even weight or 5
    only when the change times the weight is no multiple of 10 (the scheme's blind spots)."""
    first9 = letter + sex_digit + serial
    number = first9 + rules.tw_id_check_digit(first9)
    weight = 1 if position == 9 else rules.TW_WEIGHTS[position - 1]
    for other in changed(number, position, DIGITS):
        blind = (int(other[position]) - int(number[position])) * weight % 10 == 0
        format_error = position == 1 and other[1] not in rules.TW_SEX_DIGITS
        assert refused(rules.validate_tw_id, other) == (format_error or not blind)
        if weight in (1, 3, 7, 9):
            assert refused(rules.validate_tw_id, other)


def test_known_tw_numbers():
    assert rules.validate_tw_id("a123456789", sex="M") == "A123456789"
    with pytest.raises(InvalidIdNumber, match="should be 9, not 8"):
        rules.validate_tw_id("A123456788")
    with pytest.raises(InvalidIdNumber, match="1 or 2"):
        rules.validate_tw_id("A323456789")
    with pytest.raises(InvalidIdNumber, match="a man's"):
        rules.validate_tw_id("A123456789", sex="F")


# --- Unified social credit code

USCC_NOT_ALLOWED = "IOSVZ"


@given(st.integers(min_value=110000, max_value=829999), st.integers(min_value=0, max_value=10**8 - 1))
def test_every_generated_uscc_passes(region, serial):
    code = uscc_codes(np.array([region]), np.array([serial]))[0]
    assert validate_id_number("uscc", code, organisation=True) == code
    assert rules.org_code_check(code[8:16]) == code[16]


@given(st.integers(min_value=110000, max_value=829999), st.integers(min_value=0, max_value=10**8 - 1),
       st.integers(min_value=0, max_value=17))
def test_any_single_changed_character_of_a_uscc_fails(region, serial, position):
    """MOD 31 (a prime) with weights 3^i mod 31 catches every single change; I, O, S, V, Z are never allowed."""
    code = uscc_codes(np.array([region]), np.array([serial]))[0]
    for other in changed(code, position, rules.USCC_CHARS + USCC_NOT_ALLOWED):
        assert refused(rules.validate_uscc, other)


def test_a_published_uscc_and_its_organisation_code():
    assert rules.validate_uscc("91350100M000100Y43") == "91350100M000100Y43"
    assert rules.org_code_check("M000100Y") == "4"
    with pytest.raises(InvalidIdNumber, match="should be 3, not 4"):
        rules.validate_uscc("91350100M000100Y44")


# --- the ID type decides the rule

@pytest.mark.parametrize(("id_type", "number", "organisation", "message"), [
    ("uscc", "91350100M000100Y43", False, "identifies an organisation"),
    ("prc_id", "11010519491231002X", True, "unified social credit code"),
    ("passport", "E1234", False, None),
    ("passport", "E12", False, "5 to 20 letters and digits"),
    ("driving_licence", "123456", False, "unknown ID type"),
])
def test_the_id_type_and_the_kind_of_customer_choose_the_rule(id_type, number, organisation, message):
    if message is None:
        assert validate_id_number(id_type, number, organisation=organisation) == number
    else:
        with pytest.raises(InvalidIdNumber, match=message):
            validate_id_number(id_type, number, organisation=organisation)
