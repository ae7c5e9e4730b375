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
from sigtrack.core.errors import SignalAlreadyClosed
from sigtrack.core.signals import EventKind

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
