"""Window counts kept between reads: right after a write by this process or another, for a
later `until`, never for an earlier one, and not past a signal created ahead of the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from factories import bot_signal, settings_for
from sigtrack import Tracker

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def counted(tracker: Tracker, now: datetime) -> tuple[int, int, int]:
    s = tracker.winrate(7, now=now)
    return s.total, s.wins, s.open


def test_a_write_from_another_process_is_counted_at_once(tracker: Tracker, db_url: str) -> None:
    first = tracker.track(bot_signal(), created_at=NOW - timedelta(hours=5), now=NOW)
    assert counted(tracker, NOW) == (0, 0, 1)
    assert counted(tracker, NOW + timedelta(seconds=1)) == (0, 0, 1)  # kept, and still right
    with Tracker.open(settings=settings_for(db_url)) as other:  # another engine, another pool
        other.close(first, result="win", pnl_pct=1.0, actor="t", now=NOW)
        other.track(bot_signal(symbol="ETHUSDT"), created_at=NOW - timedelta(hours=1), now=NOW)
    assert counted(tracker, NOW + timedelta(seconds=2)) == (1, 1, 1)


def test_an_earlier_end_of_the_window_is_counted_again(tracker: Tracker) -> None:
    tracker.track(bot_signal(), created_at=NOW - timedelta(hours=5), now=NOW)
    tracker.track(bot_signal(symbol="ETHUSDT"), created_at=NOW - timedelta(hours=1), now=NOW)
    assert counted(tracker, NOW) == (0, 0, 2)
    assert counted(tracker, NOW - timedelta(hours=2)) == (0, 0, 1)


def test_a_signal_created_ahead_of_the_clock_is_counted_once_its_time_comes(
    tracker: Tracker,
) -> None:
    ahead = NOW + timedelta(seconds=30)  # another machine's clock, a little ahead
    tracker.track(bot_signal(), created_at=ahead, now=ahead)
    assert counted(tracker, NOW) == (0, 0, 0)
    assert counted(tracker, NOW + timedelta(seconds=10)) == (0, 0, 0)
    assert counted(tracker, NOW + timedelta(seconds=31)) == (0, 0, 1)
