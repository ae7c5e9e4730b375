"""Storing what settling learned (save_outcomes, migration 0002), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command
from sqlalchemy import select

from factories import SIGNAL_TIME, make_signal, settings_for
from sigtrack import Tracker
from sigtrack.adapters.storage import SqlSignalStore
from sigtrack.adapters.storage import settling as storage_settling
from sigtrack.adapters.storage.engine import _alembic_config, create_store_engine
from sigtrack.adapters.storage.stored_texts import outcome_texts
from sigtrack.adapters.storage.tables import rollup_days, signals
from sigtrack.core.candles import MINUTE_MS, Candles
from sigtrack.core.errors import StorageError
from sigtrack.core.outcomes import Outcome, datetime_to_ms
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.records import SignalEvent
from sigtrack.core.resolution import settle_many, settle_one
from sigtrack.core.signals import EventKind, ExitReason, Result, Status
from sigtrack.services.ports import SettleUpdate, SymbolClaims
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


class ClaimlessStore(SqlSignalStore):
    """The store, but its passes claim no symbols (every pass gets them all): two monitors
    can then race over one signal on PostgreSQL too, which the stored outcome's stamp alone
    has to settle."""

    @contextmanager
    def claim_symbols(self, symbols: Collection[str], *, owner: str) -> Iterator[SymbolClaims]:
        yield SymbolClaims(symbols=iter(sorted(symbols)), is_shared=False)


def claimless(tracker: Tracker) -> SqlSignalStore:
    return ClaimlessStore(store_of(tracker).engine, checkpoint_interval_s=None)


def test_two_monitors_racing_over_one_signal_store_and_announce_its_tp_hit_once(
    tracker: Tracker,
) -> None:
    signal_id = tracker.track(make_signal(), now=NOW)
    store, policy = store_of(tracker), ResolutionPolicy()
    candles = TP1_THEN_BE.between(0, T0_MS + 2 * MINUTE_MS)  # TP1, the rest still open
    told: list[str] = []

    def hook(settled: Settled) -> None:
        told.append(settled.signal_id)

    other = SettlingService(
        claimless(tracker), RacingSource(candles, lambda: None), policy, hooks=[hook]
    )
    racing = RacingSource(candles, lambda: other.run_pass(now=minute(2)))
    SettlingService(store, racing, policy, hooks=[hook]).run_pass(now=minute(2))

    kinds = [e.kind for e in tracker.events(signal_id)]
    assert kinds == [EventKind.CREATED, EventKind.TP_HIT]
    assert told == [signal_id]


# --- the columnar pass: one read of the open signals, its outcomes written in bulk ------------


def pass_of(tracker: Tracker, candles: Candles, now: datetime, **options: Any) -> Any:
    source = RacingSource(candles, options.pop("meanwhile", lambda: None))
    policy = options.pop("policy", ResolutionPolicy())
    store = options.pop("store", store_of(tracker))
    return SettlingService(store, source, policy, **options).run_pass(now=now)


def test_open_signals_come_back_as_columns_oldest_first_with_their_stored_outcomes(
    tracker: Tracker,
) -> None:
    late = tracker.track(make_signal(created_at=minute(2)), now=NOW)
    one_target = tracker.track(
        make_signal(symbol="ETHUSDT", side="SHORT", entry=3000.0, targets=(2900.0,), stop=3100.0,
                    created_at=SIGNAL_TIME + timedelta(microseconds=1500), timeframe="1h"),
        now=NOW,
    )  # fmt: skip
    closed = tracker.track(make_signal(entry=50010.0), now=NOW)
    tracker.close(closed, result="win", actor="admin", now=NOW)
    store = store_of(tracker)
    progress = settle_one(tracker.get(late).signal, QUIET)
    store.save_outcomes([SettleUpdate(signal_id=late, outcome=progress)], now=NOW)

    found = store.open_signals()

    assert found.signal_ids == [one_target, late]
    assert (found.symbols, found.timeframes) == (["ETHUSDT", "BTCUSDT"], ["1h", "15m"])
    assert found.is_long.tolist() == [False, True]
    assert (found.entry.tolist(), found.stop.tolist()) == ([3000.0, 50000.0], [3100.0, 49000.0])
    assert found.targets[0, 0] == 2900.0 and math.isnan(found.targets[0, 1])
    assert found.targets[1].tolist() == [51000.0, 52000.0]
    assert found.created_ms.tolist() == [T0_MS + 2, datetime_to_ms(minute(2))]  # 1.5 ms: up
    assert found.outcomes == [None, progress]
    assert found.stamps[0] is None and found.stamps[1] is not None
    assert len(set(found.keys.tolist())) == 2
    assert store.open_signals(symbols={"BTCUSDT"}).signal_ids == [late]
    assert store.open_signals(symbols=set()).signal_ids == []


def test_open_signals_created_at_the_same_instant_come_back_in_the_order_they_were_stored(
    tracker: Tracker,
) -> None:
    ids = [
        tracker.track(make_signal(entry=50000.0 + k, created_at=minute(3 - k // 3)), now=NOW)
        for k in range(9)
    ]  # three instants, newest first, three signals each

    found = store_of(tracker).open_signals()

    assert found.signal_ids == ids[6:] + ids[3:6] + ids[:3]
    assert found.entry.tolist() == [50006.0, 50007.0, 50008.0, 50003.0, 50004.0, 50005.0,
                                    50000.0, 50001.0, 50002.0]  # fmt: skip


def test_a_pass_stores_what_the_single_update_path_stores(tracker: Tracker) -> None:
    by_one = tracker.track(make_signal(), now=NOW)
    outcome = settle_one(tracker.get(by_one).signal, TP1_THEN_BE)
    store_of(tracker).save_outcomes([SettleUpdate(signal_id=by_one, outcome=outcome)], now=NOW)
    in_bulk = tracker.track(make_signal(), now=NOW)  # the same signal, another id

    report = pass_of(tracker, TP1_THEN_BE, NOW)

    assert [change.signal_id for change in report.changes] == [in_bulk]
    one, bulk = columns(tracker, by_one), columns(tracker, in_bulk)
    assert {k: v for k, v in bulk.items() if k not in {"id", "signal_id"}} == {
        k: v for k, v in one.items() if k not in {"id", "signal_id"}
    }
    assert tracker.get(in_bulk).outcome == outcome
    assert_reads_back_as(stored_outcome_text(tracker, in_bulk), outcome)


def assert_reads_back_as(text: str, outcome: Outcome) -> None:
    """The stored text is the outcome's JSON: the same keys, and values of the same types
    equal to the last bit (the numbers' text may differ from json.dumps': 1e-05 is written
    0.00001), so Outcome.from_json reads back the outcome itself."""
    read = json.loads(text)
    assert json.dumps(read) == json.dumps(outcome.to_json())  # repr again: types and bits
    assert Outcome.from_json(read) == outcome


def stored_outcome_text(tracker: Tracker, signal_id: str) -> str:
    cast = "outcome::text" if tracker._app.store.engine.dialect.name == "postgresql" else "outcome"
    with store_of(tracker).engine.connect() as conn:
        return str(
            conn.exec_driver_sql(
                f"SELECT {cast} FROM signals WHERE signal_id = '{signal_id}'"
            ).scalar_one()
        )


def test_a_pass_stores_progress_then_the_close_with_one_event_each(tracker: Tracker) -> None:
    signal_id = tracker.track(make_signal(), now=NOW)

    first = pass_of(tracker, TP1_THEN_BE.between(0, T0_MS + 2 * MINUTE_MS), minute(2))
    row = columns(tracker, signal_id)
    assert (row["status"], row["result"], row["tp1_hit_at"]) == ("ACTIVE", None, minute(1))
    second = pass_of(tracker, TP1_THEN_BE, minute(10))

    assert [(c.new_hits, c.is_closed) for c in first.changes] == [((1,), False)]
    assert [(c.new_hits, c.is_closed) for c in second.changes] == [((), True)]
    events = tracker.events(signal_id)
    assert [(e.kind, e.at, e.actor) for e in events[1:]] == [
        (EventKind.TP_HIT, minute(1), "monitor"), (EventKind.CLOSED, minute(2), "monitor"),
    ]  # fmt: skip
    assert events[1].data == {"target": 1, "price": 51000.0}
    assert events[2].note == "settled from candles"
    assert events[2].data == {
        "result": "WIN", "exit_reason": "TP1_BE", "pnl_pct": 1.0, "r_multiple": 0.5,
        "ambiguous": "no", "rule": "sl_first plan=0.5/0.5 be life=96tf fee=0bps x1",
    }  # fmt: skip
    record = tracker.get(signal_id)
    assert record.outcome == settle_one(record.signal, TP1_THEN_BE)
    assert (record.result, record.closing.exit_reason, record.pnl_pct) == (  # type: ignore[union-attr]
        Result.WIN, ExitReason.TP1_BE, 1.0,
    )  # fmt: skip


def test_a_pass_leaves_a_signal_closed_by_hand_meanwhile_as_the_hand_closed_it(
    tracker: Tracker,
) -> None:
    signal_id = tracker.track(make_signal(), now=NOW)
    other = tracker.track(make_signal(entry=50010.0), now=NOW)
    told: list[str] = []

    def by_hand() -> None:
        tracker.close(signal_id, result="loss", actor="admin", now=NOW)

    report = pass_of(tracker, TP1_THEN_BE, NOW, meanwhile=by_hand,
                     hooks=[lambda s: told.append(s.signal_id)])  # fmt: skip

    assert [c.signal_id for c in report.changes] == told == [other]
    record = tracker.get(signal_id)
    assert (record.result, record.closing.exit_reason, record.outcome) == (  # type: ignore[union-attr]
        Result.LOSS, ExitReason.MANUAL, None,
    )  # fmt: skip
    events = tracker.events(signal_id)  # the pass's close is kept as a refused attempt
    assert [(e.kind.value, e.actor) for e in events] == [
        ("created", "api"), ("closed", "admin"), ("refused", "monitor")]  # fmt: skip


def test_a_monitor_raced_on_a_signal_it_had_moved_on_before_keeps_the_winners_write(
    tracker: Tracker,
) -> None:
    signal_id = tracker.track(make_signal(), now=NOW)
    pass_of(tracker, TP1_THEN_BE.between(0, T0_MS + 2 * MINUTE_MS), minute(2))  # TP1, open
    told: list[str] = []
    policy_all_at_tp1 = ResolutionPolicy(exit_plan=(1.0,))

    def winner() -> None:  # another monitor (taking no claims), another rule, closes it first
        pass_of(tracker, TP1_THEN_BE, minute(10), policy=policy_all_at_tp1,
                store=claimless(tracker))  # fmt: skip

    report = pass_of(tracker, TP1_THEN_BE, minute(10), meanwhile=winner,
                     hooks=[lambda s: told.append(s.signal_id)])  # fmt: skip

    assert (list(report.changes), told) == ([], [])
    record = tracker.get(signal_id)
    assert record.outcome is not None and record.outcome.rule == policy_all_at_tp1.describe()
    assert record.closing.exit_reason is ExitReason.TP1  # type: ignore[union-attr]
    assert [e.kind for e in tracker.events(signal_id)].count(EventKind.CLOSED) == 1


def day_versions(tracker: Tracker) -> dict[str, int]:
    with store_of(tracker).engine.connect() as conn:
        return {
            day: version
            for day, version in conn.execute(select(rollup_days.c.day, rollup_days.c.version))
        }


def test_a_pass_marks_each_day_of_its_closes_once_and_progress_marks_none(
    tracker: Tracker,
) -> None:
    day_two = SIGNAL_TIME + timedelta(days=1)
    for k in range(3):  # 1h signals: a life of four days
        tracker.track(make_signal(entry=50000.0 + k, timeframe="1h"), now=NOW)
    later = tracker.track(make_signal(created_at=day_two, timeframe="1h"), now=NOW)
    before = day_versions(tracker)
    quiet = [(n, 50000, 50100, 49900, 50000) for n in range(3)]
    pass_of(tracker, series(*quiet), minute(3))  # progress only
    assert day_versions(tracker) == before

    stopped = (3, 50000, 50100, 48000, 48500)  # every day-one signal's stop
    day_two_quiet = [(24 * 60 + n, 50000, 50100, 49900, 50000) for n in range(3)]
    report = pass_of(
        tracker, series(*quiet, stopped, *day_two_quiet), day_two + timedelta(minutes=3)
    )

    assert report.closed_count == 3
    after = day_versions(tracker)
    one, two = SIGNAL_TIME.date().isoformat(), day_two.date().isoformat()
    assert (after[one], after[two]) == (before[one] + 1, before[two])
    assert tracker.get(later).status is Status.ACTIVE
    assert tracker.get(later).outcome is not None  # its progress is stored


def test_outcome_texts_read_back_as_each_outcome_to_the_last_bit() -> None:
    rng = np.random.default_rng(7)
    closes = 50000 * np.exp(np.cumsum(rng.normal(0, 0.002, 3000)))
    wiggle = closes * rng.uniform(0, 0.003, (2, 3000))
    candles = Candles.from_rows(
        [
            [T0_MS + n * MINUTE_MS, c, c + up, c - down, c]
            for n, (c, up, down) in enumerate(zip(closes, *wiggle, strict=True))
            if n % 97
        ]
    )  # fmt: skip  (every 97th minute missing: gaps)
    signals = [
        make_signal(
            entry=50000.0, targets=(50500.0 + 7 * k,) if k % 3 == 0 else (50400.0, 50900.0 + k),
            stop=49600.0 - k, timeframe=("1m", "15m", "1h")[k % 3],
        ) if k % 5 else make_signal(  # far levels and a long life: still open at the end
            entry=50000.0, targets=(90000.0, 95000.0), stop=10000.0, timeframe="1d",
            created_at=SIGNAL_TIME + timedelta(minutes=k, microseconds=1500 * (k % 2)),
        )
        for k in range(300)
    ]  # fmt: skip
    state = settle_many(signals, candles.between(0, T0_MS + 2000 * MINUTE_MS), ResolutionPolicy())
    outcomes = state.outcomes()
    assert {o.status for o in outcomes} == {Status.ACTIVE, Status.CLOSED}
    results = [o.result.value if o.result else None for o in outcomes]
    reasons = [o.exit_reason.value if o.exit_reason else None for o in outcomes]

    texts = outcome_texts(state, np.arange(len(outcomes)), results, reasons)

    assert len(texts) == len(outcomes)
    for text, outcome in zip(texts, outcomes, strict=True):
        assert_reads_back_as(text, outcome)


@pytest.mark.parametrize(
    "value",
    [2.0, -0.0, 0.0, 1e-05, -1e-7, 1e16, 1.5e300, 5e-324, 0.1 + 0.2, 50000.0, 12345678901.0],
)
def test_a_number_in_an_outcome_text_reads_back_as_the_same_float(value: float) -> None:
    candles = series((0, 50000, 50100, 49900, 50000))
    state = settle_many([make_signal()], candles, ResolutionPolicy())
    state.pnl_pct[0] = value  # any float the engine may write, in one of the columns

    (text,) = outcome_texts(state, np.arange(1), [None], [None])

    read = json.loads(text)["pnl_pct"]
    assert type(read) is float and math.copysign(1.0, read) == math.copysign(1.0, value)
    assert read == value


def test_a_pass_larger_than_a_write_batch_writes_every_row_and_its_events_once(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage_settling, "_SQLITE_CHUNK", 2)  # SQLite writes in batches
    ids = [tracker.track(make_signal(entry=50000.0 + k), now=NOW) for k in range(5)]

    report = pass_of(tracker, TP1_THEN_BE, NOW)

    assert sorted(change.signal_id for change in report.changes) == sorted(ids)
    for signal_id in ids:
        record = tracker.get(signal_id)
        assert record.outcome == settle_one(record.signal, TP1_THEN_BE)
        kinds = [e.kind for e in tracker.events(signal_id)]
        assert kinds == [EventKind.CREATED, EventKind.TP_HIT, EventKind.CLOSED]


def test_writing_outcome_texts_leaves_pandas_unimported() -> None:
    # Arrow imports pandas (0.3 s of a resolve's start-up) when a compute function is
    # handed a Python str, or a scalar or array is made from Python values
    script = (
        "import sys, numpy as np\n"
        "from factories import make_signal\n"
        "from sigtrack.adapters.storage.stored_texts import outcome_texts\n"
        "from sigtrack.core.candles import Candles\n"
        "from sigtrack.core.policy import ResolutionPolicy\n"
        "from sigtrack.core.resolution import settle_many\n"
        f"candles = Candles.from_rows([[{T0_MS}, 50000, 51200, 49000, 50000]])\n"
        "state = settle_many([make_signal()], candles, ResolutionPolicy())\n"
        "outcome_texts(state, np.arange(1), ['WIN'], ['TP1'])\n"
        "print('pandas' in sys.modules)\n"
    )
    tests = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tests), *sys.path])},
    )  # fmt: skip
    assert done.stdout.strip() == "False"
