"""Chunk planning as properties: the batch runner's id ranges (core.jobs) and the generator's customer chunks."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecrm.core.generator.steps import plan_chunks as plan_book_chunks
from lifecrm.core.jobs import _cut, plan_chunks

ascending_ids = st.lists(st.integers(min_value=-(2**40), max_value=2**40), unique=True, max_size=300).map(sorted)
chunk_sizes = st.integers(min_value=1, max_value=60)


def ids_in(ranges: list[tuple[int, int]], ids: list[int]) -> list[list[int]]:
    return [[i for i in ids if first <= i <= last] for first, last in ranges]


@given(ascending_ids, chunk_sizes)
def test_ranges_cover_every_id_once_in_order_with_bounded_sizes(ids, size):
    ranges = plan_chunks(ids, size)
    members = ids_in(ranges, ids)
    assert [i for chunk in members for i in chunk] == ids  # every id once, in order: the ranges never overlap
    assert all(first <= last for first, last in ranges)
    assert all(a[1] < b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert all(chunk and chunk[0] == first and chunk[-1] == last
               for chunk, (first, last) in zip(members, ranges, strict=True))  # a range starts and ends on an id
    assert all(len(chunk) == size for chunk in members[:-1]) and all(1 <= len(c) <= size for c in members)
    assert len(ranges) == -(-len(ids) // size)


@given(ascending_ids, chunk_sizes)
def test_kept_ids_are_exactly_each_ranges_ids(ids, size):
    kept = _cut(iter(ids), size, keep=True)  # a generator of ids, as a queryset iterator gives them
    assert [(first, last) for first, last, _ in kept] == plan_chunks(ids, size)
    assert [chunk for _, _, chunk in kept] == ids_in(plan_chunks(ids, size), ids)
    assert all(chunk is None for _, _, chunk in _cut(ids, size, keep=False))


@given(st.lists(st.integers(min_value=0, max_value=50), min_size=2, max_size=40), chunk_sizes)
def test_ids_out_of_order_are_refused(ids, size):
    if all(a < b for a, b in zip(ids, ids[1:], strict=False)):
        assert plan_chunks(ids, size)
    else:
        with pytest.raises(ValueError, match="strictly ascending"):
            plan_chunks(ids, size)


@given(ascending_ids, st.integers(max_value=0))
def test_a_chunk_size_below_one_is_refused(ids, size):
    with pytest.raises(ValueError, match="at least 1"):
        plan_chunks(ids, size)


# (size, customers): at most a thousand chunks
book_sizes = st.integers(min_value=1, max_value=10**6).flatmap(
    lambda size: st.tuples(st.just(size), st.integers(min_value=1, max_value=size * 1000)))


@given(book_sizes)
def test_the_generators_chunks_cut_the_book_into_consecutive_bounded_pieces(size_and_customers):
    size, customers = size_and_customers
    chunks = plan_book_chunks(customers, size)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert chunks[0].first == 0 and chunks[-1].first + chunks[-1].size == customers
    assert all(b.first == a.first + a.size for a, b in zip(chunks, chunks[1:], strict=False))
    assert all(c.size == size for c in chunks[:-1]) and 1 <= chunks[-1].size <= size
