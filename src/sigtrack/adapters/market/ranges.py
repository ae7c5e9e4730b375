"""Half-open millisecond ranges [start, end) on the one-minute grid, and their arithmetic."""

from __future__ import annotations

from collections.abc import Iterable

from sigtrack.core.candles import MINUTE_MS

Range = tuple[int, int]


def floor_minute(time_ms: int) -> int:
    return time_ms - time_ms % MINUTE_MS


def ceil_minute(time_ms: int) -> int:
    return -(-time_ms // MINUTE_MS) * MINUTE_MS


def final_end_ms(now_ms: int) -> int:
    """End of the final candles at `now_ms`: the open time of the one still forming."""
    return floor_minute(now_ms)


def merge(ranges: Iterable[Range]) -> list[Range]:
    """Sorted, non-empty, non-touching ranges covering the same times."""
    merged: list[Range] = []
    for start, end in sorted(r for r in ranges if r[0] < r[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(whole: Range, covered: Iterable[Range]) -> list[Range]:
    """The parts of `whole` outside every covered range, in order."""
    start, end = whole
    missing: list[Range] = []
    for lo, hi in merge(covered):
        if hi <= start or lo >= end:
            continue
        if lo > start:
            missing.append((start, lo))
        start = max(start, hi)
    if start < end:
        missing.append((start, end))
    return missing
