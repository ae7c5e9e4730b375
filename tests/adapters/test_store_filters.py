"""Filters for comparisons and summaries, run by the store on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from factories import bot_signal
from sigtrack import Tracker
from sigtrack.core.errors import InvalidInput
from sigtrack.core.filters import SignalFilter, parse_filter
from sigtrack.core.signals import Result

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def add(tracker: Tracker, at: datetime, result: str, pnl: float, **signal: object) -> None:
    signal_id = tracker.track(bot_signal(**signal), created_at=at, now=NOW)
    tracker.close(signal_id, result=result, pnl_pct=pnl, actor="t", now=NOW)


@pytest.fixture
def seeded(tracker: Tracker) -> Tracker:
    early, late = NOW - timedelta(days=10), NOW - timedelta(days=2)
    add(tracker, early, "win", 2.0, strategy="v1", confidence=70, reasons=["Near demand zone"])
    add(tracker, early, "loss", -1.0, strategy="v1", confidence=85, reasons=["Pump"])
    add(tracker, late, "win", 1.0, strategy="v2", confidence=90, symbol="ETHUSDT", side="SHORT",
        entry_price=3000.0, tp1=2900.0, tp2=2800.0, sl=3100.0)  # fmt: skip
    add(tracker, late, "win", 3.0, strategy="v2", confidence=95, reasons=["Near demand zone"])
    return tracker


@pytest.mark.parametrize(
    ("chosen", "wins", "losses"),
    [
        ("", 3, 1),
        ("strategy=v1", 1, 1),
        ("strategy=v2", 2, 0),
        ("tag=demand_zone", 3, 0),  # the bot's default reasons name it too
        ("tag=pump", 0, 1),
        ("symbol=eth/usdt", 1, 0),
        ("side=sell", 1, 0),
        ("min_confidence=85", 2, 1),
        ("since=2026-11-20", 2, 0),
        ("until=2026-11-20,strategy=v1", 1, 1),
    ],
)
def test_each_filter_key_selects_its_signals(
    seeded: Tracker, chosen: str, wins: int, losses: int
) -> None:
    summary = seeded.performance(chosen)
    assert (summary.wins, summary.losses) == (wins, losses)


def test_the_summary_orders_signals_by_close_for_the_drawdown(seeded: Tracker) -> None:
    summary = seeded.performance("")
    assert summary.total_pnl_pct == pytest.approx(5.0)
    assert summary.max_drawdown_pct == pytest.approx(1.0)


def test_comparing_before_and_after_a_date(seeded: Tracker) -> None:
    result = seeded.compare("until=2026-11-20", "since=2026-11-20")
    assert (result.a.wins, result.a.losses, result.b.wins) == (1, 1, 2)
    assert result.pnl_diff == pytest.approx(2.0 - 0.5)


@pytest.mark.parametrize(
    ("text", "field"),
    [("strategy", "a"), ("color=red", "a"), ("since=yesterday", "a.since"),
     ("side=up", "a.side"), ("min_confidence=high", "a.min_confidence")],
)  # fmt: skip
def test_bad_filters_name_the_key_and_value(seeded: Tracker, text: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        seeded.compare(text, "")
    assert caught.value.field == field


def test_the_outcomes_alone_are_the_frames_outcomes(seeded: Tracker) -> None:
    store = seeded._app.store
    chosen = SignalFilter(strategy="v2")
    alone, framed = store.load_outcomes(chosen), store.load_frame(chosen).outcomes
    for name in ("result", "pnl_pct", "created_ms", "closed_ms", "n_targets", "targets_hit"):
        assert getattr(alone, name).tolist() == getattr(framed, name).tolist(), name


def test_the_strategies_of_a_window_come_most_recently_used_first(seeded: Tracker) -> None:
    store = seeded._app.store
    names = [name for name, _, _ in store.strategies_between(NOW - timedelta(days=30), NOW)]
    assert names == ["v2", "v1"]
    [(name, last, n)] = store.strategies_between(NOW - timedelta(days=11), NOW - timedelta(days=5))
    assert (name, last, n) == ("v1", NOW - timedelta(days=10), 2)


@pytest.mark.parametrize(
    "chosen",
    ["", "strategy=v1", "tag=demand_zone", "tag=pump", "side=sell", "min_confidence=85",
     "since=2026-11-20", "until=2026-11-20,strategy=v1", "source=nowhere"],
)  # fmt: skip
def test_the_records_listed_by_a_filter_are_the_ones_its_numbers_count_oldest_first(
    seeded: Tracker, chosen: str
) -> None:
    store = seeded._app.store
    wanted = parse_filter(chosen, UTC)
    records = list(store.list_matching(wanted))
    results = [r.result for r in records]
    summary = seeded.performance(wanted)
    assert (results.count(Result.WIN), results.count(Result.LOSS)) == (
        summary.wins,
        summary.losses,
    )
    created = [r.signal.created_at for r in records]
    assert created == sorted(created)
    assert len(records) == summary.total


@pytest.mark.parametrize(
    ("chosen", "symbols"),
    [("", ["BTCUSDT", "BTCUSDT", "ETHUSDT", "BTCUSDT"]),
     ("tag=demand_zone", ["BTCUSDT", "ETHUSDT", "BTCUSDT"]),
     ("min_confidence=90,side=short", ["ETHUSDT"]), ("until=2026-11-20", ["BTCUSDT"] * 2),
     ("tag=nothing", [])],
)  # fmt: skip
def test_the_table_export_holds_the_signals_the_filters_numbers_count_oldest_first(
    seeded: Tracker, chosen: str, symbols: list[str]
) -> None:
    table = seeded.to_arrow(chosen)
    assert table.column("symbol").to_pylist() == symbols
    assert table.num_rows == seeded.performance(chosen).total
