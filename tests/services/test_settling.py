"""The settling pass and the monitor loop, on the in-memory store and candle source."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from fakes import FakeStore

from factories import SIGNAL_TIME, make_signal
from sigtrack.core.candles import MINUTE_MS, Candles
from sigtrack.core.errors import MarketDataError
from sigtrack.core.outcomes import datetime_to_ms
from sigtrack.core.policy import ResolutionPolicy
from sigtrack.core.records import Closing
from sigtrack.core.resolution import settle_one
from sigtrack.core.signals import EventKind, ExitReason, Result, Signal, Status
from sigtrack.services.ports import NewSignal
from sigtrack.services.settling import PassReport, Settled, SettlingService, run_monitor

T0 = SIGNAL_TIME  # 2026-01-05 10:00 UTC; the factories' LONG: 50000, TP 51000 / 52000, SL 49000
T0_MS = datetime_to_ms(T0)
POLICY = ResolutionPolicy()
ETH_SIGNAL = make_signal(symbol="ETHUSDT", entry=3000.0, targets=(3100.0, 3200.0), stop=2900.0)


def minute(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def ms(n: int) -> int:
    return T0_MS + n * MINUTE_MS


def series(*rows: tuple[int, float, float, float, float]) -> Candles:
    """Candles from (minute after T0, open, high, low, close)."""
    return Candles.from_rows([[ms(n), o, h, low, c] for n, o, h, low, c in rows])


QUIET = [(n, 50000.0, 50100.0, 49900.0, 50000.0) for n in range(10)]  # reaches no level
# TP1 (51000) in minute 1, then the stop moved to entry (50000) in minute 2:
# WIN TP1_BE, 50 % at +2 % and 50 % at 0 % → +1.00 %, R = 1 % / 2 % = 0.5.
TP1_THEN_BE = series(
    (0, 50000, 50200, 49800, 50100),
    (1, 50100, 51200, 50050, 51000),
    (2, 51000, 51100, 49950, 50000),
    *[(n, 50000, 50100, 49900, 50000) for n in range(3, 10)],
)


class MemorySource:
    """A CandleSource over candles in memory that records every (symbol, start, end) asked."""

    name = "memory"

    def __init__(
        self,
        by_symbol: dict[str, Candles],
        *,
        failing: Sequence[str] = (),
        on_read: Callable[[str], None] | None = None,
    ) -> None:
        self.by_symbol = by_symbol
        self.failing = set(failing)
        self.on_read = on_read
        self.asked: list[tuple[str, int, int]] = []

    def candles(self, symbol: str, start_ms: int, end_ms: int) -> Candles:
        self.asked.append((symbol, start_ms, end_ms))
        if self.on_read is not None:
            self.on_read(symbol)
        if symbol in self.failing:
            raise MarketDataError(f"memory: {symbol} is down")
        return self.by_symbol.get(symbol, Candles.empty()).between(start_ms, end_ms)


def add(store: FakeStore, *signals: Signal) -> list[str]:
    outcomes = store.add_signals([NewSignal(signal=s) for s in signals], now=T0)
    return [o.signal_id for o in outcomes]


def test_a_pass_reads_each_symbol_once_from_its_earliest_open_signal() -> None:
    store = FakeStore()
    add(
        store,
        make_signal(created_at=minute(3)),
        make_signal(created_at=minute(1), entry=50010.0),
        make_signal(created_at=minute(5), entry=50020.0),
        replace(ETH_SIGNAL, created_at=minute(2)),
    )
    source = MemorySource({"BTCUSDT": series(*QUIET)})

    report = SettlingService(store, source, POLICY).run_pass(now=minute(10))

    assert sorted(source.asked) == [("BTCUSDT", ms(1), ms(10)), ("ETHUSDT", ms(2), ms(10))]
    assert (report.checked, report.symbols, report.failures) == (4, 2, ())


def test_a_pass_limited_to_some_symbols_reads_only_those() -> None:
    store = FakeStore()
    add(store, make_signal(), ETH_SIGNAL)
    source = MemorySource({"BTCUSDT": series(*QUIET)})

    report = SettlingService(store, source, POLICY).run_pass(now=minute(10), symbols={"ETHUSDT"})

    assert [symbol for symbol, _, _ in source.asked] == ["ETHUSDT"]
    assert (report.checked, report.symbols) == (1, 1)


def test_a_pass_settles_only_the_symbols_it_claimed_and_counts_the_others_elsewhere() -> None:
    store = FakeStore()
    btc, eth = add(store, make_signal(), ETH_SIGNAL)
    store.held_elsewhere = {"ETHUSDT"}  # another monitor's, this pass
    source = MemorySource({"BTCUSDT": TP1_THEN_BE, "ETHUSDT": series(*QUIET)})

    report = SettlingService(store, source, POLICY, owner="m1").run_pass(now=minute(10))

    assert [symbol for symbol, _, _ in source.asked] == ["BTCUSDT"]
    assert (report.checked, report.symbols, report.claimed_elsewhere) == (1, 1, 1)
    assert store.claims == [("m1", ["BTCUSDT"])]
    assert store.get(btc).status is Status.CLOSED
    assert store.get(eth).outcome is None  # not read, not written


class ClosedAfterTheFirstRead(FakeStore):
    """Another monitor closes every open signal just after a pass's first read of them."""

    def open_counts(self, *, symbols: Collection[str] | None = None) -> dict[str, int]:
        counts = super().open_counts(symbols=symbols)
        for record in list(self.list_signals(status=Status.ACTIVE)):
            closing = Closing(result=Result.LOSS, exit_reason=ExitReason.MANUAL,
                              closed_at=minute(3))  # fmt: skip
            self.close(record.signal_id, closing, actor="admin", note=None, override=False,
                       now=minute(3))  # fmt: skip
        return counts


def test_a_claimed_symbol_whose_signals_another_monitor_closed_meanwhile_is_not_settled() -> None:
    store = ClosedAfterTheFirstRead()
    (btc,) = add(store, make_signal())
    store.held_elsewhere = {"ETHUSDT"}  # shared: each claimed symbol is read again
    source = MemorySource({"BTCUSDT": TP1_THEN_BE})

    report = SettlingService(store, source, POLICY).run_pass(now=minute(10))

    assert source.asked == []
    assert (report.checked, report.symbols, report.claimed_elsewhere) == (0, 0, 1)
    assert store.get(btc).closing.exit_reason is ExitReason.MANUAL  # type: ignore[union-attr]


def test_an_unshared_pass_skips_a_symbol_closed_between_its_count_and_its_read() -> None:
    store = ClosedAfterTheFirstRead()
    (btc,) = add(store, make_signal())
    source = MemorySource({"BTCUSDT": TP1_THEN_BE})

    report = SettlingService(store, source, POLICY).run_pass(now=minute(10))

    assert source.asked == []
    assert (report.checked, report.symbols, report.claimed_elsewhere) == (0, 0, 0)
    assert store.get(btc).closing.exit_reason is ExitReason.MANUAL  # type: ignore[union-attr]


def test_a_second_pass_asks_only_for_the_candles_after_the_saved_progress() -> None:
    store = FakeStore()
    [signal_id] = add(store, make_signal())
    source = MemorySource({"BTCUSDT": series(*QUIET)})
    service = SettlingService(store, source, POLICY)

    service.run_pass(now=minute(4))
    assert store.get(signal_id).outcome.progress.next_ms == ms(4)  # type: ignore[union-attr]
    service.run_pass(now=minute(7))

    assert source.asked == [("BTCUSDT", ms(0), ms(4)), ("BTCUSDT", ms(4), ms(7))]
    assert store.get(signal_id).outcome.progress.next_ms == ms(7)  # type: ignore[union-attr]


def test_a_pass_with_nothing_new_to_read_asks_for_no_candles() -> None:
    store = FakeStore()
    add(store, make_signal())
    source = MemorySource({"BTCUSDT": series(*QUIET)})
    service = SettlingService(store, source, POLICY)
    service.run_pass(now=minute(4))

    service.run_pass(now=minute(4))

    assert source.asked == [("BTCUSDT", ms(0), ms(4))]


def test_tp_hit_and_close_are_stored_with_the_candles_time_and_actor_monitor() -> None:
    store = FakeStore()
    [signal_id] = add(store, make_signal())
    source = MemorySource({"BTCUSDT": TP1_THEN_BE})

    report = SettlingService(store, source, POLICY).run_pass(now=minute(10))

    record = store.get(signal_id)
    assert record.status is Status.CLOSED
    assert record.closing == Closing(
        result=Result.WIN, exit_reason=ExitReason.TP1_BE, closed_at=minute(2), pnl_pct=1.0
    )
    assert record.outcome is not None and record.outcome.r_multiple == 0.5
    created, tp_hit, closed = store.events(signal_id)
    assert created.kind is EventKind.CREATED
    assert (tp_hit.kind, tp_hit.at, tp_hit.actor) == (EventKind.TP_HIT, minute(1), "monitor")
    assert tp_hit.data == {"target": 1, "price": 51000.0}
    assert (closed.kind, closed.at, closed.actor) == (EventKind.CLOSED, minute(2), "monitor")
    assert closed.data["result"] == "WIN" and closed.data["exit_reason"] == "TP1_BE"
    assert closed.data["pnl_pct"] == 1.0 and closed.data["rule"] == POLICY.describe()
    [change] = report.changes
    assert (change.signal_id, change.new_hits, change.is_closed) == (signal_id, (1,), True)
    assert (len(report.closed), report.still_open) == (1, 0)


def test_the_stored_outcome_is_the_reference_engines_on_the_same_candles() -> None:
    store = FakeStore()
    [signal_id] = add(store, make_signal())
    source = MemorySource({"BTCUSDT": TP1_THEN_BE})

    SettlingService(store, source, POLICY).run_pass(now=minute(10))

    expected = settle_one(store.get(signal_id).signal, TP1_THEN_BE, POLICY)
    assert store.get(signal_id).outcome == expected


def test_a_tp_hit_reported_in_one_pass_is_not_reported_again_in_the_next() -> None:
    store = FakeStore()
    [signal_id] = add(store, make_signal())
    source = MemorySource({"BTCUSDT": TP1_THEN_BE})
    service = SettlingService(store, source, POLICY)

    first = service.run_pass(now=minute(2))  # reads minutes 0 and 1: TP1
    second = service.run_pass(now=minute(10))  # minute 2: the moved stop

    assert [(c.new_hits, c.is_closed) for c in first.changes] == [((1,), False)]
    assert [(c.new_hits, c.is_closed) for c in second.changes] == [((), True)]
    kinds = [e.kind for e in store.events(signal_id)]
    assert kinds == [EventKind.CREATED, EventKind.TP_HIT, EventKind.CLOSED]
    assert store.get(signal_id).closing.exit_reason is ExitReason.TP1_BE  # type: ignore[union-attr]


def test_hooks_are_told_after_the_store_holds_the_change() -> None:
    store = FakeStore()
    [signal_id] = add(store, make_signal())
    seen: list[tuple[Settled, Status, int]] = []

    def hook(settled: Settled) -> None:
        stored = store.get(settled.signal_id)
        seen.append((settled, stored.status, len(store.events(settled.signal_id))))

    service = SettlingService(store, MemorySource({"BTCUSDT": TP1_THEN_BE}), POLICY, hooks=[hook])
    service.run_pass(now=minute(10))

    [(settled, status_when_told, events_when_told)] = seen
    assert settled.signal_id == signal_id and settled.record.status is Status.ACTIVE
    assert (status_when_told, events_when_told) == (Status.CLOSED, 3)


def test_a_raising_hook_is_logged_and_the_pass_and_other_hooks_go_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FakeStore()
    ids = add(store, make_signal(), make_signal(entry=50010.0))
    told: list[str] = []

    def broken(settled: Settled) -> None:
        raise RuntimeError("telegram is down")

    service = SettlingService(store, MemorySource({"BTCUSDT": TP1_THEN_BE}), POLICY, hooks=[broken])
    service.add_hook(lambda settled: told.append(settled.signal_id))
    with caplog.at_level(logging.ERROR, logger="sigtrack.services.settling"):
        report = service.run_pass(now=minute(10))

    assert sorted(told) == sorted(ids)
    assert len(report.closed) == 2
    assert all(store.get(i).status is Status.CLOSED for i in ids)
    failures = [r for r in caplog.records if "settle hook" in r.getMessage()]
    assert len(failures) == 2 and all(r.exc_info for r in failures)


def test_a_signal_closed_by_hand_while_the_pass_ran_stays_as_the_hand_closed_it() -> None:
    store = FakeStore()
    [signal_id] = add(store, make_signal())
    by_hand = Closing(result=Result.LOSS, exit_reason=ExitReason.MANUAL, closed_at=minute(30))

    def admin_closes(symbol: str) -> None:  # between the pass's read and its write
        store.close(signal_id, by_hand, actor="admin", note=None, override=False, now=minute(30))

    told: list[Settled] = []
    source = MemorySource({"BTCUSDT": TP1_THEN_BE}, on_read=admin_closes)
    service = SettlingService(store, source, POLICY, hooks=[told.append])

    report = service.run_pass(now=minute(10))

    assert [u.signal_id for u in store.saved[0]] == [signal_id]  # the pass did try
    record = store.get(signal_id)
    assert (record.closing, record.outcome) == (by_hand, None)
    assert [e.actor for e in store.events(signal_id)] == ["api", "admin"]
    assert (list(report.changes), told) == ([], [])


def test_a_changed_policy_settles_again_from_the_signals_creation() -> None:
    store = FakeStore()
    [signal_id] = add(store, make_signal())
    source = MemorySource({"BTCUSDT": TP1_THEN_BE})
    SettlingService(store, source, POLICY).run_pass(now=minute(2))  # TP1 hit, half still open
    assert store.get(signal_id).status is Status.ACTIVE
    all_at_tp1 = ResolutionPolicy(exit_plan=(1.0,))

    SettlingService(store, source, all_at_tp1).run_pass(now=minute(3))

    assert source.asked[-1] == ("BTCUSDT", ms(0), ms(3))
    record = store.get(signal_id)
    assert record.closing == Closing(
        result=Result.WIN, exit_reason=ExitReason.TP1, closed_at=minute(1), pnl_pct=2.0
    )
    assert record.outcome is not None and record.outcome.rule == all_at_tp1.describe()
    assert record.outcome == settle_one(record.signal, TP1_THEN_BE.between(0, ms(3)), all_at_tp1)


def test_a_changed_policy_does_not_record_or_announce_a_target_reached_before_again() -> None:
    store = FakeStore()
    [signal_id] = add(store, make_signal())
    source = MemorySource({"BTCUSDT": TP1_THEN_BE})
    SettlingService(store, source, POLICY).run_pass(now=minute(2))  # TP1 at minute 1
    told: list[Settled] = []

    all_at_tp1 = ResolutionPolicy(exit_plan=(1.0,))
    SettlingService(store, source, all_at_tp1, hooks=[told.append]).run_pass(now=minute(3))

    kinds = [e.kind for e in store.events(signal_id)]
    assert kinds == [EventKind.CREATED, EventKind.TP_HIT, EventKind.CLOSED]
    assert [change.new_hits for change in told] == [()]


def test_progress_hears_how_many_open_signals_are_settled_from_none_to_all() -> None:
    store = FakeStore()
    add(store, make_signal(), make_signal(entry=50010.0), ETH_SIGNAL)
    heard: list[tuple[int, int]] = []
    source = MemorySource({"BTCUSDT": TP1_THEN_BE}, failing=["ETHUSDT"])

    report = SettlingService(store, source, POLICY).run_pass(
        now=minute(10), progress=lambda done, total: heard.append((done, total))
    )

    assert heard[0] == (0, 3) and heard[-1] == (3, 3)  # a failed symbol counts as looked at
    assert [done for done, _ in heard] == sorted(done for done, _ in heard)
    assert report.closed_count == 2 and report.wins == 2 and report.elapsed_s >= 0


def test_market_data_failing_for_one_symbol_is_reported_while_the_others_settle(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FakeStore()
    btc, eth = add(store, make_signal(), ETH_SIGNAL)
    source = MemorySource({"BTCUSDT": TP1_THEN_BE}, failing=["ETHUSDT"])

    with caplog.at_level(logging.WARNING, logger="sigtrack.services.settling"):
        report = SettlingService(store, source, POLICY).run_pass(now=minute(10))

    assert report.failures == (("ETHUSDT", "memory: ETHUSDT is down"),)
    assert [c.signal_id for c in report.changes] == [btc]
    assert store.get(btc).status is Status.CLOSED
    assert store.get(eth).status is Status.ACTIVE and store.get(eth).outcome is None
    assert "ETHUSDT" in caplog.text


def test_a_signal_whose_candles_end_before_its_expiry_stays_active_with_its_progress() -> None:
    store = FakeStore()
    [signal_id] = add(store, make_signal())  # 15m: lives 96 × 15 minutes
    source = MemorySource({"BTCUSDT": series(*QUIET)})  # ten quiet minutes, then nothing

    report = SettlingService(store, source, POLICY).run_pass(now=minute(60))

    record = store.get(signal_id)
    assert record.status is Status.ACTIVE and record.closing is None
    assert record.outcome is not None and record.outcome.status is Status.ACTIVE
    assert record.outcome.progress.next_ms == ms(10)
    assert (record.outcome.mfe_pct, record.outcome.mae_pct) == (0.2, -0.2)
    assert (list(report.changes), report.checked, report.still_open) == ([], 1, 1)
    assert [e.kind for e in store.events(signal_id)] == [EventKind.CREATED]


def test_a_signal_past_its_expiry_closes_at_the_expiry_with_the_last_close() -> None:
    store = FakeStore()
    [signal_id] = add(store, make_signal(timeframe="1m"))  # lives 96 minutes
    quiet = series(*[(n, 50000, 50100, 49900, 50050) for n in range(100)])

    SettlingService(store, MemorySource({"BTCUSDT": quiet}), POLICY).run_pass(now=minute(100))

    closing = store.get(signal_id).closing
    assert closing is not None
    assert (closing.result, closing.exit_reason, closing.closed_at) == (
        Result.EXPIRED, ExitReason.TIMEOUT, minute(96),
    )  # fmt: skip
    assert closing.pnl_pct == pytest.approx(0.1)


def test_signals_already_closed_are_not_read() -> None:
    store = FakeStore()
    [signal_id] = add(store, make_signal())
    store.close(signal_id, Closing(result=Result.WIN, exit_reason=ExitReason.MANUAL,
                                   closed_at=minute(1)), actor="admin", note=None,
                override=False, now=minute(1))  # fmt: skip
    source = MemorySource({"BTCUSDT": TP1_THEN_BE})

    report = SettlingService(store, source, POLICY).run_pass(now=minute(10))

    assert (source.asked, report.checked, store.saved) == ([], 0, [])


# --- the monitor loop ------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> datetime:
        self.calls += 1
        return minute(self.calls)


class RecordingStop(threading.Event):
    """A stop event that records every wait and never sleeps; with `set_in_wait` it is set
    during the first wait, as a signal arriving mid-wait would."""

    def __init__(self, *, set_in_wait: bool = False) -> None:
        super().__init__()
        self.waits: list[float | None] = []
        self._set_in_wait = set_in_wait

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        if self._set_in_wait:
            self.set()
        return super().wait(0)  # set: woken by the event; not set: the timeout ran out


def monitored(store: FakeStore) -> SettlingService:
    return SettlingService(store, MemorySource({"BTCUSDT": series(*QUIET)}), POLICY)


def test_the_monitor_stops_when_the_event_is_set_even_mid_wait() -> None:
    store = FakeStore()
    add(store, make_signal())
    stop = RecordingStop(set_in_wait=True)
    reports: list[PassReport] = []

    passes = run_monitor(
        monitored(store), every_s=3600, stop=stop, clock=Clock(), on_pass=reports.append
    )

    assert passes == 1 and len(reports) == 1
    assert stop.waits == [pytest.approx(3600, abs=1)]  # the hour's wait, ended by the event


def test_the_monitor_runs_no_pass_when_told_to_stop_before_it_starts() -> None:
    stop = threading.Event()
    stop.set()
    clock = Clock()
    assert run_monitor(monitored(FakeStore()), every_s=0, stop=stop, clock=clock) == 0
    assert clock.calls == 0


def test_the_monitor_runs_max_passes_each_with_a_fresh_clock_and_no_wait_after_the_last() -> None:
    store = FakeStore()
    add(store, make_signal())
    source = MemorySource({"BTCUSDT": series(*QUIET)})
    clock = Clock()
    three, one = RecordingStop(), RecordingStop()

    passes = run_monitor(
        SettlingService(store, source, POLICY), every_s=0.01, stop=three,
        clock=clock, max_passes=3,
    )  # fmt: skip
    one_pass = run_monitor(
        SettlingService(store, source, POLICY), every_s=3600, stop=one,
        clock=clock, max_passes=1,
    )  # fmt: skip

    assert (passes, one_pass, clock.calls) == (3, 1, 4)
    assert [end for _, _, end in source.asked] == [ms(1), ms(2), ms(3), ms(4)]
    assert (len(three.waits), one.waits) == (2, [])  # between passes only, none after the last


def test_the_monitor_keeps_going_after_a_pass_that_failed_on_the_store(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FakeStore()
    [signal_id] = add(store, make_signal())
    store.failing_reads = 1
    reports: list[PassReport] = []

    with caplog.at_level(logging.ERROR, logger="sigtrack.services.settling"):
        passes = run_monitor(
            monitored(store), every_s=0, stop=threading.Event(), clock=Clock(), max_passes=2,
            on_pass=reports.append,
        )  # fmt: skip

    assert passes == 2 and [r.checked for r in reports] == [1]
    assert "settling pass failed" in caplog.text and "the fake is down" in caplog.text
    assert store.get(signal_id).outcome is not None  # the second pass did settle
