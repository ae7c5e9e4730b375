"""The dashboard's window (core/overview.py) from the store: the same breakdowns, summary
and equity curve as `sigtrack stats` and the weekly report, over any window."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sigtrack.core.breakdowns import DEFAULT_MIN_N, BreakdownKey
from sigtrack.core.filters import SignalFilter
from sigtrack.core.open_signals import OpenList
from sigtrack.core.overview import RECENT_CLOSES, Overview
from sigtrack.core.performance import equity_curve, summarize
from sigtrack.services.ports import SignalStore
from sigtrack.services.statistics import breakdown_for


def build_overview(
    store: SignalStore,
    *,
    since: datetime,
    until: datetime,
    days: int | None,
    zone: tzinfo,
    open_signals: OpenList,
    min_n: int = DEFAULT_MIN_N,
) -> Overview:
    columns = store.load_outcomes(SignalFilter(since=since, until=until))
    times, equity = equity_curve(columns)
    return Overview(
        since=since,
        until=until,
        days=days,
        performance=summarize(columns),
        equity=tuple(zip(times, equity, strict=True)),
        by_symbol=breakdown_for(store, BreakdownKey.SYMBOL, since=since, until=until,
                                zone=zone, min_n=min_n),
        by_confidence=breakdown_for(store, BreakdownKey.CONFIDENCE, since=since, until=until,
                                    zone=zone, min_n=min_n),
        open=open_signals,
        recent_closes=tuple(store.recent_closes(since=since, until=until, limit=RECENT_CLOSES)),
    )  # fmt: skip
