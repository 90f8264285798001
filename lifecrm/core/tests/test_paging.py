"""lifecrm.core.paging: a page of a long list, from a link's page number and the true total."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecrm.core.paging import Window, page_number


def test_the_first_page_of_an_employer_with_1004_employees():
    window = Window.of(None, size=20, total=1004)
    assert (window.number, window.offset, window.end, window.pages) == (1, 0, 20, 51)
    assert (window.first_shown, window.last_shown, window.has_previous, window.has_next) == (1, 20, False, True)
    assert window.is_partial


def test_the_last_page_shows_the_rest():
    window = Window.of("51", size=20, total=1004)
    assert (window.offset, window.end, window.first_shown, window.last_shown) == (1000, 1004, 1001, 1004)
    assert (window.has_next, window.previous_number) == (False, 50)


@pytest.mark.parametrize("requested", ["", "0", "-3", "abc", "²", "1.5", "1e3", "9" * 10, None, 0, True])
def test_a_bad_page_number_is_the_first_page(requested):
    assert page_number(requested) == 1


def test_a_page_past_the_end_is_the_last_page_and_an_empty_list_has_one_empty_page():
    assert Window.of("99", size=20, total=45).number == 3
    empty = Window.of("7", size=20, total=0)
    assert (empty.number, empty.pages, empty.first_shown, empty.last_shown, empty.is_partial) == (1, 1, 0, 0, False)


def test_a_page_holds_at_least_one_row():
    with pytest.raises(ValueError, match="at least one row"):
        Window.of("1", size=0, total=5)
    with pytest.raises(ValueError, match="cannot have -1 rows"):
        Window.of("1", size=5, total=-1)


@given(total=st.integers(0, 5000), size=st.integers(1, 100))
def test_the_pages_cover_every_row_once_in_order(total, size):
    first = Window.of(1, size=size, total=total)
    shown = []
    for number in range(1, first.pages + 1):
        window = Window.of(number, size=size, total=total)
        assert window.number == number
        assert window.end - window.offset <= size
        shown.extend(range(window.offset, window.end))
        assert window.has_next == (number < first.pages)
    assert shown == list(range(total))
