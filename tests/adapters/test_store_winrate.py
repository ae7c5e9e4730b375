"""winrate(days) on the store: the cohort in the display zone, open signals apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from factories import bot_signal
from sigtrack import Tracker
from sigtrack.core.stats import wilson_interval

# 2026-11-23 12:00 in Jakarta (UTC+7)
NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def track_closed(
    tracker: Tracker, at: datetime, result: str | None, pnl: float | None = None
) -> str:
    signal_id = tracker.track(bot_signal(), created_at=at, now=NOW)
    if result == "cancel":
        tracker.cancel(signal_id, actor="t", now=NOW)
    elif result is not None:
        tracker.close(signal_id, result=result, pnl_pct=pnl, actor="t", now=NOW)
    return signal_id


def test_an_empty_store_has_no_winrate_not_zero(tracker: Tracker) -> None:
    summary = tracker.winrate(7, now=NOW)
    assert (summary.total, summary.wins, summary.losses, summary.open) == (0, 0, 0, 0)
    assert summary.winrate is None and summary.interval is None and summary.avg_pnl_pct is None


def test_winrate_counts_wins_and_losses_and_keeps_the_rest_apart(tracker: Tracker) -> None:
    at = NOW - timedelta(days=1)
    for pnl in (2.0, 3.0, 1.0):
        track_closed(tracker, at, "win", pnl)
    track_closed(tracker, at, "loss", -2.0)
    track_closed(tracker, at, "breakeven", 0.0)
    track_closed(tracker, at, "cancel")
    track_closed(tracker, at, None)
    track_closed(tracker, at, "win", None)  # a win whose PnL nobody wrote down
    s = tracker.winrate(7, now=NOW)
    assert (s.wins, s.losses, s.breakeven, s.cancelled, s.open) == (4, 1, 1, 1, 1)
    assert s.total == 6
    assert s.winrate == pytest.approx(4 / 5)
    assert s.interval == pytest.approx(wilson_interval(4, 5))
    assert s.strict_winrate == pytest.approx(4 / 6)
    assert s.avg_pnl_pct == pytest.approx((2 + 3 + 1 - 2 + 0) / 5)


def test_the_window_is_counted_in_calendar_days_of_the_display_zone(tracker: Tracker) -> None:
    jakarta_midnight_6_days_ago = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)  # 11-17 00:00 WIB
    track_closed(tracker, jakarta_midnight_6_days_ago, "win", 1.0)
    track_closed(tracker, jakarta_midnight_6_days_ago - timedelta(seconds=1), "loss", -1.0)
    seven = tracker.winrate(7, now=NOW)
    assert (seven.wins, seven.losses) == (1, 0)
    assert seven.since == jakarta_midnight_6_days_ago
    thirty = tracker.winrate(30, now=NOW)
    assert (thirty.wins, thirty.losses) == (1, 1)


def test_a_signal_created_after_now_is_not_in_the_window(tracker: Tracker) -> None:
    track_closed(tracker, NOW - timedelta(hours=1), "win", 1.0)
    earlier = tracker.winrate(1, now=NOW - timedelta(hours=2))
    assert earlier.wins == 0


def test_the_cohort_is_by_creation_time_not_closing_time(tracker: Tracker) -> None:
    old = track_closed(tracker, NOW - timedelta(days=20), None)
    tracker.close(old, result="win", pnl_pct=1.0, actor="t", now=NOW)
    assert tracker.winrate(7, now=NOW).wins == 0
    assert tracker.winrate(30, now=NOW).wins == 1


@pytest.mark.parametrize("days", [0, -1, 40_000, True])
def test_bad_day_counts_are_refused(tracker: Tracker, days: int) -> None:
    with pytest.raises(ValueError, match="days"):
        tracker.winrate(days, now=NOW)
