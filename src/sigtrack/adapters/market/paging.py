"""Reading a minute range page by page from an exchange, re-reading holes once.

A page that comes back with a minute missing before later candles either lost it on the
way (a re-read has it) or the exchange skipped it (a re-read returns the same): the
missing part is read once more and whatever is still missing is a confirmed gap. A page
shorter than asked does not end the reading: it goes on from its last candle until the
end of the range or until the exchange returns nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sigtrack.core.candles import MINUTE_MS

Row = tuple[float, float, float, float, float]  # open, high, low, close, volume
Page = dict[int, Row]  # open time (ms) → prices and volume

# since_ms, until_ms (inclusive): the rows the exchange answers, in any order
FetchPage = Callable[[int, int], Sequence[tuple[int, Row]]]


def read_minutes(fetch_page: FetchPage, start_ms: int, end_ms: int) -> Page:
    """Every candle the exchange has with start_ms <= open time < end_ms (grid-aligned)."""
    rows: Page = {}
    cursor = start_ms
    while cursor < end_ms:
        page = _within(fetch_page(cursor, end_ms - 1), cursor, end_ms)
        if not page:
            break
        last = max(page)
        hole = _first_hole(cursor, page)
        rows.update(page)
        if hole is not None:
            rows.update(_reread(fetch_page, hole, last))
        cursor = last + MINUTE_MS
    return rows


def _reread(fetch_page: FetchPage, start_ms: int, last_ms: int) -> Page:
    """start_ms..last_ms once more, paging on short answers; holes now stay holes."""
    rows: Page = {}
    cursor = start_ms
    while cursor <= last_ms:
        page = _within(fetch_page(cursor, last_ms), cursor, last_ms + MINUTE_MS)
        if not page:
            break
        rows.update(page)
        cursor = max(page) + MINUTE_MS
    return rows


def _within(answer: Sequence[tuple[int, Row]], start_ms: int, end_ms: int) -> Page:
    """The answered rows inside [start_ms, end_ms): an exchange may send more than asked."""
    return {open_ms: row for open_ms, row in answer if start_ms <= open_ms < end_ms}


def _first_hole(start_ms: int, page: Page) -> int | None:
    """The first minute from start_ms on that the page lacks though later minutes are there."""
    expected = start_ms
    for open_ms in sorted(page):
        if open_ms > expected:
            return expected
        expected = open_ms + MINUTE_MS
    return None
