"""Breakdowns (DESIGN §4): winrate, interval, PnL and expectancy per symbol, tag, hour …

The store counts each group in SQL (`ResultCounts` per key); this module turns the
counts into rows and ranks them honestly: "best" by the lower bound of the winrate
interval, "worst" by its upper bound, and only rows with at least `min_n` decided
signals take part, so three lucky signals never top a list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum

import numpy as np

from sigtrack.core.errors import InvalidInput
from sigtrack.core.performance import OutcomeColumns, result_counts
from sigtrack.core.stats import CountSummary, ResultCounts, summarize_counts

DEFAULT_MIN_N = 5
CONFIDENCE_BAND = 5  # 75–79, 80–84 … 95–100
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NONE = "(none)"  # the key of signals without a tag or a confidence
QUARTER_S = 15 * 60  # the store counts hour and weekday by UTC quarter hour of the week
WEEK_MINUTES = 7 * 24 * 60
_DAY_MINUTES = 24 * 60
_HOUR_MS = 3_600_000
_DAY_US = 86_400_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BreakdownKey(StrEnum):
    SYMBOL = "symbol"
    TIMEFRAME = "timeframe"
    SIDE = "side"
    TAG = "tag"
    STRATEGY = "strategy"
    CONFIDENCE = "confidence"
    HOUR = "hour"
    WEEKDAY = "weekday"

    @property
    def is_local_time(self) -> bool:
        """Counted by the store per UTC quarter hour of the week, over stretches of one
        offset of the display zone, then placed in that zone (`in_local_time`)."""
        return self in (BreakdownKey.HOUR, BreakdownKey.WEEKDAY)


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupSummary(CountSummary):
    """One row of a breakdown: the `CountSummary` of the group's counts, and its key."""

    key: str
    is_too_few: bool  # fewer than min_n decided signals: shown, never ranked

    @property
    def n(self) -> int:
        """Closed signals (cancelled ones excepted)."""
        return self.total


@dataclass(frozen=True, slots=True, kw_only=True)
class Breakdown:
    by: BreakdownKey
    min_n: int
    rows: tuple[GroupSummary, ...]  # in the key's natural order
    best: tuple[GroupSummary, ...]  # by the interval's lower bound, highest first
    worst: tuple[GroupSummary, ...]  # by the interval's upper bound, lowest first


def parse_breakdown_key(value: object) -> BreakdownKey:
    try:
        return BreakdownKey(str(value).strip().lower())
    except ValueError:
        known = ", ".join(key.value for key in BreakdownKey)
        raise InvalidInput("by", f"must be one of {known} (got {value!r})") from None


def summarize_group(key: str, counts: ResultCounts, *, min_n: int) -> GroupSummary:
    summary = summarize_counts(counts)
    return GroupSummary(key=key, is_too_few=summary.decided < min_n, **summary.fields())


def breakdown(
    groups: Mapping[str, ResultCounts], by: BreakdownKey, *, min_n: int = DEFAULT_MIN_N
) -> Breakdown:
    """Rows from the counts of each key (as the store returns them, local time applied)."""
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
        raise InvalidInput("min_n", f"must be a whole number >= 1 (got {min_n!r})")
    rows = [
        summarize_group(key, groups[key], min_n=min_n) for key in sorted(groups, key=_order(by))
    ]
    ranked = [row for row in rows if not row.is_too_few and row.interval is not None]
    best = sorted(ranked, key=lambda row: -row.interval[0])  # type: ignore[index]
    worst = sorted(ranked, key=lambda row: row.interval[1])  # type: ignore[index]
    return Breakdown(by=by, min_n=min_n, rows=tuple(rows), best=tuple(best), worst=tuple(worst))


def confidence_band(low: int | None) -> str:
    """The label of the band starting at `low` (None: signals without a confidence)."""
    if low is None:
        return NONE
    top = 100 - CONFIDENCE_BAND
    low = min(low, top)
    return f"{low:02d}–{100 if low == top else low + CONFIDENCE_BAND - 1:02d}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ZoneStretch:
    """A part [since, until) of a window over which the display zone keeps one offset."""

    since: datetime
    until: datetime
    offset_s: int  # local time − UTC

    @property
    def is_whole_quarters(self) -> bool:
        """Whether each UTC quarter hour falls wholly into one local hour and weekday."""
        return self.offset_s % QUARTER_S == 0


def zone_stretches(zone: tzinfo, since: datetime, until: datetime) -> tuple[ZoneStretch, ...]:
    """[since, until) cut where the zone's UTC offset changes, in order.

    The offset is read at both ends and at every UTC midnight between, and a change
    between two readings is found to the microsecond by bisection. That finds every
    change: no zone of the tz database changes its offset twice within two days (checked
    for all its zones over their whole history, tzdata 2025).
    """
    if until <= since:
        raise InvalidInput("until", f"must be after since ({since}) (got {until})")
    start, last = _micros(since), _micros(until) - 1
    midnights = range(start - start % _DAY_US + _DAY_US, last, _DAY_US)
    stretches: list[ZoneStretch] = []
    begun, offset, previous = since, _offset_s(zone, start), start
    for at in (*midnights, last):
        if _offset_s(zone, at) != offset:
            low, high = previous, at  # the old offset at low, a new one at high
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if _offset_s(zone, middle) == offset else (low, middle)
            stretches.append(ZoneStretch(since=begun, until=_moment(high), offset_s=offset))
            begun, offset = _moment(high), _offset_s(zone, high)
        previous = at
    stretches.append(ZoneStretch(since=begun, until=until, offset_s=offset))
    return tuple(stretches)


def in_local_time(
    buckets: Mapping[int, ResultCounts], by: BreakdownKey, offset_s: int
) -> dict[str, ResultCounts]:
    """Counts per UTC quarter hour of the week (keyed by the minute of the week it starts
    at, Monday 00:00 UTC = 0) over a stretch of one offset → counts per hour of day or
    weekday in the display zone. Exact when the offset is whole quarter hours, as every
    zone's has been since 1972 (Monrovia's −00:44:30 was the last that was not)."""
    if offset_s % QUARTER_S:
        raise InvalidInput("offset_s", f"must be a multiple of {QUARTER_S} s (got {offset_s})")
    shift = offset_s // 60
    merged: dict[str, ResultCounts] = {}
    for minute, counts in buckets.items():
        local = (minute + shift) % WEEK_MINUTES
        code = local // 60 % 24 if by is BreakdownKey.HOUR else local // _DAY_MINUTES
        _add(merged, _local_key(by, code), counts)
    return merged


def rows_in_local_time(
    columns: OutcomeColumns, by: BreakdownKey, offset_s: int
) -> dict[str, ResultCounts]:
    """The signals of a stretch of one offset, each placed by its own creation time: for
    an offset that is not whole quarter hours (local mean time before 1972, or a fixed
    offset such as +00:20)."""
    local_ms = columns.created_ms + offset_s * 1000
    if by is BreakdownKey.HOUR:
        codes = local_ms // _HOUR_MS % 24
    else:  # 1970-01-01, day 0, was a Thursday
        codes = (local_ms // (24 * _HOUR_MS) + 3) % 7
    return {
        _local_key(by, int(code)): result_counts(columns, codes == code)
        for code in np.unique(codes)
    }


def added(parts: Iterable[Mapping[str, ResultCounts]]) -> dict[str, ResultCounts]:
    """The counts of several parts of a window, added up per key."""
    merged: dict[str, ResultCounts] = {}
    for part in parts:
        for key, counts in part.items():
            _add(merged, key, counts)
    return merged


def _add(merged: dict[str, ResultCounts], key: str, counts: ResultCounts) -> None:
    total = merged.get(key)
    merged[key] = counts if total is None else total + counts


def _local_key(by: BreakdownKey, code: int) -> str:
    """An hour of day (0–23) or a weekday (0 = Monday) as the breakdown's key."""
    return f"{code:02d}" if by is BreakdownKey.HOUR else WEEKDAYS[code]


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _moment(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _offset_s(zone: tzinfo, micros: int) -> int:
    offset = _moment(micros).astimezone(zone).utcoffset()
    if offset is None or offset % timedelta(seconds=1):
        raise InvalidInput("zone", f"must give an offset of whole seconds (got {offset!r})")
    return offset // timedelta(seconds=1)


def _order(by: BreakdownKey) -> Callable[[str], tuple[bool, int, str]]:
    if by is BreakdownKey.WEEKDAY:
        return lambda key: (False, WEEKDAYS.index(key), key)
    return lambda key: (key == NONE, 0, key)
