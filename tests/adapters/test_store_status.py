"""The store at a glance (migration 0005): the settling passes of the last week, and the
counts `/signal_stats` shows, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from factories import bot_signal
from sigtrack import Tracker
from sigtrack.adapters.storage import SqlSignalStore
from sigtrack.adapters.storage.tables import settling_passes
from sigtrack.core.bot_records import PassRecord, StoreCounts

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
PASS = PassRecord(
    at=NOW, source="binance-usdm", checked=120, symbols=14, closed=3, tp_hits=5, wins=2,
    losses=1, expired=0, failures=1, elapsed_s=2.75,
)  # fmt: skip


def store_of(tracker: Tracker) -> SqlSignalStore:
    return tracker._app.store


def passes_kept(tracker: Tracker) -> int:
    with store_of(tracker).engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(settling_passes)).scalar_one())


def test_the_last_pass_is_the_newest_recorded_with_every_field(tracker: Tracker) -> None:
    store = store_of(tracker)
    assert store.last_pass() is None

    files = "files:/" + "/very-long-folder-name" * 20 + "/candles"  # what a files source says
    newest = replace(PASS, at=NOW + timedelta(minutes=1), source=files, checked=7)
    for record in (PASS, newest, replace(PASS, at=NOW - timedelta(minutes=1), checked=1)):
        store.record_pass(record)

    found = store.last_pass()
    assert found == newest
    assert found is not None and found.at.tzinfo is UTC
    assert passes_kept(tracker) == 3


def test_recording_a_pass_deletes_those_more_than_seven_days_older(tracker: Tracker) -> None:
    store = store_of(tracker)
    for days in (0, 1, 2):
        store.record_pass(replace(PASS, at=NOW + timedelta(days=days)))

    store.record_pass(replace(PASS, at=NOW + timedelta(days=8), checked=9))

    assert passes_kept(tracker) == 3  # day 0 went; day 1 is exactly 7 days older: kept
    store.record_pass(replace(PASS, at=NOW + timedelta(days=9, seconds=1), checked=10))
    assert passes_kept(tracker) == 2  # days 1 and 2 (more than 7 days older) went
    assert store.last_pass() == replace(PASS, at=NOW + timedelta(days=9, seconds=1), checked=10)


def test_store_counts_give_open_closed_recent_signals_and_commands(tracker: Tracker) -> None:
    store = store_of(tracker)
    assert store.store_counts(since=NOW) == StoreCounts(open=0, closed=0, since=0, commands=0)
    since = NOW - timedelta(hours=5)
    ids = [
        tracker.track(bot_signal(), created_at=since + timedelta(hours=h), now=NOW)
        for h in (-30, -2, 0, 1, 3)
    ]  # two before `since`, one right at it
    tracker.close(ids[0], result="win", pnl_pct=1.0, actor="t", now=NOW)
    tracker.close(ids[3], result="loss", pnl_pct=-1.0, actor="t", now=NOW)
    tracker.cancel(ids[4], actor="t", now=NOW)  # cancelled ones are closed too
    for user in (1, 2, 2, 3):
        tracker.track_command(user, f"user{user}", "/winrate", now=NOW)

    assert store.store_counts(since=since) == StoreCounts(open=2, closed=3, since=3, commands=4)
    assert store.store_counts(since=NOW).since == 0
