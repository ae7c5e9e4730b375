"""One window rule for every read, on SQLite and PostgreSQL: signals created in
[since, until), the start in and the end out, whether a window is counted from the rows,
from the daily rollups or listed (issue 9 §4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from factories import bot_signal
from sigtrack import Tracker
from sigtrack.core.breakdowns import BreakdownKey
from sigtrack.core.filters import SignalFilter
from sigtrack.core.stats import cohort_start

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 12:00 in Jakarta
TICK = timedelta(microseconds=1)
SINCE = datetime(2026, 11, 10, tzinfo=UTC)  # UTC midnights: the window is whole rollup days
UNTIL = datetime(2026, 11, 20, tzinfo=UTC)


def track_won(tracker: Tracker, *moments: datetime) -> list[str]:
    """A signal created at each moment (one symbol each), closed as a WIN."""
    ids = tracker.track_many(
        [bot_signal(symbol=f"C{i}USDT", created_at=at) for i, at in enumerate(moments)],
        now=NOW + timedelta(days=1),
    )
    for signal_id in ids:
        tracker.close(signal_id, result="win", pnl_pct=1.0, actor="t", now=NOW + timedelta(days=1))
    return ids


def test_a_signal_created_exactly_at_now_counts_from_the_next_instant(tracker: Tracker) -> None:
    # the winrate of the last N days is [cohort_start, now): a signal stamped `now` has not
    # been sent before `now`; a read one microsecond later counts it
    track_won(tracker, NOW - TICK, NOW)
    summary = tracker.winrate(7, now=NOW)
    assert (summary.since, summary.until) == (cohort_start(NOW, 7, ZoneInfo("Asia/Jakarta")), NOW)
    assert summary.wins == 1
    assert tracker.winrate(7, now=NOW + TICK).wins == 2


def test_the_start_of_the_cohort_is_in_it(tracker: Tracker) -> None:
    start = cohort_start(NOW, 7, ZoneInfo("Asia/Jakarta"))
    track_won(tracker, start - TICK, start)
    assert tracker.winrate(7, now=NOW).wins == 1


def test_a_breakdown_up_to_now_leaves_out_a_signal_created_at_now(tracker: Tracker) -> None:
    track_won(tracker, NOW - TICK, NOW)
    rows = tracker.stats(BreakdownKey.SYMBOL, days=7, now=NOW).rows
    assert [(row.key, row.wins) for row in rows] == [("C0USDT", 1)]


def test_every_read_of_whole_days_keeps_the_start_and_leaves_out_the_end(
    tracker: Tracker,
) -> None:
    track_won(tracker, SINCE - TICK, SINCE, UNTIL - TICK, UNTIL)
    store = tracker._app.store
    inside = {"C1USDT", "C2USDT"}
    assert store.result_counts(SINCE, UNTIL).by_result == {"WIN": 2}
    assert set(store.grouped_counts(BreakdownKey.SYMBOL, SINCE, UNTIL)) == inside
    listed = store.list_signals(since=SINCE, until=UNTIL)
    assert {record.signal.symbol for record in listed} == inside
    chosen = SignalFilter(since=SINCE, until=UNTIL)
    assert len(store.load_outcomes(chosen)) == 2
    assert set(store.load_frame(chosen).symbol.tolist()) == inside


def test_a_window_ending_mid_day_leaves_out_its_end_too(tracker: Tracker) -> None:
    end = UNTIL + timedelta(hours=7)
    track_won(tracker, SINCE, end - TICK, end)
    store = tracker._app.store
    assert store.result_counts(SINCE, end).by_result == {"WIN": 2}
    assert set(store.grouped_counts(BreakdownKey.TAG, SINCE, end)) == {"demand_zone", "dip"}
    assert store.grouped_counts(BreakdownKey.TAG, SINCE, end)["dip"].by_result == {"WIN": 2}
