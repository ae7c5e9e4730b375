"""Breakdowns over a window of signals: the store counts, the core ranks."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, tzinfo

import numpy as np

from sigtrack.core.batch_resolution import CandleIndex
from sigtrack.core.breakdowns import (
    DEFAULT_MIN_N,
    Breakdown,
    BreakdownKey,
    added,
    breakdown,
    in_local_time,
    rows_in_local_time,
    zone_stretches,
)
from sigtrack.core.candles import Timeframe
from sigtrack.core.errors import InvalidInput, MarketDataError
from sigtrack.core.filters import SignalFilter
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.stats import ResultCounts
from sigtrack.core.whatif import DEFAULT_MIN_N as WHATIF_MIN_N
from sigtrack.core.whatif import DEFAULT_STOPS, DEFAULT_TARGETS, Progress, Unit, WhatIf, what_if
from sigtrack.services.ports import CandleSource, SignalStore

logger = logging.getLogger(__name__)


def breakdown_for(
    store: SignalStore,
    by: BreakdownKey,
    *,
    since: datetime,
    until: datetime,
    zone: tzinfo,
    min_n: int = DEFAULT_MIN_N,
) -> Breakdown:
    """The breakdown of the signals created in [since, until) by `by`."""
    if until <= since:
        raise InvalidInput(
            "until", f"must be after since ({since.isoformat()}) (got {until.isoformat()})"
        )
    if by.is_local_time:
        groups = local_time_counts(store, by, since=since, until=until, zone=zone)
    else:
        groups = store.grouped_counts(by, since, until)
    return breakdown(groups, by, min_n=min_n)


def local_time_counts(
    store: SignalStore, by: BreakdownKey, *, since: datetime, until: datetime, zone: tzinfo
) -> dict[str, ResultCounts]:
    """Counts per hour of day or weekday in `zone` of the signals created in [since, until).

    The store counts each stretch of one UTC offset per UTC quarter hour of the week, and
    the core places the quarters; a stretch whose offset is not whole quarter hours (local
    mean time before 1972, an odd fixed offset) is placed signal by signal instead.
    """
    parts = []
    for stretch in zone_stretches(zone, since, until):
        if stretch.is_whole_quarters:
            quarters = store.grouped_counts(by, stretch.since, stretch.until)
            parts.append(in_local_time(quarters, by, stretch.offset_s))
        else:
            rows = store.load_outcomes(SignalFilter(since=stretch.since, until=stretch.until))
            parts.append(rows_in_local_time(rows, by, stretch.offset_s))
    return added(parts)


def run_whatif(
    store: SignalStore,
    source: CandleSource,
    policy: ResolutionPolicy,
    chosen: SignalFilter,
    *,
    targets: Sequence[float] = DEFAULT_TARGETS,
    stops: Sequence[float] = DEFAULT_STOPS,
    unit: Unit = Unit.R,
    min_n: int = WHATIF_MIN_N,
    progress: Progress | None = None,
) -> WhatIf:
    """The TP/SL grid over the recorded signals matching `chosen`, on `source`'s candles.

    A symbol whose candles cannot be read is left out (its signals are not counted).
    """
    frame = store.load_frame(chosen)
    candles: dict[str, CandleIndex] = {}
    lives = {tf: policy.life_ms(Timeframe(tf)) for tf in set(frame.timeframe.tolist())}
    ends = frame.outcomes.created_ms + np.array([lives[tf] for tf in frame.timeframe.tolist()])
    for symbol in sorted(set(frame.symbol.tolist())):
        mine = frame.symbol == symbol
        start, end = int(frame.outcomes.created_ms[mine].min()), int(ends[mine].max())
        try:
            series = source.candles(symbol, start, end)
        except MarketDataError as exc:
            logger.warning("what-if: %s left out: %s", symbol, exc)
            continue
        if len(series):
            candles[symbol] = CandleIndex(series)
    return what_if(frame, candles, policy, targets=targets, stops=stops, unit=unit,
                   min_n=min_n, progress=progress)  # fmt: skip
