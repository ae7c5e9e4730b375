"""Breakdowns counted by the store (SQL aggregates), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from factories import bot_signal
from sigtrack import Tracker

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 12:00 in Jakarta


def add(
    tracker: Tracker,
    *,
    at: datetime,
    result: str | None,
    pnl: float | None = None,
    **signal: object,
) -> None:
    signal_id = tracker.track(bot_signal(**signal), created_at=at, now=NOW)
    if result is not None:
        tracker.close(signal_id, result=result, pnl_pct=pnl, actor="t", now=NOW)


def keyed(tracker: Tracker, by: str) -> dict[str, tuple[int, int, int]]:
    rows = tracker.stats(by, days=7, now=NOW).rows
    return {row.key: (row.wins, row.losses, row.open) for row in rows}


def test_symbol_side_and_confidence_groups_are_counted_in_sql(tracker: Tracker) -> None:
    at = NOW - timedelta(hours=3)
    add(tracker, at=at, result="win", pnl=2.0, symbol="BTCUSDT", confidence=81)
    add(tracker, at=at, result="loss", pnl=-1.0, symbol="BTCUSDT", confidence=84.9)
    add(tracker, at=at, result=None, symbol="ETHUSDT", confidence=100)
    add(tracker, at=at, result="win", pnl=1.0, symbol="ETHUSDT", confidence=None)
    add(tracker, at=NOW - timedelta(days=30), result="loss", symbol="ETHUSDT")  # outside
    assert keyed(tracker, "symbol") == {"BTCUSDT": (1, 1, 0), "ETHUSDT": (1, 0, 1)}
    assert keyed(tracker, "confidence") == {
        "80–84": (1, 1, 0),
        "95–100": (0, 0, 1),
        "(none)": (1, 0, 0),
    }
    [btc, _] = tracker.stats("symbol", days=7, now=NOW).rows
    assert btc.avg_pnl_pct == 0.5


def test_a_signal_counts_once_per_tag_and_untagged_ones_apart(tracker: Tracker) -> None:
    at = NOW - timedelta(hours=3)
    add(tracker, at=at, result="win", reasons=["Near demand zone", "Strong momentum"])
    add(tracker, at=at, result="loss", reasons=["Near demand zone"])
    add(tracker, at=at, result="win", reasons=[])
    assert keyed(tracker, "tag") == {
        "demand_zone": (1, 1, 0),
        "momentum": (1, 0, 0),
        "(none)": (1, 0, 0),
    }


def test_hours_and_weekdays_are_those_of_the_display_zone(tracker: Tracker) -> None:
    add(tracker, at=datetime(2026, 11, 22, 17, 30, tzinfo=UTC), result="win")  # Mon 00:30 WIB
    add(tracker, at=datetime(2026, 11, 23, 1, 10, tzinfo=UTC), result="loss")  # Mon 08:10 WIB
    assert keyed(tracker, "hour") == {"00": (1, 0, 0), "08": (0, 1, 0)}
    assert keyed(tracker, "weekday") == {"Mon": (1, 1, 0)}


def test_breakdowns_add_up_to_the_winrate_totals(tracker: Tracker) -> None:
    for i in range(12):
        add(
            tracker,
            at=NOW - timedelta(hours=i * 7),
            result=("win", "loss", None)[i % 3],
            symbol=("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT")[i % 4],
            timeframe=("15m", "1h")[i % 2],
        )
    total = tracker.winrate(7, now=NOW)
    for by in ("symbol", "timeframe", "side", "strategy", "hour", "weekday", "confidence"):
        rows = tracker.stats(by, days=7, now=NOW).rows
        assert sum(r.wins for r in rows) == total.wins, by
        assert sum(r.losses for r in rows) == total.losses, by
        assert sum(r.open for r in rows) == total.open, by
