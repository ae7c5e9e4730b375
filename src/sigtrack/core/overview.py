"""The dashboard's view of a window: its numbers, its equity curve, its breakdowns by coin
and by confidence, the open signals and the newest closes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sigtrack.core.breakdowns import Breakdown
from sigtrack.core.open_signals import OpenList
from sigtrack.core.performance import Performance
from sigtrack.core.records import SignalRecord

RECENT_CLOSES = 20  # the newest closes of the window a view lists


@dataclass(frozen=True, slots=True, kw_only=True)
class Overview:
    since: datetime  # the window [since, until) of signals created, aware
    until: datetime
    days: int | None  # the window was the last N days (None: a range given)
    performance: Performance  # signals created in the window
    equity: tuple[tuple[int, float], ...]  # (close time ms, cumulative PnL %), oldest first
    by_symbol: Breakdown
    by_confidence: Breakdown
    open: OpenList  # every open signal, whenever created (the count says how many)
    recent_closes: tuple[SignalRecord, ...]  # closed in the window, newest first
