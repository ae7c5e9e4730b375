"""Minute ranges: what the cache subtracts and merges to know what to fetch."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from sigtrack.adapters.market.ranges import ceil_minute, final_end_ms, merge, subtract

M = 60_000
ranges = st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), max_size=8)


def minutes(parts: list[tuple[int, int]]) -> set[int]:
    return {m for start, end in parts for m in range(start, end)}


@given(ranges, st.integers(0, 50), st.integers(0, 50))
def test_missing_and_covered_parts_make_up_the_whole_without_overlap(
    covered: list[tuple[int, int]], start: int, end: int
) -> None:
    missing = subtract((start, end), covered)

    assert minutes(missing) == set(range(start, end)) - minutes(covered)
    assert missing == merge(missing)  # sorted, disjoint, non-empty pieces


@given(ranges)
def test_merge_keeps_the_same_minutes_in_sorted_separate_pieces(
    parts: list[tuple[int, int]],
) -> None:
    merged = merge(parts)

    assert minutes(merged) == minutes(parts)
    assert all(a[1] < b[0] for a, b in pairwise(merged))
    assert all(start < end for start, end in merged)


def test_the_last_final_minute_ends_where_the_forming_one_opens() -> None:
    assert final_end_ms(10 * M) == 10 * M  # at 00:10:00.000 the 00:09 candle just closed
    assert final_end_ms(10 * M + 59_999) == 10 * M
    assert ceil_minute(10 * M + 1) == 11 * M
    assert ceil_minute(10 * M) == 10 * M
