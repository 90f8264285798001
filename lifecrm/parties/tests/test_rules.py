"""lifecrm.parties.rules: PRC ID check characters, birth date and sex inside the number, phone and name keys."""
from __future__ import annotations

from datetime import date

import pytest

from lifecrm.parties.rules import (
    InvalidIdNumber,
    normalise_phone,
    prc_id_check_digit,
    romanised_search_key,
    validate_prc_id,
)

# Published examples: GB 11643-1999's own (X check character) and two computed by hand.
VALID = [
    ("11010519491231002X", date(1949, 12, 31), "F"),
    ("110101199003074477", date(1990, 3, 7), "M"),
    ("440524188001010014", date(1880, 1, 1), "M"),
]


class TestCheckDigit:
    @pytest.mark.parametrize(("number", "born", "sex"), VALID)
    def test_known_valid_numbers(self, number, born, sex):
        assert prc_id_check_digit(number[:17]) == number[17]
        assert validate_prc_id(number, birth_date=born, sex=sex) == number

    def test_lower_case_x_and_spaces_are_normalised(self):
        assert validate_prc_id(" 11010519491231002x ") == "11010519491231002X"

    @pytest.mark.parametrize("last", [c for c in "0123456789X" if c != "X"])
    def test_every_wrong_check_character_is_refused(self, last):
        with pytest.raises(InvalidIdNumber, match="check character"):
            validate_prc_id("11010519491231002" + last)

    @pytest.mark.parametrize(
        "number",
        ["1101051949123100X", "1101051949123100222", "11010519491231002Y", "X10105194912310021", "", "abc"],
    )
    def test_malformed_numbers(self, number):
        with pytest.raises(InvalidIdNumber, match="17 digits"):
            validate_prc_id(number)

    def test_first17_must_be_17_ascii_digits(self):
        for bad in ("1101051949123100", "11010519491231002X", "1101051949123100²"):
            with pytest.raises(InvalidIdNumber):
                prc_id_check_digit(bad)

    def test_full_width_digits_are_read_as_ascii(self):
        """A Chinese input method types ０–９ and Ｘ: the number is the same person's, stored in ASCII."""
        full_width = "１１０１０５１９４９１２３１００２Ｘ"
        assert validate_prc_id(full_width) == "11010519491231002X"

    def test_other_scripts_digits_are_refused(self):
        arabic_indic = "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X"
        with pytest.raises(InvalidIdNumber):
            validate_prc_id(arabic_indic)


class TestConsistency:
    def test_impossible_birth_date_inside_the_number(self):
        first17 = "11010519490230002"  # 30 February
        with pytest.raises(InvalidIdNumber, match="not a date"):
            validate_prc_id(first17 + prc_id_check_digit(first17))

    def test_birth_date_mismatch(self):
        with pytest.raises(InvalidIdNumber, match="birth date"):
            validate_prc_id("11010519491231002X", birth_date=date(1949, 12, 30))

    def test_sex_mismatch(self):
        # the 17th digit is 2: even, a woman
        with pytest.raises(InvalidIdNumber, match="sex"):
            validate_prc_id("11010519491231002X", sex="M")
        with pytest.raises(InvalidIdNumber, match="sex"):
            validate_prc_id("110101199003074477", sex="F")

    def test_without_birth_date_and_sex_only_the_number_is_checked(self):
        assert validate_prc_id("110101199003074477") == "110101199003074477"


class TestKeys:
    @pytest.mark.parametrize(
        ("raw", "key"),
        [
            ("138 0013 8000", "13800138000"),
            ("138-0013-8000", "13800138000"),
            ("+86 138 0013 8000", "+8613800138000"),
            ("(852) 9123 4567", "85291234567"),
            ("１３８００１３８０００", "13800138000"),  # full width, from a Chinese input method
        ],
    )
    def test_normalise_phone(self, raw, key):
        assert normalise_phone(raw) == key

    def test_romanised_search_key(self):
        assert romanised_search_key("Zhang Wei") == "zhangwei"
        assert romanised_search_key("O'Neil-Chan") == "oneilchan"
        assert romanised_search_key("Ｚｈａｎｇ Ｗｅｉ") == "zhangwei"
