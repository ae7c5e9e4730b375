"""Where each open signal stands: its age, the last price the monitor read, and how far
that price is from the next target and from the stop (what `/open` shows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sigtrack.core.records import SignalRecord
from sigtrack.core.signals import Side


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenSignalView:
    record: SignalRecord
    age: timedelta
    price: float | None  # close of the last candle a settling pass read; None: none yet
    next_target: int  # 1-based number of the first target not reached yet
    target_price: float
    stop: float  # the live stop (at entry once TP1 moved it, by the default policy)
    to_target_pct: float | None  # the move still needed to reach it, % of the price
    to_stop_pct: float | None  # the room left before the stop, % of the price (< 0: through)


def open_view(record: SignalRecord, now: datetime) -> OpenSignalView:
    """The view of an open signal at `now` from its stored progress (no market read)."""
    signal, outcome = record.signal, record.outcome
    progress = outcome.progress if outcome is not None else None
    reached = progress.legs_done if progress is not None else 0
    number = min(reached, len(signal.targets) - 1)
    target = signal.targets[number]
    stop = progress.stop if progress is not None else signal.stop
    price = progress.last_close if progress is not None else None
    sign = 1.0 if signal.side is Side.LONG else -1.0
    to_target = to_stop = None
    if price is not None and price > 0:
        to_target = sign * (target - price) / price * 100
        to_stop = sign * (price - stop) / price * 100
    return OpenSignalView(
        record=record,
        age=now - signal.created_at,
        price=price,
        next_target=number + 1,
        target_price=target,
        stop=stop,
        to_target_pct=to_target,
        to_stop_pct=to_stop,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenList:
    views: tuple[OpenSignalView, ...]  # oldest first, at most the limit asked for
    total: int  # every open signal
