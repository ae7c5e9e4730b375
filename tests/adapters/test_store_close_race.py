"""A close that loses the race to another outcome ends in one outcome and an event for the
attempt: by hand after another hand (or the monitor), and a journaled close replayed after
the signal was closed meanwhile."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from factories import bot_signal, settings_for
from sigtrack import Tracker
from sigtrack.adapters.market.files import FileCandleSource
from sigtrack.core.candles import Candles
from sigtrack.core.errors import SignalAlreadyClosed
from sigtrack.core.signals import EventKind
from sigtrack.services.settling import SettlingService

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def test_a_second_close_keeps_the_first_outcome_and_records_the_attempt(
    tracker: Tracker,
) -> None:
    signal_id = tracker.track(bot_signal(), created_at=NOW - timedelta(hours=2), now=NOW)
    tracker.close(signal_id, result="win", pnl_pct=2.0, actor="monitor-ish", now=NOW)
    with pytest.raises(SignalAlreadyClosed):
        tracker.close(signal_id, result="loss", pnl_pct=-1.0, actor="admin", note="late",
                      now=NOW + timedelta(seconds=1))  # fmt: skip

    record = tracker.get(signal_id)
    kinds = [(e.kind, e.actor) for e in tracker.events(signal_id)]
    assert (record.result, record.pnl_pct) == ("WIN", 2.0)
    assert kinds == [(EventKind.CREATED, "api"), (EventKind.CLOSED, "monitor-ish"),
                     (EventKind.REFUSED, "admin")]  # fmt: skip
    refused = tracker.events(signal_id)[-1]
    assert refused.note == "late"
    assert refused.data["result"] == "LOSS" and refused.data["kept_result"] == "WIN"


def test_a_journaled_close_replayed_after_another_outcome_is_refused_and_recorded(
    tmp_path: Path,
) -> None:
    db = tmp_path / "race.db"
    settings = settings_for(f"sqlite:///{db}", data_dir=tmp_path, sqlite_busy_timeout_s=0.2)
    with Tracker.open(settings=settings) as tracker, \
         Tracker.open(settings=settings_for(f"sqlite:///{db}")) as other:  # fmt: skip
        signal_id = tracker.track(bot_signal(), created_at=NOW - timedelta(hours=2), now=NOW)
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # the store "down" for this process: locked
        kept = tracker.close(signal_id, result="loss", pnl_pct=-1.0, actor="admin", now=NOW)
        holder.execute("ROLLBACK")
        holder.close()
        other.close(signal_id, result="win", pnl_pct=2.0, actor="other", now=NOW)  # first
        report = tracker.app.journal.replay_all()
        events = tracker.events(signal_id)
        record = tracker.get(signal_id)

    assert kept.signal_id == signal_id and not hasattr(kept, "signal")  # journaled
    assert report.applied == 0 and len(report.refused) == 1
    assert "already closed" in report.refused[0][1]
    assert record.result == "WIN"
    assert [e.kind for e in events][-2:] == [EventKind.CLOSED, EventKind.REFUSED]
    assert events[-1].actor == "admin"


class ClosingByHandMidPass:
    """Candle files, and a close by hand of `signal_id` just as the pass reads them: after
    the pass has read its open signals, before it stores what they did."""

    def __init__(self, files: FileCandleSource, tracker: Tracker, signal_id: str) -> None:
        self.files, self.tracker, self.signal_id = files, tracker, signal_id
        self.name = files.name

    def candles(self, symbol: str, start_ms: int, end_ms: int) -> Candles:
        if self.tracker.get(self.signal_id).result is None:
            self.tracker.close(self.signal_id, result="breakeven", pnl_pct=0.0, actor="admin",
                               now=NOW)  # fmt: skip
        return self.files.candles(symbol, start_ms, end_ms)


def test_a_monitor_close_that_lost_to_a_close_by_hand_is_recorded_not_applied(
    tracker: Tracker, tmp_path: Path
) -> None:
    start = NOW - timedelta(minutes=10)
    base = int(start.timestamp() * 1000)
    rows = [(0, 50000, 50200, 49800, 50100), (1, 50100, 50150, 48000, 48500)]  # the stop
    (tmp_path / "BTCUSDT.csv").write_text("timestamp,open,high,low,close\n" + "".join(
        f"{base + n * 60_000},{o},{h},{lo},{c}\n" for n, o, h, lo, c in rows))  # fmt: skip
    signal_id = tracker.track(bot_signal(), created_at=start, now=start + timedelta(seconds=1))
    source = ClosingByHandMidPass(FileCandleSource(tmp_path), tracker, signal_id)
    service = SettlingService(tracker.app.store, source, tracker.app.settings.policy)

    report = service.run_pass(now=NOW)
    record = tracker.get(signal_id)
    events = tracker.events(signal_id)

    assert list(report.closed) == []  # the pass stored nothing over the close by hand
    assert record.closing is not None
    assert (record.result, record.closing.exit_reason) == ("BREAKEVEN", "MANUAL")
    assert [e.kind for e in events] == [EventKind.CREATED, EventKind.CLOSED, EventKind.REFUSED]
    assert events[-1].data["result"] == "LOSS" and events[-1].data["kept_result"] == "BREAKEVEN"
