"""Breakdowns (DESIGN §4): winrate, interval, PnL and expectancy per symbol, tag, hour …

The store counts each group in SQL (`ResultCounts` per key); this module turns the
counts into rows and ranks them honestly: "best" by the lower bound of the winrate
interval, "worst" by its upper bound, and only rows with at least `min_n` decided
signals take part, so three lucky signals never top a list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum

from sigtrack.core.errors import InvalidInput
from sigtrack.core.stats import CountSummary, ResultCounts, summarize_counts

DEFAULT_MIN_N = 5
CONFIDENCE_BAND = 5  # 75–79, 80–84 … 95–100
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NONE = "(none)"  # the key of signals without a tag or a confidence


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
        """Counted by the hour in UTC by the store, then placed in the display zone."""
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


def in_local_time(
    buckets: Mapping[datetime, ResultCounts], by: BreakdownKey, zone: tzinfo
) -> dict[str, ResultCounts]:
    """Counts per UTC hour → counts per hour of day or weekday in the display zone.

    The zone's offset is looked up once per distinct hour (a year has 8,760), so
    daylight-saving changes land each signal in its own local hour.
    """
    merged: dict[str, ResultCounts] = {}
    for hour_utc, counts in buckets.items():
        local = (hour_utc if hour_utc.tzinfo else hour_utc.replace(tzinfo=UTC)).astimezone(zone)
        key = f"{local.hour:02d}" if by is BreakdownKey.HOUR else WEEKDAYS[local.weekday()]
        total = merged.get(key)
        merged[key] = counts if total is None else total + counts
    return merged


def _order(by: BreakdownKey) -> Callable[[str], tuple[bool, int, str]]:
    if by is BreakdownKey.WEEKDAY:
        return lambda key: (False, WEEKDAYS.index(key), key)
    return lambda key: (key == NONE, 0, key)
