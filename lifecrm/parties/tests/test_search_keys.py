"""lifecrm.parties.search_keys: one script for names and addresses, every written form of a phone number."""
from __future__ import annotations

import numpy as np
import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecrm.parties.search_keys import (
    _NOT_TABLED,
    _fold_codes,
    may_be_identity_number,
    phone_forms,
    search_form,
    search_forms,
)


class TestOneScript:
    @pytest.mark.parametrize(("traditional", "simplified"), [
        ("張", "张"), ("陳", "陈"), ("劉德華", "刘德华"), ("黃", "黄"), ("鍾", "钟"), ("蕭", "萧"),
        ("北京市東城區東華門街道 18 號", "北京市东城区东华门街道18号"),
        ("彌敦道", "弥敦道"), ("臺北市", "台北市"),
        ("荃灣線", "荃湾线"), ("荃灣綫", "荃湾线"),  # the Hong Kong variant 綫 too
        ("裡仁路", "里仁路"),  # and the Taiwan variant 裡
    ])
    def test_traditional_and_simplified_have_one_form(self, traditional, simplified):
        assert search_form(traditional) == search_form(simplified) == simplified.replace(" ", "")

    def test_full_width_letters_and_digits_case_and_spaces(self):
        assert search_form(" Ｆｌａｔ  ５Ａ，１２３ Nathan Road ") == "flat5a,123nathanroad"

    def test_characters_fold_alone_as_inside_a_word(self):
        # OpenCC's phrase table keeps 乾 in 乾隆 but makes 乾 alone 干: a search for a part must match the whole.
        assert search_form("乾隆路") == search_form("乾") + search_form("隆路")

    def test_the_library_converts_both_ways(self):
        """The data is OpenCC's: its own Simplified → Traditional conversion folds back to the same form."""
        to_traditional = opencc.OpenCC("s2t")
        for simplified in ("张伟", "陈静", "东华门街道", "广州市天河区"):
            assert search_form(to_traditional.convert(simplified)) == simplified

    @given(st.text(alphabet=st.sampled_from("張张陳陈臺台綫线乾隆發发 abcXYZ019，"), max_size=12),
           st.text(alphabet=st.sampled_from("張张陳陈臺台綫线乾隆發发 abcXYZ019，"), max_size=12))
    def test_the_form_of_a_text_is_the_forms_of_its_parts(self, left, right):
        """What a prefix or a part of a text folds to is a prefix or part of the text's form."""
        assert search_form(left + right) == search_form(left) + search_form(right)

    @given(st.text(max_size=20))
    def test_folding_twice_changes_nothing(self, text):
        assert search_form(search_form(text)) == search_form(text)


class TestInBulk:
    def test_the_table_agrees_with_the_function_for_every_character_it_holds(self):
        table = _fold_codes()
        for code in np.nonzero(table != _NOT_TABLED)[0].tolist()[1:]:
            assert search_form(chr(code)) == chr(table[code]), hex(code)

    def test_generated_names_and_addresses(self):
        texts = np.array(["北京市東城區東華門街道18號翠苑3棟", "張偉", "", "香港島灣仔區軒尼詩道12號8樓A室",
                          "Flat A", "e\u0301", "𠀀臺", "ＡＢＣ"], dtype=object)
        assert search_forms(texts).tolist() == [search_form(t) for t in texts]

    @settings(max_examples=200)
    @given(st.lists(st.text(max_size=15), max_size=8))
    def test_any_texts(self, texts):
        values = np.array(texts, dtype=object)
        assert search_forms(values).tolist() == [search_form(t) for t in texts]


class TestPhoneForms:
    @pytest.mark.parametrize(("typed", "stored"), [
        ("+852 9123-4567", "91234567"),
        ("+852 9123 4567", "+85291234567"),
        ("00852 9123 4567", "91234567"),
        ("+886 912 345 678", "0912345678"),
        ("0912-345-678", "0912345678"),
        ("0912-345-678", "+886912345678"),
        ("+86 138 0013 8000", "13800138000"),
        ("138-0013-8000", "+8613800138000"),
        ("+86 10 6234 5678", "01062345678"),
        ("(010) 6234-5678", "+861062345678"),
        ("9123 4567", "+85291234567"),
        ("+886 2 2345 6789", "0223456789"),
    ])
    def test_a_number_is_found_however_it_was_written(self, typed, stored):
        assert stored in phone_forms(typed)

    @pytest.mark.parametrize(("typed", "not_stored"), [
        ("+852 9123 4567", "+8691234567"),  # a Hong Kong number is no mainland number
        ("+86 138 0013 8000", "013800138000"),  # mainland mobiles take no trunk prefix
        ("13800138000", "+85213800138000"),  # eleven digits are no Hong Kong number
    ])
    def test_no_form_of_another_jurisdiction(self, typed, not_stored):
        assert not_stored not in phone_forms(typed)


@pytest.mark.parametrize(("text", "identity"), [
    ("110101199003074477", True), ("11010519491231002X", True), ("A1234563", True), ("A123456(3)", True),
    ("A123456789", True), ("E12345678", True), ("123456789", True), ("91350100M000100Y43", True),
    ("C000001234", False), ("P0000000012", False), ("zhao1234", False),
])
def test_identity_number_shapes(text, identity):
    """A text shaped like an identity number is never sent in plain text as a customer number."""
    assert may_be_identity_number(text) is identity
