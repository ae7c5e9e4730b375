"""An in-memory SignalStore for service tests (the real one is tested in tests/adapters)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime

from sigtrack.core.errors import (
    SignalAlreadyClosed,
    SignalIdConflict,
    SignalNotFound,
    StorageError,
)
from sigtrack.core.records import (
    Activity,
    Closing,
    SignalEvent,
    SignalRecord,
)
from sigtrack.core.signals import (
    EventKind,
    Result,
    Status,
    base_signal_id,
    same_content,
    suffixed_signal_id,
)
from sigtrack.core.stats import ResultCounts
from sigtrack.services.ports import AddOutcome, AddStatus, NewSignal, SettleUpdate


class FakeStore:
    def __init__(self) -> None:
        self.records: dict[str, SignalRecord] = {}
        self.history: dict[str, list[SignalEvent]] = {}
        self.activity: list[Activity] = []
        self.counts_asked: list[tuple[datetime, datetime]] = []
        self.saved: list[list[SettleUpdate]] = []  # every save_outcomes call, in order
        self.failing_reads = 0  # the next n list_signals calls raise StorageError

    def add_signals(
        self, items: Sequence[NewSignal], *, now: datetime, on_conflict: str = "raise"
    ) -> list[AddOutcome]:
        staged = dict(self.records)
        outcomes = []
        for item in items:
            signal_id = item.signal.signal_id
            if signal_id is None:
                base = base_signal_id(
                    item.signal.user_id, item.signal.symbol, item.signal.created_at
                )
                n = 1
                while suffixed_signal_id(base, n) in staged:
                    n += 1
                signal_id = suffixed_signal_id(base, n)
            elif signal_id in staged:
                differences = same_content(staged[signal_id].signal, item.signal)
                if differences and on_conflict == "raise":
                    raise SignalIdConflict(signal_id, ", ".join(differences))
                status = AddStatus.CONFLICT if differences else AddStatus.UNCHANGED
                outcomes.append(AddOutcome(signal_id=signal_id, status=status))
                continue
            status_ = Status.CLOSED if item.closing else Status.ACTIVE
            staged[signal_id] = SignalRecord(
                signal_id=signal_id, signal=replace(item.signal, signal_id=signal_id),
                status=status_, closing=item.closing,
            )  # fmt: skip
            self.history[signal_id] = [
                SignalEvent(kind=EventKind.CREATED, at=now, actor=item.actor)
            ]
            outcomes.append(AddOutcome(signal_id=signal_id, status=AddStatus.ADDED))
        self.records = staged
        return outcomes

    def get(self, signal_id: str) -> SignalRecord:
        if signal_id not in self.records:
            raise SignalNotFound(signal_id)
        return self.records[signal_id]

    def list_signals(
        self, *, status: Status | None = None, oldest_first: bool = False, **_: object
    ) -> Iterator[SignalRecord]:
        if self.failing_reads:
            self.failing_reads -= 1
            raise StorageError("database unavailable: the fake is down")
        matching = [r for r in self.records.values() if status is None or r.status is status]
        ordered = sorted(matching, key=lambda r: r.signal.created_at, reverse=not oldest_first)
        return iter(ordered)

    def close(
        self, signal_id: str, closing: Closing, *, actor: str, note: str | None,
        override: bool, now: datetime,
    ) -> SignalRecord:  # fmt: skip
        record = self.get(signal_id)
        if record.status is Status.CLOSED and not override:
            raise SignalAlreadyClosed(signal_id, str(record.result))
        kind = EventKind.OVERRIDE if record.status is Status.CLOSED else EventKind.CLOSED
        self.history[signal_id].append(SignalEvent(kind=kind, at=now, actor=actor, note=note))
        self.records[signal_id] = replace(record, status=Status.CLOSED, closing=closing)
        return self.records[signal_id]

    def events(self, signal_id: str) -> list[SignalEvent]:
        self.get(signal_id)
        return self.history[signal_id]

    def save_outcomes(self, updates: Sequence[SettleUpdate], *, now: datetime) -> list[str]:
        """Like the SQL store: open signals only (one closed by hand meanwhile is kept)."""
        self.saved.append(list(updates))
        written = []
        for update in updates:
            record = self.records.get(update.signal_id)
            if record is None or record.status is not Status.ACTIVE:
                continue
            outcome = update.outcome
            closing = None
            if outcome.status is Status.CLOSED:
                assert outcome.result and outcome.exit_reason and outcome.closed_at
                closing = Closing(
                    result=outcome.result, exit_reason=outcome.exit_reason,
                    closed_at=outcome.closed_at, pnl_pct=outcome.pnl_pct,
                )  # fmt: skip
            self.records[update.signal_id] = replace(
                record, status=outcome.status, closing=closing, outcome=outcome
            )
            self.history[update.signal_id].extend(update.events)
            written.append(update.signal_id)
        return written

    def result_counts(self, since: datetime, until: datetime) -> ResultCounts:
        self.counts_asked.append((since, until))
        by_result: dict[Result, int] = {}
        open_, pnl_sum, pnl_n = 0, 0.0, 0
        for r in self.records.values():
            if not since <= r.signal.created_at < until:
                continue
            if r.closing is None:
                open_ += 1
                continue
            by_result[r.closing.result] = by_result.get(r.closing.result, 0) + 1
            if r.closing.pnl_pct is not None and r.closing.result is not Result.CANCELLED:
                pnl_sum, pnl_n = pnl_sum + r.closing.pnl_pct, pnl_n + 1
        return ResultCounts(open=open_, by_result=by_result, pnl_sum_pct=pnl_sum, pnl_count=pnl_n)

    def add_activity(self, items: Sequence[Activity], *, dedupe: bool = False) -> int:
        new = [a for a in items if not (dedupe and a in self.activity)]
        self.activity.extend(new)
        return len(new)

    def list_activity(self) -> Iterator[Activity]:
        return iter(self.activity)

    def dispose(self) -> None:
        pass
