"""The store, through the Tracker, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from factories import bot_signal
from sigtrack import (
    InvalidInput,
    SignalAlreadyClosed,
    SignalIdConflict,
    SignalNotFound,
    Tracker,
)
from sigtrack.adapters.storage.tables import deliveries, signal_events, signals
from sigtrack.core.errors import InvalidBatch
from sigtrack.core.signals import EventKind, Result, Status

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def count(tracker: Tracker, table: object) -> int:
    with tracker._app.store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_tracked_bot_signal_comes_back_with_every_field(tracker: Tracker) -> None:
    created = datetime(2026, 11, 23, 11, 30, 15, 123456, tzinfo=UTC) - timedelta(hours=7)
    signal_id = tracker.track(
        bot_signal(created_at=created.isoformat()), receivers=[777, 888], strategy="v2", now=NOW
    )
    assert signal_id == f"777_BTCUSDT_{int(created.timestamp())}"
    record = tracker.get(signal_id)
    s = record.signal
    assert (s.symbol, s.side, s.timeframe, s.entry, s.targets, s.stop) == (
        "BTCUSDT", "LONG", "15m", 50000.0, (51000.0, 52000.0), 49000.0,
    )  # fmt: skip
    assert s.created_at == created and s.created_at.tzinfo is UTC
    assert s.confidence == 80 and s.reasons == ("Near demand zone", "Dip: -3.2%")
    assert s.tags == ("demand_zone", "dip")
    assert s.strategy == "v2" and s.receivers == (777, 888) and s.user_id == 777
    assert record.status is Status.ACTIVE and record.closing is None
    assert [e.kind for e in tracker.events(signal_id)] == [EventKind.CREATED]


def test_two_signals_in_the_same_second_get_suffixed_ids_never_overwritten(
    tracker: Tracker,
) -> None:
    at = NOW - timedelta(minutes=5)
    first = tracker.track(bot_signal(), receivers=[1], created_at=at, now=NOW)
    second = tracker.track(bot_signal(entry_price=50010.0), receivers=[1], created_at=at, now=NOW)
    batch = tracker.track_many([bot_signal(receivers=[1], created_at=at)] * 2, now=NOW)
    base = f"1_BTCUSDT_{int(at.timestamp())}"
    assert [first, second, *batch] == [base, f"{base}_2", f"{base}_3", f"{base}_4"]
    assert tracker.get(first).signal.entry == 50000.0
    assert tracker.get(second).signal.entry == 50010.0


def test_a_signal_without_receivers_takes_user_zero(tracker: Tracker) -> None:
    signal_id = tracker.track(bot_signal(), created_at=NOW, now=NOW)
    assert signal_id.startswith("0_BTCUSDT_")
    assert tracker.get(signal_id).signal.receivers == ()


def test_tracking_a_supplied_id_again_with_the_same_content_is_a_no_op(tracker: Tracker) -> None:
    signal = bot_signal(signal_id="bot-42", created_at=NOW.isoformat())
    assert tracker.track(signal, now=NOW) == "bot-42"
    assert tracker.track(signal, now=NOW) == "bot-42"
    assert count(tracker, signals) == 1
    assert len(tracker.events("bot-42")) == 1


def test_a_supplied_id_reused_for_other_content_is_a_conflict_and_stores_nothing(
    tracker: Tracker,
) -> None:
    tracker.track(bot_signal(signal_id="bot-42", created_at=NOW.isoformat()), now=NOW)
    with pytest.raises(SignalIdConflict, match=r"bot-42.*entry"):
        tracker.track_many(
            [
                bot_signal(created_at=NOW.isoformat()),
                bot_signal(signal_id="bot-42", entry_price=50001.0, created_at=NOW.isoformat()),
            ],
            now=NOW,
        )
    assert count(tracker, signals) == 1
    assert tracker.get("bot-42").signal.entry == 50000.0


def test_track_many_stores_nothing_when_one_signal_is_bad_and_names_each(
    tracker: Tracker,
) -> None:
    good = bot_signal(created_at=NOW.isoformat())
    with pytest.raises(InvalidBatch) as caught:
        tracker.track_many([good, bot_signal(sl=60000.0), good, bot_signal(symbol="??")], now=NOW)
    assert [(i, e.field) for i, e in caught.value.problems] == [(1, "sl"), (3, "symbol")]
    assert "60000" in str(caught.value)
    assert count(tracker, signals) == 0
    assert count(tracker, signal_events) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sl": 51000.0}, "sl"),
        ({"tp1": 49500.0}, "tp1"),
        ({"tp2": 50500.0}, "tp2"),
        ({"entry_price": float("nan"), "price": None}, "entry"),
        ({"confidence": 101}, "confidence"),
        ({"timeframe": "7m"}, "timeframe"),
        ({"side": "UP"}, "side"),
        ({"symbol": "BTC USDT!"}, "symbol"),
        ({"created_at": "2026-11-23T10:00:00"}, "created_at"),
        ({"created_at": "2027-01-01T00:00:00Z"}, "created_at"),
    ],
)
def test_bad_signals_are_refused_naming_the_field_and_nothing_is_written(
    tracker: Tracker, change: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        tracker.track(bot_signal(**change), now=NOW)
    assert caught.value.field == field
    assert count(tracker, signals) == 0


def test_closing_records_the_result_and_an_event(tracker: Tracker) -> None:
    signal_id = tracker.track(bot_signal(), created_at=NOW, now=NOW)
    later = NOW + timedelta(hours=2)
    record = tracker.close(signal_id, result="win", pnl_pct=2.5, actor="admin", now=later)
    assert record.status is Status.CLOSED and record.result is Result.WIN
    assert record.pnl_pct == 2.5 and record.closed_at == later
    closed = tracker.events(signal_id)[-1]
    assert (closed.kind, closed.actor, closed.at) == (EventKind.CLOSED, "admin", later)


def test_closing_a_closed_signal_is_an_error_unless_overridden_and_history_stays(
    tracker: Tracker,
) -> None:
    signal_id = tracker.track(bot_signal(), created_at=NOW, now=NOW)
    tracker.close(signal_id, result="loss", pnl_pct=-2.0, actor="admin", now=NOW)
    with pytest.raises(SignalAlreadyClosed, match="override"):
        tracker.close(signal_id, result="win", actor="admin", now=NOW)
    assert tracker.get(signal_id).result is Result.LOSS
    record = tracker.close(
        signal_id, result="win", pnl_pct=1.0, actor="boss", note="misread the chart",
        override=True, now=NOW,
    )  # fmt: skip
    assert record.result is Result.WIN
    events = tracker.events(signal_id)
    assert [e.kind for e in events] == [  # the refused second close is kept in the history
        EventKind.CREATED, EventKind.CLOSED, EventKind.REFUSED, EventKind.OVERRIDE]  # fmt: skip
    assert events[-1].data["old_result"] == "LOSS" and events[-1].note == "misread the chart"


def test_cancelling_takes_a_signal_out_and_a_closed_one_cannot_be_cancelled(
    tracker: Tracker,
) -> None:
    signal_id = tracker.track(bot_signal(), created_at=NOW, now=NOW)
    assert tracker.cancel(signal_id, actor="admin", now=NOW).result is Result.CANCELLED
    with pytest.raises(SignalAlreadyClosed):
        tracker.cancel(signal_id, actor="admin", now=NOW)
    kinds = [e.kind for e in tracker.events(signal_id)]
    assert kinds == [EventKind.CREATED, EventKind.CANCELLED, EventKind.REFUSED]
    assert tracker.get(signal_id).result is Result.CANCELLED


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"result": "expired"}, "result"),
        ({"result": "maybe"}, "result"),
        ({"result": "win", "pnl_pct": "lots"}, "pnl_pct"),
        ({"result": "win", "actor": ""}, "actor"),
    ],
)
def test_bad_close_requests_are_refused_and_change_nothing(
    tracker: Tracker, kwargs: dict[str, object], field: str
) -> None:
    signal_id = tracker.track(bot_signal(), created_at=NOW, now=NOW)
    arguments: dict[str, object] = {"actor": "admin", "now": NOW} | kwargs
    with pytest.raises(InvalidInput) as caught:
        tracker.close(signal_id, **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert tracker.get(signal_id).status is Status.ACTIVE


def test_unknown_ids_are_not_found(tracker: Tracker) -> None:
    with pytest.raises(SignalNotFound, match="nope"):
        tracker.get("nope")
    with pytest.raises(SignalNotFound):
        tracker.close("nope", result="win", actor="admin", now=NOW)
    with pytest.raises(SignalNotFound):
        tracker.events("nope")


def test_list_filters_by_status_and_time_newest_first(tracker: Tracker) -> None:
    ids = [
        tracker.track(bot_signal(), created_at=NOW - timedelta(days=d), now=NOW)
        for d in (3, 2, 1, 0)
    ]
    tracker.close(ids[0], result="win", actor="a", now=NOW)
    assert [r.signal_id for r in tracker.list()] == ids[::-1]
    assert [r.signal_id for r in tracker.list(status="closed")] == [ids[0]]
    assert [r.signal_id for r in tracker.list(status=Status.ACTIVE, limit=2)] == ids[:0:-1][:2]
    assert len(tracker.list(since=NOW - timedelta(days=1, minutes=1))) == 2
    with pytest.raises(InvalidInput, match="status"):
        tracker.list(status="sleeping")
    with pytest.raises(InvalidInput, match="limit"):
        tracker.list(limit=0)


def test_deliveries_keep_every_receiver_in_order(tracker: Tracker) -> None:
    receivers = list(range(1000, 1300))
    signal_id = tracker.track(bot_signal(), receivers=receivers, created_at=NOW, now=NOW)
    assert tracker.get(signal_id).signal.receivers == tuple(receivers)
    assert count(tracker, deliveries) == 300


def test_commands_are_logged_as_activity(tracker: Tracker) -> None:
    tracker.track_command(5, "budi", "/signal", "BTCUSDT", "15m", now=NOW)
    tracker.track_command(6, None, "/winrate", now=NOW)
    stored = list(tracker._app.store.list_activity())
    assert [(a.user_id, a.username, a.command, a.symbol) for a in stored] == [
        (5, "budi", "/signal", "BTCUSDT"),
        (6, None, "/winrate", None),
    ]
    with pytest.raises(InvalidInput, match="command"):
        tracker.track_command(5, "budi", "", now=NOW)


def test_many_signals_in_one_second_keep_counting_past_a_page_of_suffixes(
    tracker: Tracker,
) -> None:
    at = NOW - timedelta(minutes=5)
    ids = [tracker.track(bot_signal(), receivers=[3], created_at=at, now=NOW) for _ in range(40)]
    ids += tracker.track_many([bot_signal(receivers=[3], created_at=at)] * 3, now=NOW)
    base = f"3_BTCUSDT_{int(at.timestamp())}"
    assert ids == [base] + [f"{base}_{n}" for n in range(2, 44)]
