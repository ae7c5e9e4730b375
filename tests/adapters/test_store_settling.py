"""Storing what settling learned (save_outcomes, migration 0002), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select

from factories import SIGNAL_TIME, make_signal, settings_for
from sigtrack import Tracker
from sigtrack.adapters.storage import SqlSignalStore
from sigtrack.adapters.storage.engine import _alembic_config, create_store_engine
from sigtrack.adapters.storage.tables import signals
from sigtrack.core.candles import MINUTE_MS, Candles
from sigtrack.core.errors import StorageError
from sigtrack.core.outcomes import Outcome, datetime_to_ms
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.records import SignalEvent
from sigtrack.core.resolution import settle_one
from sigtrack.core.signals import EventKind, ExitReason, Result, Status
from sigtrack.services.ports import SettleUpdate
from sigtrack.services.settling import Settled, SettlingService

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
T0_MS = datetime_to_ms(SIGNAL_TIME)


def minute(n: int) -> datetime:
    return SIGNAL_TIME + timedelta(minutes=n)


def series(*rows: tuple[int, float, float, float, float]) -> Candles:
    return Candles.from_rows([[T0_MS + n * MINUTE_MS, o, h, lo, c] for n, o, h, lo, c in rows])


QUIET = series(*[(n, 50000, 50100, 49900, 50000) for n in range(5)])
# TP1 at minute 1, the stop moved to entry at minute 2: WIN TP1_BE +1.00 %, R 0.5
TP1_THEN_BE = series(
    (0, 50000, 50200, 49800, 50100),
    (1, 50100, 51200, 50050, 51000),
    (2, 51000, 51100, 49950, 50000),
)


def store_of(tracker: Tracker) -> SqlSignalStore:
    return tracker._app.store


def columns(tracker: Tracker, signal_id: str) -> dict[str, Any]:
    with store_of(tracker).engine.connect() as conn:
        row = conn.execute(select(signals).where(signals.c.signal_id == signal_id)).mappings()
        return dict(row.one())


def settled(tracker: Tracker, candles: Candles, policy: ResolutionPolicy | None = None) -> tuple[
    str, Outcome
]:  # fmt: skip
    signal_id = tracker.track(make_signal(), now=NOW)
    outcome = settle_one(tracker.get(signal_id).signal, candles, policy or ResolutionPolicy())
    return signal_id, outcome


def monitor_events(outcome: Outcome) -> tuple[SignalEvent, ...]:
    """The events a pass makes for this outcome (the service's job; here just stored)."""
    hits = tuple(
        SignalEvent(kind=EventKind.TP_HIT, at=at, actor="monitor", data={"target": n, "price": p})
        for n, (at, p) in enumerate(
            ((at, leg.target) for at, leg in zip(outcome.target_hits, outcome.legs, strict=True)),
            start=1,
        )
        if at is not None
    )
    if outcome.status is not Status.CLOSED:
        return hits
    assert outcome.closed_at is not None and outcome.result is not None
    closed = SignalEvent(
        kind=EventKind.CLOSED, at=outcome.closed_at, actor="monitor", note="settled",
        data={"result": outcome.result.value, "pnl_pct": outcome.pnl_pct, "ambiguous": "no"},
    )  # fmt: skip
    return (*hits, closed)


def test_an_open_outcome_stores_its_progress_and_the_signal_stays_active(
    tracker: Tracker,
) -> None:
    signal_id, outcome = settled(tracker, QUIET)
    assert outcome.status is Status.ACTIVE

    written = store_of(tracker).save_outcomes(
        [SettleUpdate(signal_id=signal_id, outcome=outcome)], now=NOW
    )

    assert written == [signal_id]
    record = tracker.get(signal_id)
    assert record.status is Status.ACTIVE and record.closing is None
    assert record.outcome == outcome  # every field, progress included, survives the JSON
    assert record.outcome.progress.next_ms == T0_MS + 5 * MINUTE_MS  # type: ignore[union-attr]
    row = columns(tracker, signal_id)
    assert (row["status"], row["result"], row["exit_reason"], row["closed_at"]) == (
        "ACTIVE", None, None, None,
    )  # fmt: skip
    assert (row["r_multiple"], row["tp1_hit_at"], row["ambiguous"]) == (None, None, False)
    assert row["mfe_pct"] == pytest.approx(0.2) and row["mae_pct"] == pytest.approx(-0.2)
    assert row["rule"] == ResolutionPolicy().describe()
    assert [e.kind for e in tracker.events(signal_id)] == [EventKind.CREATED]


def test_an_open_outcome_past_tp1_stores_the_tp1_time_and_its_event(tracker: Tracker) -> None:
    signal_id, outcome = settled(tracker, TP1_THEN_BE.between(0, T0_MS + 2 * MINUTE_MS))
    assert outcome.status is Status.ACTIVE and outcome.target_hits[0] == minute(1)

    store_of(tracker).save_outcomes(
        [SettleUpdate(signal_id=signal_id, outcome=outcome, events=monitor_events(outcome))],
        now=NOW,
    )

    assert tracker.get(signal_id).status is Status.ACTIVE
    assert columns(tracker, signal_id)["tp1_hit_at"] == minute(1)
    hit = tracker.events(signal_id)[-1]
    assert (hit.kind, hit.at, hit.actor, hit.data) == (
        EventKind.TP_HIT, minute(1), "monitor", {"target": 1, "price": 51000.0},
    )  # fmt: skip


def test_a_closed_outcome_closes_the_signal_with_every_column(tracker: Tracker) -> None:
    signal_id, outcome = settled(tracker, TP1_THEN_BE)
    events = monitor_events(outcome)

    written = store_of(tracker).save_outcomes(
        [SettleUpdate(signal_id=signal_id, outcome=outcome, events=events)], now=NOW
    )

    assert written == [signal_id]
    record = tracker.get(signal_id)
    assert record.status is Status.CLOSED and record.outcome == outcome
    assert record.closing is not None
    assert (record.result, record.closing.exit_reason, record.pnl_pct, record.closed_at) == (
        Result.WIN, ExitReason.TP1_BE, 1.0, minute(2),
    )  # fmt: skip
    row = columns(tracker, signal_id)
    assert (row["status"], row["result"], row["exit_reason"]) == ("CLOSED", "WIN", "TP1_BE")
    assert (row["pnl_pct"], row["r_multiple"], row["closed_at"]) == (1.0, 0.5, minute(2))
    assert (row["tp1_hit_at"], row["ambiguous"]) == (minute(1), False)
    assert row["mfe_pct"] == pytest.approx(2.4) and row["mae_pct"] == pytest.approx(-0.4)
    assert row["rule"] == "sl_first plan=0.5/0.5 be life=96tf fee=0bps x1"
    stored = tracker.events(signal_id)
    assert [e.kind for e in stored] == [EventKind.CREATED, EventKind.TP_HIT, EventKind.CLOSED]
    assert stored[1:] == list(events)
    assert stored[2].at == minute(2) and stored[2].at.tzinfo is UTC


def test_an_ambiguous_outcome_is_flagged_in_its_column(tracker: Tracker) -> None:
    both = series((0, 50000, 51500, 48500, 50000))  # reaches TP1 and SL in one candle
    signal_id, outcome = settled(tracker, both)
    assert outcome.is_ambiguous and outcome.result is Result.LOSS  # sl_first

    store_of(tracker).save_outcomes([SettleUpdate(signal_id=signal_id, outcome=outcome)], now=NOW)

    row = columns(tracker, signal_id)
    assert (row["ambiguous"], row["result"], row["exit_reason"], row["r_multiple"]) == (
        True, "LOSS", "SL", -1.0,
    )  # fmt: skip
    assert tracker.get(signal_id).outcome.is_ambiguous  # type: ignore[union-attr]


def test_a_signal_closed_by_hand_meanwhile_is_skipped_and_only_written_ids_return(
    tracker: Tracker,
) -> None:
    by_hand, by_hand_outcome = settled(tracker, TP1_THEN_BE)
    tracker.close(by_hand, result="loss", actor="admin", note="stopped out live", now=NOW)
    other = tracker.track(make_signal(entry=50010.0), now=NOW)
    other_outcome = settle_one(tracker.get(other).signal, TP1_THEN_BE)

    written = store_of(tracker).save_outcomes(
        [
            SettleUpdate(signal_id=by_hand, outcome=by_hand_outcome,
                         events=monitor_events(by_hand_outcome)),
            SettleUpdate(signal_id=other, outcome=other_outcome,
                         events=monitor_events(other_outcome)),
            SettleUpdate(signal_id="0_BTCUSDT_1", outcome=other_outcome),  # no such signal
        ],
        now=NOW,
    )  # fmt: skip

    assert written == [other]
    record = tracker.get(by_hand)
    assert (record.result, record.closing.exit_reason, record.outcome) == (  # type: ignore[union-attr]
        Result.LOSS, ExitReason.MANUAL, None,
    )  # fmt: skip
    assert [(e.kind, e.actor) for e in tracker.events(by_hand)] == [
        (EventKind.CREATED, "api"), (EventKind.CLOSED, "admin"),
    ]  # fmt: skip
    assert columns(tracker, by_hand)["rule"] is None
    assert tracker.get(other).result is Result.WIN


def test_save_outcomes_writes_all_of_the_updates_or_none(tracker: Tracker) -> None:
    first, first_outcome = settled(tracker, TP1_THEN_BE)
    second = tracker.track(make_signal(entry=50010.0), now=NOW)
    second_outcome = settle_one(tracker.get(second).signal, TP1_THEN_BE)
    unstorable = SignalEvent(  # the database refuses it (actor is NOT NULL)
        kind=EventKind.CLOSED, at=minute(2), actor=None,  # type: ignore[arg-type]
    )  # fmt: skip

    with pytest.raises(StorageError):
        store_of(tracker).save_outcomes(
            [
                SettleUpdate(signal_id=first, outcome=first_outcome,
                             events=monitor_events(first_outcome)),
                SettleUpdate(signal_id=second, outcome=second_outcome, events=(unstorable,)),
            ],
            now=NOW,
        )  # fmt: skip

    for signal_id in (first, second):
        record = tracker.get(signal_id)
        assert (record.status, record.closing, record.outcome) == (Status.ACTIVE, None, None)
        assert [e.kind for e in tracker.events(signal_id)] == [EventKind.CREATED]
        assert columns(tracker, signal_id)["rule"] is None


def test_no_updates_is_a_no_op(tracker: Tracker) -> None:
    assert store_of(tracker).save_outcomes([], now=NOW) == []


def test_a_settling_pass_through_the_tracker_stores_the_hand_worked_outcome(
    tracker: Tracker, tmp_path: Any
) -> None:
    signal_id = tracker.track(make_signal(), now=NOW)
    folder = tmp_path / "candles"
    folder.mkdir()
    lines = ["timestamp,open,high,low,close"] + [
        f"{int(t)},{o},{h},{lo},{c}"
        for t, o, h, lo, c in zip(
            TP1_THEN_BE.open_time_ms, TP1_THEN_BE.open, TP1_THEN_BE.high, TP1_THEN_BE.low,
            TP1_THEN_BE.close, strict=True,
        )
    ]  # fmt: skip
    (folder / "BTCUSDT.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    told: list[str] = []
    tracker.on_settled(lambda settled: told.append(settled.signal_id))

    report = tracker.resolve(candles=folder, now=NOW)

    assert [c.signal_id for c in report.closed] == [signal_id] and told == [signal_id]
    record = tracker.get(signal_id)
    assert (record.result, record.closing.exit_reason, record.pnl_pct) == (  # type: ignore[union-attr]
        Result.WIN, ExitReason.TP1_BE, 1.0,
    )  # fmt: skip
    assert record.outcome == settle_one(record.signal, TP1_THEN_BE)
    assert [e.actor for e in tracker.events(signal_id)] == ["api", "monitor", "monitor"]


def test_a_store_migrated_down_to_0001_and_up_again_keeps_its_signals_and_events(
    db_url: str, request: pytest.FixtureRequest
) -> None:
    settings = settings_for(db_url)
    with Tracker.open(settings=settings) as tracker:
        signal_id, outcome = settled(tracker, TP1_THEN_BE)
        store_of(tracker).save_outcomes(
            [SettleUpdate(signal_id=signal_id, outcome=outcome, events=monitor_events(outcome))],
            now=NOW,
        )
    engine = create_store_engine(db_url)
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    engine.dispose()

    with Tracker.open(settings=settings) as tracker:  # migrates back to head
        record = tracker.get(signal_id)
        assert record.outcome is None  # the details went with the columns
        assert (record.result, record.pnl_pct) == (Result.WIN, 1.0)
        assert len(tracker.events(signal_id)) == 3


class RacingSource:
    """Candles in memory; the first read lets another monitor run a whole pass meanwhile."""

    name = "memory"

    def __init__(self, candles: Candles, other_pass: Callable[[], object]) -> None:
        self._candles = candles
        self._other_pass: Callable[[], object] | None = other_pass

    def candles(self, symbol: str, start_ms: int, end_ms: int) -> Candles:
        other, self._other_pass = self._other_pass, None
        if other is not None:
            other()
        return self._candles.between(start_ms, end_ms)


def test_two_monitors_racing_over_one_signal_store_and_announce_its_tp_hit_once(
    tracker: Tracker,
) -> None:
    signal_id = tracker.track(make_signal(), now=NOW)
    store, policy = store_of(tracker), ResolutionPolicy()
    candles = TP1_THEN_BE.between(0, T0_MS + 2 * MINUTE_MS)  # TP1, the rest still open
    told: list[str] = []

    def hook(settled: Settled) -> None:
        told.append(settled.signal_id)

    other = SettlingService(store, RacingSource(candles, lambda: None), policy, hooks=[hook])
    racing = RacingSource(candles, lambda: other.run_pass(now=minute(2)))
    SettlingService(store, racing, policy, hooks=[hook]).run_pass(now=minute(2))

    kinds = [e.kind for e in tracker.events(signal_id)]
    assert kinds == [EventKind.CREATED, EventKind.TP_HIT]
    assert told == [signal_id]
